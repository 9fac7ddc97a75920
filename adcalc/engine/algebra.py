"""Algebras the derivative rules are written against.

* ``FLOAT``: each primitive is its float function, so a rule yields numbers.
* ``PrintAlgebra``: each primitive builds text, so a rule yields the formula of a local
  partial (``2·v1``, ``cos(v3)``) for the trace tables; the same class prints whole
  expressions for messages.

The symbolic algebra is the tape itself (``Tape.apply``).
"""

from __future__ import annotations

import math

from adcalc.engine.primitives import (
    BY_NAME,
    PREC_ADD,
    PREC_ATOM,
    PREC_MUL,
    PREC_NEG,
    PREC_POW,
    PRIMITIVES,
    Primitive,
)


class FloatAlgebra:
    """Primitives on Python floats (methods are attached from the table below)."""


for _p in PRIMITIVES:
    setattr(FloatAlgebra, _p.name, staticmethod(_p.value))

FLOAT = FloatAlgebra()

Rope = str | tuple
"""Text as nested tuples of strings: joining is O(1), flattening is one loop."""

Text = tuple[Rope, int]
"""Printed form of a value: its rope and the precedence of its outermost operation."""


def flatten(rope: Rope) -> str:
    """The string a rope stands for (iterative, so any depth works)."""
    out: list[str] = []
    stack = [rope]
    while stack:
        r = stack.pop()
        if isinstance(r, str):
            out.append(r)
        else:
            stack.extend(reversed(r))
    return "".join(out)


def format_number(x: float) -> str:
    """The shortest text that reads back as ``x``; integers without a trailing ``.0``;
    an exact literal of a symbolic tape as itself (``1/3``, ``pi``: ``adcalc.exact``)."""
    if type(x) is not float:
        name = getattr(x, "name", None)
        if name is not None:
            return name
        kind = type(x).__name__
        if kind == "Fraction":
            from adcalc.engine.exact import text

            return text(x)  # type: ignore[arg-type]
        if kind == "mpf":  # --precision: every digit it carries
            return str(x)
    if math.isfinite(x) and x == int(x) and abs(x) < 1e16:
        return str(int(x))
    return repr(float(x))


def literal(x: float) -> Text:
    text = format_number(x)
    if text.startswith("-"):
        return text, PREC_NEG
    return text, PREC_MUL if "/" in text else PREC_ATOM


_FOLDED = frozenset({"add", "sub", "mul", "div", "neg", "powc"})
"""Operations a printer folds on literals (``2·3`` is 6); ``log(2)`` stays ``log(2)``."""


def _rope_int(n: int) -> Rope:
    return str(n) if n >= 0 else f"-{-n}"


