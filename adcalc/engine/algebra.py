"""The algebras the derivative rules and the walks are written against: the two declared
interfaces, the one helper that gives an algebra its primitives, and the float and print
algebras.

Two kinds (docs/architecture.md, "Algebras are declared interfaces"):

* A **rule algebra** (``RuleAlgebra``) is what the table's rules call: ``A.mul``,
  ``A.cos``, ``A.over_sumsq``…  Every one has ``apply(op, args, const)`` and one method
  per primitive, made by ``primitive_methods``.  The rule algebras: ``FLOAT`` (floats:
  a rule yields numbers), ``PrintAlgebra`` and ``symbolic.latex.LatexAlgebra`` (text: a
  rule yields the formula of a local partial, ``2·v1``, ``cos(v3)``), ``sweep_algebras``'
  ``IEEEAlgebra`` (floats with IEEE results) and ``ArrayAlgebra`` (NumPy arrays),
  ``tape.Tape`` (each call appends a node: symbolic derivatives) and
  ``symbolic.simplify.Simplifier`` over it, ``symbolic.canonical.Canon`` (the canonical
  form), and ``symbolic.closed.ExactRules`` / ``symbolic.precise.MpRules`` (exact and
  mpmath numbers).  ``tests/engine/test_algebras.py`` runs every rule against a
  recording algebra and checks that each of them provides what the rules call.
* A **sweep algebra** (``SweepPolicies``; the base class ``SweepAlgebra``) owns a walk's
  policies: the values of the primitives, the rule algebra, the zero a derivative starts
  as, how contributions combine, what a kink or a domain error is and how the finished
  list is checked.  The walks of ``sweeps`` are written once over it; the instances are
  in ``sweep_algebras`` (floats, arrays, the tape) and ``symbolic.precise`` (exact and
  mpmath numbers).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from functools import reduce
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

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

if TYPE_CHECKING:
    from adcalc.engine.tape import Tape


@runtime_checkable
class RuleAlgebra(Protocol):
    """What the table's rules call: each method the ``partials`` of ``primitives`` (and
    the ``prints_as`` of its stable helpers, for the printers) call, and ``apply``.

    Each method is the primitive of that name on the algebra's values (numbers, arrays,
    texts, node ids); a literal float (``1.0``, ``0.5``) may stand for any argument.
    A rule that calls a method not listed here fails ``tests/engine/test_algebras.py``:
    add it here, and to every rule algebra that lacks it (``primitive_methods`` gives
    each every primitive).
    """

    def apply(self, op: int, args: Sequence[Any], const: Any = None) -> Any:
        """Primitive ``op`` (its op code) on ``args``, with the node's literal ``const``."""

    def add(self, a: Any, b: Any) -> Any:
        """a + b."""

    def sub(self, a: Any, b: Any) -> Any:
        """a - b."""

    def mul(self, a: Any, b: Any) -> Any:
        """a · b."""

    def div(self, a: Any, b: Any) -> Any:
        """a / b."""

    def neg(self, a: Any) -> Any:
        """-a."""

    def powc(self, a: Any, c: Any) -> Any:
        """a to the literal power c."""

    def pow(self, a: Any, b: Any) -> Any:
        """a to the power b."""

    def sin(self, a: Any) -> Any:
        """sin a."""

    def cos(self, a: Any) -> Any:
        """cos a."""

    def sinh(self, a: Any) -> Any:
        """sinh a."""

    def cosh(self, a: Any) -> Any:
        """cosh a."""

    def tanh(self, a: Any) -> Any:
        """tanh a (printed in dtanh's formula)."""

    def log(self, a: Any) -> Any:
        """The natural logarithm of a."""

    def sqrt(self, a: Any) -> Any:
        """The square root of a (printed in dasin's formula)."""

    def sign(self, a: Any) -> Any:
        """-1, 0 or 1 by the sign of a."""

    def step(self, a: Any) -> Any:
        """1 for a > 0, else 0."""

    def sigmoid(self, a: Any) -> Any:
        """1/(1 + exp(-a))."""

    def stop_gradient(self, a: Any) -> Any:
        """a, through which no derivative flows (printed for shift)."""

    def dtanh(self, a: Any) -> Any:
        """tanh'(a) = sech²(a), stably."""

    def dsigmoid(self, a: Any) -> Any:
        """σ'(a) = σ(a)·σ(-a), stably."""

    def dasin(self, a: Any) -> Any:
        """1/sqrt((1 - a)(1 + a)): asin'(a), stably."""

    def over_sumsq(self, u: Any, v: Any) -> Any:
        """u/(u² + v²), scaled like hypot: atan' and atan2's partials."""

    def pow_dx(self, x: Any, y: Any) -> Any:
        """y·x^(y-1), x^y's derivative in x, stably."""

    def xlogy(self, x: Any, y: Any) -> Any:
        """x·log(y), and 0 where x = 0."""


