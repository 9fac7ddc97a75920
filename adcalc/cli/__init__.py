"""The command line: thin click commands that call the core and pick a renderer.

Exit codes: 0 success, 1 a math error or a failed check, 2 a usage or parse error.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import click

from adcalc.cli.types import FLAGS, NAMES, POINT, VECTOR, merge_points, read_source
from adcalc.errors import AdcalcError, CheckFailed
from adcalc.frontend.catalog import help_paragraph
from adcalc.version import __version__

PROGRAMS = """
EXPRESSION may be a vector [f1, f2, ...], a program of bindings separated by ';' or
new lines (a = x + y; [a*x, a^2]) with '#' comments and functions of its own
(neuron(w, b, x) = tanh(w*x + b)), @FILE to read one from a file, or - to read it from
standard input. Names may carry an index: w[1]."""


def POINTS(f: Any) -> Any:
    """The batch options of grad, jacobian and hessian: --points and where it goes."""
    for option in reversed(_POINTS_OPTIONS):
        f = option(f)
    return f


_POINTS_OPTIONS = [
    click.option("--points", default=None, metavar="FILE|-",
                 help="Evaluate at every row of a file of points (CSV, or Parquet, Arrow, JSON "
                      "Lines by extension; columns named by the variables); writes CSV, or "
                      "JSON Lines with --format json."),
    click.option("--strict", is_flag=True,
                 help="With --points: stop at the first row that cannot be evaluated."),
    click.option("--overwrite", is_flag=True,
                 help="With --points -o: replace an output file (or, with --engine dask, a "
                      "dataset folder) that exists; without it adcalc refuses."),
    click.option("--output", "-o", "output", default=None, metavar="FILE",
                 help="With --points: write to FILE (its extension names the format: .csv, "
                      ".parquet, .arrow/.feather, .jsonl) instead of standard output."),
    click.option("--input-format", type=click.Choice(["csv", "parquet", "arrow", "jsonl"]),
                 default=None, help="With --points: the format of the points (default: by "
                                    "the file's extension; CSV for -)."),
    click.option("--output-format", type=click.Choice(["csv", "parquet", "arrow", "jsonl"]),
                 default=None, help="With --points: the format written (default: by "
                                    "--output's extension; CSV, or JSON Lines with --format "
                                    "json)."),
    click.option("--engine", type=click.Choice(["local", "dask"]), default="local",
                 show_default=True,
                 help="With --points: dask sweeps a Parquet dataset (a folder or a glob) "
                      "partition by partition on Dask, writing a dataset folder (-o)."),
    click.option("--threads", type=click.IntRange(1, 256), default=None, metavar="N",
                 help="With --points: threads to sweep with (through polars, also to read "
                      "and write with; default: every core this process may use)."),
]


class ExpressionCommand(click.Command):
    """A command whose EXPRESSION may start with '-' (``-x^2``, ``-xq + x``, ``-tanh(x)``).

    The command line owns argv: before click parses it, every argument is sorted into an
    option of this command (with its value, even one starting with '-': ``--dir -1,1``),
    a long option this command does not have (click then names it and suggests the
    nearest, ``--att`` → ``--at``), or a positional argument, which is never split into
    short options.  After a ``--`` an argument is the expression's, never an option it
    does not name exactly: ``adcalc grad --at x=2 -- --x`` is minus minus x, and
    ``adcalc grad -- "-x^2" --at x=3`` still works as it reads.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        takes_value, flags = set(), set()
        for param in self.get_params(ctx):
            if isinstance(param, click.Option):
                for name in (*param.opts, *param.secondary_opts):
                    (flags if param.is_flag or param.count else takes_value).add(name)
        options: list[str] = []
        positional: list[str] = []
        rest = iter(args)
        ended = False  # after "--": nothing but this command's own options is an option
        for arg in rest:
            name = arg.split("=", 1)[0]
            if arg == "--" and not ended:
                ended = True
                continue
            if ended and name not in takes_value and arg not in flags:
                positional.append(arg)
            elif name in takes_value:
                options.append(arg)
                if "=" not in arg:
                    value = next(rest, None)
                    if value is not None:
                        options.append(value)
            elif arg in flags:
                options.append(arg)
            elif LONG_OPTION.fullmatch(arg):
                elsewhere = other_commands_with(ctx, name)
                if elsewhere:
                    raise click.UsageError(f"{name} is an option of adcalc "
                                           f"{' and '.join(elsewhere)}, not of {self.name}", ctx)
                options.append(arg)  # click names it and suggests the nearest
            else:
                positional.append(arg)
        if len(positional) > 1:
            pairs = [a for a in positional[1:] if POINT_PAIR.fullmatch(a)]
            given = [k for k, a in enumerate(options) if k and POINT_PAIR.fullmatch(a)
                     and options[k - 1] in takes_value]
            if pairs and given:
                flag, value = options[given[-1] - 1], options[given[-1]]
                raise click.UsageError(f"got {' '.join(positional[1:])!r} after the "
                                       "expression: separate name=value pairs with commas, "
                                       f"as in {flag} {','.join([value, *pairs])}", ctx)
        return super().parse_args(ctx, [*options, "--", *positional])


