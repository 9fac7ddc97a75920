"""``adcalc codegen``: the value and its derivatives as one standalone source file."""

from __future__ import annotations

import click

from adcalc.cli import errors_reported
from adcalc.cli.argv import ExpressionCommand
from adcalc.cli.options import expression_argument
from adcalc.cli.types import NAMES

CODEGEN_HELP = """Write EXPRESSION and its derivatives as one standalone source file:
Python (only math), NumPy (only numpy; broadcasts over arrays) or C99 (only <math.h>).

\b
Examples:
  adcalc codegen "log((x1+x2)^2 + sin(x1*x2))" --lang c -o f.c
  adcalc codegen "x*y + sin(x)" --lang python --vars y,x --name g
  adcalc codegen "[x*y, sin(x) + y^2]" --lang numpy          (f, f_jacobian)
  adcalc codegen @model.adc --lang c --what hessian
  adcalc codegen "if x > 0 then x^2 else -x" --lang numpy   (branches: np.where)

f(x, y) returns the value; f_grad(x, y) the value and the gradient (C: double
f_grad(double x, double y, double *grad), returning the value); f_jacobian the values and
the Jacobian's rows; f_hessian the value, the gradient and the Hessian's rows (C:
row-major arrays). The derivatives are adcalc's reverse sweep written out, statement by
statement, with its own stable rules and conventions at kinks; the file's header says
them, the variables' order and what happens outside a domain. A program's branches are
if/else blocks (NumPy: np.where), its repeat and for loops unrolled; a while loop is
refused (bound it with repeat N and an if).
"""


@click.command(cls=ExpressionCommand, help=CODEGEN_HELP)
@expression_argument()
@click.option("--lang", type=click.Choice(["python", "numpy", "c"]), default="python",
              show_default=True, help="The language of the file.")
@click.option("--what", type=click.Choice(["grad", "jacobian", "hessian"]), default=None,
              help="The derivative function written besides the value (default: grad for "
                   "one result, jacobian for several).")
@click.option("--vars", "variables", type=NAMES, default=None, metavar="x2,x1",
              help="The parameters' order (default: as grad orders the variables).")
@click.option("--name", default="f", show_default=True, metavar="NAME",
              help="The value function's name (the others add _grad, _jacobian, _hessian).")
@click.option("--output", "-o", default=None, metavar="FILE",
              help="Write to FILE (a new file, or --overwrite) instead of standard output.")
@click.option("--overwrite", is_flag=True,
              help="With -o: replace a file that exists; without it adcalc refuses.")
def codegen(expression: str, lang: str, what: str | None, variables: list[str] | None,
            name: str, output: str | None, overwrite: bool) -> None:
    from adcalc.commands.codegen import codegen as generate
    from adcalc.commands.points import check_target

    with errors_reported():
        if output is not None:  # a file it did not write is never replaced unasked
            check_target(output, [expression[1:]] if expression.startswith("@") else [],
                         overwrite)
        g = generate(expression, lang, what, variables, name)
    if output is None:
        click.echo(g.source, nl=False)
        return
    try:
        with open(output, "w", encoding="utf-8") as f:
            f.write(g.source)
    except OSError as exc:
        raise click.FileError(output, exc.strerror or str(exc)) from None
