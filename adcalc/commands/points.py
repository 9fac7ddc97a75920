"""grad --points: the gradient at every row of a CSV stream, through the array sweeps.

Reads records in chunks (``points_in``), sweeps each chunk as arrays (``batch``) and hands
each chunk to the writer (``render.points_out.PointsWriter``) before reading the next,
so memory stays flat at any length.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Protocol

from adcalc.batch.csv_in import CHUNK_ROWS, Records, chunks, read_header, row_message, to_columns
from adcalc.batch.sweep import (
    BatchResult,
    check_columns,
    check_outputs,
    output_columns,
    sweep_parallel,
)
from adcalc.engine.tape import Tape
from adcalc.errors import AdcalcError, DomainError, InputError, param


class Writer(Protocol):
    def begin(self, tape: Tape, header: list[str], names: list[str], outputs: list[str],
              records: Records) -> None: ...

    def write(self, first: int, rows: list[list[str]], computed: dict[str, Any],
              result: BatchResult) -> None: ...


@dataclass
class BatchSummary:
    rows: int = 0
    bad: list[tuple[int, str]] = field(default_factory=list)
    """(row number, message) of every row that could not be evaluated."""
    kinks: list[int] = field(default_factory=list)
    """Rows at a non-differentiable point (a convention gave the derivative)."""
    first_kink: tuple[list[float], list[int]] | str | None = None
    """At the first of those rows: every node's value and the nodes at a kink (what its
    warning quotes), or the warning itself (a program's rows, on several paths)."""

    def add(self, result: BatchResult, row: Any, rows: int) -> None:
        """A batch swept in any order (polars' batches): ``row[r]`` is the file's row
        number of the batch's row ``r``; the first kink kept is the file's first."""
        self.rows += rows
        self.bad += [(int(row[r]), m) for r, m in result.bad]
        at = result.kink_rows()
        if at:
            first = int(row[at[0]])
            if self.first_kink is None or first < self.kinks[0]:
                self.first_kink = result.kink_example(at[0])
            self.kinks += [int(row[r]) for r in at]
            self.kinks.sort()


def run_batch(tape: Tape, stream: IO[bytes] | IO[str], writer: Writer, mode: str = "reverse",
              variables: list[str] | None = None, strict: bool = False,
              progress: Callable[[int, int], None] | None = None,
              chunk_rows: int = CHUNK_ROWS, threads: int | None = None,
              kind: str = "gradient") -> BatchSummary:
    """Stream points from ``stream`` through ``writer``; ``progress(characters, rows)``
    after each chunk."""
    summary = BatchSummary()
    for first, rows, computed, result in swept(
            tape, stream, writer, summary, mode, variables, strict, progress, chunk_rows,
            threads, kind):
        writer.write(first, rows, computed, result)
    return summary


def swept(tape: Tape, stream: IO[bytes] | IO[str], writer: Writer, summary: BatchSummary,
          mode: str = "reverse", variables: list[str] | None = None, strict: bool = False,
          progress: Callable[[int, int], None] | None = None, chunk_rows: int = CHUNK_ROWS,
          threads: int | None = None, kind: str = "gradient"
          ) -> Iterator[tuple[int, list[list[str]], dict[str, Any], BatchResult]]:
    """(first row number, rows of cells, output columns, result) of each chunk of a CSV
    stream: adcalc's own reader, the one every CSV goes through (to standard output or
    to a file, CSV, JSON Lines, Parquet or Arrow), so a cell reads the same everywhere.
    ``writer.begin`` is told the header and the output columns first.  With ``strict``,
    the good rows before the first bad one, then the error."""
    import numpy as np

    records = Records(stream)
    rows_in = iter(records)
    header = read_header(rows_in)
    check_columns(tape, header)
    column = {name: k for k, name in enumerate(header)}
    index = {v: column[v] for v in tape.variables}
    names = list(variables or tape.variables)
    outputs = output_columns(tape, names, kind)
    check_outputs(header, outputs)
    writer.begin(tape, header, names, outputs, records)
    read = records.chars
    for first, rows, unreadable in chunks(rows_in, len(header), chunk_rows):
        columns = to_columns(rows, index, unreadable)
        computed, result = sweep_parallel(tape, columns, names, len(rows), kind, mode, threads)
        result.mark_bad(unreadable)
        if result.bad:
            at = [r for r, _ in result.bad]
            for array in computed.values():
                array[at] = np.nan
        if result.bad and strict:  # the good rows before the first bad one, then the error
            row, message = result.bad[0]
            if row:
                yield (first, rows[:row], {c: a[:row] for c, a in computed.items()},
                       result.take(row))
            error = InputError if row in unreadable else DomainError
            raise error(row_message(first + row, message))
        yield first, rows, computed, result
        summary.bad += [(first + r, m) for r, m in result.bad]
        at = result.kink_rows()
        if at and summary.first_kink is None:
            summary.first_kink = result.kink_example(at[0])
        summary.kinks += [first + r for r in at]
        summary.rows += len(rows)
        if progress is not None:
            progress(records.chars - read, len(rows))
            read = records.chars


def check_target(target: str, sources: list[str], overwrite: bool) -> None:
    """An output file is new unless ``--overwrite`` says to replace it, and it is never
    one of the points it is made from."""
    import glob
    import os

    if target == "-":
        return
    here = os.path.realpath(target)
    for source in sources:
        if source == "-":
            continue
        named = glob.glob(source) if glob.has_magic(source) else [source]
        for path in named:
            path = os.path.realpath(path)
            if here == path or path.startswith(here.rstrip(os.sep) + os.sep) or (
                    here.startswith(path.rstrip(os.sep) + os.sep)):
                raise InputError(f"the output {target!r} is the points it is made from "
                                 f"({source!r}): write it somewhere else")
    if os.path.isdir(target) and not overwrite:
        raise InputError(f"the output {target!r} is a folder: name a file")
    if os.path.lexists(target) and not overwrite:
        raise InputError(f"the output {target!r} exists: give {param('overwrite')} to "
                         "replace it, or name another file")


class Replacing:
    """Write to a new file beside ``target``, moved onto it only when the run succeeds: a
    run that fails leaves no file it made and no file it was to replace changed."""

    def __init__(self, target: str) -> None:
        import os
        import tempfile

        folder, name = os.path.split(os.path.abspath(target))
        try:
            fd, self.path = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=folder)
        except OSError as exc:
            raise InputError(f"cannot write the output {target!r}: "
                             f"{exc.strerror or exc}") from None
        os.close(fd)
        self.target = target

    def __enter__(self) -> str:
        return self.path

    def __exit__(self, kind: type | None, exc: BaseException | None, tb: Any) -> bool:
        import os

        if exc is None:
            try:
                os.replace(self.path, self.target)
                return False
            except OSError as error:
                exc = InputError(f"cannot write the output {self.target!r}: "
                                 f"{error.strerror or error}")
        with contextlib.suppress(OSError):
            os.unlink(self.path)
        if kind is None:
            raise exc
        return False


