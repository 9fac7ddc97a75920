"""adcalc: a command-line calculator for derivatives, built on a tape and its sweeps.

    >>> import adcalc
    >>> adcalc.grad("x*y + x^2", x=2, y=3)
    GradResult(value=10.0, gradient={'x': 7.0, 'y': 2.0})

The names below load on first use, so ``import adcalc`` (and the command line) starts
quickly.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

# ``parse`` shares its name with its module: bind the function now, or importing the
# submodule would shadow it.  (Neither import loads lark or numpy.)
from adcalc.commands.grad import Gradient, GradResult, grad, gradient
from adcalc.parse import parse

_LAZY = {
    "AdcalcError": "adcalc.errors", "CheckFailed": "adcalc.errors",
    "DomainError": "adcalc.errors", "InputError": "adcalc.errors",
    "ParseError": "adcalc.errors", "Diff": "adcalc.commands.diff",
    "derivatives": "adcalc.derive", "diff": "adcalc.commands.diff",
    "jacobian": "adcalc.commands.vector", "hessian": "adcalc.commands.vector",
    "jvp": "adcalc.commands.vector", "vjp": "adcalc.commands.vector",
    "graph": "adcalc.commands.graph", "sweep_arrays": "adcalc.batch",
}

__all__ = ["GradResult", "Gradient", "__version__", "grad", "gradient", "parse", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'adcalc' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
