"""Taylor mode: truncated Taylor polynomials pushed through the tape in one forward sweep.

Griewank & Walther, *Evaluating Derivatives* (2008), ch. 13; JAX's ``jet``.  Every node's
value becomes the list ``[u_0, u_1, …, u_K]`` of the coefficients of ``u(x + t·d)`` in
``t`` (``u_k = (1/k!)·dᵏu/dtᵏ`` at t = 0), and every primitive has one **Taylor rule**
here, a recurrence through the ODE the function satisfies (``exp: u' = u·a'``,
``sin/cos: s' = c·a', c' = -s·a'``, ``a^c: a·u' = c·a'·u``…): O(K²) work a node for
all K orders at once, where nesting first-order sweeps costs O(2^K) or a derivative tape
that swells with K.

This is a new *algebra* for the one primal walk of ``adcalc.sweeps`` (its values are
series), not a new walk.  The series' numbers are those of a scalar sweep algebra:
``FLOATS`` (doubles), ``precise.Exact`` (rationals and closed forms) or
``precise.Precise`` (mpmath); a rule calls that algebra's primitives for coefficient 0
(which is therefore exactly the primal value) and Python's arithmetic operators (which
all of them have) for the rest.

Policies, as the other sweeps have them:

* a node whose arguments are constant along the line (their coefficients 1…K are 0) is
  constant: its rule is not even called (the tangent sweep's "nothing flows");
* a series that does not exist (``sqrt`` at 0, ``asin`` at ±1, ``x^0.5`` at 0, ``atan2``
  and ``hypot`` at the origin, a variable exponent of a base <= 0) raises ``Singular``,
  reported as a math error naming the node;
* piecewise primitives (abs, relu, sign, step, max, min) follow the branch the line
  takes: where the argument (or the difference) is 0 with its first non-zero
  coefficient at an even order the line stays on one side, and the series is exact;
  at an odd order (or any jump of sign and step) the point is a kink, the primitive's
  convention is used (derivative 0; a tie splits 0.5/0.5) and ``kinked`` reports it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from itertools import islice
from operator import mul
from typing import Any

from adcalc.engine.algebra import SweepAlgebra
from adcalc.engine.primitives import KIND, PRIMITIVES
from adcalc.engine.series import Series, Singular, Taylor, first_term, is_constant, is_int
from adcalc.engine.sweeps import FLOATS, kinks, primal
from adcalc.engine.tape import Tape
from adcalc.errors import DomainError

MAX_ORDER = 1000
"""The highest order the sweep takes (the work grows as K²; factorials as K!)."""


class Fixed(list):
    """A series known to be constant along the line, not only 0 past coefficient 0 up
    to the order asked: a literal, an input the direction does not move, and what is made
    of those alone.  ``x^4`` at 0 to order 3 is ``[0, 0, 0, 0]`` too, but not ``Fixed``:
    where a primitive is not smooth at the value, its terms past the order decide the
    series (``sqrt(x^4)`` is x²)."""


_NOT_SMOOTH: dict[str, Callable[[Any, Any, Any], bool]] = {
    "sqrt": lambda a, b, c: a == 0,
    "powc": lambda a, b, c: a == 0 and not (is_int(c) and c >= 0),
    "pow": lambda a, b, c: a == 0, "pow_dx": lambda a, b, c: a == 0,
    "asin": lambda a, b, c: abs(a) == 1, "acos": lambda a, b, c: abs(a) == 1,
    "dasin": lambda a, b, c: abs(a) == 1,
    "atan2": lambda a, b, c: a == 0 and b == 0, "hypot": lambda a, b, c: a == 0 and b == 0,
    "over_sumsq": lambda a, b, c: a == 0 and b == 0,
    "sign": lambda a, b, c: a == 0, "step": lambda a, b, c: a == 0,
}
"""Where a primitive has no Taylor series in its argument's own (a root's, a jump's):
there an argument 0 past coefficient 0 up to the order asked says nothing of the
result, unless it is ``Fixed``."""


def _truncated(K: int) -> Singular:
    orders = "order 1" if K == 1 else f"orders 1 to {K}"
    return Singular(
        f"its series here cannot be told to order {K}: its argument has no term of "
        f"{orders}, and the function is not smooth at that value, so the argument's terms "
        f"past order {K} decide it (sqrt(x^4) at 0 is x^2, sqrt(x^2) has no series); "
        "adcalc does not find such a series")


Rule = Callable[[Taylor, Any, Series, Any, Any], Series]


def _linear(f: Callable[..., Any]) -> Rule:
    def rule(T: Taylor, u0: Any, a: Series, b: Any, c: Any) -> Series:
        out = [f(x, y) for x, y in zip(a, b, strict=True)] if b is not None else list(map(f, a))
        out[0] = u0
        return out
    return rule


def _mul(T: Taylor, u0: Any, a: Series, b: Series, c: Any) -> Series:
    out = T.product(a, b)
    out[0] = u0
    return out


def _pow(T: Taylor, u0: Any, a: Series, b: Series, c: Any) -> Series:
    if is_constant(b):
        return T.power(a, b[0], u0)
    a0 = a[0]
    if not a0 > 0:
        if not a0 and is_constant(a) and b[0] > 0:
            return [u0, *([T.zero] * T.K)]  # 0^y = 0 near y > 0
        raise Singular("x^y with a varying exponent y has a real Taylor series only for a "
                       "base x > 0")
    log_a = T.log(a, T.F.log(a0)) if not is_constant(a) else [T.F.log(a0), *([T.zero] * T.K)]
    return T.exp(T.product(b, log_a), u0)


def _tan(T: Taylor, u0: Any, a: Series, b: Any, c: Any) -> Series:
    return T.riccati(a, u0, 1 + u0 * u0, 1)[0]


def _tanh_w(T: Taylor, a: Series) -> tuple[Series, Series]:
    u0 = T.F.tanh(a[0])
    w0 = 1 - u0 * u0 if T.exact else T.F.dtanh(a[0])
    return T.riccati(a, u0, w0, -1)


def _dtanh(T: Taylor, u0: Any, a: Series, b: Any, c: Any) -> Series:
    w = _tanh_w(T, a)[1]
    if not T.exact:  # the primal's own value; exact keeps its closed form
        w[0] = u0
    return w


def _dsigmoid(T: Taylor, u0: Any, a: Series, b: Any, c: Any) -> Series:
    w = T.logistic(a)[1]
    if not T.exact:  # the primal's own value; exact keeps its closed form
        w[0] = u0
    return w


def _softplus(T: Taylor, u0: Any, a: Series, b: Any, c: Any) -> Series:
    sigma = T.logistic(a)[0]
    ja, out = T.weighted(a), [u0]
    for k in range(1, T.K + 1):
        out.append(sum(map(mul, ja[1:k + 1], sigma[k - 1::-1]), T.zero) / k)
    return out


def _log_base(base: float) -> Rule:
    def rule(T: Taylor, u0: Any, a: Series, b: Any, c: Any) -> Series:
        ln = T.log(a, u0)
        scale = T.F.log(base)
        return [u0, *(x / scale for x in islice(ln, 1, None))]
    return rule


def _arcsine(sign: int) -> Rule:
    def rule(T: Taylor, u0: Any, a: Series, b: Any, c: Any) -> Series:
        """q·u' = ±a' with q = sqrt(1 - a²): k·q_0·u_k = ±k·a_k - Σ j·u_j·q_{k-j}."""
        q = T.root_one_minus_square(a, "asin and acos have no Taylor series at ±1 (their "
                                       "derivative is infinite there)")
        out, ju = [u0], [T.zero]
        for k in range(1, T.K + 1):
            s = sum(map(mul, ju[1:k], q[k - 1:0:-1]), T.zero)
            out.append((sign * a[k] - s / k) / q[0])
            ju.append(k * out[k])
        return out
    return rule


def _dasin(T: Taylor, u0: Any, a: Series, b: Any, c: Any) -> Series:
    q = T.root_one_minus_square(a, "asin' has a pole at ±1")
    return T.divide([1, *([T.zero] * T.K)], q, u0)


def _quotient_ode(T: Taylor, u0: Any, n: Callable[[int], Any], d: Series) -> Series:
    """u' = n/d given coefficient k-1 of n (``n(k-1)``): k·d_0·u_k = n_{k-1} -
    Σ_{j=1..k-1} j·u_j·d_{k-j}."""
    out, ju = [u0], [T.zero]
    for k in range(1, T.K + 1):
        s = sum(map(mul, ju[1:k], d[k - 1:0:-1]), T.zero)
        out.append((n(k - 1) - s) / (k * d[0]))
        ju.append(k * out[k])
    return out


def _atan(T: Taylor, u0: Any, a: Series, b: Any, c: Any) -> Series:
    """(s² + â²)·u' = s·â' with â = s·a (s scales a large |a_0| near 1: no overflow; a
    small one needs none, as 1 + a² is 1 there, and s² would overflow)."""
    s, (x,) = T.scaled(a) if abs(a[0]) > 1 else (1, [a])
    d = T.square(x)
    d[0] = d[0] + s * s
    jx = T.weighted(x)
    return _quotient_ode(T, u0, lambda m: s * jx[m + 1], d)


def _atan2(T: Taylor, u0: Any, a: Series, b: Series, c: Any) -> Series:
    """atan2(y, x): (x² + y²)·u' = x·y' - y·x' (scaled: atan2 does not change)."""
    _, (y, x) = T.scaled(a, b)
    d = [p + q for p, q in zip(T.square(x), T.square(y), strict=True)]
    if not d[0]:
        raise Singular("atan2 has no Taylor series at the origin (0, 0)")
    jx, jy = T.weighted(x), T.weighted(y)

    def n(m: int) -> Any:  # coefficient m of x·y' - y·x' (y' has j·y_j at t^(j-1))
        return T.conv(x, jy[1:], m) - T.conv(y, jx[1:], m)

    return _quotient_ode(T, u0, n, d)


