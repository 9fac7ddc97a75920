"""``adcalc diff``: symbolic derivatives, simplified, as text, LaTeX or JSON."""

from __future__ import annotations

import click

from adcalc.cli import errors_reported
from adcalc.cli.argv import ExpressionCommand
from adcalc.cli.options import at_option, expression_argument
from adcalc.cli.types import NAMES

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


@click.command(cls=ExpressionCommand, help=DIFF_HELP)
@expression_argument()
@click.option("--wrt", type=NAMES, default=None, metavar="x,y",
              help="Differentiate by these variables (default: all of them).")
@click.option("--order", type=click.IntRange(min=1, max=10), default=1, show_default=True,
              help="Order k: every k-th partial over the --wrt variables (mixed ones once).")
@at_option("Also evaluate the derivatives at this point.")
@click.option("--cse", is_flag=True, help="Name every shared subexpression (t1 = ...).")
@click.option("--simplify", type=click.Choice(["none", "basic", "full"]), default="full",
              show_default=True,
              help="full: canonical forms; basic: local rules only; none: the raw tape.")
@click.option("--format", "fmt", type=click.Choice(["auto", "plain", "rich", "latex", "json"]),
              default="auto", show_default=True,
              help="auto: rich on a terminal, plain text when piped.")
def diff(expression: str, wrt: list[str] | None, order: int,
         at: dict[str, float], cse: bool, simplify: str, fmt: str) -> None:
    from adcalc.commands.diff import diff as differentiate
    from adcalc.render import diff_report
    from adcalc.render.output import emit

    with errors_reported():
        d = differentiate(expression, wrt, order, at or None, simplify)
        emit(diff_report, d, fmt, cse=cse)
