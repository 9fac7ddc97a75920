"""Many points at once: the sweeps over arrays, their compiled array code, CSV in and
columnar formats."""
