"""Finite-difference verification of a gradient, trustworthy both ways.

Each partial (or, with a seed, the directional derivative) is estimated by Ridders'
method: central differences at shrinking steps, extrapolated to step 0 (a Neville
tableau), which also gives an error estimate.  Several starting steps are tried, scaled
to the point (``|x|/10`` down to ``|x|·1e-6``, or 1 down to 1e-6 at 0), and a step whose
stencil leaves the domain (``log`` near 0) is shrunk until it fits; the estimate with the
smallest error is kept.  The verdict compares with that error in mind:

* pass: ``|AD - FD| <= tol·max(|AD|, |FD|) + 4·err`` and ``err`` within
  ``max(tol·max(|AD|, |FD|), FLOOR)`` (1e-12: the noise floor below which agreeing
  differences are agreement, as for a derivative of 0);
* fail: ``|AD - FD| > tol·max(|AD|, |FD|) + 4·err``;
* cannot check: differences are too noisy here to tell (``err`` above the tolerance,
  ``1e4 + 1e-8*x^2``), or ``f`` is undefined on both sides.  That is not a pass.

The error estimate must be one to trust: the best estimate is compared with the next
best, from another starting step, and where the two disagree beyond both their errors
(``(exp(x)-1-x)/x^2`` at 1e-6, whose rounding makes every difference noise) their
disagreement is the error, so the check cannot verify rather than fail.

Where a derivative flows through a kink the point sits on (``abs``, ``relu``, a tie of
``max`` at the point: the nodes the sweeps warn at), a central difference averages the
two sides and would judge the convention.  So both one-sided derivatives are estimated
instead: if they agree, ``f`` is differentiable there and AD is judged against their
common value (``x*abs(x)`` at 0 passes, ``sign(x)*abs(x)`` at 0 fails: its derivative is
1, the conventions give 0); if they differ, ``f`` has no derivative there, AD's number is
the convention, and the check says it cannot verify that.  A ``stop_gradient`` on the
way is held at its value while the differences are taken: what AD differentiates is
``f`` with that value fixed, while ``f`` itself sees through it.

A reference in more precision (``reference_check``) runs the same rules, so at a kink it
cannot confirm a convention either: those rows cannot be checked.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from adcalc.engine.primitives import CONST, OPCODE
from adcalc.engine.sweeps import primal, tangent
from adcalc.engine.tape import Tape
from adcalc.errors import AdcalcError

EPS = 2.0**-52
DEFAULT_TOL = 1e-6
FLOOR = 1e-12
"""Below this absolute error, differences that agree are agreement (a derivative of 0)."""
RULE = ("pass if |AD - FD| <= tol·max(|AD|, |FD|) + 4·err, err being FD's own error, and "
        f"err <= max(tol·max(|AD|, |FD|), {FLOOR:g})")
METHOD = "Ridders' extrapolated central differences, steps scaled to |x|"


@dataclass
class CheckRow:
    """One variable's (or the seed direction's) comparison."""

    name: str
    ad: float
    fd: float | None
    step: float
    passed: bool
    note: str = ""
    error: float | None = None
    """The difference estimate's own error (Ridders)."""

    @property
    def abs_error(self) -> float | None:
        return None if self.fd is None else abs(self.ad - self.fd)

    @property
    def rel_error(self) -> float | None:
        if self.fd is None:
            return None
        scale = max(abs(self.ad), abs(self.fd))
        return 0.0 if scale == 0 else abs(self.ad - self.fd) / scale


@dataclass
class CheckResult:
    rows: list[CheckRow]
    tol: float
    method: str = METHOD
    rule: str = RULE
    reference: str = "FD"
    """What AD is compared with: finite differences, or a sweep in more precision."""

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.rows)

    @property
    def failed(self) -> list[str]:
        return [r.name for r in self.rows if not r.passed]

    @property
    def worst(self) -> CheckRow | None:
        """The row furthest from passing (largest |AD - FD| beyond its allowance)."""
        if not self.rows:
            return None
        return max(self.rows, key=lambda r: math.inf if r.fd is None else (
            (r.abs_error or 0.0) - self.tol * max(abs(r.ad), abs(r.fd)) - 4 * (r.error or 0.0)))


