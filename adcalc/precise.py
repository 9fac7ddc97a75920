"""Sweeps in exact and in high-precision arithmetic, for checking a trace by hand.

Two more algebras for the walks of ``adcalc.sweeps`` (the walks are not written again):

* ``Exact``: rationals (``Fraction``) wherever the operation allows — arithmetic, integer
  powers, roots of perfect powers, the exact values of functions (``sin(0)``, ``log(1)``).
  A step that cannot be exact (``sin(1/3)``, ``pi``) falls back to a double, and so does
  everything computed from it; ``fallbacks`` names those steps.
* ``Precise``: mpmath numbers with ``digits`` significant digits, every primitive
  evaluated by mpmath (imported only here: it comes with the ``precise`` extra, and with
  sympy).

Both run on the expression read exactly (``parse(text, exact=True)``: ``0.1`` is 1/10,
``pi`` is pi), with the point's numbers read as the decimals they were typed as.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

from adcalc.errors import InputError
from adcalc.exact import exact, fold
from adcalc.primitives import CONST, PRIMITIVES
from adcalc.sweeps import Floats, adjoint, primal
from adcalc.tape import Tape

MAX_DIGITS = 1000
"""The most significant digits ``--precision`` takes."""


def typed(x: float) -> Any:
    """A point's number as it was typed: a decimal by its shortest text (``0.1`` is 1/10),
    a constant expression (``1/3``, ``pi/4``: ``options.Typed``) evaluated exactly where it
    can be (a double where it cannot: pi/4)."""
    text = getattr(x, "text", None)
    if text is None:
        return Fraction(repr(float(x)))
    from adcalc.parse import parse

    tape = parse(text, exact=True)
    return primal(tape, {}, Exact())[tape.output]


def _exact_function(name: str, value: Callable[..., float]) -> Callable[..., Any]:
    def f(*args: Any) -> Any:
        if all(type(a) is Fraction or type(a) is int for a in args):
            c = args[1] if name == "powc" else None
            b = None if name == "powc" or len(args) < 2 else args[1]
            out = fold(name, args[0], b, c)
            if out is not None:
                return out
            if name == "div" and args[1] == 0:
                raise ZeroDivisionError("division by zero")
        return value(*(float(a) for a in args))
    return f


class _ExactRules:
    """The primitives for the rules: exact where they can be, doubles where not; the
    rules' own literals (0.5, -2.0) are read exactly."""

    def __init__(self) -> None:
        for p in PRIMITIVES:
            f = _exact_function(p.name, p.value)
            setattr(self, p.name, lambda *a, _f=f: _f(*(exact(x) if type(x) is float
                                                         else x for x in a)))


class Exact(Floats):
    """Rationals where the operations allow, doubles after a step that cannot be exact."""

    careful = None
    errors = (ValueError, ArithmeticError)

    def __init__(self) -> None:
        self.values = [_exact_function(p.name, p.value) for p in PRIMITIVES]
        self.rules = _ExactRules()
        self.zero = Fraction(0)

    @staticmethod
    def nothing(x: Any) -> bool:
        return x == 0

    @staticmethod
    def scale(d: Any, p: Any) -> Any:
        return d * (exact(p) if type(p) is float else p)

    add = operator.add

    def literals(self, tape: Tape, start: int = 0) -> list[Any]:
        return list(tape.consts[start:])  # rationals, or pi and e (doubles)

    def finish(self, tape: Tape, xs: list, what: str, start: int = 0) -> list:
        floats = [float(x) if type(x) is Fraction else x for x in xs]
        Floats.finish(self, tape, floats, what, start)
        return xs