@runtime_checkable
class SweepPolicies(Protocol):
    """What the walks of ``sweeps`` (primal, tangent, adjoint) and the kink finder of
    ``kinks`` ask their algebra: a walk fetches these once, then loops.  ``SweepAlgebra``
    gives the defaults of one point."""

    values: Sequence[Callable[..., Any]]
    """Each primitive's value by op code: ``f(a)``, ``f(a, b)`` or ``f(a, c)`` (``KIND``)."""
    rules: Any
    """The ``RuleAlgebra`` the derivative rules are called with."""
    zero: Any
    """What a derivative starts as (compared by identity: ``bar[i] is zero``)."""
    one: Any
    """A derivative that flows: what ``kink`` is told flows through a kink."""
    errors: tuple[type[BaseException], ...]
    """The exceptions a walk catches (a domain error, a failed partial); ``()``: none."""
    careful: Any
    """The sweep algebra to sweep again with when a local partial fails, or ``None``."""
    compensates: bool
    """Whether a node's three or more adjoint contributions are summed by ``total``."""

    def nothing(self, d: Any) -> bool:
        """Whether ``d`` is a zero that passes nothing on (its partials are not evaluated)."""

    def scale(self, d: Any, p: Any) -> Any:
        """A derivative times a local partial."""

    def add(self, x: Any, y: Any) -> Any:
        """Two contributions combined."""

    def total(self, terms: list[Any]) -> Any:
        """The adjoint of a node whose contributions are ``terms`` (two or more)."""

    def literals(self, tape: Tape, start: int = 0) -> list[Any]:
        """The starting values of nodes ``start…``: each literal as a value."""

    def context(self) -> AbstractContextManager:
        """Entered around a walk (NumPy's error state, mpmath's precision)."""

    def kinks(self) -> Any:
        """A new, empty record of kinks (``[]``, ``{}``), or ``None``: none looked for."""

    def at_kink(self, where: Any) -> bool:
        """Whether a primitive's ``nondiff`` result puts the point (a row) on a kink."""

    def kink(self, found: Any, i: int, where: Any, d: Any) -> None:
        """Note in ``found`` that node ``i`` is at a kink (``d``: a derivative flows)."""

    def domain_error(self, tape: Tape, i: int, vals: list, exc: BaseException) -> Exception:
        """The error to raise for ``exc`` at node ``i`` of a primal walk."""

    def not_differentiable(self, tape: Tape, i: int, vals: list, exc: BaseException
                           ) -> Exception:
        """The error to raise for ``exc`` in a local partial of node ``i``."""

    def finish(self, tape: Tape, xs: list, what: str, start: int = 0) -> list:
        """The finished list (``what``: value, tangent, adjoint), checked or completed."""