class _Frames:
    """A writer that keeps each chunk as a polars frame (the input cells as text, as they
    came, then the output columns; a bad row's outputs null), for a polars sink."""

    def __init__(self, pl: Any) -> None:
        self.pl = pl
        self.header: list[str] = []
        self.outputs: list[str] = []
        self.frame: Any = None

    def begin(self, tape: Tape, header: list[str], names: list[str], outputs: list[str],
              records: Records) -> None:
        self.header, self.outputs = header, outputs

    def schema(self) -> dict[str, Any]:
        pl = self.pl
        return {**dict.fromkeys(self.header, pl.String), **dict.fromkeys(self.outputs,
                                                                            pl.Float64)}

    def write(self, first: int, rows: list[list[str]], computed: dict[str, Any],
              result: BatchResult) -> None:
        pl = self.pl
        bad = [r for r, _ in result.bad]
        series = [pl.Series(h, [r[k] for r in rows], dtype=pl.String)
                  for k, h in enumerate(self.header)]
        for c in self.outputs:
            s = pl.Series(c, computed[c], dtype=pl.Float64)
            series.append(s.scatter(bad, None) if bad else s)
        self.frame = pl.DataFrame(series)


def run_csv_frames(tape: Tape, stream: IO[bytes], target: str, target_format: str,
                   mode: str = "reverse", variables: list[str] | None = None,
                   strict: bool = False, threads: int | None = None, kind: str = "gradient",
                   progress: Callable[[int, int], None] | None = None) -> BatchSummary:
    """CSV points (adcalc's own reader) to Parquet or Arrow through a polars sink, chunk
    by chunk: the input columns as text, exactly the cells that came in."""
    from adcalc.batch.columnar import polars, sink

    pl = polars(threads)
    summary = BatchSummary()
    frames = _Frames(pl)
    chunks_in = swept(tape, stream, frames, summary, mode, variables, strict, progress,
                      threads=threads, kind=kind)
    first = next(chunks_in, None)  # reads the header: the schema
    stopped: list[BaseException] = []

    def source(with_columns: Any, predicate: Any, n_rows: Any, batch_size: Any
               ) -> Iterator[Any]:
        if first is None:
            return
        frames.write(*first)
        yield frames.frame
        try:
            for item in chunks_in:
                frames.write(*item)
                yield frames.frame
        except Exception as exc:  # said after the sink, not inside polars
            stopped.append(exc)

    from polars.io.plugins import register_io_source

    lazy = register_io_source(source, schema=frames.schema())
    try:
        sink(lazy, target, target_format)
    except Exception as exc:
        if stopped:
            raise stopped[0] from None
        raise InputError(f"the points could not be written: {exc}") from None
    if stopped:
        raise stopped[0]
    summary.bad.sort()
    return summary


