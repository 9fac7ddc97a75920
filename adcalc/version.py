"""The version, one place: the package, the wheel and --version read it."""

__version__ = "0.1.0"
