"""``adcalc grad``: the value and gradient at a point, its trace, checks, --points."""

from __future__ import annotations

from typing import Any

import click

from adcalc.cli import errors_reported
from adcalc.cli.argv import ExpressionCommand
from adcalc.cli.options import (
    POINTS,
    PROGRAMS,
    at_option,
    expression_argument,
    expression_or_python,
    refuse_without_points,
)
from adcalc.cli.types import NAMES, POINT, TOLERANCE
from adcalc.frontend.catalog import help_paragraph

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


@click.command(cls=ExpressionCommand, help=GRAD_HELP)
@expression_argument(required=False)
@click.option("--python", "python", default=None, metavar="FILE:FUNC",
              help="Trace a Python function instead of an expression (the file's own code "
                   "runs); --at names its parameters.")
@at_option("The point: a value for every variable (numbers or constants like pi/4).")
@click.option("--mode", type=click.Choice(["reverse", "forward"]), default=None,
              help="reverse (default): one adjoint sweep; forward: one tangent sweep per input.")
@click.option("--seed", type=POINT, default=None, metavar="x=1,y=0",
              help="Forward mode along this direction only (a directional derivative).")
@click.option("--vars", "variables", type=NAMES, default=None, metavar="x2,x1",
              help="Order of the variables (default: order of first appearance).")
@click.option("--check", is_flag=True,
              help="Verify against finite differences (Ridders' extrapolation).")
@click.option("--tol", type=TOLERANCE, default=1e-6, show_default=True,
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
def grad(expression: str | None, python: str | None, at: dict[str, float],
         mode: str | None,
         seed: dict[str, float] | None, variables: list[str] | None, check: bool, tol: float,
         fmt: str, quiet: bool, digits: int | None, points: str | None, strict: bool,
         overwrite: bool, output: str | None, input_format: str | None,
         output_format: str | None, engine: str, threads: int | None,
         exact: bool, precision: int | None, step: bool, profile: bool) -> None:
    """Parse the options, then sweep at the point or at every row of --points."""
    from adcalc.engine.profile import RECORDER

    RECORDER.enabled = RECORDER.enabled or profile
    if mode is None:
        mode = "forward" if seed is not None else "reverse"
    expression, text = expression_or_python(expression, python, at)
    if step:
        for given, flag in ((mode == "forward", "--mode forward"), (seed, "--seed"),
                            (points, "--points"), (quiet, "--quiet"),
                            (fmt in ("json", "markdown", "latex"), f"--format {fmt}")):
            if given:
                raise click.UsageError(f"--step walks the reverse sweep on a terminal; it does "
                                       f"not go with {flag}")
    if points is None:
        refuse_without_points(output, input_format, output_format, threads, engine, overwrite,
                              strict=False)  # grad has always let --strict alone pass
        return gradient_at(expression, text, at, mode, seed, variables, (check, tol, exact,
                           precision), fmt, quiet, digits, step)
    from adcalc.cli.points import sweep_points

    return sweep_points("gradient", expression, points, fmt, digits, mode, variables, strict,
                        (output, input_format, output_format), threads, overwrite, engine,
                        refused=((at, "--at", "the points come from the file"),
                                 (seed, "--seed", "each row's gradient is written whole"),
                                 (check, "--check", "check one point with --at"),
                                 (exact, "--exact", "the array sweeps run in doubles"),
                                 (precision, "--precision",
                                  "the array sweeps run in doubles")))


def gradient_at(expression: Any, text: str, point: dict[str, float], mode: str,
                seed: dict[str, float] | None, variables: list[str] | None,
                checking: tuple[bool, float, bool, int | None], fmt: str, quiet: bool,
                digits: int | None, step: bool) -> None:
    """The gradient at one point: computed, walked (--step), checked (--check), printed;
    a failed check is exit 1 after the output."""
    from adcalc.commands.grad import gradient
    from adcalc.engine.profile import RECORDER, stage
    from adcalc.errors import CheckFailed
    from adcalc.render import trace
    from adcalc.render.output import emit

    check, tol, exact, precision = checking
    with errors_reported():
        g = gradient(expression, point, mode=mode, variables=variables, seed=seed,
                     record=not quiet and fmt != "json", exact=exact, digits=precision)
        g.expression = text
        if step:
            from adcalc.cli.step import step_through

            step = step_through(g)
        result = run_check(g, tol, exact, precision) if check else None
        with stage("output"):
            emit(trace, g, fmt, quiet, digits, check=result, traces=not step)
        if RECORDER.enabled:
            click.echo(RECORDER.report(), err=True)
        failure = result and trace.check_failure(result)
        if failure:
            raise CheckFailed(failure)


def run_check(g: Any, tol: float, exact: bool, precision: int | None) -> Any:
    """``--check``: against the double sweep for --exact and --precision, else against
    finite differences (Ridders' extrapolation)."""
    from adcalc.engine.profile import stage

    if g.double_gradient is not None:
        from adcalc.engine.check import reference_check
        from adcalc.symbolic.precise import reference_name

        what = (reference_name(g) if exact else f"{precision} significant digits (mpmath)")
        with stage("check"):
            return reference_check(g.double_gradient, g.gradient, tol, what,
                                   None if exact else precision, g.kinks)
    from adcalc.engine.check import check_gradient

    with stage("check"):
        return check_gradient(g.tape, g.point, g.gradient, tol, g.seed, g.directional)
