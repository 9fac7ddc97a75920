"""taylor: every Taylor coefficient of f along a line, by one sweep of truncated series."""

from __future__ import annotations

from typing import Any

import click

from adcalc.cli.argv import ExpressionCommand
from adcalc.cli.options import (
    DIGITS,
    FORMAT,
    PROGRAMS,
    QUIET,
    VARS,
    at_option,
    expression_argument,
)
from adcalc.cli.types import VECTOR

HELP = f"""The Taylor coefficients f_k = (1/k!)·dᵏ/dtᵏ f(x + t·d) at t = 0, k = 0…K,
of EXPRESSION along the direction d, all from one forward sweep that pushes truncated
Taylor series through the tape (Taylor mode: O(K²) work a node), with the trace of every
node's coefficients.

\b
Examples:
  adcalc taylor "exp(x)" --at x=0 --order 5 --exact      (1, 1, 1/2, 1/6, 1/24, 1/120)
  adcalc taylor "log((x1+x2)^2 + sin(x1*x2))" --at x1=1,x2=0.5 --dir x1=1,x2=0 --order 4
  adcalc taylor "sin(x)/x" --at x=1 --order 10 --precision 30 -q
  adcalc taylor "x^2*y" --at x=1,y=2 --dir 1,1 --order 2 --format json
{PROGRAMS}"""


@click.command(cls=ExpressionCommand, help=HELP)
@expression_argument()
@at_option("The point x: a value for every variable.")
@click.option("--dir", "direction", type=VECTOR, default=None, metavar="x=1,y=0 | 1,0",
              help="The direction d, by variable name (others 0) or by position (default: "
                   "1 for an expression of one variable; required with several).")
@click.option("--order", "order", type=int, default=2, show_default=True, metavar="K",
              help="The highest order K (1 to 1000).")
@VARS
@FORMAT
@QUIET
@DIGITS
@click.option("--trace/--no-trace", "trace", default=True, show_default=True,
              help="Show every node's coefficients (the Taylor trace) before the result.")
@click.option("--exact", is_flag=True,
              help="Exact arithmetic: rationals where the function allows (exp at 0: 1/k!), "
                   "closed forms (e/2, log(2)) elsewhere.")
@click.option("--precision", type=click.IntRange(1, 1000), default=None, metavar="N",
              help="Sweep with N significant digits (mpmath).")
def taylor(expression: str, at: dict[str, float], direction: Any, order: int,
           variables: list[str] | None, fmt: str, quiet: bool, digits: int | None,
           trace: bool, exact: bool, precision: int | None) -> None:
    from adcalc.cli import errors_reported
    from adcalc.commands.taylor import taylor as compute
    from adcalc.render import taylor_report
    from adcalc.render.output import emit

    with errors_reported():
        r = compute(expression, at, direction, order, variables, exact, precision)
        emit(taylor_report, r, fmt, quiet, digits, traces=trace)
