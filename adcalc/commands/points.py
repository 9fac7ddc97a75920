"""grad --points: the gradient at every row of a CSV stream, through the array sweeps.

Reads records in chunks (``points_in``), sweeps each chunk as arrays (``batch``) and hands
each chunk to the writer (``render.points_out.PointsWriter``) before reading the next,
so memory stays flat at any length.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any, Protocol

from adcalc.batch import BatchResult, check_columns, output_columns, sweep_parallel
from adcalc.errors import DomainError, InputError
from adcalc.points_in import CHUNK_ROWS, Records, chunks, read_header, row_message, to_columns
from adcalc.tape import Tape


class Writer(Protocol):
    def begin(self, tape: Tape, header: list[str], names: list[str], index: dict[str, int],
              records: Records) -> None: ...

    def write(self, first: int, rows: list[list[str]], result: BatchResult) -> None: ...


@dataclass
class BatchSummary:
    rows: int = 0
    bad: list[tuple[int, str]] = field(default_factory=list)
    """(row number, message) of every row that could not be evaluated."""
    kinks: list[int] = field(default_factory=list)
    """Rows at a non-differentiable point (a convention gave the derivative)."""
    first_kink: tuple[list[float], list[int]] | None = None
    """At the first of those rows: every node's value and the nodes at a kink (what its
    warning quotes)."""


def run_batch(tape: Tape, stream: IO[bytes] | IO[str], writer: Writer, mode: str = "reverse",
              variables: list[str] | None = None, strict: bool = False,
              progress: Callable[[int, int], None] | None = None,
              chunk_rows: int = CHUNK_ROWS, threads: int | None = None) -> BatchSummary:
    """Stream points from ``stream`` through ``writer``; ``progress(characters, rows)``
    after each chunk."""
    records = Records(stream)
    rows_in = iter(records)
    header = read_header(rows_in)
    check_columns(tape, header)
    column = {name: k for k, name in enumerate(header)}
    index = {v: column[v] for v in tape.variables}
    names = list(variables or tape.variables)
    summary = BatchSummary()
    writer.begin(tape, header, names, index, records)
    read = records.chars
    for first, rows, unreadable in chunks(rows_in, len(header), chunk_rows):
        columns = to_columns(rows, index, unreadable)
        _, result = sweep_parallel(tape, columns, names, len(rows), "gradient", mode, threads)
        result.mark_bad(unreadable)
        if result.bad and strict:  # the good rows before the first bad one, then the error
            row, message = result.bad[0]
            if row:
                writer.write(first, rows[:row], result.take(row))
            kind = InputError if row in unreadable else DomainError
            raise kind(row_message(first + row, message))
        writer.write(first, rows, result)
        summary.bad += [(first + r, m) for r, m in result.bad]
        at = result.kink_rows()
        if at and summary.first_kink is None:
            summary.first_kink = (result.node_values(at[0]), result.kinks_at(at[0]))
        summary.kinks += [first + r for r in at]
        summary.rows += len(rows)
        if progress is not None:
            progress(records.chars - read, len(rows))
            read = records.chars
    return summary



def run_columnar(tape: Tape, source: str, source_format: str, target: str,
                 target_format: str, mode: str = "reverse", variables: list[str] | None = None,
                 strict: bool = False, stdout: IO[bytes] | None = None,
                 threads: int | None = None, kind: str = "gradient",
                 progress: Callable[[int, int], None] | None = None) -> BatchSummary:
    """``grad --points`` through polars (``adcalc.columnar``): the input scanned in
    batches, each swept as arrays inside polars' streaming engine, the output sunk to
    ``target`` batch by batch.  Output columns as the CSV writer's: the input columns
    (variables as numbers), then ``batch.output_columns`` of ``kind`` (a gradient, a
    Jacobian, a Hessian); a row that cannot be evaluated has null there (and, with
    ``strict``, stops the run).  ``progress(rows, rows)`` after each batch."""
    import io
    import threading

    from adcalc.columnar import polars, scan, sink, write_to
    from adcalc.inputs import MAX_TEXT, stdin_bytes

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
        header = frame.collect_schema().names()
    except Exception as exc:
        raise InputError(f"cannot read the points file {source!r} as {source_format}: "
                         f"{exc}") from None
    check_columns(tape, header)
    if source_format == "csv":  # a blank line is not a row (as adcalc's own CSV reader)
        frame = frame.filter(~pl.all_horizontal(pl.all().is_null()))
    names = list(variables or tape.variables)
    outputs = output_columns(tape, names, kind)
    taken = [c for c in outputs if c in header]
    if taken:
        raise InputError(f"the points already have a column {taken[0]!r}, which the output "
                         "would write again: rename it")
    schema = {c: (pl.Float64 if c in tape.var_node else t)
              for c, t in frame.collect_schema().items()}
    schema.update(dict.fromkeys(outputs, pl.Float64))
    summary = BatchSummary()
    lock = threading.Lock()
    stopped: list[Exception] = []
    frame = frame.with_row_index("__row", offset=1)

    def sweep(df: Any) -> Any:
        rows = df.height
        numbers = row = None
        unreadable: dict[int, str] = {}
        columns = {}
        for v in tape.var_node:
            raw = df[v]
            numbers = raw.cast(pl.Float64, strict=False)
            for k in numbers.is_null().arg_true().to_list():
                cell = raw[k]
                unreadable.setdefault(k, f"column {v}: " + (
                    "the cell is empty" if cell is None or str(cell).strip() == ""
                    else f"{cell!r} is not a number"))
            columns[v] = numbers.fill_null(float("nan")).to_numpy()
        row = df["__row"].to_numpy()
        computed, result = sweep_parallel(tape, columns, names, rows, kind, mode, threads)
        result.mark_bad(unreadable)
        bad_rows = [r for r, _ in result.bad]
        with lock:
            if result.bad and strict and not stopped:
                k, message = result.bad[0]
                error = InputError if k in unreadable else DomainError
                stopped.append(error(row_message(int(row[k]), message)))
            summary.rows += rows
            if progress is not None:
                progress(rows, rows)
            summary.bad += [(int(row[r]), m) for r, m in result.bad]
            at = result.kink_rows()
            if at:
                first = int(row[at[0]])
                if summary.first_kink is None or first < summary.kinks[0]:
                    summary.first_kink = (result.node_values(at[0]), result.kinks_at(at[0]))
                summary.kinks += [int(row[r]) for r in at]
                summary.kinks.sort()
        if stopped:
            raise stopped[0]
        out = [pl.Series(v, columns[v]) for v in tape.var_node]
        for name in outputs:
            series = pl.Series(name, computed[name])
            if bad_rows:  # a row that could not be evaluated: null, as JSON has it
                series = series.scatter(bad_rows, None)
            out.append(series)
        return df.drop("__row").with_columns(out)

    mapped = frame.map_batches(sweep, schema=schema, streamable=True)
    try:
        if target == "-":
            assert stdout is not None
            write_to(mapped, stdout, target_format)
        else:
            sink(mapped, target, target_format)
    except Exception as exc:
        if stopped:
            raise stopped[0] from None
        if isinstance(exc, InputError):
            raise
        raise InputError(f"the points could not be swept: {exc}") from None
    summary.bad.sort()
    return summary