def run_columnar(tape: Tape, source: str, source_format: str, target: str,
                 target_format: str, mode: str = "reverse", variables: list[str] | None = None,
                 strict: bool = False, stdout: IO[bytes] | None = None,
                 threads: int | None = None, kind: str = "gradient",
                 progress: Callable[[int, int], None] | None = None) -> BatchSummary:
    """``--points`` in Parquet, Arrow or JSON Lines, through polars (``adcalc.columnar``):
    the input scanned in batches, each swept as arrays inside polars' streaming engine,
    the output sunk to ``target`` batch by batch.  The input columns go out as they came
    (their types and values untouched: a variable is read as a number only to be swept,
    a cell of text as adcalc's CSV reader reads one), then ``batch.output_columns`` of
    ``kind``; a row that cannot be evaluated has null there.  With ``strict`` a bad row
    stops the run: nothing is written to a file, and standard output gets the rows before
    the first bad one.  ``progress(rows, rows)`` after each batch."""
    import io
    import threading

    from adcalc.batch.columnar import numbers, polars, scan, sink, write_to
    from adcalc.frontend.inputs import MAX_TEXT, stdin_bytes

    pl = polars(threads)
    if source == "-":
        data = stdin_bytes("the points").read(MAX_TEXT + 1)
        if len(data) > MAX_TEXT:
            raise InputError(f"the points on standard input are longer than {MAX_TEXT:,} "
                             "bytes: give them in a file")
        read = {"csv": lambda b: pl.read_csv(b, infer_schema=False), "parquet": pl.read_parquet,
                "arrow": pl.read_ipc, "jsonl": pl.read_ndjson}[source_format]
        try:
            frame = read(io.BytesIO(data)).lazy()
        except Exception as exc:
            raise InputError(f"cannot read the points on standard input as {source_format}: "
                             f"{exc}") from None
    else:
        frame = scan(source, source_format)
    try:
        schema_in = frame.collect_schema()
    except Exception as exc:
        raise InputError(f"cannot read the points file {source!r} as {source_format}: "
                         f"{exc}") from None
    header = schema_in.names()
    check_columns(tape, header)
    names = list(variables or tape.variables)
    outputs = output_columns(tape, names, kind)
    check_outputs(header, outputs)
    for v in tape.var_node:
        dtype = schema_in[v]
        if not (dtype.is_numeric() or dtype == pl.String or dtype == pl.Null):
            raise InputError(f"the points' column {v} holds {dtype}, not numbers")
    schema = dict(schema_in.items())
    schema.update(dict.fromkeys(outputs, pl.Float64))
    schema["__row"] = pl.UInt32
    summary = BatchSummary()
    lock = threading.Lock()
    frame = frame.with_row_index("__row", offset=1)

    def sweep(df: Any) -> Any:
        rows = df.height
        unreadable: dict[int, str] = {}
        columns = {v: numbers(pl, v, df[v], unreadable) for v in tape.var_node}
        row = df["__row"].to_numpy()
        computed, result = sweep_parallel(tape, columns, names, rows, kind, mode, threads)
        result.mark_bad(unreadable)
        bad_rows = [r for r, _ in result.bad]
        with lock:
            summary.add(result, row, rows)
            if progress is not None:
                progress(rows, rows)
        out = []
        for name in outputs:
            series = pl.Series(name, computed[name], dtype=pl.Float64)
            if bad_rows:  # a row that could not be evaluated: null, as JSON has it
                series = series.scatter(bad_rows, None)
            out.append(series)
        return df.with_columns(out).select(list(schema))

    mapped = frame.map_batches(sweep, schema=schema, streamable=True)

    def first_bad() -> Exception:
        summary.bad.sort()
        row, message = summary.bad[0]
        error = InputError if message.startswith("column ") else DomainError
        return error(row_message(row, message))

    try:
        if target == "-":
            assert stdout is not None
            result = mapped.collect(engine="streaming").sort("__row")
            if strict and summary.bad:
                stop = first_bad()
                write_to(result.filter(pl.col("__row") < summary.bad[0][0]).drop("__row"),
                         stdout, target_format)
                raise stop
            write_to(result.drop("__row"), stdout, target_format)
        else:
            sink(mapped.drop("__row"), target, target_format)
    except AdcalcError:
        raise
    except Exception as exc:
        raise InputError(f"the points could not be swept: {exc}") from None
    if strict and summary.bad:
        raise first_bad()
    summary.bad.sort()
    return summary


