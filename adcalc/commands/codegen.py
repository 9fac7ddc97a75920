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
    not given).  ``name`` must be an identifier of the target as written (letters,
    digits and ``_``, not starting with a digit); a keyword of the target is mangled.
    """
    if not (name.isascii() and name.isidentifier()):
        raise InputError(f"{param('name')} {name!r} is not a function name: letters, digits "
                         "and _, not starting with a digit")
    text = ""
    if isinstance(expression, str):
        from adcalc.frontend.parse import parse_program
        from adcalc.frontend.program import Program

        text, program = expression, parse_program(expression)
        if isinstance(program, Program):
            from adcalc.frontend.checks import variable_order
            from adcalc.frontend.tracer import MAX_STEPS, UNROLL, UnrollBound
            from adcalc.symbolic.codegen.branches import merge

            try:
                merged = merge(program)
            except UnrollBound:  # codegen has no bound to raise: the code would be as long
                raise InputError(
                    f"this program's loops unroll past {UNROLL * MAX_STEPS:,} iterations, "
                    "more than generated code takes (it writes every iteration out): make "
                    "the loops shorter, or take the derivative at a point with grad, "
                    "jacobian or hessian") from None
            shown = Tape()
            shown.variables = merged.variables
            order = variable_order(shown, variables)
            return generate(merged.tape, lang, what, name, order, expression, mode, merged)
        if not isinstance(program, Tape):
            raise InputError("codegen takes an expression or a program as text, not a "
                             "Python function's trace")
        expression = program  # read once
    s = prepare(expression, None, variables)
    return generate(s.tape, lang, what, name, s.variables, text, mode)
