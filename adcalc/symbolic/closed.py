"""Exact values that are not rational: closed forms, for ``--exact``.

A value that is irrational (``log(2)``, ``exp(100)``, ``sqrt(2)``, ``pi/4``) is a
``Closed``: a canonical expression of ``adcalc.symbolic.canonical``, on which arithmetic
stays exact (``sqrt(2)*sqrt(2)`` is 2), printed as its formula and its decimal value,
whose digits are those on which mpmath's evaluations in ``LOW`` and ``HIGH`` significant
digits agree.  ``Field`` holds one run's closed forms and applies the primitives to
exact values (rationals where the result is one); ``ExactRules`` is that as a rule
algebra.  The sweep algebra over them is ``precise.Exact``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

from adcalc.engine.algebra import NAMES, primitive_methods
from adcalc.engine.exact import Named, exact, fold, power
from adcalc.engine.primitives import ADD, DIV, MUL, NEG, SUB
from adcalc.errors import InputError, param

LOW, HIGH = 50, 100
"""Significant digits of the two evaluations of every closed form (``--exact``)."""

SHOWN = 20
"""The most significant digits a closed form's decimal value shows."""

FORMULA = 60
"""The longest closed form (in characters) a table or ``-q`` shows; a longer one shows
only its decimal value."""

JSON_FORMULA = 4000
"""The longest closed form JSON writes (a longer one is ``null``, its decimal kept)."""

_BITS = 20000
"""A rational result whose numerator or denominator would have more bits than this is
kept as a formula of rationals (``(10/3)^100000``), not multiplied out."""


class Unsettled(ValueError):
    """A closed form whose evaluations in ``LOW`` and ``HIGH`` digits agree in no digit:
    it may be exactly 0 (``sin(1)^2 + cos(1)^2 - 1`` is not simplified), which exact
    arithmetic cannot prove here."""


class Closed:
    """An exact value that is not rational: a canonical expression of one ``Field``
    (``log(2)``, ``exp(100)``, ``4*log(2) + 4``), with its value evaluated by mpmath in
    ``LOW`` and in ``HIGH`` significant digits.  Its decimal shows only the digits both
    evaluations agree on; a value they do not agree on at all is never made
    (``Unsettled``)."""

    __slots__ = ("_digits", "field", "hi", "id", "lo")

    def __init__(self, field: Field, id_: int, lo: Any, hi: Any) -> None:
        self.field = field
        self.id = id_
        self.lo = lo
        self.hi = hi
        self._digits: int | None = None

    def digits(self) -> int:
        """How many significant digits of the value are known (at most ``SHOWN``)."""
        if self._digits is None:
            self._digits = _agreement(self.field.mp, self.lo, self.hi)
        return self._digits

    def decimal(self) -> str:
        """The value's known digits (``0.6931471805599453094172321``, ``2.688…e+43``)."""
        return str(self.field.mp.nstr(self.hi, self.digits()))

    def formula(self, limit: int = FORMULA) -> str | None:
        """The closed form in adcalc's notation, or ``None`` when longer than ``limit``."""
        return self.field.text(self.id, limit)

    def __str__(self) -> str:
        form = self.formula()
        return f"{form} ≈ {self.decimal()}" if form else f"≈ {self.decimal()}"

    __repr__ = __str__

    def __float__(self) -> float:
        return float(self.hi)  # the double nearest the value

    def __add__(self, other: Any) -> Any:
        return self.field.apply(ADD, [self, other])

    def __radd__(self, other: Any) -> Any:
        return self.field.apply(ADD, [other, self])

    def __sub__(self, other: Any) -> Any:
        return self.field.apply(SUB, [self, other])

    def __rsub__(self, other: Any) -> Any:
        return self.field.apply(SUB, [other, self])

    def __mul__(self, other: Any) -> Any:
        return self.field.apply(MUL, [self, other])

    def __rmul__(self, other: Any) -> Any:
        return self.field.apply(MUL, [other, self])

    def __truediv__(self, other: Any) -> Any:
        return self.field.apply(DIV, [self, other])

    def __rtruediv__(self, other: Any) -> Any:
        return self.field.apply(DIV, [other, self])

    def __neg__(self) -> Any:
        return self.field.apply(NEG, [self])

    def __abs__(self) -> Any:  # (the kink tests and the series' scaling ask |x|)
        return -self if self.field.sign(self) < 0 else self

    def _compare(self, other: Any) -> int:
        return self.field.sign(self.field.apply(SUB, [self, other]))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, (Closed, Fraction, int, float)):
            return NotImplemented
        return self._compare(other) == 0

    def __hash__(self) -> int:
        return hash((Closed, self.id))

    def __lt__(self, other: Any) -> bool:
        return self._compare(other) < 0

    def __le__(self, other: Any) -> bool:
        return self._compare(other) <= 0

    def __gt__(self, other: Any) -> bool:
        return self._compare(other) > 0

    def __ge__(self, other: Any) -> bool:
        return self._compare(other) >= 0


