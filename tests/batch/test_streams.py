"""--points through real pipes: every format on standard output (--output-format) and on
standard input (sniffed, or --input-format), the policies on both ends, and bad input.

Each run here is a whole process on a real pipe (``subprocess``), as a shell runs it."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from adcalc import gradient

pl = pytest.importorskip("polars")

EXPRESSION = "log(x)*y + x^2"
POINTS = pl.DataFrame({"x": [1.5, 2.0, -1.0, 0.1, 1e-7, 3.25],
                       "y": [2.0, 0.5, 1.0, -3.0, 2.0, 1e300],
                       "id": ["a", "b, c", "", 'q"r', "é\nz", "f"]})
"""Points with a bad row (log of -1), a tiny value, a huge one, and cells CSV quotes."""


def adcalc(*args: str, data: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "adcalc", *args], input=data,
                          capture_output=True, timeout=120)


def here(*args: str, data: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    """The same command in this process (click's runner: standard input is not a real
    pipe there), for the runs whose pipe another run of the test already is."""
    from click.testing import CliRunner

    from adcalc.cli import main

    r = CliRunner().invoke(main, list(args), input=data, catch_exceptions=False)
    return subprocess.CompletedProcess(args, r.exit_code, r.stdout_bytes, r.stderr_bytes)


def csv_bytes(frame=POINTS) -> bytes:
    buffer = io.BytesIO()
    frame.write_csv(buffer)
    return buffer.getvalue()


def as_format(fmt: str, frame=POINTS) -> bytes:
    buffer = io.BytesIO()
    {"csv": frame.write_csv, "jsonl": frame.write_ndjson, "arrow": frame.write_ipc_stream,
     "arrow file": frame.write_ipc, "parquet": frame.write_parquet}[fmt](buffer)
    return buffer.getvalue()


def read(fmt: str, data: bytes):
    source = io.BytesIO(data)
    if fmt == "csv":
        return pl.read_csv(source, infer_schema=False, empty_string_is_null=False)
    return {"jsonl": pl.read_ndjson, "arrow": pl.read_ipc_stream,
            "parquet": pl.read_parquet}[fmt](source)


def check_rows(got, cells_as_text: bool) -> None:
    """Every row is the scalar path's, bit for bit (the bad row null), the cells as
    they came."""
    assert got.columns == ["x", "y", "id", "f", "df/dx", "df/dy"]
    assert got["id"].to_list() == POINTS["id"].to_list()
    for k, (x, y) in enumerate(zip(POINTS["x"], POINTS["y"], strict=True)):
        if cells_as_text:
            assert float(got["x"][k]) == x and float(got["y"][k]) == y
        else:
            assert got["x"][k] == x and got["y"][k] == y
        f, dx, dy = (got[c][k] for c in ("f", "df/dx", "df/dy"))
        if x < 0:
            assert {f, dx, dy} <= {None, "nan", ""}
            continue
        g = gradient(EXPRESSION, {"x": x, "y": y})
        assert [float(f), float(dx), float(dy)] == [g.value, g.gradient["x"],
                                                    g.gradient["y"]]


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "arrow", "parquet"])
def test_every_output_format_to_a_pipe_reads_back(tmp_path, fmt) -> None:
    """--output-format to standard output (a pipe): polars reads the bytes back, and
    they are the rows -o writes; from Parquet points the columns keep their types."""
    src = tmp_path / "p.parquet"
    POINTS.write_parquet(src)
    r = adcalc("grad", EXPRESSION, "--points", str(src), "--output-format", fmt)
    assert r.returncode == 0, r.stderr
    assert b"1 of 6 rows could not be evaluated" in r.stderr
    got = read(fmt, r.stdout)
    check_rows(got, cells_as_text=fmt == "csv")
    out = tmp_path / f"o.{fmt}"
    o = here("grad", EXPRESSION, "--points", str(src), "-o", str(out), "--output-format", fmt)
    assert o.returncode == 0 and o.stderr == r.stderr
    if fmt in ("csv", "jsonl"):  # written a piece at a time, alike
        assert out.read_bytes() == r.stdout
    else:  # (-o FILE.arrow is an Arrow file, standard output an Arrow stream)
        assert (pl.read_parquet(out) if fmt == "parquet" else pl.read_ipc(out)).equals(got)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "arrow", "parquet"])
def test_csv_points_to_every_format_on_a_pipe(fmt) -> None:
    """CSV points from a pipe, written in every format: the cells stay text, as they
    came; CSV and JSON Lines are adcalc's own layout (repr of each double)."""
    r = adcalc("grad", EXPRESSION, "--points", "-", "--output-format", fmt, data=csv_bytes())
    assert r.returncode == 0, r.stderr
    got = read(fmt, r.stdout)
    check_rows(got, cells_as_text=True)
    assert got["x"].to_list() == pl.read_csv(io.BytesIO(csv_bytes()), infer_schema=False
                                             )["x"].to_list()
    if fmt == "jsonl":
        first = json.loads(r.stdout.splitlines()[0])
        assert first["x"] == "1.5" and first["f"] == gradient(EXPRESSION,
                                                              {"x": 1.5, "y": 2.0}).value
        assert json.loads(r.stdout.splitlines()[2])["f"] is None


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "arrow", "arrow file", "parquet"])
def test_standard_input_in_every_format_is_sniffed(fmt) -> None:
    """--points - reads CSV, JSON Lines, an Arrow stream or file, Parquet from a pipe,
    found by their first bytes; --input-format says the same; each gives the rows of the
    same points read from a file."""
    data = as_format(fmt)
    r = adcalc("grad", EXPRESSION, "--points", "-", "--output-format", "jsonl", data=data)
    assert r.returncode == 0, r.stderr
    got = read("jsonl", r.stdout)
    check_rows(got, cells_as_text=fmt == "csv")
    forced = here("grad", EXPRESSION, "--points", "-", "--output-format", "jsonl",
                  "--input-format", fmt.split()[0], data=data)
    assert forced.returncode == 0 and forced.stdout == r.stdout