def other_commands_with(ctx: click.Context, option: str) -> list[str]:
    """The other commands that have ``option`` (``--wrt`` on grad: diff has it)."""
    group = ctx.parent.command if ctx.parent is not None else None
    found = []
    for name, command in getattr(group, "commands", {}).items():
        if name != ctx.info_name and any(
                option in (*p.opts, *p.secondary_opts) for p in command.params
                if isinstance(p, click.Option)):
            found.append(name)
    return found


LONG_OPTION = re.compile(r"--[A-Za-z][A-Za-z0-9-]*(=.*)?", re.S)
POINT_PAIR = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\[[0-9]+\])?=.+", re.S)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="adcalc")
def main() -> None:
    """adcalc: derivatives on the command line, step by step.

    \b
    Examples:
      adcalc grad "log((x1+x2)^2 + sin(x1*x2))" --at x1=1,x2=0.5
      adcalc grad "x*y + x^2" --at x=2,y=3 --mode forward
      adcalc grad "sin(x^2 + 1)" --at x=1.5 --check
      adcalc diff "x^3*sin(x)" --wrt x --order 2
      adcalc jacobian "[x*y, sin(x) + y^2, exp(x*y)]" --at x=1,y=2
      adcalc hessian "log((x1+x2)^2 + sin(x1*x2))" --at x1=1,x2=0.5
      adcalc graph "log((x1+x2)^2 + sin(x1*x2))" --at x1=1,x2=0.5 -o graph.svg
      adcalc functions
      adcalc examples baydin
    """


GRAD_HELP = """Value and gradient of EXPRESSION at a point, with the step-by-step trace.

\b
Examples:
  adcalc grad "log((x1+x2)^2 + sin(x1*x2))" --at x1=1,x2=0.5
  adcalc grad "x*y + x^2" --at x=2,y=3 --mode forward
  adcalc grad "x*y + x^2" --at x=2,y=3 --mode forward --seed x=1,y=-1
  adcalc grad "sin(x^2 + 1)" --at x=1.5 --check
  adcalc grad "exp(2*x1) + x1*x2^2" --at x1=1,x2=pi/2 --format json
  adcalc grad -- "-x^2" --at x=3
  adcalc grad "log((x1+x2)^2 + sin(x1*x2))" --points points.csv > grads.csv
  cat points.csv | adcalc grad "x*y" --points - --format json
  adcalc grad --python examples/model.py:loss --at w=0.5,b=0.1
  adcalc grad "x/3 + x*y" --at x=1,y=0.1 --exact        (1/3, 13/30: check by hand)
  adcalc grad "exp(x)*sin(y)" --at x=0.3,y=2 --precision 40 --check
  adcalc grad "x*y + sin(x)" --at x=1,y=2 --step        (on a terminal: n, p, q)
  adcalc grad "sq(t) = t^2; sq(w[1]) + sq(w[2])" --at "w[1]=1,w[2]=2"

""" + help_paragraph() + "\n" + PROGRAMS


@main.command(cls=ExpressionCommand, help=GRAD_HELP)
@click.argument("expression", required=False)
@click.option("--python", "python", default=None, metavar="FILE:FUNC",
              help="Trace a Python function instead of an expression (the file's own code "
                   "runs); --at names its parameters.")
@click.option("--at", "at", type=POINT, multiple=True, metavar="x=1,y=2",
              help="The point: a value for every variable (numbers or constants like pi/4).")
@click.option("--mode", type=click.Choice(["reverse", "forward"]), default=None,
              help="reverse (default): one adjoint sweep; forward: one tangent sweep per input.")
@click.option("--seed", type=POINT, default=None, metavar="x=1,y=0",
              help="Forward mode along this direction only (a directional derivative).")
@click.option("--vars", "variables", type=NAMES, default=None, metavar="x2,x1",
              help="Order of the variables (default: order of first appearance).")
@click.option("--check", is_flag=True,
              help="Verify against finite differences (Ridders' extrapolation).")
@click.option("--tol", type=click.FloatRange(min=0.0), default=1e-6, show_default=True,
              help="Relative tolerance of --check: |AD - FD| <= tol·max(|AD|, |FD|) + 4·err.")
@click.option("--format", "fmt", type=click.Choice(["auto", "plain", "rich", "json", "markdown",
                                                   "latex"]),
              default="auto", show_default=True,
              help="auto: tables on a terminal, plain text when piped; markdown and latex "
                   "for notes and slides.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the gradient.")
@click.option("--digits", type=click.IntRange(1, 17), default=None, metavar="K",
              help="Significant digits in the tables (default: all when piped, as many as "
                   "fit on a terminal).")
@POINTS
@click.option("--exact", is_flag=True,
              help="Sweep in exact arithmetic: rationals wherever the operations allow (x/3 "
                   "shows 1/3), an irrational value as its closed form (log(2), exp(100)) "
                   "with only the decimal digits known to be true.")
@click.option("--precision", type=click.IntRange(1, 1000), default=None, metavar="N",
              help="Sweep with N significant digits (mpmath); --check then compares with "
                   "this reference instead of finite differences.")
