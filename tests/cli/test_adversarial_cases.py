"""Regression tests for what an adversarial user found (issue 10): each case through the
real command line or the API, plus fuzzing of the points reader against Python's csv."""

from __future__ import annotations

import csv
import io
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import adcalc
from adcalc.commands.points import run_batch
from adcalc.errors import AdcalcError, InputError
from adcalc.render.points_out import PointsWriter

ADCALC = [sys.executable, "-m", "adcalc"]


def run(*args: str, stdin: int | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([*ADCALC, *args], capture_output=True, text=True, stdin=stdin,
                          timeout=120, **kw)


def no_traceback(r) -> None:
    assert "Traceback" not in r.stderr and "Traceback" not in (r.stdout or ""), r.stderr


# -- 1. a trailing comment is not code ---------------------------------------------------
@pytest.mark.parametrize("args", [["grad", "x + # y", "--at", "x=1,y=2", "-q"],
                                  ["diff", "x^3 * # cubed times x"]])
def test_text_ending_in_a_comment_is_an_error_not_code(cli, args: list[str]) -> None:
    r = cli(*args)
    assert r.exit_code == 2 and "the expression ended too early" in r.stderr


# -- 2. CSV records, not lines ----------------------------------------------------------
def batch(text: str, chunk_rows: int = 65_536, fmt: str = "csv", expr: str = "x1*x2",
          strict: bool = False):
    out = io.StringIO()
    summary = run_batch(adcalc.parse(expr), io.BytesIO(text.encode()), PointsWriter(out, fmt),
                        strict=strict, chunk_rows=chunk_rows)
    return out.getvalue(), summary


def test_a_quoted_new_line_across_a_chunk_boundary_stays_one_cell() -> None:
    rows = [f'{k},2,"note {k}\nline two, with a comma"' for k in range(1, 8)]
    text = "x1,x2,note\n" + "\n".join(rows) + "\n"
    for chunk in (1, 2, 3, 7, 100):
        out, summary = batch(text, chunk)
        got = list(csv.reader(io.StringIO(out)))
        assert summary.rows == 7 and len(got) == 8
        assert [r[2] for r in got[1:]] == [f"note {k}\nline two, with a comma"
                                           for k in range(1, 8)]
        assert [float(r[3]) for r in got[1:]] == [2.0 * k for k in range(1, 8)]


def test_rows_are_numbered_by_record_not_by_line() -> None:
    text = 'x1,x2,c\n1,2,"a\nb"\n\n3,4,x\n\n5,oops,y\n'
    with pytest.raises(InputError) as e:
        batch(text, chunk_rows=2, strict=True)
    assert str(e.value) == "row 3, column x2: 'oops' is not a number"
    out, _ = batch('x1,x2\n1,2\n\n\n3,0\n', fmt="json", expr="log(x1*x2)")
    assert [json.loads(line)["x2"] for line in out.splitlines()] == ["2", "0"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e3, 1e3, allow_nan=False), st.floats(-1e3, 1e3,
                          allow_nan=False), st.text(alphabet='ab ,"\n\r;\t\'', max_size=8)),
                max_size=12),
       st.sampled_from(["\n", "\r\n"]), st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL,
                                                          csv.QUOTE_NONNUMERIC]),
       st.integers(1, 5))
def test_random_csv_reads_as_the_csv_module_reads_it(rows, newline, quoting, chunk) -> None:
    if quoting == csv.QUOTE_MINIMAL:  # Python 3.11's writer leaves a lone \r unquoted
        rows = [(a, b, c.replace("\r", "")) for a, b, c in rows]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline, quoting=quoting)
    writer.writerow(["x1", "x2", "note"])
    writer.writerows([(repr(a), repr(b), c) for a, b, c in rows])
    text = buffer.getvalue()
    expected = [r for r in csv.reader(io.StringIO(text, newline=""))][1:]
    expected = [r for r in expected if any(c.strip() for c in r)]
    out, summary = batch(text, chunk)
    got = list(csv.reader(io.StringIO(out, newline="")))[1:]
    assert summary.rows == len(expected)
    assert [r[:3] for r in got] == expected
    assert [float(r[3]) for r in got] == [float(a) * float(b) for a, b, _ in expected]


# -- 3. a vector is not a value ---------------------------------------------------------
def test_a_vector_value_in_at_is_refused(cli) -> None:
    r = cli("grad", "x1*x2", "--at", "x1=softmax([1,2]),x2=1")
    assert r.exit_code == 2 and "is a vector of 2 numbers; a value must be one number" in r.stderr