class Fallback(Exception):
    """polars cannot be trusted to read this CSV file as adcalc's own reader does (a lone
    ``\\r``, a row of the wrong width, quoting polars reads otherwise, bad bytes): the
    caller reads it again with ``points_in``, which gives the answer and the messages.
    ``written``: the rows already on standard output (the header too, when not ``None``),
    for the reader to go on after."""

    def __init__(self, written: int | None = None) -> None:
        super().__init__()
        self.written = written


class ChunkOut(Protocol):
    def write(self, data: bytes, rows: int) -> None: ...


def polars_can_read(path: str) -> bool:
    """Whether a CSV file may go through polars' reader: a regular file whose lines end
    at ``\\n`` or ``\\r\\n`` (adcalc's reader also ends a line at a lone ``\\r``)."""
    import mmap
    import os
    import re
    import stat

    try:
        with open(path, "rb") as f:
            info = os.fstat(f.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_size == 0:
                return False
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
                return data.find(b"\r") < 0 or re.search(rb"\r(?!\n)", data) is None
    except (OSError, ValueError):
        return False


SPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
         "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
"""Every character Python's ``str.strip`` strips (``str.isspace``): a blank row is
blank as adcalc's reader sees it."""


def run_csv_polars(tape: Tape, source: str, target: str, target_format: str,
                   mode: str = "reverse", variables: list[str] | None = None,
                   strict: bool = False, threads: int | None = None, kind: str = "gradient",
                   progress: Callable[[int, int], None] | None = None,
                   out: ChunkOut | None = None) -> BatchSummary:
    """A CSV file of points to a file (CSV, JSON Lines, Parquet, Arrow) through polars'
    reader and writer, with what ``run_batch`` writes: the header as adcalc's reader
    reads it, every cell as text exactly as it came (an empty cell is ``""``), a
    variable read by the shared cell reader's rules (``columnar.numbers``: polars casts
    the plain decimals, the reader reads the rest), blank rows skipped, rows numbered as
    there, and the outputs as the stream writes them (CSV: ``repr``, ``nan``; JSON Lines:
    the same bytes as ``--format json``; Parquet, Arrow: doubles, null for a bad row).
    Raises ``Fallback`` when the file holds what only adcalc's reader reads right.
    ``target`` ``"-"``: CSV or JSON Lines to ``out`` batch by batch, in order (with
    ``strict``, the rows before the first bad one, then the error, as ``run_batch``)."""
    import json
    import threading

    import numpy as np

    from adcalc.batch.columnar import float_fixes, json_lines, numbers, polars, sink

    pl = polars(threads)
    with open(source, "rb") as stream:  # the header, and its errors, as the reader has them
        header = read_header(iter(Records(stream)))
    check_columns(tape, header)
    names = list(variables or tape.variables)
    outputs = output_columns(tape, names, kind)
    check_outputs(header, outputs)
    try:
        frame = pl.scan_csv(source, infer_schema=False)
        raw = frame.collect_schema().names()
    except Exception:
        raise Fallback from None
    if [n.strip() for n in raw] != header:
        raise Fallback
    frame = frame.rename(dict(zip(raw, header, strict=True)))
    blank = pl.all_horizontal([pl.col(h).fill_null("").str.strip_chars(SPACE) == ""
                               for h in header])
    frame = frame.filter(~blank).with_row_index("__row", offset=1)
    last = header[-1]
    if target_format == "jsonl":
        schema = {"line": pl.String}
    else:
        schema = {**dict.fromkeys(header, pl.String), **dict.fromkeys(outputs, pl.Float64)}
        if target_format == "csv":  # the text of a few doubles (see float_fixes)
            schema.update({f"__fix {c}": pl.String for c in outputs})
    streaming = target == "-"
    if streaming:  # each row's number and whether it is bad: for --strict
        schema.update({"__row": pl.Int64, "__bad": pl.Boolean})
    keys = [json.dumps(c, ensure_ascii=False) + ": " for c in [*header, *outputs]]
    summary = BatchSummary()
    lock = threading.Lock()
    stopped: list[BaseException] = []

    def sweep(df: Any) -> Any:
        rows = df.height
        if stopped:  # the run has stopped: the batches still in flight too
            raise stopped[0]
        if len(header) > 1 and df[last].null_count():  # an empty last cell, or a short row
            stopped.append(Fallback())
            raise stopped[-1]
        unreadable: dict[int, str] = {}
        cells = {h: df[h].fill_null("") for h in header}
        columns = {v: numbers(pl, v, cells[v], unreadable) for v in tape.variables}
        row = df["__row"].to_numpy()
        computed, result = sweep_parallel(tape, columns, names, rows, kind, mode, threads)
        result.mark_bad(unreadable)
        bad_rows = [r for r, _ in result.bad]
        if bad_rows:
            for array in computed.values():
                array[bad_rows] = np.nan
        with lock:
            summary.add(result, row, rows)
            if progress is not None:
                progress(rows, rows)
        if target_format == "csv":
            frame = pl.DataFrame([*cells.values(), *(
                pl.Series(c, computed[c], dtype=pl.Float64) for c in outputs), *(
                float_fixes(pl, computed[c]).alias(f"__fix {c}") for c in outputs)])
        elif target_format == "jsonl":
            frame = pl.DataFrame({"line": json_lines(pl, cells, computed, keys, outputs)})
        else:
            out = [pl.Series(c, computed[c], dtype=pl.Float64) for c in outputs]
            if bad_rows:
                out = [s.scatter(bad_rows, None) for s in out]
            frame = pl.DataFrame([*cells.values(), *out])
        if streaming:
            flags = np.zeros(rows, dtype=bool)
            flags[bad_rows] = True
            frame = frame.with_columns(df["__row"].cast(pl.Int64), pl.Series("__bad", flags))
        return frame

    mapped = frame.map_batches(sweep, schema=schema, streamable=True)
    if target_format == "csv":  # each double as repr writes it: polars' text, a few fixed
        mapped = mapped.select(*header, *(pl.coalesce(pl.col(f"__fix {c}"), pl.col(c).cast(
            pl.String)).alias(c) for c in outputs), *(["__row", "__bad"] if streaming else []))
    if streaming:
        assert out is not None
        return stream_polars(pl, mapped, target_format, out, strict, summary, stopped)
    try:
        if target_format == "jsonl":
            mapped.sink_csv(target, include_header=False, quote_style="never")
        else:
            sink(mapped, target, target_format)
    except Exception as exc:  # a polars error, or a file only adcalc's reader reads right
        if stopped and not isinstance(stopped[0], Fallback):
            raise stopped[0] from None
        raise Fallback from exc
    summary.bad.sort()
    if strict and summary.bad:
        raise first_bad(summary.bad[0])
    return summary


def first_bad(bad: tuple[int, str]) -> AdcalcError:
    row, message = bad
    error = InputError if message.startswith("column ") else DomainError
    return error(row_message(row, message))


def stream_polars(pl: Any, mapped: Any, target_format: str, out: ChunkOut, strict: bool,
                  summary: BatchSummary, stopped: list[BaseException]) -> BatchSummary:
    """``run_csv_polars`` to standard output: each batch of the swept frame, in order,
    written whole through ``out``.  A file only adcalc's reader reads right raises
    ``Fallback`` with the rows already written."""
    text = {"include_header": False, "quote_style": "never"} if target_format == "jsonl" \
        else {}
    written: int | None = None  # None: not even the header yet
    batches = mapped.collect_batches(chunk_size=CHUNK_ROWS)  # chunks as run_batch's
    try:
        while True:
            try:
                df = next(batches, None)
            except Exception as exc:  # a polars error, or a file only adcalc's reader reads
                if stopped and not isinstance(stopped[0], Fallback):
                    raise stopped[0] from None
                raise Fallback(written) from exc
            if df is None:
                break
            bad = df["__bad"].arg_true() if strict else []
            row = int(df["__row"][int(bad[0])]) if len(bad) else 0
            if row:
                df = df.head(int(bad[0]))
            if written is None or df.height:
                data = df.drop("__row", "__bad").write_csv(
                    **({"include_header": written is None} | text)).encode()
                out.write(data, df.height)
                written = (written or 0) + df.height
            if row:
                raise first_bad(next(b for b in summary.bad if b[0] == row))
    except BaseException:  # stopped early (--strict, a closed pipe, Ctrl-C): the batches
        stopped.append(Fallback())  # still in flight end at once, and polars' threads with
        with contextlib.suppress(BaseException):  # them, before Python exits (a second
            for _ in batches:  # Ctrl-C, polars' own error: the first stands)
                pass
        raise
    if written is None and target_format == "csv":  # no rows: the header alone
        empty = pl.DataFrame(schema=mapped.collect_schema()).drop("__row", "__bad")
        out.write(empty.write_csv().encode(), 0)
    summary.bad.sort()
    return summary


def batch_tape(expression: Any, variables: Sequence[str] | None, kind: str = "gradient"
               ) -> tuple[Any, list[str] | None]:
    """What a batch sweeps, and its variables in order: a straight-line expression's
    tape (``prepare``), or a program's ``ProgramPaths`` (its variables come with the
    points' header: ``None``, or ``--vars`` as given, checked then)."""
    from adcalc.batch.paths import Program, ProgramPaths
    from adcalc.commands.common import prepare
    from adcalc.engine.profile import stage
    from adcalc.frontend.parse import parse_program

    if isinstance(expression, str):
        with stage("parse + tape"):
            expression = parse_program(expression)
        if isinstance(expression, Program):
            return ProgramPaths(expression, kind, variables), (
                list(variables) if variables else None)
    s = prepare(expression, None, variables, scalar=None if kind == "jacobian" else
                ("grad" if kind == "gradient" else kind))
    return s.tape, s.variables
