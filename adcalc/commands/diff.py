"""diff: symbolic derivatives of any order, and their values at a point if given."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from adcalc.commands.common import prepare
from adcalc.engine.describe import undefined_anywhere
from adcalc.engine.sweeps import adjoint, primal, recorded_gradient, recorded_tangent
from adcalc.engine.tape import Tape
from adcalc.errors import DomainError
from adcalc.frontend.parse import parse, parse_program

if TYPE_CHECKING:
    from adcalc.commands.pieces import Piece
    from adcalc.frontend.program import Program
from adcalc.symbolic.derive import each_derivative


@dataclass
class Diff:
    """Symbolic derivatives of an expression, and their values at a point if given."""

    expression: str
    tape: Tape
    """Outputs are the derivatives, in the order of ``keys``."""
    keys: list[tuple[str, ...]]
    variables: list[str]
    order: int
    """The derivative order."""
    functions: list[str] = field(default_factory=list)
    """For each derivative, the result it differentiates: f, or f1, f2, … of a vector."""
    point: dict[str, float] | None = None
    values: list[float] | None = None
    source: Tape | None = None
    """The expression's own tape (for the warnings at the point)."""
    source_values: list[float] = field(default_factory=list)
    nondiff: list[int] = field(default_factory=list)
    """Nodes of ``source`` at a non-differentiable point (the same warnings as grad)."""
    pieces: list[list[Piece]] | None = None
    """A program with branches, without a point: each derivative's pieces
    (``adcalc.commands.pieces``); ``tape``'s outputs are then the pieces' formulas and
    the sides of their conditions."""
    notes: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        """What the parser noticed about the text (a binding never used)."""
        return list(self.source.warnings) if self.source is not None else list(self.notes)


def diff(expression: str | Tape, wrt: Sequence[str] | None = None, order: int = 1,
         at: Mapping[str, float] | None = None, simplify: str = "full") -> Diff:
    """``adcalc.diff("x^3*sin(x)", wrt=["x"], order=2)``: derivative tapes and values.

    The formulas come from the text read exactly (``1/3`` stays a third, ``pi`` is
    pi), the values from the same sweeps as ``grad``.  ``simplify``: ``"full"``,
    ``"basic"`` or ``"none"`` (``adcalc.derive.SIMPLIFY``)."""
    text = isinstance(expression, str)
    program = getattr(expression, "program", None)
    if not text and at is None and getattr(program, "text", None) and getattr(
            expression, "decisions", None):  # a program traced at a point: every path
        return _piecewise(program.text, program, wrt, order, simplify)
    exact = None
    if text and at is None:
        read = parse_program(expression, exact=True)  # type: ignore[arg-type]
        if not isinstance(read, Tape):  # branches or loops: every path, piece by piece
            program = parse_program(expression)  # type: ignore[arg-type]
            return _piecewise(expression, program, wrt, order, simplify)  # type: ignore[arg-type]
        exact = read  # a straight line: the text is read once
    elif text:
        exact = parse(expression, exact=True, at=at)  # type: ignore[arg-type]
    undefined_anywhere(exact or expression)  # type: ignore[arg-type]
    # without a point the exact tape serves for the variables too: one parse, not two
    s = prepare(exact if text and at is None else expression, at)
    if text:
        s.expression = expression
    dtape, keys, results = each_derivative(exact or s.tape, wrt, order, simplify,
                                           defined=True)
    names = s.tape.output_names
    result = Diff(s.expression, dtape, keys, list(s.tape.variables), order,
                  [names[k] for k in results], source=s.tape)
    if at is not None:
        # f is defined there (prepare ran its primal), or its derivatives mean nothing;
        # one adjoint sweep finds the kinks, so the warnings are grad's own.
        result.point, result.source_values = s.point, s.values
        result.values = numbers(s.tape, s.values, s.point, keys, results, order)
        with suppress(DomainError):
            result.nondiff = adjoint(s.tape, s.values, dict.fromkeys(s.tape.outputs, 1.0)).nondiff
    return result


def _piecewise(expression: str, program: Program, wrt: Sequence[str] | None, order: int,
               simplify: str) -> Diff:
    from adcalc.commands.pieces import piecewise

    tape, keys, results, variables, pieces, notes = piecewise(program, wrt, order, simplify)
    names = ["f"] if max(results, default=0) == 0 else [f"f{k + 1}" for k in
                                                          range(max(results) + 1)]
    return Diff(expression, tape, keys, variables, order, [names[k] for k in results],
                pieces=pieces, notes=notes)


def numbers(tape: Tape, vals: list[float], point: dict[str, float],
            keys: list[tuple[str, ...]], results: list[int], order: int) -> list[float]:
    """The derivatives' values by the numeric sweeps, the same numbers grad and hessian
    give (the printed formula is rearranged for people: evaluated as printed, -x/y^2
    overflows at y = 2e154 where the reverse sweep's -(x/y)/y does not).  Beyond the
    second order, the derivative tape the rules build (``simplify="basic"``, the
    sweeps' own stable partials: sigmoid'''(40) is 4.2e-18 there, where the printed
    formula's 1 - sigmoid(40) is 0)."""
    if order == 1:
        rows = [adjoint(tape, vals, {o: 1.0}).adjoints for o in tape.outputs]
        return [rows[k][tape.var_node[key[0]]] for key, k in zip(keys, results, strict=True)]
    if order == 2:  # forward-over-reverse, as hessian: one recorded reverse sweep a result
        out = []
        recorded: dict[int, tuple[Tape, list[float]]] = {}
        columns: dict[tuple[int, str], list[float]] = {}
        for key, k in zip(keys, results, strict=True):
            first, second = key
            if k not in recorded:
                recorded[k] = recorded_gradient(tape, tape.outputs[k], tape.variables, point)
            if (k, second) not in columns:
                g, gvals = recorded[k]
                sweep = recorded_tangent(g, gvals, {second: 1.0})
                columns[(k, second)] = [sweep.tangents[o] for o in g.outputs]
            out.append(columns[(k, second)][tape.variables.index(first)])
        return out
    wrt = list(dict.fromkeys(n for key in keys for n in key))  # (--wrt's order: the keys')
    rules, rule_keys, rule_results = each_derivative(tape, wrt, order, "basic")
    dvals = primal(rules, point)
    by_key = {(key, k): dvals[o] for key, k, o in zip(rule_keys, rule_results, rules.outputs,
                                                       strict=True)}
    return [by_key[(key, k)] for key, k in zip(keys, results, strict=True)]
