"""taylor: the Taylor coefficients of f(x + t·d) at t = 0, every order in one sweep.

Also the Taylor method for an ODE x' = f(x) (``ode_series``): the solution's coefficients
by Taylor arithmetic, one coefficient more per sweep (Griewank & Walther, ch. 13).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from adcalc.commands.common import names as listed
from adcalc.commands.common import prepare
from adcalc.engine.profile import stage
from adcalc.engine.sweeps import FLOATS, Floats
from adcalc.engine.tape import Tape
from adcalc.engine.taylor import MAX_ORDER, kink_nodes, sweep
from adcalc.errors import InputError, param

Direction = Mapping[str, float] | Sequence[float]
"""A direction by variable name, or by position."""


@dataclass
class TaylorResult:
    """Everything one Taylor sweep produced, for the API and the renderers."""

    expression: str
    tape: Tape
    variables: list[str]
    point: dict[str, float]
    direction: dict[str, Any]
    order: int
    series: list[Any]
    """Every node's coefficients ``[u_0, …, u_K]`` (``None`` for the nodes that have
    none: literals keep theirs too)."""
    coefficients: list[Any]
    """f_k = (1/k!)·dᵏ/dtᵏ f(x + t·d) at t = 0, for k = 0…K."""
    derivatives: list[Any]
    """k!·f_k: the k-th derivative along d."""
    arithmetic: str = "double"
    """``double``, ``exact`` or ``N digits`` (mpmath)."""
    kinks: list[int] = field(default_factory=list)
    """Nodes where a piecewise primitive's convention was used."""

    @property
    def value(self) -> Any:
        return self.coefficients[0]

    @property
    def values(self) -> list[Any]:
        """Every node's value (coefficient 0)."""
        return [None if s is None else s[0] for s in self.series]


def check_order(order: Any) -> int:
    """The order as an integer from 1 to ``MAX_ORDER``, or an ``InputError``."""
    if isinstance(order, bool) or not isinstance(order, int):
        try:
            if float(order) != int(order):
                raise ValueError
            order = int(order)
        except (TypeError, ValueError, OverflowError):
            raise InputError(f"{param('order')} must be a whole number from 1 to {MAX_ORDER}, "
                             f"not {order!r}") from None
    if not 1 <= order <= MAX_ORDER:
        raise InputError(f"{param('order')} must be from 1 to {MAX_ORDER} (the work grows as "
                         f"the square of the order); got {order}")
    return order


def line(names: Sequence[str], direction: Direction | None) -> dict[str, Any]:
    """The direction by variable: the one variable by default, else as given (by name or
    by position), every variable named (0 where not given)."""
    if direction is None:
        if len(names) > 1:
            raise InputError(f"the expression has several variables ({listed(names)}): give "
                             f"the direction of the line with {param('direction')}, e.g. "
                             f"{param('direction', ','.join(f'{n}=1' for n in names[:2]))}")
        return {n: 1.0 for n in names}
    if isinstance(direction, Mapping):
        stray = [k for k in direction if k not in names]
        if stray:
            uses = listed(names) if names else "no variables"
            raise InputError(f"{param('direction')} names {listed(stray)}, which the "
                             f"expression does not use (it uses {uses})")
        return {n: direction.get(n, 0.0) for n in names}
    from adcalc.commands.vector import resolve_direction

    resolve_direction(direction, names, param("direction"), "inputs")  # the checks
    return dict(zip(names, direction, strict=True))  # as given: 1/3 stays 1/3 for exact


def taylor(expression: str | Tape, point: Mapping[str, float],
           direction: Direction | None = None, order: int = 2,
           variables: Sequence[str] | None = None, exact: bool = False,
           digits: int | None = None) -> TaylorResult:
    """The Taylor coefficients f_0 … f_K of ``f(point + t·direction)`` at t = 0.

    ``adcalc.taylor("exp(x)", {"x": 0}, order=4, exact=True).coefficients`` is
    ``[1, 1, 1/2, 1/6, 1/24]``.  ``direction`` (by variable name, or by position) may be
    left out for an expression of one variable.  ``exact``: rationals where the function
    allows, closed forms (``e``, ``log(2)``) elsewhere; ``digits``: mpmath numbers.
    """
    order = check_order(order)
    s = prepare(expression, point, variables, scalar="taylor")
    d = line(s.variables, direction)
    for n, v in d.items():
        try:
            finite = math.isfinite(float(v))
        except (TypeError, ValueError):
            finite = False
        if not finite:
            raise InputError(f"{param('direction')} gives {n} = {v!r}: values must be finite "
                             "numbers")
    tape, S, inputs = s.tape, FLOATS, None
    arithmetic = "double"
    if exact or digits is not None:
        tape, S, inputs = _other_arithmetic(expression, s.point, d, order, exact, digits)
        arithmetic = "exact" if exact else f"{digits} digits"
    if inputs is None:
        inputs = {n: [s.point[n], float(d[n]), *([0.0] * (order - 1))] for n in s.variables}
    with stage("taylor sweep"), S.context():
        series = sweep(tape, inputs, order, S)
    out = series[tape.output]
    derivatives = [_times(x, math.factorial(k)) for k, x in enumerate(out)]
    sources = [tape.var_node[n] for n in s.variables if d[n]]
    return TaylorResult(s.expression, tape, s.variables, s.point, d, order, series,
                        list(out), derivatives, arithmetic, kink_nodes(tape, series, sources))


def _times(x: Any, n: int) -> Any:
    if type(x) is not float:
        return x * n
    try:
        return x * n
    except OverflowError:  # n! beyond a double: the derivative is out of range
        return 0.0 if x == 0 else math.copysign(math.inf, x)


