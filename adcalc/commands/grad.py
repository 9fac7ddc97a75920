"""grad: the value and gradient of a scalar expression at a point, by either mode."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from adcalc.commands.common import check_seed, prepare
from adcalc.engine.profile import stage
from adcalc.engine.sweeps import AdjointSweep, TangentSweep, adjoint, tangent
from adcalc.engine.tape import Tape
from adcalc.errors import InputError, param

MODES = ("reverse", "forward")


@dataclass
class Gradient:
    """Everything one gradient computation produced, for the API and the renderers."""

    expression: str
    tape: Tape
    variables: list[str]
    point: dict[str, float]
    mode: str
    values: list[float]
    value: float
    gradient: dict[str, float]
    tangents: list[TangentSweep] = field(default_factory=list)
    adjoint: AdjointSweep | None = None
    seed: dict[str, float] | None = None
    directional: float | None = None
    """With a seed direction: the directional derivative ∇f·s."""
    arithmetic: str = "double"
    """``double``, ``exact`` (rationals where they can be) or ``N digits`` (mpmath)."""
    fallbacks: list[int] = field(default_factory=list)
    """With ``exact``: the steps that could not be exact (doubles from there on)."""
    double_gradient: dict[str, float] | None = None
    """With ``exact`` or ``digits``: the gradient of the usual double sweep, which
    ``--check`` compares with this one."""
    kinks: dict[str, str] = field(default_factory=dict)
    """With ``exact`` or ``digits``: by variable, the kinks its partial flows through
    (in doubles or in the other arithmetic), where a reference that runs the same rules
    cannot confirm the convention (``check.reference_check``)."""

    @property
    def sweeps(self) -> int:
        """How many derivative sweeps were run."""
        return len(self.tangents) if self.mode == "forward" else 1

    @property
    def decisions(self) -> list:
        """A program's decisions on the path taken (``Decision``: the comparison, its
        outcome, ``boundary`` when its sides are equal here); empty for a formula."""
        return list(self.tape.decisions)

    @property
    def warnings(self) -> list[str]:
        """What the path warns of (a branch boundary, a binding never used)."""
        return list(self.tape.warnings)

    @property
    def nondiff(self) -> list[int]:
        """Nodes where a non-differentiable point's convention was used."""
        nodes = self.adjoint.nondiff if self.adjoint else []
        nodes = nodes + [i for t in self.tangents for i in t.nondiff]
        return sorted(set(nodes), reverse=True)


class GradResult(NamedTuple):
    """What ``adcalc.grad`` returns: the value and the gradient by variable name."""

    value: float
    gradient: dict[str, float]


def gradient(expression: str | Tape, point: Mapping[str, float], mode: str | None = None,
             variables: Sequence[str] | None = None, seed: Mapping[str, float] | None = None,
             record: bool = False, exact: bool = False, digits: int | None = None
             ) -> Gradient:
    """Value and gradient of ``expression`` at ``point``.

    ``mode="reverse"`` (the default) runs one adjoint sweep; ``"forward"`` runs one
    tangent sweep per variable, or a single sweep along ``seed`` (a seed implies
    forward).  ``variables`` orders the inputs.  ``record`` keeps each adjoint
    contribution for the trace tables.  ``exact``: the sweeps in rationals wherever the
    operations allow; ``digits``: in ``digits`` significant digits (``adcalc.precise``).
    """
    if mode is None:
        mode = "forward" if seed is not None else "reverse"
    if mode not in MODES:
        raise InputError(f"unknown mode {mode!r}: use reverse or forward")
    if (exact or digits is not None) and (mode != "reverse" or seed is not None):
        raise InputError(f"{param('exact')} and {param('digits')} run the reverse sweep: "
                         f"leave out {param('mode', 'forward')} and {param('seed')}")
    s = prepare(expression, point, variables, scalar="grad")
    tape, vals, out = s.tape, s.values, s.tape.output
    result = Gradient(s.expression, tape, s.variables, s.point, mode, vals, vals[out], {})
    if seed is not None:
        check_seed(tape, seed, mode)
        with stage("tangent sweep"):
            sweep = tangent(tape, vals, {n: float(v) for n, v in seed.items()})
        result.tangents = [sweep]
        result.seed = {n: float(seed.get(n, 0.0)) for n in s.variables}
        result.directional = sweep.tangents[out]
        return result
    if mode == "forward":
        for name in s.variables:
            with stage(f"tangent sweep ∂/∂{name}"):
                sweep = tangent(tape, vals, {name: 1.0})
            result.tangents.append(sweep)
            result.gradient[name] = sweep.tangents[out]
    else:
        with stage("adjoint sweep"):
            sweep = adjoint(tape, vals, {out: 1.0}, record=record)
        result.adjoint = sweep
        result.gradient = {n: sweep.adjoints[tape.var_node[n]] for n in s.variables}
    if exact or digits is not None:
        _other_arithmetic(result, expression, point, exact, digits, record)
    return result