class PrintAlgebra:
    """Builds infix text; literal floats may be mixed with ``Text`` values.

    ``mul`` is the multiplication sign: ``·`` in traces, ``*`` where the text must
    parse again.  Products and sums with 0, 1 and -1 are simplified as they print.
    Subclasses change the notation (``LatexAlgebra``); precedence and parentheses stay
    here.
    """

    lparen, rparen = "(", ")"

    def __init__(self, mul: str = "·") -> None:
        self.mul_sign = mul

    def number(self, x: float) -> Text:
        return literal(x)

    def name(self, name: str) -> Text:
        return name, PREC_ATOM

    def wrap(self, x: Text | float) -> Text:
        return x if isinstance(x, tuple) else self.number(x)

    def text(self, x: Text | float) -> str:
        return flatten(self.wrap(x)[0])

    def paren(self, x: Text, needed: bool) -> Rope:
        return (self.lparen, x[0], self.rparen) if needed else x[0]

    def apply(self, prim: Primitive, args: list[Text | float], c: float | None = None) -> Text:
        """The text of ``prim`` applied to ``args`` (and literal ``c``)."""
        if prim.prints_as is not None:  # computed stably, shown as the textbook writes it
            return self.wrap(prim.prints_as(self, *args))
        simple = self._simplify(prim.name, args, c)
        if simple is not None:
            return self.wrap(simple)
        return self.compose(prim, [self.wrap(a) for a in args], c)

    def compose(self, prim: Primitive, xs: list[Text], c: float | None = None) -> Text:
        """The notation of ``prim`` over already printed arguments."""
        if prim.takes_const:
            return self.power(xs[0], self.number(c), exponent_literal=c)  # type: ignore[arg-type]
        if prim.name == "pow":
            return self.power(xs[0], xs[1])
        if prim.name == "neg":
            inner = xs[0]
            return ("-", self.paren(inner, inner[1] < PREC_MUL or inner[1] == PREC_NEG)), PREC_NEG
        if prim.symbol is not None:
            return self.infix(prim, xs[0], xs[1])
        return self.function(prim, xs)

    def power(self, base: Text, exponent: Text, exponent_literal: float | None = None) -> Text:
        """``base^exponent``, right-associative; a negative literal exponent in parens."""
        right = exponent[1] < PREC_POW or (exponent_literal is not None and exponent_literal < 0)
        return (self.paren(base, base[1] <= PREC_POW), "^", self.paren(exponent, right)), PREC_POW

    def function(self, prim: Primitive, xs: list[Text]) -> Text:
        return self.call(prim.name, prim, xs)

    def call(self, name: str, prim: Primitive, xs: list[Text]) -> Text:
        """``name(x, y, …)``; a variadic primitive's own fold written as one call:
        hypot(hypot(x, y), z) is hypot(x, y, z), as it was typed."""
        parts: list[Rope] = [name, self.lparen]
        for k, x in enumerate(xs):
            rope = x[0]
            if (prim.variadic and isinstance(rope, tuple) and len(rope) > 3
                    and rope[0] == name and rope[1] == self.lparen and rope[-1] == self.rparen):
                inner: list[Rope] = list(rope[2:-1])
            else:
                inner = [rope]
            parts += [", ", *inner] if k else inner
        parts.append(self.rparen)
        return tuple(parts), PREC_ATOM

    def infix(self, prim: Primitive, left: Text, right: Text) -> Text:
        p = prim.prec
        right_paren = (
            right[1] < p
            or right[1] == PREC_NEG
            or (right[1] == p and prim.name in ("sub", "div"))
        )
        symbol = self.mul_sign if prim.name == "mul" else prim.symbol
        if p == PREC_ADD:
            symbol = f" {symbol} "
        return (self.paren(left, left[1] < p), symbol, self.paren(right, right_paren)), p

    @staticmethod
    def _simplify(name: str, args: list, c: float | None) -> Text | float | None:
        a = args[0]
        b = args[1] if len(args) > 1 else None
        num_a, num_b = not isinstance(a, tuple), b is not None and not isinstance(b, tuple)
        if name == "mul":
            if (num_a and a == 0) or (num_b and b == 0):
                return 0.0
            if num_a and a == 1:
                return b
            if num_b and b == 1:
                return a
        elif name == "add":
            if num_a and a == 0:
                return b
            if num_b and b == 0:
                return a
        elif (
            (name == "sub" and num_b and b == 0)
            or (name == "div" and num_b and b == 1)
            or (name == "powc" and c == 1)
        ):
            return a
        if (name == "div" and num_a and num_b and type(a) is float and type(b) is float
                and a.is_integer() and b.is_integer() and b and not (a / b).is_integer()
                and abs(a) < 1e15 and abs(b) < 1e15):  # a local partial of x/3: 1/3, as typed
            from math import gcd

            g = gcd(int(a), int(b)) * (-1 if b < 0 else 1)
            top = int(a) // g
            return (_rope_int(top), "/", str(int(b) // g)), PREC_NEG if top < 0 else PREC_MUL
        if name in _FOLDED and all(not isinstance(x, tuple) and not hasattr(x, "name")
                                   for x in args) and (c is None or c == int(c)):
            if any(type(x).__name__ == "Fraction" for x in args):  # exact: 1/3, not 0.333…
                from adcalc.engine.exact import exact, fold

                q = [exact(x) for x in args]
                return fold(name, q[0], q[1] if len(q) > 1 else None, c)
            prim = BY_NAME[name]
            try:
                x = prim.value(*args, c) if prim.takes_const else prim.value(*args)
                return x if math.isfinite(x) else None
            except (ArithmeticError, ValueError):  # 10^400 is no double either
                return None
        return None

    def __getattr__(self, name: str):
        prim = BY_NAME.get(name)
        if prim is None:
            raise AttributeError(name)
        if prim.takes_const:
            return lambda a, c: self.apply(prim, [a], c)
        return lambda *args: self.apply(prim, list(args))
