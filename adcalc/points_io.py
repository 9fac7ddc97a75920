"""Points in, gradients out: CSV with a header, streamed in chunks; CSV or JSON Lines.

Rows are the CSV records after the header, numbered from 1 (blank lines are not rows).
Columns that name no variable pass through to the output untouched; a missing variable
column, a row of the wrong width or a cell that is not a number stops with a message
naming the row and the column.
"""

from __future__ import annotations

import csv
import json
import re
import time
from collections.abc import Iterator
from itertools import islice
from typing import IO, TYPE_CHECKING, Any

from adcalc.batch import BatchResult
from adcalc.errors import InputError, OutputError
from adcalc.inputs import MAX_TEXT, decode, open_bytes, stdin_bytes
from adcalc.render.json_out import number
from adcalc.tape import Tape

if TYPE_CHECKING:
    from adcalc.commands.points import BatchSummary

CHUNK_ROWS = 65_536
_LONE_CR = re.compile(r"(?<=\r)(?!\n)")


class Records:
    """The records of a CSV stream, as Python's csv module reads them.

    Records, not lines: a quoted cell may hold new lines.  The stream may give bytes
    (files, standard input: decoded line by line as UTF-8, so a bad byte is placed
    exactly) or text.  Lines end at ``\n``, ``\r\n`` or a lone ``\r``, as with
    ``newline=""``.  A line is at most ``MAX_TEXT`` bytes, so no input can fill the memory;
    bad bytes or bad quoting become messages.  ``chars`` counts what was read (for the
    progress bar).
    """

    def __init__(self, stream: IO[bytes] | IO[str]) -> None:
        self.stream = stream
        self.chars = 0
        self.line = 0
        self.carriage_return = False
        """Whether any line held a ``\r`` (which CSV output must then quote)."""
        csv.field_size_limit(max(csv.field_size_limit(), MAX_TEXT))
        self.reader = csv.reader(self._lines())

    def _lines(self) -> Iterator[str]:
        readline = self.stream.readline
        while True:
            try:
                line = readline(MAX_TEXT + 1)
            except OSError as exc:
                raise InputError(f"cannot read the points: {exc.strerror or exc}") from None
            if not line:
                return
            self.line += 1
            if len(line) > MAX_TEXT:
                raise InputError(f"line {self.line} of the points is longer than "
                                 f"{MAX_TEXT:,} bytes")
            self.chars += len(line)
            if isinstance(line, bytes):
                line = decode(line, f"line {self.line} of the points", self.line == 1)
            if "\r" in line:
                self.carriage_return = True
                pieces = _LONE_CR.split(line)
                self.line += len(pieces) - 1
                yield from pieces
            else:
                yield line

    def __iter__(self) -> Iterator[list[str]]:
        """Every record that has a non-blank cell (blank lines are not rows)."""
        reader = self.reader
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise InputError(f"line {self.line} of the points is not valid CSV: "
                                 f"{exc}") from None
            if any(cell.strip() for cell in record):
                yield record


def read_header(records: Iterator[list[str]]) -> list[str]:
    first = next(records, None)
    if first is None:
        raise InputError("the points are empty: the first line must be a header naming the "
                         "variables, like x1,x2")
    header = [h.strip() for h in first]
    seen: dict[str, int] = {}
    for k, name in enumerate(header, start=1):
        if name in seen:
            raise InputError(f"the header names column {name!r} twice (columns {seen[name]} "
                             f"and {k}); every column needs its own name")
        seen[name] = k
    return header


def chunks(records: Iterator[list[str]], width: int, chunk_rows: int = CHUNK_ROWS
           ) -> Iterator[tuple[int, list[list[str]]]]:
    """(first row number, rows) for each chunk of data records, numbered from 1."""
    number = 1
    while True:
        rows = list(islice(records, chunk_rows))
        if not rows:
            return
        for k, r in enumerate(rows):
            if len(r) != width:
                raise InputError(f"row {number + k} has {len(r)} cells, but the header has "
                                 f"{width}")
        yield number, rows
        number += len(rows)


