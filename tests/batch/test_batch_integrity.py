"""Regressions of --points through the real command line: data is never changed or mixed.

Input cells come back exactly as they came, an output never replaces what it did not
write, a failed run leaves no file it made, and the CSV stream, the ``-o`` paths and
``--engine dask`` read the same cells the same way and give the same rows.
"""

from __future__ import annotations

import csv
import io
import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pl = pytest.importorskip("polars")


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def warning_of(stderr: str) -> str:
    return "\n".join(line for line in stderr.splitlines() if line.startswith("warning:"))


# -- 9. --engine dask: one policy with the local path ----------------------------------
@pytest.fixture
def dataset(tmp_path):
    pytest.importorskip("dask.dataframe")
    folder = tmp_path / "pts"
    folder.mkdir()
    pl.DataFrame({"x": [1.0, 2.0, 0.0], "y": ["1", " 2 ", "3"]}).write_parquet(
        folder / "p0.parquet")
    pl.DataFrame({"x": [4.0, 5.0], "y": ["abc", "5"]}).write_parquet(folder / "p1.parquet")
    return folder


def test_dask_refuses_an_existing_folder_and_overwrite_leaves_no_old_parts(cli, tmp_path,
                                                                          dataset) -> None:
    out = tmp_path / "out"
    r = cli("grad", "log(x)*y", "--points", str(dataset), "--engine", "dask", "-o", str(out))
    assert r.exit_code == 0, r.output
    assert "2 of 5 rows could not be evaluated" in r.stderr and "(rows 3, 4)" in r.stderr
    assert "row 3: " in r.stderr or "row 3, " in r.stderr
    (out / "part.7.parquet").write_bytes((out / "part.0.parquet").read_bytes())  # an old run
    r = cli("grad", "log(x)*y", "--points", str(dataset), "--engine", "dask", "-o", str(out))
    assert r.exit_code == 2 and "exists: give --overwrite" in r.stderr
    r = cli("grad", "log(x)*y", "--points", str(dataset), "--engine", "dask", "-o", str(out),
            "--overwrite")
    assert r.exit_code == 0, r.output
    got = pl.read_parquet(out / "*.parquet")
    assert got.height == 5 and not (out / "part.7.parquet").exists()  # never two runs mixed
    assert got["y"].to_list() == ["1", " 2 ", "3", "abc", "5"]  # cells as they came
    assert got["f"].to_list()[1] == math.log(2) * 2 and got["f"].to_list()[2:4] == [None, None]
    (out / "notes.txt").write_text("mine")
    r = cli("grad", "log(x)*y", "--points", str(dataset), "--engine", "dask", "-o", str(out),
            "--overwrite")
    assert r.exit_code == 2 and "notes.txt" in r.stderr and (out / "notes.txt").exists()


def test_dask_refuses_the_input_folder_and_a_file_name(cli, tmp_path, dataset) -> None:
    before = sorted(p.name for p in dataset.iterdir())
    for target in (str(dataset), str(dataset / "p0.parquet")):
        r = cli("grad", "x*y", "--points", str(dataset / "*.parquet"), "--engine", "dask",
                "-o", target, "--overwrite")
        assert r.exit_code == 2 and "the points it is made from" in r.stderr
    assert sorted(p.name for p in dataset.iterdir()) == before
    r = cli("grad", "x*y", "--points", str(dataset), "--engine", "dask", "-o",
            str(tmp_path / "out.csv"))
    assert r.exit_code == 2 and "names a csv file" in r.stderr
    assert not (tmp_path / "out.csv").exists()


def test_dask_strict_stops_at_the_first_bad_row_and_writes_nothing(cli, tmp_path,
                                                                   dataset) -> None:
    out = tmp_path / "out"
    r = cli("grad", "log(x)*y", "--points", str(dataset), "--engine", "dask", "-o", str(out),
            "--strict")
    assert r.exit_code == 1 and "error: row 3: math error" in r.stderr
    assert not out.exists() and "wrote" not in r.stderr


# -- 10. an input column named like an output: refused on both paths -------------------
@pytest.mark.parametrize("header", ["x,y,f", "x,df/dx,y"])
@pytest.mark.parametrize("target", [[], ["-o", "OUT.csv"], ["-o", "OUT.parquet"],
                                    ["--format", "json"]])