class SweepAlgebra:
    """The defaults of a sweep algebra (``SweepPolicies``) for one point: kinks listed
    as nodes, nothing caught, no second careful sweep, contributions added in order,
    literals taken as they are (``number``).  Each arithmetic sets ``values``, ``rules``,
    ``zero`` and ``one``, and changes what differs."""

    values: Sequence[Callable[..., Any]]
    rules: Any
    zero: Any
    one: Any
    errors: tuple[type[BaseException], ...] = ()
    careful: Any = None
    compensates = False
    scale = operator.mul
    add = operator.add

    @staticmethod
    def nothing(d: Any) -> bool:
        return d == 0

    def total(self, terms: list[Any]) -> Any:
        return reduce(self.add, terms)

    def number(self, c: Any) -> Any:
        """A literal of the tape as a value of this arithmetic."""
        return c

    def literals(self, tape: Tape, start: int = 0) -> list[Any]:
        number = self.number
        return [None if c is None else number(c) for c in tape.consts[start:]]

    def context(self) -> AbstractContextManager:
        return nullcontext()

    def kinks(self) -> Any:
        return []

    @staticmethod
    def at_kink(where: Any) -> bool:
        return bool(where)

    @staticmethod
    def kink(found: Any, i: int, where: Any, d: Any) -> None:
        if where:
            found.append(i)

    def domain_error(self, tape: Tape, i: int, vals: list, exc: BaseException) -> Exception:
        from adcalc.engine.describe import domain_error

        return domain_error(tape, i, vals, exc)

    def not_differentiable(self, tape: Tape, i: int, vals: list, exc: BaseException
                           ) -> Exception:
        from adcalc.engine.describe import not_differentiable

        return not_differentiable(tape, i, vals, exc)

    def finish(self, tape: Tape, xs: list, what: str, start: int = 0) -> list:
        return xs


T = TypeVar("T")

NAMES = [p.name for p in PRIMITIVES]
"""Each primitive's name (the rule algebras' method), by op code."""


def primitive_methods(target: T, functions: Sequence[Callable[..., Any]] | None = None) -> T:
    """Give ``target`` one method per primitive it does not define itself: the one place
    rule algebras get their primitives (no ``__getattr__`` shims, no loops of their own).

    Without ``functions`` (``target`` a class: a decorator), each calls
    ``self.apply(op, args, const)``.  With ``functions`` (one per primitive, in the
    table's order: the values on floats, NumPy's functions, mpmath's), each is that
    function as it is, so a rule's call costs nothing more, and ``apply`` (unless
    ``target`` has one) calls the methods; ``target`` may then be one instance, for
    functions made when first needed (NumPy and mpmath are imported only then).
    """
    is_class = isinstance(target, type)
    if functions is None and not is_class:
        raise TypeError("primitive_methods without functions decorates a class")
    for op, p in enumerate(PRIMITIVES):
        if hasattr(target, p.name):  # its own (IEEEAlgebra's mul; Canon's sub, div, neg)
            continue
        if functions is None:
            f: Any = _forward(op, p)
        else:
            f = staticmethod(functions[op]) if is_class else functions[op]
        setattr(target, p.name, f)
    if not hasattr(target, "apply"):
        target.apply = _dispatch if is_class else _dispatch.__get__(target)  # type: ignore[attr-defined]
    return target


def _forward(op: int, p: Primitive) -> Callable[..., Any]:
    if p.takes_const:
        def method(self: Any, a: Any, c: Any) -> Any:
            return self.apply(op, (a,), c)
    else:
        def method(self: Any, *args: Any) -> Any:
            return self.apply(op, args)
    method.__name__ = method.__qualname__ = p.name
    method.__doc__ = f"{p.doc} (``apply`` of op {op})"
    return method


def _dispatch(self: Any, op: int, args: Sequence[Any], const: Any = None) -> Any:
    """Primitive ``op`` on ``args`` by the algebra's method of its name."""
    f = getattr(self, NAMES[op])
    return f(*args, const) if PRIMITIVES[op].takes_const else f(*args)


class FloatAlgebra:
    """Primitives on Python floats: each is the table's ``value``."""


primitive_methods(FloatAlgebra, [p.value for p in PRIMITIVES])

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


@primitive_methods
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

    def apply(self, op: int, args: Sequence[Text | float], const: float | None = None
              ) -> Text:
        """The text of primitive ``op`` applied to ``args`` (and literal ``const``)."""
        c = const
        prim = PRIMITIVES[op]
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
