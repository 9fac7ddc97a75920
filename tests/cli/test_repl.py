"""adcalc repl: lines through a pipe (a script: errors by line number, exit 1), and an
interactive session through a pseudo-terminal (completion, history, Ctrl-C, Ctrl-D)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from adcalc.cli.repl import Session, completions
from tests.helpers import Terminal

SCRIPT = """k = 2
g(t) = exp(-t^2)
unused = 5
grad "k*x^2" --at x=3 -q
bogus
:defs
diff "g(x)*k"
grad "x^" --at x=1
jacobian "[k*x, x]" --at x=1 -q
"""


def run(*args: str, stdin: str = "", env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "adcalc", *args], input=stdin,
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


def test_piped_lines_run_as_a_script() -> None:
    r = run("repl", stdin=SCRIPT)
    assert r.returncode == 1  # lines 5 and 8 failed; the others ran
    assert "∂f/∂x = 12.0" in r.stdout  # k*x^2 at x = 3
    assert "k = 2\ng(t) = exp(-t^2)\nunused = 5" in r.stdout
    assert "∂f/∂x = -4*x*exp(-x^2)" in r.stdout  # g and k put before, unused left out
    assert "never used" not in r.stderr and "unused" not in r.stderr
    assert "2.0\n1.0" in r.stdout
    errors = [line for line in r.stderr.splitlines() if line.startswith("line ")]
    assert [e.split(":")[0] for e in errors] == ["line 5", "line 8"]
    assert run("repl", stdin='grad "x^2" --at x=1 -q\n').returncode == 0


def test_bare_adcalc_piped_keeps_printing_the_help() -> None:
    r = run(stdin="")
    assert r.returncode == 2 and "Usage: adcalc" in r.stdout + r.stderr
    assert "repl" in run("--help").stdout


def test_definitions_go_before_the_expression_that_uses_them() -> None:
    s = Session()
    assert s.define("k = 2") and s.define("g(x) = k*x^2") and s.define("m = 1")
    assert s.args('grad "g(y)" --at y=1') == ["grad", "k = 2\ng(x) = k*x^2\ng(y)", "--at",
                                               "y=1"]
    assert s.args("grad --at y=1 -- -m*y") == ["grad", "--at", "y=1", "--", "m = 1\n-m*y"]
    assert s.args("functions") == ["functions"]
    assert s.define('grad "x" --at x=1') is None


def test_a_definition_may_branch_and_loop() -> None:
    """A function with a branch or a loop is defined without a point (read, not traced)
    and differentiated along the path each later point takes; a broken one is refused."""
    r = run("repl", stdin="g(t) = if t > 0 then t^2 else -t\n"
                          'grad "g(x)" --at x=2 -q\ngrad "g(x)" --at x=-2 -q\n'
                          "sq(t) = { y = t; repeat 6 { y = (y + t/y)/2 }; y }\n"
                          'grad "sq(x)" --at x=4 -q\n')
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["∂f/∂x = 4.0", "∂f/∂x = -1.0", "∂f/∂x = 0.25"]
    r = run("repl", stdin="h(t) = { t\n")
    assert r.returncode == 1 and "line 1: error: syntax error" in r.stderr


def test_completion_knows_commands_options_functions_and_names() -> None:
    s = Session()
    s.define("kappa = 2")
    assert "grad" in completions(s, "gr", "gr")
    assert "--at" in completions(s, "grad x --a", "--a")
    assert "sin" in completions(s, 'grad "si', "si") and "sinh" in completions(s, "grad si", "si")
    assert completions(s, "grad ka", "ka") == ["kappa"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs a pseudo-terminal")
def test_a_session_through_a_pseudo_terminal(tmp_path) -> None:
    state = tmp_path / "state"

    def session() -> Terminal:
        return Terminal([], COLUMNS="120", LINES="40", TERM="xterm",
                        XDG_STATE_HOME=str(state))  # bare adcalc, on a terminal

    t = session()
    try:
        t.until("adcalc> ")
        t.write(b"kappa = 3\r")
        t.until(r"defined kappa[\s\S]*adcalc> ")
        t.write(b"gra\t\t")  # Tab twice lists the commands it may be ...
        t.until(r"grad\s+graph")
        t.write(b'd "kap\t')  # ... and completes a defined name
        t.until("kappa")
        t.write(b'*x^2" --at x=2 -q\r')
        t.until(r"∂f/∂x = 12\.0[\s\S]*adcalc> ")
        t.write(b"grad half a line\x03")  # Ctrl-C cancels the line
        t.until("adcalc> ")
        t.write(b":defs\r")
        t.until(r"kappa = 3[\s\S]*adcalc> ")
        t.write(b"\x04")  # Ctrl-D leaves
        assert t.close() == 0
    except BaseException:
        t.kill()
        raise
    history = (state / "adcalc" / "history").read_text()
    assert 'grad "kappa*x^2" --at x=2 -q' in history and "grad half" not in history

    t = session()  # the history persists: ↑ brings the last line back
    try:
        t.until("adcalc> ")
        t.write(b"\x1b[A")
        t.until(r":defs")
        t.write(b"\x15exit\r")  # Ctrl-U clears the line
        assert t.close() == 0
    except BaseException:
        t.kill()
        raise


def test_a_piped_script_into_head_ends_quietly_with_141(tmp_path) -> None:
    """1,100 lines into `| head -1` ended in RecursionError after 976 'line N: failed'
    (each broken-pipe failure wrapped stdout once more; an auditor's find)."""
    script = tmp_path / "lines.txt"
    script.write_text('grad "x^2" --at x=3 -q\n' * 1100)
    shell = (f'"{sys.executable}" -m adcalc repl < "{script}" 2> "{tmp_path}/err" | head -1; '
             'echo "status ${PIPESTATUS[0]}"')
    r = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, timeout=120)
    assert r.stdout == "∂f/∂x = 6.0\nstatus 141\n"
    assert (tmp_path / "err").read_text() == ""
