"""Vector functions: Jacobians, Hessians, Jacobian-vector and vector-Jacobian products.

Each is a handful of the same sweeps: a tangent sweep gives one Jacobian column (J·v),
an adjoint sweep one row (uᵀ·J).  The Hessian is forward-over-reverse: the reverse
sweep is recorded as a tape (``sweeps.gradient_nodes`` with the tape as algebra), and
one tangent sweep over that tape per input gives one Hessian column.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from adcalc.commands.common import prepare
from adcalc.engine.sweeps import (
    AdjointSweep,
    TangentSweep,
    adjoint,
    recorded_gradient,
    recorded_tangent,
    tangent,
)
from adcalc.engine.tape import Tape
from adcalc.errors import InputError, param
from adcalc.symbolic.derive import symmetric

Direction = Mapping[str, float] | Sequence[float]


@dataclass
class VectorResult:
    """What jacobian, jvp and vjp produced, for the API and the renderers."""

    expression: str
    tape: Tape
    variables: list[str]
    point: dict[str, float]
    values: list[float]
    mode: str
    reason: str
    tangents: list[TangentSweep] = field(default_factory=list)
    adjoints: list[AdjointSweep] = field(default_factory=list)
    matrix: list[list[float]] = field(default_factory=list)
    """The Jacobian (m rows, n columns); for jvp a column, for vjp a row."""
    direction: list[float] = field(default_factory=list)
    """jvp: v over the inputs; vjp: u over the outputs."""

    @property
    def outputs(self) -> list[float]:
        return [self.values[o] for o in self.tape.outputs]

    @property
    def nondiff(self) -> list[int]:
        return [i for s in [*self.tangents, *self.adjoints] for i in s.nondiff]


def jacobian(expression: str | Tape, point: Mapping[str, float], mode: str | None = None,
             variables: Sequence[str] | None = None, record: bool = False) -> VectorResult:
    """The m×n Jacobian: n tangent sweeps (forward) or m adjoint sweeps (reverse).

    Without ``mode`` the cheaper is chosen: forward when n < m, reverse otherwise.
    """
    s = prepare(expression, point, variables)
    tape, text, names, pt, vals = s.tape, s.expression, s.variables, s.point, s.values
    n, m = len(names), len(tape.outputs)
    if mode is None:
        mode = "forward" if n < m else "reverse"
        if n == m:
            reason = f"reverse mode: n = m = {n}, so either mode takes {n} sweep(s)"
        elif n < m:
            reason = (f"forward mode chosen because n = {n} inputs < m = {m} outputs: "
                      f"{n} tangent sweep(s) instead of {m} adjoint sweeps")
        else:
            reason = (f"reverse mode chosen because m = {m} outputs < n = {n} inputs: "
                      f"{m} adjoint sweep(s) instead of {n} tangent sweeps")
    elif mode in ("forward", "reverse"):
        reason = f"{mode} mode as asked: {n if mode == 'forward' else m} sweep(s)"
    else:
        raise InputError(f"unknown mode {mode!r}: use forward or reverse")
    result = VectorResult(text, tape, names, pt, vals, mode, reason)
    outs = tape.outputs
    if mode == "forward":
        columns = []
        for name in names:
            sweep = tangent(tape, vals, {name: 1.0})
            result.tangents.append(sweep)
            columns.append([sweep.tangents[o] for o in outs])
        result.matrix = [[columns[j][i] for j in range(n)] for i in range(m)]
    else:
        for o in outs:
            sweep = adjoint(tape, vals, {o: 1.0}, record=record)
            result.adjoints.append(sweep)
            result.matrix.append([sweep.adjoints[tape.var_node[x]] for x in names])
    return result


def resolve_direction(given: Direction, names: Sequence[str], option: str, what: str
                      ) -> list[float]:
    """A vector given by name (``x=1,y=-1``) or by position (``1,-1``), checked."""
    if isinstance(given, Mapping):
        stray = [k for k in given if k not in names]
        if stray:
            raise InputError(f"{option} names {', '.join(stray)}, which is not one of the "
                             f"{what} ({', '.join(names)})")
        return [float(given.get(k, 0.0)) for k in names]
    values = [float(x) for x in given]
    if len(values) != len(names):
        raise InputError(f"{option} has {len(values)} entries, but there are {len(names)} "
                         f"{what} ({', '.join(names)})")
    return values


def jvp(expression: str | Tape, point: Mapping[str, float], direction: Direction,
        variables: Sequence[str] | None = None) -> VectorResult:
    """J·v with one tangent sweep."""
    s = prepare(expression, point, variables)
    tape, text, names, pt, vals = s.tape, s.expression, s.variables, s.point, s.values
    v = resolve_direction(direction, names, param("direction"), "inputs")
    sweep = tangent(tape, vals, dict(zip(names, v, strict=True)))
    result = VectorResult(text, tape, names, pt, vals, "forward",
                          "one tangent sweep seeded with v gives J·v", tangents=[sweep])
    result.matrix = [[sweep.tangents[o]] for o in tape.outputs]
    result.direction = v
    return result


def vjp(expression: str | Tape, point: Mapping[str, float], cotangent: Direction,
        variables: Sequence[str] | None = None, record: bool = False) -> VectorResult:
    """uᵀ·J with one adjoint sweep seeded on all outputs at once."""
    s = prepare(expression, point, variables)
    tape, text, names, pt, vals = s.tape, s.expression, s.variables, s.point, s.values
    u = resolve_direction(cotangent, tape.output_names, param("cotangent"), "outputs")
    seeds: dict[int, float] = {}
    for o, weight in zip(tape.outputs, u, strict=True):
        seeds[o] = seeds.get(o, 0.0) + weight
    sweep = adjoint(tape, vals, seeds, record=record)
    result = VectorResult(text, tape, names, pt, vals, "reverse",
                          "one adjoint sweep seeded with u on the outputs gives uᵀ·J",
                          adjoints=[sweep])
    result.matrix = [[sweep.adjoints[tape.var_node[x]] for x in names]]
    result.direction = u
    return result


@dataclass
class HessianResult:
    expression: str
    tape: Tape
    gradient_tape: Tape
    """The reverse sweep recorded as a tape: its outputs are ∂f/∂x_i."""
    variables: list[str]
    point: dict[str, float]
    values: list[float]
    """Every node's value (of ``tape``) at the point."""
    value: float
    gradient: list[float]
    matrix: list[list[float]]
    eigenvalues: list[float]
    tangents: list[TangentSweep] = field(default_factory=list)
    nondiff: list[int] = field(default_factory=list)
    """Nodes of ``tape`` at a non-differentiable point (grad's warnings)."""

    @property
    def curvature(self) -> str:
        """What the signs of the eigenvalues say, counted exactly (``inertia``) for the
        matrix as computed: an eigenvalue of -2e-20 next to 2 is negative, and the
        Hessian indefinite, however small it is."""
        if not self.eigenvalues:
            return "empty: f has no variables"
        found = inertia(self.matrix, self.eigenvalues)
        if found is None:
            return "unknown: its entries are not all finite doubles"
        pos, neg, zero = found
        n = pos + neg + zero
        counted = (f" (the signs of its eigenvalues, certain for these entries as computed: "
                   f"{pos} positive, {neg} negative, {zero} zero"
                   + ("; its eigenvalues are not finite doubles, their signs are exact)"
                      if not all(math.isfinite(e) for e in self.eigenvalues) else ")"))
        if pos == n:
            return ("positive definite: f is locally strictly convex here, a minimum if "
                    "∇f = 0" + counted)
        if neg == n:
            return ("negative definite: f is locally strictly concave here, a maximum if "
                    "∇f = 0" + counted)
        if pos and neg:
            return "indefinite: a saddle shape here" + counted
        if zero == n:
            return "zero: every second derivative is 0 here" + counted
        sign = "positive" if pos else "negative"
        return f"{sign} semidefinite and singular: flat in some direction here" + counted


