"""--points: a sweep at every row of a file of points, a piece at a time.

The points come in pieces (``batch.columnar.open_points``: CSV, JSON Lines, Arrow,
Parquet, from a file or a pipe, read a block ahead in a thread), each piece is swept as
arrays (``batch.sweep``) and written (``batch.columnar.Encoder``: CSV, JSON Lines, an
Arrow stream; or polars' Parquet and Arrow file writers) before the next is taken, so
memory stays flat at any length and ``| head`` gets its rows at once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Protocol

from adcalc.batch.csv_in import CAST, CHUNK_ROWS, row_message
from adcalc.batch.sweep import (
    BatchResult,
    check_columns,
    check_outputs,
    output_columns,
    sweep_parallel,
)
from adcalc.engine.tape import Tape
from adcalc.errors import DomainError, InputError, OutputError, param


class ChunkOut(Protocol):
    """Where the bytes of each piece go, whole (``render.points_out``)."""

    def write(self, data: bytes, rows: int) -> None: ...


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


def run_points(tape: Tape, points: Any, target_format: str, out: ChunkOut | None = None,
               sink_to: str | IO[bytes] | None = None, mode: str = "reverse",
               variables: list[str] | None = None, strict: bool = False,
               threads: int | None = None, kind: str = "gradient",
               progress: Callable[[int, int], None] | None = None) -> BatchSummary:
    """Sweep every row of ``points`` (``batch.columnar.Points``) and write the input
    columns as they came, then ``batch.output_columns`` of ``kind`` (a row that cannot be
    evaluated: null, ``nan`` in CSV from CSV): as the bytes of CSV, JSON Lines or an
    Arrow stream through ``out``, a piece at a time, or (``sink_to``, a path or a binary
    stream) through polars' Parquet or Arrow file writer.  With ``strict`` the rows
    before the first bad one are written, then the error is raised.
    ``progress(units, rows)`` after each piece (units: bytes of CSV, else rows)."""
    from adcalc.batch.columnar import Encoder, polars
    from adcalc.batch.feed import ahead

    pl = polars(threads)
    try:
        header = points.header
        check_columns(tape, header)
        names = list(variables or tape.variables)
        outputs = output_columns(tape, names, kind)
        check_outputs(header, outputs)
        for v in tape.variables:
            dtype = points.schema[v]
            if not (dtype.is_numeric() or dtype == pl.String or dtype == pl.Null):
                raise InputError(f"the points' column {v} holds {dtype}, not numbers")
        schema = {**points.schema, **dict.fromkeys(outputs, pl.Float64)}
        summary = BatchSummary()
        stopped: list[BaseException] = []
        # (CSV to CSV: the records as they came)
        points.read_for(list(tape.variables), sink_to is None and target_format == "csv")
        frames = _swept(tape, points, names, outputs, kind, mode, strict, threads, summary,
                        progress, stopped)
        try:
            if sink_to is None:
                assert out is not None
                encoder = Encoder(target_format, schema, outputs, points.text)
                out.write(encoder.begin(points.csv.cells if points.csv else None), 0)
                encoded = ahead((encoder.encode(f), f.height) for f in ahead(frames))
                try:  # read, sweep, encode and write: four pieces at once, in order
                    for data, rows in encoded:
                        out.write(data, rows)
                finally:
                    encoded.close()
                out.write(encoder.end(), 0)
            else:
                _sink(ahead(frames), schema, sink_to, target_format, stopped)
        finally:
            with contextlib.suppress(ValueError):  # (still running in a thread that ends)
                frames.close()
    finally:
        points.close()
    if stopped:
        raise stopped[0]
    summary.bad.sort()
    return summary


def _sink(frames: Iterator[Any], schema: dict[str, Any], target: Any, fmt: str,
          stopped: list[BaseException]) -> None:
    """The swept frames through polars' Parquet or Arrow file writer; an error of the
    sweep is said after the writer has stopped, not inside polars."""
    import threading

    from adcalc.batch.columnar import sink

    halt = threading.Event()

    def guarded() -> Iterator[Any]:
        try:
            for frame in frames:
                if halt.is_set():
                    return
                yield frame
        except GeneratorExit:  # (polars let go of it: the writer stopped)
            raise
        except BaseException as exc:
            stopped.append(exc)

    failed: list[BaseException] = []
    done = threading.Event()

    def write() -> None:
        try:
            sink(guarded(), schema, target, fmt)
        except BaseException as exc:
            failed.append(exc)
        finally:
            done.set()

    # polars' writer runs in a thread, this one waits in Python: Ctrl-C, SIGTERM and
    # SIGHUP are handled here at once (inside polars, only Ctrl-C was, by polars).  (An
    # Event, not join: a join a signal interrupts can leave the thread taken for ended.)
    threading.Thread(target=write, name="adcalc-sink", daemon=True).start()
    try:
        try:
            while not done.wait(0.1):
                pass
        except BaseException as stop:
            halt.set()  # the writer ends at the next piece, a whole file of the rows so far
            done.wait(5)
            stop.whole = done.is_set() and not failed  # type: ignore[attr-defined]
            raise
        try:
            if failed:
                raise failed[0]
        except BaseException as exc:  # (a panic of polars' is no Exception)
            if isinstance(exc, KeyboardInterrupt):  # (polars' own Ctrl-C: the file is cut)
                raise
            if stopped:
                raise stopped[0] from None
            if "Broken pipe" in str(exc):  # | head: the reader has all it wants
                raise BrokenPipeError(32, "Broken pipe") from None
            import re

            io_error = re.search(r"IO error: (.+?)(?: \(os error \d+\))?$", str(exc), re.M)
            reason = io_error.group(1) if io_error else str(exc).strip().splitlines()[0]
            reason = re.sub(r"^\[Errno \d+\] | \(os error \d+\)$", "", reason)  # (OSError's)
            raise OutputError(f"cannot write the output: {reason}") from None
    finally:  # the sweep ahead of the writer ends with it
        with contextlib.suppress(ValueError):
            frames.close()  # type: ignore[attr-defined]


def _swept(tape: Tape, points: Any, names: list[str], outputs: list[str], kind: str,
           mode: str, strict: bool, threads: int | None, summary: BatchSummary,
           progress: Callable[[int, int], None] | None, stopped: list[BaseException]
           ) -> Iterator[Any]:
    """The frame of each piece of the points with its outputs, the pieces read one ahead
    in a thread; with ``strict``, the rows before the first bad one, then the error in
    ``stopped``."""
    from adcalc.batch.columnar import numbers, polars
    from adcalc.batch.feed import ahead

    pl = polars()

    def read(piece: Any) -> tuple[Any, dict[str, Any], dict[int, str]]:
        """A piece and its variables' columns as doubles, read in the reading thread (so
        that reading the text of the next piece overlaps the sweep of this one)."""
        unreadable = dict(piece.unreadable)
        frame = piece.frame
        cast = [c for c in frame.columns if c.startswith(CAST)]
        columns = {v: numbers(pl, v, frame.get_column(v), unreadable, frame.get_column(
            CAST + v) if CAST + v in cast else None) for v in tape.variables}
        if cast:  # (made for this, written nowhere)
            piece.frame = frame.drop(cast)
        return piece, columns, unreadable

    pieces = ahead(map(read, points.pieces))
    try:
        for piece, columns, unreadable in pieces:
            frame, rows = piece.frame, piece.frame.height
            computed, result = sweep_parallel(tape, columns, names, rows, kind, mode, threads)
            result.mark_bad(unreadable)
            bad = [r for r, _ in result.bad]
            added = [pl.Series(c, computed[c], dtype=pl.Float64) for c in outputs]
            if bad:  # a row that could not be evaluated: null, as JSON has it
                added = [s.scatter(bad, None) for s in added]
            frame = frame.hstack(added)
            if strict and bad:  # the good rows before the first bad one, then the error
                if bad[0]:
                    yield frame.head(bad[0])
                row, message = result.bad[0]
                error = InputError if row in unreadable else DomainError
                stopped.append(error(row_message(piece.first + row, message)))
                return
            summary.add(result, range(piece.first, piece.first + rows), rows)
            if progress is not None:
                progress(piece.used, rows)
            yield frame
    finally:
        pieces.close()


def run_batch(tape: Tape, stream: IO[bytes] | IO[str], writer: Any, mode: str = "reverse",
              variables: list[str] | None = None, strict: bool = False,
              progress: Callable[[int, int], None] | None = None,
              chunk_rows: int = CHUNK_ROWS, threads: int | None = None,
              kind: str = "gradient", block: int = 0) -> BatchSummary:
    """CSV points from ``stream`` through ``writer`` (``render.points_out.PointsWriter``:
    CSV, or JSON Lines), pieces of at most ``chunk_rows`` rows read ``block`` bytes at a
    time; ``progress(bytes, rows)`` after each piece."""
    from adcalc.batch.columnar import open_points

    points = open_points(stream, "csv", threads, block, chunk_rows)
    return run_points(tape, points, writer.target, writer, None, mode, variables, strict,
                      threads, kind, progress)


def written_in_place(target: str) -> bool:
    """Whether ``target`` is standard output (``-``), or there and under ``/dev`` or
    ``/proc`` (``/dev/stdout``) or neither a file nor a folder (a named pipe): written to
    as it is, never replaced by a file."""
    import os
    import stat

    if target == "-":
        return True
    try:
        mode = os.stat(target).st_mode
    except OSError:
        return False
    if os.path.abspath(target).startswith(("/dev/", "/proc/")):
        return True  # (/dev/stdout when standard output is a file: the file, as it is)
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def check_target(target: str, sources: list[str], overwrite: bool) -> None:
    """An output file is new unless ``--overwrite`` says to replace it, and it is never
    one of the points it is made from; a pipe or a device is written as it is."""
    import glob
    import os

    if written_in_place(target):
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
        with contextlib.suppress(OSError):  # mkstemp makes it 0600: the mode a new file
            mode = os.stat(target).st_mode & 0o7777 if os.path.isfile(target) else (
                0o666 & ~_umask())  # gets (the umask), or the one it replaces
            os.chmod(self.path, mode)
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
        if isinstance(exc, OutputError):  # what the failed write left: nothing
            raise OutputError(f"{exc.message}; {self.target!r} " + (
                "is as it was" if os.path.lexists(self.target) else "was not written")
                ) from None
        return False


def _umask() -> int:
    """The process's umask (read by setting it, then setting it back)."""
    import os

    mask = os.umask(0o022)
    os.umask(mask)
    return mask


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
