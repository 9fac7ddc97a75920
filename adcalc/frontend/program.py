"""Programs with control flow: read once, traced at a point.

A straight-line program becomes a tape while it is parsed (``adcalc.frontend.build``).
A program with a branch or a loop cannot: which nodes it makes depends on the numbers.
So its text is parsed once into a ``Program`` -- the parser's reductions recorded
(``Recorder``) and compiled into a flat list of instructions with jumps -- and
``Program.trace(point)`` runs those instructions at the point, replaying each reduction
into a fresh ``Builder`` (so every node is made exactly as in a straight-line program,
hash-consed: an unrolled loop stays linear in size), evaluating each condition from the
values of the nodes made so far (``primal`` resumed, linear overall), and recording each
decision on the tape (``Tape.decisions``): the compared nodes, the comparison, the
outcome and where it was made.  That is how PyTorch, JAX's ``grad`` and Griewank &
Walther's piecewise differentiation treat control flow: the derivative is the taken
path's.

Nothing recurses over the program: the compiler walks it with an explicit stack and the
tracer is a loop over instructions (calls of the program's functions keep their frames
on a list).

For batch evaluation (many points): trace at one row, evaluate ``Tape.on_path`` (the
recorded decisions, vectorised) over all rows, and trace again (``Program.trace``) at the
rows whose decisions differ.  ``trace(point, outcomes=[...])`` replays given outcomes
instead of evaluating conditions (the exact and high-precision sweeps follow the path
the doubles took).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from adcalc.engine.tape import Tape
from adcalc.errors import ParseError
from adcalc.frontend.lalr import Word
from adcalc.frontend.tracer import MAX_STEPS, MAX_STEPS_SETTING, Tracer, max_steps

# -- the parser's reductions, recorded -------------------------------------------------


class Recorder:
    """Parser callbacks (the same names as ``Builder``'s) that record the program as a
    tree of tuples instead of building nodes."""

    def __init__(self) -> None:
        self.reset("")

    def reset(self, text: str) -> None:
        self.text = text
        self.mentioned: dict[str, None] = {}
        """The names the text reads (the base of an indexed one), for the point's check,
        in the order the text first reads them (the variables' order on every path)."""

    def start(self, c: list) -> tuple:
        return ("program", c[0] if len(c) == 2 else [], c[-1])

    def definitions(self, c: list) -> list:
        if len(c) == 1:
            return [c[0]]
        c[0].append(c[1])
        return c[0]

    statements = definitions

    def binding(self, c: list) -> tuple:
        return ("bind", c[0], c[1])

    def function_def(self, c: list) -> tuple:
        return ("def", c[0], c[1], [], c[2])

    def function_block(self, c: list) -> tuple:
        name, args, _open, *rest = c
        return ("def", name, args, rest[0] if len(rest) == 2 else [], rest[-1])

    def repeat(self, c: list) -> tuple:
        return ("repeat", c[0], c[1], c[2])

    def for_loop(self, c: list) -> tuple:
        return ("for", c[0], c[1], c[2], c[3], c[4])

    def while_loop(self, c: list) -> tuple:
        return ("while", c[0], c[1], c[2])

    def block(self, c: list) -> tuple:
        return ("block", c[0], c[1] if len(c) == 2 else [])

    def _token(self, c: list) -> Any:
        return c[0]

    open = if_kw = repeat_kw = for_kw = while_kw = _token

    def compare(self, c: list) -> tuple:
        return ("cmp", c[1], c[0], c[2])

    def or_(self, c: list) -> tuple:
        return ("or", c[1], c[0], c[2])

    def and_(self, c: list) -> tuple:
        return ("and", c[1], c[0], c[2])

    def not_(self, c: list) -> tuple:
        return ("not", c[0], c[1])

    def if_expr(self, c: list) -> tuple:
        return ("if", c[0], c[1], c[2], c[3], c[4])

    def number(self, c: list) -> tuple:
        return ("number", c[0])

    def name(self, c: list) -> tuple:
        self.mentioned.setdefault(str(c[0]).partition("[")[0])
        return ("name", c[0])

    def call(self, c: list) -> tuple:
        return ("call", c[0], c[1])

    def index(self, c: list) -> tuple:
        self.mentioned.setdefault(str(c[0])[:-1])
        return ("index", c[0], c[1])

    def vector(self, c: list) -> tuple:
        return ("vector", c[0])

    def args(self, c: list) -> list:
        if len(c) == 1:
            return [c[0]]
        c[0].append(c[1])
        return c[0]

    def add(self, c: list) -> tuple:
        return ("bin", "add", c[0], c[1])

    def sub(self, c: list) -> tuple:
        return ("bin", "sub", c[0], c[1])

    def mul(self, c: list) -> tuple:
        return ("bin", "mul", c[0], c[1])

    def div(self, c: list) -> tuple:
        return ("bin", "div", c[0], c[1])

    def pow(self, c: list) -> tuple:
        return ("bin", "pow", c[0], c[1])

    def neg(self, c: list) -> tuple:
        return ("neg", c[0])


# -- compiled to flat instructions ------------------------------------------------------

from adcalc.frontend.tracer import (  # noqa: E402  (the instruction codes)
    BIN,
    BIND,
    BRANCH,
    CALL,
    CMP,
    DEF,
    END,
    JFK,
    JTK,
    JUMP,
    LEAF,
    LOOP,
    NEG,
    NEXT,
    NOT,
    RET,
    TEST,
    VEC,
)


class _Label:
    __slots__ = ("at",)

    def __init__(self) -> None:
        self.at = -1


def _first(node: Any) -> int:
    """The offset of the first token of an expression's tree (a loop, not a recursion)."""
    while isinstance(node, (tuple, list)):
        if isinstance(node, list):
            node = node[0]
            continue
        tag = node[0]
        if tag in ("bin", "cmp", "and", "or"):
            node = node[2]
        elif tag == "neg" or tag == "vector":
            node = node[1]
        else:
            node = node[1]
            if not isinstance(node, (tuple, list)):
                break
    return node.start_pos


_STOP = re.compile(r"[;\n{}]|\b(?:then|and|or|else)\b")


def _span(text: str, start: int, pos: int) -> str:
    """The text of the operand ending at a stop (a keyword, ``{``, an unmatched ``)``)
    scanned for from ``pos``; ``start`` extended back over signs and open brackets."""
    while start > 0 and text[start - 1] in " \t-+([":
        start -= 1
    depth, k, n = 0, pos, len(text)
    while k < n:
        ch = text[k]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and _STOP.match(text, k) and (not ch.isalpha() or not (
                k and (text[k - 1].isalnum() or text[k - 1] == "_"))):
            break
        k += 1
    out = " ".join(text[start:k].split())
    while out.startswith(("(", "[")) and out.count("(") + out.count("[") > out.count(
            ")") + out.count("]"):
        out = out[1:].lstrip()
    return out


class Program:
    """A program with control flow, parsed once: ``trace(point)`` makes its tape there."""

    def __init__(self, text: str, tree: tuple, mentioned: dict[str, None], breaks: list[int],
                 exact: bool = False) -> None:
        self.text = text
        self.mentioned = mentioned
        self.breaks = breaks
        self.exact = exact
        self.code: list[tuple] = []
        self._compile(tree)
        self.bound_before = _bound_before(self.code)
        """The names read (``LEAF``, by their offset in the text) that their scope binds
        before them (a binding, a loop's variable): unbound when read, they were bound
        only in a loop that did not run, never an input."""
        self.free = _free(self.code, mentioned)
        """The names (bases of indexed ones) the text reads somewhere its scope has not
        bound them: the program's possible inputs (``y = 0.3; … y`` reads no input y)."""
        self.read_anywhere = set(mentioned) | {str(ins[2]) for ins in self.code
                                               if ins[0] == CALL and ins[1] == "call"}
        """The names read or called on any path: a definition the path taken does not
        use is used by another where it is among them (no "never used" for it)."""

    # -- the compiler ---------------------------------------------------------------
    def _compile(self, tree: tuple) -> None:
        code, text = self.code, self.text
        emit = code.append
        work: list[tuple] = [("node", tree, None)]
        while work:
            item = work.pop()
            kind = item[0]
            if kind == "ins":
                emit(item[1])
                continue
            if kind == "mark":
                item[1].at = len(code)
                continue
            node, ctx = item[1], item[2]
            if isinstance(node, list):  # statements, in order
                work.extend(("node", s, ctx) for s in reversed(node))
                continue
            tag = node[0]
            later: list[tuple] = []  # pushed in reverse below
            if tag == "number" or tag == "name":
                emit((LEAF, tag, node[1]))
                continue
            if tag == "bin":
                later = [("node", node[2], ctx), ("node", node[3], ctx), ("ins", (BIN, node[1]))]
            elif tag == "neg":
                later = [("node", node[1], ctx), ("ins", (NEG,))]
            elif tag == "call" or tag == "index":
                args = node[2]
                later = [*(("node", a, ctx) for a in args),
                         ("ins", (CALL, tag, node[1], len(args)))]
            elif tag == "vector":
                args = node[1]
                later = [*(("node", a, ctx) for a in args), ("ins", (VEC, len(args)))]
            elif tag == "bind":
                later = [("node", node[2], ctx), ("ins", (BIND, node[1]))]
            elif tag == "cmp":
                tok, a = node[1], node[2]
                later = [("node", a, ctx), ("node", node[3], ctx),
                         ("ins", (CMP, tok, ctx, _comparison(text, a, tok)))]
            elif tag == "not":
                later = [("node", node[2], ctx), ("ins", (NOT,))]
            elif tag == "and" or tag == "or":
                end = _Label()
                later = [("node", node[2], ctx), ("ins", (JFK if tag == "and" else JTK, end)),
                         ("node", node[3], ctx), ("mark", end)]
            elif tag == "if":
                kw, cond, then = node[1], node[2], node[3]
                label = "if " + " ".join(text[kw.start_pos + 2:then.start_pos].split())
                other, end = _Label(), _Label()
                later = [("node", cond, ("if", label)), ("ins", (BRANCH, other, kw, label)),
                         ("node", node[4], ctx), ("ins", (JUMP, end)), ("mark", other),
                         ("node", node[5], ctx), ("mark", end)]
            elif tag == "repeat":
                kw, count, block = node[1], node[2], node[3]
                label = "repeat " + " ".join(text[kw.start_pos + 6:block[1].start_pos].split())
                top, end = _Label(), _Label()
                later = [("node", count, ctx), ("ins", (LOOP, "repeat", kw, label, None, count)),
                         ("mark", top), ("ins", (NEXT, end)), ("node", block[2], ctx),
                         ("ins", (JUMP, top)), ("mark", end)]
            elif tag == "for":
                kw, var, lo, hi, block = node[1:]
                label = "for " + " ".join(text[kw.start_pos + 3:block[1].start_pos].split())
                top, end = _Label(), _Label()
                later = [("node", lo, ctx), ("node", hi, ctx),
                         ("ins", (LOOP, "for", kw, label, var, (lo, hi))), ("mark", top),
                         ("ins", (NEXT, end)), ("node", block[2], ctx), ("ins", (JUMP, top)),
                         ("mark", end)]
            elif tag == "while":
                kw, cond, block = node[1], node[2], node[3]
                label = "while " + " ".join(text[kw.start_pos + 5:block[1].start_pos].split())
                top, end = _Label(), _Label()
                later = [("ins", (LOOP, "while", kw, label, None, None)), ("mark", top),
                         ("node", cond, ("while", label)), ("ins", (TEST, end, kw, label)),
                         ("node", block[2], ctx), ("ins", (JUMP, top)), ("mark", end)]
            elif tag == "def":
                name, args, body, result = node[1], node[2], node[3], node[4]
                params = []
                for a in args:
                    if not (isinstance(a, tuple) and a[0] == "name"):
                        raise ParseError(f"the parameters of {name} must be names, as in "
                                         f"{name}(x, y) = …", text, name.start_pos)
                    params.append(str(a[1]))
                entry, skip = _Label(), _Label()
                later = [("ins", (DEF, name, params, entry, skip)), ("mark", entry),
                         ("node", body, ctx), ("node", result, ctx), ("ins", (RET, name)),
                         ("mark", skip)]
                for s in body:
                    if s[0] == "def":
                        raise ParseError("a function is defined at the top level of the "
                                         "program, not inside another", text, s[1].start_pos)
            elif tag == "program":
                later = [("node", node[1], ctx), ("node", node[2], ctx), ("ins", (END,))]
            else:  # pragma: no cover - every rule of the grammar is handled above
                raise AssertionError(tag)
            work.extend(reversed(later))
        for k, ins in enumerate(code):  # labels to offsets
            if any(isinstance(x, _Label) for x in ins):
                code[k] = tuple(x.at if isinstance(x, _Label) else x for x in ins)

    # -- the tracer -----------------------------------------------------------------
    def trace(self, point: Mapping[str, float], *, max_steps: int | None = None,
              exact: bool | None = None, outcomes: Sequence[bool] | None = None) -> Tape:
        """The tape of the path the program takes at ``point``, decisions recorded.

        ``max_steps``: the most iterations one ``while`` loop may run (``MAX_STEPS``);
        all the loops together run at most ``UNROLL`` times as many (``tracer.UNROLL``).
        ``exact``: a symbolic tape (literals exact, as ``parse(text, exact=True)``); its
        conditions are decided by a trace in doubles first, so both take one path.
        ``outcomes``: the decisions' outcomes, in order, to follow instead of evaluating
        the conditions (replaying a recorded path; no values are computed).
        """
        exact = self.exact if exact is None else exact
        doubles = None
        if exact and outcomes is None:
            doubles = self.trace(point, max_steps=max_steps, exact=False)
            outcomes = [d.outcome for d in doubles.decisions]
        tape = Tracer(self, point, max_steps, exact, outcomes).run()
        if doubles is not None:  # the path the doubles took, its boundaries and warnings
            tape.decisions[:] = [replace(d, boundary=g.boundary) for d, g in zip(
                tape.decisions, doubles.decisions, strict=True)]
            tape.warnings[:0] = [w for w in doubles.warnings if w not in tape.warnings]
        tape.program = self
        return tape

    def in_text_order(self, names: Sequence[str]) -> list[str]:
        """``names`` in the order the text first reads them (an indexed one by its base;
        ``w[1], w[2]`` keep their order), whichever path made them: grad's order, and
        the generated code's parameters."""
        order = {name: k for k, name in enumerate(self.mentioned)}
        return sorted(names, key=lambda name: order.get(name.partition("[")[0], len(order)))

    def mentions(self, name: str) -> bool:
        """Whether the program reads ``name`` (or its base, for an indexed name)."""
        return name.partition("[")[0] in self.mentioned

    def reads_as_input(self, name: str) -> bool:
        """Whether ``name`` (or its base) is read somewhere its scope has not bound it."""
        return name.partition("[")[0] in self.free


def scoped(code: list[tuple]) -> Iterator[tuple[tuple, set[str]]]:
    """Each instruction with the names its scope binds before it, in the text's order
    (bindings, loop variables; a function's body sees what was bound before it, and its
    parameters): one loop, the set updated after the instruction is yielded."""
    top: set[str] = set()
    scopes: list[tuple[int, set[str]]] = []  # a function's body: where it ends, its names
    for k, ins in enumerate(code):
        while scopes and k >= scopes[-1][0]:
            scopes.pop()
        bound = scopes[-1][1] if scopes else top
        yield ins, bound
        op = ins[0]
        if op == BIND:
            bound.add(str(ins[1]))
        elif op == LOOP and ins[4] is not None:
            bound.add(str(ins[4]))
        elif op == DEF:
            scopes.append((ins[4], set(bound) | set(ins[2])))


def _bound_before(code: list[tuple]) -> dict[int, str]:
    """``Program.bound_before``: the ``LEAF`` names (by their offset in the text) that
    their scope binds earlier."""
    return {ins[2].start_pos: str(ins[2]) for ins, bound in scoped(code)
            if ins[0] == LEAF and ins[1] == "name" and str(ins[2]) in bound}


def _free(code: list[tuple], mentioned: Mapping[str, None]) -> set[str]:
    """``Program.free``: the bases of the ``LEAF`` names read unbound, and of the names
    read only by an index (``w[i]``: taken as inputs, as before)."""
    free, bound = set(), set()
    for ins, scope in scoped(code):
        if ins[0] == LEAF and ins[1] == "name":
            name = str(ins[2])
            (bound if name in scope else free).add(name.partition("[")[0])
    return free | (set(mentioned) - bound)


def _comparison(text: str, left: Any, tok: Any) -> str:
    """The text of one comparison, ``x > 0``."""
    return _span(text, _first(left), tok.start_pos)


def index_name(base: str, indices: Sequence[int]) -> str:
    """``w[1]``, ``v[1,2]``: the name an index expression reads."""
    return f"{base}[{','.join(str(k) for k in indices)}]"


__all__ = ["MAX_STEPS", "MAX_STEPS_SETTING", "Program", "Recorder", "Word", "index_name",
           "max_steps"]
