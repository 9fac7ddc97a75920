"""Gradients against independent oracles: closed forms, finite differences, sympy."""

from __future__ import annotations

import math

import pytest

import adcalc
from adcalc import gradient
from adcalc.engine.check import central_difference, check_gradient
from tests.helpers import SEED, seed_closed_form, ulps

CLOSED_FORMS = [
    (SEED, {"x1": 1.0, "x2": 0.5}, seed_closed_form(1.0, 0.5)),
    ("(x1+x2)*(x1*x2)", {"x1": 2.0, "x2": 3.0}, (21.0, 16.0)),
    ("x*y + x^2", {"x": 2.0, "y": 3.0}, (7.0, 2.0)),
    ("exp(2*x1) + x1*x2^2 + cos(x2)", {"x1": 1.0, "x2": 2.0},
     (2 * math.exp(2.0) + 4.0, 4.0 - math.sin(2.0))),
    ("sin(x^2 + 1)", {"x": 1.5}, (2 * 1.5 * math.cos(1.5**2 + 1),)),
]


@pytest.mark.parametrize(("text", "point", "expected"), CLOSED_FORMS)
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_closed_forms(text: str, point: dict, expected: tuple, mode: str) -> None:
    g = gradient(text, point, mode=mode)
    for got, want in zip(g.gradient.values(), expected, strict=True):
        assert ulps(got, want) <= 4, (got, want)


def test_sin_example_to_the_printed_digits() -> None:
    g = adcalc.grad("sin(x^2 + 1)", x=1.5)
    assert f"{g.gradient['x']:.8f}" == "-2.98238903"


def test_api_returns_value_and_gradient() -> None:
    value, grad = adcalc.grad("x*y + x^2", x=2, y=3)
    assert value == 10.0
    assert grad == {"x": 7.0, "y": 2.0}


# Each primitive: its derivative written independently (not the rule in primitives.py).
UNARY = {
    "sin": (math.sin, math.cos, [-2.0, 0.3, 1.7]),
    "cos": (math.cos, lambda x: -math.sin(x), [-2.0, 0.3, 1.7]),
    "tan": (math.tan, lambda x: 1 / math.cos(x) ** 2, [-1.2, 0.3, 1.1]),
    "asin": (math.asin, lambda x: 1 / math.sqrt(1 - x * x), [-0.9, 0.1, 0.7]),
    "acos": (math.acos, lambda x: -1 / math.sqrt(1 - x * x), [-0.9, 0.1, 0.7]),
    "atan": (math.atan, lambda x: 1 / (1 + x * x), [-3.0, 0.2, 5.0]),
    "sinh": (math.sinh, math.cosh, [-2.0, 0.5, 3.0]),
    "cosh": (math.cosh, math.sinh, [-2.0, 0.5, 3.0]),
    "tanh": (math.tanh, lambda x: 1 / math.cosh(x) ** 2, [-2.0, 0.5, 3.0]),
    "exp": (math.exp, math.exp, [-2.0, 0.5, 3.0]),
    "log": (math.log, lambda x: 1 / x, [0.1, 1.5, 40.0]),
    "log2": (math.log2, lambda x: 1 / (x * math.log(2)), [0.1, 1.5, 40.0]),
    "log10": (math.log10, lambda x: 1 / (x * math.log(10)), [0.1, 1.5, 40.0]),
    "sqrt": (math.sqrt, lambda x: 0.5 / math.sqrt(x), [0.1, 2.0, 50.0]),
    "abs": (abs, lambda x: 1.0 if x > 0 else -1.0, [-2.5, 0.7, 3.0]),
    "sigmoid": (lambda x: 1 / (1 + math.exp(-x)),
                lambda x: math.exp(-x) / (1 + math.exp(-x)) ** 2, [-4.0, 0.0, 2.5]),
    "relu": (lambda x: max(x, 0.0), lambda x: 1.0 if x > 0 else 0.0, [-1.5, 0.8, 3.0]),
    "softplus": (lambda x: math.log(1 + math.exp(x)),
                 lambda x: 1 / (1 + math.exp(-x)), [-4.0, 0.0, 2.5]),
}


