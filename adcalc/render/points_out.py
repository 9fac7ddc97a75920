"""Points out: the rows of a batch as CSV or JSON Lines, a chunk at a time, with the
warnings and the progress bar of a long run.

Output goes out a chunk at a time; if writing fails (a full disk, a file-size limit) a
regular file is cut back to its last whole chunk and ``OutputError`` says how many rows
it holds: never a row cut in half.
"""

from __future__ import annotations

import csv
import json
import time
from typing import IO, TYPE_CHECKING, Any

from adcalc.batch.csv_in import Records, row_message
from adcalc.batch.sweep import BatchResult
from adcalc.engine.tape import Tape
from adcalc.errors import OutputError
from adcalc.render.json_out import number

if TYPE_CHECKING:
    from adcalc.commands.points import BatchSummary


class PointsWriter:
    """What ``commands.points.run_batch`` writes through: CSV or JSON Lines on ``out``."""

    def __init__(self, out: IO[str], fmt: str = "csv", skip: int | None = None) -> None:
        self.out, self.fmt = out, fmt
        self.sink = Committed(out)
        self.rows = 0
        self.skip = skip
        """Rows already written (and the header), by polars: not to write again."""
        self.format: CsvOut | JsonLinesOut | None = None

    def begin(self, tape: Tape, header: list[str], names: list[str], outputs: list[str],
              records: Records) -> None:
        try:
            self.format = (JsonLinesOut(self.out, header, outputs) if self.fmt == "json"
                           else CsvOut(self.out, header, outputs, records, self.skip is None))
            self.sink.commit()
        except BrokenPipeError:
            raise  # | head: the reader has all it wants (exit 141, quietly)
        except OSError as exc:
            raise self.sink.failed(exc, self.rows) from None

    def write(self, first: int, rows: list[list[str]], computed: dict[str, Any],
              result: BatchResult) -> None:
        assert self.format is not None
        if self.skip:
            k = min(self.skip, len(rows))
            self.skip -= k
            self.rows += k
            rows, computed = rows[k:], {c: a[k:] for c, a in computed.items()}
        try:
            self.format.write(first, rows, computed)
            self.sink.commit()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise self.sink.failed(exc, self.rows) from None
        except KeyboardInterrupt:  # Ctrl-C mid-chunk: the file keeps whole rows only
            self.sink.cut()
            raise
        self.rows += len(rows)


class CsvOut:
    """CSV out, new lines as ``\n``: every cell of the input as it came, then the output
    columns (``repr`` of each double: it reads back bit for bit; ``nan`` for a bad row).
    Python's writer quotes a cell holding ``\n`` but not one holding a bare ``\r``
    (before 3.12), which readers then split: such rows are written with every cell
    quoted, so every cell reads back as it came in."""

    def __init__(self, out: IO[str], header: list[str], outputs: list[str],
                 records: Records | None = None, header_row: bool = True) -> None:
        self.writer = csv.writer(out, lineterminator="\n")
        self.quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
        self.records = records
        if header_row:
            self._row([*header, *outputs])
        self.outputs = outputs

    def _row(self, row: list[str]) -> None:
        (self.quoted if any("\r" in cell for cell in row) else self.writer).writerow(row)

    def write(self, first: int, rows: list[list[str]], computed: dict[str, Any]) -> None:
        columns = [computed[c].tolist() for c in self.outputs]
        out = ([*row, *(repr(c[j]) for c in columns)] for j, row in enumerate(rows))
        if self.records is not None and self.records.carriage_return:
            for row in out:  # the slow path, only for input that holds a \r
                self._row(row)
        else:
            self.writer.writerows(out)


