"""Taylor mode (adcalc/engine/taylor.py, adcalc taylor): every primitive's rule against
mpmath's ``taylor`` at 40 digits, compositions and programs, the agreement with the
tangent sweep (order 1) and the Hessian (order 2), exact series against SymPy, the
Taylor method for ODEs, and the command's messages."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import mpmath
import pytest

import adcalc
from adcalc.commands.taylor import ode_series, quadratic_form, taylor
from adcalc.engine.primitives import OPCODE, PRIMITIVES
from adcalc.engine.sweeps import primal, tangent
from adcalc.engine.tape import Tape
from adcalc.engine.taylor import RULES, missing_rules, sweep
from adcalc.errors import DomainError, InputError
from adcalc.frontend.parse import parse
from adcalc.symbolic.precise import Precise

K = 6
X0 = 0.3


def test_every_primitive_has_a_taylor_rule() -> None:
    assert missing_rules() == []
    assert set(RULES) == {p.name for p in PRIMITIVES}


def _primitive_tape(name: str) -> Tape:
    """``name`` applied to x (and to 0.5·x + 1.25 as a second argument; x^2.5 for powc)."""
    tape = Tape()
    x = tape.input("x")
    prim = PRIMITIVES[OPCODE[name]]
    if prim.takes_const:
        out = tape.node(OPCODE[name], x, -1, 2.5)
    elif prim.arity == 1:
        out = tape.node(OPCODE[name], x)
    else:
        half = tape.node(OPCODE["mul"], x, tape.const(0.5))
        out = tape.node(OPCODE[name], x, tape.node(OPCODE["add"], half, tape.const(1.25)))
    tape.outputs = [out]
    return tape


def _sigma(x):
    return 1 / (1 + mpmath.exp(-x))


MP = {  # each primitive in mpmath, written here: the reference owes nothing to adcalc
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "neg": lambda a: -a, "powc": lambda a: a ** mpmath.mpf(2.5),
    "pow": lambda a, b: a**b, "sin": mpmath.sin, "cos": mpmath.cos, "tan": mpmath.tan,
    "asin": mpmath.asin, "acos": mpmath.acos, "atan": mpmath.atan, "sinh": mpmath.sinh,
    "cosh": mpmath.cosh, "tanh": mpmath.tanh, "exp": mpmath.exp, "log": mpmath.log,
    "log2": lambda a: mpmath.log(a, 2), "log10": mpmath.log10, "sqrt": mpmath.sqrt,
    "abs": abs, "sign": mpmath.sign, "step": lambda a: mpmath.mpf(a > 0),
    "sigmoid": _sigma, "relu": lambda a: max(a, 0), "softplus": lambda a: mpmath.log1p(
        mpmath.exp(a)), "atan2": mpmath.atan2, "min": min, "max": max,
    "dtanh": lambda a: mpmath.sech(a) ** 2, "dsigmoid": lambda a: _sigma(a) * _sigma(-a),
    "dasin": lambda a: 1 / mpmath.sqrt(1 - a**2), "over_sumsq": lambda u, v: u / (u**2 + v**2),
    "pow_dx": lambda x, y: y * x ** (y - 1), "xlogy": lambda x, y: x * mpmath.log(y),
    "stop_gradient": None, "shift": None,  # the value, through which nothing flows
    "hypot": mpmath.hypot,
}


def _reference(name: str, x0, order: int) -> list:
    f = MP[name]
    if f is None:
        return [mpmath.mpf(x0), *([mpmath.mpf(0)] * order)]
    g = f if PRIMITIVES[OPCODE[name]].arity == 1 else (
        lambda x: f(x, x / 2 + mpmath.mpf("1.25")))
    with mpmath.workdps(40):
        return mpmath.taylor(g, mpmath.mpf(x0), order)


def test_the_reference_names_every_primitive() -> None:
    assert set(MP) == {p.name for p in PRIMITIVES}


@pytest.mark.parametrize("name", [p.name for p in PRIMITIVES])
def test_each_primitive_against_mpmath(name: str) -> None:
    tape = _primitive_tape(name)
    got = sweep(tape, {"x": [X0, 1.0, *([0.0] * (K - 1))]}, K)[tape.output]
    ref = _reference(name, X0, K)
    for k, (g, r) in enumerate(zip(got, ref, strict=True)):
        assert abs(g - float(r)) <= 1e-13 * max(1.0, abs(float(r))), (name, k, g, r)


@pytest.mark.parametrize("name", [p.name for p in PRIMITIVES])
def test_each_primitive_in_40_digits(name: str) -> None:
    tape = _primitive_tape(name)
    S = Precise(40)
    with S.context():
        x = mpmath.mpf(3) / 10
        got = sweep(tape, {"x": [x, mpmath.mpf(1), *([S.zero] * (K - 1))]}, K, S)
        ref = _reference(name, x, K)
        for k, (g, r) in enumerate(zip(got[tape.output], ref, strict=True)):
            assert abs(g - r) <= mpmath.mpf(10) ** -28 * max(1, abs(r)), (name, k, g, r)


COMPOSITIONS = [
    ("log((x1+x2)^2 + sin(x1*x2))", {"x1": 1.0, "x2": 0.5}, {"x1": 1.0, "x2": 0.0},
     lambda a, b: mpmath.log((a + b) ** 2 + mpmath.sin(a * b))),
    ("exp(x*y)/(1 + y^2) - tanh(x - y)", {"x": 0.2, "y": -0.4}, {"x": 1.0, "y": 2.0},
     lambda a, b: mpmath.exp(a * b) / (1 + b**2) - mpmath.tanh(a - b)),
    ("a = x*y; b = sin(a) + a^2; sqrt(exp(b)/(1 + b))", {"x": 0.7, "y": 1.1},
     {"x": -1.0, "y": 0.5},
     lambda a, b: mpmath.sqrt(mpmath.exp(mpmath.sin(a * b) + (a * b) ** 2)
                              / (1 + mpmath.sin(a * b) + (a * b) ** 2))),
    ("sq(t) = t^2; atan(sq(x) - y) + x^y + sigmoid(x*y)", {"x": 1.3, "y": 0.6},
     {"x": 0.5, "y": -1.0},
     lambda a, b: mpmath.atan(a**2 - b) + a**b + 1 / (1 + mpmath.exp(-a * b))),
]


@pytest.mark.parametrize(("text", "point", "d", "f"), COMPOSITIONS)
def test_compositions_and_programs_against_mpmath(text, point, d, f) -> None:
    order = 8
    r = taylor(text, point, d, order)
    names = list(point)
    with mpmath.workdps(40):
        g = lambda t: f(*(mpmath.mpf(repr(point[n])) + t * d[n] for n in names))  # noqa: E731
        ref = mpmath.taylor(g, 0, order)
    for k in range(order + 1):
        assert abs(r.coefficients[k] - float(ref[k])) <= 1e-12 * max(1, abs(float(ref[k]))), k
        assert r.derivatives[k] == pytest.approx(float(ref[k]) * math.factorial(k), rel=1e-11,
                                                 abs=1e-12)
    p = taylor(text, point, d, order, digits=40)
    for k in range(order + 1):
        assert abs(p.coefficients[k] - ref[k]) <= mpmath.mpf(10) ** -30 * max(1, abs(ref[k]))


@pytest.mark.parametrize(("text", "point", "d", "f"), COMPOSITIONS)
def test_order_one_is_the_tangent_sweep(text, point, d, f) -> None:
    tape = parse(text)
    vals = primal(tape, point)
    expected = tangent(tape, vals, d).tangents[tape.output]
    assert taylor(text, point, d, 1).coefficients[1] == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize(("text", "point", "d", "f"), COMPOSITIONS)
def test_order_two_is_half_the_hessian_quadratic_form(text, point, d, f) -> None:
    h = adcalc.hessian(text, point)
    v = [d[n] for n in h.variables]
    form = sum(v[i] * h.matrix[i][j] * v[j] for i in range(len(v)) for j in range(len(v)))
    assert taylor(text, point, d, 2).coefficients[2] == pytest.approx(form / 2, rel=1e-12)
    assert quadratic_form(text, point, d) == pytest.approx(form, rel=1e-12)


SYMPY_CASES = [
    ("exp(x)", 0), ("1/(1 - x)", 0), ("x^3 - 2*x", Fraction(1, 2)), ("sqrt(1 + x)", 0),
    ("atan(x)", 0), ("log(1 + x)", 0), ("tan(x)", 0), ("sin(x)*cos(x)", 0),
    ("sigmoid(x)", 0), ("tanh(x)", 0), ("asin(x)", 0), ("(1 + x)^(1/3)", 0),
    ("x^4", 0), ("cosh(x) - 1", 0), ("1/(2 + x)^2", 1), ("exp(x)/(1 + x)", 0),
]


@pytest.mark.parametrize(("text", "x0"), SYMPY_CASES)
def test_exact_series_against_sympy(text: str, x0) -> None:
    import sympy

    order = 7
    r = taylor(text, {"x": float(x0)}, order=order, exact=True)
    x, t = sympy.symbols("x t")
    expr = sympy.sympify(text.replace("^", "**"),
                         locals={"sigmoid": lambda z: 1 / (1 + sympy.exp(-z))})
    ref = sympy.series(expr.subs(x, sympy.Rational(x0) + t), t, 0, order + 1).removeO()
    for k in range(order + 1):
        want = sympy.Rational(ref.coeff(t, k))
        got = r.coefficients[k]
        assert type(got) is Fraction, (text, k, got)
        assert got == Fraction(int(want.p), int(want.q)), (text, k, got, want)


def test_exact_closed_forms() -> None:
    r = taylor("exp(x)", {"x": 1.0}, order=4, exact=True)
    assert [float(c) for c in r.coefficients] == pytest.approx(
        [math.e / math.factorial(k) for k in range(5)], rel=1e-15)
    assert str(r.coefficients[2]).startswith("e/2")
    assert taylor("exp(x)", {"x": 0.0}, order=5, exact=True).derivatives == [1] * 6


def test_taylor_method_for_odes() -> None:
    # x' = x², x(0) = 1: x = 1/(1 - t), every coefficient 1
    assert ode_series("x^2", {"x": 1.0}, 12).coefficients["x"] == [1.0] * 13
    # x' = 1 + x², x(0) = 0: tan t (Abramowitz & Stegun 4.3.67)
    tan = ode_series("1 + x^2", {"x": 0}, 9, exact=True).coefficients["x"]
    assert tan == [0, 1, 0, Fraction(1, 3), 0, Fraction(2, 15), 0, Fraction(17, 315), 0,
                   Fraction(62, 2835)]
    # a system: x' = y, y' = -x from (0, 1): sin and cos
    sc = ode_series("[y, -x]", {"x": 0, "y": 1}, 6, exact=True).coefficients
    assert sc["x"] == [0, 1, 0, Fraction(-1, 6), 0, Fraction(1, 120), 0]
    assert sc["y"] == [1, 0, Fraction(-1, 2), 0, Fraction(1, 24), 0, Fraction(-1, 720)]
    # the series summed at t = 0.1 is tan(0.1) to the truncation error
    s = ode_series("1 + x^2", {"x": 0.0}, 15)
    assert s.value(0.1)["x"] == pytest.approx(math.tan(0.1), rel=1e-15)


def test_piecewise_primitives_follow_the_branch() -> None:
    # abs(x^2) at 0 stays on one side: exact, no kink; abs(x) at 0 is a kink
    r = taylor("abs(x^2 - x^3)", {"x": 0.0}, order=4)
    assert r.coefficients == [0.0, 0.0, 1.0, -1.0, 0.0] and r.kinks == []
    r = taylor("abs(x)", {"x": 0.0}, order=3)
    assert r.coefficients == [0.0] * 4 and len(r.kinks) == 1
    r = taylor("max(x, -x)", {"x": 0.0}, order=2)  # a tie crossed: the mean, 0
    assert r.coefficients == [0.0] * 3 and len(r.kinks) == 1
    r = taylor("max(x^2, 0) + relu(x - 1)", {"x": 0.0}, order=3)
    assert r.coefficients == [0.0, 0.0, 1.0, 0.0] and r.kinks == []
    assert taylor("x^3", {"x": 0.0}, order=4).coefficients == [0, 0, 0, 1, 0]
    assert taylor("(x + x^2)^3", {"x": 0.0}, order=5).coefficients == [0, 0, 0, 1, 3, 3]


@pytest.mark.parametrize(("text", "at", "words"), [
    ("sqrt(x)", 0.0, "sqrt has no Taylor series"),
    ("x^0.5 + 1", 0.0, "x^0.5 has no Taylor series"),
    ("asin(x)", 1.0, "asin and acos have no Taylor series at ±1"),
    ("log(x)", 0.0, "logarithm"),
    ("1/x", 0.0, "division by zero"),
    ("atan2(x, x)", 0.0, "atan2"),
    ("hypot(x, x)", 0.0, "hypot"),
    ("x^x", -1.0, "base x > 0"),
])
def test_singularities_are_math_errors_naming_the_node(text: str, at: float, words: str) -> None:
    with pytest.raises(DomainError) as info:
        taylor(text, {"x": at}, order=3)
    assert words in str(info.value) and "math error at v" in str(info.value)


def test_bad_input_is_an_input_error() -> None:
    for order in (0, -1, 1001, 2.5, "x"):
        with pytest.raises(InputError, match="order"):
            taylor("x", {"x": 1.0}, order=order)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="several variables"):
        taylor("x*y", {"x": 1.0, "y": 2.0})
    with pytest.raises(InputError, match="does not use"):
        taylor("x*y", {"x": 1.0, "y": 2.0}, {"z": 1.0})
    with pytest.raises(InputError, match="2 entries"):
        taylor("x", {"x": 1.0}, [1.0, 2.0])


def test_the_command(cli) -> None:
    out = cli("taylor", "exp(x)", "--at", "x=0", "--order", "5", "--exact", "--format", "json")
    assert out.exit_code == 0
    data = json.loads(out.output)
    assert data["coefficients"] == ["1", "1", "1/2", "1/6", "1/24", "1/120"]
    assert data["derivatives"] == ["1"] * 6
    out = cli("taylor", "x^2*y", "--at", "x=1,y=2", "--dir", "1,1", "--format", "json", "-q")
    data = json.loads(out.output)
    assert data["coefficients"] == [2.0, 5.0, 4.0] and data["derivatives"] == [2.0, 5.0, 8.0]
    assert "trace" not in data
    for fmt in ("plain", "rich", "markdown", "latex"):
        out = cli("taylor", "a = sin(x); a*y", "--at", "x=1,y=2", "--dir", "x=1", "--order",
                  "3", "--format", fmt)
        assert out.exit_code == 0 and "Taylor trace" in out.output, fmt
    out = cli("taylor", "sin(x)", "--at", "x=0", "--order", "4", "-q")
    assert out.output.splitlines()[3] == "f_3 = -0.16666666666666666"
    out = cli("taylor", "1/x", "--at", "x=1", "--order", "3", "--precision", "30", "-q")
    assert out.output.splitlines()[3] == "f_3 = -1.0"


@pytest.mark.parametrize(("args", "words"), [
    (["x", "--at", "x=1", "--order", "0"], "--order must be from 1 to 1000"),
    (["x", "--at", "x=1", "--order", "-2"], "--order must be from 1 to 1000"),
    (["x", "--at", "x=1", "--order", "100000"], "--order must be from 1 to 1000"),
    (["x*y", "--at", "x=1,y=2"], "give the direction of the line with --dir"),
    (["x*y", "--at", "x=1,y=2", "--dir", "z=1"], "--dir names z"),
    (["x", "--at", "x=1", "--exact", "--precision", "20"], "choose one"),
])
def test_the_command_refuses_bad_input(cli, args: list[str], words: str) -> None:
    out = cli("taylor", *args)
    assert out.exit_code == 2 and words in out.output, out.output


def test_math_errors_exit_1_and_kinks_warn(cli) -> None:
    out = cli("taylor", "sqrt(x)", "--at", "x=0")
    assert out.exit_code == 1 and "math error at v1 = sqrt(v0)" in out.output
    out = cli("taylor", "abs(x)", "--at", "x=0", "-q")
    assert out.exit_code == 0 and "warning: v1 = abs(v0) is not differentiable" in out.output


def test_the_python_api() -> None:
    r = adcalc.taylor("exp(x)", {"x": 0.0}, order=3)
    assert r.coefficients == [1.0, 1.0, 0.5, pytest.approx(1 / 6)]
    assert adcalc.ode_series("x^2", {"x": 1.0}, 3).coefficients["x"] == [1.0] * 4


def test_diff_values_agree_with_one_taylor_sweep() -> None:
    """``diff --at … --order K`` of one variable against the K-th coefficient of one
    Taylor sweep, K = 1…6, over random one-variable expressions (diff keeps its own
    path: measured, the sweep saves well under a millisecond next to the derivation).
    Not bit for bit: about 70% agree exactly; the worst differ by 2e-12 relative."""
    from helpers import random_expressions

    from adcalc.errors import AdcalcError

    checked = 0
    for text in random_expressions(11, 200, 8):
        text = text.replace("y", "x").replace("z", "x")
        try:
            if parse(text).variables != ["x"]:
                continue
            series = taylor(text, {"x": 0.37}, order=6)
        except AdcalcError:
            continue
        if series.kinks:
            continue
        for k in range(1, 7):
            old = adcalc.diff(text, ["x"], k, {"x": 0.37}).values[0]
            new = series.derivatives[k]
            assert abs(old - new) <= 1e-10 * max(1.0, abs(old)), (text, k, old, new)
        checked += 1
        if checked == 12:
            break
    assert checked == 12
    d = adcalc.diff("abs(x)*x^3", ["x"], 3, {"x": 0.0})  # a kink: both say so
    assert d.nondiff and taylor("abs(x)*x^3", {"x": 0.0}, order=3).kinks


def test_hvp_is_the_hessian_times_d() -> None:
    import numpy as np

    text = "sin(x*y)*exp(z) + x^3*z - log(1 + y^2)/z"
    point, d = {"x": 0.3, "y": -1.2, "z": 0.7}, {"x": 1.0, "y": -2.0, "z": 0.5}
    h = adcalc.hessian(text, point)
    want = np.array(h.matrix) @ [d[v] for v in h.variables]
    got = adcalc.hvp(text, point, d)
    assert list(got) == h.variables
    assert np.allclose(list(got.values()), want, rtol=1e-13, atol=1e-13)
    dHd = sum(d[v] * got[v] for v in got)
    assert math.isclose(dHd, quadratic_form(text, point, d), rel_tol=1e-12)
    assert adcalc.hvp("x^2*y", {"x": 1, "y": 2}, {"x": 1}) == {"x": 4.0, "y": 2.0}
    with pytest.raises(InputError):
        adcalc.hvp("x*y", {"x": 1, "y": 2}, None)


@pytest.mark.parametrize(("text", "at", "order"), [
    ("sqrt(x^4)", 0.0, 3), ("acos(1 - x^4)", 0.0, 3), ("(x^6)^(1/3)", 0.0, 4),
    ("atan2(x^3, x^3)", 0.0, 2), ("sign(x^4)", 0.0, 2), ("sqrt(x^2)", 0.0, 1),
    ("hypot(x^3, x^4) + x", 0.0, 2), ("(x^4)^(y + 1/2) + 0*y", 0.0, 3),
])
def test_an_argument_cut_off_at_the_order_is_not_taken_as_constant_where_it_decides(
        text: str, at: float, order: int) -> None:
    """x^4 at 0 to order 3 is [0, 0, 0, 0]: smooth functions of it are right to that order,
    but sqrt(x^4) = x^2 printed f_2 = 0 and acos(1 - x^4) too (its f_2 is sqrt(2)): where
    the function is not smooth the terms past the order decide, so it is an error, not a
    wrong number (an auditor's find)."""
    point, direction = ({"x": at, "y": 0.0}, {"x": 1.0, "y": 0.0}) if "*y" in text else (
        {"x": at}, None)
    with pytest.raises(adcalc.DomainError, match="cannot be told to order"):
        taylor(text, point, order=order, direction=direction)


def test_what_is_constant_along_the_line_stays_constant() -> None:
    """An input the direction does not move, a literal, stop_gradient: constant indeed,
    so a root of it at 0 is 0 all along."""
    t = taylor("sqrt(y) + x", {"x": 1.0, "y": 0.0}, order=3, direction={"x": 1.0})
    assert t.coefficients == [1.0, 1.0, 0.0, 0.0]
    assert taylor("stop_gradient(x)^0.5 + x", {"x": 0.0}, order=2).coefficients == [
        0.0, 1.0, 0.0]
    assert taylor("abs(x^4) + x^4", {"x": 0.0}, order=3).coefficients == [0.0] * 4
    assert taylor("sqrt(0*x + 4) + x", {"x": 0.0}, order=2).coefficients == [2.0, 1.0, 0.0]


def test_the_taylor_method_takes_a_constant_term_and_time() -> None:
    """x' = x + 1 and x' = x - t raised 'zip() argument 2 is shorter than argument 1'
    (each sweep got one coefficient too many; an auditor's find)."""
    assert ode_series("x + 1", {"x": 0.0}, 4).coefficients["x"] == [
        0.0, 1.0, 0.5, 1 / 6, 1 / 24]
    assert ode_series("x - t", {"x": 1.0}, 3, time="t").coefficients["x"] == [1.0, 1.0, 0, 0]
    assert ode_series("max(x, 2)", {"x": 0.0}, 3).coefficients["x"] == [0.0, 2.0, 0.0, 0.0]
    s = ode_series("[x + y, x - y + 1]", {"x": 0.0, "y": 0.0}, 3).coefficients
    assert s == {"x": [0.0, 0.0, 0.5, 0.0], "y": [0.0, 1.0, -0.5, 1 / 3]}


def test_atan_of_a_tiny_number_needs_no_scaling() -> None:
    """atan at 1e-160 raised 'the coefficient of order 1 … is nan': the scaling meant for a
    large argument squared 2^531 (an auditor's find)."""
    for x in (1e-160, -1e-200, 1e-300):
        c = taylor("atan(x)", {"x": x}, order=3).coefficients
        assert c == [x, 1.0, -x, -1 / 3]  # atan's series: a, 1/(1+a²), -a/(1+a²)², …