def inertia(matrix: list[list[float]], eigenvalues: Sequence[float] | None = None
            ) -> tuple[int, int, int] | None:
    """(positive, negative, zero) eigenvalues of a symmetric matrix of doubles, counted
    exactly: the matrix is read as the rationals its doubles are, and a symmetric
    elimination in rationals (a congruence, so Sylvester's law of inertia keeps the
    counts) gives the signs, with a 2×2 pivot where the diagonal left is all 0.  ``None``
    when an entry is not finite.

    With ``eigenvalues`` (as ``eigenvalues`` computes them) the elimination is needed
    only where one is near 0: LAPACK's symmetric eigensolver is backward stable, so each
    computed eigenvalue is within a small multiple of n·eps·‖A‖ of an exact one (Weyl),
    and one further from 0 than 8·n·eps·‖A‖_F has its sign (measured, exact counting
    of a dense random 60×60 matrix: 2.7 s; most Hessians never need it)."""
    from fractions import Fraction

    if not all(math.isfinite(x) for row in matrix for x in row):
        return None
    n = len(matrix)
    if eigenvalues is not None and len(eigenvalues) == n:
        norm = math.hypot(*(x for row in matrix for x in row))  # scaled: no overflow
        bound = 8 * n * 2.0**-52 * norm
        if math.isfinite(norm) and all(abs(e) > bound for e in eigenvalues):
            pos = sum(1 for e in eigenvalues if e > 0)
            return pos, n - pos, 0
    a = [[(Fraction(matrix[i][j]) + Fraction(matrix[j][i])) / 2 for j in range(n)]
         for i in range(n)]  # the symmetric part, as the eigenvalues see it
    left = list(range(n))
    pos = neg = 0
    while left:
        k = next((k for k in left if a[k][k] != 0), None)
        if k is not None:
            d = a[k][k]
            pos, neg = (pos + 1, neg) if d > 0 else (pos, neg + 1)
            left.remove(k)
            col = [(i, a[i][k] / d) for i in left if a[i][k] != 0]
            for i, f in col:
                for j in left:
                    if a[k][j] != 0:
                        a[i][j] -= f * a[k][j]
            continue
        pair = next(((i, j) for i in left for j in left if i < j and a[i][j] != 0), None)
        if pair is None:
            break  # what is left is 0
        i, j = pair  # the block [[0, b], [b, 0]]: one positive, one negative eigenvalue
        b = a[i][j]
        pos, neg = pos + 1, neg + 1
        left.remove(i)
        left.remove(j)
        ai, aj = {p: a[p][i] for p in left}, {p: a[p][j] for p in left}
        for p in left:
            for q in left:
                a[p][q] -= (ai[p] * aj[q] + aj[p] * ai[q]) / b
    return pos, neg, n - pos - neg


