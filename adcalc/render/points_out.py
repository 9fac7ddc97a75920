"""Points out: the bytes of each piece of a batch written whole, with the warnings and
the progress bar of a long run.

Output goes out a piece at a time; if writing fails (a full disk, a file-size limit) a
regular file is cut back to its last whole piece and ``OutputError`` says how many rows
it holds: never a row cut in half.
"""

from __future__ import annotations

import time
from typing import IO, TYPE_CHECKING, Any

from adcalc.batch.csv_in import row_message
from adcalc.batch.sweep import BatchResult
from adcalc.engine.tape import Tape
from adcalc.errors import OutputError

if TYPE_CHECKING:
    from adcalc.commands.points import BatchSummary


class Counted:
    """A binary stream that counts the bytes written through it: whether polars' Parquet
    writer had put any of a file on standard output or a pipe before it stopped."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.written = 0

    def write(self, data: Any) -> int:
        n = self.out.write(data)
        self.written += len(data)
        return n

    def flush(self) -> None:
        self.out.flush()


class ChunksOut:
    """What ``commands.points.run_points`` writes through: each piece's bytes, whole, on a
    stream (standard output's bytes, a file, or a text stream: decoded).  ``fmt`` is the
    format written (``csv``, ``json``/``jsonl``, ``arrow``)."""

    def __init__(self, out: IO[bytes] | IO[str], fmt: str = "csv", kept: bool = True) -> None:
        import io

        self.out = out
        self.target = "jsonl" if fmt in ("json", "jsonl") else fmt
        self.text = isinstance(out, io.TextIOBase)
        self.sink = Committed(out, kept)  # type: ignore[arg-type]
        self.rows = 0
        self._widen()

    def _widen(self) -> None:
        """Standard output on a pipe (``| wc``): its buffer widened (``feed.widen``)."""
        import contextlib

        from adcalc.batch.feed import widen

        with contextlib.suppress(AttributeError, OSError, ValueError):  # (a Python stream:
            widen(self.out.fileno())  # tests, an embedding application)

    def write(self, data: bytes, rows: int) -> None:
        import os

        if not data:
            return
        try:
            if self.text:
                self.out.write(data.decode("utf-8"))  # type: ignore[arg-type]
            elif self.sink.fd is None:  # a pipe, a terminal: through the stream's buffer
                self.out.write(data)  # type: ignore[arg-type]
            else:  # a file: straight to it, to be cut back to the last whole piece
                self.out.flush()
                view = memoryview(data)
                while view:
                    view = view[os.write(self.sink.fd, view):]
            self.sink.commit()
        except BrokenPipeError:
            raise  # | head: the reader has all it wants (exit 141, quietly)
        except OSError as exc:
            raise self.sink.failed(exc, self.rows, self.target) from None
        except KeyboardInterrupt:  # Ctrl-C mid-piece: the file keeps whole rows only
            end = None if self.sink.good is None else self.sink.good + len(data)
            if end is None or self.sink._position() != end:  # (the piece went out whole:
                self.sink.cut()  # it stays)
            raise
        self.rows += rows


PointsWriter = ChunksOut
"""``run_batch``'s writer: CSV, or JSON Lines (``fmt`` ``json``)."""


class Committed:
    """Where the output stands after the last whole chunk, to cut a failed write back to.

    Only a regular file can be cut back; on a pipe or a terminal what was written stays.
    After a failure the stream's descriptor is pointed at the null device, so the bytes
    still in its buffer cannot land after the cut when Python flushes at exit.
    """

    def __init__(self, out: IO[str], kept: bool = True) -> None:
        import os
        import stat

        self.out = out
        self.kept = kept
        """Whether the file stays when writing fails (``-o FILE`` writes a file beside it
        that goes: then there are no rows to speak of)."""
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

    def failed(self, exc: OSError, rows: int, fmt: str = "csv") -> OutputError:
        reason = exc.strerror or str(exc)
        if not self.kept or not self.cut():
            return OutputError(f"cannot write the output: {reason}")
        if not self.good:
            return OutputError(f"cannot write the output: {reason}; the file is empty")
        head = {"csv": "the header and ", "arrow": "the schema and "}.get(fmt, "")
        return OutputError(f"cannot write the output: {reason}; it holds {head}the first "
                           f"{rows:,} rows, each one whole")


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