def test_input_format_wrong_for_the_bytes_is_a_clear_error() -> None:
    for fmt, data in (("arrow", csv_bytes()), ("parquet", csv_bytes()),
                      ("jsonl", as_format("arrow")), ("arrow", as_format("parquet"))):
        r = here("grad", EXPRESSION, "--points", "-", "--input-format", fmt, data=data)
        assert r.returncode == 2, (fmt, r.stderr)
        assert r.stderr.startswith((b"error: cannot read the points on standard input as ",
                                    b"error: line 1 of the points on standard input is not "
                                    b"JSON"))
        assert b"Traceback" not in r.stderr and r.stdout == b""


@pytest.mark.parametrize(("data", "said"), [
    (b"", b"the points are empty"),
    (b"\n\n", b"the points are empty"),
    (bytes(range(1, 256)) * 4, b"their header is: '\\x01\\x02\\x03"),
    (bytes(range(128, 256)) * 4, b"is not UTF-8 text"),
    (b"\x00\x01garbage\xfe\xff" * 100, b"is not UTF-8 text"),
    (b"\xff\xff\xff\xff\x10\x00\x00\x00garbage", b"as an Arrow IPC stream: a message is cut"),
    (b"\xff\xff\xff\xff", b"as an Arrow IPC stream"),
    (b"ARROW1\x00\x00garbage", b"as an Arrow IPC file"),
    (b"PAR1garbage", b"as Parquet"),
    (b'{"x": 1, "y": 2}\nnot json\n', b"line 2 of the points on standard input is not JSON"),
    (b'{"x": 1, "y": 2}\n[1, 2]\n', b"line 2 of the points on standard input is not a JSON "
                                    b"object"),
])
def test_bad_standard_input_is_a_message_not_a_traceback(data, said) -> None:
    r = (adcalc if not data else here)("grad", "x*y", "--points", "-", data=data)
    assert r.returncode == 2 and said in r.stderr, r.stderr
    assert r.stderr.startswith(b"error: ") and b"Traceback" not in r.stderr
    assert r.stdout == b""