@click.option("--step", is_flag=True,
              help="On a terminal, walk the primal then the adjoint sweep one step at a time "
                   "(n/space/→ next, p/← previous, q quit).")
@click.option("--profile", is_flag=True,
              help="Print the time of each stage to stderr (or set ADCALC_PROFILE=1).")
def grad(expression: str | None, python: str | None, at: tuple[dict[str, float], ...],
         mode: str | None,
         seed: dict[str, float] | None, variables: list[str] | None, check: bool, tol: float,
         fmt: str, quiet: bool, digits: int | None, points: str | None, strict: bool,
         overwrite: bool, output: str | None, input_format: str | None,
         output_format: str | None, engine: str, threads: int | None,
         exact: bool, precision: int | None, step: bool, profile: bool) -> None:
    from adcalc.commands.grad import gradient
    from adcalc.engine.profile import RECORDER, stage

    RECORDER.enabled = RECORDER.enabled or profile

    point = merge_points(at)
    if mode is None:
        mode = "forward" if seed is not None else "reverse"
    if expression == "-" and points == "-":
        raise click.UsageError("the expression and the points cannot both come from standard "
                               "input (-): give the expression as text or @FILE")
    expression, text = expression_or_python(expression, python, point)
    if step:
        for given, flag in ((mode == "forward", "--mode forward"), (seed, "--seed"),
                            (points, "--points"), (quiet, "--quiet"),
                            (fmt in ("json", "markdown", "latex"), f"--format {fmt}")):
            if given:
                raise click.UsageError(f"--step walks the reverse sweep on a terminal; it does "
                                       f"not go with {flag}")
    if points is None:
        for given, flag in ((output, "--output"), (input_format, "--input-format"),
                            (output_format, "--output-format"), (threads, "--threads"),
                            (engine != "local", "--engine"), (overwrite, "--overwrite")):
            if given:
                raise click.UsageError(f"{flag} goes with --points (a file of points)")
    if points is not None:
        for given, flag, why in ((at, "--at", "the points come from the file"),
                                 (seed, "--seed", "each row's gradient is written whole"),
                                 (check, "--check", "check one point with --at"),
                                 (exact, "--exact", "the array sweeps run in doubles"),
                                 (precision, "--precision", "the array sweeps run in doubles")):
            if given:
                raise click.UsageError(f"{flag} does not go with --points ({why})")
        refuse_for_points(fmt, digits)
        with errors_reported(), stage("batch"):
            if engine == "dask":
                return dask_batch("gradient", expression, points, output, variables, strict,
                                  overwrite, fmt, (input_format, output_format))
            batch(expression, points, fmt, mode, variables, strict,
                  (output, input_format, output_format), threads, overwrite=overwrite)
        if RECORDER.enabled:
            click.echo(RECORDER.report(), err=True)
        return
    with errors_reported():
        g = gradient(expression, point, mode=mode, variables=variables, seed=seed,
                     record=not quiet and fmt != "json", exact=exact, digits=precision)
        g.expression = text
        stepped = step and step_through(g)
        result = None
        if check and g.double_gradient is not None:
            from adcalc.engine.check import reference_check
            from adcalc.symbolic.precise import reference_name

            what = (reference_name(g) if exact else
                    f"{precision} significant digits (mpmath)")
            with stage("check"):
                result = reference_check(g.double_gradient, g.gradient, tol, what,
                                         None if exact else precision, g.kinks)
        elif check:
            from adcalc.engine.check import check_gradient

            with stage("check"):
                result = check_gradient(g.tape, g.point, g.gradient, tol, g.seed, g.directional)
        with stage("output"):
            emit(g, result, fmt, quiet, digits, traces=not stepped)
        if RECORDER.enabled:
            click.echo(RECORDER.report(), err=True)
        if result is not None and not result.passed:
            worst = result.worst
            assert worst is not None
            detail = worst.note or (f"worst {worst.name}: |AD - FD| = {worst.abs_error:.3g}, "
                                    f"FD's own error {worst.error:.1g}")
            verb = "could not verify" if worst.note.startswith("cannot") else "failed for"
            kind = "finite-difference" if result.reference == "FD" else "reference"
            raise CheckFailed(f"the {kind} check {verb} "
                              f"{', '.join(result.failed)} (tol = {tol:g}; {detail})")


def step_through(g: Any) -> bool:
    """``--step``: walk the sweeps on the terminal, then say what they gave; ``False``
    (and a note) without a terminal or without steps to walk."""
    from adcalc.commands.step import walk

    w = walk(g) if g.variables else None
    if w is None or not any(s.phase == "primal" for s in w.steps):
        why = ("a variable to differentiate by" if w is None else
               "an operation to step through (f is one of its inputs)")
        click.echo(f"note: --step needs {why}; printing the whole trace instead", err=True)
        return False
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        click.echo("note: --step needs a terminal; printing the whole trace instead", err=True)
        return False
    import termios
    import tty

    from rich.console import Console

    from adcalc.render.rich_tty import render
    from adcalc.render.step_view import interact, terminal_keys

    console = Console()
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        interact(w, lambda blocks: render(blocks, console), console.clear, terminal_keys(),
                 console.height)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
    return True


