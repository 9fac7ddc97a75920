"""Derivative tapes: the reverse sweep run with the tape itself as the algebra.

The same rules that give numbers in ``adcalc.reverse`` here append nodes, so the result
is a tape whose outputs are the derivatives; differentiating that tape again gives
higher orders and mixed partials.  Everything lives on one working tape, so the
derivatives share their pieces with each other and with the original function.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations_with_replacement

from adcalc.errors import InputError, option
from adcalc.forward import RULES
from adcalc.primitives import CONST
from adcalc.simplify import Simplifier, simplified
from adcalc.tape import Tape


def gradient_nodes(tape: Tape, algebra, output: int, wrt: Sequence[str]) -> list[int]:
    """Append ∂output/∂x for each ``x`` in ``wrt`` to ``tape``; return their node ids.

    ``algebra`` builds the nodes (a ``Simplifier`` over ``tape``, or the tape itself).
    """
    ops, a0, a1, consts = tape.ops, tape.a0, tape.a1, tape.consts
    bar: dict[int, int] = {output: tape.const(1.0)}
    zero = tape.const(0.0)
    for j in range(output, -1, -1):
        g = bar.get(j)
        op = ops[j]
        if g is None or op < 0 or g == zero:
            continue
        a, b = a0[j], a1[j]
        parts = RULES[op](algebra, j, a, b if b >= 0 else None, consts[j])
        for arg, p in zip((a, b), parts, strict=False):
            if ops[arg] == CONST:
                continue
            contribution = algebra.mul(g, p)
            bar[arg] = algebra.add(bar[arg], contribution) if arg in bar else contribution
    return [bar.get(tape.var_node[x], zero) for x in wrt]


def check_wrt(tape: Tape, wrt: Sequence[str] | None) -> list[str]:
    """The variables to differentiate by (default: all), each one the expression uses."""
    if not wrt:
        return list(tape.variables)
    for name in wrt:
        if name not in tape.var_node:
            import difflib

            near = difflib.get_close_matches(name, tape.variables, n=1, cutoff=0.5)
            hint = f"; did you mean {near[0]}?" if near else ""
            uses = ", ".join(tape.variables) or "no variables"
            raise InputError(f"{option('wrt')} names {name}, which the expression does not "
                             f"use{hint} "
                             f"(it uses {uses})")
    if len(set(wrt)) != len(wrt):
        raise InputError(f"{option('wrt')} names a variable twice")
    return list(wrt)


def derivatives(tape: Tape, wrt: Sequence[str] | None = None, order: int = 1,
                simplify: bool = True) -> tuple[Tape, list[tuple[str, ...]]]:
    """All partial derivatives of ``order`` over the variables ``wrt``.

    Returns a tape whose outputs are the derivatives and, for each output, the
    variables it differentiates by (``("x", "y")`` is ∂²f/∂x∂y).  Mixed partials are
    listed once each (they are symmetric), in the order of ``wrt``.
    """
    if order < 1:
        raise InputError("the derivative order must be at least 1")
    names = check_wrt(tape, wrt)
    work = simplified(tape) if simplify else tape.copy()
    algebra = Simplifier(work) if simplify else work
    current: dict[tuple[str, ...], int] = {(): work.output}
    for _ in range(order):
        following: dict[tuple[str, ...], int] = {}
        for index, node in current.items():
            start = names.index(index[-1]) if index else 0
            rest = names[start:]
            for name, d in zip(rest, gradient_nodes(work, algebra, node, rest), strict=True):
                following[(*index, name)] = d
        current = following
    wanted = list(combinations_with_replacement(names, order))
    work.outputs = [current[k] for k in wanted]
    return work.pruned(), wanted


SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _grouped(key: Sequence[str]) -> list[tuple[str, int]]:
    groups: list[tuple[str, int]] = []
    for name in key:
        if groups and groups[-1][0] == name:
            groups[-1] = (name, groups[-1][1] + 1)
        else:
            groups.append((name, 1))
    return groups


def label(key: Sequence[str]) -> str:
    """``("x",)`` → ``∂f/∂x``; ``("x", "x")`` → ``∂²f/∂x²``; ``("x", "y")`` → ``∂²f/∂x∂y``."""
    k = len(key)
    top = "∂f" if k == 1 else f"∂{str(k).translate(SUPERSCRIPT)}f"
    bottom = "".join(f"∂{n}" + (str(m).translate(SUPERSCRIPT) if m > 1 else "")
                     for n, m in _grouped(key))
    return f"{top}/{bottom}"


def latex_label(key: Sequence[str]) -> str:
    from adcalc.latex import latex_name

    k = len(key)
    top = r"\partial f" if k == 1 else rf"\partial^{{{k}}} f"
    bottom = r" \, ".join(rf"\partial {latex_name(n)}" + (f"^{{{m}}}" if m > 1 else "")
                          for n, m in _grouped(key))
    return rf"\frac{{{top}}}{{{bottom}}}"


@dataclass
class Diff:
    """Symbolic derivatives of an expression, and their values at a point if given."""

    expression: str
    tape: Tape
    """Outputs are the derivatives, in the order of ``keys``."""
    keys: list[tuple[str, ...]]
    variables: list[str]
    order: int
    point: dict[str, float] | None = None
    values: list[float] | None = None


def diff(expression: str | Tape, wrt: Sequence[str] | None = None, order: int = 1,
         at: Mapping[str, float] | None = None) -> Diff:
    """``adcalc.diff("x^3*sin(x)", wrt=["x"], order=2)``: derivative tapes and values."""
    from adcalc.evaluate import primal
    from adcalc.gradient import check_point
    from adcalc.parse import parse

    tape = parse(expression) if isinstance(expression, str) else expression
    text = expression if isinstance(expression, str) else ""
    dtape, keys = derivatives(tape, wrt, order)
    result = Diff(text, dtape, keys, list(tape.variables), order)
    if at is not None:
        point = check_point(tape, at)
        primal(tape, point)  # f must be defined there, or its derivatives mean nothing
        vals = primal(dtape, point)
        result.point = point
        result.values = [vals[o] for o in dtape.outputs]
    return result
