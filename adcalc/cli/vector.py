"""``adcalc jacobian``, ``hessian``, ``jvp`` and ``vjp``: derivatives of vector functions
(and the Hessian of a scalar one), at a point or at every row of --points."""

from __future__ import annotations

from typing import Any

import click

from adcalc.cli import errors_reported
from adcalc.cli.argv import ExpressionCommand
from adcalc.cli.options import (
    AT,
    DIGITS,
    FORMAT,
    POINTS,
    PROGRAMS,
    QUIET,
    VARS,
    expression_argument,
    refuse_without_points,
)
from adcalc.cli.types import VECTOR
from adcalc.render import vector_report
from adcalc.render.output import emit


@click.command(cls=ExpressionCommand, help=f"""The Jacobian of a
vector function, mode chosen by shape: forward (one tangent sweep per input) when there
are fewer inputs than outputs, reverse (one adjoint sweep per output) otherwise.

\b
Examples:
  adcalc jacobian "[x*y, sin(x) + y^2, exp(x*y)]" --at x=1,y=2
  adcalc jacobian "softmax([a, b, c])" --at a=1,b=2,c=3 --mode forward
  adcalc jacobian @examples/model.ad --at x=1,y=2 --format json
{PROGRAMS}""")
@expression_argument()
@AT
@click.option("--mode", type=click.Choice(["forward", "reverse"]), default=None,
              help="Override the choice by shape.")
@VARS
@FORMAT
@QUIET
@DIGITS
@POINTS
def jacobian(expression: str, at: dict, mode: str | None, variables: list[str] | None,
             fmt: str, quiet: bool, digits: int | None, points: str | None, strict: bool,
             overwrite: bool, output: str | None, input_format: str | None,
             output_format: str | None, engine: str, threads: int | None) -> None:
    from adcalc.commands.vector import jacobian as compute

    if points is not None:
        return matrix_points("jacobian", expression, at, variables, fmt, points, strict,
                             (output, input_format, output_format), threads, digits,
                             overwrite, engine)
    refuse_without_points(output, input_format, output_format, threads, engine, overwrite,
                          strict)
    with errors_reported():
        r = compute(expression, at, mode, variables, record=not quiet and fmt != "json")
        emit(vector_report, r, fmt, quiet, digits, kind="jacobian")


@click.command(cls=ExpressionCommand, help=f"""The Hessian of a
scalar expression by forward-over-reverse, with its eigenvalues (convexity at a glance).

\b
Examples:
  adcalc hessian "log((x1+x2)^2 + sin(x1*x2))" --at x1=1,x2=0.5
  adcalc hessian "(1 - x)^2 + 100*(y - x^2)^2" --at x=1,y=1 --format json
{PROGRAMS}""")
@expression_argument()
@AT
@VARS
@FORMAT
@QUIET
@DIGITS
@POINTS
def hessian(expression: str, at: dict, variables: list[str] | None, fmt: str, quiet: bool,
            digits: int | None, points: str | None, strict: bool, overwrite: bool,
            output: str | None, input_format: str | None, output_format: str | None,
            engine: str, threads: int | None) -> None:
    from adcalc.commands.vector import hessian as compute

    if points is not None:
        return matrix_points("hessian", expression, at, variables, fmt, points, strict,
                             (output, input_format, output_format), threads, digits,
                             overwrite, engine)
    refuse_without_points(output, input_format, output_format, threads, engine, overwrite,
                          strict)
    with errors_reported():
        emit(vector_report, compute(expression, at, variables), fmt, quiet, digits)


@click.command(cls=ExpressionCommand, help=f"""Jacobian-vector
product J·v with one tangent sweep (no Jacobian is formed).

\b
Examples:
  adcalc jvp "[x*y, x+y]" --at x=1,y=2 --dir x=1,y=-1
  adcalc jvp "[x*y, x+y]" --at x=1,y=2 --dir 1,-1
{PROGRAMS}""")
@expression_argument()
@AT
@click.option("--dir", "direction", type=VECTOR, required=True, metavar="x=1,y=-1 | 1,-1",
              help="The vector v, by input name or by position.")
@VARS
@FORMAT
@QUIET
@DIGITS
def jvp(expression: str, at: dict, direction: Any, variables: list[str] | None, fmt: str,
        quiet: bool, digits: int | None) -> None:
    from adcalc.commands.vector import jvp as compute

    with errors_reported():
        r = compute(expression, at, direction, variables)
        emit(vector_report, r, fmt, quiet, digits, kind="jvp")


@click.command(cls=ExpressionCommand, help=f"""Vector-Jacobian
product uᵀ·J with one adjoint sweep seeded on all outputs at once.

\b
Examples:
  adcalc vjp "[x*y, x+y]" --at x=1,y=2 --cot 1,0
  adcalc vjp "[x*y, x+y]" --at x=1,y=2 --cot f1=1,f2=0.5
{PROGRAMS}""")
@expression_argument()
@AT
@click.option("--cot", "cotangent", type=VECTOR, required=True, metavar="1,0 | f1=1,f2=0",
              help="The vector u, by position or by output name (f1, f2, ...).")
@VARS
@FORMAT
@QUIET
@DIGITS
def vjp(expression: str, at: dict, cotangent: Any, variables: list[str] | None, fmt: str,
        quiet: bool, digits: int | None) -> None:
    from adcalc.commands.vector import vjp as compute

    with errors_reported():
        r = compute(expression, at, cotangent, variables, record=not quiet and fmt != "json")
        emit(vector_report, r, fmt, quiet, digits, kind="vjp")


def matrix_points(kind: str, expression: str, at: dict,
                  variables: list[str] | None, fmt: str, points: str, strict: bool,
                  files: tuple[str | None, str | None, str | None], threads: int | None,
                  digits: int | None, overwrite: bool, engine: str) -> None:
    """``jacobian``/``hessian --points``: every entry as a column."""
    from adcalc.cli.points import sweep_points

    sweep_points(kind, expression, points, fmt, digits, "reverse", variables, strict, files,
                 threads, overwrite, engine,
                 refused=((at, "--at", "the points come from the file"),))