def hessian(expression: str | Tape, point: Mapping[str, float],
            variables: Sequence[str] | None = None) -> HessianResult:
    """∇²f by forward-over-reverse: n tangent sweeps over the recorded reverse sweep."""
    s = prepare(expression, point, variables, scalar="hessian")
    tape, text, names, pt, vals = s.tape, s.expression, s.variables, s.point, s.values
    gtape, gvals = recorded_gradient(tape, tape.output, names, pt)
    columns, sweeps = [], []
    for name in names:
        sweep = recorded_tangent(gtape, gvals, {name: 1.0})
        sweeps.append(sweep)
        columns.append([sweep.tangents[o] for o in gtape.outputs])
    n = len(names)
    matrix = [[symmetric(columns[j][i], columns[i][j]) for j in range(n)] for i in range(n)]
    # The gradient's own kinks, as grad reports them (the second derivatives at a kink
    # follow the same convention: the rules are the same).
    first = adjoint(tape, vals, {tape.output: 1.0})  # the gradient and its kinks, grad's own
    return HessianResult(text, tape, gtape, names, pt, vals, vals[tape.output],
                         [first.adjoints[tape.var_node[n]] for n in names], matrix,
                         eigenvalues(matrix), sweeps, first.nondiff)


def eigenvalues(matrix: list[list[float]]) -> list[float]:
    """Eigenvalues of a symmetric matrix, ascending."""
    if not matrix:
        return []
    import numpy as np

    a = np.array(matrix, dtype=float)
    scale = float(np.max(np.abs(a))) if a.size else 0.0
    if not math.isfinite(scale) or scale == 0.0:
        return [0.0] * len(matrix) if scale == 0.0 else [math.nan] * len(matrix)
    return [float(x) * scale for x in np.linalg.eigvalsh(a / scale)]  # near 1e308: scaled
