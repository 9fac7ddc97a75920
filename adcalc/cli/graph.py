"""``adcalc graph``: the computational graph as text, DOT, or an image through Graphviz."""

from __future__ import annotations

import sys

import click

from adcalc.cli import errors_reported
from adcalc.cli.argv import ExpressionCommand
from adcalc.cli.options import PROGRAMS, VARS, at_option, expression_argument, expression_or_python
from adcalc.cli.types import POINT

GRAPH_FORMATS = ("text", "dot", "svg", "png", "pdf")


@click.command(cls=ExpressionCommand, help=f"""Draw the
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
@expression_argument(required=False)
@click.option("--python", "python", default=None, metavar="FILE:FUNC",
              help="Trace a Python function instead of an expression (the file's own code "
                   "runs).")
@at_option("Show values and derivatives at this point.")
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
def graph(expression: str | None, python: str | None, at: dict[str, float], mode: str | None,
          seed: dict | None,
          variables: list[str] | None, fmt: str, output: str | None, of: str | None,
          max_nodes: int) -> None:
    from adcalc.commands.graph import graph as compute
    from adcalc.render.graph_image import render_graph
    from adcalc.render.output import print_blocks

    expression, text = expression_or_python(expression, python, at)
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
        record = compute(expression, at or None, mode, seed, variables, max_nodes, of)
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