def _over_sumsq(T: Taylor, u0: Any, a: Series, b: Series, c: Any) -> Series:
    """u/(u² + v²), scaled: (s·u)/((s·u)² + (s·v)²)·s."""
    s, (x, y) = T.scaled(a, b)
    d = [p + q for p, q in zip(T.square(x), T.square(y), strict=True)]
    if not d[0]:
        raise Singular("u/(u² + v²) has no Taylor series where u and v are both 0")
    out = T.divide(x, d, u0 / s if s != 1 else u0)
    return [u0, *(v * s for v in islice(out, 1, None))]


def _hypot(T: Taylor, u0: Any, a: Series, b: Series, c: Any) -> Series:
    s, (x, y) = T.scaled(a, b)
    sq = [p + q for p, q in zip(T.square(x), T.square(y), strict=True)]
    h0 = u0 * s if s != 1 else u0
    if not h0:
        raise Singular("hypot has no Taylor series at the origin (a kink, like abs at 0)")
    out = T.sqrt(sq, h0, "hypot has no Taylor series at the origin")
    return [u0, *(v / s for v in islice(out, 1, None))]


def _pow_dx(T: Taylor, u0: Any, a: Series, b: Series, c: Any) -> Series:
    """y·x^(y-1)."""
    if is_constant(b) and not b[0]:
        return [u0, *([T.zero] * T.K)]
    b1 = [b[0] - 1, *islice(b, 1, None)]
    p = _pow(T, T.F.pow(a[0], b1[0]), a, b1, None)
    out = T.product(b, p)
    out[0] = u0
    return out


