"""diff of a program with branches, for every point: its derivative piece by piece.

A program's path is the sequence of its decisions' outcomes.  The paths are enumerated
depth first: the program is traced (``Program``'s tracer, exact, no values) with a prefix
of outcomes, and where it asks for one more, both are tried.  A decision the path so far
settles (two literals; a side compared with itself; the same two sides compared before;
a side against a literal, beyond a bound an earlier literal put on it) is taken without a
branch, so a path whose conditions contradict each other that way is never made (others
are printed with their conjunction).  Each path's tape -- loops with constant bounds
unrolled, as at a point -- is differentiated symbolically (``each_derivative``), and all
the formulas and the compared sides are grafted onto one tape (hash-consed: equal
formulas are one node, and the shared pieces are named once by the report).  Per
derivative, the decision tree is folded wherever both outcomes give the same formula,
and the remaining paths with equal formulas are merged into one piece (their conditions
joined by ``or``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from adcalc.engine.primitives import ADD, CONST, DIV, INPUT, MUL, NEG, SUB
from adcalc.engine.tape import Tape
from adcalc.errors import DomainError, InputError, param
from adcalc.frontend.program import Program
from adcalc.frontend.tracer import LOOP, Tracer, place

MAX_PIECES = 64
"""The most paths a program's branches may make for diff without a point."""

NEGATED = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}
FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_ORDERS = {"<": {-1}, "<=": {-1, 0}, ">": {1}, ">=": {1, 0}, "==": {0}, "!=": {-1, 1}}
"""Each comparison of a with b as the signs of a - b it admits."""

Literal = tuple[int, str, int]
"""``(left, op, right)``: one comparison that holds, its sides indices into the outputs
of ``Diff.tape`` (an outcome false is written with the negated operator)."""


@dataclass
class Piece:
    """One piece of a derivative: ``formula`` (an index into ``Diff.tape.outputs``)
    where ``condition`` holds: a disjunction of conjunctions of ``Literal``s (``[[]]``:
    everywhere)."""

    formula: int
    condition: list[list[Literal]] = field(default_factory=list)


class _Open(Exception):
    """The path needs one more outcome."""


class _PathTracer(Tracer):
    """The tracer with the given free outcomes; a decision the path settles is taken
    without one (``free`` says, for each decision, whether it was free)."""

    def __init__(self, program: Program, outcomes: Sequence[bool]) -> None:
        super().__init__(program, {}, None, True, list(outcomes))
        self.free: list[bool] = []
        self.signs: dict[tuple[int, int], set[int]] = {}
        self.bounds: dict[int, list[Any]] = {}  # node -> [lo, lo_strict, hi, hi_strict]

    def compare(self, ins: tuple, x: Any, y: Any, loops: list) -> bool:
        if type(x) is int and type(y) is int:
            op = str(ins[1])
            forced = self.settled(x, op, y)
            if forced is None and not self.outcomes:
                raise _Open
            if forced is not None:
                self.outcomes.insert(0, forced)  # type: ignore[union-attr]
            self.free.append(forced is None)
            outcome = super().compare(ins, x, y, loops)
            self.learn(x, op if outcome else NEGATED[op], y)
            return outcome
        return super().compare(ins, x, y, loops)  # vectors: the tracer's message

    def settled(self, x: int, op: str, y: int) -> bool | None:
        tape = self.tape
        admits = _ORDERS[op]
        if x == y:
            return 0 in admits
        a, b = tape.value_of(x), tape.value_of(y)
        if a is not None and b is not None:
            return (a > b) - (a < b) in admits
        key, s = ((x, y), admits) if x < y else ((y, x), {-v for v in admits})
        known = self.signs.get(key)
        if known is not None:
            if known <= s:
                return True
            if not known & s:
                return False
        one = self.normal(x, op, y)  # a side against a literal
        if one is not None:
            bound = self.bounds.get(one[0])
            if bound is not None:
                inside = _within(bound, one[2])  # the signs of node - c the bound allows
                if inside <= _ORDERS[one[1]]:
                    return True
                if not inside & _ORDERS[one[1]]:
                    return False
        return None

    def normal(self, x: int, op: str, y: int) -> tuple[int, str, Any] | None:
        """A comparison of a side with a literal as ``(node, op, c)``, the node stripped
        of the literal terms and factors around it (``2*x + 1 > 3`` is ``x > 1``)."""
        tape = self.tape
        one = _against_literal(tape.value_of, (x, op, y))
        if one is None:
            return None
        n, op, c = one
        while True:
            o = tape.ops[n]
            if o == NEG:
                n, op, c = tape.a0[n], FLIPPED[op], -c
                continue
            if o not in (ADD, SUB, MUL, DIV):
                break
            a, b = tape.a0[n], tape.a1[n]
            va, vb = tape.value_of(a), tape.value_of(b)
            if (va is None) == (vb is None):
                break
            k, m = (vb, a) if va is None else (va, b)
            if o == ADD:
                c = c - k
            elif o == SUB:
                c, op = (c + k, op) if va is None else (k - c, FLIPPED[op])
            elif k == 0 or (o == DIV and va is not None):  # k/m is not monotone
                break
            else:
                c = c / k if o == MUL else c * k
                op = op if k > 0 else FLIPPED[op]
            n = m
        return n, op, c

    def learn(self, x: int, op: str, y: int) -> None:
        admits = _ORDERS[op]
        key, s = ((x, y), admits) if x < y else ((y, x), {-v for v in admits})
        self.signs[key] = self.signs.get(key, {-1, 0, 1}) & s
        one = self.normal(x, op, y)
        if one is not None and one[1] != "!=":
            self.bounds[one[0]] = _narrowed(self.bounds.get(one[0]), one[1], one[2])


