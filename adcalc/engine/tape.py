"""The tape (Wengert list): a flat, topologically ordered list of nodes.

Node ``i`` is ``(ops[i], a0[i], a1[i], consts[i])``: an op code from
``adcalc.primitives`` applied to earlier nodes ``a0``/``a1`` (``-1`` when absent) and a
literal constant (the exponent of ``x^3``).  Building a node a second time returns the
existing one (hash-consing), so a subexpression written twice is one node and its
adjoint collects both uses.  Zeros and ones are simplified and constants folded as
nodes are made.  Values, tangents and adjoints live in lists indexed by node id, never
on the nodes, so one tape is evaluated at many points.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from adcalc.engine.algebra import primitive_methods
from adcalc.engine.primitives import (
    ADD,
    CONST,
    DIV,
    INPUT,
    MUL,
    NEG,
    POW,
    POWC,
    PRIMITIVES,
    SUB,
)

if TYPE_CHECKING:
    from adcalc.engine.decisions import Decision, Loop

def __getattr__(name: str) -> Any:
    """``Decision``, ``Loop`` and ``COMPARISONS`` live in ``adcalc.engine.decisions``,
    imported only when a traced program (or an old import path) asks for them: a
    straight-line tape never needs them, and the scalar commands' start-up stays as it
    was."""
    if name in ("Decision", "Loop", "COMPARISONS"):
        from adcalc.engine import decisions

        return getattr(decisions, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@primitive_methods
class Tape:
    """A Wengert list under construction or complete; see the module docstring."""

    __slots__ = ("_index", "a0", "a1", "consts", "decisions", "input_name", "loops", "names",
                 "ops", "outputs", "program", "symbolic", "var_node", "variables", "warnings",
                 "where", "zero_products")

    def __init__(self, symbolic: bool = False) -> None:
        self.symbolic = symbolic
        """A derivative tape: ``0·x`` is 0 and ``0 + x`` is x, as algebra has it.  Otherwise
        (what a user's expression builds) only rewrites that keep every IEEE result are
        made, the sign of zero included: ``0 - y`` stays, since for y = 0 it is +0, not -0."""
        self.zero_products = symbolic
        """Whether ``0·u`` is made 0 (a derivative tape's own nodes).  Not in a user's
        expression read exactly: ``log(-1)*0`` has no value, as ``grad`` says, and
        ``0*log(-x^2 - 1)`` none anywhere; made 0, it would print a derivative."""
        self.ops: list[int] = []
        self.a0: list[int] = []
        self.a1: list[int] = []
        self.consts: list[float | None] = []
        self._index: dict[tuple, int] = {}
        self.variables: list[str] = []
        """Input names in order of first appearance."""
        self.var_node: dict[str, int] = {}
        self.input_name: dict[int, str] = {}
        """The inverse of ``var_node``: an input node's variable name."""
        self.outputs: list[int] = []
        self.names: dict[int, str] = {}
        """Names that a program's bindings gave to nodes (shown beside their labels)."""
        self.warnings: list[str] = []
        """What the parser noticed about the text (a binding never used), one line each."""
        self.decisions: list[Decision] = []
        """A program's path at the point it was traced at (``adcalc.frontend.program``):
        each comparison it evaluated, in order.  Empty for straight-line code."""
        self.loops: list[Loop] = []
        """A traced program's loops, each with how many iterations it ran."""
        self.where: dict[int, str] = {}
        """The loop iteration that made a node of a traced program (``i=2``,
        ``iteration 3``), for the traces: ``v7 (i=2)``."""
        self.program: Any = None
        """The program a traced tape came from (``adcalc.frontend.program.Program``): a
        command handed this tape at a point off its path traces the program there
        again (``commands.common.prepare``), as a guard of ``Var`` re-traces a function."""

    def __len__(self) -> int:
        return len(self.ops)

    def note(self, i: int) -> str:
        """What the traces and graphs show beside node ``i``'s label: the binding that
        named it and, in a loop of a traced program, the iteration that made it
        (``a, i=2``); empty for neither."""
        return ", ".join(x for x in (self.names.get(i), self.where.get(i)) if x)

    # -- building -------------------------------------------------------------------
    def _push(self, key: tuple, op: int, a: int, b: int, c: float | None) -> int:
        i = len(self.ops)
        self.ops.append(op)
        self.a0.append(a)
        self.a1.append(b)
        self.consts.append(c)
        self._index[key] = i
        return i

    def input(self, name: str) -> int:
        """The input node for variable ``name`` (made on first use)."""
        i = self.var_node.get(name)
        if i is None:
            i = self._push((INPUT, name), INPUT, -1, -1, None)
            self.var_node[name] = i
            self.input_name[i] = name
            self.variables.append(name)
        return i

    def const(self, x: float) -> int:
        """The literal node for ``x`` (``1`` and ``1.0`` are one node).  A symbolic tape
        keeps its literals exact (``adcalc.exact``): ``Fraction``s and named constants."""
        if self.symbolic:
            x = _exact()(x)  # type: ignore[assignment]
            name = getattr(x, "name", None)
            key: tuple = (CONST, x) if name is None else (CONST, name)
        else:
            x = float(x)
            key = (CONST, x) if x else (CONST, x, math.copysign(1.0, x))  # -0.0 is not 0.0
        i = self._index.get(key)
        return self._push(key, CONST, -1, -1, x) if i is None else i

    def is_const(self, i: int) -> bool:
        """Whether node ``i`` is a number literal (a named constant of a symbolic tape is
        not: it stays by name, like a variable that never changes)."""
        return self.ops[i] == CONST and not (self.symbolic and hasattr(self.consts[i], "name"))

    def value_of(self, i: int) -> float | None:
        """The literal value of node ``i``, or ``None`` when it is not a literal (or is
        a named constant of a symbolic tape: ``2*pi`` stays ``2*pi``)."""
        if self.ops[i] != CONST:
            return None
        c = self.consts[i]
        return None if self.symbolic and hasattr(c, "name") else c

    def node(self, op: int, a: int, b: int = -1, c: float | None = None) -> int:
        """Node ``op(a, b; c)``, simplified, folded and hash-consed."""
        if c is not None and self.symbolic:
            c = _exact()(c)  # type: ignore[assignment]
        lit = self.value_of
        va = lit(a)
        vb = lit(b) if b >= 0 else None
        if op == ADD:  # x + (-0) is x for every x; x + (+0) is x but for x = -0
            if va == 0 and (self.symbolic or _negative_zero(va)):
                return b
            if vb == 0 and (self.symbolic or _negative_zero(vb)):
                return a
        elif op == SUB:
            if vb == 0 and (self.symbolic or not _negative_zero(vb)):
                return a
            if va == 0 and (self.symbolic or _negative_zero(va)):
                return self.node(NEG, b)
        elif op == MUL:  # 0·x is -0 for x < 0 and NaN for x = ±inf: kept but symbolically
            if self.zero_products and (va == 0 or vb == 0):
                return self.const(0.0)
            if va == 1:
                return b
            if vb == 1:
                return a
            if va == -1:
                return self.node(NEG, b)
            if vb == -1:
                return self.node(NEG, a)
        elif op == DIV:
            if vb == 1:
                return a
            if vb == -1:
                return self.node(NEG, a)
        elif op == NEG:
            if self.ops[a] == NEG:
                return self.a0[a]
        elif op == POWC:
            if c == 1:
                return a
            if c == 0:
                return self.const(1.0)
        elif op == POW and vb is not None:
            return self.node(POWC, a, -1, vb)
        if va is not None and (b < 0 or vb is not None):
            folded = _fold_exact(op, va, vb, c) if self.symbolic else _fold(op, va, vb, c)
            if folded is not None:
                return self.const(folded)
        key = (op, a, b, c)
        i = self._index.get(key)
        return self._push(key, op, a, b, c) if i is None else i

    def apply(self, op: int, args: Sequence[int | float], const: float | None = None) -> int:
        """Node for primitive ``op``: ``int`` arguments are node ids, ``float`` literals.
        The tape is a rule algebra (``algebra.RuleAlgebra``): ``tape.sin(i)`` is
        ``tape.apply(SIN, (i,))``, a node (symbolic derivatives)."""
        ids = [x if type(x) is int else self.const(x) for x in args]
        return self.node(op, ids[0], ids[1] if len(ids) > 1 else -1, const)

    def for_derivatives(self) -> Tape:
        """This tape, its new nodes built as a derivative's: exact literals and
        ``0·x = 0`` (or a recorded reverse sweep swells)."""
        self.symbolic = self.zero_products = True
        return self

    def copy(self) -> Tape:
        """An independent tape with the same nodes (to extend without touching this one)."""
        new = Tape(self.symbolic)
        new.zero_products = self.zero_products
        new.ops, new.a0, new.a1 = list(self.ops), list(self.a0), list(self.a1)
        new.consts = list(self.consts)
        new._index = dict(self._index)
        new.variables = list(self.variables)
        new.var_node = dict(self.var_node)
        new.input_name = dict(self.input_name)
        new.outputs = list(self.outputs)
        new.names = dict(self.names)
        new.decisions = list(self.decisions)
        new.loops = list(self.loops)
        new.where = dict(self.where)
        return new

    # -- reading --------------------------------------------------------------------
    @property
    def output_names(self) -> list[str]:
        """The outputs as reports name them: ``f``, or ``f1, f2, …`` of a vector."""
        m = len(self.outputs)
        return ["f"] if m == 1 else [f"f{k + 1}" for k in range(m)]

    def labels(self, variables: list[str] | None = None) -> list[str | None]:
        """Trace labels as in the literature: inputs ``v(1-n) … v0``, then ``v1 … vl``.

        ``variables`` lists the inputs in order (default: first appearance).  Literal
        nodes have no label: they print inside the operation that uses them.
        """
        variables = variables or self.variables
        n = len(variables)
        labels: list[str | None] = [None] * len(self.ops)
        for k, name in enumerate(variables):
            labels[self.var_node[name]] = f"v{k + 1 - n}"
        count = 0
        for i, op in enumerate(self.ops):
            if op >= 0:
                count += 1
                labels[i] = f"v{count}"
        return labels

    def reads(self, *nodes: int) -> list[str]:
        """The inputs ``nodes`` depend on, sorted (one loop over the tape for all of
        them, never a recursion)."""
        seen, stack, out = set(nodes), list(nodes), []
        ops, a0, a1 = self.ops, self.a0, self.a1
        while stack:
            i = stack.pop()
            if ops[i] == INPUT:
                out.append(self.input_name[i])
                continue
            for a in (a0[i], a1[i]) if ops[i] >= 0 else ():
                if a >= 0 and a not in seen:
                    seen.add(a)
                    stack.append(a)
        return sorted(out)

    def live(self) -> list[bool]:
        """Which nodes the outputs depend on (inputs always count as live)."""
        alive = [False] * len(self.ops)
        for o in self.outputs:
            alive[o] = True
        for d in self.decisions:  # a decision's sides are kept: its guard is evaluated
            alive[d.left] = alive[d.right] = True
        ops, a0, a1 = self.ops, self.a0, self.a1
        for i in range(len(ops) - 1, -1, -1):
            if alive[i] and ops[i] >= 0:
                alive[a0[i]] = True
                if a1[i] >= 0:
                    alive[a1[i]] = True
        for i in self.var_node.values():
            alive[i] = True
        return alive

    def pruned(self) -> Tape:
        """This tape without the nodes no output depends on (self if there are none)."""
        alive = self.live()
        if all(alive):
            return self
        keep = [i for i, k in enumerate(alive) if k]
        remap = [-1] * len(self.ops)
        for j, i in enumerate(keep):
            remap[i] = j
        remap.append(-1)  # remap[-1]: an absent argument stays absent
        ops, a0, a1, consts = self.ops, self.a0, self.a1, self.consts
        new = Tape(self.symbolic)
        new.zero_products = self.zero_products
        new.ops = [ops[i] for i in keep]
        new.a0 = [remap[a0[i]] for i in keep]
        new.a1 = [remap[a1[i]] for i in keep]
        new.consts = [consts[i] for i in keep]
        # each kept node keeps its key, with its arguments renumbered (a literal's and an
        # input's key names no node)
        index = {}
        for key, i in self._index.items():
            if alive[i]:
                index[key if key[0] < 0 else (key[0], remap[key[1]], remap[key[2]], key[3])] = (
                    remap[i])
        new._index = index
        new.variables = list(self.variables)
        new.var_node = {name: remap[i] for name, i in self.var_node.items()}
        new.input_name = {remap[i]: name for i, name in self.input_name.items()}
        new.outputs = [remap[o] for o in self.outputs]
        new.names = {remap[i]: n for i, n in self.names.items() if remap[i] >= 0}
        new.warnings = list(self.warnings)
        new.decisions = [d.renumbered(remap) for d in self.decisions]
        new.loops = list(self.loops)
        new.where = {remap[i]: w for i, w in self.where.items() if remap[i] >= 0}
        return new

    def on_path(self, vals: Sequence[Any]) -> Any:
        """Whether values ``vals`` (floats, or NumPy arrays over rows) take the path this
        tape records: every decision comes out the same (``True`` for straight-line
        code).  With arrays, a mask of the rows that may reuse this tape; the others
        are traced again (``Program.trace``)."""
        ok: Any = True
        for d in self.decisions:
            ok = ok & d.holds(vals)
        return ok

    @property
    def output(self) -> int:
        """The (single) output node."""
        return self.outputs[-1]


_EXACT: list = []


def _exact():  # type: ignore[no-untyped-def]
    """``adcalc.exact.exact``, imported on first use (symbolic tapes only: ``fractions``
    is not on the start-up path of the numeric commands)."""
    if not _EXACT:
        from adcalc.engine.exact import exact

        _EXACT.append(exact)
    return _EXACT[0]


def _negative_zero(x: float | None) -> bool:
    return x == 0 and math.copysign(1.0, x) < 0  # type: ignore[arg-type]


def _fold_exact(op: int, a, b, c):  # type: ignore[no-untyped-def]
    """Literals of a symbolic tape folded only where the result is exact; a float that a
    Python function computed (not exact) folds as floats do; a named constant never."""
    from fractions import Fraction

    from adcalc.engine.exact import Named, fold

    args = (a, b, c)
    if any(isinstance(x, Named) for x in args):
        name = PRIMITIVES[op].name
        return Fraction(1) if name == "log" and getattr(a, "name", "") == "e" else None
    if all(x is None or type(x) is Fraction for x in args):
        return fold(PRIMITIVES[op].name, a, b, c)
    return _fold(op, float(a), None if b is None else float(b), None if c is None else float(c))


def _fold(op: int, a: float, b: float | None, c: float | None) -> float | None:
    """The value of a primitive on literals, or ``None`` if it fails or is not finite.

    A literal expression outside the domain (``log(0)``) stays a node, so evaluation
    reports it with its place in the trace.
    """
    prim = PRIMITIVES[op]
    try:
        if prim.takes_const:
            x = prim.value(a, c)
        elif prim.arity == 1:
            x = prim.value(a)
        else:
            x = prim.value(a, b)
    except (ArithmeticError, ValueError):
        return None
    return x if math.isfinite(x) else None