def _xlogy(T: Taylor, u0: Any, a: Series, b: Series, c: Any) -> Series:
    if is_constant(a) and not a[0]:
        return [u0, *([T.zero] * T.K)]
    out = T.product(a, T.log(b, T.F.log(b[0])) if not is_constant(b)
                    else [T.F.log(b[0]), *([T.zero] * T.K)])
    out[0] = u0
    return out


def _constant(T: Taylor, u0: Any, a: Series, b: Any, c: Any) -> Series:
    return [u0, *([T.zero] * T.K)]


def branch(a: Series) -> tuple[int, bool]:
    """The sign ``a`` takes along the line near t = 0 (t > 0 and t < 0 alike), and
    whether it changes sign there (a kink): by its first non-zero coefficient, whose
    order decides (even: one side; odd: both).  ``(0, False)``: 0 all along."""
    if a[0]:
        return (1 if a[0] > 0 else -1), False
    m = first_term(a)
    if m == len(a):
        return 0, False
    return (1 if a[m] > 0 else -1), m % 2 == 1


def _abs(T: Taylor, u0: Any, a: Series, b: Any, c: Any) -> Series:
    side, kink = branch(a)
    if kink or not side:
        return [u0, *([T.zero] * T.K)]  # the convention: derivative 0
    return [u0, *(x if side > 0 else -x for x in islice(a, 1, None))]


