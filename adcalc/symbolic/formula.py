"""Whole formulas from a tape, with shared pieces named once (``t1 = …``).

Expression swell is what makes symbolic derivatives unreadable: a subexpression used
twice prints twice, and nested uses multiply.  Here a node used more than once is
printed once under a name when it is large (or always, with ``cse``), so the text of an
n-node tape stays O(n).  Every step is a loop; ropes make joining O(1).
"""

from __future__ import annotations

from dataclasses import dataclass

from adcalc.engine.algebra import PrintAlgebra, Text
from adcalc.engine.primitives import CONST, INPUT, NEG, POW, PREC_ATOM, PREC_POW
from adcalc.engine.tape import Tape

MIN_SHARED_SIZE = 12
"""Nodes in a shared piece before it gets a name (without ``cse``)."""


@dataclass
class Formulas:
    lets: list[tuple[str, Text]]
    """Named shared pieces, each defined before its first use."""
    outputs: list[Text]


def shared_names(tape: Tape, cse: bool = False) -> dict[int, str]:
    """The nodes to name: used more than once and large (any size with ``cse``)."""
    ops, a0, a1 = tape.ops, tape.a0, tape.a1
    n = len(ops)
    uses = [0] * n
    for i in range(n):
        if ops[i] >= 0:
            uses[a0[i]] += 1
            if a1[i] >= 0:
                uses[a1[i]] += 1
    for o in tape.outputs:
        uses[o] += 1
    size = [1] * n
    named = [False] * n
    for i in range(n):
        if ops[i] < 0:
            continue
        if ops[i] == NEG:  # -t1, never a name for the negation of a piece
            size[i] = size[a0[i]]
            continue
        s = 1 + (1 if named[a0[i]] else size[a0[i]])
        if a1[i] >= 0:
            s += 1 if named[a1[i]] else size[a1[i]]
        size[i] = s
        # a name where it shortens the output: written once more than the other uses
        # save (a name and its line cost about three nodes), or large and shared
        named[i] = uses[i] >= 2 and (cse or s >= MIN_SHARED_SIZE or (
            s >= 4 and (uses[i] - 1) * (s - 1) > s + 3))
    taken = set(tape.variables)
    names: dict[int, str] = {}
    k = 0
    for i in range(n):
        if named[i]:
            k += 1
            while f"t{k}" in taken:
                k += 1
            names[i] = f"t{k}"
    return names


def formulas(tape: Tape, algebra: PrintAlgebra, cse: bool = False) -> Formulas:
    """Each output of ``tape`` as text, with the shared pieces as let-bindings."""
    names = shared_names(tape, cse)
    ops, a0, a1, consts = tape.ops, tape.a0, tape.a1, tape.consts
    text: list[Text | float | None] = [None] * len(ops)
    ref: list[Text | float | None] = [None] * len(ops)
    lets: list[tuple[str, Text]] = []
    for i, op in enumerate(ops):
        if op == INPUT:
            t: Text | float = algebra.name(tape.input_name[i])
        elif op == CONST:
            t = consts[i]  # type: ignore[assignment]
        else:
            args = [ref[a0[i]]] if a1[i] < 0 else [ref[a0[i]], ref[a1[i]]]
            if op == POW and not getattr(algebra, "exponent_in_braces", False):
                args[1] = _raised(args[1])  # type: ignore[arg-type]
            t = algebra.apply(op, args, consts[i])  # type: ignore[arg-type]
        text[i] = t
        if i in names:
            lets.append((names[i], algebra.wrap(t)))
            ref[i] = algebra.name(names[i])[0], PREC_ATOM
        else:
            ref[i] = t
    # An output that is itself a named piece is written by its name: once a piece has a
    # name, every formula uses it (∂f/∂b = t1 beside ∂f/∂w = x*t1).
    return Formulas(lets, [algebra.wrap(ref[o] if o in names else text[o])  # type: ignore[arg-type]
                           for o in tape.outputs])


def _raised(exponent: Text) -> Text:
    """A power in an exponent in parentheses: ``2^(x^2)``, never ``2^x^2`` (which reads
    as ``(2^x)^2`` to a person, though the grammar groups it from the right)."""
    if isinstance(exponent, tuple) and exponent[1] == PREC_POW:
        return ("(", exponent[0], ")"), PREC_ATOM
    return exponent


def program(tape: Tape, output: int = 0, cse: bool = False) -> str:
    """Output ``output`` as adcalc source: ``t1 = …; t2 = …; expression``."""
    from adcalc.engine.describe import PLAIN

    f = formulas(tape, PLAIN, cse)
    parts = [f"{name} = {PLAIN.text(t)}" for name, t in f.lets]
    return "; ".join([*parts, PLAIN.text(f.outputs[output])])


def source(tape: Tape) -> str:
    """All outputs as one adcalc program (a vector when there are several): what a tape
    built from Python code says in adcalc's own language."""
    from adcalc.engine.describe import PLAIN

    f = formulas(tape, PLAIN)
    parts = [f"{name} = {PLAIN.text(t)}" for name, t in f.lets]
    results = [PLAIN.text(t) for t in f.outputs]
    return "; ".join([*parts, results[0] if len(results) == 1 else f"[{', '.join(results)}]"])