def _other_arithmetic(result: Gradient, expression: str | Tape, point: Mapping[str, float],
                      exact: bool, digits: int | None, record: bool) -> None:
    """The same sweeps again, exactly or in ``digits`` digits, in place of the doubles
    (the double sweep ran first: its domain errors and warnings are the usual ones)."""
    from adcalc.symbolic.precise import run

    if exact and digits is not None:
        raise InputError(f"{param('exact')} and {param('digits')}: choose one (exact "
                         "rationals, or a number of significant digits)")
    if not isinstance(expression, str):
        raise InputError(f"{param('exact')} and {param('digits')} read the expression's "
                         "text: give an EXPRESSION rather than a Python function")
    with stage("exact sweeps" if exact else "precise sweeps"):
        p = run(expression, point, result.variables, exact, digits, record)
    _decided_in_doubles(p, "exact rationals" if exact else f"{digits} digits")
    result.kinks = _kinks_by_variable(result, p)
    result.double_gradient = result.gradient
    result.tape, result.values, result.adjoint = p.tape, p.values, p.sweep
    result.gradient, result.value = p.gradient, p.values[p.tape.output]
    result.arithmetic = "exact" if exact else f"{digits} digits"
    result.fallbacks = p.fallbacks


def _decided_in_doubles(p: Any, arithmetic: str) -> None:
    """A program's path is decided in doubles (``Program.trace``): where the sides of a
    decision are equal in the other arithmetic, or compare the other way, its tape marks
    the boundary and warns (``0.1*3 > 0.3`` is true in doubles, 3/10 > 3/10 is not)."""
    from dataclasses import replace

    tape, vals = p.tape, p.values
    for k, d in enumerate(tape.decisions):
        if tape.is_const(d.left) and tape.is_const(d.right):
            continue
        a, b = vals[d.left], vals[d.right]
        try:
            equal, holds = bool(a == b), bool(d.holds(vals))
        except (TypeError, ValueError):  # pragma: no cover - numbers that do not compare
            continue
        if holds and (not equal or d.boundary):  # (a boundary in doubles is warned of)
            continue
        if not d.boundary:
            tape.decisions[k] = replace(d, boundary=True)
        where = f" at {d.where}" if d.where else ""
        how = (f"are equal: the point is on the boundary of {d.comparison} there" if equal
               else f"make {d.comparison} come out {not d.outcome}: the point is on the other "
               "side of its boundary there")
        tape.warnings.append(
            f"warning: {d.label}{where}: the path was decided in doubles ({d.comparison} came "
            f"out {d.outcome}); in {arithmetic} its sides ({float(a)!r} and {float(b)!r}) "
            f"{how}, and the other side's derivative may differ")


def _kinks_by_variable(result: Gradient, p: object) -> dict[str, str]:
    """By variable, the kinks its partial flows through (at a branch boundary of a
    program, the partials in the variables its sides read), in doubles (``result``, before
    the other arithmetic replaces it) or in the other arithmetic (``p``: ``0.1*3 - 0.3``
    is 0 exactly, not in doubles)."""
    from adcalc.engine.check import kink_text, on_boundary
    from adcalc.engine.sweeps import FLOATS, kinks

    out = {}
    for name in result.variables:
        said = []
        for tape, vals in ((result.tape, result.values), (p.tape, p.values)):  # type: ignore[attr-defined]
            if name in tape.var_node:
                nodes = kinks(tape, vals, FLOATS, [tape.var_node[name]], tape.outputs)
                if nodes:
                    said.append(kink_text(tape, vals, nodes))
        if said:
            out[name] = said[0] if len(said) == 1 or said[0] == said[1] else "; ".join(said)
    vals = result.values
    side, moved = on_boundary(result.tape)
    if side is None:
        side, moved = on_boundary(p.tape)  # type: ignore[attr-defined]
        vals = p.values  # type: ignore[attr-defined]
    if side is not None:  # a branch boundary: a kink of the partials in the variables
        said = (f"the branch boundary of {side.label}: both sides of {side.comparison} are "
                f"{float(vals[side.left])!r}")  # its sides read (as check_gradient)
        for name in result.variables:
            if name in moved:
                out[name] = f"{out[name]}; {said}" if name in out else said
    return out


def grad(expression: str, /, **point: float) -> GradResult:
    """Value and gradient: ``adcalc.grad("x*y + x^2", x=2, y=3)`` → ``(10.0, {x: 7, y: 2})``."""
    g = gradient(expression, point)
    return GradResult(g.value, g.gradient)