def _relu(T: Taylor, u0: Any, a: Series, b: Any, c: Any) -> Series:
    side, kink = branch(a)
    if kink or side <= 0:
        return [u0, *([T.zero] * T.K)]
    return [u0, *islice(a, 1, None)]


def _extreme(larger: bool) -> Rule:
    def rule(T: Taylor, u0: Any, a: Series, b: Series, c: Any) -> Series:
        side, kink = branch([x - y for x, y in zip(a, b, strict=True)])
        if kink:  # a tie the line crosses: 0.5/0.5, as the first-order convention
            return [u0, *((x + y) / 2 for x, y in zip(a[1:], b[1:], strict=True))]
        pick = a if side == 0 or (side > 0) == larger else b
        return [u0, *islice(pick, 1, None)]
    return rule


RULES: dict[str, Rule] = {
    "add": _linear(lambda x, y: x + y), "sub": _linear(lambda x, y: x - y),
    "mul": _mul, "div": lambda T, u0, a, b, c: T.divide(a, b, u0),
    "neg": _linear(lambda x, y=None: -x),
    "powc": lambda T, u0, a, b, c: T.power(a, c, u0), "pow": _pow,
    "sin": lambda T, u0, a, b, c: T.pair("trig", a)[0],
    "cos": lambda T, u0, a, b, c: T.pair("trig", a)[1], "tan": _tan,
    "asin": _arcsine(1), "acos": _arcsine(-1), "atan": _atan,
    "sinh": lambda T, u0, a, b, c: T.pair("hyp", a)[0],
    "cosh": lambda T, u0, a, b, c: T.pair("hyp", a)[1],
    "tanh": lambda T, u0, a, b, c: _tanh_w(T, a)[0],
    "exp": lambda T, u0, a, b, c: T.exp(a, u0), "log": lambda T, u0, a, b, c: T.log(a, u0),
    "log2": _log_base(2.0), "log10": _log_base(10.0),
    "sqrt": lambda T, u0, a, b, c: T.sqrt(a, u0, _SQRT),
    "abs": _abs, "sign": _constant, "step": _constant, "relu": _relu,
    "sigmoid": lambda T, u0, a, b, c: T.logistic(a)[0], "softplus": _softplus, "atan2": _atan2,
    "min": _extreme(False), "max": _extreme(True),
    "dtanh": _dtanh, "dsigmoid": _dsigmoid, "dasin": _dasin, "over_sumsq": _over_sumsq,
    "pow_dx": _pow_dx, "xlogy": _xlogy,
    "stop_gradient": _constant, "shift": _constant, "hypot": _hypot,
}
"""One Taylor rule per primitive, by name (``tests/engine/test_taylor.py`` holds that
every primitive of the table has one)."""

_SQRT = "sqrt has no Taylor series where its argument is 0 (its derivative is infinite there)"

JUMPS = frozenset({"sign", "step"})
"""Piecewise constant: any crossing of 0 along the line is a jump."""


def kinked(name: str, a: Series, b: Series | None) -> bool:
    """Whether the series of primitive ``name`` used its convention (a kink the line
    crosses), given its arguments' series."""
    if name in JUMPS:
        return not a[0] and not is_constant(a)
    if name in ("abs", "relu"):
        return branch(a)[1]
    if name in ("max", "min") and b is not None:
        return branch([x - y for x, y in zip(a, b, strict=True)])[1]
    return False


