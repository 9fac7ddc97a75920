"""A program with branches and loops as one tape for code generation: every path at once.

``adcalc.frontend.program`` traces a program at a point: it follows the path taken
there.  Generated code must hold every path, so here the program's instructions are
rewritten and run by the same tracer with no point: ``if C then A else B`` evaluates C
(a condition: comparisons of nodes, ``and``, ``or``, ``not``), builds A in the context
"C holds" and B in the context "C fails", and makes a *select* node (a placeholder input
of the tape, with ``Merged.selects`` saying which condition picks which side); ``and``
and ``or`` build their right side in the context where it is evaluated (short
circuit), so a domain error there is one only where adcalc's own trace would meet it.
Loops with constant bounds (``repeat``, ``for``) are unrolled as the tracer unrolls
them (hash-consed: linear in the iterations); a ``while`` is refused (its length depends
on the point).

A node made inside a branch is never shared with code outside it (the tape's
hash-consing forgets it when the branch closes), so each node belongs to one context:
the generated code computes it only there.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from adcalc.engine.primitives import CONST, INPUT
from adcalc.engine.tape import Tape
from adcalc.errors import InputError
from adcalc.frontend.build import Builder, Vector
from adcalc.frontend.lalr import Word
from adcalc.frontend.program import Program
from adcalc.frontend.tracer import (
    BRANCH,
    CALL,
    DEF,
    JFK,
    JTK,
    JUMP,
    LOOP,
    NEXT,
    NOT,
    TEST,
    Tracer,
)

MARK = "\x00"
"""Names of the rewritten instructions' calls and of select nodes start with it (no
name of a program can)."""


@dataclass(frozen=True)
class Cond:
    """A condition: ``("cmp", op, left, right)`` over nodes, ``("not", c)``, ``("and",
    c1, c2)`` (c2 evaluated only where c1 holds), ``("or", c1, c2)`` (only where c1
    fails); ``ctx``: the context it is evaluated in."""

    kind: str
    args: tuple
    ctx: int


@dataclass
class Merged:
    """The tape of every path, and what the tape alone cannot say."""

    tape: Tape
    selects: dict[int, tuple[Cond, int, int, int, int]] = field(default_factory=dict)
    """Select node → (condition, then-node, else-node, then-context, else-context)."""
    context: list[int] = field(default_factory=list)
    """Each node's context (0: always computed; inputs and literals are 0)."""
    parent: list[int] = field(default_factory=lambda: [0])
    """Each context's enclosing context (the root's is itself)."""
    start: list[int] = field(default_factory=lambda: [0])
    """Each context's first node (the tape's length when it was entered)."""
    cond: list[tuple[Cond, bool] | None] = field(default_factory=lambda: [None])
    """Each context's condition and the outcome it stands for (the root's: None)."""
    variables: list[str] = field(default_factory=list)
    """The program's inputs, in order of first appearance (select nodes left out)."""

    def depth(self) -> int:
        """The deepest nesting of contexts."""
        depth = [0] * len(self.parent)
        for k in range(1, len(self.parent)):
            depth[k] = depth[self.parent[k]] + 1  # a context is made after its parent
        return max(depth)

    def path(self, k: int) -> list[tuple[Cond, bool]]:
        """The conditions of context ``k`` from the outermost in."""
        out = []
        while k:
            out.append(self.cond[k])
            k = self.parent[k]
        return out[::-1]  # type: ignore[return-value]


