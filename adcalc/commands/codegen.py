"""codegen: the value and its derivatives as one standalone source file (Python, NumPy
or C), the sweeps written out (``adcalc.symbolic.codegen``)."""

from __future__ import annotations

from collections.abc import Sequence

from adcalc.commands.common import prepare
from adcalc.engine.tape import Tape
from adcalc.errors import InputError, param
from adcalc.symbolic.codegen import LANGS, WHATS, Generated, generate

__all__ = ["LANGS", "WHATS", "Generated", "codegen"]


def codegen(expression: str | Tape, lang: str = "python", what: str | None = None,
            variables: Sequence[str] | None = None, name: str = "f",
            mode: str | None = None) -> Generated:
    """The generated source for ``expression`` (a record: ``source`` is the file's text).

    ``what``: ``grad`` (default for one result: ``f`` and ``f_grad``), ``jacobian``
    (default for several: ``f`` and ``f_jacobian``) or ``hessian`` (``f``, ``f_grad``,
    ``f_hessian``).  ``variables``: the parameters' order (as ``grad`` orders them when
    not given).
    """
    if isinstance(expression, str):
        from adcalc.frontend.parse import parse_program

        if not isinstance(parse_program(expression), Tape):
            raise InputError(
                "codegen writes straight-line code, and this program has branches or "
                "loops: generated code for them is not built yet; diff without a point "
                "gives its derivative piece by piece, and grad, jacobian and hessian "
                f"differentiate it at a point ({param('point')})")
    s = prepare(expression, None, variables)
    return generate(s.tape, lang, what, name, s.variables, s.expression, mode)
