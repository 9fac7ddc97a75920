"""``--points``: a sweep at every row of a file of points, streamed to CSV or JSON Lines,
or written as Parquet or Arrow (through polars), or partition by partition on Dask."""

from __future__ import annotations

import sys
from typing import Any

import click

from adcalc.cli import errors_reported
from adcalc.cli.types import FLAGS
from adcalc.engine.profile import RECORDER, stage
from adcalc.errors import spell


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
    with errors_reported(), stage("batch"):
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
    """``--points``: every CSV goes through adcalc's own streaming reader (to standard
    output or a file: CSV and JSON Lines by its own writer, Parquet and Arrow through a
    polars sink), so a cell reads the same on every path; Parquet, Arrow and JSON Lines
    points through polars (``adcalc.columnar``).  A file to write is new (or
    ``--overwrite``), never the points, and appears only when the run succeeds."""
    from adcalc.commands.points import Replacing, batch_tape, check_target
    from adcalc.engine.tape import Tape
    from adcalc.render.points_out import Progress, bad_rows_message, kink_rows_message

    output = files[0] or "-"
    source_format, target_format = batch_formats(points, fmt, files)
    check_target(output, [points], overwrite)
    tape, names = batch_tape(expression, variables, kind)  # a program's: ProgramPaths
    for line in tape.warnings:  # what the parser noticed (a binding never used)
        click.echo(line, err=True)
    if source_format != "csv":
        from adcalc.batch.columnar import count_rows
        from adcalc.commands.points import run_columnar

        sys.stdout.flush()
        progress = Progress(count_rows(points, source_format) if sys.stderr.isatty() else None)
        try:
            if output == "-":
                summary = run_columnar(tape, points, source_format, "-", target_format, mode,
                                       names, strict, sys.stdout.buffer, threads, kind, progress)
            else:
                with Replacing(output) as path:
                    summary = run_columnar(tape, points, source_format, path, target_format,
                                           mode, names, strict, None, threads, kind, progress)
        finally:
            progress.close()
    else:
        summary = csv_batch(tape, names, points, output, target_format, mode, strict, threads,
                            kind)
    if not isinstance(tape, Tape):  # a program's: what every path traced warns of
        for line in tape.warnings:
            click.echo(line, err=True)
    if summary.kinks:
        click.echo(kink_rows_message(tape, names, summary), err=True)
    if summary.bad:
        click.echo(spell(bad_rows_message(summary), FLAGS), err=True)


def csv_batch(tape: Any, names: list[str], points: str, output: str, target_format: str,
              mode: str, strict: bool, threads: int | None, kind: str) -> Any:
    """CSV points in a file, to standard output (batch by batch) or to a file, through
    polars' reader and writer with the same cells, rows, bytes and messages as adcalc's
    own reader and writer (``run_csv_polars``), unless the file holds what only adcalc's
    reader reads right, or polars is not installed: then through those (standard
    output going on after the rows polars wrote)."""
    from adcalc.batch.csv_in import open_points
    from adcalc.commands.points import Fallback, Replacing, run_batch, run_csv_frames
    from adcalc.render.points_out import ChunksOut, PointsWriter, Progress

    fmt = "json" if target_format == "jsonl" else "csv"
    skip = None
    if output == "-" and target_format in ("csv", "jsonl"):
        sys.stdout.flush()
        try:
            summary = fast_csv(tape, names, points, "-", target_format, mode, strict,
                               threads, kind, ChunksOut(sys.stdout.buffer))
        except Fallback as stop:  # after some rows: adcalc's reader goes on from there
            summary, skip = None, stop.written
        if summary is not None:
            return summary
    stream, size = open_points(points)
    progress = Progress(size if sys.stderr.isatty() else None)
    try:
        if output == "-" and target_format in ("csv", "jsonl"):
            return run_batch(tape, stream, PointsWriter(sys.stdout, fmt, skip), mode, names,
                             strict, progress, threads=threads, kind=kind)
        if output == "-":  # Parquet or Arrow on standard output: made in a file first
            import os
            import tempfile

            fd, path = tempfile.mkstemp(suffix=f".{target_format}")
            os.close(fd)
            try:
                summary = fast_csv(tape, names, points, path, target_format, mode, strict,
                                   threads, kind)
                if summary is None:
                    summary = run_csv_frames(tape, stream, path, target_format, mode, names,
                                             strict, threads, kind, progress)
                sys.stdout.flush()
                with open(path, "rb") as f:
                    sys.stdout.buffer.write(f.read())
            finally:
                os.unlink(path)
            return summary
        with Replacing(output) as path:
            summary = fast_csv(tape, names, points, path, target_format, mode, strict,
                               threads, kind)
            if summary is not None:
                return summary
            if target_format in ("csv", "jsonl"):
                try:
                    with open(path, "w", encoding="utf-8", newline="") as out:
                        return run_batch(tape, stream, PointsWriter(out, fmt), mode, names,
                                         strict, progress, threads=threads, kind=kind)
                except OSError as exc:
                    from adcalc.errors import OutputError

                    raise OutputError(f"cannot write the output {output!r}: "
                                      f"{exc.strerror or exc}") from None
            return run_csv_frames(tape, stream, path, target_format, mode, names, strict,
                                  threads, kind, progress)
    finally:
        progress.close()
        if points != "-":
            stream.close()


def fast_csv(tape: Any, names: list[str], points: str, path: str, target_format: str,
             mode: str, strict: bool, threads: int | None, kind: str, out: Any = None) -> Any:
    """CSV points in a file to ``path`` (``-``: to ``out``) through polars
    (``run_csv_polars``); ``None`` when adcalc's own reader must read them (standard
    input, a lone ``\r``, a short row, …), or ``Fallback`` with the rows already on
    standard output."""
    import importlib.util

    from adcalc.commands.points import Fallback, polars_can_read, run_csv_polars
    from adcalc.render.points_out import Progress

    if points == "-" or importlib.util.find_spec("polars") is None or (
            not polars_can_read(points)):
        return None
    progress = None
    if sys.stderr.isatty():
        from adcalc.batch.columnar import count_rows

        progress = Progress(count_rows(points, "csv"))
    try:
        return run_csv_polars(tape, points, path, target_format, mode, names, strict,
                              threads, kind, progress, out)
    except Fallback as stop:
        if stop.written is not None:
            raise
        return None
    finally:
        if progress is not None:
            progress.close()


def batch_formats(points: str, fmt: str, files: tuple[str | None, str | None, str | None]
                  ) -> tuple[str, str]:
    """The formats read and written: by the files' extensions or the flags; ``--format
    json`` means JSON Lines, and refuses another format asked for."""
    from adcalc.batch.columnar import format_of

    output, input_format, output_format = files
    source_format = format_of(points, input_format, "the points")
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
