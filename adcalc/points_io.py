"""Points in, gradients out: CSV with a header, streamed in chunks; CSV or JSON Lines.

Rows are numbered from 1 after the header.  Columns that name no variable pass
through to the output untouched; a missing variable column, a row of the wrong width or
a cell that is not a number stops with a message naming the row and the column.
"""

from __future__ import annotations

import csv
import json
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import IO, Any

from adcalc.batch import BatchResult, check_columns, sweep_arrays
from adcalc.errors import DomainError, InputError
from adcalc.tape import Tape

CHUNK_ROWS = 65_536


@dataclass
class BatchSummary:
    rows: int = 0
    bad: list[tuple[int, str]] = field(default_factory=list)
    """(row number, message) of every row that could not be evaluated."""


def _lines(stream: IO[str], n: int) -> list[str]:
    return list(islice(stream, n))


def read_header(stream: IO[str]) -> list[str]:
    first = _lines(stream, 1)
    if not first or not first[0].strip():
        raise InputError("the points are empty: the first line must be a header naming the "
                         "variables, like x1,x2")
    return [h.strip() for h in next(csv.reader(first))]


def chunks(stream: IO[str], width: int, chunk_rows: int = CHUNK_ROWS
           ) -> Iterator[tuple[int, list[list[str]], int]]:
    """(first row number, rows, characters read) for each chunk of the data."""
    number = 1
    while True:
        lines = _lines(stream, chunk_rows)
        if not lines:
            return
        rows = [r for r in csv.reader(lines)]
        for k, r in enumerate(rows):
            if len(r) != width and any(cell.strip() for cell in r):
                raise InputError(f"row {number + k} has {len(r)} cells, but the header has "
                                 f"{width}")
        rows = [r for r in rows if len(r) == width]
        yield number, rows, sum(map(len, lines))
        number += len(lines)


def to_columns(rows: list[list[str]], header: list[str], names: list[str], first: int
               ) -> dict[str, Any]:
    import numpy as np

    columns = {}
    for name in names:
        k = header.index(name)
        cells = [r[k] for r in rows]
        try:
            columns[name] = np.array(cells, dtype=np.float64)
        except ValueError:
            for j, cell in enumerate(cells):
                try:
                    float(cell)
                except ValueError:
                    raise InputError(f"row {first + j}, column {name}: {cell.strip()!r} is not "
                                     "a number") from None
    return columns


class CsvOut:
    def __init__(self, out: IO[str], header: list[str], names: list[str]) -> None:
        self.writer = csv.writer(out, lineterminator="\n")
        self.writer.writerow([*header, "f", *(f"df/d{n}" for n in names)])
        self.names = names

    def write(self, first: int, rows: list[list[str]], result: BatchResult) -> None:
        grads = [result.gradient[n].tolist() for n in self.names]
        values = result.values.tolist()
        self.writer.writerows(
            [*row, repr(values[j]), *(repr(g[j]) for g in grads)] for j, row in enumerate(rows)
        )


class JsonLinesOut:
    def __init__(self, out: IO[str], header: list[str], names: list[str], variables: list[str]
                 ) -> None:
        self.out, self.header, self.names = out, header, names
        self.index = {v: header.index(v) for v in variables}
        self.extra = [k for k, h in enumerate(header) if h not in self.index]

    def write(self, first: int, rows: list[list[str]], result: BatchResult) -> None:
        bad = dict(result.bad)
        values = result.values.tolist()
        grads = {n: result.gradient[n].tolist() for n in self.names}
        lines = []
        for j, row in enumerate(rows):
            item: dict[str, Any] = {
                "row": first + j,
                "point": {v: _finite(float(row[k])) for v, k in self.index.items()},
                "value": _finite(values[j]),
                "gradient": {n: _finite(grads[n][j]) for n in self.names},
            }
            if self.extra:
                item["columns"] = {self.header[k]: row[k] for k in self.extra}
            if j in bad:
                item["error"] = bad[j]
            lines.append(json.dumps(item, allow_nan=False, ensure_ascii=False))
        self.out.write("\n".join(lines) + ("\n" if lines else ""))


def _finite(x: float) -> float | None:
    """JSON has no NaN: a bad row's numbers are null."""
    return x if math.isfinite(x) else None


def run_batch(tape: Tape, stream: IO[str], out: IO[str], fmt: str = "csv", mode: str = "reverse",
              order: list[str] | None = None, strict: bool = False,
              progress: Callable[[int, int], None] | None = None,
              chunk_rows: int = CHUNK_ROWS) -> BatchSummary:
    """Stream points from ``stream`` to ``out``; ``progress(characters, rows)`` per chunk."""
    header = read_header(stream)
    check_columns(tape, header)
    names = list(order or tape.variables)
    writer: CsvOut | JsonLinesOut = (
        JsonLinesOut(out, header, names, tape.variables) if fmt == "json"
        else CsvOut(out, header, names))
    summary = BatchSummary()
    for first, rows, size in chunks(stream, len(header), chunk_rows):
        if not rows:
            continue
        result = sweep_arrays(tape, to_columns(rows, header, tape.variables, first), mode, names)
        if result.bad and strict:
            row, message = result.bad[0]
            raise DomainError(f"row {first + row}: {message}")
        summary.bad += [(first + r, m) for r, m in result.bad]
        writer.write(first, rows, result)
        summary.rows += len(rows)
        if progress is not None:
            progress(size, len(rows))
    return summary


def bad_rows_message(summary: BatchSummary) -> str:
    n = len(summary.bad)
    shown = ", ".join(str(r) for r, _ in summary.bad[:5]) + (", …" if n > 5 else "")
    row, message = summary.bad[0]
    return (f"warning: {n} of {summary.rows:,} rows could not be evaluated and are NaN "
            f"(row{'s' if n > 1 else ''} {shown}); row {row}: {message}")


class Progress:
    """A Rich progress bar on a terminal, shown only when the work takes over a second."""

    def __init__(self, total_chars: int | None) -> None:
        self.total = total_chars
        self.start = time.perf_counter()
        self.done = 0
        self.bar: Any = None
        self.task: Any = None

    def __call__(self, chars: int, rows: int) -> None:
        self.done += chars
        if self.bar is None:
            elapsed = time.perf_counter() - self.start
            if not self.total or elapsed * self.total / max(self.done, 1) < 1.0:
                return
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeRemainingColumn

            self.bar = Progress("[progress.description]{task.description}", BarColumn(),
                                TaskProgressColumn(), TimeRemainingColumn(),
                                console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task("evaluating points", total=self.total)
        self.bar.update(self.task, completed=self.done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def open_points(source: str) -> tuple[IO[str], int | None]:
    """The points stream and its size in characters (None for standard input)."""
    import os
    import sys

    if source == "-":
        return sys.stdin, None
    try:
        size = os.path.getsize(source)
        return open(source, encoding="utf-8", newline=""), size
    except OSError as exc:
        raise InputError(f"cannot read the points file {source}: {exc.strerror}") from None

