"""Rational functions cancelled fully: the greatest common divisor over ℚ of a
numerator and a denominator that is a polynomial in a few variables (the numerator may
have other pieces: it is read as a polynomial in the denominator's variables whose
coefficients are monomials in the rest, and the gcd with the denominator divides each
of them).

``(3*x^2 - 12*x + 12)/(x^2 - 4)^2`` is ``3/(x + 2)^2``: gcd(3x² - 12x + 12, x² - 4) is
x - 2, which divides the numerator twice; ``-2*y*(x + y)^2/(x^2 - y^2)^2`` is
``-2*y/(x - y)^2``: gcd(x²y + 2xy² + y³, x² - y²) is x + y.  In several variables the
gcd is the primitive remainder sequence in a main variable, its coefficients
polynomials in the others with their own gcd taken the same way (Knuth, TAOCP vol. 2,
4.6.1; Geddes, Czapor & Labahn, ch. 7), one level a variable: an iteration over the
variables, bounded in degree, variables and steps (past a bound there is no common
factor to cancel, and the fraction stays as it is).  Exact division is ``divide``'s;
this module only finds what to divide by.
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd, lcm
from typing import Any

from adcalc.symbolic.canonical.limits import MAX_EXPANDED

Poly = dict[tuple, Any]
Dense = Any
"""A polynomial in ``n`` variables read one at a time: for ``n = 0`` an ``int``, else
the list of its coefficients by degree in the first variable (polynomials in the other
``n - 1``), the last one non-zero (``[]`` is 0)."""

MAX_DEGREE = 24
"""The largest degree (in any one variable) whose gcd is computed (the remainders'
coefficients grow with it)."""

MAX_VARIABLES = 4
"""The most variables a denominator may have for its gcd to be computed."""

MAX_STEPS = 4 * MAX_EXPANDED
"""Remainder steps (all levels together) one gcd may take before it gives up."""


class _GiveUp(Exception):
    """Past a bound: no common factor is reported."""


def common_factor(p: Poly, d: Poly) -> Poly | None:
    """A non-constant gcd of ``p`` and ``d`` (as a ``Poly``: monic in one variable, with
    whole coprime coefficients in several), where ``d`` is a polynomial of whole
    non-negative powers in at most ``MAX_VARIABLES`` variables; ``None`` where there is
    none, or past a bound."""
    variables = sorted({v for m in d for v, _ in m})
    if not variables or len(variables) > MAX_VARIABLES:
        return None
    # p as Σ other_monomial · c(variables): the gcd divides every c
    parts: dict[tuple, Poly] = {}
    for mono, k in p.items():
        if type(k) not in (int, Fraction):
            return None
        inside = tuple((w, f) for w, f in mono if w in variables)
        rest = tuple((w, f) for w, f in mono if w not in variables)
        parts.setdefault(rest, {})[inside] = k
    n = len(variables)
    work = [0]
    try:
        g = _dense(d, variables)
        for part in parts.values():
            g = _gcd(g, _dense(part, variables), n, work)
            if _degree_zero(g, n):
                return None
    except _GiveUp:
        return None
    out = _sparse(g, variables)
    if n == 1:  # monic, as a fraction's denominator in one variable is written
        lead = out[max(out, key=lambda m: m[0][1] if m else 0)]
        return {m: int_if_whole(Fraction(k, lead)) for m, k in out.items()}
    return out


def _dense(p: Poly, variables: list[int]) -> Dense:
    """``p`` (monomials in ``variables`` only) read one variable at a time, times the
    least common multiple of its denominators (whole coefficients: the gcd over ℚ is
    the same up to a number, and whole numbers are faster than fractions)."""
    n = len(variables)
    scale = lcm(*(Fraction(k).denominator for k in p.values()))
    out: Dense = []
    for mono, k in p.items():
        powers = dict(mono)
        slot = out
        for level, v in enumerate(variables):
            e = powers.get(v, 0)
            if type(e) is not int or e < 0 or e > MAX_DEGREE:
                raise _GiveUp
            while len(slot) <= e:
                slot.append([] if level < n - 1 else 0)
            if level == n - 1:
                slot[e] += int(Fraction(k) * scale)
            else:
                slot = slot[e]
    return _trim(out, n)


def _trim(a: Dense, n: int) -> Dense:
    if n == 0:
        return a
    a = [_trim(c, n - 1) for c in a]
    while a and _is_zero(a[-1], n - 1):
        a.pop()
    return a


def _sparse(a: Dense, variables: list[int]) -> Poly:
    out: Poly = {}
    stack = [(a, 0, ())]
    n = len(variables)
    while stack:
        c, level, mono = stack.pop()
        if level == n:
            if c:
                out[tuple(sorted(mono))] = c
            continue
        for e, sub in enumerate(c):
            stack.append((sub, level + 1, (*mono, (variables[level], e)) if e else mono))
    return out


def _is_zero(a: Dense, n: int) -> bool:
    return a == 0 if n == 0 else not a


def _degree_zero(a: Dense, n: int) -> bool:
    """Whether ``a`` is a (non-zero) number."""
    for _ in range(n):
        if len(a) != 1:
            return False
        a = a[0]
    return True


def _zeros(n: int, count: int) -> Dense:
    return [[] if n > 0 else 0] * count


def _add(a: Dense, b: Dense, n: int) -> Dense:
    if n == 0:
        return a + b
    if len(a) < len(b):
        a, b = b, a
    out = [_add(x, y, n - 1) for x, y in zip(a, b, strict=False)] + a[len(b):]
    while out and _is_zero(out[-1], n - 1):
        out.pop()
    return out


def _scale(a: Dense, k: Dense, n: int) -> Dense:
    """``a`` (n variables) times ``k`` (the last n - 1)."""
    return [_mul(c, k, n - 1) for c in a]


def _mul(a: Dense, b: Dense, n: int) -> Dense:
    if n == 0:
        return a * b
    if not a or not b:
        return []
    out = _zeros(n - 1, len(a) + len(b) - 1)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            out[i + j] = _add(out[i + j], _mul(x, y, n - 1), n - 1)
    return _trim(out, n)


def _neg(a: Dense, n: int) -> Dense:
    return -a if n == 0 else [_neg(c, n - 1) for c in a]


def _quotient(a: Dense, b: Dense, n: int, work: list[int]) -> Dense:
    """``a / b`` where ``b`` divides ``a`` exactly (``_GiveUp`` where it does not)."""
    if n == 0:
        if a % b:
            raise _GiveUp
        return a // b
    if not a:
        return []
    q = _zeros(n - 1, max(len(a) - len(b) + 1, 0))
    r = a
    while r and len(r) >= len(b):
        _step(work)
        k = _quotient(r[-1], b[-1], n - 1, work)
        shift = len(r) - len(b)
        q[shift] = k
        r = _add(r, _zeros(n - 1, shift) + _scale(_neg(b, n), k, n), n)
        if len(r) > shift + len(b) - 1:  # the leading term did not cancel
            raise _GiveUp
    if r:
        raise _GiveUp
    return _trim(q, n)


def _content(a: Dense, n: int, work: list[int]) -> Dense:
    """The gcd of the coefficients of ``a`` (a polynomial in the last n - 1 variables)."""
    g = a[-1]
    for c in a[:-1]:
        if not _is_zero(c, n - 1):
            g = _gcd(g, c, n - 1, work)
    return g


def _positive(a: Dense, n: int) -> Dense:
    """``a`` or ``-a``, whichever has a positive leading number (the lead of the lead of
    …)."""
    lead = a
    for _ in range(n):
        lead = lead[-1]
    return a if lead > 0 else _neg(a, n)


def _gcd(a: Dense, b: Dense, n: int, work: list[int]) -> Dense:
    """gcd(a, b) over ℤ (so over ℚ up to a number), both non-zero, its leading number
    positive."""
    if n == 0:
        return gcd(a, b)
    ca, cb = _content(a, n, work), _content(b, n, work)
    c = _gcd(ca, cb, n - 1, work)
    a = [_quotient(x, ca, n - 1, work) for x in a]
    b = [_quotient(x, cb, n - 1, work) for x in b]
    if len(a) < len(b):
        a, b = b, a
    while b:
        if len(b) == 1:  # a primitive polynomial of degree 0 in this variable: 1
            a = [c]
            break
        r = a  # the pseudo-remainder: lead(b)^k * a mod b
        while r and len(r) >= len(b):
            _step(work)
            shift = len(r) - len(b)
            r = _add(_scale(r, b[-1], n), _zeros(n - 1, shift) + _scale(_neg(b, n), r[-1], n), n)
        if r:
            cr = _content(r, n, work)
            r = _positive([_quotient(x, cr, n - 1, work) for x in r], n)
        a, b = b, r
    else:
        a = _scale(a, c, n)
    return _positive(a, n)


def _step(work: list[int]) -> None:
    work[0] += 1
    if work[0] > MAX_STEPS:
        raise _GiveUp


def int_if_whole(k: Fraction) -> Any:
    return k.numerator if k.denominator == 1 else k
