"""A program's own errors under ``--points`` (those that do not depend on the row) stop the
batch before any row is written, with the exit code of ``--at``; errors of a row's own path
(a domain error, a ``while`` past ``--max-steps`` at that row) stay bad rows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

STATIC = [
    ("y = x; repeat x { y = y*2 }; y + c", 2, "must be a constant"),
    ("k = 0; while x*x < 50 { x = x*1.5 + c; k = k + x }; k", 2, "used before it is defined"),
    ("s = 0; for i in 1..2 { s = s + w[i/2] }; s + x + c", 2, "is 0.5"),
    ("if [x, 1] > 0 then x else c", 2, "compares vectors"),
    ("s = 0; for i in 1..2 { s = s + q[i] }; s + x + c", 2, "no column for q[1]"),
    ("y = x; repeat 10^9 { y = y*2 }; y + c", 1, "would run 1,000,000,000 iterations"),
]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "adcalc", *args], capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def points(tmp_path: Path) -> str:
    path = tmp_path / "xc.csv"
    path.write_text("x,c\n1,2\n3,4\n")
    return str(path)


@pytest.mark.parametrize("text, code, said", STATIC)
def test_a_static_error_stops_the_batch_as_it_stops_at(points, text, code, said):
    at = run("grad", text, "--at", "x=1,c=2")
    assert at.returncode == code and "Traceback" not in at.stderr, at.stderr
    r = run("grad", text, "--points", points)
    assert (r.returncode, r.stdout) == (code, ""), (r.stdout, r.stderr)
    assert said in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("text, good, bad", [
    ("y = x; while y < 2 { y = y*1.0001 }; if c > 3 then y else log(-c)", 2, 1),
    ("if c > 3 then log(-c) else x", 1, 2),
])
def test_the_rows_own_failures_stay_bad_rows(points, text, good, bad):
    r = run("grad", text, "--points", points, "--max-steps", "5000")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("x,c,f,") and len(lines) == 3
    assert lines[good].split(",")[2] != "nan" and lines[bad].split(",")[2] == "nan"
    assert "1 of 2 rows could not be evaluated" in r.stderr