def step_for(x: float) -> float:
    """h ≈ cbrt(eps)·max(1, |x|), rounded so that x ± h is exact (a plain central
    difference's step, for callers that want one)."""
    h = EPS ** (1 / 3) * max(1.0, abs(x))
    return (x + h) - x


def central_difference(tape: Tape, point: Mapping[str, float], name: str) -> tuple[float, float]:
    """(∂f/∂name by one central difference, the step used)."""
    x = point[name]
    h = step_for(x)
    up = primal(tape, {**point, name: x + h})[tape.output]
    down = primal(tape, {**point, name: x - h})[tape.output]
    return (up - down) / (2 * h), h


def ridders(f: Callable[[float], float], h: float, steps: int = 10, side: int = 0
            ) -> tuple[float, float, float]:
    """(derivative at 0 of ``f(t)``, its error estimate, the first step) by Ridders'
    method: central differences at h, h/1.4, … extrapolated in a Neville tableau
    (Numerical Recipes' ``dfridr``), the error never below f's rounding over the step.

    ``side`` +1 or -1: the one-sided derivative on that side, from the differences
    ``(f(±h) - f(0))/±h``, whose error has every power of h (not only the even ones), so
    the tableau extrapolates with the ratio of the steps rather than its square."""
    con, safe = 1.4, 2.0
    con2 = 1.96 if side == 0 else con
    size = 0.0  # the largest |f| met: its rounding is the differences' noise floor
    here = f(0.0) if side else 0.0

    def difference(step: float) -> float:
        nonlocal size
        if side:
            there = f(side * step)
            size = max(size, abs(there), abs(here))
            return (there - here) / (side * step)
        up, down = f(step), f(-step)
        size = max(size, abs(up), abs(down))
        return (up - down) / (2 * step)

    table = [[difference(h)]]
    best, err = table[0][0], math.inf
    hh = h
    for i in range(1, steps):
        hh /= con
        row = [difference(hh)]
        fac = con2
        for j in range(1, i + 1):
            row.append((row[j - 1] * fac - table[i - 1][j - 1]) / (fac - 1))
            fac *= con2
            errt = max(abs(row[j] - row[j - 1]), abs(row[j] - table[i - 1][j - 1]))
            if errt <= err:
                err, best = errt, row[j]
        table.append(row)
        if abs(row[i] - table[i - 1][i - 1]) >= safe * err:
            break
    # The tableau cannot see rounding that repeats at every step (1e4 + 1e-8*x^2): the
    # error is at least the rounding of f over the smallest step.
    return best, max(err, 2 * EPS * size / hh), h


class OffPath(ArithmeticError):
    """A difference's step takes a traced program off its path (``label``: the decision
    that would flip)."""

    def __init__(self, label: str) -> None:
        super().__init__(f"the step leaves the path the program took at the point ({label})")
        self.label = label


