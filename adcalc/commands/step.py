"""grad --step: the two sweeps of a gradient as the steps a student walks through.

A step of the primal sweep computes one node from the nodes it reads; a step of the
adjoint sweep sends one contribution ``v̄_i += v̄_j·∂v_j/∂v_i`` back: it reads ``v̄_j``
and the values the local partial needs, and updates ``v̄_i``.  The steps are read off
the record of the sweeps (``Gradient``), in the order the sweeps made them.
"""

from __future__ import annotations

from adcalc.commands.grad import Gradient
from adcalc.engine.primitives import CONST


class Step:
    """One step: ``phase`` (``primal`` or ``adjoint``), the ``node`` computed or whose
    adjoint flows back, the nodes it ``reads``, the node whose adjoint it ``updates``
    and, in the adjoint sweep, the index of its contribution among the sweep's edges."""

    __slots__ = ("after", "edge", "node", "phase", "reads", "updates")

    def __init__(self, phase: str, node: int, reads: list[int], updates: int | None = None,
                 edge: int | None = None) -> None:
        self.phase = phase
        self.node = node
        self.reads = reads
        self.updates = updates
        self.edge = edge
        self.after: object = None
        """In the adjoint sweep: the updated adjoint as it stands after this step."""


class Walk:
    """The record ``grad --step`` shows: the gradient and its steps."""

    __slots__ = ("gradient", "steps")

    def __init__(self, gradient: Gradient, steps: list[Step]) -> None:
        self.gradient = gradient
        self.steps = steps


def walk(g: Gradient) -> Walk:
    """The steps of ``g``, each contribution with the adjoint it leaves behind."""
    all_steps = steps(g)
    assert g.adjoint is not None
    now: dict[int, object] = dict(g.adjoint.seeds)
    for step in all_steps:
        if step.phase == "adjoint" and step.edge is not None:
            j, i, _k, partial = g.adjoint.edges[step.edge]
            contribution = g.adjoint.adjoints[j] * partial
            now[i] = now[i] + contribution if i in now else contribution  # type: ignore[operator]
            step.after = now[i]
    return Walk(g, all_steps)


def steps(g: Gradient) -> list[Step]:
    """Every step of ``g``'s primal and adjoint sweeps (the adjoint sweep recorded)."""
    if g.adjoint is None:
        raise ValueError("stepping needs the reverse sweep's record")
    tape = g.tape
    ops, a0, a1 = tape.ops, tape.a0, tape.a1

    def read(i: int) -> list[int]:
        args = [a0[i]] if a1[i] < 0 else [a0[i], a1[i]]
        return [a for a in args if ops[a] != CONST]

    out = [Step("primal", i, read(i)) for i, op in enumerate(ops) if op >= 0]
    for n, (j, i, _k, _partial) in enumerate(g.adjoint.edges):
        if ops[i] != CONST:
            out.append(Step("adjoint", j, [j, *read(j)], i, n))
    return out
