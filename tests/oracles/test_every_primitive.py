"""One table over every primitive and every path, in the style of JAX's lax_autodiff_test.

For each primitive: points inside its domain, and its kinks and edges.  At every point
the reverse sweep, the forward sweep, the symbolic derivative (the derivative tape
evaluated there), the array sweeps of ``--points`` and a five-point finite difference
give the same gradient, and every path prints the same warnings.  At kinks and edges
the expected derivative is written down next to what JAX and PyTorch give.  A primitive
without a row fails the test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pytest

from adcalc import gradient
from adcalc.batch.sweep import sweep_arrays
from adcalc.commands.diff import diff
from adcalc.engine.primitives import PRIMITIVES
from adcalc.errors import DomainError
from adcalc.frontend.parse import parse
from adcalc.render.points_out import kink_warnings
from adcalc.render.trace import nondiff_warnings, warnings
from tests.helpers import ulps

X, Y = 0.7, -1.3


@dataclass
class Row:
    expression: str
    points: list[dict[str, float]]
    """Inside the domain, away from kinks: all paths agree with finite differences."""
    kinks: list[tuple[dict[str, float], dict[str, float], bool]] = field(default_factory=list)
    """(point, the gradient adcalc gives — and JAX and PyTorch give —, whether it warns)."""
    errors: list[tuple[dict[str, float], str]] = field(default_factory=list)
    """Points where the gradient is refused, with a part of the message."""
    fd: bool = True
    """Whether finite differences are an oracle (not for stop_gradient, by definition)."""


def p(x: float, y: float | None = None) -> dict[str, float]:
    return {"x": x} if y is None else {"x": x, "y": y}


TABLE: dict[str, Row] = {
    "add": Row("x + y", [p(X, Y)]),
    "sub": Row("x - y", [p(X, Y)]),
    "mul": Row("x*y", [p(X, Y), p(0.0, 2.0)]),
    "div": Row("x/y", [p(X, Y)], errors=[(p(1.0, 0.0), "division by zero")]),
    "neg": Row("-x", [p(X)]),
    "powc": Row("x^3 + x^-2 + x^0.5", [p(0.8), p(2.5)],
                errors=[(p(0.0), "math error")]),
    # x^y at x = 0: ∂/∂y is the limit 0 (JAX and PyTorch: 0, 0).  At x < 0 both return
    # NaN for ∂/∂y; adcalc refuses with the reason (a NaN in a gradient hides the cause).
    "pow": Row("x^y", [p(1.7, 0.6), p(0.3, -2.0)], kinks=[(p(0.0, 2.0), p(0.0, 0.0), False)],
               errors=[(p(-2.0, 2.0), "derivative in y only for a base x >= 0")]),
    "sin": Row("sin(x)", [p(X), p(-2.0)]),
    "cos": Row("cos(x)", [p(X), p(-2.0)]),
    "tan": Row("tan(x)", [p(X), p(-1.2)]),
    "asin": Row("asin(x)", [p(X), p(-0.9)], errors=[(p(1.0), "not differentiable")]),
    "acos": Row("acos(x)", [p(X), p(-0.9)], errors=[(p(-1.0), "not differentiable")]),
    "atan": Row("atan(x)", [p(X), p(-3.0)]),
    "sinh": Row("sinh(x)", [p(X), p(-2.0)]),
    "cosh": Row("cosh(x)", [p(X), p(-2.0)]),
    "tanh": Row("tanh(x)", [p(X), p(-2.0)]),
    "exp": Row("exp(x)", [p(X), p(-2.0)]),
    "log": Row("log(x)", [p(X), p(40.0)], errors=[(p(0.0), "math error")]),
    "log2": Row("log2(x)", [p(X), p(40.0)]),
    "log10": Row("log10(x)", [p(X), p(40.0)]),
    # sqrt at 0: JAX and PyTorch give inf; adcalc refuses (an infinite partial).
    "sqrt": Row("sqrt(x)", [p(X), p(40.0)], errors=[(p(0.0), "not differentiable")]),
    # The kinks: PyTorch takes abs'(0) = relu'(0) = sign'(0) = 0 (JAX too, except
    # abs'(0) = 1) and both split a tie of max/min 0.5/0.5; adcalc takes PyTorch's and warns.
    "abs": Row("abs(x)", [p(X), p(-2.0)], kinks=[(p(0.0), p(0.0), True)]),
    "sign": Row("sign(x)", [p(X), p(-2.0)], kinks=[(p(0.0), p(0.0), True)]),
    "step": Row("step(x)", [p(X), p(-2.0)], kinks=[(p(0.0), p(0.0), True)]),
    "relu": Row("relu(x)", [p(X), p(-2.0)], kinks=[(p(0.0), p(0.0), True)]),
    "sigmoid": Row("sigmoid(x)", [p(X), p(-30.0), p(30.0)]),
    "softplus": Row("softplus(x)", [p(X), p(-30.0), p(30.0)]),
    "atan2": Row("atan2(y, x)", [p(X, Y), p(-1.0, 0.5)],
                 errors=[(p(0.0, 0.0), "not differentiable")]),
    "min": Row("min(x, y)", [p(X, Y), p(Y, X)], kinks=[(p(1.5, 1.5), p(0.5, 0.5), True)]),
    "max": Row("max(x, y)", [p(X, Y), p(Y, X)], kinks=[(p(1.5, 1.5), p(0.5, 0.5), True)]),
    "hypot": Row("hypot(x, y)", [p(X, Y), p(3e200, 4e200)],
                 errors=[(p(0.0, 0.0), "not differentiable")]),
    "xlogy": Row("x*log(y) + x^y", [p(X, 1.9)]),  # xlogy is x^y's derivative in y
    # dtanh and dsigmoid are the derivatives of tanh and sigmoid (and appear in their
    # second derivatives): exercised through those, far into the tails too.
    "dtanh": Row("tanh(x)*tanh(y)", [p(X, Y), p(-2.0, 9.0)]),
    "dsigmoid": Row("sigmoid(x)*sigmoid(y)", [p(X, Y), p(-2.0, 9.0)]),
    "dasin": Row("asin(x)*acos(y)", [p(X, 0.2), p(-0.9, 0.5)]),  # their derivatives
    "pow_dx": Row("x^y*y", [p(1.7, 0.6), p(0.3, 2.5)]),  # x^y's derivative in x
    "over_sumsq": Row("atan(x)*atan2(y, x)", [p(X, Y), p(-2.0, 9.0)]),  # their derivatives
    # By definition no derivative flows through it (JAX: 0); differences see 1.
    "stop_gradient": Row("stop_gradient(x)*y", [p(X, Y)], fd=False),
    # softmax's and logsumexp's shift by their largest entry: differences see the whole
    "shift": Row("logsumexp([x, y])*y", [p(X, Y), p(2.0, 2.0)]),
}


def test_every_primitive_has_a_row() -> None:
    assert set(TABLE) == {prim.name for prim in PRIMITIVES}


def each_path(expression: str, point: dict[str, float]) -> dict[str, tuple[dict, list[str]]]:
    """The gradient and the warnings on every path, by path."""
    out = {}
    for mode in ("reverse", "forward"):
        g = gradient(expression, point, mode=mode)
        out[mode] = g.gradient, warnings(g)
    d = diff(expression, at=point)
    out["symbolic"] = ({key[0]: v for key, v in zip(d.keys, d.values, strict=True)},
                       nondiff_warnings(d.source, d.variables, d.source_values, d.nondiff))
    tape = parse(expression)
    r = sweep_arrays(tape, {n: np.full(3, v) for n, v in point.items()})
    assert not r.bad, r.bad
    out["batch"] = ({n: float(r.gradient[n][1]) for n in tape.variables},
                    kink_warnings(tape, tape.variables, r, 1))
    return out


def five_point(expression: str, point: dict[str, float], name: str) -> float:
    tape = parse(expression)
    from adcalc.engine.sweeps import primal

    def f(t: float) -> float:
        return primal(tape, {**point, name: t})[tape.output]

    x = point[name]
    h = 1e-3 * max(1.0, abs(x))
    return (-f(x + 2 * h) + 8 * f(x + h) - 8 * f(x - h) + f(x - 2 * h)) / (12 * h)


def same(a: float, b: float) -> bool:
    return ulps(a, b) <= 4 or abs(a - b) <= 1e-300


CASES = [(name, k) for name, row in TABLE.items() for k in range(len(row.points))]


@pytest.mark.parametrize(("name", "k"), CASES)
def test_inside_the_domain_every_path_agrees(name: str, k: int) -> None:
    row = TABLE[name]
    point = {n: v for n, v in row.points[k].items() if n in row.expression}
    paths = each_path(row.expression, point)
    want, _ = paths["reverse"]
    for path, (got, warned) in paths.items():
        assert warned == [], (path, warned)
        for n in point:
            assert same(got[n], want[n]), (path, n, got[n], want[n])
    if row.fd:
        for n in point:
            assert math.isclose(want[n], five_point(row.expression, point, n), rel_tol=1e-7,
                                abs_tol=1e-9), n


KINKS = [(name, k) for name, row in TABLE.items() for k in range(len(row.kinks))]


@pytest.mark.parametrize(("name", "k"), KINKS)
def test_at_kinks_and_edges_the_convention_and_its_warning_on_every_path(name: str, k: int
                                                                          ) -> None:
    row = TABLE[name]
    point, expected, warns = row.kinks[k]
    paths = each_path(row.expression, point)
    reverse_warnings = paths["reverse"][1]
    assert bool(reverse_warnings) == warns
    for path, (got, warned) in paths.items():
        assert got == expected, (path, got)
        assert warned == reverse_warnings, path
    if warns:
        assert "is not differentiable at" in reverse_warnings[0]


ERRORS = [(name, k) for name, row in TABLE.items() for k in range(len(row.errors))]


@pytest.mark.parametrize(("name", "k"), ERRORS)
def test_where_the_gradient_is_refused_every_path_refuses(name: str, k: int) -> None:
    row = TABLE[name]
    point, message = row.errors[k]
    for mode in ("reverse", "forward"):
        with pytest.raises(DomainError, match=message):
            gradient(row.expression, point, mode=mode)
    tape = parse(row.expression)
    r = sweep_arrays(tape, {n: np.full(2, v) for n, v in point.items()})
    assert len(r.bad) == 2 and message in r.bad[0][1]


def test_points_warn_at_kinks_as_grad_does(cli) -> None:
    one = cli("grad", "abs(x) + max(x, y)", "--at", "x=0,y=0", "-q")
    warned = one.stderr.splitlines()
    assert len(warned) == 2 and all(w.startswith("warning: ") for w in warned)
    r = cli("grad", "abs(x) + max(x, y)", "--points", "-", input="x,y\n0,0\n1,2\n0,0\n")
    assert r.exit_code == 0
    assert (f"warning: 2 of 3 rows are at a point where the expression is not differentiable, "
            f"and a convention gave the derivative (rows 1, 3); row 1: "
            f"{warned[0].removeprefix('warning: ')}") in r.stderr
    r = cli("grad", "abs(x) + max(x, y)", "--points", "-", "--format", "json",
            input="x,y\n0,0\n1,2\n")
    import json

    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert "rows are at a point where" in r.stderr
    g = gradient("abs(x) + max(x, y)", {"x": 0, "y": 0}).gradient
    assert [rows[0]["df/dx"], rows[0]["df/dy"]] == [g["x"], g["y"]]


JAX = {  # what JAX gives at the kinks and edges above (checked below when JAX is installed)
    "abs": (lambda jax, jnp: lambda x: jnp.abs(x), p(0.0), [1.0]),  # adcalc and PyTorch: 0
    "relu": (lambda jax, jnp: lambda x: jax.nn.relu(x), p(0.0), [0.0]),
    "sign": (lambda jax, jnp: lambda x: jnp.sign(x), p(0.0), [0.0]),
    "max": (lambda jax, jnp: lambda x, y: jnp.maximum(x, y), p(1.5, 1.5), [0.5, 0.5]),
    "min": (lambda jax, jnp: lambda x, y: jnp.minimum(x, y), p(1.5, 1.5), [0.5, 0.5]),
    "pow": (lambda jax, jnp: lambda x, y: x**y, p(0.0, 2.0), [0.0, 0.0]),
    # adcalc refuses the next two, with the reason
    "pow-negative": (lambda jax, jnp: lambda x, y: x**y, p(-2.0, 2.0), [-4.0, math.nan]),
    "sqrt": (lambda jax, jnp: lambda x: jnp.sqrt(x), p(0.0), [math.inf]),
}


@pytest.mark.parametrize("name", sorted(JAX))
def test_the_recorded_choices_of_jax_are_jax_s(name: str) -> None:
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    make, point, want = JAX[name]
    f = make(jax, jnp)
    got = jax.grad(f, argnums=tuple(range(len(point))))(*point.values())
    for g, w in zip(got, want, strict=True):
        assert (math.isnan(g) and math.isnan(w)) or float(g) == w, (name, got)


@pytest.mark.parametrize(("expression", "x", "digits"), [
    ("tanh(x)", 18.0, 14), ("tanh(x)", 20.0, 14), ("tanh(x)", -30.0, 14),
    ("sigmoid(x)", 37.0, 14), ("sigmoid(x)", -40.0, 14), ("sigmoid(x)", 0.5, 15),
])
def test_derivatives_in_the_tails_to_the_last_digits(expression: str, x: float,
                                                     digits: int) -> None:
    """1 - tanh² and σ(1 - σ) would give 0 (or noise) here; mpmath at 40 digits is the
    reference, on every path."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    t = mpmath.mpf(x)
    exact = mpmath.sech(t) ** 2 if expression == "tanh(x)" else (
        mpmath.exp(-t) / (1 + mpmath.exp(-t)) ** 2)
    for path, (got, _) in each_path(expression, {"x": x}).items():
        assert got["x"] != 0.0
        assert abs(got["x"] - exact) <= abs(exact) * 10.0 ** -digits, (path, got["x"])


