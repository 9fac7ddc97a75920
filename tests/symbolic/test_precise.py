"""grad --exact and --precision: traces in rationals and in N digits, against SymPy."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from adcalc.commands.grad import gradient
from adcalc.engine.check import reference_check

sympy = pytest.importorskip("sympy")
mpmath = pytest.importorskip("mpmath")


def test_exact_traces_hold_rationals(cli) -> None:
    r = cli("grad", "x/3 + x*y", "--at", "x=1,y=0.1", "--exact")
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert any(line.split()[-2:] == ["v-1/3", "1/3"] for line in lines)
    assert "  f         13/30" in lines and "  ∂f/∂x     13/30" in lines
    assert "Arithmetic: exact (rationals) at every step." in r.stdout


def test_exact_gradients_are_sympys_rationals() -> None:
    x, y = sympy.symbols("x y")
    for text, f, point in [
        ("x^3/7 - 2*x*y + y^2/5", x**3 / 7 - 2 * x * y + y**2 / 5, {"x": 0.1, "y": 3}),
        ("(x + y)/(x - y)", (x + y) / (x - y), {"x": 2.5, "y": 0.25}),
        ("sqrt(x^2 + y^2)*x", sympy.sqrt(x**2 + y**2) * x, {"x": 3, "y": 4}),
    ]:
        g = gradient(text, point, exact=True)
        subs = {x: sympy.Rational(str(point["x"])), y: sympy.Rational(str(point["y"]))}
        for name, sym in (("x", x), ("y", y)):
            want = sympy.diff(f, sym).subs(subs)
            assert g.gradient[name] == Fraction(int(want.p), int(want.q)), (text, name)
        assert not g.fallbacks


def test_a_step_that_is_not_rational_says_so(cli) -> None:
    r = cli("grad", "sin(x)/3 + x^2", "--at", "x=1", "--exact")
    assert r.exit_code == 0
    assert "Irrational values enter at: v1 = sin(v0)." in r.stdout
    assert "at every step." not in r.stdout
    r = cli("grad", "pi*x^2", "--at", "x=1/3", "--exact")
    assert "Irrational values enter at: the constant pi." in r.stdout
    r = cli("grad", "x^2/3", "--at", "x=1/3", "--exact", "-q")
    assert r.stdout == "∂f/∂x = 2/9\n"  # 1/3 as typed, not the double nearest it


@pytest.mark.parametrize("digits", [20, 50])
def test_precise_traces_match_sympy_digit_for_digit(digits: int) -> None:
    x1, x2 = sympy.symbols("x1 x2")
    f = sympy.log((x1 + x2) ** 2 + sympy.sin(x1 * x2))
    g = gradient("log((x1+x2)^2 + sin(x1*x2))", {"x1": 1, "x2": 0.5}, digits=digits)
    subs = {x1: 1, x2: sympy.Rational(1, 2)}
    for name, sym in (("x1", x1), ("x2", x2)):
        want = sympy.N(sympy.diff(f, sym).subs(subs), digits + 10)
        got = sympy.Float(mpmath.nstr(g.gradient[name], digits + 5), digits + 10)
        assert abs(got - want) <= abs(want) * sympy.Float(10) ** (2 - digits), name
    assert g.arithmetic == f"{digits} digits"


def test_precision_leaves_the_callers_mpmath_as_it_was(cli) -> None:
    """grad's and taylor's digits are their own: mpmath's working precision is the same
    after them (a Python caller's numbers print as before), and the tables still show
    every digit asked for."""
    from adcalc.commands.taylor import taylor

    before = mpmath.mp.dps
    g = gradient("exp(x)*sin(y)", {"x": 0.3, "y": 2}, digits=40)
    t = taylor("sin(x)/x", {"x": 1}, order=3, digits=30)
    assert mpmath.mp.dps == before
    assert mpmath.nstr(g.value, 40) == "1.22742314030684263060503303814989034896"
    assert mpmath.nstr(t.coefficients[1], 30) == "-0.301168678939756789251565714187"
    r = cli("grad", "exp(x)*sin(y)", "--at", "x=0.3,y=2", "--precision", "40", "-q")
    assert "1.22742314030684263060503303814989034896" in r.stdout
    assert mpmath.mp.dps == before


def test_precision_check_compares_with_the_reference(cli) -> None:
    r = cli("grad", "exp(x)*sin(y)", "--at", "x=0.3,y=2", "--precision", "40", "--check")
    assert r.exit_code == 0
    assert "Check against a reference (reference: the same sweeps in 40 significant digits" \
        in r.stdout
    result = reference_check({"x": 1.0}, {"x": Fraction(3, 2)}, 1e-6, "exact rationals")
    assert not result.passed and result.failed == ["x"]


def test_json_keeps_its_schema(cli) -> None:
    plain = json.loads(cli("grad", "x^2/3", "--at", "x=0.1", "--format", "json").stdout)
    exact = json.loads(cli("grad", "x^2/3", "--at", "x=0.1", "--format", "json",
                           "--exact").stdout)
    assert exact.keys() == plain.keys() | {"exact"}  # the schema's fields, plus the strings
    assert exact["gradient"]["x"] == pytest.approx(plain["gradient"]["x"], rel=1e-15)
    assert exact["exact"] == {"value": "1/300", "gradient": {"x": "1/15"}}


@pytest.mark.parametrize("args", [
    ["--exact", "--precision", "5"],
    ["--exact", "--mode", "forward"],
    ["--precision", "30", "--seed", "x=1"],
    ["--exact", "--points", "-"],
    ["--precision", "0"],
])
def test_combinations_that_make_no_sense(cli, args: list[str]) -> None:
    r = cli("grad", "x^2", *([] if "--points" in args else ["--at", "x=1"]), *args)
    assert r.exit_code == 2
    assert "Traceback" not in r.output


def test_domain_errors_are_the_usual_ones(cli) -> None:
    r = cli("grad", "log(x)", "--at", "x=0", "--exact")
    assert r.exit_code == 1 and "the logarithm is defined only for positive numbers" in r.output


def test_the_header_shows_the_point_as_typed(cli) -> None:
    r = cli("grad", "x^2*y", "--at", "x=2/3,y=pi/4", "--exact")
    assert r.stdout.splitlines()[1] == "at x = 2/3, y = pi/4"
    assert "  v-1   x " in r.stdout
    assert any(line.split() == ["v-1", "x", "2/3"] for line in r.stdout.splitlines())


def test_a_reference_too_coarse_for_the_tolerance_cannot_verify(cli) -> None:
    """3 digits cannot check a double to 1e-6: not a pass (exit 1), and it says so."""
    r = cli("grad", "exp(x)*x", "--at", "x=1.234", "--precision", "3", "--check")
    assert r.exit_code == 1
    assert "cannot check: 3 digits cannot tell at tol = 1e-06" in r.stdout
    r = cli("grad", "exp(x)*x", "--at", "x=1.234", "--precision", "30", "--check", "-q")
    assert r.exit_code == 0 and "pass" in r.stdout


def test_digits_lost_to_cancellation_are_found_by_more_working_digits(cli) -> None:
    """exp(x) - x at 1e-13 by 10 digits: the derivative exp(x) - 1 cancels 13 of them;
    the printed value was 9.992007222e-14 and --check passed the doubles' value, off by
    8e-4 (an auditor's find).  mpmath at 60 digits: 1.00000000000005e-13."""
    import mpmath

    with mpmath.workdps(60):
        want = float(mpmath.expm1(mpmath.mpf("1e-13")))
    r = cli("grad", "exp(x) - x", "--at", "x=1e-13", "--precision", "10", "-q")
    assert float(r.stdout.split("=")[1]) == pytest.approx(want, rel=1e-9)
    r = cli("grad", "exp(x) - x", "--at", "x=1e-13", "--precision", "10", "--check", "-q")
    assert r.exit_code == 1 and "FAIL" in r.stdout
    r = cli("grad", "exp(x) - x", "--at", "x=1e-10", "--precision", "12", "-q")
    assert r.stdout == "∂f/∂x = 1.00000000005e-10\n"
