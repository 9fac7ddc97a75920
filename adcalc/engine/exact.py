"""Exact numbers for symbolic work: rationals, and the constants pi and e by name.

A derivative tape (``Tape(symbolic=True)``) holds its literals as ``Fraction``s, or as a
``Named`` constant, so a printed formula shows ``1/3``, ``log(2)`` or ``pi`` and never
the decimal expansion of a number the user did not type.  Numbers become floats only
when a value is evaluated.  Literals are folded only where the result is exact:
arithmetic on rationals, integer powers, and roots of perfect powers (``sqrt(4)`` is 2,
``sqrt(2)`` stays ``sqrt(2)``); a transcendental function of a literal stays a node.
"""

from __future__ import annotations

import math
from fractions import Fraction

Number = Fraction | float

MAX_DIGITS = 60
"""A folded rational whose numerator or denominator would be longer than this many
digits stays unfolded (``2^(2^20)`` is a formula, not a million digits)."""


class Named(float):
    """A constant known by name (``pi``, ``e``): a float for every sweep, its name in
    every printed formula."""

    name: str

    def __new__(cls, name: str, value: float) -> Named:
        self = super().__new__(cls, value)
        self.name = name
        return self

    def __repr__(self) -> str:
        return self.name

    def __reduce__(self):
        return Named, (self.name, float(self))


PI = Named("pi", math.pi)
E = Named("e", math.e)
NAMED = {"pi": PI, "e": E}


def exact(x: Number | int) -> Number:
    """``x`` as a symbolic literal: integers and short binary fractions (the 0.5 and -2.0
    of the derivative rules) become ``Fraction``s; a named constant stays itself; any
    other float (one a Python function computed) stays the float it is."""
    t = type(x)
    if t is Fraction or t is Named:
        return x
    q = _SEEN.get(x)  # the rules' 0.0, 1.0, 0.5, -2.0 (and 2 == 2.0) over and over
    if q is not None:
        return q
    if t is int:
        return Fraction(x)
    if not math.isfinite(x):
        return x
    q = Fraction(x)
    if q.denominator > 1024:
        return x
    if len(_SEEN) < 512:
        _SEEN[x] = q
    return q


_SEEN: dict[float, Fraction] = {}


def is_int(x: object) -> bool:
    """Whether a literal is a whole number (``Fraction`` has no ``is_integer`` in 3.11)."""
    if type(x) is Fraction:
        return x.denominator == 1
    return isinstance(x, float) and not isinstance(x, Named) and x.is_integer()


def finite(x: Number) -> bool:
    """Whether a combined literal may be kept: a finite double, or a rational of at most
    ``MAX_DIGITS`` digits a part that is also within the range of doubles."""
    if type(x) is Fraction or type(x) is int:  # within 10^MAX_DIGITS, so within range
        return small(x)  # type: ignore[arg-type]
    return math.isfinite(x)


_LIMIT = 10**MAX_DIGITS


def small(q: Fraction) -> bool:
    """Whether numerator and denominator have at most ``MAX_DIGITS`` digits each."""
    return -_LIMIT < q.numerator < _LIMIT and q.denominator < _LIMIT


def root(q: Fraction, n: int) -> Fraction | None:
    """The exact ``n``-th root of a non-negative rational, or ``None``."""
    q = Fraction(q)
    if q < 0:
        return None
    out = []
    for part in (q.numerator, q.denominator):
        r = _iroot(part, n)
        if r is None:
            return None
        out.append(r)
    return Fraction(out[0], out[1])


def _iroot(m: int, n: int) -> int | None:
    if m in (0, 1):
        return m
    r = round(m ** (1.0 / n)) if m.bit_length() < 1000 else None
    if r is None:
        return None
    for guess in (r - 1, r, r + 1):
        if guess >= 0 and guess**n == m:
            return guess
    return None


def power(a: Fraction, c: Fraction) -> Fraction | None:
    """``a^c`` when it is rational and small: integer powers, and roots of perfect powers
    (``4^(1/2)`` is 2, ``8^(-2/3)`` is 1/4); ``None`` otherwise."""
    a, c = Fraction(a), Fraction(c)
    if c.denominator == 1:
        n = c.numerator
        if a == 0 and n < 0:
            return None
        if abs(n) > 4096 or (abs(a) != 1 and a != 0 and abs(n) * max(
                a.numerator.bit_length(), a.denominator.bit_length()) > 4 * MAX_DIGITS):
            return None
        return a**n
    if c.denominator > 64:
        return None
    r = root(a, c.denominator)
    return None if r is None else power(r, Fraction(c.numerator))