def estimate(f: Callable[[float], float], scale: float, side: int = 0,
             off: list[str] | None = None) -> tuple[float, float, float] | None:
    """The best Ridders estimate over starting steps scale/10 … scale·1e-6, each shrunk
    until ``f`` is defined on both sides; None if it is nowhere.

    Its error is one to trust: the best estimate must agree with the next best (another
    starting step) within both their errors, or their disagreement is its error.  The
    tableau alone can be fooled where rounding makes every difference noise: at one
    starting step two noisy entries may agree by chance (``(exp(x)-1-x)/x^2`` at 1e-6
    gives -3.1e6 with an error of 4e-4 from one step, -29005 from another, while the
    derivative is 1/6).  ``off``: the decisions a failed step would flip are added to
    it (a step that left the path, not one where f is undefined)."""
    found = []
    for k in range(1, 7):
        h = scale * 10.0**-k
        try:
            result = ridders(f, h, side=side)
        except OffPath as exc:
            if off is not None and exc.label not in off:
                off.append(exc.label)
            continue
        except (AdcalcError, ArithmeticError, ValueError):
            continue
        if not all(map(math.isfinite, result[:2])):
            continue
        found.append(result)
        if len(found) >= 2 and min(r[1] for r in found) <= 1e-13 * abs(found[0][0]):
            break
    if not found:
        return None
    found.sort(key=lambda r: r[1])
    best = found[0]
    if len(found) > 1:
        other = found[1]
        apart = abs(best[0] - other[0])
        if apart > 4 * (best[1] + other[1]):
            return best[0], max(best[1], apart), best[2]
    return best


def judge(name: str, ad: float, f: Callable[[float], float], scale: float, tol: float,
          kink: str = "", held: str = "") -> CheckRow:
    """One row.  ``kink``: the kinks the derivative flows through at this point (then
    one-sided differences decide, see the module); ``held``: the stop_gradients held at
    their values (said in the row's note)."""
    if kink:
        return _judge_at_kink(name, ad, f, scale, tol, kink, held)
    off: list[str] = []
    found = estimate(f, scale, off=off)
    if found is None:
        if off:  # a traced program near (not on) a boundary: the steps cross it
            return CheckRow(name, ad, None, 0.0, False, "cannot check: the point is this "
                            f"close to a branch boundary ({off[0]}): every step tried "
                            "crosses it, so differences of the path taken cannot be made")
        return CheckRow(name, ad, None, 0.0, False, "cannot check: f is undefined on both "
                        "sides at every step tried")
    fd, err, h = found
    return _verdict(name, ad, fd, err, h, tol, held)


def _verdict(name: str, ad: float, fd: float, err: float, h: float, tol: float, held: str,
             why: str = "") -> CheckRow:
    size = tol * max(abs(ad), abs(fd))
    note = "; ".join(x for x in (why, held) if x)
    if abs(ad - fd) > size + 4 * err:
        return CheckRow(name, ad, fd, h, False, f"FAIL: {note}" if note else "", err)
    if err > max(size, FLOOR):
        return CheckRow(name, ad, fd, h, False, "cannot check: the differences are too noisy "
                        f"here (their error {err:.1e} is above the tolerance)"
                        + (f"; {note}" if note else ""), err)
    return CheckRow(name, ad, fd, h, True, note, err)


def _judge_at_kink(name: str, ad: float, f: Callable[[float], float], scale: float,
                   tol: float, kink: str, held: str) -> CheckRow:
    """At a kink: both one-sided derivatives.  Equal: f is differentiable here, and AD
    is judged against them.  Not equal (or not to be told apart): AD's number is a
    convention, which differences cannot confirm."""
    right, left = estimate(f, scale, 1), estimate(f, scale, -1)
    where = f"at a kink ({kink})"
    if right is None or left is None:
        return CheckRow(name, ad, None, 0.0, False, f"cannot check: {where}, and f is "
                        "undefined on one side: the derivative there is a convention, which "
                        "finite differences cannot confirm")
    (r, er, h), (lo, el, _) = right, left
    size = tol * max(abs(r), abs(lo))
    if abs(r - lo) > size + 4 * (er + el):
        return CheckRow(name, ad, None, h, False, f"cannot check: {where}: the one-sided "
                        f"derivatives differ ({lo:.6g} from the left, {r:.6g} from the right), "
                        "so f has no derivative here and AD's value is the convention, which "
                        "finite differences cannot confirm")
    fd = (r + lo) / 2
    err = max(er, el) + abs(r - lo) / 2
    if err > max(size, FLOOR):
        return CheckRow(name, ad, fd, h, False, f"cannot check: {where}: the one-sided "
                        f"differences are too noisy (their error {err:.1e}) to tell whether f "
                        "has a derivative here", err)
    return _verdict(name, ad, fd, err, h, tol, held,
                    f"{where}, but both one-sided derivatives are {fd:.6g}: f is "
                    "differentiable here, compared with them")


