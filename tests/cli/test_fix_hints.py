"""Every mistake a user makes gets the fix, not a puzzle (issue 15): each case through
the real command line, with its exit code and its message."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

ADCALC = [sys.executable, "-m", "adcalc"]


@pytest.mark.parametrize("args", [["--", "-x^2", "--at", "x=3", "-q"],
                                  ["-x^2", "--at", "x=3", "-q"],
                                  ["--at", "x=3", "-q", "--", "-x^2"]])
def test_an_expression_starting_with_minus(cli, args: list[str]) -> None:
    r = cli("grad", *args)
    assert r.exit_code == 0 and r.stdout == "∂f/∂x = -6.0\n"


def test_a_leading_minus_is_never_split_into_short_options(cli) -> None:
    r = cli("grad", "-xq + x", "--points", "-", input="xq,x\n2,5\n")
    assert r.exit_code == 0 and r.stdout.splitlines()[1] == "2,5,3.0,-1.0,1.0"
    r = cli("grad", "-tanh(x)", "--at", "x=0", "-q")
    assert r.exit_code == 0 and r.stdout == "∂f/∂x = -1.0\n"
    r = cli("jvp", "[x*y]", "--at", "x=1,y=2", "--dir", "-1,2", "-q")
    assert r.exit_code == 0 and r.stdout == "0.0\n"


@pytest.mark.parametrize(("args", "message"), [
    (["grad", "x", "--att", "x=1"], "No such option '--att'"),
    (["grad", "x", "--chek", "--at", "x=1"], "'--check'"),
    (["grad", "x", "--wrt", "x", "--at", "x=1"], "--wrt is an option of adcalc diff, not of grad"),
    (["diff", "x", "--mode", "forward"], "--mode is an option of adcalc grad"),
    (["grad", "x1*x2", "--at", "x1=1", "x2=2"],
     "separate name=value pairs with commas, as in --at x1=1,x2=2"),
    (["grad", "x1*x2", "--at", "x1=1 x2=2"], "holds two pairs: separate name=value pairs with "
                                             "commas, as in x1=1,x2=2"),
    (["grad", "e*x", "--at", "x=1,e=2"], "e is the constant 2.718281828459045 in an expression, "
                                         "not a variable"),
    (["grad", "√x", "--at", "x=2"], "unexpected character '√'; write sqrt(x) for √x"),
])
def test_usage_mistakes_say_what_to_do(cli, args: list[str], message: str) -> None:
    r = cli(*args)
    assert r.exit_code == 2 and message in r.stderr, r.stderr


def test_ln_and_text_pasted_from_a_paper(cli) -> None:
    for text, want in [("ln(x)", "0.5"), ("2−x", "-1.0"), ("2×x", "2.0"), ("π*x", "3.14159"),
                       ("x²", "4.0"), ("x⁻¹", "-0.25"), ("3·x", "3.0"), ("x÷4", "0.25")]:
        r = cli("grad", text, "--at", "x=2", "-q")
        assert r.exit_code == 0 and r.stdout.startswith(f"∂f/∂x = {want}"), (text, r.stdout)


def test_a_constant_expression_says_so(cli) -> None:
    r = cli("grad", "3", "-q")
    assert r.exit_code == 0
    assert r.stdout == "f = 3.0 (a constant: no variables, so the gradient is empty)\n"
    r = cli("grad", "2*pi")
    assert "it is a constant, and its gradient is empty" in r.stdout


def test_graph_output_files_that_cannot_be_written(cli, tmp_path: Path) -> None:
    r = cli("graph", "x^2", "-o", str(tmp_path / "nodir" / "x.dot"))
    assert r.exit_code == 2 and "cannot write" in r.stderr and "No such file" in r.stderr
    r = cli("graph", "x^2", "-o", str(tmp_path))
    assert r.exit_code == 2 and "is a directory" in r.stderr
    r = cli("graph", "x^2", "-o", str(tmp_path / "x.gif"))
    assert r.exit_code == 2 and "cannot tell the format" in r.stderr


def test_graph_of_a_vector_function_shows_one_output(cli) -> None:
    r = cli("graph", "[x*y, x + y]", "--at", "x=1,y=2", "--of", "f2", "--format", "dot")
    assert r.exit_code == 0 and "adjoints v̄ = ∂f2/∂v (output f2 of 2" in r.stdout
    r = cli("graph", "[x*y, x + y]", "--at", "x=1,y=2", "--format", "dot")
    assert "adjoints v̄ = ∂f1/∂v (output f1 of 2; --of picks another)" in r.stdout
    r = cli("graph", "[x*y, x + y]", "--at", "x=1,y=2", "--of", "3")
    assert r.exit_code == 2 and "--of names '3', which is not an output" in r.stderr


def test_big_graphs_are_laid_out_quickly() -> None:
    from adcalc.commands.graph import graph
    from adcalc.render.dot import FAST_LAYOUT, to_dot

    text = " + ".join(f"sin(x{i % 7}*{i})" for i in range(3000))
    assert FAST_LAYOUT in to_dot(graph(text).graph)
    assert FAST_LAYOUT not in to_dot(graph("log((x1+x2)^2 + sin(x1*x2))").graph)


def test_a_closed_pipe_ends_quietly_with_141() -> None:
    p = subprocess.run(f"{' '.join(ADCALC)} grad 'x*y' --at x=1,y=2 | head -c 0",
                       shell=True, capture_output=True, text=True, timeout=60,
                       executable="/bin/bash")
    assert p.stderr == ""
    p = subprocess.run(f"{' '.join(ADCALC)} grad 'x*y' --at x=1,y=2 | head -c 0; "
                       "exit ${PIPESTATUS[0]}", shell=True, capture_output=True, text=True,
                       timeout=60, executable="/bin/bash")
    assert p.returncode == 141 and p.stderr == ""


def test_ctrl_c_exits_130_and_leaves_whole_rows(tmp_path: Path) -> None:
    points = tmp_path / "p.csv"
    points.write_text("x1,x2\n" + "0.123456789,0.987654321\n" * 1_500_000)
    out = tmp_path / "out.csv"
    with open(out, "w") as f:
        p = subprocess.Popen([*ADCALC, "grad", "sin(x1)*x2", "--points", str(points)],
                             stdout=f, stderr=subprocess.PIPE,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        deadline = time.monotonic() + 60
        while out.stat().st_size < 1_000_000 and time.monotonic() < deadline:
            time.sleep(0.05)  # the first chunks are out: the run is under way
        assert p.poll() is None
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=60)
    assert p.returncode == 130
    assert b"Traceback" not in err and b"Aborted" not in err
    text = out.read_text()
    assert text.endswith("\n") and all(line.count(",") == 4 for line in text.splitlines())


COMMANDS = [["grad", "--at", "x=1"], ["diff"], ["jacobian", "--at", "x=1"],
            ["hessian", "--at", "x=1"], ["jvp", "--at", "x=1", "--dir", "1"],
            ["vjp", "--at", "x=1", "--cot", "1"], ["graph", "--format", "dot"]]


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=40), st.sampled_from(COMMANDS))
def test_random_bytes_in_every_command(tmp_path_factory, data: bytes, command: list[str]
                                       ) -> None:
    """As an argument (decoded as a terminal would pass it) and as an @file."""
    from click.testing import CliRunner

    from adcalc.cli import main

    path = tmp_path_factory.mktemp("bytes") / "expr.ad"
    path.write_bytes(data)
    runner = CliRunner()
    for expression in (data.decode("utf-8", "replace").replace("\x00", ""), f"@{path}"):
        r = runner.invoke(main, [command[0], expression, *command[1:]])
        assert r.exit_code in (0, 1, 2), (command, expression, r.output)
        assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
