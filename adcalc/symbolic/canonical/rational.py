"""Rational functions cancelled fully: the greatest common divisor over ℚ of a
numerator and a denominator that is a polynomial in one variable (the numerator may
have other pieces: it is read as a polynomial in that variable whose coefficients are
polynomials in the rest, and the gcd with the denominator divides each of them).

``(3*x^2 - 12*x + 12)/(x^2 - 4)^2`` is ``3/(x + 2)^2``: gcd(3x² - 12x + 12, x² - 4) is
x - 2, which divides the numerator twice.  Exact division is ``divide``'s; this module
only finds what to divide by.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from adcalc.symbolic.canonical.limits import MAX_EXPANDED

Poly = dict[tuple, Any]
Dense = list[Fraction]
"""A polynomial in one variable: coefficients by degree, the last one non-zero."""

MAX_DEGREE = 24
"""The largest degree whose gcd is computed (Euclid's coefficients grow with it)."""


def common_factor(p: Poly, d: Poly) -> Poly | None:
    """A non-constant gcd of ``p`` and ``d`` (monic, as a ``Poly``), where ``d`` is a
    polynomial in one variable of whole non-negative powers; ``None`` where there is
    none, or the pieces are not of that form."""
    variables = {v for m in d for v, _ in m}
    if len(variables) != 1:
        return None
    (v,) = variables
    dd = _dense(d, v)
    if dd is None or len(dd) < 2:
        return None
    # p as Σ other_monomial · c(v): the gcd divides every c(v)
    parts: dict[tuple, Poly] = {}
    for mono, k in p.items():
        if type(k) not in (int, Fraction):
            return None
        e = dict(mono).get(v, 0)
        if type(e) is not int or e < 0:
            return None
        rest = tuple((w, f) for w, f in mono if w != v)
        parts.setdefault(rest, {})[((v, e),) if e else ()] = k
    g = dd
    for part in parts.values():
        c = _dense(part, v)
        if c is None:
            return None
        g = _gcd(g, c)
        if len(g) < 2:
            return None
    return {((v, n),) if n else (): int_if_whole(k) for n, k in enumerate(g) if k}


def _dense(p: Poly, v: int) -> Dense | None:
    out: dict[int, Fraction] = {}
    for mono, k in p.items():
        if len(mono) > 1 or type(k) not in (int, Fraction):
            return None
        e = mono[0][1] if mono else 0
        if mono and (mono[0][0] != v or type(e) is not int or e < 0):
            return None
        out[e] = Fraction(k)
    if not out or max(out) > MAX_DEGREE:
        return None
    return [out.get(n, Fraction(0)) for n in range(max(out) + 1)]


def _gcd(a: Dense, b: Dense) -> Dense:
    """Euclid over ℚ, the result monic."""
    steps = 0
    while b and any(b):
        a, b = b, _rem(a, b)
        steps += 1
        if steps > 4 * MAX_EXPANDED:
            return [Fraction(1)]
    lead = a[-1]
    return [k / lead for k in a]


def _rem(a: Dense, b: Dense) -> Dense:
    a = list(a)
    while len(a) >= len(b) and a:
        k = a[-1] / b[-1]
        shift = len(a) - len(b)
        for n, c in enumerate(b):
            a[n + shift] -= k * c
        a.pop()
        while a and a[-1] == 0:
            a.pop()
    return a


def int_if_whole(k: Fraction) -> Any:
    return k.numerator if k.denominator == 1 else k