def test_norm_neither_underflows_nor_overflows() -> None:
    for scale in (1e-160, 1.0, 1e160):
        g = gradient("norm([x, y])", {"x": scale, "y": 2 * scale}).gradient
        assert g == pytest.approx({"x": 1 / math.sqrt(5), "y": 2 / math.sqrt(5)}, rel=1e-15)


@pytest.mark.parametrize("text", ["hypot(x, y, 1)", "norm([x, y, 1])", "hypot(x, 2, y)"])
def test_a_hypot_of_many_with_a_number_is_smooth_where_the_others_are_0(text: str) -> None:
    """hypot(x, y, 1) is sqrt(x^2 + y^2 + 1), smooth at x = y = 0: its Hessian there is
    the identity over the number, as sqrt's is (folded as hypot(hypot(x, y), 1) it was a
    division by 0: hypot(x, y)'s own kink at the origin; an auditor's find)."""
    from adcalc.commands.vector import hessian

    c = 2.0 if "2" in text else 1.0
    h = hessian(text, {"x": 0.0, "y": 0.0}).matrix
    assert h == [[1 / c, 0.0], [0.0, 1 / c]]
    assert hessian(f"sqrt(x^2 + y^2 + {c:g}^2)", {"x": 0.0, "y": 0.0}).matrix == h
    g = gradient(text, {"x": 3.0, "y": 4.0}).gradient
    r = math.sqrt(25 + c * c)
    assert g == pytest.approx({"x": 3 / r, "y": 4 / r}, rel=1e-15)


