"""Forward mode: the tangent sweep, front to back, for one seed direction."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from adcalc.algebra import FLOAT
from adcalc.errors import DomainError
from adcalc.primitives import PRIMITIVES
from adcalc.tape import Tape

RULES = [p.partials for p in PRIMITIVES]
NONDIFF = [p.nondiff for p in PRIMITIVES]


@dataclass
class TangentSweep:
    """The record of one forward sweep: the seed and every node's tangent."""

    seed: dict[str, float]
    tangents: list[float]
    nondiff: list[int] = field(default_factory=list)
    """Nodes evaluated at a non-differentiable point (a convention was applied)."""

    def derivative(self, node: int) -> float:
        return self.tangents[node]


def tangent_sweep(tape: Tape, vals: list[float], seed: Mapping[str, float]) -> TangentSweep:
    """Tangents of all nodes for ``seed`` (a direction over the variables).

    A node's local partials are evaluated only where a nonzero tangent flows in, so a
    partial that is undefined on a branch carrying no derivative does no harm.
    """
    ops, a0, a1, consts = tape.ops, tape.a0, tape.a1, tape.consts
    dot = [0.0] * len(ops)
    for name, i in tape.var_node.items():
        dot[i] = float(seed.get(name, 0.0))
    odd: list[int] = []
    rules, nondiff, F = RULES, NONDIFF, FLOAT
    i = -1
    try:
        for i, op in enumerate(ops):
            if op < 0:
                continue
            a, b = a0[i], a1[i]
            if b < 0:
                da = dot[a]
                if da:
                    dot[i] = rules[op](F, vals[i], vals[a], None, consts[i])[0] * da
                    if nondiff[op] is not None and nondiff[op](vals[a], None, consts[i]):
                        odd.append(i)
            else:
                da, db = dot[a], dot[b]
                if da or db:
                    pa, pb = rules[op](F, vals[i], vals[a], vals[b], consts[i])
                    dot[i] = (pa * da if da else 0.0) + (pb * db if db else 0.0)
                    if nondiff[op] is not None and nondiff[op](vals[a], vals[b], None):
                        odd.append(i)
    except (ValueError, ArithmeticError) as exc:
        raise not_differentiable(tape, i, vals, exc) from None
    check_finite(tape, dot, "tangent")
    return TangentSweep(dict(seed), dot, odd)


def not_differentiable(tape: Tape, i: int, vals: list[float], exc: BaseException) -> DomainError:
    """The message for a local partial that cannot be evaluated at node ``i``."""
    from adcalc.describe import operation, partial_formulas
    from adcalc.evaluate import argument_values, where

    labels = tape.labels()
    formulas = " and ".join(partial_formulas(tape, labels, i))
    why = "division by zero" if isinstance(exc, ZeroDivisionError) else (
        "overflow" if isinstance(exc, OverflowError) else "outside its domain"
    )
    return DomainError(
        f"not differentiable at {labels[i]} = {operation(tape, labels, i)}: its local "
        f"partial ({formulas}) is undefined here ({why}){argument_values(tape, labels, i, vals)}"
        f"{where(tape, i)}",
        labels[i],
    )


def check_finite(tape: Tape, xs: list[float], what: str) -> None:
    """Raise ``DomainError`` at the first node whose ``what`` (tangent/adjoint) overflowed."""
    if all(map(math.isfinite, xs)):
        return
    labels = tape.labels()
    for i, x in enumerate(xs):
        if not math.isfinite(x):
            raise DomainError(
                f"overflow: the {what} of {labels[i] or 'a literal'} is {x!r}, too large "
                "for a double", labels[i])
