"""The command line: thin click commands that call the core and pick a renderer.

Exit codes: 0 success, 1 a math error or a failed check, 2 a usage or parse error.
"""

from __future__ import annotations

import math
import re
import sys
from typing import Any

import click

from adcalc import __version__
from adcalc.errors import AdcalcError, CheckFailed

NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def split_top_level(text: str, sep: str = ",") -> list[str]:
    """Split at ``sep`` outside parentheses (``x=max(1,2),y=3`` is two parts)."""
    parts, depth, start = [], 0, 0
    for k, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:k])
            start = k + 1
    parts.append(text[start:])
    return parts


def constant_value(text: str) -> float:
    """A number, or a constant expression such as ``pi/4`` (parsed, never eval'd)."""
    try:
        x = float(text)
    except ValueError:
        from adcalc.evaluate import primal
        from adcalc.parse import parse

        tape = parse(text)
        if tape.variables:
            raise click.BadParameter(f"{text!r} uses {', '.join(tape.variables)}; a value must "
                                     "be a number or a constant expression like pi/4") from None
        x = primal(tape, {})[tape.output]
    if not math.isfinite(x):
        raise click.BadParameter(f"{text!r} is not a finite number")
    return x


class PointType(click.ParamType):
    """``x1=1,x2=0.5``: names and values (numbers or constant expressions)."""

    name = "name=value,..."

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None
                ) -> dict[str, float]:
        if isinstance(value, dict):
            return value
        out: dict[str, float] = {}
        for part in split_top_level(str(value)):
            name, eq, rhs = (s.strip() for s in part.partition("="))
            if not eq or not NAME_RE.fullmatch(name) or not rhs:
                self.fail(f"expected name=value pairs separated by commas, like x1=1,x2=0.5; "
                          f"got {part.strip()!r}", param, ctx)
            if name in out:
                self.fail(f"{name} is given twice", param, ctx)
            try:
                out[name] = constant_value(rhs)
            except click.BadParameter as exc:
                self.fail(f"the value of {name}: {exc.message}", param, ctx)
            except AdcalcError as exc:
                self.fail(f"the value of {name} is not a number: {exc}", param, ctx)
        return out


class NamesType(click.ParamType):
    """``x2,x1``: a comma-separated list of variable names."""

    name = "name,..."

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None
                ) -> list[str]:
        if isinstance(value, list):
            return value
        names = [s.strip() for s in str(value).split(",")]
        for n in names:
            if not NAME_RE.fullmatch(n):
                self.fail(f"{n!r} is not a variable name", param, ctx)
        return names


POINT = PointType()
NAMES = NamesType()


def merge_points(points: tuple[dict[str, float], ...]) -> dict[str, float]:
    merged: dict[str, float] = {}
    for p in points:
        for name, v in p.items():
            if name in merged:
                raise click.BadParameter(f"{name} is given twice", param_hint="'--at'")
            merged[name] = v
    return merged


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

