"""grad --points: the gradient at every row of a CSV stream, through the array sweeps.

Reads records in chunks (``points_in``), sweeps each chunk as arrays (``batch``) and hands
each chunk to the writer (``render.points_out.PointsWriter``) before reading the next,
so memory stays flat at any length.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Protocol

from adcalc.batch import BatchResult, check_columns, sweep_arrays
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
              chunk_rows: int = CHUNK_ROWS) -> BatchSummary:
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
        result = sweep_arrays(tape, columns, mode, names, len(rows))
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

