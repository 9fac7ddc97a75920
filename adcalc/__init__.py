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

# ``parse`` and ``gradient`` share their names with their modules: bind the functions
# now, or importing the submodule would shadow them.  (Both modules import no lark or
# numpy at import time.)
from adcalc.gradient import Gradient, GradResult, grad, gradient
from adcalc.parse import parse

_LAZY = {
    "AdcalcError": "adcalc.errors", "CheckFailed": "adcalc.errors",
    "DomainError": "adcalc.errors", "InputError": "adcalc.errors",
    "ParseError": "adcalc.errors", "Diff": "adcalc.derive", "derivatives": "adcalc.derive",
    "diff": "adcalc.derive", "jacobian": "adcalc.vector", "hessian": "adcalc.vector",
    "jvp": "adcalc.vector", "vjp": "adcalc.vector", "sweep_arrays": "adcalc.batch",
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
