"""CSV to CSV reads a plain block as its records and its doubles (``csv_in.plain``), not
as cells of text: the bytes written and the rows found bad are the same either way."""

from __future__ import annotations

import io

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adcalc.batch import columnar, csv_in
from adcalc.batch.csv_in import LINE, plain
from adcalc.commands.points import run_batch
from adcalc.frontend.parse import parse
from adcalc.render.points_out import PointsWriter

SEED = "log((x1+x2)^2 + sin(x1*x2))"
CELLS = ["1", "0.5", "-2.25", "1e-7", "3e300", "0.30000000000000004", " 2", "2 ", "nan",
         "-inf", "Infinity", "+.5", "5.", "-0", "1_0", "", "  ", "abc", "١", "1e400",
         "4.9e-324", "0.0001", "0.00001"]
"""Numbers in every notation ``float`` reads, and cells it does not."""
PLAIN = ["1", "0.5", "-2.25", "1e-7", "3e300", " 2", "nan", "-inf", "+.5", "-0", "1e400"]
"""Numbers polars reads as ``float`` does."""


def run(data: bytes, block: int, plain_blocks: bool | str, monkeypatch: pytest.MonkeyPatch,
        text: str = SEED) -> tuple[str, list[tuple[int, str]], list[int], int]:
    """The run as adcalc makes it (``plain_blocks`` true), or with every block read as
    cells of text (false), or as cells of text with the variables cast as they are read
    (``"casts"``: the way to every other format)."""
    real = columnar.Points.read_for
    with monkeypatch.context() as m:
        if plain_blocks == "casts":
            m.setattr(columnar.Points, "read_for",
                      lambda self, variables, lines: real(self, variables, False))
        elif not plain_blocks:
            m.setattr(columnar.Points, "read_for", lambda self, variables, lines: None)
        out = io.StringIO()
        summary = run_batch(parse(text), io.BytesIO(data), PointsWriter(out, "csv"),
                            block=block)
    return out.getvalue(), summary.bad, summary.kinks, summary.rows


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    extra = draw(st.lists(st.sampled_from(["id", "note", "w"]), unique=True, max_size=2))
    header = draw(st.permutations(["x1", "x2", *extra]))
    numbers = CELLS if draw(st.booleans()) else PLAIN  # (a file polars reads whole, or not)
    rows = []
    for _ in range(draw(st.integers(1, 40))):
        kind = draw(st.sampled_from(["row"] * 8 + ["blank", "short", "long", "quoted",
                                                   "pair"]))
        cells = [draw(st.sampled_from(numbers)) if h in ("x1", "x2") else
                 draw(st.sampled_from(["a", "", " b ", "é", "x y"])) for h in header]
        if kind == "blank":
            cells = [draw(st.sampled_from(["", " "])) for _ in header]
        elif kind == "short":
            cells = cells[:-1]
        elif kind == "long":
            cells = [*cells, "9"]
        elif kind == "quoted":
            cells[0] = f'"{cells[0]}"'
        elif kind == "pair":  # one cell too many, then one too few: the commas add up
            rows.append(",".join([*cells, "9"]))
            cells = cells[:-1]
        rows.append(",".join(cells))
    end = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    last = draw(st.sampled_from(["", end]))
    return (",".join(header) + end + end.join(rows) + last).encode()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(data=csv_files(), block=st.sampled_from([16, 64, 256, 1 << 20]))
def test_plain_blocks_write_the_bytes_the_cells_of_text_write(data, block, monkeypatch) -> None:
    text = run(data, block, False, monkeypatch)
    assert run(data, block, True, monkeypatch) == text
    assert run(data, block, "casts", monkeypatch) == text


def test_a_clean_file_is_read_as_plain_blocks_and_written_as_before(monkeypatch) -> None:
    lines = [f"{0.25 + k / 7!r},{1 + k / 3!r},id{k}" for k in range(2000)]
    lines[5] = "-1,1,neg"  # log of sin(-1) < 0: a bad row, nan
    lines[9] = "1e-5,2e-6,tiny"  # outputs below 1e-4: written as repr writes them
    data = ("x1,x2,label\n" + "\n".join(lines) + "\n").encode()
    used = []
    real = csv_in.plain

    def spy(chunk, header, doubles):
        got = real(chunk, header, doubles)
        used.append(got is not None)
        return got

    monkeypatch.setattr(csv_in, "plain", spy)
    fast = run(data, 4096, True, monkeypatch)
    assert used and all(used) and len(used) > 5
    assert fast == run(data, 4096, False, monkeypatch)
    text, bad, _, rows = fast
    assert rows == 2000 and [r for r, _ in bad] == [6]
    assert text.splitlines()[1].startswith(lines[0] + ",")
    assert text.splitlines()[6] == "-1,1,neg,nan,nan,nan"


@pytest.mark.parametrize("chunk", [
    b"1,2 \n", b"1_0,2\n", b",2\n", b"1,2\n ,\n", b'"1",2\n', b"1,2\r\n", b"abc,2\n",
    b"1,2\n3\n", b"1,2,3\n",
])
def test_a_block_that_is_not_plain_is_left_to_the_cells_of_text(chunk) -> None:
    assert plain(chunk, ["x1", "x2"], ["x1", "x2"]) is None


def test_a_pass_through_cell_that_is_not_utf8_is_not_plain() -> None:
    assert plain(b"1,2,\xff\xfe\n", ["x1", "x2", "id"], ["x1", "x2"]) is None
    frame = plain(b" 1,2,\xc3\xa9\n", ["x1", "x2", "id"], ["x1", "x2"])
    assert frame.rows() == [(" 1,2,é", 1.0, 2.0)]
    assert plain(b"1,2\n", [LINE, "x1"], ["x1"]) is None
    assert frame.schema == {LINE: pl.String, "x1": pl.Float64, "x2": pl.Float64}


@pytest.mark.parametrize("block", [16, 64, 1 << 20])
def test_a_long_record_and_a_short_one_in_a_block_are_bad_rows(block, monkeypatch) -> None:
    """The block's commas add up (one cell too many, one too few), and the cells the
    short record lacks are not variables: both are bad rows, as adcalc's reader says."""
    data = b"x,y,label\n5,6,c\n1,2,a,EXTRA\n3,4\n7,8,d\n"
    got = run(data, block, True, monkeypatch, "x*y")
    assert got == run(data, block, False, monkeypatch, "x*y")
    text, bad, _, rows = got
    assert [r for r, _ in bad] == [2, 3] and rows == 4
    assert bad[0][1] == "it has 4 cells, but the header has 3"
    assert text.splitlines()[2:4] == ["1,2,a,nan,nan,nan", "3,4,,nan,nan,nan"]


@pytest.mark.parametrize("block", [6, 12, 1 << 20])
def test_a_bom_inside_the_file_stays_a_bom_wherever_a_block_starts(block, monkeypatch) -> None:
    """polars drops a BOM that starts the bytes it reads: a block starting with one goes to
    adcalc's reader, so the cell is what it is anywhere in the file (not a number)."""
    data = "x,y\n1,2\n\ufeff3,4\n5,6\n".encode()
    got = run(data, block, True, monkeypatch, "x*y")
    assert got == run(data, block, False, monkeypatch, "x*y")
    text, bad, _, _ = got
    assert bad == [(2, f"column x: {chr(0xfeff) + '3'!r} is not a number")]
    assert text.splitlines()[2] == "\ufeff3,4,nan,nan,nan"