def test_a_cut_arrow_stream_keeps_the_rows_before_and_stops(tmp_path) -> None:
    """An Arrow stream cut inside its last batch (adcalc's own, a batch a piece): the
    rows of the whole batches before it are written, then a message (exit 2)."""
    n = 150_000
    src = tmp_path / "p.csv"
    src.write_text("x,y\n" + "".join(f"{k},2\n" for k in range(n)))
    stream = adcalc("grad", "x*y", "--points", str(src), "--output-format", "arrow").stdout
    assert pl.read_ipc_stream(io.BytesIO(stream)).height == n
    r = adcalc("jacobian", "[x + y, x]", "--points", "-", "--output-format", "jsonl",
               data=stream[:-100])
    assert r.returncode == 2 and b"a message is cut short" in r.stderr
    got = read("jsonl", r.stdout)
    assert 0 < got.height < n and got.height % 65_536 == 0  # whole batches only
    assert got["df1/dx"].to_list() == [1.0] * got.height
    assert got["f1"].to_list() == [k + 2.0 for k in range(got.height)]


def test_two_arrow_streams_one_after_another_are_not_read_as_one(tmp_path) -> None:
    """``cat a.arrows b.arrows |``: the second stream was dropped without a word (exit 0,
    the first's rows only); now the first's rows are written on standard output and the
    run stops saying more follows its end (exit 2); from a file to -o nothing is
    written.  One stream alone still reads to its end."""
    a = pl.DataFrame({"x": [1.0, 2.0], "y": [3.0, 4.0]})
    b = pl.DataFrame({"x": [5.0], "y": [6.0]})
    one, two = io.BytesIO(), io.BytesIO()
    a.write_ipc_stream(one)
    b.write_ipc_stream(two)
    alone = adcalc("grad", "x*y", "--points", "-", data=one.getvalue())
    assert alone.returncode == 0 and alone.stdout.count(b"\n") == 3, alone.stderr
    both = one.getvalue() + two.getvalue()
    r = adcalc("grad", "x*y", "--points", "-", data=both)
    assert r.returncode == 2 and r.stdout == alone.stdout
    said = f"more follows the end of the stream at byte {len(one.getvalue()):,}".encode()
    assert r.stderr.startswith(b"error: cannot read the points on standard input as one "
                               b"Arrow stream") and said in r.stderr, r.stderr
    src, out = tmp_path / "ab.arrows", tmp_path / "out.csv"
    src.write_bytes(both)
    r = adcalc("grad", "x*y", "--points", str(src), "-o", str(out))
    assert r.returncode == 2 and said in r.stderr and not out.exists()
    r = adcalc("grad", "x*y", "--points", "-", data=one.getvalue() + b"\n")
    assert r.returncode == 2 and said in r.stderr  # (a byte is more)


POLICY_FILES = {
    "quoted new lines": b'x,y,note\n1,2,"a\nb"\n3,4,"c\r\nd"\n',
    "BOM": b"\xef\xbb\xbfx,y,note\n1,2,a\n",
    "bad rows": b"x,y,note\n1,2,a\n0,1,b\noops,1,c\n1,2\n2,3,d,e\n,1,f\n",
    "pass-through": b'x,y,note\n 1 ,2,  spaced  \n1e0,2.50,""\n0x1,2,"q""r"\n1,2,\n',
    "lone cr": b"x,y,note\n1,2,a\r3,4,b\n",
}


