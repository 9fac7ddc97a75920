"""Regressions: kink warnings on every path, exact sums of adjoint contributions, honest
``--check`` verdicts (kinks, stop_gradient, untrustworthy differences, references) and
true definiteness claims of ``hessian``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from adcalc import gradient
from adcalc.batch.sweep import sweep_arrays
from adcalc.commands.vector import hessian, jacobian
from adcalc.errors import DomainError
from adcalc.frontend.parse import parse
from adcalc.render.points_out import kink_warnings
from adcalc.render.trace import warnings

ABS = "warning: v2 = abs(v0) is not differentiable at v0 = 0.0"
SIGN = "warning: v1 = sign(v0) is not differentiable at v0 = 0.0"


# -- 1. every mode warns at a kink the point sits on ----------------------------------


def test_reverse_mode_warns_where_a_zero_adjoint_meets_a_kink(cli) -> None:
    """sign(0) = 0 multiplies abs'(0): the adjoint reaching abs is 0, by sign's own
    convention, and the true derivative (1) is not what the conventions give."""
    said = {}
    for mode in ("reverse", "forward"):
        r = cli("grad", "sign(x)*abs(x)", "--at", "x=0", "--mode", mode, "-q")
        assert r.exit_code == 0 and r.stdout == "∂f/∂x = 0.0\n"
        said[mode] = r.stderr.splitlines()
        assert any(w.startswith(ABS) for w in said[mode]), (mode, said[mode])
        assert any(w.startswith(SIGN) for w in said[mode]), (mode, said[mode])
    assert said["reverse"] == said["forward"]
    r = cli("grad", "sign(x)*abs(x)", "--at", "x=0", "--format", "json")
    assert json.loads(r.stdout)["warnings"] == said["reverse"]
    r = cli("jacobian", "[sign(x)*abs(x), x]", "--at", "x=0", "--mode", "reverse")
    assert ABS.removeprefix("warning: ") in r.stderr
    r = cli("hessian", "sign(x)*abs(x) + y^2", "--at", "x=0,y=1")
    assert "abs(v-1) is not differentiable" in r.stderr


def test_every_path_reports_the_same_kinks() -> None:
    text = "sign(x)*abs(x) + y"
    tape = parse(text)
    g = {m: warnings(gradient(text, {"x": 0.0, "y": 1.0}, mode=m)) for m in ("reverse", "forward")}
    assert g["reverse"] == g["forward"] != []
    r = sweep_arrays(tape, {"x": np.zeros(3), "y": np.ones(3)})
    assert r.kink_rows() == [0, 1, 2]
    assert kink_warnings(tape, tape.variables, r, 1) == g["reverse"]
    j = jacobian(text, {"x": 0.0, "y": 1.0}, mode="reverse")
    assert sorted(j.nondiff) == sorted(gradient(text, {"x": 0.0, "y": 1.0}).nondiff)
    h = hessian(text, {"x": 0.0, "y": 1.0})
    assert h.nondiff


def test_no_warning_where_no_derivative_can_flow_through_the_kink() -> None:
    """stop_gradient's partial is 0 by definition: its argument's kink changes nothing."""
    for mode in ("reverse", "forward"):
        assert gradient("stop(abs(x))*x", {"x": 0.0}, mode=mode).nondiff == []
    assert gradient("abs(y) + x", {"x": 0.0, "y": 1.0}).nondiff == []


INFINITE_PARTIALS = [
    # (expression, point, the conventional derivatives, the true ones or None where f has
    # none, the nodes that warn): a zero derivative meets an infinite (or 0/0) partial
    ("sqrt(x)^2 + y", {"x": 0.0, "y": 2.0}, {"x": 0.0, "y": 1.0}, 1.0, ["sqrt(v-1)"]),
    ("sqrt(x)*sqrt(x)", {"x": 0.0}, {"x": 0.0}, 1.0, ["sqrt(v0)"]),
    ("x^(1/3)*x^(2/3)", {"x": 0.0}, {"x": 0.0}, 1.0,
     ["v0^0.6666666666666666", "v0^0.3333333333333333"]),
    ("acos(x)^2", {"x": 1.0}, {"x": 0.0}, -2.0, ["acos(v0)"]),
    ("(asin(x) - pi/2)^2", {"x": 1.0}, {"x": 0.0}, -2.0, ["asin(v0)"]),
    ("sqrt(x^2)", {"x": 0.0}, {"x": 0.0}, None, ["sqrt(v1)"]),
    ("hypot(x, y)^2", {"x": 0.0, "y": 0.0}, {"x": 0.0, "y": 0.0}, 0.0, ["hypot(v-1, v0)"]),
    ("atan2(y, x)^2", {"x": 0.0, "y": 0.0}, {"x": 0.0, "y": 0.0}, None, ["atan2(v-1, v0)"]),
    ("(x^y)^2", {"x": 0.0, "y": 0.5}, {"x": 0.0, "y": 0.0}, None, ["v-1^v0"]),
]


@pytest.mark.parametrize(("text", "point", "conventional", "true", "nodes"),
                         INFINITE_PARTIALS)
def test_an_infinite_partial_met_by_a_zero_warns_on_every_path(
        text: str, point: dict, conventional: dict, true: float | None, nodes: list) -> None:
    """0 times an infinite partial is taken as 0 (the documented convention): it decided
    the value, so every path says so, as at a kink: sqrt(x)^2 at 0 printed 0.0 with no
    word, where its one-sided derivative is 1 (an auditor's find)."""
    from adcalc.engine.sweeps import primal
    from tests.oracles.test_every_primitive import each_path

    paths = each_path(text, point)
    reverse = paths["reverse"][1]
    assert [w.split(" = ", 1)[1].split(" is not")[0] for w in reverse] == nodes
    assert all("0 times it is taken as 0" in w or "0/0" in w for w in reverse), reverse
    for path, (got, warned) in paths.items():
        assert got == conventional and warned == reverse, path
    if true is not None and len(point) == 1:  # the convention is not the derivative
        (name, at), = point.items()
        tape = parse(text)
        h = -1e-8 if at == 1.0 else 1e-8  # one-sided, into the domain
        slope = (primal(tape, {name: at + h})[tape.output] - primal(tape, point)[tape.output]) / h
        assert slope == pytest.approx(true, rel=1e-4) and true != conventional[name]


def test_an_infinite_partial_reaching_the_result_is_still_an_error() -> None:
    for text, point in (("sqrt(x)", {"x": 0.0}), ("asin(x)", {"x": 1.0}),
                        ("x^(1/3)", {"x": 0.0}), ("hypot(x, y)", {"x": 0.0, "y": 0.0})):
        for mode in ("reverse", "forward"):
            with pytest.raises(DomainError, match="not differentiable"):
                gradient(text, point, mode=mode)


def test_no_warning_where_the_infinite_partial_is_not_reached() -> None:
    """Away from its point, or where no derivative flows through it, or a power whose
    slope at 0 is finite: no word."""
    assert gradient("sqrt(x)^2", {"x": 1.0}).nondiff == []
    assert gradient("stop(sqrt(x))*y", {"x": 0.0, "y": 1.0}).nondiff == []
    assert gradient("x^1.5 + x^2", {"x": 0.0}).nondiff == []
    # 0^y's slope in y is 0 (the infinite one is in the base, a literal here)
    assert gradient("(0^y)^2 + y", {"y": 0.5}).gradient == {"y": 1.0}
    assert gradient("(0^y)^2 + y", {"y": 0.5}).nondiff == []


def test_the_refusal_of_an_infinite_slope_names_its_cause() -> None:
    """x^y at x = 0, y = 1/2: the slope in x is 1/0; the message blamed the derivative
    in y's domain ('x^y has a derivative in y only for a base x >= 0')."""
    for mode in ("reverse", "forward"):
        with pytest.raises(DomainError, match=r"undefined here \(division by zero\)"):
            gradient("x^y", {"x": 0.0, "y": 0.5}, mode=mode)


# -- 2. a small contribution between two huge opposite ones ---------------------------


def test_reverse_mode_sums_contributions_without_cancellation(cli) -> None:
    for mode in ("reverse", "forward"):
        r = cli("grad", "x + atan2(x, x)", "--at", "x=1e-17", "--mode", mode, "-q")
        assert r.stdout == "∂f/∂x = 1.0\n", mode
    assert gradient("x + atan2(x, x)", {"x": 1e-17}).gradient == {"x": 1.0}
    r = cli("grad", "x + atan2(x, x)", "--points", "-", input="x\n1e-17\n-3e-18\n")
    assert [line.split(",")[-1] for line in r.stdout.splitlines()[1:]] == ["1.0", "1.0"]
    # an input with several contributions, inside the tape and at the end
    assert gradient("sin(x + atan2(x, x))", {"x": 1e-17}).gradient["x"] == pytest.approx(
        np.cos(np.pi / 4), rel=1e-15)


# -- 3. --check verdicts -------------------------------------------------------------


def test_check_at_a_kink_where_f_is_differentiable_judges_the_derivative(cli) -> None:
    r = cli("grad", "x*abs(x)", "--at", "x=0", "--check", "-q")  # derivative 0
    assert r.exit_code == 0, r.stdout + r.stderr
    assert "pass" in r.stdout
    r = cli("grad", "sign(x)*abs(x)", "--at", "x=0", "--check", "-q")  # derivative 1, AD 0
    assert r.exit_code == 1
    assert "FAIL: at a kink" in r.stdout and "one-sided derivatives are 1" in r.stdout
    assert "check failed for x" in r.stderr


def test_check_at_a_kink_with_no_derivative_says_it_cannot_confirm_the_convention(cli
                                                                                ) -> None:
    for text in ("relu(x)", "abs(x)"):
        r = cli("grad", text, "--at", "x=0", "--check", "-q")
        assert r.exit_code == 1, text
        assert "FAIL" not in r.stdout and "pass" not in r.stdout.splitlines()[-1]
        assert "cannot check: at a kink" in r.stdout and "convention" in r.stdout
        assert "could not verify x" in r.stderr
    r = cli("grad", "relu(x) + y", "--at", "x=0,y=1", "--check", "--format", "json")
    rows = {row["variable"]: row for row in json.loads(r.stdout)["check"]["rows"]}
    assert rows["y"]["passed"] and not rows["x"]["passed"]
    assert rows["x"]["note"].startswith("cannot check: at a kink")


def test_a_reference_in_more_precision_cannot_confirm_a_convention(cli) -> None:
    pytest.importorskip("mpmath")
    for extra in (["--exact"], ["--precision", "30"]):
        r = cli("grad", "sign(x)*abs(x)", "--at", "x=0", "--check", "-q", *extra)
        assert r.exit_code == 1, extra
        assert "pass" not in r.stdout.splitlines()[-1]
        assert "cannot check: at a kink" in r.stdout
        assert "reference check could not verify x" in r.stderr
    r = cli("grad", "x^2", "--at", "x=3", "--check", "-q", "--exact")
    assert r.exit_code == 0 and "pass" in r.stdout


def test_check_holds_stop_gradient_at_its_value(cli) -> None:
    r = cli("grad", "stop(x)*x", "--at", "x=1", "--check", "-q")
    assert r.exit_code == 0 and "pass" in r.stdout
    assert "stop_gradient held at its value" in r.stdout
    r = cli("grad", "stop(x)*x", "--at", "x=1", "--check", "--format", "json")
    note = json.loads(r.stdout)["check"]["rows"][0]["note"]
    assert "stop_gradient" in note and "sees through it" in note


def test_check_error_estimate_is_honest_where_differences_are_noise(cli) -> None:
    """Every difference of (exp(x)-1-x)/x^2 at 1e-6 is rounding noise (f' = 1/6): the
    check cannot verify, and the error it states covers how far off its estimate is."""
    r = cli("grad", "(exp(x)-1-x)/x^2", "--at", "x=1e-6", "--check", "--format", "json")
    assert r.exit_code == 1
    row = json.loads(r.stdout)["check"]["rows"][0]
    assert not row["passed"] and row["note"].startswith("cannot check")
    assert abs(row["fd"] - 1 / 6) <= 4 * row["fd_error"]
    r = cli("grad", "sin(x^2 + 1)", "--at", "x=1.5", "--check", "-q")
    assert r.exit_code == 0 and "pass" in r.stdout


# -- 4. definiteness ---------------------------------------------------------------


def test_a_tiny_negative_eigenvalue_makes_the_hessian_indefinite(cli) -> None:
    r = cli("hessian", "x^2 - 1e-20*y^2", "--at", "x=0,y=0")
    assert r.exit_code == 0
    assert "The Hessian is indefinite" in r.stdout and "semidefinite" not in r.stdout
    assert hessian("x^2 - 1e-20*y^2", {"x": 0.0, "y": 0.0}).curvature.startswith("indefinite")
    assert hessian("(x+y)^2", {"x": 1.0, "y": 1.0}).curvature.startswith(
        "positive semidefinite")
    assert hessian("x^2 + 1e-20*y^2", {"x": 0.0, "y": 0.0}).curvature.startswith(
        "positive definite")
    assert hessian("-(x^2) - 1e-300*y^2", {"x": 0.0, "y": 0.0}).curvature.startswith(
        "negative definite")


def test_a_refusal_names_no_literal_as_a_value(cli) -> None:
    """The second derivative of sqrt(x)^2 at 0 divides by sqrt(0): the message gave the
    literal 1/2 as '(None = 0.5, v1 = 0.0)', then called it an overflow."""
    r = cli("hessian", "sqrt(x)^2 + y^2", "--at", "x=0,y=1")
    assert r.exit_code == 1 and "no second derivative here" in r.stderr, r.stderr
    assert "sqrt(v-1) is inf (v-1 = 0.0)" in r.stderr
    assert "None" not in r.stderr


def test_only_a_power_between_0_and_1_is_looked_at_for_an_infinite_slope() -> None:
    """x^2 has no such point: its nodes cost the batch path no check on every block, and
    the generated code's header names no convention for them."""
    from adcalc.batch.array_code import ArrayCode
    from adcalc.commands.codegen import codegen

    for mode in ("reverse", "forward"):
        assert ArrayCode(parse("x^2*y + y^3 + x^-1"), ["x", "y"], mode).checks == []
        assert len(ArrayCode(parse("x^0.5*y + y^2"), ["x", "y"], mode).checks) == 1
    assert "Conventions" not in codegen("x^2 + y^3", "python").source
    assert "powc: its derivative is infinite" in codegen("x^0.5 + y", "python").source


ANGLE = "acos((a*c + b*d)/(hypot(a,b)*hypot(c,d)))"


@pytest.mark.parametrize(("text", "point", "want"), [
    ("(x-x)^(1/3) + x", {"x": 0.7}, {"x": 1.0}),
    (ANGLE, {"a": 1.0, "b": 0.0, "c": 1.0, "d": 0.0},
     {"a": 0.0, "c": 0.0, "b": 0.0, "d": 0.0}),
])
def test_an_infinite_partial_on_paths_that_cancel_gives_both_modes_one_answer(
        cli, text: str, point: dict, want: dict) -> None:
    """x - x is 0, so its infinite partial meets a zero derivative: the tangent sweep
    forms that 0, the adjoints never do (1·∞ - 1·∞): reverse mode refused where forward
    mode gave the derivative (an auditor's find, the angle between two equal vectors)."""
    for mode in ("reverse", "forward"):
        g = gradient(text, point, mode=mode)
        assert g.gradient == want, mode
    assert jacobian(f"[{text}]", point, mode="reverse").matrix == [list(want.values())]
    header = ",".join(point)
    r = cli("grad", text, "--points", "-", input=f"{header}\n"
            + ",".join(str(v) for v in point.values()) + "\n")
    assert r.stdout.splitlines()[1].split(",")[len(point) + 1:] == [
        str(want[n]) for n in gradient(text, point).gradient]
    trace = cli("grad", text, "--at", ",".join(f"{k}={v}" for k, v in point.items()))
    if text.startswith("(x-x)"):
        assert "by a tangent sweep (this sum is ∞ - ∞" in trace.stdout
    with pytest.raises(DomainError, match="not differentiable"):  # no cancelling: refused
        gradient("(x - 0.7)^(1/3) + x", {"x": 0.7})


def test_second_derivatives_skip_a_partial_a_zero_adjoint_multiplies(cli) -> None:
    """min(y^x, y) at y < 0 takes y: grad never evaluates y^x·log(y) (its adjoint is 0),
    but the recorded reverse sweep did, and hessian, diff --order 2 and hvp raised 'the
    logarithm is defined only for positive numbers' (an auditor's find)."""
    import adcalc

    point = {"x": 2.0, "y": -0.8}
    assert gradient("min(pow(y, x), y)", point).gradient == {"y": 1.0, "x": 0.0}
    assert hessian("min(pow(y, x), y)", point).matrix == [[0.0, 0.0], [0.0, 0.0]]
    r = cli("diff", "min(pow(y, x), y)", "--order", "2", "--at", "x=2,y=-0.8")
    assert r.exit_code == 0, r.stderr
    assert adcalc.hvp("min(pow(y, x), y)", point, {"x": 1.0}) == {"y": 0.0, "x": 0.0}
    # where the undefined partial reaches a second derivative, still refused
    r = cli("hessian", "log(x)*y + y^2", "--at", "x=-1,y=1")
    assert r.exit_code == 1


@pytest.mark.parametrize("tol", ["nan", "inf", "-1", "x"])
def test_a_tolerance_that_is_no_finite_number_is_refused(cli, tol: str) -> None:
    """--tol nan made every check pass: AD 0, FD 1, 'pass' (an auditor's find)."""
    r = cli("grad", "sign(x)*abs(x)", "--at", "x=0", "--check", "--tol", tol, "-q")
    assert r.exit_code == 2 and "--tol" in r.stderr and "pass" not in r.stdout
