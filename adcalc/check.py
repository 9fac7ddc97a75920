"""Finite-difference verification of a gradient (central differences)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from adcalc.errors import AdcalcError
from adcalc.sweeps import primal
from adcalc.tape import Tape

EPS = 2.0**-52
DEFAULT_TOL = 1e-6
RULE = "pass if |AD - FD| <= tol * max(1, |AD|)"


@dataclass
class CheckRow:
    """One variable's comparison."""

    name: str
    ad: float
    fd: float | None
    step: float
    passed: bool
    note: str = ""

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

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.rows)

    @property
    def failed(self) -> list[str]:
        return [r.name for r in self.rows if not r.passed]


def step_for(x: float) -> float:
    """h ≈ cbrt(eps)·max(1, |x|), rounded so that x ± h is exact."""
    h = EPS ** (1 / 3) * max(1.0, abs(x))
    return (x + h) - x


def central_difference(tape: Tape, point: Mapping[str, float], name: str) -> tuple[float, float]:
    """(∂f/∂name by central differences, the step used)."""
    x = point[name]
    h = step_for(x)
    up = primal(tape, {**point, name: x + h})[tape.output]
    down = primal(tape, {**point, name: x - h})[tape.output]
    return (up - down) / (2 * h), h


def check_gradient(tape: Tape, point: Mapping[str, float], gradient: Mapping[str, float],
                   tol: float = DEFAULT_TOL) -> CheckResult:
    """Compare each AD partial with its central difference against ``tol``."""
    rows = []
    for name, ad in gradient.items():
        try:
            fd, h = central_difference(tape, point, name)
        except AdcalcError as exc:
            rows.append(CheckRow(name, ad, None, step_for(point[name]), False,
                                 f"f is undefined at {name} ± h: {exc}"))
            continue
        ok = math.isfinite(fd) and abs(ad - fd) <= tol * max(1.0, abs(ad))
        rows.append(CheckRow(name, ad, fd, h, ok))
    return CheckResult(rows, tol)