@pytest.mark.parametrize("name", sorted(POLICY_FILES))
def test_a_pipe_and_o_give_the_same_bytes(tmp_path, name) -> None:
    """The same points through a pipe (in and out) and from a file to -o: the same bytes
    in CSV and JSON Lines, the same warnings; with --strict the same error."""
    data = POLICY_FILES[name]
    src = tmp_path / "p.csv"
    src.write_bytes(data)
    for fmt in ("jsonl", "csv"):
        piped = adcalc("grad", "log(x)*y", "--points", "-", "--output-format", fmt, data=data)
        out = tmp_path / f"o.{fmt}"
        o = here("grad", "log(x)*y", "--points", str(src), "-o", str(out))
        assert piped.returncode == o.returncode == 0, piped.stderr
        assert piped.stdout == out.read_bytes() and piped.stderr == o.stderr
        s1 = here("grad", "log(x)*y", "--points", "-", "--strict", "--output-format", fmt,
                  data=data)
        s2 = here("grad", "log(x)*y", "--points", str(src), "--strict", "-o",
                  str(tmp_path / f"s.{fmt}"), "--overwrite")
        assert s1.returncode == s2.returncode and s1.stderr == s2.stderr
    if name == "bad rows":
        assert s1.returncode == 1 and b"error: row 2: math error" in s1.stderr
        assert piped.stderr.startswith(b"warning: 5 of 6 rows could not be evaluated")
        rows = piped.stdout.decode().splitlines()
        if fmt == "csv":
            assert rows[4:] == ["1,2,,nan,nan,nan", "2,3,d,nan,nan,nan", ",1,f,nan,nan,nan"]
    if name == "pass-through" and fmt == "csv":  # each cell as it came, quoted if it must
        assert piped.stdout.decode().splitlines()[1:] == [
            " 1 ,2,  spaced  ,0.0,2.0,0.0", "1e0,2.50,,0.0,2.5,0.0",
            '0x1,2,"q""r",nan,nan,nan', "1,2,,0.0,2.0,0.0"]
    if name == "lone cr":  # a lone \r ends a line, as adcalc's reader always read it
        assert piped.stdout.decode().splitlines()[1:] == ["1,2,a,0.0,2.0,0.0",
                                                          "3,4,b,4.394449154672439,"
                                                          "1.3333333333333333,"
                                                          "1.0986122886681098"]
    if name == "BOM" and fmt == "csv":
        assert piped.stdout.startswith(b"x,y,note,f,")
    if name == "quoted new lines" and fmt == "csv":
        assert pl.read_csv(io.BytesIO(piped.stdout), infer_schema=False)["note"].to_list() == [
            "a\nb", "c\r\nd"]


def test_a_column_named_twice_is_refused_from_a_pipe_and_a_file(tmp_path) -> None:
    data = b"x,y,x\n1,2,3\n"
    src = tmp_path / "p.csv"
    src.write_bytes(data)
    for args, given in ((["--points", "-"], data), (["--points", str(src)], b""),
                        (["--points", str(src), "-o", str(tmp_path / "o.parquet")], b"")):
        r = (adcalc if given else here)("grad", "x*y", *args, data=given)
        assert r.returncode == 2 and b"column 'x' is named twice" in r.stderr
        assert r.stdout == b""
    assert not (tmp_path / "o.parquet").exists()


def test_head_ends_every_format_quietly_after_whole_rows(tmp_path) -> None:
    """| head: exit 141 and nothing on standard error, from a file and from a pipe; the
    rows head got are whole (its last line is a whole row)."""
    src = tmp_path / "p.csv"
    n = 150_000
    src.write_text("x,y\n" + "".join(f"{1 + k / n!r},2\n" for k in range(n)))
    for before, points, fmt in (("", src, "csv"), (f"cat {src} |", "-", "jsonl"),
                                ("", src, "arrow"), (f"cat {src} |", "-", "csv")):
        p = subprocess.run(f"{before} {sys.executable} -m adcalc grad 'log(x)*y' --points "
                           f"{points} --output-format {fmt} | head -c 200000 > /dev/null; "
                           "exit ${PIPESTATUS[-2]}", shell=True, capture_output=True,
                           timeout=120, executable="/bin/bash")
        assert p.returncode == 141 and p.stderr == b"", (fmt, p.stderr)
    lines = subprocess.run(f"{sys.executable} -m adcalc grad 'log(x)*y' --points {src} | "
                           "head -5", shell=True, capture_output=True, text=True,
                           timeout=120).stdout.splitlines()
    assert lines[0] == "x,y,f,df/dx,df/dy" and len(lines) == 5
    assert all(len(line.split(",")) == 5 for line in lines)