The language: numbers (2, .5, 1e-3), names (x, x_1, alpha), + - * / ^ (or **),
parentheses, the constants pi and e, and the functions sin cos tan asin acos atan
sinh cosh tanh exp log (log(x, b) for base b) log2 log10 sqrt abs sign step sigmoid
relu softplus pow atan2 min max hypot.
"""


@main.command(help=GRAD_HELP, context_settings={"ignore_unknown_options": True})
@click.argument("expression")
@click.option("--at", "at", type=POINT, multiple=True, metavar="x=1,y=2",
              help="The point: a value for every variable (numbers or constants like pi/4).")
@click.option("--mode", type=click.Choice(["reverse", "forward"]), default=None,
              help="reverse (default): one adjoint sweep; forward: one tangent sweep per input.")
@click.option("--seed", type=POINT, default=None, metavar="x=1,y=0",
              help="Forward mode along this direction only (a directional derivative).")
@click.option("--vars", "order", type=NAMES, default=None, metavar="x2,x1",
              help="Order of the variables (default: order of first appearance).")
@click.option("--check", is_flag=True, help="Verify against central finite differences.")
@click.option("--tol", type=click.FloatRange(min=0.0), default=1e-6, show_default=True,
              help="Tolerance of --check: |AD - FD| <= tol * max(1, |AD|).")
@click.option("--format", "fmt", type=click.Choice(["auto", "plain", "rich", "json"]),
              default="auto", show_default=True,
              help="auto: tables on a terminal, plain text when piped.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the gradient.")
def grad(expression: str, at: tuple[dict[str, float], ...], mode: str | None,
         seed: dict[str, float] | None, order: list[str] | None, check: bool, tol: float,
         fmt: str, quiet: bool) -> None:
    from adcalc.check import check_gradient
    from adcalc.gradient import gradient

    point = merge_points(at)
    if mode is None:
        mode = "forward" if seed is not None else "reverse"
    with errors_reported():
        g = gradient(expression, point, mode=mode, order=order, seed=seed,
                     record=not quiet and fmt != "json")
        result = check_gradient(g.tape, g.point, g.gradient, tol) if check else None
        emit(g, result, fmt, quiet)
        if result is not None and not result.passed:
            raise CheckFailed(f"the finite-difference check failed for "
                              f"{', '.join(result.failed)} (tol = {tol:g})")


def emit(g: Any, check: Any, fmt: str, quiet: bool) -> None:
    """Print the gradient record in the chosen format; warnings go to stderr."""
    from adcalc.render import trace

    warnings = trace.warnings(g)
    for line in warnings:
        click.echo(line, err=True)
    if fmt == "json":
        from adcalc.render.json_out import dumps, to_dict

        click.echo(dumps(to_dict(g, check, quiet, warnings)), nl=False)
        return
    if quiet:
        click.echo(trace.quiet_lines(g), nl=False)
        if check is not None:
            from adcalc.render.plain import render_table

            click.echo(render_table(trace.check_table(check)))
        return
    print_blocks(trace.report(g, check), fmt)


def print_blocks(blocks: list, fmt: str) -> None:
    """Rich tables on a terminal (or with ``--format rich``), plain text otherwise."""
    if fmt == "rich" or (fmt == "auto" and sys.stdout.isatty()):
        from rich.console import Console

        from adcalc.render.rich_tty import render

        render(blocks, Console(force_terminal=True if fmt == "rich" else None))
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

Shared pieces larger than a few nodes are printed once under a name (t1 = ...), so
the output grows linearly with the expression; --cse names every shared piece.
"""


@main.command(help=DIFF_HELP, context_settings={"ignore_unknown_options": True})
@click.argument("expression")
@click.option("--wrt", type=NAMES, default=None, metavar="x,y",
              help="Differentiate by these variables (default: all of them).")
@click.option("--order", type=click.IntRange(min=1, max=10), default=1, show_default=True,
              help="Order k: every k-th partial over the --wrt variables (mixed ones once).")
@click.option("--at", "at", type=POINT, multiple=True, metavar="x=1,y=2",
              help="Also evaluate the derivatives at this point.")
@click.option("--cse", is_flag=True, help="Name every shared subexpression (t1 = ...).")
@click.option("--format", "fmt", type=click.Choice(["auto", "plain", "rich", "latex", "json"]),
              default="auto", show_default=True,
              help="auto: rich on a terminal, plain text when piped.")
def diff(expression: str, wrt: list[str] | None, order: int,
         at: tuple[dict[str, float], ...], cse: bool, fmt: str) -> None:
    from adcalc.derive import diff as differentiate
    from adcalc.render import diff_report

    point = merge_points(at) if at else None
    with errors_reported():
        d = differentiate(expression, wrt, order, point)
        if fmt == "json":
            from adcalc.render.json_out import dumps

            click.echo(dumps(diff_report.to_dict(d, cse)), nl=False)
        elif fmt == "latex":
            click.echo(diff_report.latex(d, cse), nl=False)
        else:
            print_blocks(diff_report.report(d, cse), fmt)


class errors_reported:
    """Turn adcalc errors into a message on stderr and the error's exit code."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, exc: BaseException | None, tb: Any) -> bool:
        if isinstance(exc, AdcalcError):
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        return False


def run() -> None:
    """Console entry point."""
    main(prog_name="adcalc")