def test_an_input_column_named_like_an_output_is_refused(cli, tmp_path, header,
                                                         target) -> None:
    src = tmp_path / "p.csv"
    src.write_text(header + "\n1,2,3\n")
    target = [t.replace("OUT", str(tmp_path / "out")) for t in target]
    r = cli("grad", "x*y", "--points", str(src), *target)
    taken = "f" if header.endswith(",f") else "df/dx"
    assert r.exit_code == 2 and f"already have a column {taken!r}" in r.stderr
    assert r.stdout == "" and not any(tmp_path.glob("out*"))


# -- 11. -o keeps every cell as it came; a failed run leaves no file -------------------
CELLS = "x,y,id\n 2 ,1,a\nabc,1,b\n9007199254740993,1,c\n"


@pytest.mark.parametrize("ext", [".csv", ".jsonl", ".parquet"])
def test_the_o_path_writes_the_cells_as_they_came(cli, tmp_path, ext) -> None:
    src = tmp_path / "p.csv"
    src.write_text(CELLS)
    stream = cli("grad", "x^2*y", "--points", str(src))
    out = tmp_path / f"out{ext}"
    r = cli("grad", "x^2*y", "--points", str(src), "-o", str(out))
    assert r.exit_code == 0 and warning_of(r.stderr) == warning_of(stream.stderr)
    want = rows_of(stream.stdout)
    if ext == ".csv":
        assert rows_of(out.read_text()) == want  # the same rows, cell for cell
        return
    got = (pl.read_parquet(out) if ext == ".parquet" else
           pl.DataFrame([json.loads(line) for line in out.read_text().splitlines()]))
    assert got["x"].to_list() == [" 2 ", "abc", "9007199254740993"]
    assert got["f"].to_list() == [4.0, None, float(want[3][3])]


def test_parquet_integers_keep_every_digit(cli, tmp_path) -> None:
    src = tmp_path / "p.parquet"
    pl.DataFrame({"x": [2**53 + 1, 3]}).write_parquet(src)
    r = cli("grad", "2*x", "--points", str(src), "-o", str(tmp_path / "o.parquet"))
    assert r.exit_code == 0
    got = pl.read_parquet(tmp_path / "o.parquet")
    assert got["x"].dtype == pl.Int64 and got["x"].to_list() == [2**53 + 1, 3]


def test_strict_reports_the_first_bad_row_and_leaves_no_file(cli, tmp_path) -> None:
    src = tmp_path / "p.parquet"
    x = [1.0] * 300_000
    x[123_456], x[250_000] = -1.0, -2.0
    pl.DataFrame({"x": x}).write_parquet(src, row_group_size=10_000)
    for ext in (".csv", ".parquet"):
        out = tmp_path / f"o{ext}"
        r = cli("grad", "log(x)", "--points", str(src), "-o", str(out), "--strict")
        assert r.exit_code == 1 and "error: row 123457: math error" in r.stderr
        assert not out.exists()
    csv_src = tmp_path / "p.csv"
    csv_src.write_text("x\n1\n-1\n")
    out = tmp_path / "c.csv"
    r = cli("grad", "log(x)", "--points", str(csv_src), "-o", str(out), "--strict")
    assert r.exit_code == 1 and "row 2" in r.stderr and not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_an_existing_output_is_refused_unless_overwrite(cli, tmp_path) -> None:
    src = tmp_path / "p.csv"
    src.write_text("x\n1\n")
    out = tmp_path / "o.csv"
    out.write_text("mine\n")
    r = cli("grad", "x", "--points", str(src), "-o", str(out))
    assert r.exit_code == 2 and "--overwrite" in r.stderr and out.read_text() == "mine\n"
    r = cli("grad", "x", "--points", str(src), "-o", str(out), "--overwrite")
    assert r.exit_code == 0 and out.read_text() == "x,f,df/dx\n1,1.0,1.0\n"
    r = cli("grad", "x", "--points", str(src), "-o", str(src), "--overwrite")
    assert r.exit_code == 2 and "the points it is made from" in r.stderr
    assert src.read_text() == "x\n1\n"