@pytest.mark.parametrize("x", [0.7, -3.0, 19.0])
def test_second_derivatives_of_tanh_and_sigmoid(x: float) -> None:
    """Through dtanh's and dsigmoid's own rules (forward-over-reverse and symbolic)."""
    mpmath = pytest.importorskip("mpmath")
    from adcalc.commands.vector import hessian

    mpmath.mp.dps = 40
    t = mpmath.mpf(x)
    s = 1 / (1 + mpmath.exp(-t))
    want = {"tanh(x)": -2 * mpmath.tanh(t) * mpmath.sech(t) ** 2,
            "sigmoid(x)": s * (1 - s) * (1 - 2 * s)}
    for text, exact in want.items():
        h = hessian(text, {"x": x}).matrix[0][0]
        d = diff(text, order=2, at={"x": x}).values[0]
        for got in (h, d):
            assert abs(got - exact) <= abs(exact) * 1e-9 + 1e-300, (text, got, exact)


@pytest.mark.parametrize(("expression", "point"), [
    ("atan(x)", {"x": 1e155}), ("atan(x)", {"x": -1e-200}), ("atan(x)", {"x": 0.5}),
    ("atan2(y, x)", {"x": 1e200, "y": 1e200}), ("atan2(y, x)", {"x": 1e-200, "y": -3e-200}),
    ("atan2(y, x)", {"x": 3.0, "y": 4.0}),
])
def test_atan_and_atan2_partials_never_overflow(expression: str, point: dict) -> None:
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    x = mpmath.mpf(point["x"])
    if expression == "atan(x)":
        exact = {"x": 1 / (1 + x**2)}
    else:
        y = mpmath.mpf(point["y"])
        exact = {"x": -y / (x**2 + y**2), "y": x / (x**2 + y**2)}
    for path, (got, _) in each_path(expression, point).items():
        for n, want in exact.items():
            assert abs(got[n] - want) <= abs(want) * 4e-16 + 5e-324, (path, n, got[n], want)


