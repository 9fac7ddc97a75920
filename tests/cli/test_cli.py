"""The command line as a user meets it: output, formats, options, exit codes."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest

from tests.helpers import seed_closed_form

SEED = "log((x1+x2)^2 + sin(x1*x2))"
AT = "x1=1,x2=0.5"


def test_grad_prints_trace_and_summary_plain_when_piped(cli) -> None:
    r = cli("grad", SEED, "--at", AT)
    assert r.exit_code == 0
    out = r.stdout
    dx1, dx2 = seed_closed_form(1.0, 0.5)
    assert "Primal trace" in out and "Adjoint trace" in out
    for row in ["v1    v-1 + v0", "v2    v1^2", "v3    v-1·v0", "v4    sin(v3)",
                "v5    v2 + v4", "v6    log(v5)"]:
        assert row in out
    assert f"∂f/∂x1    {dx1!r}" in out
    assert f"∂f/∂x2    {dx2!r}" in out
    # each contribution to a shared node and their sum
    assert "v̄0 += v̄3·∂v3/∂v0" in out and "v̄0 += v̄1·∂v1/∂v0" in out
    assert "v̄0 = sum of 2 contributions" in out
    assert "2·v1" in out and "cos(v3)" in out
    assert "\x1b[" not in out and "│" not in out and "━" not in out


def test_forward_mode_trace(cli) -> None:
    r = cli("grad", SEED, "--at", AT, "--mode", "forward")
    assert r.exit_code == 0
    assert "Tangent trace, sweep 1 of 2" in r.stdout and "sweep 2 of 2" in r.stdout
    assert "v̇4 = cos(v3)·v̇3" in r.stdout
    assert "2 tangent sweeps, one per input" in r.stdout


def test_seed_direction(cli) -> None:
    r = cli("grad", "x*y + x^2", "--at", "x=2,y=3", "--seed", "x=1,y=-1", "--format", "json")
    data = json.loads(r.stdout)
    assert data["mode"] == "forward"
    assert data["directional_derivative"] == 5.0
    assert data["sweeps"] == 1


def test_seed_with_reverse_mode_is_a_usage_error(cli) -> None:
    r = cli("grad", "x*y", "--at", "x=2,y=3", "--seed", "x=1", "--mode", "reverse")
    assert r.exit_code == 2
    assert "--seed is a forward-mode direction" in r.stderr


def test_json_output(cli) -> None:
    r = cli("grad", SEED, "--at", AT, "--format", "json", "--check")
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    dx1, dx2 = seed_closed_form(1.0, 0.5)
    assert data["expression"] == SEED
    assert data["point"] == {"x1": 1.0, "x2": 0.5}
    assert data["gradient"] == {"x1": dx1, "x2": dx2}
    assert data["value"] == math.log(1.5**2 + math.sin(0.5))
    assert data["mode"] == "reverse"
    ids = [row["id"] for row in data["trace"]]
    assert ids == ["v-1", "v0", "v1", "v2", "v3", "v4", "v5", "v6"]
    v2 = data["trace"][3]
    assert v2["op"] == "powc" and v2["args"] == ["v1"] and v2["const"] == 2
    assert all("adjoint" in row and "value" in row for row in data["trace"])
    assert data["trace"][0]["adjoint"] == dx1
    assert data["check"]["passed"] is True
    assert [row["variable"] for row in data["check"]["rows"]] == ["x1", "x2"]


def test_json_forward_has_tangents_per_seed(cli) -> None:
    data = json.loads(cli("grad", "x*y", "--at", "x=2,y=3", "--mode", "forward",
                          "--format", "json").stdout)
    assert data["trace"][-1]["tangent"] == {"x": 3.0, "y": 2.0}


def test_quiet_prints_only_the_gradient(cli) -> None:
    r = cli("grad", "x*y + x^2", "--at", "x=2,y=3", "--quiet")
    assert r.stdout == "∂f/∂x = 7.0\n∂f/∂y = 2.0\n"
    r = cli("grad", "x*y + x^2", "--at", "x=2,y=3", "-q", "--format", "json")
    assert json.loads(r.stdout) == {"gradient": {"x": 7.0, "y": 2.0}}


def test_vars_orders_inputs(cli) -> None:
    r = cli("grad", "x1*x2", "--at", "x1=2,x2=3", "--vars", "x2,x1", "--format", "json")
    data = json.loads(r.stdout)
    assert list(data["gradient"]) == ["x2", "x1"]
    assert data["trace"][0] == {**data["trace"][0], "id": "v-1", "name": "x2"}


def test_check_passes_and_reports(cli) -> None:
    r = cli("grad", "sin(x^2 + 1)", "--at", "x=1.5", "--check")
    assert r.exit_code == 0
    assert "Finite-difference check" in r.stdout
    assert "pass" in r.stdout
    assert "tol = 1e-06" in r.stdout


def test_check_failure_exits_1(cli) -> None:
    # At a kink a convention gives the derivative: differences from both sides cannot
    # confirm it: not a pass (exit 1), nor a failure (tests/engine/test_kinks_and_checks.py).
    r = cli("grad", "abs(x)", "--at", "x=0", "--check")
    assert r.exit_code == 1 and "could not verify x" in r.stderr
    r = cli("grad", "relu(x)", "--at", "x=0", "--check")
    assert r.exit_code == 1
    assert "FAIL" not in r.stdout and "at a kink" in r.stdout
    assert "finite-difference check could not verify x" in r.stderr
    assert "relu(v0) is not differentiable" in r.stderr
    r = cli("grad", "exp(x)", "--at", "x=1", "--check", "--tol", "1e-6")
    assert r.exit_code == 0


def test_tight_tolerance_makes_the_check_fail(cli) -> None:
    """A tolerance finer than the differences can resolve is not a pass."""
    r = cli("grad", "exp(x)", "--at", "x=30", "--check", "--tol", "1e-18")
    assert r.exit_code == 1 and "could not verify x" in r.stderr


def test_at_accepts_constant_expressions_and_repeats(cli) -> None:
    r = cli("grad", "sin(x)*y", "--at", "x=pi/2", "--at", "y=2", "-q")
    assert r.exit_code == 0
    assert r.stdout == f"∂f/∂x = {2 * math.cos(math.pi / 2)!r}\n∂f/∂y = 1.0\n"


def test_expression_starting_with_minus(cli) -> None:
    assert cli("grad", "-x^2", "--at", "x=3", "-q").stdout == "∂f/∂x = -6.0\n"
    assert cli("grad", "--at", "x=3", "-q", "--", "-x^2").stdout == "∂f/∂x = -6.0\n"


def test_rich_format_draws_tables(cli) -> None:
    r = cli("grad", SEED, "--at", AT, "--format", "rich")
    assert r.exit_code == 0
    assert "Adjoint trace" in r.stdout
    assert "1.2598956199053317" in r.stdout


def test_no_color_is_respected(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    r = cli("grad", SEED, "--at", AT, "--format", "rich")
    assert "\x1b[3" not in r.stdout  # no foreground colours


def test_help_has_examples_and_version(cli) -> None:
    top = cli("--help").stdout
    assert "Examples:" in top and "adcalc grad" in top
    sub = cli("grad", "--help").stdout
    assert "Examples:" in sub and "--at" in sub and "--check" in sub
    assert cli("--version").stdout.startswith("adcalc, version ")


def run(*args: str, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "adcalc", *args], capture_output=True,
                          text=True, env=env, **kw)


def test_python_dash_m_works() -> None:
    r = run("grad", "x*y + x^2", "--at", "x=2,y=3", "-q")
    assert r.returncode == 0
    assert r.stdout == "∂f/∂x = 7.0\n∂f/∂y = 2.0\n"


def test_broken_pipe_is_quiet() -> None:
    cmd = (f"{sys.executable} -m adcalc grad 'log((x1+x2)^2 + sin(x1*x2))' "
           "--at x1=1,x2=0.5 | head -1")
    r = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True)
    assert r.stdout.startswith("f(x1, x2) = ")
    assert "Traceback" not in r.stderr and "BrokenPipe" not in r.stderr


def test_profile_reports_each_stage(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from adcalc.engine.profile import RECORDER

    monkeypatch.setattr(RECORDER, "enabled", False)
    monkeypatch.setattr(RECORDER, "stages", [])
    r = cli("grad", SEED, "--at", AT, "-q", "--profile")
    assert r.exit_code == 0
    line = r.stderr.strip()
    assert line.startswith("profile: parse + tape ")
    for stage in ("primal sweep", "adjoint sweep", "output", "total"):
        assert stage in line
