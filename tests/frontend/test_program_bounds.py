"""The bound on a traced program's loops: ``repeat`` and ``for`` with a huge constant count,
nested loops, a ``while`` inside a loop, and a Python function looping over a huge
``range``: a math error (exit 1) naming the loop, the bound and ``--max-steps``, in
bounded time, never a hang -- on every command that traces (grad, diff, graph, batch)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import adcalc
from adcalc.errors import DomainError
from adcalc.frontend.parse import parse
from adcalc.frontend.program import max_steps
from adcalc.frontend.tracer import MAX_STEPS, UNROLL

HUGE = "y = x; repeat 100000000 { y = y*1.0000001 }; y"
LIMIT = f"{UNROLL * MAX_STEPS:,}"


def run(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """The command line in a process of its own, killed after 60 s: a hang fails."""
    env = {**os.environ, "COLUMNS": "120"}
    return subprocess.run([sys.executable, "-m", "adcalc", *args], input=input, text=True,
                          capture_output=True, timeout=60, env=env)


def test_a_huge_constant_count_is_refused_before_unrolling() -> None:
    start = time.perf_counter()
    with pytest.raises(DomainError) as e:
        parse(HUGE, at={"x": 1.0})
    assert time.perf_counter() - start < 1.0  # checked before a single iteration ran
    said = str(e.value)
    assert "the loop `repeat 100000000` at column 8 would run 100,000,000 iterations" in said
    assert f"more than the {LIMIT} a program's loops may run in all" in said
    assert "raise max_steps" in said
    with pytest.raises(DomainError, match=r"`for i in 1\.\.2000000`"):
        parse("s = 0; for i in 1..2000000 { s = s + x }; s", at={"x": 1.0})


def test_the_bound_counts_every_loop_together() -> None:
    nested = "s = 0; for i in 1..2000 { for j in 1..1000 { s = s + j } }; s*x"
    with max_steps(100), pytest.raises(DomainError) as e:  # 10,000 in all
        parse(nested, at={"x": 1.0})
    said = str(e.value)
    assert "`for j in 1..1000` at column 27 (at i=10) would run 1,000 iterations after the " \
           "9,010 its loops have run, more than the 10,000" in said
    inner_while = "y = x; repeat 1000 { k = 0; while k < 50 { k = k + 1 } }; y"
    with max_steps(100), pytest.raises(DomainError, match=r"`while k < 50` .* ran past the "
                                                           r"10,000 iterations"):
        parse(inner_while, at={"x": 1.0})
    # just under the bound: runs, with the derivative of the loop
    tape = parse("y = x; repeat 9000 { y = y*1.0001 }; y", at={"x": 1.0}, max_steps=100)
    g = adcalc.gradient(tape, {"x": 1.0}).gradient["x"]
    want = 1.0
    for _ in range(9000):
        want *= 1.0001
    assert g == want


def test_the_rows_of_the_unrolled_tape_are_bounded_too() -> None:
    """Few iterations, each making many rows: the tape's bound stops it."""
    body = " + ".join(f"sin({k}*y)" for k in range(1, 200))
    text = f"y = x; repeat 5000 {{ y = ({body})/1000 }}; y"
    with max_steps(100), pytest.raises(DomainError) as e:  # 10,000 rows
        parse(text, at={"x": 0.1})
    assert "unrolled to a tape of more than 10,000 rows, the most a program's loops may " \
           "unroll to" in str(e.value)


def test_the_command_line_stops_with_exit_1_on_every_command(tmp_path: Path) -> None:
    for args in (["grad", HUGE, "--at", "x=1"], ["diff", HUGE], ["graph", HUGE, "--at", "x=1"],
                 ["hessian", HUGE, "--at", "x=1"]):
        r = run(*args)
        assert r.returncode == 1, (args, r.stderr)
        assert "would run 100,000,000 iterations" in r.stderr and "--max-steps" in r.stderr
        assert "Traceback" not in r.stderr
    points = tmp_path / "p.csv"
    points.write_text("x\n1\n2\n")
    r = run("grad", HUGE, "--points", str(points))  # the same at every row: no row written
    assert r.returncode == 1 and r.stdout == "" and "would run 100,000,000" in r.stderr
    r = run("grad", "y = x; repeat 2000 { y = y*1.0001 }; y", "--at", "x=1", "--max-steps",
            "10", "-q")
    assert r.returncode == 1 and "more than the 1,000 a program's loops" in r.stderr
    assert "raise --max-steps" in r.stderr


LONG = """
def forever(x):
    y = x
    while y > 0:
        y = y + 1
    return y

def ranged(x):
    y = x
    for _ in range(10**9):
        y = y * 1.0000001
    return y
"""


def test_a_python_function_looping_on_is_stopped(tmp_path: Path) -> None:
    path = tmp_path / "long.py"
    path.write_text(LONG)
    for name in ("forever", "ranged"):
        r = run("grad", "--python", f"{path}:{name}", "--at", "x=1", "--max-steps", "20")
        assert r.returncode == 1, r.stderr
        assert "made a tape of more than 2,000 rows" in r.stderr
        assert "raise --max-steps" in r.stderr and "long.py, line" in r.stderr

    def ranged(x):
        y = x
        for _ in range(10**9):
            y = y * 1.0000001
        return y

    with max_steps(20), pytest.raises(DomainError, match="more than 2,000 rows"):
        adcalc.grad(ranged)(1.0)

    def stuck(x):  # a while whose test makes no new row: its comparisons are counted
        while x > 0:
            pass
        return x

    with max_steps(20), pytest.raises(DomainError, match="compared traced values more "
                                                         "than 2,000 times"):
        adcalc.grad(stuck)(1.0)
    assert adcalc.grad(lambda x: x * x)(3.0)["x"] == 6.0  # a free recording: no bound met


def test_the_language_guide_shows_the_message_as_printed(cli) -> None:
    guide = (Path(__file__).resolve().parents[2] / "docs" / "language.md").read_text()
    block = guide.split(f'$ adcalc grad "{HUGE}" --at x=1\n', 1)[1].split("\n```", 1)[0]
    r = cli("grad", HUGE, "--at", "x=1")
    assert r.exit_code == 1 and r.stderr.rstrip("\n") == block
    r = cli("grad", "y = x; repeat 150 { y = 1.01*y }; y", "--at", "x=1", "--max-steps", "1")
    assert r.exit_code == 1 and "more than the 100 a program's loops may run" in r.stderr