class JsonLinesOut:
    """JSON Lines out, one flat object a row, the same layout as ``-o FILE.jsonl`` and
    every other format: each input column (a cell of a CSV as its text, as it came), then
    the output columns as numbers (``null`` for a bad row, and for any number that is not
    finite)."""

    def __init__(self, out: IO[str], header: list[str], outputs: list[str]) -> None:
        self.out, self.header, self.outputs = out, header, outputs

    def write(self, first: int, rows: list[list[str]], computed: dict[str, Any]) -> None:
        columns = [computed[c].tolist() for c in self.outputs]
        header, outputs = self.header, self.outputs
        lines = []
        for j, row in enumerate(rows):
            item: dict[str, Any] = dict(zip(header, row, strict=True))
            item.update({c: number(col[j]) for c, col in zip(outputs, columns, strict=True)})
            lines.append(json.dumps(item, allow_nan=False, ensure_ascii=False))
        self.out.write("\n".join(lines) + ("\n" if lines else ""))


class ChunksOut:
    """What ``commands.points.stream_polars`` writes through: each batch's bytes, whole,
    on a binary stream (standard output), as ``PointsWriter`` writes its chunks."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.sink = Committed(out)  # type: ignore[arg-type]
        self.rows = 0

    def write(self, data: bytes, rows: int) -> None:
        import os

        try:
            if self.sink.fd is None:  # a pipe, a terminal: through the stream's buffer
                self.out.write(data)
            else:  # a file: straight to it, to be cut back to the last whole batch
                self.out.flush()
                view = memoryview(data)
                while view:
                    view = view[os.write(self.sink.fd, view):]
            self.sink.commit()
        except BrokenPipeError:
            raise  # | head: the reader has all it wants (exit 141, quietly)
        except OSError as exc:
            raise self.sink.failed(exc, self.rows) from None
        except KeyboardInterrupt:  # Ctrl-C mid-batch: the file keeps whole rows only
            end = None if self.sink.good is None else self.sink.good + len(data)
            if end is None or self.sink._position() != end:  # (the batch went out whole:
                self.sink.cut()  # it stays)
            raise
        self.rows += rows


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

    def cut(self) -> bool:
        """Cut a regular file back to the last whole chunk; whether that was done."""
        import os

        if self.fd is None or self.good is None:
            return False
        try:
            os.ftruncate(self.fd, self.good)
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, self.fd)
            os.close(null)
        except OSError:
            return False
        return True

    def failed(self, exc: OSError, rows: int) -> OutputError:
        reason = exc.strerror or str(exc)
        if not self.cut():
            return OutputError(f"cannot write the output: {reason}")
        return OutputError(f"cannot write the output: {reason}; it holds the header and the "
                           f"first {rows:,} rows, each one whole")


def kink_warnings(tape: Tape, variables: list[str], result: BatchResult, row: int
                  ) -> list[str]:
    """The scalar path's warnings for one row that met a non-differentiable point."""
    from adcalc.render.trace import nondiff_warnings

    return nondiff_warnings(tape, variables, result.node_values(row), result.kinks_at(row))


def kink_rows_message(tape: Tape, variables: list[str], summary: BatchSummary) -> str:
    from adcalc.render.trace import nondiff_warnings

    assert summary.first_kink is not None
    first = summary.first_kink
    example = first if isinstance(first, str) else nondiff_warnings(tape, variables, *first)[0]
    n = len(summary.kinks)
    shown = ", ".join(str(r) for r in summary.kinks[:5]) + (", …" if n > 5 else "")
    return (f"warning: {n} of {summary.rows:,} rows are at a point where the expression is "
            f"not differentiable, and a convention gave the derivative (row{'s' if n > 1 else ''}"
            f" {shown}); row {summary.kinks[0]}: {example.removeprefix('warning: ')}")


def bad_rows_message(summary: BatchSummary) -> str:
    n = len(summary.bad)
    shown = ", ".join(str(r) for r, _ in summary.bad[:5]) + (", …" if n > 5 else "")
    row, message = summary.bad[0]
    return (f"warning: {n} of {summary.rows:,} rows could not be evaluated and are NaN "
            f"(row{'s' if n > 1 else ''} {shown}); {row_message(row, message)}")


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