def _agreement(mp: Any, lo: Any, hi: Any) -> int:
    """The significant digits (at most ``SHOWN``) on which ``lo`` and ``hi`` agree, both
    rounded to them."""
    if not lo or not hi or (lo > 0) != (hi > 0):
        return 0
    with mp.workdps(HIGH):
        d = abs(lo - hi)
        n = SHOWN if d == 0 else min(SHOWN, int(mp.floor(mp.log10(abs(hi) / d))))
    while n >= 1 and mp.nstr(lo, n) != mp.nstr(hi, n):
        n -= 1
    return max(n, 0)


class Field:
    """The exact values of one run: rationals (``Fraction``) and closed forms
    (``Closed``) on one table of canonical expressions (``adcalc.canonical.Canon``)."""

    def __init__(self) -> None:
        from adcalc.symbolic.canonical import Canon

        self.canon = Canon()
        self.mp: Any = None
        self._table: dict[str, Callable[..., Any]] = {}
        self._constants: dict[str, Closed] = {}
        self._texts: dict[tuple[int, int], str | None] = {}

    def _mpmath(self, what: str) -> Any:
        if self.mp is None:
            try:
                import mpmath
            except ImportError:
                raise InputError(f"{param('exact')} met a value that is not rational ({what}): "
                                 "it is kept as a closed form, whose decimal value needs mpmath: "
                                 "pip install 'adcalc[precise]' (or pip install mpmath)"
                                 ) from None
            self._table = {name: _real(f) for name, f in _mp_table(mpmath).items()}
            self.mp = mpmath
        return self.mp

    def text(self, i: int, limit: int) -> str | None:
        key = (i, limit)
        if key not in self._texts:
            out = None
            if self.canon.measure(i) <= limit:
                from adcalc.symbolic.formula import program

                out = program(self.canon.write([i], []))
                out = out if len(out) <= limit else None
            self._texts[key] = out
        return self._texts[key]

    def lift(self, x: Any) -> Any:
        """An argument as an exact value: the rules' literals (0.5, -2.0) read exactly, a
        named constant as its closed form."""
        t = type(x)
        if t is Fraction or t is Closed:
            return x
        if t is int:
            return Fraction(x)
        if isinstance(x, Named):
            return self.constant(x)
        if isinstance(x, float):
            q = exact(x)
            return q if type(q) is Fraction else Fraction(x)
        raise TypeError(f"not an exact number: {x!r}")

    def constant(self, c: Named) -> Closed:
        out = self._constants.get(c.name)
        if out is None:
            mp = self._mpmath(c.name)
            values = []
            for digits in (LOW, HIGH):
                with mp.workdps(digits):
                    values.append(+mp.pi if c.name == "pi" else mp.e + 0)
            out = self._constants[c.name] = Closed(self, self.canon.num(c), *values)
        return out

    def _number(self, x: Any, high: int) -> Any:
        if type(x) is Closed:
            return x.hi if high else x.lo
        return self.mp.mpf(x.numerator) / x.denominator

    def sign(self, x: Any) -> int:
        if type(x) is Closed:  # never 0: a closed form is made only once a digit is known
            return 1 if x.hi > 0 else -1
        return (x > 0) - (x < 0)

    def apply(self, op: int, args: Sequence[Any], const: Any = None) -> Any:
        """Primitive ``op`` on exact values: a rational where the result is one, else a
        closed form (its domain checked on its value in ``LOW`` and ``HIGH`` digits)."""
        name = NAMES[op]
        xs = [self.lift(a) for a in args]
        c = None if const is None else self.lift(const)
        if all(type(x) is Fraction for x in xs):
            q = _rational(name, xs, c)
            if q is not None:
                return q
        if name in ("stop_gradient", "shift"):
            return xs[0]
        if name in _KINKS:
            return self._kink(name, xs)
        i = self._canonical(op, xs, c)
        q = self.canon.value(i)
        if type(q) is int or type(q) is Fraction:
            return Fraction(q)
        mp = self._mpmath(self.text(i, FORMULA) or name)
        f = self._table[name]
        values = []
        for high, digits in enumerate((LOW, HIGH)):
            with mp.workdps(digits):
                ys = [self._number(x, high) for x in xs]
                values.append(f(ys[0], c) if name == "powc" else f(*ys))
        out = Closed(self, i, *values)
        if out.digits() < 1:
            form = self.text(i, FORMULA)
            raise Unsettled(
                f"{param('exact')} cannot settle the value{f' {form}' if form else ''}: "
                f"evaluated in {LOW} and {HIGH} significant digits it is "
                f"{mp.nstr(values[0], 5)} and {mp.nstr(values[1], 5)}, so not one digit of it "
                "is known (it may be exactly 0, which exact arithmetic cannot prove here); "
                f"{param('digits')} N computes it in N digits")
        return out

    def _kink(self, name: str, xs: list[Any]) -> Any:
        """abs, sign, step, relu, min and max of a closed form: by its sign, which is
        known (a closed form is made only once a digit of it is)."""
        if name in ("min", "max"):
            d = self.sign(self.apply(SUB, xs))
            if name == "min":
                return xs[0] if d <= 0 else xs[1]
            return xs[0] if d >= 0 else xs[1]
        x = xs[0]
        s = self.sign(x)
        if name == "abs":
            return x if s >= 0 else self.apply(NEG, [x])
        if name == "sign":
            return Fraction(s)
        if name == "step":
            return Fraction(int(s > 0))
        return x if s > 0 else Fraction(0)  # relu

    def _canonical(self, op: int, xs: list[Any], c: Any) -> int:
        canon = self.canon
        name = NAMES[op]
        ids = [x.id if type(x) is Closed else canon.num(x) for x in xs]
        if name in ("sin", "cos", "tan"):
            q = self._times_pi(ids[0])
            if q is not None:
                out = self._trig(name, q)
                if out is not None:
                    return out
        return canon.apply(op, ids, c)

    def _times_pi(self, i: int) -> Fraction | None:
        """``q`` where node ``i`` is ``q·pi`` for a rational ``q``."""
        from adcalc.symbolic.canonical import MUL

        nodes = self.canon.nodes
        pi = self.canon.sym("pi")
        if i == pi:
            return Fraction(1)
        node = nodes[i]
        if node[0] == MUL and len(node[2]) == 1 and node[2][0] == (pi, self.canon.one) and (
                type(node[1]) is int or type(node[1]) is Fraction):
            return Fraction(node[1])
        return None

    def _sin_pi(self, q: Fraction) -> int | None:
        """sin(q·pi) for a multiple ``q`` of 1/4 or 1/6 (0, ±1/2, ±sqrt(2)/2, ±sqrt(3)/2,
        ±1), else ``None``."""
        canon = self.canon
        r = q % 2
        sign = 1
        if r >= 1:
            r, sign = r - 1, -1
        if r > Fraction(1, 2):
            r = 1 - r
        if r == 0:
            return canon.zero
        if r == Fraction(1, 2):
            return canon.num(sign)
        if r == Fraction(1, 6):
            return canon.num(Fraction(sign, 2))
        root = {Fraction(1, 4): 2, Fraction(1, 3): 3}.get(r)
        if root is None:
            return None
        return canon.mul(canon.num(Fraction(sign, 2)), canon.pow(canon.num(root), canon.half))

    def _trig(self, name: str, q: Fraction) -> int | None:
        if name == "sin":
            return self._sin_pi(q)
        if name == "cos":
            return self._sin_pi(q + Fraction(1, 2))
        s, c = self._sin_pi(q), self._sin_pi(q + Fraction(1, 2))
        if s is None or c is None:
            return None
        if c == self.canon.zero:
            raise ValueError("tan is undefined at odd multiples of pi/2")
        return self.canon.div(s, c)


