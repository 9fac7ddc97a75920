"""A branch boundary (both sides of a decision equal at the point) is a kink on every
path: the exact and the high-precision sweeps warn of it and mark it as the doubles do,
and their ``--check`` cannot pass there (as plain ``--check`` cannot)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from adcalc.commands.grad import gradient
from adcalc.frontend.parse import parse_program

ARITHMETIC = [{"exact": True}, {"digits": 30}]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "adcalc", *args], capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("kw", ARITHMETIC)
@pytest.mark.parametrize("text, x", [("if x >= 1 then x^2 else -x", 1.0),
                                     ("if 3*x >= 1 then x^2 else -x", 1 / 3)])
def test_the_other_arithmetic_marks_and_warns_of_the_boundary(kw, text, x):
    doubles = gradient(text, {"x": x})
    other = gradient(text, {"x": x}, **kw)
    assert [d.boundary for d in doubles.tape.decisions] == [True]
    assert [d.boundary for d in other.tape.decisions] == [True]
    said = [w for w in doubles.tape.warnings if "boundary" in w]
    assert said and set(said) <= set(other.tape.warnings)
    assert doubles.gradient == {"x": 2 * x}
    assert float(other.gradient["x"]) == pytest.approx(2 * x, rel=1e-15)


def test_the_exact_trace_off_the_boundary_marks_nothing():
    tape = parse_program("if x >= 1 then x^2 else -x").trace({"x": 1.5}, exact=True)
    assert [d.boundary for d in tape.decisions] == [False] and not tape.warnings


@pytest.mark.parametrize("flags", [["--exact"], ["--precision", "30"]])
def test_the_check_in_other_arithmetic_cannot_pass_on_a_boundary(flags):
    text = "if x >= 1 then x^2 else -x"
    r = run("grad", text, "--at", "x=1", *flags, "--format", "json")
    got = json.loads(r.stdout)
    assert r.returncode == 0 and got["decisions"][0]["boundary"] is True
    assert any("on the boundary of x >= 1" in w for w in got["warnings"])
    r = run("grad", text, "--at", "x=1", *flags, "--check", "-q")
    assert r.returncode == 1 and "branch boundary of if x >= 1" in r.stdout, r.stdout
    r = run("grad", text, "--at", "x=1.5", *flags, "--check", "-q")
    assert r.returncode == 0 and "pass" in r.stdout


def test_a_boundary_blocks_only_the_partials_that_move_its_sides():
    from adcalc.engine.check import check_gradient

    text = "(if x > 0 then x else -x) + y^2"
    g = gradient(text, {"x": 0.0, "y": 3.0})
    rows = {r.name: r for r in check_gradient(g.tape, g.point, g.gradient).rows}
    assert "branch boundary" in rows["x"].note and not rows["x"].passed
    assert rows["y"].passed and rows["y"].fd == pytest.approx(6.0, rel=1e-12)  # d(y^2)/dy
    exact = gradient(text, {"x": 0.0, "y": 3.0}, exact=True)
    assert set(exact.kinks) == {"x"}


def test_near_a_boundary_the_check_says_the_steps_cross_it():
    r = run("grad", "if x > 1 then x^3 else 5*x", "--at", "x=1.0000001", "--check", "-q")
    assert r.returncode == 1 and "undefined" not in r.stdout
    assert "close to a branch boundary (if x > 1" in r.stdout


@pytest.mark.parametrize("kw, said", [({"exact": True}, "in exact rationals"),
                                      ({"digits": 30}, "in 30 digits")])
def test_a_decision_whose_sides_are_equal_only_in_the_other_arithmetic_is_warned_of(kw, said):
    text = "if x*3 > 0.3 then x^2 else 5*x"  # 0.1*3 > 0.3 in doubles; 3/10 = 3/10 exactly
    assert [d.boundary for d in gradient(text, {"x": 0.1}).tape.decisions] == [False]
    g = gradient(text, {"x": 0.1}, **kw)
    assert [d.boundary for d in g.tape.decisions] == [True]
    assert any("path was decided in doubles" in w and said in w for w in g.tape.warnings)
    assert g.kinks.keys() == {"x"}
    off = gradient(text, {"x": 0.2}, **kw)  # 0.6 > 0.3 in every arithmetic: nothing said
    assert not off.tape.warnings and not off.kinks


def test_the_api_result_carries_the_decisions_and_the_boundary_warning():
    g = gradient("if x > 0 then x^2 else -x", {"x": 0.0}, record=True)
    assert [(d.comparison, d.outcome, d.boundary) for d in g.decisions] == [("x > 0", False,
                                                                            True)]
    assert any("on the boundary of x > 0" in w for w in g.warnings)
    plain = gradient("abs(x)", {"x": 1.0})
    assert plain.decisions == [] and plain.warnings == []
