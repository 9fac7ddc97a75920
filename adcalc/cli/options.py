"""Options shared by several commands: EXPRESSION, the point, the variables, the format,
--quiet, --digits and the batch options of --points."""

from __future__ import annotations

from typing import Any

import click

from adcalc.cli.types import EXPRESSION, NAMES, POINT, merge_at

PROGRAMS = """
EXPRESSION may be a vector [f1, f2, ...], a program of bindings separated by ';' or
new lines (a = x + y; [a*x, a^2]) with '#' comments and functions of its own
(neuron(w, b, x) = tanh(w*x + b)), @FILE to read one from a file, or - to read it from
standard input. Names may carry an index: w[1]."""


def expression_argument(required: bool = True) -> Any:
    """EXPRESSION, read from @FILE or - when it names one (``types.EXPRESSION``)."""
    return click.argument("expression", type=EXPRESSION, required=required)


def at_option(help: str) -> Any:
    """``--at``, given once or more (``--at x=1 --at y=2``): one point, ``{}`` without;
    and ``--max-steps``, the bound on a program's ``while`` loops traced at the point."""
    at = click.option("--at", "at", type=POINT, multiple=True, metavar="x=1,y=2",
                      callback=merge_at, help=help)
    steps = click.option("--max-steps", type=click.IntRange(min=1), default=None,
                         metavar="N", expose_value=False, callback=_max_steps,
                         help="A program's while loop may run at most N iterations "
                              "(default 10,000), and its loops together 100·N iterations "
                              "and tape rows (a traced Python function's tape too); past "
                              "them it is an error.")
    return lambda f: at(steps(f))


def _max_steps(ctx: click.Context, param: click.Parameter, value: int | None) -> None:
    import sys

    if value is None and "adcalc.frontend.program" not in sys.modules:
        return  # the default, and nothing set it before: nothing to import at start-up
    from adcalc.frontend.program import MAX_STEPS_SETTING

    MAX_STEPS_SETTING.set(value)


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
                                    "the file's extension, CSV for any other; for - "
                                    "standard input, by its first bytes)."),
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


class SchedulerOption(click.Option):
    """``--scheduler ADDRESS``: only with ``--points`` and ``--engine dask`` (checked against
    them as parsed, in any order), kept in ``commands.dataset.SCHEDULER_SETTING`` as
    ``--max-steps`` is kept, not passed through every command."""

    def handle_parse_result(self, ctx: click.Context, opts: Any, args: list[str]) -> Any:
        import sys

        address = opts.get(self.name)
        if address is not None and (opts.get("points") is None or opts.get("engine") != "dask"):
            raise click.UsageError("--scheduler goes with --points DATASET --engine dask "
                                   "(a Dask cluster sweeps a Parquet dataset)", ctx)
        if address is not None or "adcalc.commands.dataset" in sys.modules:
            from adcalc.commands.dataset import SCHEDULER_SETTING

            SCHEDULER_SETTING.set(address)
        return super().handle_parse_result(ctx, opts, args)


_POINTS_OPTIONS.append(click.option(
    "--scheduler", cls=SchedulerOption, default=None, metavar="ADDRESS", expose_value=False,
    help="With --engine dask: sweep on the running Dask cluster whose scheduler is at "
         "ADDRESS (tcp://host:8786; default: DASK_SCHEDULER_ADDRESS, else on this machine)."))


def refuse_without_points(output: str | None, input_format: str | None,
                          output_format: str | None, threads: int | None, engine: str,
                          overwrite: bool, strict: bool) -> None:
    """The options of --points (``POINTS``) refused without it."""
    for given, flag in ((output, "--output"), (input_format, "--input-format"),
                        (output_format, "--output-format"), (threads, "--threads"),
                        (engine != "local", "--engine"), (overwrite, "--overwrite"),
                        (strict, "--strict")):
        if given:
            raise click.UsageError(f"{flag} goes with --points (a file of points)")


AT = at_option("The point: a value for every variable.")
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


def expression_or_python(expression: str | None, python: str | None,
                         point: dict[str, float] | None) -> tuple[Any, str]:
    """What the command works on, and its text for headers: the EXPRESSION (a program
    read from @FILE or - already), or the tape of a Python function traced at the point."""
    if python is None:
        if expression is None:
            raise click.UsageError("give an EXPRESSION (or --python FILE:FUNCTION)")
        return expression, expression
    if expression is not None:
        raise click.UsageError("give an EXPRESSION or --python FILE:FUNCTION, not both")
    from adcalc.cli import errors_reported
    from adcalc.commands.python import traced

    with errors_reported():
        return traced(python, point)