def _against_literal(value: Any, lit: Literal) -> tuple[int, str, Any] | None:
    """``(side, op, c)`` for a comparison of a side with a literal (either way round);
    ``value(side)`` is the literal's value, or ``None``."""
    x, op, y = lit
    a, b = value(x), value(y)
    if (a is None) == (b is None):
        return None
    return (x, op, b) if a is None else (y, FLIPPED[op], a)


def _narrowed(bound: list[Any] | None, op: str, c: Any) -> list[Any]:
    """The interval ``bound`` (``[lo, lo_strict, hi, hi_strict]``) where ``v op c``."""
    lo, lo_strict, hi, hi_strict = bound or [None, False, None, False]
    if op in (">", ">=", "==") and (lo is None or c > lo or (c == lo and op == ">")):
        lo, lo_strict = c, op == ">"
    if op in ("<", "<=", "==") and (hi is None or c < hi or (c == hi and op == "<")):
        hi, hi_strict = c, op == "<"
    return [lo, lo_strict, hi, hi_strict]


def _tightest(value: Any, literals: list[Literal]) -> list[Literal]:
    """The conjunction without a comparison of a side with a literal that another one
    implies (``x > 1 and x > 2`` is ``x > 2``)."""
    one = [_against_literal(value, lit) for lit in literals]
    keep = []
    for i, lit in enumerate(literals):
        o = one[i]
        implied = False
        for j, p in enumerate(one):
            if o is None or p is None or j == i or p[0] != o[0] or p[1] == "!=":
                continue
            if _within(_narrowed(None, p[1], p[2]), o[2]) <= _ORDERS[o[1]]:
                back = o[1] != "!=" and _within(_narrowed(None, o[1], o[2]), p[2]) <= _ORDERS[
                    p[1]]
                if not back or j < i:  # the same condition twice: the first kept
                    implied = True
                    break
        if not implied:
            keep.append(lit)
    return keep


def _within(bound: list[Any], c: Any) -> set[int]:
    """The signs of v - c for the values v in the interval ``bound``."""
    lo, lo_strict, hi, hi_strict = bound
    out = set()
    if lo is None or lo < c:
        out.add(-1)
    if (lo is None or lo < c or (lo == c and not lo_strict)) and (
            hi is None or hi > c or (hi == c and not hi_strict)):
        out.add(0)
    if hi is None or hi > c:
        out.add(1)
    return out


@dataclass
class Path:
    outcomes: tuple[bool, ...]
    """The free outcomes."""
    tape: Tape
    literals: list[tuple[int, str, int]]
    """The free decisions as literals that hold, on ``tape``'s nodes."""


def paths(program: Program) -> list[Path]:
    """Every path through the program's branches, depth first (true first)."""
    for ins in program.code:
        if ins[0] == LOOP and ins[1] == "while":
            raise InputError(
                f"the program has a while loop (`{ins[3]}` at "
                f"{place(program.text, ins[2].start_pos)}), which runs as often as the "
                "point makes it: its derivative has no formula for all points. Take it at a "
                f"point along the path taken there: grad (or diff) with {param('point')}")
    out: list[Path] = []
    todo: list[tuple[bool, ...]] = [()]
    while todo:
        prefix = todo.pop()
        tracer = _PathTracer(program, prefix)
        try:
            tape = tracer.run()
        except _Open:
            todo += [(*prefix, False), (*prefix, True)]
            continue
        if len(out) == MAX_PIECES:
            raise InputError(
                f"the program's branches make more than {MAX_PIECES} paths, each a piece of "
                "the derivative: too many to print as a formula. Take it at a point, along "
                f"the path taken there (give {param('point')})")
        literals = [(d.left, d.op if d.outcome else NEGATED[d.op], d.right)
                    for d, free in zip(tape.decisions, tracer.free, strict=True) if free]
        out.append(Path(prefix, tape, literals))
    return out


