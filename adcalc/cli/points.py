"""``--points``: a sweep at every row of a file of points (CSV, JSON Lines, Arrow,
Parquet, or standard input of any of them), streamed to standard output or a file in any
of them, or partition by partition on Dask."""

from __future__ import annotations

import contextlib
import sys
from typing import Any

import click

from adcalc.cli import errors_reported
from adcalc.cli.types import FLAGS
from adcalc.engine.profile import RECORDER, stage
from adcalc.errors import OutputError, spell


def sweep_points(kind: str, expression: Any, points: str, fmt: str, digits: int | None,
                 mode: str, variables: list[str] | None, strict: bool,
                 files: tuple[str | None, str | None, str | None], threads: int | None,
                 overwrite: bool, engine: str,
                 refused: tuple[tuple[Any, str, str], ...] = ()) -> None:
    """grad, jacobian or hessian (``kind``) ``--points``: the options ``refused`` (value
    given, flag, why) and what a batch cannot do refused, then the sweep, on Dask or here."""
    for given, flag, why in refused:
        if given:
            raise click.UsageError(f"{flag} does not go with --points ({why})")
    refuse_for_points(fmt, digits)
    with errors_reported(), stage("batch"), terminated_as_interrupted():
        if engine == "dask":
            return dask_batch(kind, expression, points, files[0], variables, strict,
                              overwrite, fmt, files[1:])
        batch(expression, points, fmt, mode, variables, strict, files, threads, kind,
              overwrite)
    if RECORDER.enabled and kind == "gradient":  # --profile is grad's
        click.echo(RECORDER.report(), err=True)


def batch(expression: Any, points: str, fmt: str, mode: str, variables: list[str] | None,
          strict: bool, files: tuple[str | None, str | None, str | None] = (None, None, None),
          threads: int | None = None, kind: str = "gradient", overwrite: bool = False) -> None:
    """``--points``: the points in any format, from a file or standard input (sniffed),
    through one path (``commands.points.run_points``), to standard output or a file in
    any format.  A file to write is new (or ``--overwrite``), never the points, and
    appears only when the run succeeds."""
    from adcalc.batch.columnar import open_points
    from adcalc.commands.points import Replacing, batch_tape, check_target, written_in_place
    from adcalc.engine.tape import Tape
    from adcalc.render.points_out import Progress, bad_rows_message, kink_rows_message

    output = files[0] or "-"
    source_format, target_format = batch_formats(points, fmt, files)
    check_target(output, [points], overwrite)
    tape, names = batch_tape(expression, variables, kind)  # a program's: ProgramPaths
    for line in tape.warnings:  # what the parser noticed (a binding never used)
        click.echo(line, err=True)
    sys.stdout.flush()
    opened = open_points(points, source_format, threads)
    progress = Progress(opened.total if sys.stderr.isatty() else None)
    try:  # (run_points closes the points)
        if output == "-":
            summary = write_points(tape, opened, target_format, sys.stdout.buffer, mode,
                                   names, strict, threads, kind, progress)
        elif written_in_place(output):  # a named pipe, /dev/stdout: as standard output
            stream = open_for_writing(output)
            try:
                summary = write_points(tape, opened, target_format, stream, mode, names,
                                       strict, threads, kind, progress)
                stream.flush()
            except OSError as exc:
                if isinstance(exc, BrokenPipeError):
                    raise
                raise OutputError(f"cannot write the output: {exc.strerror or exc}") from None
            finally:
                with contextlib.suppress(OSError):  # (what a failed write left unflushed)
                    stream.close()
        else:
            with Replacing(output) as path:
                summary = write_points(tape, opened, target_format, path, mode, names,
                                       strict, threads, kind, progress,
                                       output.lower().endswith(".arrows"))
    finally:
        progress.close()
        opened.close()
    if not isinstance(tape, Tape):  # a program's: what every path traced warns of
        for line in tape.warnings:
            click.echo(line, err=True)
    if summary.kinks:
        click.echo(kink_rows_message(tape, names, summary), err=True)
    if summary.bad:
        click.echo(spell(bad_rows_message(summary), FLAGS), err=True)


@contextlib.contextmanager
def terminated_as_interrupted() -> Any:
    """SIGTERM, SIGHUP and SIGINT raised as ``errors.Terminated`` (a KeyboardInterrupt)
    in this thread, so that a batch ended by ``kill``, ``timeout`` or Ctrl-C cleans up
    one way (polars, handed Ctrl-C itself, stopped its writer mid-file)."""
    import signal

    from adcalc.errors import Terminated

    def stop(signum: int, frame: Any) -> None:
        raise Terminated(signum)

    before = {}
    for name in ("SIGTERM", "SIGHUP", "SIGINT"):
        number = getattr(signal, name, None)
        if number is not None:
            with contextlib.suppress(ValueError, OSError):  # (not the main thread)
                before[number] = signal.signal(number, stop)
    try:
        yield
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)


def open_for_writing(path: str) -> Any:
    """A pipe or a device named by ``-o``, opened to write bytes (a message if it cannot
    be)."""
    try:
        return open(path, "wb")
    except OSError as exc:
        raise OutputError(f"cannot write the output {path!r}: {exc.strerror or exc}") from None


