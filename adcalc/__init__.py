"""adcalc: a command-line calculator for derivatives, built on a tape and its sweeps.

    >>> import adcalc
    >>> adcalc.grad("x*y + x^2", x=2, y=3)
    GradResult(value=10.0, gradient={'x': 7.0, 'y': 2.0})
"""

from __future__ import annotations

from adcalc.derive import Diff, derivatives, diff
from adcalc.errors import AdcalcError, CheckFailed, DomainError, InputError, ParseError
from adcalc.gradient import Gradient, GradResult, grad, gradient
from adcalc.parse import parse

__version__ = "0.1.0"

__all__ = [
    "AdcalcError",
    "CheckFailed",
    "Diff",
    "DomainError",
    "GradResult",
    "Gradient",
    "InputError",
    "ParseError",
    "__version__",
    "derivatives",
    "diff",
    "grad",
    "gradient",
    "parse",
]