def richardson(f, x: float, h: float = 1e-3) -> float:
    """Five-point central difference: error O(h^4), independent of adcalc's check."""
    return (-f(x + 2 * h) + 8 * f(x + h) - 8 * f(x - h) + f(x - 2 * h)) / (12 * h)


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_every_unary_primitive(name: str, mode: str) -> None:
    f, df, points = UNARY[name]
    for x in points:
        g = gradient(f"{name}(x)", {"x": x}, mode=mode)
        assert g.value == pytest.approx(f(x), rel=1e-14, abs=1e-15)
        assert g.gradient["x"] == pytest.approx(df(x), rel=1e-13, abs=1e-15)
        assert g.gradient["x"] == pytest.approx(richardson(f, x), rel=1e-8, abs=1e-9)


BINARY = {
    "x + y": lambda x, y: (1.0, 1.0),
    "x - y": lambda x, y: (1.0, -1.0),
    "x * y": lambda x, y: (y, x),
    "x / y": lambda x, y: (1 / y, -x / y**2),
    "x ^ y": lambda x, y: (y * x ** (y - 1), x**y * math.log(x)),
    "pow(x, y)": lambda x, y: (y * x ** (y - 1), x**y * math.log(x)),
    "x ^ 3": lambda x, y: (3 * x**2, 0.0),
    "x ^ -2": lambda x, y: (-2 * x**-3, 0.0),
    "x ^ 0.5": lambda x, y: (0.5 * x**-0.5, 0.0),
    "2 ^ x": lambda x, y: (2**x * math.log(2), 0.0),
    "atan2(y, x)": lambda x, y: (-y / (x * x + y * y), x / (x * x + y * y)),
    "min(x, y)": lambda x, y: (1.0, 0.0) if x < y else (0.0, 1.0),
    "max(x, y)": lambda x, y: (1.0, 0.0) if x > y else (0.0, 1.0),
    "hypot(x, y)": lambda x, y: (x / math.hypot(x, y), y / math.hypot(x, y)),
    "log(x, y)": lambda x, y: (1 / (x * math.log(y)), -math.log(x) / (y * math.log(y) ** 2)),
    "-x": lambda x, y: (-1.0, 0.0),
}


@pytest.mark.parametrize("text", sorted(BINARY))
@pytest.mark.parametrize("point", [(1.3, 2.1), (2.7, 0.4), (0.6, 3.3)])
def test_every_binary_primitive(text: str, point: tuple[float, float]) -> None:
    x, y = point
    expected = BINARY[text](x, y)
    full = f"{text} + 0*y + 0*x"  # both variables always present
    for mode in ("reverse", "forward"):
        g = gradient(full, {"x": x, "y": y}, mode=mode)
        for name, want in zip(("x", "y"), expected, strict=True):
            assert g.gradient[name] == pytest.approx(want, rel=1e-13, abs=1e-14), (name, mode)
            fd, _ = central_difference(g.tape, g.point, name)
            assert g.gradient[name] == pytest.approx(fd, rel=1e-7, abs=1e-8)


def test_forward_equals_reverse_on_the_examples() -> None:
    for text, point, _ in CLOSED_FORMS:
        r = gradient(text, point, mode="reverse").gradient
        f = gradient(text, point, mode="forward").gradient
        assert all(ulps(r[n], f[n]) <= 4 for n in r)


def test_shared_subexpression_adjoint_sums_both_uses() -> None:
    x, y = 0.7, 1.9
    g = gradient("sin(x*y) + x*y", {"x": x, "y": y}, record=True)
    assert g.gradient["x"] == pytest.approx(y * math.cos(x * y) + y, rel=1e-15)
    tape = g.tape
    xy = tape.a1[tape.output]
    assert len([e for e in g.adjoint.edges if e[1] == xy]) == 2  # type: ignore[union-attr]


def test_directional_derivative_with_seed() -> None:
    g = gradient("x*y + x^2", {"x": 2.0, "y": 3.0}, mode="forward", seed={"x": 1.0, "y": -1.0})
    assert g.directional == 7.0 - 2.0
    assert g.sweeps == 1


def test_full_forward_gradient_takes_one_sweep_per_input() -> None:
    g = gradient(SEED, {"x1": 1.0, "x2": 0.5}, mode="forward")
    assert g.sweeps == 2
    assert gradient(SEED, {"x1": 1.0, "x2": 0.5}).sweeps == 1