# -- 4. duplicate columns ---------------------------------------------------------------
def test_duplicate_column_names_are_refused(cli) -> None:
    r = cli("grad", "x1*x2", "--points", "-", input="x1,x2,x1\n1,2,3\n")
    assert r.exit_code == 2
    assert "the header: column 'x1' is named twice (columns 1 and 3)" in r.stderr


# -- 6. bounded input -------------------------------------------------------------------
@pytest.mark.parametrize("args,stdin", [(["grad", "@/dev/zero", "--at", "x=1"], None),
                                        (["grad", "-", "--at", "x=1"], "/dev/zero"),
                                        (["grad", "x", "--points", "/dev/zero"], None),
                                        (["grad", "x", "--points", "-"], "/dev/zero")])
def test_endless_input_stops_at_the_bound_with_a_message(args, stdin) -> None:
    with open(stdin or os.devnull, "rb") as f:
        r = run(*args, stdin=f.fileno())
    no_traceback(r)
    assert r.returncode == 2 and "longer than 67,108,864 bytes" in r.stderr


# -- 8. Graphviz bounded in time, its failures explained --------------------------------
def fake_dot(tmp_path: Path, body: str) -> str:
    path = tmp_path / "dot"
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return str(path)


def test_a_hung_or_killed_dot_is_a_message(tmp_path: Path) -> None:
    from adcalc.render.graph_image import run_dot

    with pytest.raises(AdcalcError, match=r"did not finish in 0\.5 s; lower --max-nodes"):
        run_dot(fake_dot(tmp_path, "sleep 30"), "svg", "digraph {}", seconds=0.5)
    with pytest.raises(AdcalcError, match=r"failed \(it was stopped by SIGKILL\)$"):
        run_dot(fake_dot(tmp_path, "kill -9 $$"), "svg", "digraph {}")
    with pytest.raises(AdcalcError, match=r"failed \(it exited with status 3\): bad$"):
        run_dot(fake_dot(tmp_path, "echo bad >&2; exit 3"), "svg", "digraph {}")


# -- 9. output that cannot be written ---------------------------------------------------
@pytest.mark.parametrize("args", [
    ["grad", "x*y", "--at", "x=1,y=2"], ["grad", "x*y", "--at", "x=1,y=2", "--format", "json"],
    ["diff", "x*y"], ["jacobian", "[x*y, x]", "--at", "x=1,y=2"],
    ["hessian", "x*y", "--at", "x=1,y=2"], ["jvp", "[x*y]", "--at", "x=1,y=2", "--dir", "1,0"],
    ["vjp", "[x*y]", "--at", "x=1,y=2", "--cot", "1"], ["graph", "x*y", "--format", "dot"],
    ["grad", "x*y", "--points", "-"]])
def test_a_full_disk_is_a_message_and_exit_1(args: list[str]) -> None:
    with open("/dev/full", "w") as full:
        r = subprocess.run([*ADCALC, *args], input="x,y\n1,2\n", stdout=full,
                           stderr=subprocess.PIPE, text=True, timeout=60)
    no_traceback(r)
    assert r.returncode == 1
    assert r.stderr.strip().endswith("cannot write the output: No space left on device")


def test_a_file_size_limit_leaves_whole_rows(tmp_path: Path) -> None:
    points = tmp_path / "p.csv"
    points.write_text("x1,x2\n" + "0.123456789,0.987654321\n" * 200_000)
    out = tmp_path / "out.csv"

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (6_000_000, 6_000_000))

    with open(out, "w") as f:
        r = subprocess.run([*ADCALC, "grad", "x1*x2", "--points", str(points)], stdout=f,
                           stderr=subprocess.PIPE, text=True, preexec_fn=limit, timeout=120)
    no_traceback(r)
    assert r.returncode == 1 and "File too large" in r.stderr
    text = out.read_text()
    assert text.endswith("\n")
    rows = list(csv.reader(io.StringIO(text)))
    assert all(len(row) == 5 for row in rows)
    assert f"the header and the first {len(rows) - 1:,} rows, each one whole" in r.stderr
    assert len(rows) - 1 == 65_536  # the first chunk fits in 6 MB, the second does not