def test_an_output_file_gets_the_mode_a_new_file_gets_or_the_one_it_replaces(
        cli, tmp_path) -> None:
    """Written beside the target and moved onto it, yet not left 0600 (``mkstemp``'s): a
    new file has the mode the umask gives, a replaced one keeps its own."""
    import os

    src = tmp_path / "p.csv"
    src.write_text("x\n1\n")
    old = os.umask(0o022)
    try:
        for name in ("o.csv", "o.parquet"):
            out = tmp_path / name
            assert cli("grad", "x", "--points", str(src), "-o", str(out)).exit_code == 0
            assert out.stat().st_mode & 0o777 == 0o644, name
            out.chmod(0o640)
            r = cli("grad", "x", "--points", str(src), "-o", str(out), "--overwrite")
            assert r.exit_code == 0 and out.stat().st_mode & 0o777 == 0o640, name
    finally:
        os.umask(old)


# -- the same cells through every path -------------------------------------------------
CELL = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.integers(-(2**63), 2**63 - 1).map(str),
    st.sampled_from([" 2 ", "abc", "", "nan", "inf", "-0", "1e5", ".5", "5.", "+3",
                     "1_000", "0x10", " ", "1e400", "٣", "-inf"]),
)


@st.composite
def csv_files(draw: st.DrawFn) -> str:
    n = draw(st.integers(0, 8))
    rows = [[draw(CELL), draw(CELL), draw(st.text("ab ,\"\n", max_size=5))] for _ in range(n)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["x", "y", "note"])
    writer.writerows(rows)
    return buffer.getvalue()


def as_rows(frame) -> list[list[str | None]]:
    """A frame's rows as text: input cells as they are, outputs by repr (null is nan)."""
    out = []
    for row in frame.iter_rows():
        out.append([c if isinstance(c, str) else ("nan" if c is None or c != c else repr(c))
                    for c in row])
    return out


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=csv_files())
def test_every_path_gives_the_same_rows(cli, tmp_path_factory, text) -> None:
    folder = tmp_path_factory.mktemp("same")
    src = folder / "p.csv"
    src.write_text(text)
    expression = "log(x)*y + x"
    stream = cli("grad", expression, "--points", str(src))
    assert stream.exit_code == 0, stream.output
    want = rows_of(stream.stdout)
    report = warning_of(stream.stderr)
    kept = [r for r in rows_of(text)[1:] if any(c.strip() for c in r)]
    assert [r[:3] for r in want[1:]] == kept  # the cells as they came
    r = cli("grad", expression, "--points", str(src), "-o", str(folder / "o.csv"))
    assert r.exit_code == 0 and rows_of((folder / "o.csv").read_text()) == want
    assert warning_of(r.stderr) == report
    r = cli("grad", expression, "--points", str(src), "-o", str(folder / "o.parquet"))
    assert r.exit_code == 0 and warning_of(r.stderr) == report
    got = pl.read_parquet(folder / "o.parquet")
    assert got.columns == want[0] and as_rows(got) == want[1:]
    r = cli("grad", expression, "--points", str(src), "--format", "json")
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    r2 = cli("grad", expression, "--points", str(src), "-o", str(folder / "o.jsonl"))
    assert r2.exit_code == 0 and (folder / "o.jsonl").read_text() == r.stdout
    assert [[v if isinstance(v, str) else ("nan" if v is None else repr(v))
             for v in line.values()] for line in lines] == want[1:]
    # the same cells as a Parquet file of text: the polars path and Dask read them alike
    cells = pl.DataFrame({h: [row[k] for row in kept] for k, h in enumerate(["x", "y", "note"])},
                         schema=dict.fromkeys(["x", "y", "note"], pl.String))
    (folder / "ds").mkdir()
    cells.write_parquet(folder / "ds" / "p.parquet")
    r = cli("grad", expression, "--points", str(folder / "ds" / "p.parquet"), "-o",
            str(folder / "q.parquet"))
    assert r.exit_code == 0 and warning_of(r.stderr) == report
    assert as_rows(pl.read_parquet(folder / "q.parquet")) == want[1:]
    pytest.importorskip("dask.dataframe")
    r = cli("grad", expression, "--points", str(folder / "ds"), "--engine", "dask", "-o",
            str(folder / "d"))
    assert r.exit_code == 0, r.output
    assert warning_of(r.stderr) == report
    got = pl.read_parquet(folder / "d" / "*.parquet") if kept else None
    if got is not None:
        assert as_rows(got) == want[1:]