def write_points(tape: Any, points: Any, target_format: str, target: Any, mode: str,
                 names: list[str] | None, strict: bool, threads: int | None, kind: str,
                 progress: Any, stream: bool = False) -> Any:
    """The sweep to standard output's bytes or a file (``target``): CSV, JSON Lines and
    an Arrow stream (also to a file, with ``stream``: ``-o FILE.arrows``) piece by piece
    (``ChunksOut``, which cuts a file back to its last whole piece when writing fails);
    Parquet and Arrow files through polars' writers."""
    from adcalc.commands.points import run_points
    from adcalc.render.points_out import ChunksOut, Counted

    to_file = isinstance(target, str)
    if target_format == "parquet" or (target_format == "arrow" and to_file and not stream):
        counted = None if to_file else Counted(target)
        try:
            return run_points(tape, points, target_format, None, counted or target, mode,
                              names, strict, threads, kind, progress)
        except (KeyboardInterrupt, OutputError) as exc:
            if counted is None or not counted.written or getattr(exc, "whole", False):
                raise  # (a file of -o goes; nothing went out; a stopped run ends whole)
            where = ("standard output" if target is sys.stdout.buffer
                     else repr(getattr(target, "name", "the output")))
            cut = f"the Parquet on {where} is cut short and cannot be read (its footer comes last)"
            if isinstance(exc, OutputError):
                raise OutputError(f"{exc.message}; {cut}") from None
            click.echo(f"warning: {cut}", err=True)
            raise
    if not to_file:
        return run_points(tape, points, target_format, ChunksOut(target, target_format),
                          None, mode, names, strict, threads, kind, progress)
    try:
        with open(target, "wb") as out:  # (Replacing's file: gone if writing fails)
            return run_points(tape, points, target_format, ChunksOut(out, target_format, False),
                              None, mode, names, strict, threads, kind, progress)
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        raise OutputError(f"cannot write the output: {exc.strerror or exc}") from None


def batch_formats(points: str, fmt: str, files: tuple[str | None, str | None, str | None]
                  ) -> tuple[str | None, str]:
    """The formats read and written: by the files' extensions or the flags; ``--format
    json`` means JSON Lines, and refuses another format asked for."""
    from pathlib import Path

    from adcalc.batch.columnar import FORMATS, format_of
    from adcalc.commands.points import written_in_place

    output, input_format, output_format = files
    source_format = format_of(points, input_format, "the points")
    if output and written_in_place(output) and Path(output).suffix.lower() not in FORMATS:
        output = "-"  # a pipe or a device of no known extension: CSV, as standard output
    target_format = format_of(output, output_format, "the output")
    if fmt == "json":
        if output_format is None and output in (None, "-"):
            return source_format, "jsonl"
        if target_format != "jsonl":
            raise click.UsageError(f"--format json writes JSON Lines; it does not go with "
                                   f"writing {target_format}")
    return source_format, target_format


def dask_batch(kind: str, expression: Any, points: str, output: str | None,
               variables: list[str] | None, strict: bool = False, overwrite: bool = False,
               fmt: str = "auto", formats: tuple[str | None, str | None] = (None, None)
               ) -> None:
    """``--points DATASET --engine dask -o FOLDER``: partition by partition on Dask; the
    same policies as the local path (a new folder or ``--overwrite``, never the points,
    ``--strict``, the bad-row report)."""
    from adcalc.commands.dataset import sweep_dataset
    from adcalc.render.points_out import bad_rows_message, kink_rows_message

    if output in (None, "-"):
        raise click.UsageError("--engine dask writes a Parquet dataset: give its folder with -o")
    for given, flag in ((fmt == "json", "--format json"), (formats[0] not in (None, "parquet"),
                        f"--input-format {formats[0]}"),
                        (formats[1] not in (None, "parquet"), f"--output-format {formats[1]}")):
        if given:
            raise click.UsageError(f"--engine dask reads and writes Parquet datasets; it does "
                                   f"not go with {flag}")
    with errors_reported():
        tape, names, summary = sweep_dataset(expression, points, output, kind, variables,
                                             strict=strict, overwrite=overwrite)
    for line in tape.warnings:  # what the parser noticed (a binding never used)
        click.echo(line, err=True)
    if summary.kinks:
        click.echo(kink_rows_message(tape, names, summary), err=True)
    if summary.bad:
        click.echo(spell(bad_rows_message(summary), FLAGS), err=True)
    click.echo(f"wrote {output}", err=True)


def refuse_for_points(fmt: str, digits: int | None) -> None:
    """What ``--points`` cannot do: trace tables (it writes data) and fewer digits (every
    double is written to read back bit for bit)."""
    if fmt in ("markdown", "latex", "rich"):
        raise click.UsageError(f"--format {fmt} prints trace tables; --points writes data: CSV, "
                               "or --format json (JSON Lines), or -o FILE.parquet/.arrow/.jsonl")
    if digits is not None:
        raise click.UsageError("--digits does not go with --points (every number is written "
                               "with all its digits, to read back bit for bit)")
