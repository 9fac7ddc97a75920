"""Sweeps in exact and in high-precision arithmetic, for checking a trace by hand.

Two more sweep algebras (``engine.algebra.SweepAlgebra``) for the walks of
``engine.sweeps`` (the walks are not written again):

* ``Exact``: exact values.  Rationals (``Fraction``) wherever the operation allows —
  arithmetic, integer powers, roots of perfect powers, the exact values of functions
  (``sin(0)``, ``log(1)``, ``sin(pi/6)``); where a value is irrational (``log(2)``,
  ``exp(100)``, ``sqrt(2)``, ``pi/4``), a closed form (``closed.Closed``: its formula
  and the decimal digits mpmath's evaluations in ``LOW`` and ``HIGH`` digits agree on).
  ``fallbacks`` names the steps where closed forms enter.
* ``Precise``: mpmath numbers with ``digits`` significant digits, every primitive
  evaluated by mpmath (imported only here: it comes with the ``precise`` extra, and with
  sympy; its rule algebra is ``MpRules``).

Both run on the expression read exactly (``parse(text, exact=True)``: ``0.1`` is 1/10,
``pi`` is pi), with the point's numbers read as the decimals they were typed as.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

from adcalc.engine.algebra import SweepAlgebra, primitive_methods
from adcalc.engine.primitives import PRIMITIVES
from adcalc.engine.sweeps import adjoint, primal
from adcalc.engine.tape import Tape
from adcalc.errors import DomainError, InputError, param
from adcalc.symbolic.closed import (  # the closed forms, where the renderers took them
    FORMULA,
    HIGH,
    JSON_FORMULA,
    LOW,
    SHOWN,
    Closed,
    ExactRules,
    Field,
    Unsettled,
    _mp_table,
    _real,
)

__all__ = ["FORMULA", "HIGH", "JSON_FORMULA", "LOW", "MAX_DIGITS", "SHOWN", "Closed",
           "Entries", "Exact", "Field", "MpRules", "Precise", "Sweeps", "Unsettled",
           "reference_name", "run", "typed"]

MAX_DIGITS = 1000
"""The most significant digits ``--precision`` takes."""


def typed(x: float, S: Exact | None = None) -> Any:
    """A point's number as it was typed: a decimal by its shortest text (``0.1`` is 1/10),
    a constant expression (``1/3``, ``pi/4``: ``options.Typed``) evaluated exactly (a
    closed form of ``S``'s values where it is not rational: pi/4)."""
    text = getattr(x, "text", None)
    if text is None:
        return Fraction(repr(float(x)))
    from adcalc.frontend.parse import parse

    tape = parse(text, exact=True)
    return primal(tape, {}, S if S is not None else Exact())[tape.output]


class Exact(SweepAlgebra):
    """Exact values: rationals where the operations allow, closed forms (``Closed``)
    where a value is irrational.  Finite by construction (``finish`` checks nothing)."""

    errors = (ValueError, ArithmeticError)

    def __init__(self) -> None:
        self.field = Field()
        self.rules = ExactRules(self.field)
        self.values = [getattr(self.rules, p.name) for p in PRIMITIVES]
        self.zero = Fraction(0)
        self.one = Fraction(1)

    @staticmethod
    def nothing(x: Any) -> bool:
        return type(x) is Fraction and x == 0

    def scale(self, d: Any, p: Any) -> Any:
        return d * self.field.lift(p)

    def number(self, c: Any) -> Any:
        return self.field.lift(c)

    def domain_error(self, tape: Tape, i: int, vals: list, exc: BaseException) -> Exception:
        if isinstance(exc, Unsettled):
            return _unsettled(tape, i, exc, "")
        return super().domain_error(tape, i, vals, exc)

    def not_differentiable(self, tape: Tape, i: int, vals: list, exc: BaseException
                           ) -> Exception:
        if isinstance(exc, Unsettled):
            return _unsettled(tape, i, exc, "a local partial of ")
        return super().not_differentiable(tape, i, vals, exc)


def _unsettled(tape: Tape, i: int, exc: BaseException, what: str) -> Exception:
    from adcalc.engine.describe import operation
    from adcalc.errors import DomainError

    labels = tape.labels()
    return DomainError(f"at {what}{labels[i]} = {operation(tape, labels, i)}: {exc}",
                       labels[i])


class Entries(list):
    """The nodes where exact values stop being rational: a value that is irrational
    though its arguments are rational (``exp(100)``), or a local partial that is (the
    ``log(2)`` of ``2^x``); ``partials`` lists the latter as ``(node, argument
    position)``."""

    partials: list[tuple[int, int]]


def reference_name(g: Any) -> str:
    """What ``--exact --check`` compares with (``g``: the ``Gradient``): exact rationals,
    or exact values some of which were closed forms on the way."""
    seen = [*g.values, *g.gradient.values(), *(g.adjoint.adjoints if g.adjoint else [])]
    if not any(type(v) is Closed for v in seen):
        return "exact rationals"
    return "exact arithmetic (rationals and closed forms, each compared as the double nearest it)"


class MpRules:
    """The primitives on mpmath numbers (a ``RuleAlgebra``): ``functions`` by op code."""

    def __init__(self, functions: list[Callable[..., Any]]) -> None:
        primitive_methods(self, functions)


class Precise(SweepAlgebra):
    """mpmath numbers with ``digits`` significant digits (the defaults of
    ``SweepAlgebra``: products, sums and zeros as mpmath has them)."""

    def __init__(self, digits: int, work: int | None = None) -> None:
        import mpmath

        self.mpmath = mpmath
        self.digits = digits
        self.work = digits + 5 if work is None else work
        """The working precision (digits): ``run`` raises it until the results' first
        ``digits`` digits stop changing (cancellation eats working digits)."""
        table = _mp_table(mpmath)
        self.values = [_real(table[p.name]) for p in PRIMITIVES]
        self.rules = MpRules(self.values)
        self.zero = mpmath.mpf(0)
        self.one = mpmath.mpf(1)
        self.errors = (ValueError, ArithmeticError)

    def context(self):  # type: ignore[override]
        return self.mpmath.workdps(self.work)

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
            from adcalc.engine.describe import not_finite

            raise not_finite(tape, [float(x) if x is not None else None for x in xs], what,
                             start)
        return xs


class Sweeps:
    """The primal values, the reverse sweep's record and the gradient in one arithmetic,
    and (``Exact``) the steps where closed forms enter: ``Entries``."""

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
    from adcalc.frontend.parse import parse

    tape = parse(text, exact=True, at=point)  # a program with control flow: its path there
    if exact_:
        return _sweeps(tape, point, variables, Exact(), record)
    if digits is None or not 1 <= digits <= MAX_DIGITS:
        raise InputError(f"{param('digits')} takes 1 to {MAX_DIGITS} significant digits")
    try:
        import mpmath
    except ImportError:
        raise InputError(f"{param('digits')} needs mpmath: pip install 'adcalc[precise]' "
                         "(or pip install mpmath)") from None
    # digits lost to cancellation (exp(x) - 1 at 1e-13) are found by running again with
    # more working digits: the result stands once its first `digits` digits, and every
    # value's, stop changing (4 rounds, to 16 times the digits, at most)
    work, shown, last = digits + 5, None, None
    for _ in range(5):
        result = _sweeps(tape, point, variables, Precise(digits, work), record)
        with mpmath.workdps(digits):
            now = [mpmath.nstr(x, digits) for x in (*result.gradient.values(), *(
                v for v in result.values if v is not None))]
        if now == shown:  # (the first of the two: its decisions are the usual run's)
            return last
        last, shown, work = result, now, 2 * work + 10
    raise DomainError(f"{digits} digits cannot be settled here: each more precise run "
                      "changed them (a value too close to a cancellation or a boundary)")


def _sweeps(tape: Tape, point: Mapping[str, float], variables: list[str],
            S: Exact | Precise, record: bool) -> Sweeps:
    """One primal and one adjoint sweep in ``S``'s arithmetic."""
    exact_ = isinstance(S, Exact)
    if exact_:
        inputs: dict[str, Any] = {n: typed(point[n], S) for n in tape.variables}  # type: ignore[arg-type]
    else:
        with S.context():
            inputs = {n: S.number(_precise_input(point[n], S)) for n in tape.variables}
    vals = primal(tape, inputs, S)
    with S.context():
        # exact: always recorded, to find the local partials where closed forms enter
        sweep = adjoint(tape, vals, {tape.output: S.number(Fraction(1)) if not exact_ else
                                     Fraction(1)}, S, record=record or exact_)
    # the rules write some partials as literals (1.0 for a sum): in this arithmetic too
    convert = S.field.lift if exact_ else S.number  # type: ignore[attr-defined]
    sweep.edges = [(j, i, k, convert(p) if type(p) is float else p)
                   for j, i, k, p in sweep.edges]
    gradient = {n: sweep.adjoints[tape.var_node[n]] for n in variables}
    fallbacks = Entries()
    fallbacks.partials = []
    if exact_:
        closed = [type(v) is Closed for v in vals]

        def enters(i: int) -> bool:  # node i and its arguments are rational
            return not closed[i] and not closed[tape.a0[i]] and not (
                tape.a1[i] >= 0 and closed[tape.a1[i]])

        for i, op in enumerate(tape.ops):
            if op >= 0 and closed[i] and not closed[tape.a0[i]] and not (
                    tape.a1[i] >= 0 and closed[tape.a1[i]]):
                fallbacks.append(i)
        seen = set()
        for j, _, k, p in sweep.edges:
            if type(p) is Closed and (j, k) not in seen and enters(j):
                seen.add((j, k))
                fallbacks.partials.append((j, k))
        fallbacks.extend(sorted({j for j, _ in seen}))
        if not record:
            sweep.edges = []
    return Sweeps(tape, vals, sweep, gradient, fallbacks)


def _precise_input(x: float, S: Precise) -> Any:
    """A point's number for ``Precise``: a constant expression evaluated in its digits."""
    text = getattr(x, "text", None)
    if text is None:
        return typed(x)
    from adcalc.frontend.parse import parse

    tape = parse(text, exact=True)
    return primal(tape, {}, S)[tape.output]

