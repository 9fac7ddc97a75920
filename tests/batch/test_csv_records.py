"""CSV records read a block at a time are the records Python's csv module reads
(``strict``) from the whole file, wherever blocks start, whatever the line ends and
quotes; and a file with a stray or an unclosed quote is read in time linear in its size
or refused with the line it starts on."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adcalc.batch import csv_in
from adcalc.batch.columnar import open_points
from adcalc.batch.feed import Feed
from adcalc.errors import InputError


class Trickle(io.RawIOBase):
    """A stream that hands on a few bytes a read, as a slow pipe does."""

    def __init__(self, data: bytes, step: int) -> None:
        self.data, self.at, self.step = data, 0, step

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        piece = self.data[self.at:self.at + min(n if n >= 0 else self.step, self.step)]
        self.at += len(piece)
        return piece


@settings(max_examples=200, deadline=None)
@given(text=st.lists(st.sampled_from(["a", ",", "\n", "\r", "\r\n", '"', "é"]), max_size=60),
       step=st.integers(1, 7))
def test_a_feed_s_lines_end_where_python_s_newline_mode_ends_them(text, step) -> None:
    data = "".join(text).encode()
    feed = Feed(Trickle(data, step))
    lines = []
    while line := feed.readline():
        lines.append(line)
    assert lines == [m.group() for m in re.finditer(rb"[^\r\n]*(\r\n|\r|\n)|[^\r\n]+$", data)
                     if m.group()]
    assert feed.used == len(data)


def oracle(data: bytes) -> tuple[list[list[str]], int | None]:
    """The records after the header, blank ones dropped, as the csv module reads them
    from the whole file, each of the header's width; where it refuses the file, the
    records before the one it refuses and the line its message must name (a quote never
    closed: the line the record starts on), else ``None``."""
    reader = csv.reader(io.StringIO(data.decode(), newline=""), strict=True)
    rows, last, line = [], 0, None
    try:
        for row in reader:
            rows.append(row)
            last = reader.line_num
    except csv.Error as exc:
        line = last + 1 if "unexpected end of data" in str(exc) else reader.line_num
    if not rows:
        return [], line
    width = len(rows[0])  # (a row of another width is cut or padded to the header's)
    return [(r + [""] * width)[:width] for r in rows[1:] if any(c.strip() for c in r)], line


def read(data: bytes, block: int) -> tuple[list[list[str]], str | None]:
    """The rows read, and the message that stopped the reading (``None``: none did)."""
    points = open_points(io.BytesIO(data), "csv", block=block)
    rows: list[list[str]] = []
    try:
        for piece in points.pieces:
            rows += [list(r) for r in piece.frame.rows()]
        return rows, None
    except InputError as exc:
        return rows, str(exc)
    finally:
        points.close()


CELL = st.sampled_from(["1", "2.5", "a", "", "x y", '"q"', '"a,b"', '"l1\nl2"', '"c\rd"',
                        '12" pipe', '"a""b"', '"open', 'x"', '"a"x'])


@st.composite
def files(draw: st.DrawFn) -> bytes:
    rows = ["x,y,l"]
    for _ in range(draw(st.integers(0, 30))):
        rows.append(",".join(draw(CELL) for _ in range(3)))
    ends = draw(st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=len(rows),
                         max_size=len(rows)))
    return "".join(r + e for r, e in zip(rows, ends, strict=True)).encode()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=files(), block=st.sampled_from([8, 32, 128, 1 << 20]))
def test_records_read_a_block_at_a_time_are_the_csv_module_s(data, block) -> None:
    """And where the csv module refuses a record, it is refused naming its line, after
    every row before it, whichever reader read them (rows are never lost to a block)."""
    expected, line = oracle(data)
    got, said = read(data, block)
    assert got == expected
    if line is not None:  # refused, with the line, as the csv module refuses it
        assert said is not None and f"line {line} of the points" in said, said
    else:
        assert said is None


def test_an_unclosed_quote_is_refused_with_its_line_not_read_to_the_end() -> None:
    for data, said in ((b'x,y,l\n1,2,"abc\n3,4,d\n', "line 2 of the points opens a quoted "
                        "cell that is never closed"),
                       (b'x,y,l\n1,2,"a"x\n3,4,d\n', "line 2 of the points is not valid CSV")):
        r = subprocess.run([sys.executable, "-m", "adcalc", "grad", "x*y", "--points", "-"],
                           input=data, capture_output=True, timeout=120)
        assert r.returncode == 2, r.stderr
        assert said in r.stderr.decode()
        assert b"Traceback" not in r.stderr
        assert b"3,4" not in r.stdout


def test_a_quote_opened_and_never_closed_stops_at_the_line_limit(monkeypatch) -> None:
    monkeypatch.setattr(csv_in, "MAX_TEXT", 4096)
    data = b'x,y,l\n1,2,ok\n3,4,"abc\n' + b"".join(b"%d,2,ok\n" % k for k in range(5000))
    with pytest.raises(InputError, match=r"record from line 3 .* longer than 4,096 bytes"):
        read_strict(data, 256)


def read_strict(data: bytes, block: int) -> int:
    points = open_points(io.BytesIO(data), "csv", block=block)
    try:
        return sum(piece.frame.height for piece in points.pieces)
    finally:
        points.close()


def test_lone_carriage_returns_end_lines_past_the_line_limit(monkeypatch) -> None:
    """A file whose lines end at a lone \\r is read a block at a time: no line of it is
    long, however long the file (the limit scaled down: 64 MiB files are too big here)."""
    monkeypatch.setattr(csv_in, "MAX_TEXT", 1024)
    data = b"x,y\r" + b"".join(b"%d,2\r" % k for k in range(2000))
    assert read_strict(data, 256) == 2000


def test_a_stray_quote_leaves_the_rest_of_a_big_file_linear() -> None:
    """A quote inside an unquoted cell (``12" pipe``: a cell as it is) sends a block to
    adcalc's reader, then polars reads on: 400,000 rows after it take about what the
    clean file takes (it was quadratic: hours)."""
    body = b"".join(b"%d,0.5,ok\n" % k for k in range(400_000))
    clean = b"x,y,l\n" + body
    stray = b'x,y,l\n1,2,12" pipe\n' + body
    times = []
    for data in (clean, stray):
        start = time.perf_counter()
        assert read_strict(data, 1 << 22) == data.count(b"\n") - 1
        times.append(time.perf_counter() - start)
    assert times[1] < 5 * times[0] + 2.0, times


def test_the_header_s_cells_come_back_as_they_came() -> None:
    """A header cell's spaces are not part of the name (`` y `` names column y) and stay
    in the header written back, as every other cell does."""
    data = b'x, y ,"my, label",z \n1,2,a,3\n'
    r = subprocess.run([sys.executable, "-m", "adcalc", "grad", "x*y", "--points", "-"],
                       input=data, capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b'x, y ,"my, label",z ,f,df/dx,df/dy\n1,2,a,3,2.0,2.0,1.0\n'


@pytest.mark.parametrize("end", [b"\n", b"\r\n", b"\r"])
@pytest.mark.parametrize("block", [4, 1 << 20])
def test_a_byte_that_is_not_utf_8_is_placed_on_its_line_whatever_ends_the_lines(end, block
                                                                                 ) -> None:
    data = end.join([b"x,y", b"1,2", b"3,4", b"5,\xff6", b"7,8"]) + end
    rows, said = read(data, block)
    assert rows == [["1", "2"], ["3", "4"]]  # (the rows before it, whole)
    assert said is not None and said.startswith("line 4 of the points is not UTF-8 text "
                                                "(byte 0xff at offset 2 cannot"), said