def expression_or_python(expression: str | None, python: str | None,
                         point: dict[str, float] | None) -> tuple[Any, str]:
    """What the command works on, and its text for headers: the EXPRESSION (or a program
    from @FILE or -), or the tape of a Python function traced at the point."""
    if python is None:
        if expression is None:
            raise click.UsageError("give an EXPRESSION (or --python FILE:FUNCTION)")
        text = read_source(expression)
        return text, text
    if expression is not None:
        raise click.UsageError("give an EXPRESSION or --python FILE:FUNCTION, not both")
    from adcalc.commands.python import traced

    with errors_reported():
        return traced(python, point)


def batch(expression: Any, points: str, fmt: str, mode: str, variables: list[str] | None,
          strict: bool, files: tuple[str | None, str | None, str | None] = (None, None, None),
          threads: int | None = None, kind: str = "gradient", overwrite: bool = False) -> None:
    """``--points``: every CSV goes through adcalc's own streaming reader (to standard
    output or a file: CSV and JSON Lines by its own writer, Parquet and Arrow through a
    polars sink), so a cell reads the same on every path; Parquet, Arrow and JSON Lines
    points through polars (``adcalc.columnar``).  A file to write is new (or
    ``--overwrite``), never the points, and appears only when the run succeeds."""
    from adcalc.commands.common import prepare
    from adcalc.commands.points import Replacing, check_target
    from adcalc.render.points_out import Progress, bad_rows_message, kink_rows_message

    output = files[0] or "-"
    source_format, target_format = batch_formats(points, fmt, files)
    check_target(output, [points], overwrite)
    s = prepare(expression, None, variables, scalar=None if kind == "jacobian" else
                ("grad" if kind == "gradient" else kind))
    tape, names = s.tape, s.variables
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
    if summary.kinks:
        click.echo(kink_rows_message(tape, names, summary), err=True)
    if summary.bad:
        click.echo(bad_rows_message(summary), err=True)


def csv_batch(tape: Any, names: list[str], points: str, output: str, target_format: str,
              mode: str, strict: bool, threads: int | None, kind: str) -> Any:
    """CSV points to standard output through adcalc's own reader; to a file (``-o``, or
    Parquet and Arrow made for standard output) through polars' reader and writer, with
    the same cells, rows and messages (``run_csv_polars``), unless the file holds what
    only adcalc's reader reads right (then through it)."""
    from adcalc.batch.csv_in import open_points
    from adcalc.commands.points import Replacing, run_batch, run_csv_frames
    from adcalc.render.points_out import PointsWriter, Progress

    stream, size = open_points(points)
    progress = Progress(size if sys.stderr.isatty() else None)
    fmt = "json" if target_format == "jsonl" else "csv"
    try:
        if output == "-" and target_format in ("csv", "jsonl"):
            return run_batch(tape, stream, PointsWriter(sys.stdout, fmt), mode, names, strict,
                             progress, threads=threads, kind=kind)
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
             mode: str, strict: bool, threads: int | None, kind: str) -> Any:
    """CSV points in a file to ``path`` through polars (``run_csv_polars``); ``None`` when
    adcalc's own reader must read them (standard input, a lone ``\r``, a short row, …)."""
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
                              threads, kind, progress)
    except Fallback:
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
        click.echo(bad_rows_message(summary), err=True)
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


def refuse_without_points(output: str | None, input_format: str | None,
                          output_format: str | None, threads: int | None, engine: str,
                          overwrite: bool, strict: bool) -> None:
    for given, flag in ((output, "--output"), (input_format, "--input-format"),
                        (output_format, "--output-format"), (threads, "--threads"),
                        (engine != "local", "--engine"), (overwrite, "--overwrite"),
                        (strict, "--strict")):
        if given:
            raise click.UsageError(f"{flag} goes with --points (a file of points)")


def matrix_batch(kind: str, expression: str, at: tuple, variables: list[str] | None,
                 fmt: str, points: str, strict: bool,
                 files: tuple[str | None, str | None, str | None], threads: int | None,
                 digits: int | None = None, overwrite: bool = False,
                 engine: str = "local") -> None:
    """``jacobian``/``hessian --points``: every entry as a column."""
    if at:
        raise click.UsageError("--at does not go with --points (the points come from the file)")
    if expression == "-" and points == "-":
        raise click.UsageError("the expression and the points cannot both come from standard "
                               "input (-): give the expression as text or @FILE")
    refuse_for_points(fmt, digits)
    if engine == "dask":
        return dask_batch(kind, read_source(expression), points, files[0], variables, strict,
                          overwrite, fmt, files[1:])
    with errors_reported():
        batch(read_source(expression), points, fmt, "reverse", variables, strict, files,
              threads, kind, overwrite)