def _other_arithmetic(expression: str | Tape, point: Mapping[str, float],
                      d: Mapping[str, Any], order: int, exact: bool, digits: int | None
                      ) -> tuple[Tape, Floats, dict[str, list[Any]]]:
    """The tape read exactly, the scalar algebra, and the inputs' series in it."""
    if exact and digits is not None:
        raise InputError(f"{param('exact')} and {param('digits')}: choose one (exact "
                         "rationals, or a number of significant digits)")
    if not isinstance(expression, str):
        raise InputError(f"{param('exact')} and {param('digits')} read the expression's "
                         "text: give an EXPRESSION rather than a tape")
    from adcalc.frontend.parse import parse
    from adcalc.symbolic.precise import MAX_DIGITS, Exact, Precise, _precise_input, typed

    tape = parse(expression, exact=True)
    names = tape.variables
    if exact:
        S: Any = Exact()
        zero = S.zero
        inputs = {n: [typed(point[n], S), typed(d[n], S)] for n in names}
    else:
        assert digits is not None
        if not 1 <= digits <= MAX_DIGITS:
            raise InputError(f"{param('digits')} takes 1 to {MAX_DIGITS} significant digits")
        try:
            S = Precise(digits)
        except ImportError:
            raise InputError(f"{param('digits')} needs mpmath: pip install "
                             "'adcalc[precise]' (or pip install mpmath)") from None
        zero = S.zero
        with S.context():
            inputs = {n: [S.number(_precise_input(point[n], S)),
                          S.number(_precise_input(d[n], S))] for n in names}
    return tape, S, {n: [*v, *([zero] * (order - 1))] for n, v in inputs.items()}


def quadratic_form(expression: str | Tape, point: Mapping[str, float],
                   direction: Direction) -> float:
    """dᵀ·∇²f·d by one second-order Taylor sweep (2·f_2), with no Hessian formed."""
    return 2 * taylor(expression, point, direction, order=2).coefficients[2]


def hvp(expression: str | Tape, point: Mapping[str, float], direction: Direction,
        variables: Sequence[str] | None = None) -> dict[str, float]:
    """∇²f·d by variable, with no Hessian formed: forward-over-reverse, one tangent sweep
    (along d) over the recorded reverse sweep, as ``hessian`` takes one a column.

    ``adcalc.hvp("x^2*y", {"x": 1, "y": 2}, {"x": 1})`` is ``{'x': 4.0, 'y': 2.0}``;
    a second-order Taylor sweep gives only dᵀ·∇²f·d (``quadratic_form``)."""
    from adcalc.engine.sweeps import recorded_gradient, recorded_tangent

    s = prepare(expression, point, variables, scalar="hvp")
    d = line(s.variables, direction)
    g, gvals = recorded_gradient(s.tape, s.tape.output, s.variables, s.point)
    t = recorded_tangent(g, gvals, {n: float(v) for n, v in d.items()})
    return {n: t.tangents[o] for n, o in zip(s.variables, g.outputs, strict=True)}


# -- the Taylor method for autonomous ODEs ----------------------------------------------


@dataclass
class OdeSeries:
    """The Taylor coefficients of the solution of x' = f(x), x(t0) = x0, by variable."""

    variables: list[str]
    coefficients: dict[str, list[Any]]
    order: int

    def value(self, t: float) -> dict[str, Any]:
        """The truncated series summed at ``t`` (Horner), by variable."""
        out = {}
        for n, c in self.coefficients.items():
            s = c[-1]
            for x in reversed(c[:-1]):
                s = s * t + x
            out[n] = s
        return out


def ode_series(rhs: str, initial: Mapping[str, float], order: int, time: str | None = None,
               exact: bool = False) -> OdeSeries:
    """The Taylor method: the coefficients x_0 … x_K of the solution of x' = f(x).

    ``rhs`` is f (a vector ``[f1, f2]`` for a system, one component per variable of
    ``initial``, in its order); ``time`` names the variable t if f depends on it (t starts
    at 0).  Each coefficient is one Taylor sweep of f: x_{k+1} = f(x)_k / (k + 1), so the
    whole series costs O(K³) a node.  ``ode_series("x^2", {"x": 1}, 5)`` gives 1/(1 - t)
    (every coefficient 1); ``ode_series("1 + x^2", {"x": 0}, 9, exact=True)`` gives tan t
    (0, 1, 0, 1/3, 0, 2/15, 0, 17/315, 0, 62/2835).
    """
    from fractions import Fraction

    from adcalc.frontend.parse import parse

    order = check_order(order)
    tape = parse(rhs, exact=exact)
    names = list(initial)
    if len(tape.outputs) != len(names):
        raise InputError(f"the right-hand side has {len(tape.outputs)} components and there "
                         f"are {len(names)} variables ({listed(names)}): one each")
    stray = [n for n in tape.variables if n not in names and n != time]
    if stray:
        raise InputError(f"the right-hand side uses {listed(stray)}, which has no initial value")
    S: Any = FLOATS
    lift: Any = float
    if exact:
        from adcalc.symbolic.precise import Exact, typed

        S = Exact()
        lift = lambda x: typed(x, S) if not isinstance(x, Fraction | int) else Fraction(x)  # noqa: E731
    zero = S.zero if S.zero is not None else 0.0
    coeffs = {n: [lift(initial[n])] for n in names}
    for k in range(order):
        inputs = {n: coeffs[n] for n in names if n in tape.var_node}  # x_0 … x_k
        if time is not None and time in tape.var_node:
            inputs[time] = ([zero, lift(1)] + [zero] * k)[:k + 1]
        with S.context():
            series = sweep(tape, inputs, k, S)
        for n, o in zip(names, tape.outputs, strict=True):
            coeffs[n].append(series[o][k] / (k + 1))
    return OdeSeries(names, coeffs, order)
