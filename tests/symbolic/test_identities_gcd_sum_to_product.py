"""Rational functions of several variables cancelled by their gcd over ℚ
(``canonical/rational``), and sums of sines or cosines meeting as products (Fu's TR9,
through the normal form: ``cos(x) + cos(3*x)`` is ``2*cos(x)*cos(2*x)`` there, so it
cancels against ``cos(2*x)``): the exercises print as a person writes them, the gcd is
SymPy's (an independent oracle) up to a constant, and every rewrite holds at random
points to 30 digits (mpmath) over random quotients of products of polynomials and of
sums of sines and cosines.  (The exercises are in ``test_identities.EXERCISES``.)"""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from adcalc.symbolic.canonical.rational import common_factor
from tests.symbolic.test_identities import same_at_random_points


def _random_poly(rng: random.Random, variables: list[int], degree: int) -> dict:
    """A polynomial of at most ``degree`` with small whole coefficients, non-constant."""
    p: dict = {}
    while not any(m for m in p):
        p = {}
        for _ in range(rng.randint(2, 4)):
            mono: dict[int, int] = {}
            for _ in range(rng.randint(0, degree)):
                v = rng.choice(variables)
                mono[v] = mono.get(v, 0) + 1
            key = tuple(sorted(mono.items()))
            p[key] = p.get(key, 0) + rng.choice([-3, -2, -1, 1, 2, 3])
        p = {m: k for m, k in p.items() if k}
    return p


def _sympy(p: dict, symbols: dict):
    import sympy

    return sympy.Add(*(sympy.Rational(Fraction(k).numerator, Fraction(k).denominator)
                       * sympy.Mul(*(symbols[v] ** e for v, e in m)) for m, k in p.items()))


@pytest.mark.parametrize("seed", range(3))
def test_the_gcd_is_sympys(seed: int) -> None:
    import sympy

    rng = random.Random(seed)
    symbols = {1: sympy.Symbol("x"), 2: sympy.Symbol("y"), 3: sympy.Symbol("z")}
    found = coprime = 0
    for k in range(30):
        variables = rng.sample([1, 2, 3], rng.randint(1, 3))
        g, a, b = (_random_poly(rng, variables, 2) for _ in range(3))
        if k % 3 == 0:
            g = {(): 1}  # (most such pairs have no common factor)
        sg, sa, sb = (_sympy(q, symbols) for q in (g, a, b))
        p = sympy.Poly(sympy.expand(sg * sa), *symbols.values())
        d = sympy.Poly(sympy.expand(sg * sb), *symbols.values())
        as_dict = [{tuple((v, e) for v, e in zip((1, 2, 3), m, strict=True) if e): int(k)
                    for m, k in q.terms()} for q in (p, d)]
        want = sympy.gcd(p, d)
        got = common_factor(*as_dict)
        if want.total_degree() == 0:
            assert got is None
            coprime += 1
            continue
        assert got is not None
        ratio = sympy.cancel(_sympy(got, symbols) / want.as_expr())
        assert ratio.is_number and ratio != 0, (got, want)
        found += 1
    assert found >= 15
    assert coprime >= 5


def rational_expressions(seed: int, count: int) -> list[str]:
    """Quotients of products of small polynomials in x, y, z sharing factors."""
    rng = random.Random(seed)
    factors = ["x - y", "x + y", "x*y + 1", "x + 2*z", "y^2 - x", "x + 1", "y - z",
               "x^2 + y^2", "2*x - 3*y"]
    out = []
    for _ in range(count):
        shared = rng.sample(factors, rng.randint(1, 2))
        top = shared + rng.sample(factors, rng.randint(0, 2))
        bottom = shared + rng.sample(factors, rng.randint(1, 2))
        out.append("*".join(f"({f})" for f in top) + "/(" + "*".join(
            f"({f})" for f in bottom) + ")")
    return out


def wave_expressions(seed: int, count: int) -> list[str]:
    """Quotients and logs of sums of sines and cosines of multiples and shifts of x."""
    rng = random.Random(seed)
    waves = ["sin(x)", "cos(x)", "sin(3*x)", "cos(3*x)", "sin(2*x)", "cos(2*x)",
             "sin(x + y)", "sin(x - y)", "cos(x + y)", "cos(x - y)"]
    out = []
    for _ in range(count):
        a, b, c, d = (rng.choice(waves) for _ in range(4))
        s, t = rng.choice(["+", "-"]), rng.choice(["+", "-"])
        out.append(rng.choice([f"({a} {s} {b})/({c} {t} {d})", f"{a} {s} {b}",
                               f"log(abs({a} {s} {b}))", f"{a}*{b} {t} {c}"]))
    return out


@pytest.mark.parametrize("seed", range(2))
def test_gcd_cancellation_holds_to_30_digits(seed: int) -> None:
    rng = random.Random(seed + 40)
    assert same_at_random_points(rational_expressions(seed, 25), rng) > 60


@pytest.mark.parametrize("seed", range(2))
def test_sums_of_waves_hold_to_30_digits(seed: int) -> None:
    rng = random.Random(seed + 50)
    assert same_at_random_points(wave_expressions(seed, 30), rng) > 60


def conjugate_expressions(seed: int, count: int) -> list[str]:
    """Quotients over ``a + cos(u)*c`` (``cos(x) - sin(x)``, ``1 + sin(2*x)``, …), which
    cancel over the conjugate ``a - cos(u)*c`` where they can."""
    rng = random.Random(seed)
    tops = ["cos(2*x)", "sin(2*x)", "cos(x)^2", "1 - sin(x)", "cos(x) + sin(x)", "x",
            "sin(x)*cos(x)", "cos(4*x)"]
    bottoms = ["cos(x) - sin(x)", "cos(x) + sin(x)", "1 + sin(x)", "1 - sin(x)",
               "cos(x) + 1", "sin(x) - cos(x)", "2*cos(x) + sin(x)"]
    return [f"({rng.choice(tops)})/({rng.choice(bottoms)})^{rng.choice([1, 2])}"
            for _ in range(count)]


@pytest.mark.parametrize("seed", range(2))
def test_quotients_over_a_conjugate_hold_to_30_digits(seed: int) -> None:
    rng = random.Random(seed + 60)
    assert same_at_random_points(conjugate_expressions(seed, 40), rng) > 90
