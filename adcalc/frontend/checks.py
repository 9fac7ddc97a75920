"""Checks of a tape against what a command asks of it: the variables in the order asked
for (``--vars``) and one scalar result for a gradient or a Hessian.  Below the commands,
so the batch of a program can check each path it traces as a command checks its tape."""

from __future__ import annotations

from collections.abc import Sequence

from adcalc.engine.tape import Tape
from adcalc.errors import InputError, param


def variable_order(tape: Tape, variables: Sequence[str] | None) -> list[str]:
    """The variables in the order asked for (``--vars``), checked against the tape."""
    if not variables:
        return list(tape.variables)
    variables = list(variables)
    known = set(tape.variables)
    unknown = [n for n in variables if n not in known]
    what = param("variables")
    if unknown:
        from adcalc.engine.hints import nearest

        near = nearest(unknown[0], known - set(variables))
        hint = f" (did you mean {near}?)" if near else ""
        raise InputError(f"{what} names {names(unknown)}, which the expression does not use"
                         f"{hint}; it uses {names(tape.variables)}")
    if len(set(variables)) != len(variables):
        raise InputError(f"{what} names a variable twice")
    missing = [n for n in tape.variables if n not in variables]
    if missing:
        raise InputError(f"{what} leaves out {names(missing)}; list every variable")
    return variables


def require_scalar(tape: Tape, command: str) -> None:
    """A gradient or Hessian needs one scalar result."""
    m = len(tape.outputs)
    if m != 1:
        raise InputError(f"{command} needs a scalar expression, and this one has {m} "
                         "results; use jacobian (or jvp / vjp) for vector functions")


def names(items: Sequence[str]) -> str:
    return ", ".join(items)