_KINKS = frozenset({"abs", "sign", "step", "relu", "min", "max"})


def _bits(q: Fraction) -> int:
    return max(q.numerator.bit_length(), q.denominator.bit_length())


def _rational(name: str, xs: list[Fraction], c: Fraction | None) -> Fraction | None:
    """Primitive ``name`` on rationals where the result is rational (``None`` where it is
    not, or would be too long: ``_BITS``); raises where it is undefined."""
    a = xs[0]
    b = xs[1] if len(xs) > 1 else None
    if name == "add":
        out = a + b  # type: ignore[operator]
    elif name == "sub":
        out = a - b  # type: ignore[operator]
    elif name == "mul":
        out = a * b  # type: ignore[operator]
    elif name == "neg":
        out = -a
    elif name == "div":
        if b == 0:
            raise ZeroDivisionError("division by zero")
        out = a / b  # type: ignore[operator]
    elif name in ("powc", "pow"):
        e = c if name == "powc" else b
        assert e is not None
        if a == 0 and e < 0:
            raise ZeroDivisionError("0 to a negative power")
        if e.denominator != 1 or abs(e.numerator) * _bits(a) > _BITS:
            return power(a, e)
        out = a ** e.numerator
    else:
        return fold(name, a, b, None)
    return out if _bits(out) <= _BITS else None