# -- 10. bytes and streams --------------------------------------------------------------
def test_bad_bytes_bom_and_closed_stdin(cli, tmp_path: Path) -> None:
    latin = tmp_path / "f.ad"
    latin.write_bytes(b"x*\xe9")
    r = cli("grad", f"@{latin}", "--at", "x=1")
    assert r.exit_code == 2 and "is not UTF-8 text (byte 0xe9 at offset 2" in r.stderr
    pts = tmp_path / "p.csv"
    pts.write_bytes(b"x\n1\n\xff\n")
    r = cli("grad", "x^2", "--points", str(pts))
    assert r.exit_code == 2 and "line 3 of the points is not UTF-8 text (byte 0xff" in r.stderr
    pts.write_bytes("\ufeffx,y\n1,2\n".encode())
    r = cli("grad", "x*y", "--points", str(pts))
    assert r.exit_code == 0 and r.stdout == "x,y,f,df/dx,df/dy\n1,2,2.0,2.0,1.0\n"
    r = cli("grad", "x*y", "--points", "-", input="\ufeffx,y\n1,2\n")
    assert r.exit_code == 0 and r.stdout.startswith("x,y,f,")
    for args in (["grad", "-", "--at", "x=1"], ["grad", "x", "--points", "-"]):
        p = subprocess.run([*ADCALC, *args], capture_output=True, text=True, timeout=60,
                           preexec_fn=lambda: os.close(0))
        no_traceback(p)
        assert p.returncode == 2 and "standard input is closed" in p.stderr


# -- 11. huge exponents in symbolic output -----------------------------------------------
@pytest.mark.parametrize("expr", ["(x^1e200)^1e200", "x^1e200", "x^1e308*x^1e308"])
def test_huge_exponents_never_overflow_the_simplifier(cli, expr: str) -> None:
    r = cli("diff", expr, "--order", "2")
    assert r.exit_code == 0 and "inf" not in r.stdout


# -- 12. first use from many threads ----------------------------------------------------
def test_sweep_arrays_from_many_threads_at_first_use() -> None:
    code = """
import threading, numpy as np, adcalc
tape = adcalc.parse("log(x*y) + sin(x)")
cols = {"x": np.linspace(1, 2, 50), "y": np.linspace(2, 3, 50)}
errors = []
def work():
    try:
        adcalc.sweep_arrays(tape, cols)
    except Exception as exc:
        errors.append(repr(exc))
threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
print(errors)
"""
    for _ in range(6):
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=60)
        assert r.stdout.strip() == "[]", r.stderr


# -- 13. long cells, non-finite cells ----------------------------------------------------
def test_a_long_cell_passes_and_a_nan_cell_is_a_bad_row(cli) -> None:
    r = cli("grad", "x*y", "--points", "-", input=f"x,y,big\n1,2,{'z' * 200_000}\n")
    assert r.exit_code == 0 and r.stdout.splitlines()[1].endswith(",2.0,2.0,1.0")
    r = cli("grad", "x*y", "--points", "-", input="x,y\n1,2\n3,nan\n4,5\n")
    assert r.exit_code == 0
    assert r.stdout.splitlines()[1:] == ["1,2,2.0,2.0,1.0", "3,nan,nan,nan,nan",
                                         "4,5,20.0,5.0,4.0"]
    assert "row 2: the input y = nan is not a finite number" in r.stderr
    assert "--at" not in r.stderr


# -- 14. the API speaks Python -----------------------------------------------------------
def test_api_errors_name_arguments_not_flags() -> None:
    with pytest.raises(InputError) as e:
        adcalc.gradient("x*y", {"x": 1.0, "yy": 2.0})
    assert str(e.value) == ("no value for y: give it with point={'y': …} (point gives yy: a "
                            "typo for y?)")
    with pytest.raises(InputError, match=r"^seed gives z, which"):
        adcalc.gradient("x*y", {"x": 1.0, "y": 2.0}, seed={"z": 1.0})
    with pytest.raises(InputError, match=r"^variables names z"):
        adcalc.gradient("x*y", {"x": 1.0, "y": 2.0}, variables=["x", "z"])
    with pytest.raises(InputError, match=r"^direction has 1 entries"):
        adcalc.jvp("[x, y]", {"x": 1.0, "y": 2.0}, [1.0])
    g = adcalc.gradient("x*y", {"x": 1.0, "y": 2.0}, seed={"x": 1.0, "y": -1.0})
    assert g.mode == "forward" and g.directional == 2.0 - 1.0


def test_the_cli_still_names_flags(cli) -> None:
    r = cli("grad", "x*y", "--at", "x=1,yy=2")
    assert "give it with --at y=… (--at gives yy: a typo for y?)" in r.stderr
    r = cli("grad", "x*y", "--at", "x=1,y=2", "--vars", "x,z")
    assert "error: --vars names z" in r.stderr


def test_json_writes_every_non_finite_number_as_null(cli) -> None:
    from adcalc.render.json_out import number

    assert [number(x) for x in (float("nan"), float("inf"), -float("inf"), 1.5)] == [
        None, None, None, 1.5]
    r = cli("grad", "log(x)", "--points", "-", "--format", "json", input="x\n-1\nnan\n2\n")
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [row["f"] for row in rows[:2]] == [None, None]
    assert rows[1]["x"] == "nan"  # the cell as it came
    assert ": nan" not in r.stdout and "NaN" not in r.stdout and "Infinity" not in r.stdout