@pytest.mark.parametrize(
    ("text", "point", "expected"),
    [
        ("abs(x)", {"x": 0.0}, {"x": 0.0}),
        ("relu(x)", {"x": 0.0}, {"x": 0.0}),
        ("max(x, y)", {"x": 1.0, "y": 1.0}, {"x": 0.5, "y": 0.5}),
        ("min(x, y)", {"x": 2.0, "y": 2.0}, {"x": 0.5, "y": 0.5}),
    ],
)
def test_non_differentiable_points_follow_the_convention(text, point, expected) -> None:
    for mode in ("reverse", "forward"):
        g = gradient(text, point, mode=mode)
        assert g.gradient == expected
        assert g.nondiff == [g.tape.output]


def test_check_passes_on_correct_and_fails_on_wrong_gradients() -> None:
    g = gradient(SEED, {"x1": 1.0, "x2": 0.5})
    assert check_gradient(g.tape, g.point, g.gradient).passed
    wrong = dict(g.gradient, x2=g.gradient["x2"] * (1 + 1e-4))
    result = check_gradient(g.tape, g.point, wrong)
    assert not result.passed
    assert result.failed == ["x2"]
    row = result.rows[1]
    assert row.abs_error == pytest.approx(g.gradient["x2"] * 1e-4, rel=1e-3)


def test_check_step_scales_with_x() -> None:
    from adcalc.engine.check import step_for

    assert step_for(1.0) == pytest.approx(2.0 ** (-52 / 3), rel=1e-12)
    assert step_for(1e6) == pytest.approx(1e6 * 2.0 ** (-52 / 3), rel=1e-9)
    assert step_for(0.0) == pytest.approx(2.0 ** (-52 / 3), rel=1e-12)


@pytest.mark.parametrize(("text", "point"), [
    ("exp(x)", {"x": 700.0}), ("sin(1000*x)", {"x": 1.0}), ("log(x)", {"x": 1e-6}),
    ("1/x", {"x": 1e-7}), ("1e-7*sin(x)", {"x": 1.0}),
    ("x*y + sin(x)", {"x": 0.3, "y": -2.0}),
])
def test_check_passes_right_gradients_where_plain_differences_fail(text: str, point) -> None:
    g = gradient(text, point)
    result = check_gradient(g.tape, g.point, g.gradient)
    assert result.passed, result.rows


@pytest.mark.parametrize(("text", "point", "factor"), [
    ("1e-7*sin(x)", {"x": 1.0}, 9.4),   # tol·max(1, |AD|) let this pass: 1e-6 absolute
    ("exp(x)", {"x": 700.0}, 1 + 1e-5), ("1/x", {"x": 1e-7}, 1 + 1e-5),
])
def test_check_fails_wrong_gradients_at_any_scale(text: str, point, factor: float) -> None:
    g = gradient(text, point)
    wrong = {n: v * factor for n, v in g.gradient.items()}
    result = check_gradient(g.tape, g.point, wrong)
    assert not result.passed and not result.rows[0].note  # a failure, not "cannot check"


def test_check_says_when_it_cannot_tell(cli) -> None:
    r = cli("grad", "1e4 + 1e-8*x^2", "--at", "x=1", "--check", "-q")
    assert r.exit_code == 1 and "could not verify x" in r.stderr and "too noisy" in r.stderr
    assert r.stdout.splitlines()[-1].endswith("is above the tolerance)")  # no "pass" row


def test_check_with_a_seed_checks_the_directional_derivative(cli) -> None:
    r = cli("grad", "x*y", "--at", "x=1,y=2", "--seed", "x=1,y=-1", "--check", "-q")
    assert r.exit_code == 0 and "∇f·s" in r.stdout and "pass" in r.stdout
    g = gradient("x*y", {"x": 1.0, "y": 2.0}, seed={"x": 1.0, "y": -1.0})
    result = check_gradient(g.tape, g.point, g.gradient, seed=g.seed, directional=1.5)
    assert not result.passed


def test_a_numpy_number_in_the_point_is_a_float() -> None:
    import numpy as np

    from adcalc.errors import DomainError

    with pytest.raises(DomainError, match="division by zero"):
        gradient("1/x", {"x": np.float64(0.0)})