class Precise(Floats):
    """mpmath numbers with ``digits`` significant digits."""

    careful = None

    def __init__(self, digits: int) -> None:
        import mpmath

        self.mpmath = mpmath
        self.digits = digits
        table = _mp_table(mpmath)
        functions = [table[p.name] for p in PRIMITIVES]
        self.values = [_real(f) for f in functions]
        self.rules = type("MpRules", (), {})()
        for p, f in zip(PRIMITIVES, self.values, strict=True):
            setattr(self.rules, p.name, f)
        self.zero = mpmath.mpf(0)
        self.errors = (ValueError, ArithmeticError)

    @staticmethod
    def nothing(x: Any) -> bool:
        return x == 0

    scale = operator.mul
    add = operator.add

    def context(self):  # type: ignore[override]
        return self.mpmath.workdps(self.digits + 5)

    def number(self, c: Any) -> Any:
        mp = self.mpmath
        name = getattr(c, "name", None)
        if name == "pi":
            return +mp.pi
        if name == "e":
            return mp.e + 0
        if type(c) is Fraction:
            return mp.mpf(c.numerator) / c.denominator
        return mp.mpf(c)

    def literals(self, tape: Tape, start: int = 0) -> list[Any]:
        with self.context():
            return [None if c is None else self.number(c) for c in tape.consts[start:]]

    def finish(self, tape: Tape, xs: list, what: str, start: int = 0) -> list:
        mp = self.mpmath
        if not all(mp.isfinite(x) for x in (xs[start:] if start else xs) if x is not None):
            from adcalc.describe import not_finite

            raise not_finite(tape, [float(x) if x is not None else None for x in xs], what,
                             start)
        return xs


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


class Sweeps:
    """The primal values, the reverse sweep's record and the gradient in one arithmetic,
    and the steps that left it (``Exact``: the nodes computed as doubles first)."""

    def __init__(self, tape: Tape, values: list[Any], sweep: Any, gradient: dict[str, Any],
                 fallbacks: list[int]) -> None:
        self.tape = tape
        self.values = values
        self.sweep = sweep
        self.gradient = gradient
        self.fallbacks = fallbacks


def run(text: str, point: Mapping[str, float], variables: list[str], exact_: bool,
        digits: int | None = None, record: bool = True) -> Sweeps:
    """Primal and adjoint sweeps of ``text`` at ``point``, exactly or with ``digits``."""
    from adcalc.parse import parse

    tape = parse(text, exact=True)
    if exact_:
        S: Floats = Exact()
        inputs: dict[str, Any] = {n: typed(point[n]) for n in tape.variables}
    else:
        if digits is None or not 1 <= digits <= MAX_DIGITS:
            raise InputError(f"--precision takes 1 to {MAX_DIGITS} significant digits")
        try:
            S = Precise(digits)
        except ImportError:
            raise InputError("--precision needs mpmath: pip install 'adcalc[precise]' "
                             "(or pip install mpmath)") from None
        with S.context():
            inputs = {n: S.number(_precise_input(point[n], S)) for n in tape.variables}
    vals = primal(tape, inputs, S)
    with S.context():
        sweep = adjoint(tape, vals, {tape.output: S.number(Fraction(1)) if not exact_ else
                                     Fraction(1)}, S, record=record)
    # the rules write some partials as literals (1.0 for a sum): in this arithmetic too
    convert = exact if exact_ else S.number  # type: ignore[attr-defined]
    sweep.edges = [(j, i, k, convert(p) if type(p) is float else p)
                   for j, i, k, p in sweep.edges]
    gradient = {n: sweep.adjoints[tape.var_node[n]] for n in variables}
    if not exact_:
        import mpmath

        mpmath.mp.dps = digits  # what the tables show, and their products, carry
    fallbacks: list[int] = []
    if exact_:
        exactly = [type(v) is Fraction for v in vals]
        for i, op in enumerate(tape.ops):
            if op == CONST:
                exactly[i] = type(tape.consts[i]) is Fraction
            elif op >= 0 and not exactly[i]:
                args = [tape.a0[i]] + ([tape.a1[i]] if tape.a1[i] >= 0 else [])
                if all(exactly[a] for a in args):
                    fallbacks.append(i)
    return Sweeps(tape, vals, sweep, gradient, fallbacks)


def _precise_input(x: float, S: Precise) -> Any:
    """A point's number for ``Precise``: a constant expression evaluated in its digits."""
    text = getattr(x, "text", None)
    if text is None:
        return typed(x)
    from adcalc.parse import parse

    tape = parse(text, exact=True)
    return primal(tape, {}, S)[tape.output]