# -- 12. after --, the expression --------------------------------------------------------
def test_after_double_dash_everything_is_the_expression(cli) -> None:
    r = cli("grad", "--at", "x=2", "-q", "--", "--x")
    assert r.exit_code == 0 and r.stdout == "∂f/∂x = 1.0\n"
    r = cli("grad", "--at", "x=2", "-q", "--", "-x^2")
    assert r.exit_code == 0 and r.stdout == "∂f/∂x = -4.0\n"
    r = cli("grad", "-q", "--", "-x^2", "--at", "x=3")  # as the help shows it
    assert r.exit_code == 0 and r.stdout == "∂f/∂x = -6.0\n"


# -- hints -------------------------------------------------------------------------------
def test_semicolons_get_a_hint(cli) -> None:
    r = cli("grad", "x*y", "--points", "-", input="x;y\n1;2\n")
    assert r.exit_code == 2 and "separated by ';'" in r.stderr


def test_a_name_in_the_wrong_case_gets_a_hint(cli) -> None:
    r = cli("grad", "x^2", "--at", "X=1")
    assert r.exit_code == 2 and "--at gives X" in r.stderr


def test_expression_and_points_cannot_both_be_standard_input(cli) -> None:
    r = cli("grad", "-", "--points", "-", input="x,y\n1,2\n")
    assert r.exit_code == 2 and "cannot both come from standard input" in r.output
    r = cli("jacobian", "-", "--points", "-", input="x,y\n1,2\n")
    assert r.exit_code == 2 and "cannot both come from standard input" in r.output


# -- 13. -o reads CSV through polars: the same rows as the stream, whatever the file ----
ODD_FILES = [
    b"x,y,note\r\n1,2,a\r\n3,4,\"b\r\nc\"\r\n",  # \r\n, and inside a quoted cell
    b"x,y,note\n1,2,a\r3,4,b\n",  # a lone \r ends a line for adcalc's reader
    b"\xef\xbb\xbfx,y,note\n1,2,a\n",  # a BOM
    b"x,y,note\n1,2\n3,4,,\n5,6,c\n",  # rows of the wrong width
    b"x,y,note\n1,2,\n3,4,\"\"\n",  # an empty last cell
    b"x,y,note\n\n , ,\n\t,,\n1,2,\" \"\n\n\n",  # blank rows are not rows
    b'x,y,note\n"1","2","q""r"\n "3",4,s\n"5"x,6,t\n',  # quoting, well-formed or not
    b"x,y,note\n 1e-7 ,3e-9,a\n1_000,\xd9\xa3,b\nnan,-inf,c\n1e-320,0,d\n",  # odd numbers
    b"x,y,note\n1,2,\x1f\\\"\n",  # cells JSON must escape
    b"x,y,note\n1,\xff,a\n",  # a bad byte
]


@pytest.mark.parametrize("data", ODD_FILES)
def test_the_o_paths_read_odd_files_as_the_stream_does(cli, tmp_path, data) -> None:
    src = tmp_path / "p.csv"
    src.write_bytes(data)
    expression = "x^2*y + exp(-x)"
    stream = cli("grad", expression, "--points", str(src))
    r = cli("grad", expression, "--points", str(src), "-o", str(tmp_path / "o.csv"))
    assert r.exit_code == stream.exit_code and warning_of(r.stderr) == warning_of(stream.stderr)
    if stream.exit_code:
        assert r.stderr == stream.stderr and not (tmp_path / "o.csv").exists()
        return
    assert rows_of((tmp_path / "o.csv").read_text()) == rows_of(stream.stdout)
    js = cli("grad", expression, "--points", str(src), "--format", "json")
    r = cli("grad", expression, "--points", str(src), "-o", str(tmp_path / "o.jsonl"))
    assert r.exit_code == 0 and (tmp_path / "o.jsonl").read_text() == js.stdout
    r = cli("grad", expression, "--points", str(src), "-o", str(tmp_path / "o.parquet"))
    assert r.exit_code == 0 and warning_of(r.stderr) == warning_of(stream.stderr)
    exact = rows_of((tmp_path / "o.csv").read_bytes().decode())  # (a \r\n in a cell too)
    assert as_rows(pl.read_parquet(tmp_path / "o.parquet")) == exact[1:]
    for strict in ("o.csv", "s.parquet"):
        s1 = cli("grad", expression, "--points", str(src), "--strict")
        s2 = cli("grad", expression, "--points", str(src), "--strict", "-o",
                 str(tmp_path / strict), "--overwrite")
        assert s2.exit_code == s1.exit_code and s2.stderr == s1.stderr


