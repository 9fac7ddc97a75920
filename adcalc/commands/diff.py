"""diff: symbolic derivatives of any order, and their values at a point if given."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field

from adcalc.commands.common import prepare
from adcalc.derive import each_derivative
from adcalc.errors import DomainError
from adcalc.sweeps import adjoint, primal
from adcalc.tape import Tape


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


def diff(expression: str | Tape, wrt: Sequence[str] | None = None, order: int = 1,
         at: Mapping[str, float] | None = None) -> Diff:
    """``adcalc.diff("x^3*sin(x)", wrt=["x"], order=2)``: derivative tapes and values."""
    s = prepare(expression, at)
    dtape, keys, results = each_derivative(s.tape, wrt, order)
    names = ["f"] if len(s.tape.outputs) == 1 else [f"f{k + 1}" for k in
                                                     range(len(s.tape.outputs))]
    result = Diff(s.expression, dtape, keys, list(s.tape.variables), order,
                  [names[k] for k in results], source=s.tape)
    if at is not None:
        # f is defined there (prepare ran its primal), or its derivatives mean nothing;
        # one adjoint sweep finds the kinks, so the warnings are grad's own.
        result.point, result.source_values = s.point, s.values
        with suppress(DomainError):  # then the derivative tapes' evaluation says what is wrong
            result.nondiff = adjoint(s.tape, s.values, dict.fromkeys(s.tape.outputs, 1.0)).nondiff
        vals = primal(dtape, s.point)
        result.values = [vals[o] for o in dtape.outputs]
    return result