def emit(g: Any, check: Any, fmt: str, quiet: bool, digits: int | None = None,
         traces: bool = True) -> None:
    """Print the gradient record in the chosen format; warnings go to stderr.  Without
    ``traces`` (after ``--step`` showed them), the result, the arithmetic and the check."""
    if quiet and fmt != "json" and check is None and not g.nondiff and not g.tape.warnings:
        from adcalc.render.quiet import quiet_lines

        click.echo(quiet_lines(g), nl=False)  # the common scripted case: nothing heavy
        return
    from adcalc.render import trace

    warnings = trace.warnings(g)
    for line in warnings:
        click.echo(line, err=True)
    if fmt == "json":
        from adcalc.render.json_out import dumps, to_dict

        click.echo(dumps(to_dict(g, check, quiet, warnings)), nl=False)
        return
    if quiet:
        from adcalc.render.quiet import quiet_lines

        click.echo(quiet_lines(g), nl=False)
        if check is not None:
            from adcalc.render.plain import render_table

            click.echo(render_table(trace.check_table(check)))
        return
    print_blocks(trace.report(g, check, traces), fmt, digits)


def print_blocks(blocks: list, fmt: str, digits: int | None = None) -> None:
    """Rich tables on a terminal (or with ``--format rich``), fitted to its width; plain
    text otherwise; Markdown or LaTeX for notes and slides.  ``digits``: significant
    digits of the numbers in tables (default: all, or as many as a terminal fits)."""
    if digits is not None:
        from adcalc.render.document import Table, with_digits

        blocks = [with_digits(b, digits) if isinstance(b, Table) else b for b in blocks]
    if fmt in ("markdown", "latex"):
        from adcalc.render import notes

        click.echo(notes.markdown(blocks) if fmt == "markdown" else notes.latex(blocks),
                   nl=False)
        return
    if fmt == "rich" or (fmt == "auto" and sys.stdout.isatty()):
        from rich.console import Console

        from adcalc.render.rich_tty import render

        render(blocks, Console(force_terminal=True if fmt == "rich" else None), digits)
    else:
        from adcalc.render.plain import render as render_plain

        click.echo(render_plain(blocks), nl=False)


DIFF_HELP = """Symbolic derivatives of EXPRESSION, simplified, built from the same rules.

\b
Examples:
  adcalc diff "log((x1+x2)^2 + sin(x1*x2))"
  adcalc diff "x^3*sin(x)" --wrt x --order 2
  adcalc diff "x^2*y^3" --wrt x,y --order 2          (∂²f/∂x², ∂²f/∂x∂y, ∂²f/∂y²)
  adcalc diff "exp(2*x1) + x1*x2^2 + cos(x2)" --format latex
  adcalc diff "log((x1+x2)^2 + sin(x1*x2))" --at x1=1,x2=0.5 --cse
  adcalc diff "(x^2 + 1)/(x^2 - 1)" --simplify none     (the raw derivative tape)

Numbers stay exact (1/3, log(2), sqrt(2), pi). --simplify full (the default) brings each
derivative to a canonical form: like terms and factors collected, one sign, one fraction
line, common factors out, cancelled, sin^2 + cos^2 = 1; basic applies only the local
rules as the derivative is built; none prints the tape the rules produce. Shared pieces
larger than a few nodes are printed once under a name (t1 = ...), so the output grows
linearly with the expression; --cse names every shared piece.
"""


@main.command(cls=ExpressionCommand, help=DIFF_HELP)
@click.argument("expression")
@click.option("--wrt", type=NAMES, default=None, metavar="x,y",
              help="Differentiate by these variables (default: all of them).")
@click.option("--order", type=click.IntRange(min=1, max=10), default=1, show_default=True,
              help="Order k: every k-th partial over the --wrt variables (mixed ones once).")
@click.option("--at", "at", type=POINT, multiple=True, metavar="x=1,y=2",
              help="Also evaluate the derivatives at this point.")
@click.option("--cse", is_flag=True, help="Name every shared subexpression (t1 = ...).")
@click.option("--simplify", type=click.Choice(["none", "basic", "full"]), default="full",
              show_default=True,
              help="full: canonical forms; basic: local rules only; none: the raw tape.")
@click.option("--format", "fmt", type=click.Choice(["auto", "plain", "rich", "latex", "json"]),
              default="auto", show_default=True,
              help="auto: rich on a terminal, plain text when piped.")
def diff(expression: str, wrt: list[str] | None, order: int,
         at: tuple[dict[str, float], ...], cse: bool, simplify: str, fmt: str) -> None:
    from adcalc.commands.diff import diff as differentiate
    from adcalc.render import diff_report

    point = merge_points(at) if at else None
    expression = read_source(expression)
    with errors_reported():
        d = differentiate(expression, wrt, order, point, simplify)
        for line in diff_report.warnings(d):
            click.echo(line, err=True)
        if fmt == "json":
            from adcalc.render.json_out import dumps

            click.echo(dumps(diff_report.to_dict(d, cse)), nl=False)
        elif fmt == "latex":
            click.echo(diff_report.latex(d, cse), nl=False)
        else:
            print_blocks(diff_report.report(d, cse), fmt)


AT = click.option("--at", "at", type=POINT, multiple=True, metavar="x=1,y=2",
                  help="The point: a value for every variable.")
