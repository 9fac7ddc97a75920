"""The three walks over a tape, each written once: primal, tangent and adjoint.

Every walk is a plain loop over the tape (front to back, or back to front), generic over
a *sweep algebra* that owns the policies, so the float, NumPy and symbolic paths cannot
drift apart:

* ``values[op]``: a primitive's value (on floats, arrays, or as a new tape node);
* ``rules``: the algebra the primitives' derivative rules are called with;
* ``zero`` and ``nothing(d)``: what a derivative starts as, and whether ``d`` is a zero
  that passes nothing on (then the node's local partials are not even evaluated, so a
  partial that is undefined where no derivative flows does no harm);
* ``scale(d, p)`` and ``add(x, y)``: how contributions combine;
* ``kink(found, i, where, d)``: a non-differentiable point the point sits on, at a
  node a derivative can flow through (``where`` is the primitive's predicate: a bool,
  or a mask of rows; ``d`` is ``one``, a derivative that flows there).  Whether a
  derivative can flow is read from the tape, not from the numbers: a derivative that
  happens to be 0 at the kink (``sign(x)*abs(x)`` at 0, where sign's 0 multiplies
  abs') is itself made of conventions, so every mode warns at the same kinks;
* ``total(terms)``: the adjoint of a node with several contributions (where
  ``compensates``: three or more summed with their rounding errors (``compensated``: a
  small term between two huge opposite ones survives, ``x + atan2(x, x)`` at 1e-17),
  the same IEEE operations for one point, for arrays and in the recorded array code, so
  ``--points`` gives the scalar path's numbers bit for bit);
* ``errors`` and the messages for them; ``finish``: the check of the finished list.

These are the members of ``algebra.SweepPolicies``, with the defaults of
``algebra.SweepAlgebra``; the instances are in ``sweep_algebras`` (``FLOATS``,
``Careful``, ``Arrays``, ``Symbols``) and ``symbolic.precise`` (``Exact``,
``Precise``); the kink finder is ``kinks``.

Measured before writing the walks once: on a random tape of 72,141 rows the generic
adjoint sweep takes 34 ms where the hand-specialised float loop it replaced took 26 ms
(tangent 23 ms against 20 ms; primal unchanged), but the whole command as a user runs it
(``adcalc grad @expr --at … -q``, 10^6 operations) takes 6.5 s against 6.4 s: parsing
is nearly all of it.  A specialised float copy does not pay for a second walk to keep
in step, so there is none.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from adcalc.engine.algebra import SweepPolicies
from adcalc.engine.kinks import KINKED, kinks
from adcalc.engine.primitives import CONST, KIND, RULES
from adcalc.engine.sweep_algebras import (
    FLOATS,
    ArrayAlgebra,
    Arrays,
    Careful,
    CarefulValues,
    Floats,
    IEEEAlgebra,
    Symbols,
    array_functions,
    compensated,
)
from adcalc.engine.tape import Tape
from adcalc.errors import DomainError

__all__ = [  # the walks and records; the algebras and the kink finder, where they were
    "FLOATS", "KIND", "KINKED", "AdjointSweep", "ArrayAlgebra", "Arrays", "Careful", "Floats",
    "IEEEAlgebra", "Symbols", "TangentSweep", "adjoint", "array_functions", "compensated",
    "gradient_nodes", "kinks", "primal", "recorded_gradient", "recorded_tangent", "tangent"]


class TangentSweep:
    """The record of one forward sweep: the seed (the direction, by variable name), every
    node's tangent, and ``nondiff``: where a non-differentiable point's convention was
    used (nodes for one point, node → mask of rows for arrays).

    A plain class, not a dataclass: it is on the start-up path of every command.
    """

    __slots__ = ("nondiff", "seed", "tangents")

    def __init__(self, seed: dict[str, Any], tangents: list[Any], nondiff: Any = None) -> None:
        self.seed = seed
        self.tangents = tangents
        self.nondiff = [] if nondiff is None else nondiff

    def derivative(self, node: int) -> Any:
        return self.tangents[node]


class AdjointSweep:
    """The record of one reverse sweep.

    ``seeds`` gives the starting adjoints of output nodes (``{output: 1.0}`` for a
    gradient).  ``edges`` lists each contribution ``v̄_i += v̄_j · ∂v_j/∂v_i`` in the
    order the sweep made it, as ``(j, i, k, partial)`` with ``k`` the argument position
    of ``i`` in ``j``; it is filled only when the sweep is asked to record.  Literals
    receive nothing: no contribution goes to them.  ``nondiff`` as in ``TangentSweep``.
    """

    __slots__ = ("adjoints", "by_tangent", "edges", "nondiff", "seeds")

    def __init__(self, seeds: dict[int, Any], adjoints: list[Any],
                 edges: list[tuple[int, int, int, Any]] | None = None, nondiff: Any = None
                 ) -> None:
        self.seeds = seeds
        self.adjoints = adjoints
        self.edges = [] if edges is None else edges
        self.nondiff = [] if nondiff is None else nondiff
        self.by_tangent: list[int] = []
        """The inputs whose adjoint the sweep left ∞ - ∞, given by a tangent sweep
        instead (``_cancelled``)."""


def primal(tape: Tape, inputs: Mapping[str, Any], S: SweepPolicies = FLOATS,
           resume: list[Any] | None = None) -> list[Any]:
    """Every node's value, front to back, from the inputs' values (by variable name).

    With ``FLOATS`` a primitive outside its domain, or a value that overflows, raises a
    ``DomainError`` naming the trace node.  ``resume``: the values of a first part of
    this tape, already computed for the same inputs; only the nodes after it are
    evaluated (a tape that grows as Python code runs, ``adcalc.tracing``).
    """
    ops, a0, a1, consts = tape.ops, tape.a0, tape.a1, tape.consts
    start = 0 if resume is None else len(resume)
    vals = S.literals(tape, start)
    if resume is not None:
        resume.extend(vals)  # in place: a tape that grows is swept in linear time
        vals = resume
    for name, i in tape.var_node.items():
        if i >= start:
            vals[i] = inputs[name]
    value, kind = S.values, KIND
    i = -1
    with S.context():
        try:
            for i in range(start, len(ops)):
                op = ops[i]
                if op < 0:
                    continue
                k = kind[op]
                if k == 1:
                    vals[i] = value[op](vals[a0[i]])
                elif k == 2:
                    vals[i] = value[op](vals[a0[i]], vals[a1[i]])
                else:
                    vals[i] = value[op](vals[a0[i]], consts[i])
        except S.errors as exc:
            raise S.domain_error(tape, i, vals, exc) from None
    return S.finish(tape, vals, "value", start)


def tangent(tape: Tape, vals: Sequence[Any], seed: Mapping[str, Any], S: SweepPolicies = FLOATS
            ) -> TangentSweep:
    """Tangents of all nodes, front to back, from ``seed`` (variable name → tangent: a
    direction over the inputs)."""
    ops, a0, a1, consts = tape.ops, tape.a0, tape.a1, tape.consts
    dot = [S.zero] * len(ops)
    for name, d in seed.items():
        dot[tape.var_node[name]] = d
    rules, R = RULES, S.rules
    nothing, scale, add = S.nothing, S.scale, S.add
    i = -1
    with S.context():
        try:
            for i, op in enumerate(ops):
                if op < 0:
                    continue
                a, b = a0[i], a1[i]
                da = dot[a]
                if b < 0:
                    if nothing(da):
                        continue
                    parts = rules[op](R, vals[i], vals[a], None, consts[i])
                    dot[i] = scale(da, parts[0])
                    continue
                db = dot[b]
                za, zb = nothing(da), nothing(db)
                if za and zb:
                    continue
                parts = rules[op](R, vals[i], vals[a], vals[b], consts[i])
                if za:
                    dot[i] = scale(db, parts[1])
                elif zb:
                    dot[i] = scale(da, parts[0])
                else:
                    dot[i] = add(scale(da, parts[0]), scale(db, parts[1]))
        except S.errors as exc:
            careful = S.careful
            if careful is None:
                raise S.not_differentiable(tape, i, list(vals), exc) from None
            sweep = tangent(tape, vals, seed, careful)
            if not all(math.isfinite(sweep.tangents[o]) for o in tape.outputs):
                raise S.not_differentiable(tape, i, list(vals), exc) from None
            return sweep
    sources = [tape.var_node[n] for n, d in seed.items() if not nothing(d)]
    found = kinks(tape, vals, S, sources, tape.outputs)
    return TangentSweep(dict(seed), S.finish(tape, dot, "tangent"), found)


def adjoint(tape: Tape, vals: Sequence[Any], seeds: Mapping[int, Any], S: SweepPolicies = FLOATS,
            record: bool = False) -> AdjointSweep:
    """Adjoints of all nodes, back to front, from ``seeds`` (output node → adjoint).

    A node with three or more contributions (where ``S.compensates``: doubles, arrays
    and the recording of array code, so all three do the same IEEE operations): its
    adjoint is their sum with the rounding errors kept (``S.total``, when the sweep
    reaches the node), so ``1 + 5e16 - 5e16`` is 1; two are one IEEE addition, already
    rounded once, so only a third one costs anything.  Measured on the random
    expression of 10^6 operations of ``benchmarks/`` (4 inputs, each receiving ~20,000
    contributions, 19,000 nodes with three or more): the sweep 614 → 827 ms, the whole
    ``adcalc grad @expr --at … -q`` 9.9 s either way (parsing is nearly all of it).
    """
    ops, a0, a1, consts = tape.ops, tape.a0, tape.a1, tape.consts
    zero = S.zero
    bar = [zero] * len(ops)
    for node, weight in seeds.items():
        bar[node] = weight if bar[node] is zero else S.add(bar[node], weight)
    recorded: list[tuple[int, int, int, Any]] = []
    rules, R = RULES, S.rules
    nothing, scale, add = S.nothing, S.scale, S.add
    exact = S.compensates
    total = S.total
    j = start = max(seeds, default=-1)
    with S.context():
        try:
            for j in range(start, -1, -1):
                op = ops[j]
                if op < 0:
                    continue
                g = bar[j]
                if type(g) is list:  # its contributions, complete now
                    g = bar[j] = total(g)
                if nothing(g):
                    continue
                a, b = a0[j], a1[j]
                vb = vals[b] if b >= 0 else None
                parts = rules[op](R, vals[j], vals[a], vb, consts[j])
                if ops[a] != CONST:
                    c = scale(g, parts[0])
                    v = bar[a]
                    if v is zero:
                        bar[a] = c
                    elif not exact:
                        bar[a] = add(v, c)
                    elif type(v) is list:
                        v.append(c)
                    else:
                        bar[a] = [v, c]
                    if record:
                        recorded.append((j, a, 0, parts[0]))
                if b >= 0 and ops[b] != CONST:
                    c = scale(g, parts[1])
                    v = bar[b]
                    if v is zero:
                        bar[b] = c
                    elif not exact:
                        bar[b] = add(v, c)
                    elif type(v) is list:
                        v.append(c)
                    else:
                        bar[b] = [v, c]
                    if record:
                        recorded.append((j, b, 1, parts[1]))
            if exact:
                for i in tape.input_name:
                    if type(bar[i]) is list:
                        bar[i] = total(bar[i])
        except S.errors as exc:
            careful = S.careful
            if careful is None:
                raise S.not_differentiable(tape, j, list(vals), exc) from None
            sweep = adjoint(tape, vals, seeds, careful, record)
            for i, name in tape.input_name.items():
                if not math.isfinite(sweep.adjoints[i]):  # ∞ - ∞: see _cancelled
                    sweep.adjoints[i] = _cancelled(tape, vals, seeds, name, S, j, exc)
                    sweep.by_tangent.append(i)
            return sweep
    sinks = [o for o, w in seeds.items() if not nothing(w)]
    found = kinks(tape, vals, S, list(tape.var_node.values()), sinks)
    return AdjointSweep(dict(seeds), S.finish(tape, bar, "adjoint"), recorded, found)


def _cancelled(tape: Tape, vals: Sequence[Any], seeds: Mapping[int, Any], name: str,
               S: SweepPolicies, j: int, exc: BaseException) -> float:
    """An input's partial where the careful reverse sweep left it ∞ - ∞ or NaN: an
    infinite local partial reached along paths whose derivatives cancel (``(x - x)^(1/3)``:
    the 0 of x - x is a sum the adjoints never form).  The tangent sweep forms it, so
    the partial is the forward mode's, as the documented convention has both modes give
    the same; where that is not finite either, the reverse sweep's error stands."""
    try:
        sweep = tangent(tape, vals, {name: 1.0})
        value = sum(w * sweep.tangents[o] for o, w in seeds.items())
    except S.errors:
        value = math.nan
    if not math.isfinite(value):
        raise S.not_differentiable(tape, j, list(vals), exc) from None
    return value


