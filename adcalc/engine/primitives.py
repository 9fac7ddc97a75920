"""The table of primitives: everything about each primitive, in one place.

Each entry holds the primitive's value on floats, its local partial derivatives, its
domain, its non-differentiable points and how it prints.  The partials are written once
against an *algebra* ``A`` (see ``adcalc.algebra``): with the float algebra they give
numbers for the sweeps, with the print algebra the formula shown in the trace tables,
and with a tape they build symbolic derivatives.  A rule only ever calls ``A``.

A rule has the signature ``partials(A, out, a, b, c)``: ``out`` is the node's own value,
``a`` and ``b`` its arguments (``b`` is ``None`` for unary primitives) and ``c`` the
node's literal constant (the exponent of ``x^3``; ``None`` otherwise).  It returns one
partial per argument.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Precedence levels used by every printer.
PREC_ADD, PREC_MUL, PREC_NEG, PREC_POW, PREC_ATOM = 1, 2, 3, 4, 5

Rule = Callable[[Any, Any, Any, Any, Any], tuple]


@dataclass(frozen=True)
class Primitive:
    """One primitive operation of the tape."""

    name: str
    arity: int
    value: Callable[..., float]
    partials: Rule
    domain: str = ""
    nondiff: Callable[..., bool] | None = None
    """``nondiff(a, b, c)``: whether the primitive is not differentiable there; the rule
    still gives the conventional partials, and the trace warns with ``convention``."""
    convention: str = ""
    kinks_for: Callable[[Any], bool] | None = None
    """For a primitive with a literal (``takes_const``), whether that literal gives it
    a ``nondiff`` point at all (x^2 has none: its nodes are not looked at)."""
    kink_args: tuple[int, ...] = (0, 1)
    """The arguments a ``nondiff`` point is one for: a derivative flowing in through
    another passes on as usual (x^y at x = 0 has an infinite slope in x, not in y)."""
    derivative_domain: str = ""
    """Where the derivative exists, when that is less than where the value does."""
    symbol: str | None = None
    prec: int = PREC_ATOM
    takes_const: bool = False
    latex: str | None = None
    user: bool = True
    """Whether users may call it as a function by name."""
    variadic: bool = False
    """A binary primitive users may call with any number of arguments (folded)."""
    aliases: tuple[str, ...] = ()
    """Other names users may call it by (``ln`` for ``log``)."""
    signature: str = ""
    """How a call is written, when not ``name(x)`` / ``name(a, b)``."""
    prints_as: Callable[..., Any] | None = None
    """How a formula shows it, written with the print algebra (an internal primitive that
    computes stably, shown as the textbook writes it: xlogy(x, y) as x*log(y))."""
    doc: str = ""
    """One line for ``adcalc functions``, ``--help`` and the README (generated from here)."""
    array: str | Callable[..., Any] | None = None
    """Its value on NumPy arrays: a NumPy function name (default: ``name``) or a function.
    NumPy is imported only when arrays are used."""


def _sigmoid(a: float) -> float:
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    z = math.exp(a)
    return z / (1.0 + z)


def _softplus(a: float) -> float:
    return max(a, 0.0) + math.log1p(math.exp(-abs(a)))


def _sign(a: float) -> float:
    return 0.0 if a == 0 else math.copysign(1.0, a)


def _step(a: float) -> float:
    return 1.0 if a > 0 else 0.0


def _relu(a: float) -> float:
    return a if a > 0 else 0.0



def _sigmoid_array(a: Any) -> Any:
    import numpy as np

    z = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def _softplus_array(a: Any) -> Any:
    import numpy as np

    return np.logaddexp(0.0, a)


def _power_array(a: Any, c: float) -> Any:
    import numpy as np

    if c == 1.0:
        return a
    if c == 2.0:
        return a * a
    if c == 0.5:
        return np.sqrt(a)
    return np.power(a, c)


def _dtanh(a: float) -> float:
    return 4.0 * _sigmoid(2.0 * a) * _sigmoid(-2.0 * a)


def _dsigmoid(a: float) -> float:
    return _sigmoid(a) * _sigmoid(-a)


def _dtanh_array(a: Any) -> Any:
    return 4.0 * _sigmoid_array(2.0 * a) * _sigmoid_array(-2.0 * a)


def _dsigmoid_array(a: Any) -> Any:
    return _sigmoid_array(a) * _sigmoid_array(-a)


def _dasin(a: float) -> float:
    return 1.0 / math.sqrt((1.0 - a) * (1.0 + a))


def _dasin_array(a: Any) -> Any:
    import numpy as np

    return 1.0 / np.sqrt((1.0 - a) * (1.0 + a))


def _over_sumsq(u: float, v: float) -> float:
    """u/(u² + v²): directly where the squares neither overflow nor vanish (one rounding
    fewer), else as (u/h)/h with h = hypot(u, v)."""
    s = u * u + v * v
    if 1e-290 < s < 1e300:
        return u / s
    h = math.hypot(u, v)
    return u / h / h


def _over_sumsq_array(u: Any, v: Any) -> Any:
    import numpy as np

    s = u * u + v * v
    h = np.hypot(u, v)
    return np.where((s > 1e-290) & (s < 1e300), u / s, u / h / h)


def _pow_dx(x: float, y: float) -> float:
    if y == 0:
        return 0.0
    if x == 0 and y < 1:  # 0 to a negative power (math.pow says only 'math domain error')
        raise ZeroDivisionError("0 to a negative power")
    if x != 0:
        out = math.pow(x, y)
        if out != 0 and abs(out) >= 2.2250738585072014e-308 and math.isfinite(out):
            ratio = out / x  # or (y/x)·out where x^y/x overflows (x = 5e-324, y ≈ 0)
            return y * ratio if math.isfinite(ratio) else (y / x) * out
    return y * math.pow(x, y - 1.0)


def _pow_dx_array(x: Any, y: Any) -> Any:
    import numpy as np

    out = np.power(x, y)
    safe_x = np.where(x == 0, 1.0, x)
    ratio = out / safe_x
    scaled = np.where(np.isfinite(ratio), y * ratio, (y / safe_x) * out)
    normal = (x != 0) & (np.abs(out) >= 2.2250738585072014e-308) & np.isfinite(out)
    return np.where(y == 0, 0.0, np.where(normal, scaled, y * np.power(x, y - 1.0)))


def _xlogy(x: float, y: float) -> float:
    return 0.0 if x == 0 else x * math.log(y)


def _xlogy_array(x: Any, y: Any) -> Any:
    import numpy as np

    return np.where(x == 0, 0.0, x * np.log(y))


def _identity_array(a: Any) -> Any:
    return a


def _step_array(a: Any) -> Any:
    import numpy as np

    return np.where(a > 0, 1.0, 0.0)


def _relu_array(a: Any) -> Any:
    import numpy as np

    return np.where(a > 0, a, 0.0)


def _at_zero(a: float, b: Any = None, c: Any = None) -> bool:
    return a == 0


def _tie(a: float, b: float, c: Any = None) -> bool:
    return a == b


def _at_one(a: float, b: Any = None, c: Any = None) -> bool:
    return abs(a) == 1


def _root(c: Any) -> bool:
    """Whether x^c has a point with an infinite slope: at 0, for a literal 0 < c < 1."""
    return 0 < c < 1


def _base_at_zero(a: float, b: float, c: Any = None) -> bool:
    """x^y at x = 0 for 0 < y < 1, where the value is 0 and the slope in x infinite."""
    return (a == 0) & (b > 0) & (b < 1)


def _both_zero(a: float, b: float, c: Any = None) -> bool:
    return (a == 0) & (b == 0)


def _infinite(where: str, example: str) -> str:
    return (f"its derivative is infinite {where}, and 0 times it is taken as 0 where a zero "
            f"derivative meets it, which need not be the true derivative ({example})")


_LOG_DOMAIN = "the logarithm is defined only for positive numbers"
_POW_DOMAIN = "a negative number to a non-integer power, or 0 to a negative power, is undefined"
_ZERO_OVER_ZERO = ("its partials are 0/0 where both arguments are 0, and are taken as 0 where "
                   "a zero derivative meets them, which need not be the true derivative")
_TIE = ("a tie splits the derivative 0.5/0.5 between both arguments (as JAX and PyTorch "
        "do; max(a, b, c) folds as max(max(a, b), c), so a three-way tie splits it "
        "0.25/0.25/0.5 where JAX gives a third each)")

PRIMITIVES: list[Primitive] = [
    Primitive("add", 2, operator.add, lambda A, out, a, b, c: (1.0, 1.0),
              symbol="+", prec=PREC_ADD, user=False, array="add",
              doc="a + b"),
    Primitive("sub", 2, operator.sub, lambda A, out, a, b, c: (1.0, -1.0),
              symbol="-", prec=PREC_ADD, user=False, array="subtract",
              doc="a - b"),
    Primitive("mul", 2, operator.mul, lambda A, out, a, b, c: (b, a),
              symbol="*", prec=PREC_MUL, user=False, array="multiply",
              doc="a * b"),
    Primitive("div", 2, operator.truediv,
              lambda A, out, a, b, c: (A.div(1.0, b), A.neg(A.div(out, b))),
              domain="division by zero", symbol="/", prec=PREC_MUL, user=False, array="divide",
              doc="a / b"),
    Primitive("neg", 1, operator.neg, lambda A, out, a, b, c: (-1.0,),
              symbol="-", prec=PREC_NEG, user=False, array="negative",
              doc="-a"),
    Primitive("powc", 1, math.pow,
              lambda A, out, a, b, c: (A.mul(c, A.powc(a, c - 1)),),
              domain=_POW_DOMAIN, symbol="^", prec=PREC_POW, takes_const=True, user=False,
              array=_power_array, nondiff=_at_zero, kinks_for=_root,
              convention=_infinite("at 0 for a power between 0 and 1",
                                   "x^(1/3)*x^(2/3)'s at 0 is 1"),
              doc="a to a literal power (x^2, x^-1, x^0.5)"),
    Primitive("pow", 2, math.pow,
              lambda A, out, a, b, c: (A.pow_dx(a, b), A.xlogy(out, a)),
              domain=_POW_DOMAIN, nondiff=_base_at_zero, kink_args=(0,),
              convention=_infinite("in its base at 0 for a power between 0 and 1",
                                   "(x^y)^2's in x at x = 0, y = 1/2 is 1"),
              derivative_domain="x^y has a derivative in y only for a base x >= 0 (PyTorch and "
                                "JAX return NaN for a negative base; at x = 0 it is 0)",
              symbol="^", prec=PREC_POW, array="power",
              doc="a to the power b (also a^b or a**b)"),
    Primitive("sin", 1, math.sin, lambda A, out, a, b, c: (A.cos(a),), latex=r"\sin",
              doc="sine (radians)"),
    Primitive("cos", 1, math.cos, lambda A, out, a, b, c: (A.neg(A.sin(a)),), latex=r"\cos",
              doc="cosine (radians)"),
    Primitive("tan", 1, math.tan, lambda A, out, a, b, c: (A.add(1.0, A.powc(out, 2.0)),),
              latex=r"\tan",
              doc="tangent (radians)"),
    Primitive("asin", 1, math.asin,
              lambda A, out, a, b, c: (A.dasin(a),),
              domain="asin is defined only on [-1, 1]", latex=r"\arcsin", array="arcsin",
              nondiff=_at_one,
              convention=_infinite("at 1 and -1", "(asin(x) - pi/2)^2's at 1 is -2"),
              doc="arcsine, on [-1, 1]"),
    Primitive("acos", 1, math.acos,
              lambda A, out, a, b, c: (A.neg(A.dasin(a)),),
              domain="acos is defined only on [-1, 1]", latex=r"\arccos", array="arccos",
              nondiff=_at_one, convention=_infinite("at 1 and -1", "acos(x)^2's at 1 is -2"),
              doc="arccosine, on [-1, 1]"),
    Primitive("atan", 1, math.atan, lambda A, out, a, b, c: (A.over_sumsq(1.0, a),),
              latex=r"\arctan", array="arctan",
              doc="arctangent"),
    Primitive("sinh", 1, math.sinh, lambda A, out, a, b, c: (A.cosh(a),), latex=r"\sinh",
              doc="hyperbolic sine"),
    Primitive("cosh", 1, math.cosh, lambda A, out, a, b, c: (A.sinh(a),), latex=r"\cosh",
              doc="hyperbolic cosine"),
    Primitive("tanh", 1, math.tanh, lambda A, out, a, b, c: (A.dtanh(a),),
              latex=r"\tanh",
              doc="hyperbolic tangent"),
    Primitive("exp", 1, math.exp, lambda A, out, a, b, c: (out,), latex=r"\exp",
              doc="e to the power x"),
    Primitive("log", 1, math.log, lambda A, out, a, b, c: (A.div(1.0, a),),
              domain=_LOG_DOMAIN, latex=r"\log",
              aliases=("ln",), signature="log(x), log(x, b)",
              doc="natural logarithm (ln(x) is the same); log(x, b) to base b"),
    Primitive("log2", 1, math.log2, lambda A, out, a, b, c: (A.div(1.0, A.mul(A.log(2.0), a)),),
              domain=_LOG_DOMAIN, latex=r"\log_2",
              doc="logarithm to base 2"),
    Primitive("log10", 1, math.log10, lambda A, out, a, b, c: (A.div(1.0, A.mul(A.log(10.0), a)),),
              domain=_LOG_DOMAIN, latex=r"\log_{10}",
              doc="logarithm to base 10"),
    Primitive("sqrt", 1, math.sqrt, lambda A, out, a, b, c: (A.div(0.5, out),),
              domain="sqrt is defined only for numbers >= 0", latex=r"\sqrt",
              nondiff=_at_zero, convention=_infinite("at 0", "sqrt(x)^2's at 0 is 1"),
              doc="square root"),
    Primitive("abs", 1, abs, lambda A, out, a, b, c: (A.sign(a),),
              nondiff=_at_zero,
              convention="the derivative is taken as 0 (as PyTorch does; JAX takes 1)",
              doc="absolute value"),
    Primitive("sign", 1, _sign, lambda A, out, a, b, c: (0.0,),
              nondiff=_at_zero, convention="the jump's derivative is taken as 0",
              doc="-1, 0 or 1 by the sign of x"),
    Primitive("step", 1, _step, lambda A, out, a, b, c: (0.0,),
              nondiff=_at_zero, convention="the jump's derivative is taken as 0",
              array=_step_array,
              doc="1 for x > 0, else 0 (Heaviside)"),
    Primitive("sigmoid", 1, _sigmoid, lambda A, out, a, b, c: (A.dsigmoid(a),),
              latex=r"\sigma", array=_sigmoid_array,
              doc="logistic function 1/(1 + exp(-x))"),
    Primitive("relu", 1, _relu, lambda A, out, a, b, c: (A.step(a),),
              nondiff=_at_zero, convention="the derivative is taken as 0 (as JAX and PyTorch do)",
              latex=r"\operatorname{relu}", array=_relu_array,
              doc="max(x, 0)"),
    Primitive("softplus", 1, _softplus, lambda A, out, a, b, c: (A.sigmoid(a),),
              latex=r"\operatorname{softplus}", array=_softplus_array,
              doc="log(1 + exp(x)), without overflow"),
    Primitive("atan2", 2, math.atan2,
              lambda A, out, a, b, c: (A.over_sumsq(b, a), A.neg(A.over_sumsq(a, b))),
              latex=r"\operatorname{atan2}", array="arctan2",
              nondiff=_both_zero, convention=_ZERO_OVER_ZERO,
              signature="atan2(y, x)", doc="the angle of the point (x, y) from the x-axis"),
    Primitive("min", 2, min,
              lambda A, out, a, b, c: (
                  A.mul(0.5, A.add(1.0, A.sign(A.sub(b, a)))),
                  A.mul(0.5, A.sub(1.0, A.sign(A.sub(b, a)))),
              ),
              nondiff=_tie, convention=_TIE, latex=r"\min", array="minimum",
              variadic=True, signature="min(a, b, …)",
              doc="the smallest of two or more numbers"),
    Primitive("max", 2, max,
              lambda A, out, a, b, c: (
                  A.mul(0.5, A.add(1.0, A.sign(A.sub(a, b)))),
                  A.mul(0.5, A.sub(1.0, A.sign(A.sub(a, b)))),
              ),
              nondiff=_tie, convention=_TIE, latex=r"\max", array="maximum",
              variadic=True, signature="max(a, b, …)",
              doc="the largest of two or more numbers"),
    # The derivatives of tanh and sigmoid, computed where 1 - tanh² and σ(1 - σ) lose every
    # digit (tanh'(20) = 1.7e-17, where 1 - tanh² gives 0; σ'(37) = 8.5e-17 likewise) and
    # printed as the textbook writes them.
    Primitive("dtanh", 1, _dtanh, lambda A, out, a, b, c: (A.mul(-2.0, A.mul(A.tanh(a), out)),),
              user=False, array=_dtanh_array,
              prints_as=lambda A, a: A.sub(1.0, A.powc(A.tanh(a), 2.0)),
              doc="tanh'(x) = sech²(x) = 4·σ(2x)·σ(-2x), printed 1 - tanh(x)^2"),
    Primitive("dsigmoid", 1, _dsigmoid,
              lambda A, out, a, b, c: (A.mul(out, A.sub(A.sigmoid(A.neg(a)), A.sigmoid(a))),),
              user=False, array=_dsigmoid_array,
              prints_as=lambda A, a: A.mul(A.sigmoid(a), A.sub(1.0, A.sigmoid(a))),
              doc="σ'(x) = σ(x)·σ(-x), printed sigmoid(x)*(1 - sigmoid(x))"),
    # u/(u² + v²), the derivatives of atan and atan2, scaled like hypot: atan'(1e155) is
    # 1e-310 and atan2's partials at 1e±200 are finite, where the squares overflow or
    # vanish.
    # 1/sqrt(1 - x²), the derivative of asin (and -acos), as 1/sqrt((1 - x)(1 + x)):
    # near ±1, 1 - x² cancels (x = 0.9999999 keeps 9 digits of 16), the product does not.
    Primitive("dasin", 1, _dasin, lambda A, out, a, b, c: (A.mul(a, A.powc(out, 3.0)),),
              user=False, array=_dasin_array, domain="asin' is defined only on (-1, 1)",
              prints_as=lambda A, a: A.div(1.0, A.sqrt(A.sub(1.0, A.powc(a, 2.0)))),
              doc="1/sqrt((1 - x)·(1 + x)), printed 1/sqrt(1 - x^2)"),
    Primitive("over_sumsq", 2, _over_sumsq,
              # with p = u/(u² + v²) and r = v/(u² + v²): ∂p/∂u = r² - p², ∂p/∂v = -2pr
              lambda A, out, a, b, c: (
                  A.sub(A.powc(A.over_sumsq(b, a), 2.0), A.powc(out, 2.0)),
                  A.mul(-2.0, A.mul(out, A.over_sumsq(b, a))),
              ),
              user=False, array=_over_sumsq_array,
              prints_as=lambda A, u, v: A.div(u, A.add(A.powc(u, 2.0), A.powc(v, 2.0))),
              domain="0/0: both are 0",
              doc="u/(u² + v²) computed as (u/h)/h with h = hypot(u, v), printed "
                  "u/(u^2 + v^2)"),
    # y·x^(y-1), x^y's derivative in x, as y·(x^y/x) where that is exact enough: x^(y-1)
    # takes the rounding of y - 1 times ln x (14 digits lost at x = 1e222), x^y/x does not.
    Primitive("pow_dx", 2, _pow_dx,
              lambda A, out, a, b, c: (
                  A.mul(b, A.pow_dx(a, A.sub(b, 1.0))),  # b·(b-1)·a^(b-2)
                  A.add(A.pow(a, A.sub(b, 1.0)), A.mul(b, A.xlogy(A.pow(a, A.sub(b, 1.0)), a))),
              ),
              user=False, array=_pow_dx_array, domain=_POW_DOMAIN,
              prints_as=lambda A, x, y: A.mul(y, A.pow(x, A.sub(y, 1.0))),
              doc="y·x^(y-1), computed as y·(x^y/x) where x^y is a normal double, printed "
                  "y*x^(y - 1)"),
    Primitive("xlogy", 2, _xlogy, lambda A, out, a, b, c: (A.log(b), A.div(a, b)),
              domain=_LOG_DOMAIN, user=False, array=_xlogy_array,
              prints_as=lambda A, x, y: A.mul(x, A.log(y)),
              doc="x·log(y), and 0 where x = 0 whatever y (∂/∂y of x^y: 0 at x = 0, as in "
                  "JAX and PyTorch); printed as x*log(y)"),
    Primitive("stop_gradient", 1, float, lambda A, out, a, b, c: (0.0,), aliases=("stop",),
              latex=r"\operatorname{stop\_gradient}", array=_identity_array,
              doc="x itself, through which no derivative flows (JAX's stop_gradient, PyTorch's "
                  "detach; stop(x) is the same)"),
    # The shift of softmax and logsumexp by their largest entry: stop_gradient's value
    # and derivative, printed as it, but known to be a shift the result does not depend
    # on, so the canonical form of a formula writes the textbook exp(a)/(exp(a) + exp(b)).
    Primitive("shift", 1, float, lambda A, out, a, b, c: (0.0,), user=False,
              array=_identity_array, prints_as=lambda A, a: A.stop_gradient(a),
              doc="the largest entry, by which softmax and logsumexp are shifted so nothing "
                  "overflows (stop_gradient: the result does not depend on it)"),
    Primitive("hypot", 2, math.hypot,
              lambda A, out, a, b, c: (A.div(a, out), A.div(b, out)),
              latex=r"\operatorname{hypot}", nondiff=_both_zero, convention=_ZERO_OVER_ZERO,
              variadic=True, signature="hypot(a, b, …)",
              doc="sqrt(a^2 + b^2 + …) without overflow"),
]

# Op codes: a primitive's index in PRIMITIVES.  Inputs and literals are not primitives.
INPUT = -1
CONST = -2
OPCODE: dict[str, int] = {p.name: i for i, p in enumerate(PRIMITIVES)}
BY_NAME: dict[str, Primitive] = {p.name: p for p in PRIMITIVES}

RULES = [p.partials for p in PRIMITIVES]
NONDIFF = [p.nondiff for p in PRIMITIVES]
KINKS_FOR = [p.kinks_for for p in PRIMITIVES]
KIND = [3 if p.takes_const else p.arity for p in PRIMITIVES]
"""How a primitive's value is called: 1 ``f(a)``, 2 ``f(a, b)``, 3 ``f(a, c)``."""

ADD, SUB, MUL, DIV, NEG, POWC, POW = (
    OPCODE[n] for n in ("add", "sub", "mul", "div", "neg", "powc", "pow")
)

BLOCKING = frozenset(OPCODE[n] for n in ("stop_gradient", "shift", "sign", "step"))
"""Primitives whose partials are 0 by definition: no derivative flows through them."""

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
"""Names that denote constants, never inputs."""
