"""What every command does first, written once: parse the expression if it is text,
choose the variables, check the point, run the primal sweep; and the checks of the
inputs the commands share."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from adcalc.engine.primitives import CONSTANTS
from adcalc.engine.profile import stage
from adcalc.engine.sweeps import primal
from adcalc.engine.tape import Tape
from adcalc.errors import InputError, param
from adcalc.frontend.checks import names, require_scalar, variable_order
from adcalc.frontend.parse import needs_point, parse_program

if TYPE_CHECKING:
    from adcalc.frontend.program import Program


@dataclass
class Setup:
    """The common start of a command's record."""

    expression: str
    """The text as given ('' when a tape was passed in)."""
    tape: Tape
    variables: list[str]
    """The inputs, in the order asked for (numbering of the trace follows it)."""
    point: dict[str, float]
    values: list[float]
    """Every node's value at the point (empty without a point)."""


def prepare(expression: str | Tape | Program, point: Mapping[str, float] | None,
            variables: Sequence[str] | None = None, scalar: str | None = None,
            max_steps: int | None = None) -> Setup:
    """Parse (if text), order the variables, check the point and run the primal sweep.

    ``scalar`` names the command when it needs one result (a gradient, a Hessian).
    ``point=None``: no point (symbolic work, a graph without numbers).  A program with
    control flow is traced at the point (``adcalc.frontend.program``): its tape is the
    path taken there, its decisions recorded; ``max_steps`` bounds each ``while`` loop.
    """
    with stage("parse + tape"):
        tape = parse_program(expression) if isinstance(expression, str) else expression
    if not isinstance(tape, Tape):  # a Program: control flow, traced at the point
        if point is None:
            raise needs_point(tape)
        with stage("trace at the point"):
            tape = tape.trace(finite_point(point), max_steps=max_steps)
    text = expression if isinstance(expression, str) else ""
    if scalar is not None:
        require_scalar(tape, scalar)
    names = variable_order(tape, variables)
    if point is None:
        return Setup(text, tape, names, {}, [])
    pt = check_point(tape, point)
    with stage("primal sweep"):
        vals = primal(tape, pt)
    if tape.decisions and tape.on_path(vals) is not True:
        # a tape traced at another point (adcalc.parse(text, at=...)), off its path here:
        # its program is traced at this point instead (once: that path holds there),
        # never the old branch silently
        return prepare(program_of(tape, vals), point, variables, scalar, max_steps)
    return Setup(text, tape, names, pt, vals)


def program_of(tape: Tape, vals: list[float]) -> Program:
    """The program ``tape`` was traced from, to trace again where values ``vals`` leave
    the path it recorded; an ``InputError`` naming the decision that flips where the tape
    does not know its program."""
    if tape.program is not None:
        return tape.program
    flip = next(d for d in tape.decisions if d.holds(vals) is not True)
    raise InputError(f"this tape was traced at another point, and here {flip.label} comes "
                     f"out {not flip.outcome}: its path is not this point's; trace the "
                     "program at this point (parse the text with the point) or give the "
                     "text itself")


def finite_point(point: Mapping[str, float]) -> dict[str, float]:
    """The point's values as floats, each finite (before a program is traced there; the
    names are checked against the tape it makes)."""
    out = {}
    what = param("point")
    for n, v in point.items():
        try:
            out[n] = v if type(v) is float or hasattr(v, "text") else float(v)
        except (TypeError, ValueError):
            raise InputError(f"{what} gives {n} = {v!r}: values must be numbers") from None
        if not math.isfinite(out[n]):
            raise InputError(f"{what} gives {n} = {out[n]}: values must be finite")
    return out




def check_point(tape: Tape, point: Mapping[str, float], what: str = "point"
                ) -> dict[str, float]:
    """The point as floats, with every variable given and no stray names."""
    parameter, what = what, param(what)
    given = set(point)
    missing = [n for n in tape.variables if n not in given]
    stray = [n for n in point if n not in tape.var_node]
    if missing:
        from adcalc.engine.hints import nearest

        near = nearest(missing[0], set(stray))
        hint = f" ({what} gives {near}: a typo for {missing[0]}?)" if near else ""
        how = param(parameter, f"{missing[0]}=…")
        raise InputError(
            f"no value for {names(missing)}: give {'it' if len(missing) == 1 else 'them'} "
            f"with {how}{hint}")
    constants = [n for n in stray if n in CONSTANTS]
    if constants:
        c = constants[0]
        raise InputError(f"{what} gives {c}, but {c} is the constant {CONSTANTS[c]!r} in an "
                         f"expression, not a variable; to use a variable, name it otherwise "
                         f"({c}_ or {c}1) in the expression and in {what}")
    if stray:
        uses = names(tape.variables) if tape.variables else "no variables"
        raise InputError(f"{what} gives {names(stray)}, which the expression does not use "
                         f"(it uses {uses})")
    out = {}
    for n in tape.variables:
        try:
            v = point[n]  # a float as given (one typed as 2/3 keeps its text, for headers)
            out[n] = v if type(v) is float or hasattr(v, "text") else float(v)
        except (TypeError, ValueError):
            raise InputError(f"{what} gives {n} = {point[n]!r}: values must be numbers"
                             ) from None
    bad = [n for n, v in out.items() if not math.isfinite(v)]
    if bad:
        raise InputError(f"{what} gives {bad[0]} = {out[bad[0]]}: values must be finite")
    return out


def check_seed(tape: Tape, seed: Mapping[str, float], mode: str | None) -> None:
    """A seed names variables of the expression and goes with forward mode."""
    stray = [n for n in seed if n not in tape.var_node]
    if stray:
        raise InputError(f"{param('seed')} gives {names(stray)}, which the expression does "
                         "not use")
    if mode == "reverse":
        raise InputError(f"{param('seed')} is a forward-mode direction: use it with "
                         f"{param('mode', 'forward')}")