@primitive_methods
class ExactRules:
    """The primitives on exact values (a ``RuleAlgebra``), for the sweeps and for the
    rules (whose literals, 0.5 and -2.0, are read exactly)."""

    def __init__(self, field: Field) -> None:
        self.field = field

    def apply(self, op: int, args: Sequence[Any], const: Any = None) -> Any:
        return self.field.apply(op, args, const)


def _real(f: Callable[..., Any]) -> Callable[..., Any]:
    """``f`` raising ``ValueError`` where mpmath would answer with a complex number."""
    def g(*args: Any) -> Any:
        out = f(*args)
        if isinstance(out, complex) or type(out).__name__ == "mpc":
            raise ValueError("math domain error")
        return out
    return g


def _mp_table(mp: Any) -> dict[str, Callable[..., Any]]:
    def sigmoid(a: Any) -> Any:
        return 1 / (1 + mp.exp(-a))

    def log(a: Any) -> Any:
        if a <= 0:
            raise ValueError("math domain error")
        return mp.log(a)

    def powc(a: Any, c: Any) -> Any:
        if a == 0 and c < 0:
            raise ZeroDivisionError("0 to a negative power")
        return mp.power(a, mp.mpf(c.numerator) / c.denominator if type(c) is Fraction else c)

    def pow_(a: Any, b: Any) -> Any:
        if a == 0 and b < 0:
            raise ZeroDivisionError("0 to a negative power")
        return mp.power(a, b)

    def div(a: Any, b: Any) -> Any:
        if b == 0:
            raise ZeroDivisionError("division by zero")
        return a / b

    def sign(a: Any) -> Any:
        return mp.mpf(0 if a == 0 else (1 if a > 0 else -1))

    return {
        "add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": div,
        "neg": operator.neg, "powc": powc, "pow": pow_,
        "sin": mp.sin, "cos": mp.cos, "tan": mp.tan, "asin": mp.asin, "acos": mp.acos,
        "atan": mp.atan, "sinh": mp.sinh, "cosh": mp.cosh, "tanh": mp.tanh, "exp": mp.exp,
        "log": log, "log2": lambda a: log(a) / mp.log(2), "log10": lambda a: log(a) / mp.log(10),
        "sqrt": lambda a: mp.sqrt(a) if a >= 0 else _domain(), "abs": mp.fabs, "sign": sign,
        "step": lambda a: mp.mpf(1 if a > 0 else 0), "sigmoid": sigmoid,
        "relu": lambda a: a if a > 0 else mp.mpf(0),
        "softplus": lambda a: mp.log1p(mp.exp(a)) if a < 30 else a + mp.log1p(mp.exp(-a)),
        "atan2": mp.atan2, "min": min, "max": max,
        "dtanh": lambda a: mp.sech(a) ** 2, "dsigmoid": lambda a: sigmoid(a) * sigmoid(-a),
        "dasin": lambda a: 1 / mp.sqrt((1 - a) * (1 + a)) if -1 < a < 1 else _domain(),
        "over_sumsq": lambda u, v: div(u, u * u + v * v),
        "pow_dx": lambda x, y: y * pow_(x, y - 1) if y != 0 else mp.mpf(0),
        "xlogy": lambda x, y: mp.mpf(0) if x == 0 else x * log(y),
        "stop_gradient": lambda a: a, "shift": lambda a: a, "hypot": mp.hypot,
    }


def _domain() -> Any:
    raise ValueError("math domain error")
