"""Every adcalc function for Python code: ``import adcalc.math as am; am.sin(x)``.

Each works on ``Var``s (recording a node) and on plain numbers (giving the number); the
names and rules are those of the table of primitives, so they match the expression
language exactly (``am.log(x, 2)``, ``am.max(a, b, c)``, ``am.softmax([a, b])``).
"""

from __future__ import annotations

from adcalc.frontend.build import ALIASES
from adcalc.frontend.tracing import FUNCTION_NAMES, Var, function

__all__ = ["Var", *FUNCTION_NAMES, *ALIASES, "pi", "e"]

for _name in [*FUNCTION_NAMES, *ALIASES]:  # ln is log, stop is stop_gradient
    globals()[_name] = function(_name)
pi = 3.141592653589793
e = 2.718281828459045
