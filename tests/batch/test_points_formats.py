"""Points in the typed formats and JSON Lines, from files, named pipes and standard input:
a column named twice is refused in every one, a named pipe is read as a pipe (never
hangs), and JSON Lines give the same rows or the same message from a file and a pipe."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading

import pytest

from adcalc.batch.columnar import open_points
from adcalc.errors import InputError

pa = pytest.importorskip("pyarrow")
ipc = pytest.importorskip("pyarrow.ipc")


def adcalc(*args: str, data: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "adcalc", *args], input=data,
                          capture_output=True, timeout=120)


def table(names: list[str]) -> object:
    columns = [pa.array([1.0, 2.0]), pa.array([3.0, 4.0]), pa.array(["a", "b"]),
               pa.array(["c", "d"])]
    return pa.Table.from_arrays(columns[:len(names)], names=names)


def write(path: str, t: object, stream: bool) -> bytes:
    with (ipc.new_stream if stream else ipc.new_file)(path, t.schema) as w:
        w.write_table(t)
    with open(path, "rb") as f:
        return f.read()


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "file"])
def test_an_arrow_column_named_twice_is_refused_from_a_file_and_a_pipe(tmp_path, stream):
    path = str(tmp_path / ("dup.arrows" if stream else "dup.arrow"))
    data = write(path, table(["x", "y", "l", "l"]), stream)
    for args, given in (([path], b""), (["-"], data)):
        r = adcalc("grad", "x*y", "--points", *args, data=given)
        assert r.returncode == 2, r.stderr
        assert b"column 'l' is named twice (columns 3 and 4)" in r.stderr
        assert b"panicked" not in r.stderr and b"Traceback" not in r.stderr


@pytest.mark.parametrize("nested", ["struct", "list of structs"])
@pytest.mark.parametrize("stream", [True, False], ids=["stream", "file"])
def test_a_name_given_twice_inside_a_column_is_refused_too(tmp_path, stream, nested):
    pair = pa.StructArray.from_arrays([pa.array([1, 2]), pa.array([3, 4])], names=["a", "a"])
    column = pair if nested == "struct" else pa.ListArray.from_arrays(pa.array([0, 1, 2]), pair)
    t = pa.Table.from_arrays([pa.array([1.0, 2.0]), pa.array([3.0, 4.0]), column],
                             names=["x", "y", "s"])
    path = str(tmp_path / ("dup.arrows" if stream else "dup.arrow"))
    data = write(path, t, stream)
    for args, given in (([path, "-o", str(tmp_path / "o.parquet")], b""),
                        (["-", "--output-format", "arrow"], data)):
        r = adcalc("grad", "x*y", "--points", *args, data=given)
        assert r.returncode == 2, r.stderr
        assert b"inside column 's'" in r.stderr and b"column 'a' is named twice" in r.stderr
        assert b"panicked" not in r.stderr and b"Traceback" not in r.stderr
    assert not (tmp_path / "o.parquet").exists()


def test_an_arrow_stream_with_delta_dictionaries_stops_after_the_rows_before(tmp_path):
    """pyarrow's delta dictionaries (polars reads none): the batch before the delta is
    written, then a message in words (exit 2), from a file and a pipe alike."""
    opts = ipc.IpcWriteOptions(emit_dictionary_deltas=True)
    schema = pa.schema([("x", pa.float64()), ("y", pa.float64()),
                        ("k", pa.dictionary(pa.int32(), pa.string()))])
    path = str(tmp_path / "delta.arrows")
    with ipc.new_stream(path, schema, options=opts) as w:
        w.write_batch(pa.record_batch([pa.array([1.0, 2.0]), pa.array([3.0, 4.0]),
                                       pa.array(["a", "b"]).dictionary_encode()], schema=schema))
        grown = pa.DictionaryArray.from_arrays(pa.array([0, 2], pa.int32()),
                                               pa.array(["a", "b", "c"]))
        w.write_batch(pa.record_batch([pa.array([5.0, 6.0]), pa.array([1.0, 1.0]), grown],
                                      schema=schema))
    with open(path, "rb") as f:
        data = f.read()
    for args, given in (([path], b""), (["-"], data)):
        r = adcalc("grad", "x*y", "--points", *args, data=given)
        assert r.returncode == 2 and b"delta dictionar" in r.stderr, r.stderr
        assert r.stdout.splitlines() == [b"x,y,k,f,df/dx,df/dy", b"1.0,3.0,a,3.0,3.0,1.0",
                                         b"2.0,4.0,b,8.0,4.0,2.0"]
        assert b"panicked" not in r.stderr and b"Traceback" not in r.stderr


def feed_fifo(path: str, data: bytes) -> threading.Thread:
    def run() -> None:
        with open(path, "wb") as f:
            f.write(data)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
@pytest.mark.parametrize("name", ["p.arrows", "p.arrow", "p.parquet", "p.jsonl", "p.csv"])
def test_a_named_pipe_is_read_as_a_pipe_in_every_format(tmp_path, name) -> None:
    import polars as pl

    frame = pl.DataFrame({"x": [1.5, 2.0], "y": [2.0, 0.5], "l": ["a", "b"]})
    source = tmp_path / ("src" + name[1:])
    {"arrows": lambda: frame.write_ipc_stream(source), "arrow": lambda: frame.write_ipc(source),
     "parquet": lambda: frame.write_parquet(source), "jsonl": lambda: frame.write_ndjson(source),
     "csv": lambda: frame.write_csv(source)}[name.split(".")[1]]()
    expected = adcalc("grad", "x*y", "--points", str(source))
    assert expected.returncode == 0, expected.stderr
    fifo = str(tmp_path / name)
    os.mkfifo(fifo)
    feeding = feed_fifo(fifo, source.read_bytes())
    r = adcalc("grad", "x*y", "--points", fifo)
    feeding.join(timeout=10)
    assert (r.returncode, r.stdout, r.stderr) == (0, expected.stdout, b"")


def jsonl(rows: list[dict[str, object]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def read(data: bytes, block: int) -> list[tuple[object, ...]]:
    points = open_points(io.BytesIO(data), "jsonl", block=block)
    try:
        return [row for piece in points.pieces for row in piece.frame.rows()]
    finally:
        points.close()


def test_json_lines_keep_the_first_block_s_types_where_a_later_block_fits_them() -> None:
    rows = [{"x": k + 0.5, "y": 1.0, "id": k} for k in range(200)]
    rows += [{"x": k, "y": 2, "id": k} for k in range(200, 400)]  # ints a double holds
    got = read(jsonl(rows), 256)
    assert got == [(r["x"] * 1.0, r["y"] * 1.0, r["id"]) for r in rows]


@pytest.mark.parametrize(("later", "said"), [
    ({"x": 1.5, "y": 2.0, "id": "s7"}, "row 301, column 'id': 's7' is not Int64"),
    ({"x": 1.5, "y": 2.0, "id": 2.5}, "row 301, column 'id': 2.5 is not Int64"),
    ({"x": 1.5, "y": 2.0, "id": 1, "z": 3}, "row 301 has a key 'z' that the rows before"),
])
def test_a_json_lines_row_the_first_block_s_types_do_not_hold_is_named(later, said) -> None:
    rows = [{"x": k + 0.5, "y": 1.0, "id": k} for k in range(300)] + [later]
    rows += [{"x": 1.5, "y": 1.0, "id": 1}] * 5
    with pytest.raises(InputError, match=said):
        read(jsonl(rows), 512)


def test_json_lines_from_a_file_and_a_pipe_give_the_same_bytes_and_message(tmp_path) -> None:
    rows = [{"x": k / 7, "y": 1, "tag": k} for k in range(150_000)]
    rows += [{"x": 1.0, "y": 1, "tag": "s"}]
    path = tmp_path / "drift.jsonl"
    path.write_bytes(jsonl(rows))
    from_file = adcalc("grad", "x*y", "--points", str(path))
    from_pipe = adcalc("grad", "x*y", "--points", "-", data=path.read_bytes())
    assert from_file.returncode == from_pipe.returncode == 2
    assert from_file.stdout == from_pipe.stdout
    for r in (from_file, from_pipe):
        assert b"row 150,001, column 'tag': 's' is not Int64" in r.stderr, r.stderr
        assert b"strict_cast" not in r.stderr and len(r.stderr.splitlines()) == 1


def test_json_lines_with_a_byte_order_mark_and_a_line_past_the_limit(monkeypatch) -> None:
    assert read(b'\xef\xbb\xbf{"x": 1, "y": 2}\n', 0) == [(1, 2)]
    from adcalc.frontend import inputs

    monkeypatch.setattr(inputs, "MAX_TEXT", 1024)
    data = jsonl([{"x": 1, "y": 2}] * 3 + [{"x": 1, "y": 2, "s": "z" * 5000}])
    with pytest.raises(InputError, match="line 4 of the points is longer than 1,024 bytes"):
        read(data, 64)


def test_the_outputs_are_written_the_same_from_every_format_of_points(tmp_path) -> None:
    """CSV out: each output double as ``repr`` writes it (``1e-05``), whatever the format
    of the points; a bad row's outputs are ``nan`` from CSV, empty (null) from the typed
    formats, as documented."""
    import polars as pl

    frame = pl.DataFrame({"x": [1e-3, 2.0, -1.0, 3e-3], "y": [3e-3, 1.0, 1.0, 1e-300]})
    outputs = {}
    for name, write in (("p.csv", frame.write_csv), ("p.parquet", frame.write_parquet),
                        ("p.arrow", frame.write_ipc), ("p.jsonl", frame.write_ndjson)):
        write(tmp_path / name)
        r = adcalc("grad", "x*y*1e-5 + sqrt(x)", "--points", str(tmp_path / name))
        assert r.returncode == 0, r.stderr
        outputs[name] = [line.split(b",")[2:] for line in r.stdout.splitlines()]
    csv_rows = outputs.pop("p.csv")
    assert csv_rows[2][2] == b"2e-05"  # df/dy at x = 2: below 1e-4
    for name, rows in outputs.items():
        for got, want in zip(rows, csv_rows, strict=True):
            assert got == ([b""] * 3 if want == [b"nan"] * 3 else want), name


@pytest.mark.parametrize(("lines", "said"), [
    # a later block read as text: the row that is text is named, not the block's first
    ([{"x": 1.5, "y": 2.5, "t": True}] * 300 + [{"x": 1.5, "y": 2.5, "t": True}] * 50
     + [{"x": 1.5, "y": 2.5, "t": "a"}], r"row 351, column 't': 'a' is not Boolean"),
    # within a block, kinds that polars cannot put in one column
    ([{"x": 1, "y": 2, "t": True}, {"x": 1, "y": 2, "t": 5}],
     r"row 2, column 't': 5 is a number, where row 1 holds true or false"),
])
def test_a_json_lines_value_of_another_kind_is_named_by_its_row(lines, said) -> None:
    with pytest.raises(InputError, match=said):
        read(jsonl(lines), 1024)


@pytest.mark.parametrize(("line", "said"), [
    (b'{"x": NaN, "y": 2}', "line 2 of the points on standard input is not JSON: NaN is not"),
    (b'{"x": 1e400, "y": 2}', "line 2 .* not JSON: 1e400 is beyond the largest double"),
    (b'{"x": 1, "y": 2', "line 2 of the points on standard input is not JSON"),
])
def test_a_json_lines_line_polars_cannot_read_is_named(line, said) -> None:
    with pytest.raises(InputError, match=said):
        read(b'{"x": 1, "y": 2}\n' + line + b"\n", 0)


@pytest.mark.parametrize(("later", "said"), [
    ({"x": 1.5, "s": {"a": 1, "b": 2}}, r"row 101, column 's': \{'a': 1, 'b': 2\} is not Struct"),
    ({"x": 1.5, "s": {"a": "t"}}, r"row 101, column 's': \{'a': 't'\} is not Struct"),
    ({"x": 1.5, "s": {"a": 1}, "l": ["a"]}, r"row 101, column 'l': \['a'\] is not List\(Int64\)"),
    ({"x": 1.5, "s": {"a": 1}, "n": 3}, r"row 101, column 'n': 3 is not Null"),
    ({"x": 1.5, "s": {"a": 1}, "z": None}, r"row 101 has a key 'z' that the rows before"),
    ({"x": 1.5, "s": {"a": 1, "b": None}}, r"row 101, column 's': \{'a': 1, 'b': None\}"),
])
def test_a_later_nested_value_or_null_key_the_first_block_does_not_hold_is_named(later, said
                                                                                  ) -> None:
    """Structs, lists and all-null columns are held to the first block's types as numbers
    are: the row is named, never a traceback of polars' (a struct that gained a field, a
    key whose only value is null)."""
    rows = [{"x": 1.5, "s": {"a": 1}, "l": [1, 2], "n": None}] * 100 + [later]
    with pytest.raises(InputError, match=said):
        read(jsonl(rows), 512)
    fitting = [{"x": 1.5, "s": {"a": 1, "b": 2}}] * 100 + [{"x": 2.5, "s": {"a": 3}}]
    assert read(jsonl(fitting), 512)[-1] == (2.5, {"a": 3, "b": None})


def test_json_lines_of_any_values_are_read_or_named_never_a_traceback() -> None:
    """Random JSON Lines of every kind of value, nested, across small blocks: the rows
    come back as Python's ``json`` reads them where they fit the first block's types,
    and anything else is an ``InputError``."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    leaf = st.none() | st.booleans() | st.integers(-5, 5) | st.sampled_from([0.5, -2.25])
    leaf |= st.sampled_from(["a", "b"])
    value = st.recursive(leaf, lambda inner: st.lists(inner, max_size=2)
                         | st.dictionaries(st.sampled_from("pq"), inner, max_size=2),
                         max_leaves=4)
    row = st.dictionaries(st.sampled_from(["x", "y", "z"]), value, min_size=1)

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(row, min_size=1, max_size=40), st.sampled_from([0, 16, 64]))
    def check(rows, block) -> None:
        try:
            got = read(jsonl(rows), block)
        except InputError:
            return
        assert len(got) == len(rows)

    check()