VARS = click.option("--vars", "variables", type=NAMES, default=None, metavar="x2,x1",
                    help="Order of the variables (default: order of first appearance).")
FORMAT = click.option("--format", "fmt",
                      type=click.Choice(["auto", "plain", "rich", "json", "markdown", "latex"]),
                      default="auto", show_default=True,
                      help="auto: tables on a terminal, plain text when piped; markdown and "
                           "latex for notes and slides.")
QUIET = click.option("--quiet", "-q", is_flag=True, help="Print only the numbers.")
DIGITS = click.option("--digits", type=click.IntRange(1, 17), default=None, metavar="K",
                      help="Significant digits in the tables (default: all when piped, as "
                           "many as fit on a terminal).")


def emit_vector(blocks: list, data: dict, quiet_text: str, warnings: list[str], fmt: str,
                quiet: bool, digits: int | None = None) -> None:
    for line in warnings:
        click.echo(line, err=True)
    if fmt == "json":
        from adcalc.render.json_out import dumps

        click.echo(dumps({**data, **({"warnings": warnings} if warnings else {})}), nl=False)
    elif quiet:
        click.echo(quiet_text, nl=False)
    else:
        print_blocks(blocks, fmt, digits)


@main.command(cls=ExpressionCommand, help=f"""The Jacobian of a
vector function, mode chosen by shape: forward (one tangent sweep per input) when there
are fewer inputs than outputs, reverse (one adjoint sweep per output) otherwise.

\b
Examples:
  adcalc jacobian "[x*y, sin(x) + y^2, exp(x*y)]" --at x=1,y=2
  adcalc jacobian "softmax([a, b, c])" --at a=1,b=2,c=3 --mode forward
  adcalc jacobian @examples/model.ad --at x=1,y=2 --format json
{PROGRAMS}""")
@click.argument("expression")
@AT
@click.option("--mode", type=click.Choice(["forward", "reverse"]), default=None,
              help="Override the choice by shape.")
@VARS
@FORMAT
@QUIET
@DIGITS
@POINTS
def jacobian(expression: str, at: tuple, mode: str | None, variables: list[str] | None,
             fmt: str, quiet: bool, digits: int | None, points: str | None, strict: bool,
             overwrite: bool, output: str | None, input_format: str | None,
             output_format: str | None, engine: str, threads: int | None) -> None:
    from adcalc.commands.vector import jacobian as compute
    from adcalc.render import vector_report as vr

    if points is not None:
        return matrix_batch("jacobian", expression, at, variables, fmt, points, strict,
                            (output, input_format, output_format), threads, digits,
                            overwrite, engine)
    refuse_without_points(output, input_format, output_format, threads, engine, overwrite,
                          strict)
    point, expression = merge_points(at), read_source(expression)
    with errors_reported():
        r = compute(expression, point, mode, variables, record=not quiet and fmt != "json")
        emit_vector(vr.jacobian_report(r), vr.vector_dict(r, "jacobian", {}),
                    vr.matrix_lines(r.matrix), vr.warnings(r), fmt, quiet, digits)


@main.command(cls=ExpressionCommand, help=f"""The Hessian of a
scalar expression by forward-over-reverse, with its eigenvalues (convexity at a glance).

\b
Examples:
  adcalc hessian "log((x1+x2)^2 + sin(x1*x2))" --at x1=1,x2=0.5
  adcalc hessian "(1 - x)^2 + 100*(y - x^2)^2" --at x=1,y=1 --format json
{PROGRAMS}""")
@click.argument("expression")
@AT
@VARS
@FORMAT
@QUIET
@DIGITS
@POINTS
def hessian(expression: str, at: tuple, variables: list[str] | None, fmt: str, quiet: bool,
            digits: int | None, points: str | None, strict: bool, overwrite: bool,
            output: str | None, input_format: str | None, output_format: str | None,
            engine: str, threads: int | None) -> None:
    from adcalc.commands.vector import hessian as compute
    from adcalc.render import vector_report as vr

    if points is not None:
        return matrix_batch("hessian", expression, at, variables, fmt, points, strict,
                            (output, input_format, output_format), threads, digits,
                            overwrite, engine)
    refuse_without_points(output, input_format, output_format, threads, engine, overwrite,
                          strict)
    point, expression = merge_points(at), read_source(expression)
    with errors_reported():
        h = compute(expression, point, variables)
        emit_vector(vr.hessian_report(h), vr.hessian_dict(h), vr.matrix_lines(h.matrix),
                    vr.warnings(h), fmt, quiet, digits)


@main.command(cls=ExpressionCommand, help=f"""Jacobian-vector
product J·v with one tangent sweep (no Jacobian is formed).

\b
Examples:
  adcalc jvp "[x*y, x+y]" --at x=1,y=2 --dir x=1,y=-1
  adcalc jvp "[x*y, x+y]" --at x=1,y=2 --dir 1,-1
{PROGRAMS}""")
@click.argument("expression")
@AT
@click.option("--dir", "direction", type=VECTOR, required=True, metavar="x=1,y=-1 | 1,-1",
              help="The vector v, by input name or by position.")
