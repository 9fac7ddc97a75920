"""The primal sweep: every node's value at a point, front to back, in one loop."""

from __future__ import annotations

import math
from collections.abc import Mapping

from adcalc.describe import operand, operation, subexpression
from adcalc.errors import DomainError
from adcalc.primitives import PRIMITIVES
from adcalc.tape import Tape

_VALUE = [p.value for p in PRIMITIVES]
_KIND = [3 if p.takes_const else p.arity for p in PRIMITIVES]


def primal(tape: Tape, point: Mapping[str, float]) -> list[float]:
    """Values of all nodes at ``point`` (a value for every variable of the tape).

    Raises ``DomainError`` naming the trace node where a primitive leaves its domain
    or a value overflows.
    """
    ops, a0, a1, consts = tape.ops, tape.a0, tape.a1, tape.consts
    vals: list = list(consts)
    for name, i in tape.var_node.items():
        vals[i] = float(point[name])
    value, kind = _VALUE, _KIND
    i = -1
    try:
        for i, op in enumerate(ops):
            if op < 0:
                continue
            k = kind[op]
            if k == 1:
                vals[i] = value[op](vals[a0[i]])
            elif k == 2:
                vals[i] = value[op](vals[a0[i]], vals[a1[i]])
            else:
                vals[i] = value[op](vals[a0[i]], consts[i])
    except (ValueError, ArithmeticError) as exc:
        raise domain_error(tape, i, vals, exc) from None
    if not all(math.isfinite(v) for v in vals if v is not None):
        for i, v in enumerate(vals):
            if v is not None and not math.isfinite(v):
                raise domain_error(tape, i, vals, OverflowError())
    return vals


def domain_error(tape: Tape, i: int, vals: list, exc: BaseException) -> DomainError:
    """A message naming node ``i``, its operation, its arguments' values and the rule."""
    labels = tape.labels()
    prim = PRIMITIVES[tape.ops[i]]
    if isinstance(exc, OverflowError):
        reason = "overflow, the result is too large for a double"
    elif isinstance(exc, ZeroDivisionError) and prim.name != "div":
        reason = prim.domain or "division by zero"
    else:
        reason = prim.domain or str(exc)
    return DomainError(
        f"math error at {labels[i]} = {operation(tape, labels, i)}: {reason}"
        f"{argument_values(tape, labels, i, vals)}{where(tape, i)}",
        labels[i],
    )


def argument_values(tape: Tape, labels: list[str | None], i: int, vals: list) -> str:
    parts = [
        f"{labels[a]} = {vals[a]!r}"
        for a in (tape.a0[i], tape.a1[i])
        if a >= 0 and not isinstance(operand(tape, labels, a), float)
    ]
    return f" ({', '.join(parts)})" if parts else ""


def where(tape: Tape, i: int) -> str:
    text = subexpression(tape, i)
    return f", in {text}" if text else ""