def recorded_gradient(tape: Tape, output: int, wrt: Sequence[str],
                      point: Mapping[str, float]) -> tuple[Tape, list[float]]:
    """The reverse sweep of ``output`` recorded as a tape (a copy of ``tape`` whose
    outputs are ∂output/∂x for ``wrt``) and its values at ``point``: what forward-over-
    reverse second derivatives sweep (hessian, diff --order 2)."""
    g = tape.copy().for_derivatives()
    g.outputs = gradient_nodes(g, g, output, wrt)
    g = g.pruned()  # (a constant's adjoint is never needed: 0^x's x·0^(x - 1) has no
    try:  # value at x < 1, where 0^x's derivatives are all 0)
        return g, primal(g, point)
    except DomainError:  # a partial with no value times a zero adjoint: see CarefulValues
        vals = primal(g, point, CarefulValues())
        if not all(math.isfinite(vals[o]) for o in g.outputs):
            raise
        return g, vals


def recorded_tangent(g: Tape, gvals: Sequence[float], seed: Mapping[str, float]
                     ) -> TangentSweep:
    """A tangent sweep over a recorded reverse sweep (``recorded_gradient``): where its
    values hold a NaN (a partial a zero adjoint multiplies), carefully, 0·x = 0, as that
    sweep had it, and each output checked."""
    if all(map(math.isfinite, gvals)):
        return tangent(g, gvals, seed)
    sweep = tangent(g, gvals, seed, Careful())
    dots = sweep.tangents
    if not all(math.isfinite(dots[o]) for o in g.outputs):
        from adcalc.engine.describe import argument_values, operation, where

        i = next(i for i, t in enumerate(dots) if t is not None and not math.isfinite(t))
        labels = g.labels()
        raise DomainError(
            f"no second derivative here: the derivative of {labels[i]} = "
            f"{operation(g, labels, i)} is {dots[i]!r}{argument_values(g, labels, i, gvals)}"
            f"{where(g, i)}", labels[i])
    return sweep


def gradient_nodes(tape: Tape, rules: Any, output: int, wrt: Sequence[str]) -> list[int]:
    """Append ∂output/∂x for each ``x`` in ``wrt`` to ``tape``; return their node ids.

    The adjoint sweep with the tape as its algebra (``rules``: a ``Simplifier`` over
    ``tape``, or the tape itself): the derivative is recorded as new nodes.
    """
    S = Symbols(tape, rules)
    sweep = adjoint(tape, range(len(tape)), {output: tape.const(1.0)}, S)
    return [sweep.adjoints[tape.var_node[x]] for x in wrt]