_STOP = OPCODE["stop_gradient"]


def _held(tape: Tape, vals: list[float]) -> tuple[Tape, str]:
    """``tape`` with each stop_gradient replaced by its value here, and what was held
    (empty, and ``tape`` itself, where there is none)."""
    stops = [i for i, op in enumerate(tape.ops) if op == _STOP]
    if not stops:
        return tape, ""
    from adcalc.engine.describe import operation

    labels = tape.labels()
    what = ", ".join(f"{labels[i]} = {operation(tape, labels, i)}" for i in stops[:3])
    held = tape.copy()
    for i in stops:
        held.ops[i], held.consts[i], held.a0[i], held.a1[i] = CONST, vals[i], -1, -1
    return held, (f"finite differences of f with stop_gradient held at its value here "
                  f"({what}{', …' if len(stops) > 3 else ''}): f itself sees through it, "
                  "AD by design does not")


def kink_text(tape: Tape, vals: list, nodes: list[int]) -> str:
    """The kinks ``nodes`` in a few words: ``v2 = abs(v0) at v0 = 0.0``."""
    from adcalc.engine.describe import args_of, operation

    labels = tape.labels()
    out = []
    for i in sorted(set(nodes), reverse=True)[:3]:
        at = ", ".join(f"{labels[a]} = {float(vals[a])!r}" for a in args_of(tape, i)
                       if tape.ops[a] != CONST)
        out.append(f"{labels[i]} = {operation(tape, labels, i)} at {at}")
    return "; ".join(out) + ("; …" if len(set(nodes)) > 3 else "")


def check_gradient(tape: Tape, point: Mapping[str, float], gradient: Mapping[str, float],
                   tol: float = DEFAULT_TOL, seed: Mapping[str, float] | None = None,
                   directional: float | None = None) -> CheckResult:
    """Compare each AD partial (or, with ``seed``, the directional derivative
    ``directional``) with Ridders' finite-difference estimate."""
    out = tape.output
    vals = primal(tape, point)
    held, why = _held(tape, vals)

    def along(direction: Mapping[str, float]) -> Callable[[float], float]:
        if tape.decisions:  # a traced program: differences only along the path it took
            return lambda t: _on_path(held, primal(held, {n: point[n] + t * direction.get(
                n, 0.0) for n in point}))[out]
        return lambda t: primal(held, {n: point[n] + t * direction.get(n, 0.0)
                                       for n in point})[out]

    d, moved = on_boundary(tape)
    note = "" if d is None else (
        f"cannot check: the point is on a branch boundary ({d.label}: both sides of "
        f"{d.comparison} are {float(vals[d.left])!r}); the derivative is the path's taken, "
        "the other side's may differ, and finite differences cannot confirm which is meant")
    # a branch boundary is a kink no difference along one path can judge, in the
    # directions that move its sides (moving another variable keeps the decision)
    if seed is not None and any(v and n in moved for n, v in seed.items()):
        return CheckResult([CheckRow("∇f·s", directional, None, 0.0, False, note)], tol,
                           METHOD)

    def kinks(direction: Mapping[str, float]) -> str:
        nodes = tangent(tape, vals, dict(direction)).nondiff
        return kink_text(tape, vals, nodes) if nodes else ""

    if seed is not None:
        assert directional is not None
        norm = max([abs(v) for v in seed.values()] + [0.0])
        scale = max([abs(point[n]) for n, v in seed.items() if v] + [1.0]) / max(norm, 1e-300)
        one = [judge("∇f·s", directional, along(seed), scale, tol, kinks(seed), why)]
        return CheckResult(one, tol, _method(one, why))
    rows = [CheckRow(name, ad, None, 0.0, False, note) if name in moved else
            judge(name, ad, along({name: 1.0}), abs(point[name]) or 1.0, tol,
                  kinks({name: 1.0}), why)
            for name, ad in gradient.items()]
    return CheckResult(rows, tol, _method(rows, why))