# -- 14. standard output goes through polars too: the bytes of -o, batch by batch -------
def stdout_and_file(cli, src, tmp_path, *flags: str):
    ext = ".jsonl" if "json" in flags else ".csv"
    out = tmp_path / f"o{ext}"
    s = cli("grad", "x^2*y + exp(-x)", "--points", str(src), *flags)
    o = cli("grad", "x^2*y + exp(-x)", "--points", str(src), "-o", str(out), "--overwrite",
            *[f for f in flags if f not in ("--format", "json")])
    return s, o, out


@pytest.mark.parametrize("flags", [(), ("--format", "json")])
@pytest.mark.parametrize("data", ODD_FILES)
def test_standard_output_has_the_bytes_of_the_o_file(cli, tmp_path, data, flags) -> None:
    src = tmp_path / "p.csv"
    src.write_bytes(data)
    s, o, out = stdout_and_file(cli, src, tmp_path, *flags)
    assert s.exit_code == o.exit_code and s.stderr == o.stderr
    if not s.exit_code:
        assert s.stdout_bytes == out.read_bytes()
    s, o, _ = stdout_and_file(cli, src, tmp_path, "--strict", *flags)
    assert s.exit_code == o.exit_code and s.stderr == o.stderr


def long_file(tmp_path, tail: str, name: str = "p.csv", rows: int = 200_000):
    src = tmp_path / name
    src.write_text("x,y,note\n" + "".join(f"{1 + k / rows!r},{k % 7},n{k}\n"
                                           for k in range(rows)) + tail)
    return src


@pytest.mark.parametrize("flags", [(), ("--format", "json")])
def test_a_file_polars_gives_up_on_late_goes_on_in_adcalcs_reader(cli, tmp_path,
                                                                  flags) -> None:
    """An empty last cell (or a short row) past the first batches: polars has written
    rows already, adcalc's reader writes the rest; the bytes are -o's all the same."""
    src = long_file(tmp_path, '1,2,\n3,4\n5,6,"a\nb"\n-1,2,z\n')
    s, o, out = stdout_and_file(cli, src, tmp_path, *flags)
    assert s.exit_code == o.exit_code == 0 and s.stderr == o.stderr
    assert "1 of 200,004 rows" in s.stderr and s.stdout_bytes == out.read_bytes()
    s, o, _ = stdout_and_file(cli, src, tmp_path, "--strict", *flags)
    assert s.exit_code == o.exit_code == 2 and s.stderr == o.stderr
    assert "row 200002" in s.stderr
    lines = out.read_bytes().split(b"\n")
    before = lines[:200_001 + (0 if flags else 1)]  # the rows before it (and the header)
    assert s.stdout_bytes == b"\n".join(before) + b"\n"


@pytest.mark.parametrize("flags", [(), ("--format", "json")])
def test_strict_on_standard_output_writes_the_rows_before_the_first_bad_one(
        cli, tmp_path, flags) -> None:
    rows = 200_000
    src = long_file(tmp_path, "")
    text = src.read_text().splitlines()
    text[150_001] = "-1,2,bad"  # row 150001
    src.write_text("\n".join(text) + "\n")
    whole = cli("grad", "log(x)*y", "--points", str(src), *flags)
    assert whole.exit_code == 0 and f"1 of {rows:,} rows" in whole.stderr
    s = cli("grad", "log(x)*y", "--points", str(src), "--strict", *flags)
    assert s.exit_code == 1 and "error: row 150001: math error" in s.stderr
    want = whole.stdout_bytes.split(b"\n")[:150_000 + (0 if flags else 1)]
    assert s.stdout_bytes == b"\n".join(want) + b"\n"


def test_a_closed_pipe_ends_the_polars_path_quietly(tmp_path) -> None:
    import subprocess
    import sys

    src = long_file(tmp_path, "", rows=400_000)
    for flags, n in (("", "-3"), ("--format json", "-c 100000")):
        for _ in range(3):  # polars' threads stop before Python exits: never an abort
            p = subprocess.run(f"{sys.executable} -m adcalc grad 'log(x)*y' --points {src} "
                               f"{flags} | head {n} > /dev/null; exit ${{PIPESTATUS[0]}}",
                               shell=True, capture_output=True, text=True, timeout=120,
                               executable="/bin/bash")
            assert p.returncode == 141 and p.stderr == ""