class _Contexts(Builder):
    """A builder that knows the context it builds in, and the rewritten instructions'
    calls: ``\\x00then`` (enter the branch where the condition holds), ``\\x00else``,
    ``\\x00select``, ``\\x00and_``/``\\x00or_`` (enter the right side's context),
    ``\\x00and``/``\\x00or`` (close it), ``\\x00not``."""

    def start_merge(self, merged: Merged) -> None:
        self.merged = merged
        self.ctx = 0
        self.dead = -1
        self.opened: list[tuple[int, int]] = []  # (the enclosing context, tape length)
        self.spans: list[tuple[int, int]] = [(0, 0)]  # (tape length, context from there)
        self.cleaned: dict[int, int] = {}  # start → end of the branches left so far

    def _switch(self, k: int) -> None:
        self.ctx = k
        self.spans.append((len(self.tape), k))

    def enter(self, cond: Any, outcome: bool) -> int:
        m = self.merged
        if isinstance(cond, bool) or (self.dead >= 0 and self.ctx == self.dead):
            # a condition known without the point; or any branch inside a branch never
            # taken, never taken either (its condition was left unmade)
            k = self.ctx if cond is outcome else self._dead()
        else:
            k = len(m.parent)
            m.parent.append(self.ctx)
            m.cond.append((cond, outcome))
            m.start.append(len(self.tape))
        self.opened.append((self.ctx, len(self.tape)))
        self._switch(k)
        return k

    def _dead(self) -> int:
        """The context of a branch that is never taken (its nodes are never used)."""
        m = self.merged
        if self.dead < 0:
            self.dead = len(m.parent)
            m.parent.append(0)
            m.cond.append(None)
            m.start.append(len(self.tape))
        return self.dead

    def leave(self) -> None:
        """Back to the enclosing context; the branch's nodes are forgotten by the tape's
        hash-consing (nothing outside the branch may reuse them)."""
        outer, start = self.opened.pop()
        tape = self.tape
        ops, a0, a1, consts = tape.ops, tape.a0, tape.a1, tape.consts
        index = tape._index
        cleaned = self.cleaned
        i, end = start, len(ops)
        while i < end:
            if i in cleaned:  # an inner branch's nodes, forgotten already: linear overall
                i = cleaned.pop(i)
                continue
            if ops[i] >= 0:
                key = (ops[i], a0[i], a1[i], consts[i])
                if index.get(key) == i:
                    del index[key]
            i += 1
        if end > start:
            cleaned[start] = end
        self._switch(outer)

    def call(self, children: list) -> Any:
        token, args = children
        name = str(token)
        if not name.startswith(MARK):
            return super().call(children)
        what = name[1:]
        if what in ("then", "and_", "or_"):
            self.enter(args[0], what != "or_")
            return args[0]
        if what == "else":
            cond, then_ctx = args[0], self.ctx
            self.leave()
            self.enter(cond, False)
            return (cond, args[1], then_ctx)
        if what == "select":
            (cond, a, then_ctx), b = args
            else_ctx = self.ctx
            self.leave()
            return self.select(cond, a, b, then_ctx, else_ctx)
        if what in ("and", "or"):
            left, right = args
            self.leave()
            if isinstance(left, bool):
                return right if left == (what == "and") else left
            if isinstance(right, bool):  # c and True is c; c and False is False
                return left if right == (what == "and") else right
            return Cond(what, (left, right), self.ctx)
        if what == "not":
            c = args[0]
            return (not c) if isinstance(c, bool) else Cond("not", (c,), self.ctx)
        raise AssertionError(name)  # pragma: no cover

    def select(self, cond: Any, a: Any, b: Any, then_ctx: int, else_ctx: int) -> Any:
        if isinstance(cond, bool):
            return a if cond else b
        if isinstance(a, Vector) or isinstance(b, Vector):
            if not (isinstance(a, Vector) and isinstance(b, Vector) and len(a) == len(b)):
                raise InputError("codegen needs the two sides of an if to be both numbers or "
                                 "both vectors of one length")
            return Vector(self._select(cond, x, y, then_ctx, else_ctx)
                          for x, y in zip(a, b, strict=True))
        return self._select(cond, a, b, then_ctx, else_ctx)

    def _select(self, cond: Cond, a: int, b: int, then_ctx: int, else_ctx: int) -> int:
        m = self.merged
        node = self.tape.input(f"{MARK}s{len(m.selects)}")
        m.selects[node] = (cond, a, b, then_ctx, else_ctx)
        return node

    def contexts(self) -> list[int]:
        """Each node's context (inputs, literals and selects' placeholders: their own)."""
        tape = self.tape
        out = [0] * len(tape)
        spans = [*self.spans, (len(tape), 0)]
        for (start, k), (stop, _) in pairwise(spans):
            for i in range(start, stop):
                out[i] = k
        ops = tape.ops
        for i, op in enumerate(ops):
            if (op == INPUT and i not in self.merged.selects) or op == CONST:
                out[i] = 0
        return out


