"""The gradient of a scalar expression at a point, by forward or reverse mode."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from adcalc.errors import InputError, option
from adcalc.evaluate import primal
from adcalc.forward import TangentSweep, tangent_sweep
from adcalc.parse import parse
from adcalc.profile import stage
from adcalc.reverse import AdjointSweep, adjoint_sweep
from adcalc.tape import Tape

MODES = ("reverse", "forward")


@dataclass
class Gradient:
    """Everything one gradient computation produced, for the API and the renderers."""

    expression: str
    tape: Tape
    order: list[str]
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

    @property
    def sweeps(self) -> int:
        """How many derivative sweeps were run."""
        return len(self.tangents) if self.mode == "forward" else 1

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


def variable_order(tape: Tape, order: Sequence[str] | None) -> list[str]:
    """The variables in the order asked for (``--vars``), checked against the tape."""
    if not order:
        return list(tape.variables)
    order = list(order)
    known = set(tape.variables)
    unknown = [n for n in order if n not in known]
    if unknown:
        near = _nearest(unknown[0], known - set(order))
        hint = f" (did you mean {near}?)" if near else ""
        raise InputError(f"{option('order')} names {_names(unknown)}, which the expression "
                         f"does not use"
                         f"{hint}; it uses {_names(tape.variables)}")
    if len(set(order)) != len(order):
        raise InputError(f"{option('order')} names a variable twice")
    missing = [n for n in tape.variables if n not in order]
    if missing:
        raise InputError(f"{option('order')} leaves out {_names(missing)}; list every variable")
    return order


def check_point(tape: Tape, point: Mapping[str, float], what: str = "point"
                ) -> dict[str, float]:
    """The point as floats, with every variable given and no stray names."""
    what = option(what)
    given = set(point)
    missing = [n for n in tape.variables if n not in given]
    stray = [n for n in point if n not in tape.var_node]
    if missing:
        near = _nearest(missing[0], set(stray))
        hint = f" ({what} gives {near}: a typo for {missing[0]}?)" if near else ""
        how = f"{what} {missing[0]}=…" if what.startswith("-") else f"{what}={{'{missing[0]}': …}}"
        raise InputError(
            f"no value for {_names(missing)}: give {'it' if len(missing) == 1 else 'them'} "
            f"with {how}{hint}")
    if stray:
        uses = _names(tape.variables) if tape.variables else "no variables"
        raise InputError(f"{what} gives {_names(stray)}, which the expression does not use "
                         f"(it uses {uses})")
    out = {}
    for n in tape.variables:
        try:
            out[n] = float(point[n])
        except (TypeError, ValueError):
            raise InputError(f"{what} gives {n} = {point[n]!r}: values must be numbers"
                             ) from None
    bad = [n for n, v in out.items() if not math.isfinite(v)]
    if bad:
        raise InputError(f"{what} gives {bad[0]} = {out[bad[0]]}: values must be finite")
    return out


def gradient(expression: str | Tape, point: Mapping[str, float], mode: str | None = None,
             order: Sequence[str] | None = None, seed: Mapping[str, float] | None = None,
             record: bool = False) -> Gradient:
    """Value and gradient of ``expression`` at ``point``.

    ``mode="reverse"`` (the default) runs one adjoint sweep; ``"forward"`` runs one
    tangent sweep per variable, or a single sweep along ``seed`` (a seed implies
    forward).  ``record`` keeps each adjoint contribution for the trace tables.
    """
    if mode is None:
        mode = "forward" if seed is not None else "reverse"
    if mode not in MODES:
        raise InputError(f"unknown mode {mode!r}: use reverse or forward")
    with stage("parse + tape"):
        tape = parse(expression) if isinstance(expression, str) else expression
    text = expression if isinstance(expression, str) else ""
    require_scalar(tape, "grad")
    names = variable_order(tape, order)
    pt = check_point(tape, point)
    with stage("primal sweep"):
        vals = primal(tape, pt)
    out = tape.output
    result = Gradient(text, tape, names, pt, mode, vals, vals[out], {})
    if seed is not None:
        check_seed(tape, seed, mode)
        with stage("tangent sweep"):
            sweep = tangent_sweep(tape, vals, seed)
        result.tangents = [sweep]
        result.seed = {n: float(seed.get(n, 0.0)) for n in names}
        result.directional = sweep.tangents[out]
        return result
    if mode == "forward":
        for name in names:
            with stage(f"tangent sweep ∂/∂{name}"):
                sweep = tangent_sweep(tape, vals, {name: 1.0})
            result.tangents.append(sweep)
            result.gradient[name] = sweep.tangents[out]
    else:
        with stage("adjoint sweep"):
            sweep = adjoint_sweep(tape, vals, record=record)
        result.adjoint = sweep
        result.gradient = {n: sweep.adjoints[tape.var_node[n]] for n in names}
    return result


def check_seed(tape: Tape, seed: Mapping[str, float], mode: str | None) -> None:
    """A seed names variables of the expression and goes with forward mode."""
    stray = [n for n in seed if n not in tape.var_node]
    if stray:
        raise InputError(f"{option('seed')} gives {_names(stray)}, which the expression does "
                         "not use")
    if mode == "reverse":
        raise InputError(f"{option('seed')} is a forward-mode direction: use it with "
                         f"{option('mode')} forward")


def require_scalar(tape: Tape, command: str) -> None:
    """A gradient or Hessian needs one scalar result."""
    m = len(tape.outputs)
    if m != 1:
        raise InputError(f"{command} needs a scalar expression, and this one has {m} "
                         "results; use jacobian (or jvp / vjp) for vector functions")


def grad(expression: str, /, **point: float) -> GradResult:
    """Value and gradient: ``adcalc.grad("x*y + x^2", x=2, y=3)`` → ``(10.0, {x: 7, y: 2})``."""
    g = gradient(expression, point)
    return GradResult(g.value, g.gradient)


def _names(names: Sequence[str]) -> str:
    return ", ".join(names)


def _nearest(name: str, candidates: set[str]) -> str | None:
    import difflib

    near = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.5)
    return near[0] if near else None
