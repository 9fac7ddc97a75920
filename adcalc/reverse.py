"""Reverse mode: the adjoint sweep, back to front, from the output's seed of 1."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from adcalc.algebra import FLOAT
from adcalc.forward import NONDIFF, RULES, check_finite, not_differentiable
from adcalc.tape import Tape


@dataclass
class AdjointSweep:
    """The record of one reverse sweep.

    ``seeds`` gives the starting adjoints of output nodes (``{output: 1.0}`` for a
    gradient).  ``edges`` lists each contribution ``v̄_i += v̄_j · ∂v_j/∂v_i`` in the
    order the sweep made it, as ``(j, i, k, partial)`` with ``k`` the argument position
    of ``i`` in ``j``; it is filled only when the sweep is asked to record.
    """

    seeds: dict[int, float]
    adjoints: list[float]
    edges: list[tuple[int, int, int, float]] = field(default_factory=list)
    nondiff: list[int] = field(default_factory=list)


def adjoint_sweep(tape: Tape, vals: list[float], seeds: Mapping[int, float] | None = None,
                  record: bool = False) -> AdjointSweep:
    """Adjoints of all nodes, from ``seeds`` (default: 1 on the tape's output).

    A node whose adjoint is exactly zero passes nothing back, so its local partials are
    not evaluated (the same policy as the tangent sweep).
    """
    seeds = {tape.output: 1.0} if seeds is None else dict(seeds)
    ops, a0, a1, consts = tape.ops, tape.a0, tape.a1, tape.consts
    bar = [0.0] * len(ops)
    for node, weight in seeds.items():
        bar[node] += weight
    edges: list[tuple[int, int, int, float]] = []
    odd: list[int] = []
    rules, nondiff, F = RULES, NONDIFF, FLOAT
    j = start = max(seeds, default=-1)
    try:
        for j in range(start, -1, -1):
            op = ops[j]
            g = bar[j]
            if op < 0 or not g:
                continue
            a, b = a0[j], a1[j]
            if b < 0:
                pa = rules[op](F, vals[j], vals[a], None, consts[j])[0]
                bar[a] += g * pa
                if record:
                    edges.append((j, a, 0, pa))
                if nondiff[op] is not None and nondiff[op](vals[a], None, consts[j]):
                    odd.append(j)
            else:
                pa, pb = rules[op](F, vals[j], vals[a], vals[b], consts[j])
                bar[a] += g * pa
                bar[b] += g * pb
                if record:
                    edges.append((j, a, 0, pa))
                    edges.append((j, b, 1, pb))
                if nondiff[op] is not None and nondiff[op](vals[a], vals[b], None):
                    odd.append(j)
    except (ValueError, ArithmeticError) as exc:
        raise not_differentiable(tape, j, vals, exc) from None
    check_finite(tape, bar, "adjoint")
    return AdjointSweep(seeds, bar, edges, odd)