class _Merging(Tracer):
    """The tracer over the rewritten instructions, with conditions as values."""

    def compare(self, ins: tuple, x: Any, y: Any, loops: list) -> Any:  # type: ignore[override]
        from adcalc.frontend.tracer import COMPARE

        tok, how = ins[1], str(ins[1])
        if isinstance(x, Vector) or isinstance(y, Vector):
            from adcalc.errors import ParseError

            raise ParseError(f"{ins[3]} compares vectors: a comparison is between two "
                             "numbers", self.text, tok.start_pos)
        tape = self.tape
        if tape.is_const(x) and tape.is_const(y):
            return COMPARE[how](float(tape.consts[x]), float(tape.consts[y]))
        return Cond("cmp", (how, x, y), self.builder.ctx)  # type: ignore[attr-defined]

    def bound(self, value: Any, tree: Any, kw: Any, label: str, what: str) -> int:
        """A loop's count or bound, which codegen needs known without the point: one an
        if picks is refused with its own message (adcalc's trace knows the side)."""
        tape = self.tape
        if not isinstance(value, Vector) and not tape.is_const(value) and any(
                name.startswith(MARK) for name in tape.reads(value)):
            raise InputError(f"codegen cannot write `{label}`: its {what} depends on which "
                             "side of an if is taken, which generated code learns only at "
                             "the point; give the loop a constant bound and put the if "
                             "inside, or take the derivative at a point with grad, "
                             "jacobian or hessian")
        return super().bound(value, tree, kw, label, what)

    def finish(self, out: Any, records: dict) -> Tape:  # type: ignore[override]
        self.tape.outputs.extend(out if isinstance(out, Vector) else [out])
        return self.tape


def rewrite(program: Program) -> list[tuple]:
    """The program's instructions with every jump of a condition or a branch replaced by
    a call the merging builder handles, the offsets renumbered."""
    code = program.code
    for ins in code:
        if ins[0] == LOOP and ins[1] == "while":
            kw = ins[2]
            from adcalc.frontend.parse import place

            raise InputError(
                f"codegen cannot write the loop `{ins[3]}` at "
                f"{place(program.text, kw.start_pos)}: "
                "how often a while loop runs depends on the point, and generated code is "
                "written before any point is known; bound it: `repeat N { … }` with an if "
                "inside (`repeat 60 { y = if y > 1 then y/2 else y }`) runs at most N "
                "iterations, or take the derivative at a point with grad, jacobian or "
                "hessian")
    before: dict[int, list[tuple[int, str]]] = {}  # old offset → closing calls (opener, name)
    for k, ins in enumerate(code):
        if ins[0] == BRANCH:
            before.setdefault(code[ins[1] - 1][1], []).append((k, "select"))
        elif ins[0] in (JFK, JTK):
            before.setdefault(ins[1], []).append((k, "and" if ins[0] == JFK else "or"))
    elses = {ins[1] - 1 for ins in code if ins[0] == BRANCH}
    new: list[tuple] = []
    where = [0] * (len(code) + 1)

    def call(name: str, n: int, at: int) -> tuple:
        return (CALL, "call", Word("NAME", MARK + name, at), n)

    for k in range(len(code) + 1):
        where[k] = len(new)
        for _, name in sorted(before.get(k, []), reverse=True):  # the innermost first
            new.append(call(name, 2, 0))
        if k == len(code):
            break
        ins = code[k]
        op = ins[0]
        if op == BRANCH:
            new.append(call("then", 1, ins[2].start_pos))
        elif k in elses:
            new.append(call("else", 2, 0))
        elif op == JFK:
            new.append(call("and_", 1, 0))
        elif op == JTK:
            new.append(call("or_", 1, 0))
        elif op == NOT:
            new.append(call("not", 1, 0))
        else:
            new.append(ins)
    out = []
    for ins in new:  # the remaining jumps' offsets
        op = ins[0]
        if op in (JUMP, NEXT, TEST):
            ins = (op, where[ins[1]], *ins[2:])
        elif op == DEF:
            ins = (*ins[:3], where[ins[3]], where[ins[4]])
        out.append(ins)
    return out


def merge(program: Program) -> Merged:
    """The tape of every path of ``program`` (no point needed)."""
    code = rewrite(program)
    shadow = copy.copy(program)
    shadow.code = code
    tracer = _Merging(shadow, {}, None, False, [])
    builder = _Contexts()
    builder.reset(program.text, False)
    merged = Merged(builder.tape)
    builder.start_merge(merged)
    tracer.builder, tracer.tape = builder, builder.tape
    tape = tracer.run()
    merged.context = builder.contexts()
    merged.variables = program.in_text_order([v for v in tape.variables
                                              if not v.startswith(MARK)])
    return merged


__all__ = ["MARK", "Cond", "Merged", "merge"]
