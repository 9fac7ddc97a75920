"""Every kind of bad input: a clear one-paragraph message and the right exit code."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("expr", "column", "expected"),
    [
        ("log((x1+x2)^2 + sin(x1*x2)", 27, "expected ')' to close a parenthesis"),
        ("x +* 2", 4, "unexpected '*'; expected a number, a name, '(' or '['"),
        ("2x", 2, "a product needs '*'"),
        ("x $ 2", 3, "unexpected character '$'"),
        ("", 1, "ended too early"),
        ("sin(x))", 7, "unexpected ')'"),
    ],
)
def test_syntax_errors_point_at_the_column(cli, expr: str, column: int, expected: str) -> None:
    r = cli("grad", expr, "--at", "x=1,x1=1,x2=1")
    assert r.exit_code == 2
    assert f"syntax error at column {column}" in r.stderr
    assert expected in r.stderr
    if expr:
        lines = r.stderr.splitlines()
        echo, caret = lines[-2], lines[-1]
        assert echo == "  " + expr
        assert caret.index("^") - 2 == column - 1
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("sni(x)", "unknown function 'sni'; did you mean sin?"),
        ("sqr(x)", "did you mean sqrt?"),
        ("lgo(x)", "did you mean log?"),
        ("frobnicate(x)", "unknown function 'frobnicate'"),
        ("sin(x, x)", "sin takes 1 argument, got 2"),
        ("atan2(x)", "atan2 takes 2 arguments, got 1"),
        ("max(x)", "max takes at least 2 arguments, got 1"),
        ("log(x, x, x)", "log takes 1 or 2 arguments, got 3"),
        ("sin + x", "sin is a function: call it as sin(...)"),
        ("pi(x)", "pi is a constant, not a function"),
        ("1e999*x", "too large for a double"),
    ],
)
def test_name_errors(cli, expr: str, message: str) -> None:
    r = cli("grad", expr, "--at", "x=1")
    assert r.exit_code == 2
    assert message in r.stderr
    assert r.stderr.rstrip().endswith("^")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x*y", "--at", "x=1"], "no value for y: give it with --at y=…"),
        (["x*y"], "no value for x, y"),
        (["x*y2", "--at", "x=1,y_2=3"], "--at gives y_2: a typo for y2?"),
        (["x*y", "--at", "x=1,y=2,z=3"], "--at gives z, which the expression does not use"),
        (["x*y", "--at", "x=1,y"], "expected name=value pairs"),
        (["x*y", "--at", "x=1,y=abc"], "abc"),
        (["x*y", "--at", "x=1,x=2"], "x is given twice"),
        (["x*y", "--at", "x=1", "--at", "x=2,y=1"], "x is given twice"),
        (["x", "--at", "x=1e999"], "not a finite number"),
        (["x", "--at", "x=nan"], "not a finite number"),
        (["x*y", "--at", "x=1,y=2", "--vars", "x,z"], "--vars names z"),
        (["x*y", "--at", "x=1,y=2", "--vars", "x"], "--vars leaves out y"),
        (["x*y", "--at", "x=1,y=2", "--mode", "sideways"], "Invalid value for '--mode'"),
        (["x*y", "--at", "x=1,y=2", "--seed", "q=1"], "--seed gives q"),
    ],
)
def test_usage_errors_exit_2(cli, args: list[str], message: str) -> None:
    r = cli("grad", *args)
    assert r.exit_code == 2
    assert message in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize(
    ("expr", "point", "message"),
    [
        ("log(x - 1)", "x=0.5",
         "math error at v2 = log(v1): the logarithm is defined only for positive numbers "
         "(v1 = -0.5), in log(x - 1)"),
        ("1/(x - y)", "x=1,y=1", "math error at v2 = 1/v1: division by zero (v1 = 0.0)"),
        ("sqrt(x)", "x=-4", "math error at v1 = sqrt(v0): sqrt is defined only for numbers >= 0"),
        ("exp(x)", "x=1000", "math error at v1 = exp(v0): overflow"),
        ("x^4", "x=1e100", "math error at v1 = v0^4: overflow"),
        ("asin(x)", "x=2", "asin is defined only on [-1, 1]"),
        ("(x - 2)^0.5", "x=1", "a negative number to a non-integer power"),
        ("log(0)*x", "x=1", "math error at v1 = log(0)"),
        ("sqrt(x)", "x=0", "not differentiable at v1 = sqrt(v0)"),
        ("x*x*x*x*x*x*x*x*x*x", "x=1e31", "overflow"),
    ],
)
def test_math_errors_exit_1_and_name_the_node(cli, expr: str, point: str, message: str) -> None:
    r = cli("grad", expr, "--at", point)
    assert r.exit_code == 1
    assert message in r.stderr
    assert r.stderr.startswith("error: ")
    assert "Traceback" not in r.stderr


def test_non_differentiable_point_warns_naming_the_node(cli) -> None:
    r = cli("grad", "abs(x) + max(x, y)", "--at", "x=0,y=0", "-q")
    assert r.exit_code == 0
    assert "warning: v1 = abs(v-1) is not differentiable at v-1 = 0.0" in r.stderr
    assert "warning: v2 = max(v-1, v0) is not differentiable" in r.stderr
    assert "0.5/0.5" in r.stderr
    assert r.stdout == "∂f/∂x = 0.5\n∂f/∂y = 0.5\n"


def test_api_raises_typed_errors() -> None:
    import adcalc

    with pytest.raises(adcalc.ParseError) as e:
        adcalc.grad("sin(x", x=1)
    assert e.value.pos == 5
    with pytest.raises(adcalc.DomainError) as d:
        adcalc.grad("log(x)", x=-1)
    assert d.value.node == "v1"
    with pytest.raises(adcalc.InputError):
        adcalc.grad("x*y", x=1)


def test_opposite_infinities_are_reported_not_crashed_on() -> None:
    from adcalc.engine.sweeps import FLOATS
    from adcalc.errors import DomainError
    from adcalc.frontend.parse import parse

    tape = parse("x - y")
    with pytest.raises(DomainError) as e:
        FLOATS.finish(tape, [float("inf"), float("-inf"), 0.0], "adjoint")
    assert "overflow: the adjoint of v-1 is inf" in str(e.value)
