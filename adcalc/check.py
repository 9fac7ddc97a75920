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
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from adcalc.errors import AdcalcError
from adcalc.sweeps import primal
from adcalc.tape import Tape

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


def ridders(f: Callable[[float], float], h: float, steps: int = 10
            ) -> tuple[float, float, float]:
    """(derivative at 0 of ``f(t)``, its error estimate, the first step) by Ridders'
    method: central differences at h, h/1.4, … extrapolated in a Neville tableau
    (Numerical Recipes' ``dfridr``), the error never below f's rounding over the step."""
    con, con2, safe = 1.4, 1.96, 2.0
    size = 0.0  # the largest |f| met: its rounding is the differences' noise floor

    def difference(step: float) -> float:
        nonlocal size
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


def estimate(f: Callable[[float], float], scale: float) -> tuple[float, float, float] | None:
    """The best Ridders estimate over starting steps scale/10 … scale·1e-6, each shrunk
    until ``f`` is defined on both sides; None if it is nowhere."""
    best = None
    for k in range(1, 7):
        h = scale * 10.0**-k
        try:
            result = ridders(f, h)
        except (AdcalcError, ArithmeticError, ValueError):
            continue
        if not all(map(math.isfinite, result[:2])):
            continue
        if best is None or result[1] < best[1]:
            best = result
        if best[1] <= 1e-13 * abs(best[0]):
            break
    return best


def judge(name: str, ad: float, f: Callable[[float], float], scale: float, tol: float
          ) -> CheckRow:
    found = estimate(f, scale)
    if found is None:
        return CheckRow(name, ad, None, 0.0, False, "cannot check: f is undefined on both "
                        "sides at every step tried")
    fd, err, h = found
    size = tol * max(abs(ad), abs(fd))
    if abs(ad - fd) > size + 4 * err:
        return CheckRow(name, ad, fd, h, False, "", err)
    if err > max(size, FLOOR):
        return CheckRow(name, ad, fd, h, False, "cannot check: the differences are too noisy "
                        f"here (their error {err:.1e} is above the tolerance)", err)
    return CheckRow(name, ad, fd, h, True, "", err)


def check_gradient(tape: Tape, point: Mapping[str, float], gradient: Mapping[str, float],
                   tol: float = DEFAULT_TOL, seed: Mapping[str, float] | None = None,
                   directional: float | None = None) -> CheckResult:
    """Compare each AD partial (or, with ``seed``, the directional derivative
    ``directional``) with Ridders' finite-difference estimate."""
    out = tape.output

    def along(direction: Mapping[str, float]) -> Callable[[float], float]:
        return lambda t: primal(tape, {n: point[n] + t * direction.get(n, 0.0)
                                       for n in point})[out]

    if seed is not None:
        assert directional is not None
        norm = max([abs(v) for v in seed.values()] + [0.0])
        scale = max([abs(point[n]) for n, v in seed.items() if v] + [1.0]) / max(norm, 1e-300)
        return CheckResult([judge("∇f·s", directional, along(seed), scale, tol)], tol)
    rows = [judge(name, ad, along({name: 1.0}), abs(point[name]) or 1.0, tol)
            for name, ad in gradient.items()]
    return CheckResult(rows, tol)


def reference_check(ad: Mapping[str, float], reference: Mapping[str, Any], tol: float,
                    what: str, digits: int | None = None) -> CheckResult:
    """Compare the double sweep's gradient ``ad`` with the same sweeps run in more
    precision (``reference``: rationals, or mpmath numbers of ``digits`` significant
    digits, whose own error is half a unit in their last digit).  A reference too coarse
    to tell at ``tol`` cannot verify, as a noisy difference cannot."""
    rows = []
    for name, a in ad.items():
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