class SeriesAlgebra(SweepAlgebra):
    """The sweep algebra whose values are truncated Taylor series of the numbers of
    ``S`` (the primal walk of ``adcalc.sweeps`` runs over it unchanged)."""

    def __init__(self, S: Any, order: int) -> None:
        self.scalar = S
        self.T = Taylor(S, order)
        self.errors = tuple({*S.errors, ValueError, ArithmeticError})
        self.values = [self._value(p.name, k) for p, k in zip(PRIMITIVES, KIND, strict=True)]

    def _value(self, name: str, kind: int) -> Callable[..., Series]:
        T, f = self.T, getattr(self.scalar.rules, name)
        rule = RULES.get(name)

        def missing(*args: Any) -> Series:
            raise Singular(f"adcalc has no Taylor rule for {name} (adcalc/engine/taylor.py)")

        if rule is None:
            return missing
        smooth = _NOT_SMOOTH.get(name)
        fixed = rule is _constant  # (stop_gradient, sign and step: constant by definition)

        def constant(u0: Any, a: Series, b: Series | None, c: Any) -> Series:
            """The series of a primitive whose arguments have no term past order 0."""
            if type(a) is Fixed and (b is None or type(b) is Fixed):
                return Fixed([u0, *([T.zero] * T.K)])
            if smooth is not None and smooth(a[0], b and b[0], c):
                raise _truncated(T.K)
            return [u0, *([T.zero] * T.K)]

        if kind == 1:
            def unary(a: Series) -> Series:
                u0 = f(a[0])
                if is_constant(a):
                    return constant(u0, a, None, None)
                out = rule(T, u0, a, None, None)
                return Fixed(out) if fixed and not (a[0] == 0 and smooth) else out
            return unary
        if kind == 2:
            def binary(a: Series, b: Series) -> Series:
                u0 = f(a[0], b[0])
                if is_constant(a) and is_constant(b):
                    return constant(u0, a, b, None)
                return rule(T, u0, a, b, None)
            return binary

        def with_const(a: Series, c: Any) -> Series:
            u0 = f(a[0], c)
            return constant(u0, a, None, c) if is_constant(a) else rule(T, u0, a, None, c)
        return with_const

    def apply(self, op: int, args: Sequence[Series], const: Any = None) -> Series:
        """The one signature of the algebras: primitive ``op`` on series."""
        kind = KIND[op]
        f = self.values[op]
        return f(args[0], const) if kind == 3 else f(*args)

    def literals(self, tape: Tape, start: int = 0) -> list[Any]:
        zeros = [self.T.zero] * self.T.K
        return [None if x is None else Fixed([x, *zeros])
                for x in self.scalar.literals(tape, start)]

    def context(self) -> Any:
        return self.scalar.context()

    def domain_error(self, tape: Tape, i: int, vals: list, exc: BaseException) -> Exception:
        base = [None if v is None else v[0] for v in vals]
        if not isinstance(exc, Singular):
            return self.scalar.domain_error(tape, i, base, exc)
        from adcalc.engine.describe import argument_values, operation, where

        labels = tape.labels()
        return DomainError(
            f"math error at {labels[i]} = {operation(tape, labels, i)}: {exc}"
            f"{argument_values(tape, labels, i, base)}"
            f"{where(tape, i)}", labels[i])

    def finish(self, tape: Tape, xs: list, what: str, start: int = 0) -> list:
        if self.T.floats:
            for i, x in enumerate(xs):
                if x is not None and not all(map(math.isfinite, x)):
                    k = next(k for k, v in enumerate(x) if not math.isfinite(v))
                    labels = tape.labels()
                    if k == 0:
                        from adcalc.engine.describe import domain_error

                        raise domain_error(tape, i, [v and v[0] for v in xs], OverflowError())
                    raise DomainError(
                        f"overflow: the coefficient of order {k} of {labels[i] or 'a literal'}"
                        f" is {x[k]!r}, too large for a double (a singularity within "
                        f"reach of the point along the direction, or an order too high)",
                        labels[i])
        return xs


def sweep(tape: Tape, inputs: Mapping[str, Series], order: int, S: Any = FLOATS
          ) -> list[Series]:
    """Every node's Taylor series to ``order``, from the inputs' series (by variable
    name, each ``order + 1`` coefficients: ``[x_0, d_x, 0, …]`` along a line)."""
    algebra = SeriesAlgebra(S, order)
    return primal(tape, {n: Fixed(s) if is_constant(s) else list(s) for n, s in inputs.items()},
                  algebra)


def kink_nodes(tape: Tape, series: Sequence[Series], sources: Sequence[int]) -> list[int]:
    """The nodes where a piecewise primitive's convention was used and the result
    depends on it (read as the other sweeps read it, then kept where the line really
    crosses the kink: ``abs(x^2)`` at 0 is exact, ``abs(x)`` is not)."""
    base = [None if s is None else s[0] for s in series]
    found = kinks(tape, base, FLOATS, list(sources), tape.outputs) or []
    out = []
    for i in found:
        b = tape.a1[i]
        if kinked(PRIMITIVES[tape.ops[i]].name, series[tape.a0[i]],
                  series[b] if b >= 0 else None):
            out.append(i)
    return out


def missing_rules() -> list[str]:
    """The primitives of the table without a Taylor rule (should be none)."""
    return [p.name for p in PRIMITIVES if p.name not in RULES]