def on_boundary(tape: Tape) -> tuple[Any, set[str]]:
    """The first decision of a traced program whose sides are equal at the point (or
    ``None``), and the inputs the sides of every such decision read: a partial in one of
    them is a kink's (one loop over the tape, no recursion)."""
    sides = [n for d in tape.decisions if d.boundary for n in (d.left, d.right)]
    first = next((d for d in tape.decisions if d.boundary), None)
    return first, set(tape.reads(*sides))


def _on_path(tape: Tape, vals: list[float]) -> list[float]:
    """``vals`` if they take the path ``tape`` records; a step that leaves it (a decision
    of the traced program would flip) is no difference of this path: it is not used."""
    if not tape.on_path(vals):
        d = next(d for d in tape.decisions if not d.holds(vals))
        raise OffPath(f"{d.label}: {d.comparison} would come out {not d.outcome}")
    return vals


def _method(rows: list[CheckRow], held: str) -> str:
    method = METHOD
    if any(r.note.startswith(("at a kink", "FAIL: at a kink")) for r in rows):
        method += "; one-sided at a kink, where the derivative flows through one"
    if held:
        method += "; stop_gradient held at its value"
    return method


def reference_check(ad: Mapping[str, float], reference: Mapping[str, Any], tol: float,
                    what: str, digits: int | None = None,
                    kinks: Mapping[str, str] | None = None) -> CheckResult:
    """Compare the double sweep's gradient ``ad`` with the same sweeps run in more
    precision (``reference``: rationals, or mpmath numbers of ``digits`` significant
    digits, whose own error is half a unit in their last digit).  A reference too coarse
    to tell at ``tol`` cannot verify, as a noisy difference cannot.  ``kinks``: by
    variable, the kinks its partial flows through (``Gradient.kinks``): the reference
    runs the same rules, so there it cannot confirm the convention."""
    rows = []
    for name, a in ad.items():
        if kinks and kinks.get(name):
            ref = float(reference[name])
            hint = "" if "branch boundary" in kinks[name] else (
                " (--check without --exact or --precision tells from both sides whether f "
                "has a derivative here)")  # (differences cannot judge a branch boundary)
            rows.append(CheckRow(name, a, ref, 0.0, False, f"cannot check: at a kink "
                                 f"({kinks[name]}): the reference runs the same rules, so it "
                                 f"cannot confirm the convention{hint}", None))
            continue
        ref = float(reference[name])
        err = 0.0 if digits is None else 0.5 * 10.0 ** (1 - digits) * abs(ref)
        if digits is not None:
            ref = float(f"{ref:.{digits}g}")  # the reference is what it claims: N digits
        size = tol * max(abs(a), abs(ref))
        if abs(a - ref) > size + err and a != ref:
            rows.append(CheckRow(name, a, ref, 0.0, False, "FAIL", err))
        elif err > size:
            rows.append(CheckRow(name, a, ref, 0.0, False, f"cannot check: {digits} digits "
                                 f"cannot tell at tol = {tol:g} (the reference's error is "
                                 f"{err:.1e}): ask for more --precision", err))
        else:
            rows.append(CheckRow(name, a, ref, 0.0, True, "", err))
    return CheckResult(rows, tol, f"reference: the same sweeps in {what}",
                       "pass if |AD - ref| <= tol·max(|AD|, |ref|) + err, err being the "
                       "reference's own error, and err <= tol·max(|AD|, |ref|)", "reference")