def to_columns(rows: list[list[str]], index: dict[str, int], first: int) -> dict[str, Any]:
    """Each variable's column (name → float64 array); ``index`` gives its cell."""
    import numpy as np

    columns = {}
    for name, k in index.items():
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
    """CSV out, new lines as ``\n``.  Python's writer quotes a cell holding ``\n`` but
    not one holding a bare ``\r`` (before 3.12), which readers then split: such rows are
    written with every cell quoted, so every cell reads back as it came in."""

    def __init__(self, out: IO[str], header: list[str], names: list[str],
                 records: Records | None = None) -> None:
        self.writer = csv.writer(out, lineterminator="\n")
        self.quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
        self.records = records
        self._row([*header, "f", *(f"df/d{n}" for n in names)])
        self.names = names

    def _row(self, row: list[str]) -> None:
        (self.quoted if any("\r" in cell for cell in row) else self.writer).writerow(row)

    def write(self, first: int, rows: list[list[str]], result: BatchResult) -> None:
        grads = [result.gradient[n].tolist() for n in self.names]
        values = result.values.tolist()
        out = ([*row, repr(values[j]), *(repr(g[j]) for g in grads)]
               for j, row in enumerate(rows))
        if self.records is not None and self.records.carriage_return:
            for row in out:  # the slow path, only for input that holds a \r
                self._row(row)
        else:
            self.writer.writerows(out)


class JsonLinesOut:
    def __init__(self, out: IO[str], header: list[str], names: list[str],
                 index: dict[str, int], tape: Tape) -> None:
        self.out, self.header, self.names = out, header, names
        self.index = index
        self.tape = tape
        self.extra = [k for k, h in enumerate(header) if h not in index]

    def write(self, first: int, rows: list[list[str]], result: BatchResult) -> None:
        bad = dict(result.bad)
        values = result.values.tolist()
        grads = {n: result.gradient[n].tolist() for n in self.names}
        kinked: set[int] = set()
        if result.kinks:
            import numpy as np

            kinked = set(np.flatnonzero(np.logical_or.reduce(list(result.kinks.values())))
                         .tolist())
        lines = []
        for j, row in enumerate(rows):
            item: dict[str, Any] = {
                "row": first + j,
                "point": {v: number(float(row[k])) for v, k in self.index.items()},
                "value": number(values[j]),
                "gradient": {n: number(grads[n][j]) for n in self.names},
            }
            if self.extra:
                item["columns"] = {self.header[k]: row[k] for k in self.extra}
            if j in kinked:
                item["warnings"] = kink_warnings(self.tape, self.names, result, j)
            if j in bad:
                item["error"] = bad[j]
            lines.append(json.dumps(item, allow_nan=False, ensure_ascii=False))
        self.out.write("\n".join(lines) + ("\n" if lines else ""))


class Committed:
    """Where the output stands after the last whole chunk, to cut a failed write back to.

    Only a regular file can be cut back; on a pipe or a terminal what was written stays.
    After a failure the stream's descriptor is pointed at the null device, so the bytes
    still in its buffer cannot land after the cut when Python flushes at exit.
    """

    def __init__(self, out: IO[str]) -> None:
        import os
        import stat

        self.out = out
        self.fd: int | None = None
        try:
            fd = out.fileno()
            if stat.S_ISREG(os.fstat(fd).st_mode):
                self.fd = fd
        except (AttributeError, OSError, ValueError):
            pass
        self.good = self._position()

    def _position(self) -> int | None:
        import os

        if self.fd is None:
            return None
        try:
            return os.lseek(self.fd, 0, os.SEEK_CUR)
        except OSError:
            return None

    def commit(self) -> None:
        self.out.flush()
        self.good = self._position()

    def failed(self, exc: OSError, rows: int) -> OutputError:
        import os

        reason = exc.strerror or str(exc)
        if self.fd is None or self.good is None:
            return OutputError(f"cannot write the output: {reason}")
        try:
            os.ftruncate(self.fd, self.good)
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, self.fd)
            os.close(null)
        except OSError:
            return OutputError(f"cannot write the output: {reason}")
        return OutputError(f"cannot write the output: {reason}; it holds the header and the "
                           f"first {rows:,} rows, each one whole")


def kink_warnings(tape: Tape, variables: list[str], result: BatchResult, row: int
                  ) -> list[str]:
    """The scalar path's warnings for one row that met a non-differentiable point."""
    from adcalc.render.trace import nondiff_warnings

    return nondiff_warnings(tape, variables, result.node_values(row), result.kinks_at(row))


def kink_rows_message(summary: BatchSummary) -> str:
    n = len(summary.kinks)
    shown = ", ".join(str(r) for r in summary.kinks[:5]) + (", …" if n > 5 else "")
    return (f"warning: {n} of {summary.rows:,} rows are at a point where the expression is "
            f"not differentiable, and a convention gave the derivative (row{'s' if n > 1 else ''}"
            f" {shown}); row {summary.kinks[0]}: {summary.kink_example}")


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


def open_points(source: str) -> tuple[IO[bytes], int | None]:
    """The points stream (bytes) and its size in bytes (None for standard input)."""
    import os

    if source == "-":
        return stdin_bytes("the points"), None
    stream = open_bytes(source, "the points file")
    try:
        return stream, os.fstat(stream.fileno()).st_size
    except OSError:
        return stream, None