def test_the_commands_at_a_point_do_not_import_polars() -> None:
    """polars is a dependency imported only on the batch path: start-up stays as it was."""
    code = ("import sys; from adcalc.cli import run; sys.argv = ['adcalc', 'grad', 'x^2', "
            "'--at', 'x=3']\ntry: run()\nexcept SystemExit: pass\n"
            "print([m for m in sys.modules if m.split('.')[0] in ('polars', 'pyarrow')])")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=60)
    assert r.stdout.splitlines()[-1] == "[]", r.stdout


def test_the_pipes_in_the_batch_guide_print_what_it_shows() -> None:
    """docs/batch.md's pipes (a ```console block after its "pipes" marker): each `$` line
    runs in bash from the repository's root, with this venv first on PATH, and prints
    the lines shown after it."""
    import os
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    guide = (root / "docs" / "batch.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- pipes:.*?-->\n```console\n(.*?)```", guide, re.S)
    assert block is not None
    lines = block.group(1).splitlines()
    starts = [k for k, line in enumerate(lines) if line.startswith("$ ")]
    assert len(starts) >= 4
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    for k, start in enumerate(starts):
        shown = lines[start + 1:starts[k + 1] if k + 1 < len(starts) else len(lines)]
        r = subprocess.run(lines[start][2:], shell=True, executable="/bin/bash", cwd=root,
                           env=env, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and r.stderr == "", (lines[start], r.stderr)
        assert r.stdout.splitlines() == shown, lines[start]


def test_o_a_pipe_or_a_device_writes_to_it_and_never_replaces_it(tmp_path) -> None:
    """-o /dev/stdout, a named pipe or /dev/full is written as it is (CSV unless its
    extension or --output-format says otherwise), never replaced by a file, with no
    --overwrite needed; a full device is a message (exit 1) in every format."""
    import os
    import stat
    import threading

    src = tmp_path / "p.csv"
    src.write_bytes(POLICY_FILES["pass-through"])
    want = adcalc("grad", "log(x)*y", "--points", str(src))
    r = adcalc("grad", "log(x)*y", "--points", str(src), "-o", "/dev/stdout")
    assert r.returncode == 0 and r.stdout == want.stdout and r.stderr == want.stderr
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    r = here("grad", "log(x)*y", "--points", str(src), "-o", str(fifo))
    reader.join(timeout=60)
    assert r.returncode == 0 and got == [want.stdout]
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    if not os.path.exists("/dev/full"):
        return
    for fmt in ("csv", "jsonl", "arrow", "parquet"):
        r = here("grad", "log(x)*y", "--points", str(src), "-o", "/dev/full",
                 "--output-format", fmt)
        assert r.returncode == 1, (fmt, r.stderr)
        said = b"error: cannot write the output: No space left on device"
        if fmt == "parquet":  # (its footer comes last: what went out cannot be read)
            said += b"; the Parquet on '/dev/full' is cut short and cannot be read"
        assert said in r.stderr and r.stderr.count(b"\n") == 1, r.stderr
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_o_arrows_writes_an_arrow_stream_and_o_arrow_an_arrow_file(tmp_path) -> None:
    src = tmp_path / "p.csv"
    POINTS.write_csv(src)
    for name, magic in (("out.arrows", b"\xff\xff\xff\xff"), ("out.arrow", b"ARROW1")):
        r = here("grad", EXPRESSION, "--points", str(src), "-o", str(tmp_path / name))
        assert r.returncode == 0, r.stderr
        data = (tmp_path / name).read_bytes()
        assert data.startswith(magic)
        back = (pl.read_ipc_stream if name.endswith("s") else pl.read_ipc)(io.BytesIO(data))
        assert back["id"].to_list() == POINTS["id"].to_list()
        assert back.columns == ["x", "y", "id", "f", "df/dx", "df/dy"]
        assert back["f"][0] == gradient(EXPRESSION, {"x": 1.5, "y": 2.0}).value


def test_the_progress_measure_of_a_csv_file_is_its_bytes_after_the_header(tmp_path) -> None:
    from adcalc.batch.columnar import open_points

    src = tmp_path / "p.csv"
    src.write_bytes(b"x,y\r\n" + b"1.5,2\r\n" * 1000)
    points = open_points(str(src), None)
    try:
        assert points.total == src.stat().st_size - len(b"x,y\r\n")
        assert sum(piece.used for piece in points.pieces) == points.total
    finally:
        points.close()


@pytest.mark.parametrize("fmt, column", [
    ("csv", [b"\x00\xff", b"ab"]), ("csv", [[1], [2, 3]]), ("csv", [{"a": 1}, {"a": 2}]),
    ("jsonl", [b"\x00\xff", b"ab"]), ("jsonl", [[b"a"], [b"\xff"]]),
    ("jsonl", [{"b": b"a"}, {"b": b"c"}])])
def test_a_column_the_format_cannot_hold_is_refused_before_any_row(tmp_path, fmt, column):
    src = tmp_path / "p.parquet"
    pl.DataFrame({"x": [1.0, 2.0], "c": column}).write_parquet(src)
    r = here("grad", "x^2", "--points", str(src), "--output-format", fmt)
    assert r.returncode == 2 and not r.stdout
    assert b"column 'c' holds" in r.stderr and b"cannot hold" in r.stderr
    assert here("grad", "x^2", "--points", str(src), "--output-format", "arrow").returncode == 0


def test_a_last_record_without_a_new_line_is_held_to_the_header_s_width() -> None:
    """polars takes an extra empty cell in a last record with no new line: the blocks it
    reads end with one, so a short row and such a long one are both bad rows."""
    for data in (b"x,y,label\n1,2,a\n3,4\n5,6,c,", b"x,y,label\r\n1,2,a\r\n3,4\r\n5,6,c,"):
        for fmt in ("csv", "jsonl"):
            r = here("grad", "x*y", "--points", "-", "--output-format", fmt, data=data)
            assert r.returncode == 0
            assert b"2 of 3 rows could not be evaluated" in r.stderr, (data, fmt, r.stderr)


@pytest.mark.parametrize("block", [8, 16, 0])
def test_a_block_of_blank_lines_counts_toward_the_progress_measure(tmp_path, block) -> None:
    from adcalc.batch.columnar import open_points

    src = tmp_path / "p.csv"
    src.write_bytes(b"x,y\n1,2\n  , ,,\t\n\n\n3,4\n,\n")
    points = open_points(str(src), None, block=block)
    try:
        assert sum(piece.used for piece in points.pieces) == points.total
    finally:
        points.close()


def test_a_record_longer_than_the_line_limit_is_refused_on_polars_path(monkeypatch) -> None:
    """A record found only by reading past the limit is not read: adcalc's reader says
    the line is too long (the limit scaled down, as a 64 MiB line is too big to test)."""
    from adcalc.batch import csv_in
    from adcalc.batch.columnar import open_points
    from adcalc.errors import InputError

    monkeypatch.setattr(csv_in, "MAX_TEXT", 1024)
    for length, refused in ((1000, False), (1500, True), (2100, True)):
        data = b"x,id\n1,a\n2," + b"b" * length + b"\n3,c\n"
        points = open_points(io.BytesIO(data), "csv", block=64)
        try:
            if refused:
                with pytest.raises(InputError, match="longer than 1,024 bytes"):
                    list(points.pieces)
            else:
                assert sum(p.frame.height for p in points.pieces) == 3
        finally:
            points.close()