def test_text_goes_to_arrow_as_large_string_which_every_reader_reads(tmp_path) -> None:
    """CSV cells kept as text are written to an Arrow stream (standard output, -o
    .arrows) and an Arrow file (-o .arrow) as ``large_string`` (polars' oldest level),
    not ``string_view``, which older pyarrow and DuckDB cannot read."""
    src = tmp_path / "p.csv"
    src.write_text("x,y,id\n1.5,2,a\n3,4.25,b\n")
    piped = adcalc("grad", "x*y", "--points", str(src), "--output-format", "arrow")
    assert piped.returncode == 0, piped.stderr
    tables = [ipc.open_stream(piped.stdout).read_all()]
    for name in ("out.arrows", "out.arrow"):
        r = adcalc("grad", "x*y", "--points", str(src), "-o", str(tmp_path / name))
        assert r.returncode == 0, r.stderr
        data = (tmp_path / name).read_bytes()
        reader = ipc.open_stream(data) if name.endswith("s") else ipc.open_file(data)
        tables.append(reader.read_all())
    for t in tables:
        assert [str(f.type) for f in t.schema] == ["large_string"] * 3 + ["double"] * 3
        assert t.column("id").to_pylist() == ["a", "b"]
        assert t.column("x").to_pylist() == ["1.5", "3"]
        assert t.column("f").to_pylist() == [3.0, 12.75]