def fold(name: str, a: Fraction, b: Fraction | None, c: Fraction | None) -> Fraction | None:
    """The exact value of primitive ``name`` on rational literals, or ``None`` when it
    is not rational (or not defined there: the node stays and says so when evaluated)."""
    out: Fraction | None
    a = Fraction(a)
    b = None if b is None else Fraction(b)
    try:
        if name == "add":
            out = a + b  # type: ignore[operator]
        elif name == "sub":
            out = a - b  # type: ignore[operator]
        elif name == "mul":
            out = a * b  # type: ignore[operator]
        elif name == "div":
            out = a / b if b else None  # type: ignore[operator]
        elif name == "neg":
            out = -a
        elif name == "powc":
            out = power(a, c)  # type: ignore[arg-type]
        elif name == "pow":
            out = power(a, b)  # type: ignore[arg-type]
        elif name == "sqrt":
            out = root(a, 2)
        elif name == "abs":
            out = abs(a)
        elif name == "sign":
            out = Fraction((a > 0) - (a < 0))
        elif name == "step":
            out = Fraction(int(a > 0))
        elif name == "relu":
            out = max(a, Fraction(0))
        elif name in ("min", "max"):
            out = min(a, b) if name == "min" else max(a, b)  # type: ignore[type-var]
        elif name in ("exp", "cos", "cosh") and a == 0:
            out = Fraction(1)
        elif (name in ("sin", "tan", "asin", "atan", "sinh", "tanh") and a == 0) or (
                name in ("log", "log2", "log10") and a == 1):
            out = Fraction(0)
        elif name == "log2" and a > 0 and a.denominator == 1 and a.numerator & (
                a.numerator - 1) == 0:
            out = Fraction(a.numerator.bit_length() - 1)
        elif name == "log10" and a > 0 and a.denominator == 1 and str(a.numerator).rstrip(
                "0") == "1":
            out = Fraction(len(str(a.numerator)) - 1)
        elif name == "stop_gradient":
            out = a
        else:
            out = None
    except (ArithmeticError, ValueError):
        return None
    return out if out is None or small(out) else None


_PRINTABLE_BITS = 4000 * 3
"""Terms up to about 3,600 digits are printed in full."""


def _digits(n: int) -> int:
    """The decimal digits of ``n`` > 0, without converting it to text."""
    k = int((n.bit_length() - 1) * 0.30102999566398120) + 1
    return k + 1 if n >= 10 ** k else k


def text(q: Fraction) -> str:
    """``3``, ``1/3``, ``-2/3``; a power-of-ten denominator in lowest terms as the decimal
    it is (``0.1``, ``0.123``; ``0.1234567890123456789`` and ``1e-400``, past a double's
    digits or range), exactly; a rational too long to print (past Python's 4,300 digits
    an integer has no decimal text) as its double with the lengths of its terms."""
    big = max(q.numerator.bit_length(), q.denominator.bit_length())
    if big > _PRINTABLE_BITS:
        sizes = [_digits(abs(q.numerator))] + ([] if q.denominator == 1 else
                                               [_digits(q.denominator)])
        what = " and ".join(f"{n:,}" for n in sizes)
        return (f"{float(q)!r} (exactly: {'a whole number' if len(sizes) == 1 else 'a ratio'} "
                f"of {what} digits, too long to print)")
    if q.denominator == 1:
        digits = str(abs(q.numerator))
        short = digits.rstrip("0")
        zeros = len(digits) - len(short)
        if len(digits) >= 16 and zeros >= 6:  # 1.5e20 as typed, not 21 digits
            mantissa = short[0] + ("." + short[1:] if len(short) > 1 else "")
            return f"{'-' if q < 0 else ''}{mantissa}e{len(digits) - 1}"
        return str(q.numerator)
    d = q.denominator
    if 10 ** (len(str(d)) - 1) == d:
        digits = len(str(d)) - 1
        sign = "-" if q < 0 else ""
        whole, frac = divmod(abs(q.numerator), d)
        positional = f"{sign}{whole}.{frac:0{digits}d}"
        if digits <= 6:
            return positional
        x = float(q)
        if Fraction(repr(x)) == q:
            return repr(x)
        mantissa = str(abs(q.numerator))  # beyond a double's digits or range: exactly,
        e = len(mantissa) - 1 - digits  # as a decimal (1e-400, not 1/10^400)
        if -7 <= e < 21:
            return positional
        point = "." + mantissa[1:] if len(mantissa) > 1 else ""
        return f"{sign}{mantissa[0]}{point}e{'-' if e < 0 else '+'}{abs(e):02d}"
    return f"{q.numerator}/{q.denominator}"