def test_hessian_warns_at_a_kink_as_grad_does(cli) -> None:
    grad = cli("grad", "max(x, y)*x", "--at", "x=1,y=1", "-q")
    hess = cli("hessian", "max(x, y)*x", "--at", "x=1,y=1", "-q")
    assert grad.stderr and hess.stderr == grad.stderr


@pytest.mark.parametrize(("expression", "point", "want"), [
    ("sqrt(x^2)", {"x": 0.0}, {"x": 0.0}),           # zero tangent, infinite partial
    ("relu(-1)*sqrt(x)", {"x": 0.0}, {"x": 0.0}),    # infinite partial, zero adjoint
    ("relu(y)*sqrt(x)", {"x": 0.0, "y": -1.0}, {"x": 0.0, "y": 0.0}),
    ("sqrt(x)", {"x": 0.0}, None),                    # the infinity reaches the result
    ("norm([x, y])", {"x": 0.0, "y": 0.0}, None),
])
def test_zero_times_an_infinite_partial_is_zero_in_both_modes(expression: str, point: dict,
                                                              want: dict | None) -> None:
    """Same question, same answer, whichever mode (JAX and PyTorch give NaN here)."""
    from adcalc.commands.vector import jacobian

    for mode in ("reverse", "forward"):
        if want is None:
            with pytest.raises(DomainError, match="not differentiable"):
                gradient(expression, point, mode=mode)
            with pytest.raises(DomainError, match="not differentiable"):
                jacobian(f"[{expression}, x]", point, mode=mode)
        else:
            assert gradient(expression, point, mode=mode).gradient == want
            row = jacobian(f"[{expression}, x]", point, mode=mode).matrix[0]
            assert row == [want[n] for n in parse(f"[{expression}, x]").variables]
