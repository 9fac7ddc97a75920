"""grad --points: the gradient at every row of a CSV stream, through the array sweeps.

Reads records in chunks (``points_io``), sweeps each chunk as arrays (``batch``) and
writes each chunk before reading the next, so memory stays flat at any length.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

from adcalc.batch import check_columns, sweep_arrays
from adcalc.errors import DomainError
from adcalc.points_io import (
    CHUNK_ROWS,
    Committed,
    CsvOut,
    JsonLinesOut,
    Records,
    chunks,
    kink_warnings,
    read_header,
    to_columns,
)
from adcalc.tape import Tape


@dataclass
class BatchSummary:
    rows: int = 0
    bad: list[tuple[int, str]] = field(default_factory=list)
    """(row number, message) of every row that could not be evaluated."""
    kinks: list[int] = field(default_factory=list)
    """Rows at a non-differentiable point (a convention gave the derivative)."""
    kink_example: str = ""
    """The scalar path's warning at the first of those rows."""


def run_batch(tape: Tape, stream: IO[bytes] | IO[str], out: IO[str], fmt: str = "csv",
              mode: str = "reverse", variables: list[str] | None = None, strict: bool = False,
              progress: Callable[[int, int], None] | None = None,
              chunk_rows: int = CHUNK_ROWS) -> BatchSummary:
    """Stream points from ``stream`` to ``out``; ``progress(characters, rows)`` per chunk.

    Output goes out a chunk at a time; if writing fails (a full disk, a file-size limit)
    a regular file is cut back to its last whole chunk and ``OutputError`` says how many
    rows it holds: never a row cut in half.
    """
    records = Records(stream)
    rows_in = iter(records)
    header = read_header(rows_in)
    check_columns(tape, header)
    column = {name: k for k, name in enumerate(header)}
    index = {v: column[v] for v in tape.variables}
    names = list(variables or tape.variables)
    summary = BatchSummary()
    sink = Committed(out)
    try:
        writer: CsvOut | JsonLinesOut = (
            JsonLinesOut(out, header, names, index, tape) if fmt == "json"
            else CsvOut(out, header, names, records))
        sink.commit()
    except OSError as exc:
        raise sink.failed(exc, summary.rows) from None
    read = records.chars
    for first, rows in chunks(rows_in, len(header), chunk_rows):
        result = sweep_arrays(tape, to_columns(rows, index, first), mode, names, len(rows))
        if result.bad and strict:
            row, message = result.bad[0]
            raise DomainError(f"row {first + row}: {message}")
        try:
            writer.write(first, rows, result)
            sink.commit()
        except OSError as exc:
            raise sink.failed(exc, summary.rows) from None
        summary.bad += [(first + r, m) for r, m in result.bad]
        if result.kinks:
            import numpy as np

            at = np.flatnonzero(np.logical_or.reduce(list(result.kinks.values())))
            if at.size and not summary.kinks:
                example = kink_warnings(tape, names, result, int(at[0]))
                summary.kink_example = example[0].removeprefix("warning: ") if example else ""
            summary.kinks += [first + int(r) for r in at]
        summary.rows += len(rows)
        if progress is not None:
            progress(records.chars - read, len(rows))
            read = records.chars
    return summary