@VARS
@FORMAT
@QUIET
@DIGITS
def jvp(expression: str, at: tuple, direction: Any, variables: list[str] | None, fmt: str,
        quiet: bool, digits: int | None) -> None:
    from adcalc.commands.vector import jvp as compute
    from adcalc.render import vector_report as vr
    from adcalc.render.document import num

    point, expression = merge_points(at), read_source(expression)
    with errors_reported():
        r = compute(expression, point, direction, variables)
        direction = dict(zip(r.variables, r.direction, strict=True))
        emit_vector(vr.jvp_report(r), vr.vector_dict(r, "jvp", {"direction": direction}),
                    "".join(f"{num(row[0])}\n" for row in r.matrix), vr.warnings(r), fmt, quiet,
                    digits)


@main.command(cls=ExpressionCommand, help=f"""Vector-Jacobian
product uᵀ·J with one adjoint sweep seeded on all outputs at once.

\b
Examples:
  adcalc vjp "[x*y, x+y]" --at x=1,y=2 --cot 1,0
  adcalc vjp "[x*y, x+y]" --at x=1,y=2 --cot f1=1,f2=0.5
{PROGRAMS}""")
@click.argument("expression")
@AT
@click.option("--cot", "cotangent", type=VECTOR, required=True, metavar="1,0 | f1=1,f2=0",
              help="The vector u, by position or by output name (f1, f2, ...).")
@VARS
@FORMAT
@QUIET
@DIGITS
def vjp(expression: str, at: tuple, cotangent: Any, variables: list[str] | None, fmt: str,
        quiet: bool, digits: int | None) -> None:
    from adcalc.commands.vector import vjp as compute
    from adcalc.render import vector_report as vr
    from adcalc.render.document import num

    point, expression = merge_points(at), read_source(expression)
    with errors_reported():
        r = compute(expression, point, cotangent, variables, record=not quiet and fmt != "json")
        emit_vector(vr.vjp_report(r), vr.vector_dict(r, "vjp", {"cotangent": r.direction}),
                    "".join(f"{n} {num(x)}\n" for n, x in zip(r.variables, r.matrix[0],
                                                               strict=True)),
                    vr.warnings(r), fmt, quiet, digits)


GRAPH_FORMATS = ("text", "dot", "svg", "png", "pdf")


@main.command(cls=ExpressionCommand, help=f"""Draw the
computational graph: inputs, intermediates and outputs as a DAG (a shared
subexpression appears once, with several out-edges). With --at, each node carries its
value and adjoint (or, with --mode forward --seed, its tangent) and each edge its local
partial.

\b
Examples:
  adcalc graph "log((x1+x2)^2 + sin(x1*x2))" --at x1=1,x2=0.5
  adcalc graph "log((x1+x2)^2 + sin(x1*x2))" --at x1=1,x2=0.5 -o graph.svg
  adcalc graph "x*y + sin(x)" --at x=1,y=2 --format dot > graph.dot
  adcalc graph "x*y + sin(x)" --at x=1,y=2 --mode forward --seed x=1 -o graph.png

svg, png and pdf need Graphviz's dot program; text and dot need nothing.
{PROGRAMS}""")
@click.argument("expression", required=False)
@click.option("--python", "python", default=None, metavar="FILE:FUNC",
              help="Trace a Python function instead of an expression (the file's own code "
                   "runs).")
@click.option("--at", "at", type=POINT, multiple=True, metavar="x=1,y=2",
              help="Show values and derivatives at this point.")
@click.option("--mode", type=click.Choice(["reverse", "forward"]), default=None,
              help="reverse (default): adjoints; forward: tangents for --seed.")
@click.option("--seed", type=POINT, default=None, metavar="x=1",
              help="Forward-mode seed (default: 1 on the first variable).")
@VARS
@click.option("--format", "fmt", type=click.Choice(["auto", *GRAPH_FORMATS]), default="auto",
              show_default=True, help="auto: from -o's extension, else the text view.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write to this file (.dot, .svg, .png or .pdf).")
@click.option("--of", "of", default=None, metavar="f2 | 2",
              help="For a vector function: the output whose adjoints the nodes carry "
                   "(default f1).")
@click.option("--max-nodes", type=click.IntRange(min=2), default=200, show_default=True,
              help="Above this, collapse chains and leave out the farthest nodes.")