def graft(dst: Tape, src: Tape, nodes: Sequence[int]) -> list[int]:
    """Nodes ``nodes`` of ``src`` made on ``dst`` (hash-consed with what it holds)."""
    m: list[int] = []
    ops, a0, a1, consts = src.ops, src.a0, src.a1, src.consts
    for i, op in enumerate(ops):
        if op == INPUT:
            m.append(dst.input(src.input_name[i]))
        elif op == CONST:
            m.append(dst.const(consts[i]))  # type: ignore[arg-type]
        else:
            m.append(dst.node(op, m[a0[i]], m[a1[i]] if a1[i] >= 0 else -1, consts[i]))
    return [m[k] for k in nodes]


def _conditions(out: Tape, tape: Tape, literals: list[Literal], output: Any
                ) -> list[Literal]:
    """The path's literals with their sides on ``out`` (canonical forms: ``2*x > 1``),
    ``output`` numbers the sides among ``out``'s outputs."""
    if not literals:
        return []
    from adcalc.symbolic.canonical import canonical

    sides = tape.copy()
    sides.decisions = []
    sides.outputs = [s for lit in literals for s in (lit[0], lit[2])]
    sides = canonical(sides.pruned())
    made = graft(out, sides, sides.outputs)
    return [(output(made[2 * k]), lit[1], output(made[2 * k + 1]))
            for k, lit in enumerate(literals)]


def fold(leaves: list[tuple[tuple[bool, ...], list[Literal], int]]
         ) -> list[tuple[list[Literal], int]]:
    """The decision tree folded where both outcomes give one formula: ``(prefix,
    literals, formula)`` leaves in, ``(literals, formula)`` out, in order."""
    work = list(leaves)
    changed = True
    while changed:
        changed = False
        for k in range(len(work) - 1):
            (p, lits, f), (q, _, g) = work[k], work[k + 1]
            if f == g and len(p) == len(q) and p[:-1] == q[:-1] and p[-1] != q[-1]:
                work[k:k + 2] = [(p[:-1], lits[:len(p) - 1], f)]
                changed = True
                break
    return [(lits, f) for _, lits, f in work]


def merge(folded: list[tuple[list[Literal], int]]) -> list[Piece]:
    """Paths with one formula as one piece, in order of first appearance."""
    pieces: dict[int, Piece] = {}
    for lits, f in folded:
        pieces.setdefault(f, Piece(f)).condition.append(lits)
    return list(pieces.values())


def piecewise(program: Program, wrt: Sequence[str] | None, order: int, simplify: str
              ) -> tuple[Tape, list[tuple[str, ...]], list[int], list[str],
                         list[list[Piece]], list[str]]:
    """The derivatives of ``program`` for all points: ``(tape, keys, results, variables,
    pieces, warnings)``; each derivative's pieces index ``tape.outputs``."""
    from adcalc.symbolic.derive import check_wrt, each_derivative

    found = paths(program)
    names: list[str] = list(dict.fromkeys(n for p in found for n in p.tape.variables))
    counts = {len(p.tape.outputs) for p in found}
    if len(counts) > 1:
        raise InputError("the program's branches give results of different lengths: "
                         "differentiate it at a point (give " + param("point") + ")")
    out = Tape(symbolic=True)
    shown: list[int] = []
    index: dict[int, int] = {}

    def output(node: int) -> int:
        if node not in index:
            index[node] = len(shown)
            shown.append(node)
        return index[node]

    keys: list[tuple[str, ...]] = []
    results: list[int] = []
    per_path: list[tuple[list[int], list[Literal]]] = []
    nowhere: list[DomainError] = []
    for p in found:
        tape = p.tape
        for n in names:  # an input another path reads: derivative 0 on this one
            tape.input(n)
        variables = check_wrt(tape, wrt or names)
        try:
            dtape, keys, results = each_derivative(tape, variables, order, simplify,
                                                   defined=True)
            formulas = [output(n) for n in graft(out, dtape, dtape.outputs)]
        except DomainError as exc:  # a path with no value anywhere (1/(y - y)): no
            nowhere.append(exc)  # formula for it, nan in its place
            dtape, keys, results = each_derivative(tape, variables, order, "none")
            formulas = [output(out.const(math.nan))] * len(dtape.outputs)
        per_path.append((formulas, _conditions(out, tape, p.literals, output)))
    if len(nowhere) == len(found):
        raise nowhere[0]
    out.outputs = shown

    def value(side: int) -> Any:
        return out.value_of(shown[side])

    pieces = []
    for k in range(len(keys)):
        leaves = [(p.outcomes, lits, f[k]) for p, (f, lits) in zip(found, per_path,
                                                                     strict=True)]
        pieces.append(merge([(_tightest(value, lits), f) for lits, f in fold(leaves)]))
    out = out.pruned()
    warned = [w for w in found[0].tape.warnings if all(w in p.tape.warnings for p in found)]
    warned += [f"warning: a path of the program has no value anywhere, and its pieces are "
               f"nan: {e}"
               for e in nowhere]
    return out, keys, results, names, pieces, warned