def graph(expression: str | None, python: str | None, at: tuple, mode: str | None,
          seed: dict | None,
          variables: list[str] | None, fmt: str, output: str | None, of: str | None,
          max_nodes: int) -> None:
    from adcalc.commands.graph import graph as compute
    from adcalc.render.graph_image import render_graph

    point = merge_points(at)
    expression, text = expression_or_python(expression, python, point)
    if fmt == "auto":
        ext = output.rsplit(".", 1)[-1].lower() if output and "." in output else None
        if output and ext not in GRAPH_FORMATS[1:]:
            raise click.BadParameter(f"cannot tell the format from {output!r}: use an "
                                     ".svg, .png, .pdf or .dot name, or --format",
                                     param_hint="'-o'")
        fmt = ext or "text"
    if fmt in ("png", "pdf") and output is None and sys.stdout.isatty():
        raise click.UsageError(f"{fmt} is binary: give -o FILE (or pipe the output)")
    with errors_reported():
        record = compute(expression, point if at else None, mode, seed, variables, max_nodes, of)
        record.expression = text
        for line in record.warnings:
            click.echo(line, err=True)
        result = render_graph(record, fmt)
        if isinstance(result, list):
            print_blocks(result, "auto")
        elif output:
            try:
                with open(output, "wb") as f:
                    f.write(result)
            except OSError as exc:
                raise click.BadParameter(f"cannot write {output}: {exc.strerror or exc}",
                                         param_hint="'-o'") from None
            click.echo(f"wrote {output}", err=True)
        else:
            sys.stdout.buffer.write(result)


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
              help="""The famous examples, built in: with no NAME, the list; with a NAME,
its source and program, then its command run on it, with any options of that command
after the name.

\b
Examples:
  adcalc examples
  adcalc examples baydin
  adcalc examples baydin --mode forward
  adcalc examples griewank --format latex
  adcalc examples softmax -q
""")
@click.argument("name", required=False)
@click.argument("options", nargs=-1, type=click.UNPROCESSED)
def examples(name: str | None, options: tuple[str, ...]) -> None:
    from adcalc.commands.examples import BY_NAME, EXAMPLES

    if name is None:
        from adcalc.render.document import Table

        table = Table("Built-in examples (adcalc examples NAME runs one)",
                      ["name", "command", "what", "from"])
        for e in EXAMPLES:
            table.add([e.name, e.command, e.title, e.source])
        print_blocks([table], "auto")
        return
    example = BY_NAME.get(name)
    if example is None:
        import difflib

        near = difflib.get_close_matches(name, list(BY_NAME), n=1)
        hint = f" (did you mean {near[0]}?)" if near else ""
        raise click.BadParameter(f"no example {name!r}{hint}; there are "
                                 f"{', '.join(BY_NAME)}", param_hint="'NAME'")
    quiet = any(o in ("-q", "--quiet") for o in options) or "json" in options
    fmt = next((options[k + 1] for k, o in enumerate(options[:-1]) if o == "--format"),
               next((o.split("=", 1)[1] for o in options if o.startswith("--format=")), ""))
    if not quiet:
        from adcalc.render.notes import comment

        click.echo(comment(example.about(), fmt))
    given = any(o == "--at" or o.startswith("--at=") for o in options)
    point = [] if given else ["--at", example.point]  # a point given replaces the example's
    main.main([example.command, example.program, *point, *options], prog_name="adcalc",
              standalone_mode=False)


@main.command(help="""Every function, reduction and constant an expression may use, with
its domain and what adcalc does at its kinks.

\b
Examples:
  adcalc functions
  adcalc functions --format json
""")
@click.option("--format", "fmt", type=click.Choice(["auto", "plain", "rich", "json"]),
              default="auto", show_default=True,
              help="auto: a table on a terminal, plain text when piped.")
def functions(fmt: str) -> None:
    from adcalc.frontend.catalog import entries
    from adcalc.render.document import Table

    if fmt == "json":
        from adcalc.render.json_out import dumps

        click.echo(dumps({"functions": [e._asdict() for e in entries()]}), nl=False)
        return
    table = Table("What an expression may use", ["call", "what it is", "domain and conventions"])
    for e in entries():
        table.add([e.signature, e.doc, e.notes])
    print_blocks([table], fmt)


class errors_reported:
    """Turn adcalc errors into a message on stderr and the error's exit code."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, exc: BaseException | None, tb: Any) -> bool:
        if isinstance(exc, AdcalcError):
            click.echo(f"error: {exc.spelled(FLAGS)}", err=True)
            sys.exit(exc.exit_code)
        return False


def run() -> None:
    """Console entry point: every ending is a message and an exit code, never a traceback.

    0 success, 1 a math error or a failed check (or output that cannot be written), 2 a
    usage or parse error, 130 interrupted (Ctrl-C), 141 the reader of a pipe went away
    (``| head``: quietly, as other tools do).
    """
    import errno
    import os

    try:
        try:
            code = main.main(prog_name="adcalc", standalone_mode=False)
            code = code if isinstance(code, int) else 0
        except SystemExit as exc:
            # click ends a broken pipe (EPIPE) with exit 1 behind a quiet stdout wrapper
            piped = type(sys.stdout).__name__.endswith("PacifyFlushWrapper")
            code = 141 if piped and exc.code == 1 else exc.code
        finally:
            sys.stdout.flush()
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except (click.Abort, KeyboardInterrupt):
        code = 130  # Ctrl-C: the shell's own status for SIGINT, and no "Aborted!"
    except OSError as exc:
        # Point stdout at the null device, so the flush at exit cannot fail again.
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        if exc.errno == errno.EPIPE:
            code = 141  # | head: the reader has all it wants
        else:
            click.echo(f"error: cannot write the output: {exc.strerror or exc}", err=True)
            code = 1
    sys.exit(code)
