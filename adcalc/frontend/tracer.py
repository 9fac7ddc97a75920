"""The tracer: a program's instructions (``adcalc.frontend.program``) run at a point.

Each reduction is replayed into a fresh ``Builder`` (nodes made exactly as in a
straight-line program, hash-consed); a condition is decided from the values of the nodes
made so far (``primal`` resumed: linear overall) and recorded on the tape
(``Tape.decisions``), with the loops' trip counts (``Tape.loops``) and the iteration
that made each node (``Tape.where``).  One loop over the instructions: nothing recurses,
and calls of the program's functions keep their frames on a list.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from adcalc.engine.decisions import Decision, Loop
from adcalc.engine.tape import Tape
from adcalc.errors import DomainError, InputError, ParseError, param
from adcalc.frontend.build import Builder, Vector

if TYPE_CHECKING:
    from adcalc.frontend.program import Program

MAX_STEPS = 10_000
"""The default bound on the iterations of one ``while`` loop (``max_steps``)."""

UNROLL = 100
"""The loops of one trace (``repeat``, ``for`` and ``while`` together) may run at most
``UNROLL * max_steps`` iterations in all (1,000,000 by default), and the tape they unroll
to may hold at most as many rows: a constant loop's count is checked against it before
the loop is unrolled, so no count makes the trace hang or fill the memory.  A traced
Python function's tape is bounded the same way (``adcalc.frontend.tracing``)."""

MAX_STEPS_SETTING: ContextVar[int | None] = ContextVar("max_steps", default=None)
"""The bound where no ``max_steps`` is passed (``None``: ``MAX_STEPS``): the command line's
``--max-steps`` sets it for the command; ``with max_steps(N):`` for a block of code."""


def unroll_limit() -> int:
    """The most rows a traced Python function's tape may hold (``UNROLL`` × max_steps)."""
    return UNROLL * (MAX_STEPS_SETTING.get() or MAX_STEPS)


def function_too_long(limit: int, compared: bool = False) -> DomainError:
    """A traced function past ``unroll_limit``: its tape's rows, or (``compared``) its
    comparisons of traced values (a Python loop recording every step of a long ``for``,
    a ``while`` that never ends): the bound of a program's loops."""
    what = (f"compared traced values more than {limit:,} times" if compared else
            f"made a tape of more than {limit:,} rows")
    return DomainError(
        f"the traced function {what}, the most a traced function may make ({UNROLL} × "
        f"{param('max_steps')}, whose default is {MAX_STEPS:,}): a loop that records a step "
        f"each time round runs too long (or never ends); raise {param('max_steps')} if the "
        "function needs more")


class NotBound(ParseError):
    """A name bound only in a loop that did not run at this point (a batch's row is bad:
    at another point the loop may run)."""


class UnrollBound(DomainError):
    """A trace past ``UNROLL`` before any ``while`` loop ran: its constant loops alone
    are too long, at every point whose path gets there (a batch stops, as ``--at``)."""


@contextmanager
def max_steps(n: int | None) -> Iterator[None]:
    """Within the block, a program's ``while`` loops run at most ``n`` iterations each,
    and its loops (and a traced function's tape) at most ``UNROLL * n`` in all."""
    token = MAX_STEPS_SETTING.set(n)
    try:
        yield
    finally:
        MAX_STEPS_SETTING.reset(token)


# the instructions (``adcalc.frontend.program`` compiles them)
(LEAF, BIN, NEG, CALL, VEC, BIND, CMP, NOT, JFK, JTK, BRANCH, JUMP, LOOP, NEXT, TEST, DEF,
 RET, END) = range(18)


COMPARE = {"<": float.__lt__, "<=": float.__le__, ">": float.__gt__, ">=": float.__ge__,
           "==": float.__eq__, "!=": float.__ne__}
"""Each comparison of a condition on doubles (the tracer's, and generated code's)."""


class _Frame:
    __slots__ = ("count", "iteration", "kind", "label", "limit", "outer", "record", "var")

    def __init__(self, kind: str, label: str, outer: str, var: str | None, count: int,
                 limit: int, record: Loop) -> None:
        self.kind, self.label, self.outer, self.var = kind, label, outer, var
        self.count, self.limit, self.iteration, self.record = count, limit, 0, record


class Tracer:
    """Runs a ``Program`` at a point, recording the path it takes as a tape (``run``);
    the batch paths, the pieces of ``diff`` and generated code's branches subclass it to
    follow or record other paths."""

    keep_given = False
    """Keep every input of the point whose name the program mentions, even where the
    program has one path that does not read it (a batch's columns ``w[…]``)."""
    once = False
    """Run each loop's body at most once (a probe for the program's own errors)."""

    def __init__(self, program: Program, point: Mapping[str, float], max_steps: int | None,
                 exact: bool, outcomes: Sequence[bool] | None) -> None:
        self.program = program
        self.text = program.text
        self.point = point
        if max_steps is None:
            max_steps = MAX_STEPS_SETTING.get()
        self.max_steps = MAX_STEPS if max_steps is None else max_steps
        if self.max_steps < 1:
            raise InputError(f"{param('max_steps')} must be at least 1, got {self.max_steps}")
        self.unroll = UNROLL * self.max_steps
        self.iterations = 0
        """The iterations of every loop so far (bounded by ``unroll``)."""
        self.whiles = 0
        """The iterations of ``while`` loops so far (the only ones the point decides)."""
        self.builder = Builder()
        self.builder.reset(program.text, exact)
        self.tape = self.builder.tape
        self.outcomes = None if outcomes is None else list(outcomes)
        self.vals: list[Any] = []
        self.where = ""
        self.spans: list[tuple[int, str]] = []
        self.said: set[int] = set()
        self.unbound: dict[int, str] = getattr(program, "bound_before", {})

    # values at the point, computed as far as the tape goes
    def values(self) -> list[Any]:
        from adcalc.engine.sweeps import primal

        tape, vals = self.tape, self.vals
        if len(vals) < len(tape):
            for name in tape.variables:
                if tape.var_node[name] >= len(vals) and name not in self.point:
                    where = f" (read at {self.where})" if self.where else ""
                    raise InputError(f"no value for {name}{where}: give it with "
                                     f"{param('point', f'{name}=…')}")
            primal(tape, self.point, resume=vals)
        return vals

    def loop_label(self) -> None:
        self.spans.append((len(self.tape), self.where))

    def run(self) -> Tape:
        code, b, tape, text = self.program.code, self.builder, self.tape, self.text
        stack: list[Any] = []
        push, pop = stack.append, stack.pop
        loops: list[_Frame] = []
        calls: list[tuple] = []
        functions: dict[str, tuple] = {}
        records: dict[int, Loop] = {}
        defined: set[int] = set()
        pc = 0
        leaf = {"number": b.number, "name": b.name}
        binary = {"add": b.add, "sub": b.sub, "mul": b.mul, "div": b.div, "pow": b.pow}
        while True:
            ins = code[pc]
            op = ins[0]
            pc += 1
            if op == LEAF:
                if ins[2].start_pos in self.unbound and str(ins[2]) not in b.bindings:
                    raise self.not_bound(ins[2])
                push(leaf[ins[1]]([ins[2]]))
            elif op == BIN:
                y = pop()
                stack[-1] = binary[ins[1]]([stack[-1], y])
            elif op == NEG:
                stack[-1] = b.neg([stack[-1]])
            elif op == CALL:
                n = ins[3]
                args = stack[len(stack) - n:]
                del stack[len(stack) - n:]
                tok = ins[2]
                mine = functions.get(str(tok)) if ins[1] == "call" else None
                if mine is None:
                    push(b.call([tok, args]) if ins[1] == "call" else b.index([tok, args]))
                    continue
                params, entry, scope, known = mine
                name = str(tok)
                b.used.add(name)
                if len(args) != len(params):
                    k = len(params)
                    raise ParseError(f"{name} takes {k} argument{'s' if k != 1 else ''} "
                                     f"({', '.join(params)}), got {len(args)}", text,
                                     tok.start_pos)
                if any(isinstance(a, Vector) for a in args):
                    raise ParseError(f"the arguments of {name} must be numbers, not vectors",
                                     text, tok.start_pos)
                calls.append((pc, b.bindings, functions, tok, b.reads))
                b.bindings, b.reads = dict(scope), set()  # the function's own scope
                b.bindings.update(zip(params, args, strict=True))
                functions = known
                pc = entry
            elif op == RET:
                reads = b.reads  # what the function read as inputs, the caller read too
                pc, b.bindings, functions, tok, b.reads = calls.pop()
                b.reads |= reads
                out = stack[-1]
                if type(out) is int and tape.ops[out] >= 0:
                    tape.names.setdefault(out, b._call_text(tok.start_pos))
            elif op == VEC:
                n = ins[1]
                args = stack[len(stack) - n:]
                del stack[len(stack) - n:]
                push(b.vector([args]))
            elif op == BIND:
                tok = ins[1]
                at = tok.start_pos
                b.binding([tok, pop()])
                if at in defined:  # bound again by a loop: one definition
                    b.defined.pop()
                defined.add(at)
            elif op == CMP:
                y, x = pop(), pop()
                push(self.compare(ins, x, y, loops))
            elif op == NOT:
                stack[-1] = not stack[-1]
            elif op == JFK:
                if stack[-1]:
                    pop()
                else:
                    pc = ins[1]
            elif op == JTK:
                if stack[-1]:
                    pc = ins[1]
                else:
                    pop()
            elif op == BRANCH:
                if not pop():
                    pc = ins[1]
            elif op == JUMP:
                pc = ins[1]
            elif op == LOOP:
                kind, kw, label = ins[1], ins[2], ins[3]
                record = records.get(kw.start_pos)
                if record is None:
                    record = records[kw.start_pos] = Loop(label, kw.start_pos)
                if kind == "repeat":
                    count, limit = 0, self.bound(pop(), ins[5], kw, label, "count")
                elif kind == "for":
                    hi, lo = pop(), pop()
                    count = self.bound(lo, ins[5][0], kw, label, "start")
                    limit = self.bound(hi, ins[5][1], kw, label, "end") + 1
                else:
                    count, limit = 0, self.max_steps
                if kind != "while" and self.iterations + (limit - count) > self.unroll:
                    raise self.too_long(kw.start_pos, label,
                                        f"would run {limit - count:,} iterations")
                loops.append(_Frame(kind, label, self.where, None if ins[4] is None else str(
                    ins[4]), count, limit, record))
            elif op == NEXT:
                frame = loops[-1]
                if frame.count >= frame.limit or (self.once and frame.iteration):
                    self.end_loop(loops.pop())
                    pc = ins[1]
                    continue
                frame.iteration += 1
                self.iterations += 1
                if len(tape) > self.unroll:
                    raise self.too_long(frame.record.at, frame.label, "", rows=True)
                if frame.var is not None:
                    b.bindings[frame.var] = tape.const(frame.count)
                    now = f"{frame.var}={frame.count}"
                else:
                    now = f"{frame.kind} {frame.iteration}" if frame.outer else (
                        f"iteration {frame.iteration}")
                frame.count += 1
                self.where = f"{frame.outer}, {now}" if frame.outer else now
                self.loop_label()
            elif op == TEST:
                frame = loops[-1]
                if not pop():
                    self.end_loop(loops.pop())
                    pc = ins[1]
                    continue
                if frame.iteration >= frame.limit:
                    at = ins[2].start_pos
                    raise DomainError(
                        f"the loop `{ins[3]}` at {place(text, at)} did not end within "
                        f"{frame.limit:,} iterations, the limit {param('max_steps')} sets "
                        f"(default {MAX_STEPS:,}): raise it if the loop needs more, or check "
                        "that its condition turns false")
                frame.iteration += 1
                self.iterations += 1
                self.whiles += 1
                if self.iterations > self.unroll or len(tape) > self.unroll:
                    raise self.too_long(ins[2].start_pos, ins[3], "",
                                        rows=len(tape) > self.unroll)
                now = f"iteration {frame.iteration}"
                self.where = f"{frame.outer}, {now}" if frame.outer else now
                self.loop_label()
            elif op == DEF:
                tok, params, entry, skip = ins[1], ins[2], ins[3], ins[4]
                self.define(tok, params)
                functions = {**functions, str(tok): (params, entry, dict(b.bindings),
                                                     functions)}
                pc = skip
            elif op == END:
                return self.finish(pop(), records)

    # -- pieces of the loop ------------------------------------------------------------
    def not_bound(self, tok: Any) -> ParseError:
        """A name read where the program bound it only in a loop that did not run (or
        a branch it did not take): no value here, and not an input."""
        where = f" (at {self.where})" if self.where else ""
        return NotBound(f"{tok} has no value here{where}: the program binds it only inside a "
                        "loop that did not run at this point; bind it before the loop (or "
                        "give the loop at least one iteration)", self.text, tok.start_pos)

    def too_long(self, at: int, label: str, what: str, rows: bool = False) -> DomainError:
        """The error of a trace past its bound (``UNROLL``): the loop, where it is, the
        bound and what raises it."""
        where = f" (at {self.where})" if self.where else ""
        if rows:
            what = (f"unrolled to a tape of more than {self.unroll:,} rows, the most a "
                    "program's loops may unroll to")
        else:
            if what:
                if self.iterations:
                    what += f" after the {self.iterations:,} its loops have run"
                what += f", more than the {self.unroll:,} a program's loops may run in all"
            else:
                what = f"ran past the {self.unroll:,} iterations a program's loops may run in all"
        return (DomainError if self.whiles else UnrollBound)(
            f"the loop `{label}` at {place(self.text, at)}{where} {what} ({UNROLL} × "
            f"{param('max_steps')}, whose default is {MAX_STEPS:,}): raise "
            f"{param('max_steps')} if the program needs more, or make the loop shorter")

    def compare(self, ins: tuple, x: Any, y: Any, loops: list[_Frame]) -> bool:
        tok, ctx, comparison = ins[1], ins[2], ins[3]
        if isinstance(x, Vector) or isinstance(y, Vector):
            raise ParseError(f"{comparison} compares vectors: a comparison is between two "
                             "numbers", self.text, tok.start_pos)
        how = str(tok)
        label = ctx[1] if ctx else comparison
        if ctx and ctx[0] == "while" and loops:
            label += f" (iteration {loops[-1].iteration + 1})"
        outer = loops[-1].outer if ctx and ctx[0] == "while" and loops else self.where
        if self.outcomes is not None:
            if not self.outcomes:
                raise InputError("the recorded path ends before the program does: trace it "
                                 "again at this point")
            outcome = self.outcomes.pop(0)
            boundary = False
        else:
            vals = self.values()
            a, c = float(vals[x]), float(vals[y])
            outcome = COMPARE[how](a, c)
            tape = self.tape
            boundary = a == c and not (tape.is_const(x) and tape.is_const(y))
            if boundary and tok.start_pos not in self.said:
                self.said.add(tok.start_pos)
                self.tape.warnings.append(
                    f"warning: {label}{f' at {outer}' if outer else ''}: the point is on "
                    f"the boundary of {comparison} (both sides are {a!r}); the derivative is "
                    f"that of the path taken ({comparison} came out {outcome}), and the "
                    "other side's may differ")
        self.tape.decisions.append(Decision(x, how, y, outcome, label, comparison, outer,
                                            tok.start_pos, boundary))
        return outcome

    def bound(self, value: Any, tree: Any, kw: Any, label: str, what: str) -> int:
        """A loop's count or bound: a whole number known without the point."""
        from adcalc.frontend.program import _first

        tape, at = self.tape, _first(tree)
        if isinstance(value, Vector):
            raise ParseError(f"the {what} of `{label}` is a vector; it must be a whole number",
                             self.text, at)
        if not tape.is_const(value):
            used = tape.reads(value)
            if not used:
                raise ParseError(undefined(f"the {what} of `{label}`"), self.text, at)
            raise ParseError(f"the {what} of `{label}` must be a constant (a whole number, "
                             f"or a name bound to one), not depend on the input"
                             f"{'s' if len(used) > 1 else ''} {', '.join(used)}: a loop's "
                             "length is fixed before the point is known; use while for a "
                             "loop that depends on it", self.text, at)
        x = float(tape.consts[value])  # type: ignore[arg-type]
        if x != int(x):
            raise ParseError(f"the {what} of `{label}` is {x!r}, not a whole number", self.text,
                             at)
        if what == "count" and x < 0:
            raise ParseError(f"the count of `{label}` is {int(x)}; it must be 0 or more",
                             self.text, at)
        return int(x)

    def end_loop(self, frame: _Frame) -> None:
        frame.record.runs += 1
        trips = frame.iteration
        r = frame.record
        r.trips_min = trips if r.trips_min is None else min(r.trips_min, trips)
        r.trips_max = trips if r.trips_max is None else max(r.trips_max, trips)
        self.where = frame.outer
        self.loop_label()

    def define(self, tok: Any, params: list[str]) -> None:
        """The checks of ``Builder.function_def`` for a function of a program."""
        b, name, at = self.builder, str(tok), tok.start_pos
        from adcalc.frontend.build import ALIASES, CONSTANTS, FUNCTIONS, REDUCTIONS

        builtin = set(FUNCTIONS) | set(ALIASES) | set(REDUCTIONS)
        if name in builtin:
            raise ParseError(f"{name} is a built-in function; give yours another name",
                             self.text, at)
        if name in CONSTANTS:
            raise ParseError(f"{name} is a constant; a function needs another name", self.text,
                             at)
        if name in b.functions or name in b.bindings:
            raise ParseError(f"{name} is defined twice", self.text, at)
        if len(set(params)) != len(params):
            raise ParseError(f"{name} names a parameter twice", self.text, at)
        for p in params:
            if p in builtin or p in CONSTANTS:
                raise ParseError(f"{p} is a built-in name; a parameter of {name} needs another",
                                 self.text, at)
        b.functions[name] = _Stub(name, params)  # type: ignore[assignment]
        b.defined.append((name, at, "function"))

    def finish(self, out: Any, records: dict[int, Loop]) -> Tape:
        from adcalc.frontend.parse import _unused

        b, tape = self.builder, self.tape
        tape.outputs.extend(out if isinstance(out, Vector) else [out])
        tape.loops.extend(sorted(records.values(), key=lambda r: r.at))
        spans = [*self.spans, (len(tape), "")]
        ops = tape.ops
        for (start, label), (stop, _) in pairwise(spans):
            if label:
                for i in range(start, stop):
                    if ops[i] >= 0:
                        tape.where.setdefault(i, label)
        missing = [n for n in tape.variables if n not in self.point]
        if missing and self.outcomes is None:
            at = {i: label for (start, label), (stop, _) in pairwise(spans)
                  for i in range(start, stop) if label and ops[i] < 0}
            name = missing[0]
            where = at.get(tape.var_node[name])
            raise InputError(f"no value for {name}{f' (read at {where})' if where else ''}: "
                             f"give it with {param('point', f'{name}=…')}")
        for name in self.point:  # inputs of the paths not taken: derivative 0 (a program
            # that decided nothing has one path: an input it did not read names nothing)
            if name not in tape.var_node and self.program.reads_as_input(name) and (
                    tape.decisions or self.keep_given):
                tape.input(name)
        defined = sorted(set(b.defined), key=lambda d: d[1])
        other_paths = self.program.read_anywhere if tape.decisions else ()
        tape.warnings.extend(_unused(self.text, [d for d in defined if d[0] not in b.used
                                                 and d[0] not in other_paths],
                                     defined, self.program.breaks))
        out = tape.pruned()
        # the variables in the order the text first reads them, whichever path ran (the
        # path's order made --dir, -q's columns and codegen's parameters differ by point)
        out.variables = self.program.in_text_order(out.variables)
        return out


class _Stub:
    """A function of a program, as ``Builder`` sees it (for its messages): calls are
    the tracer's; one reaching the builder is a function calling itself."""

    def __init__(self, name: str, params: list[str]) -> None:
        self.name, self.params = name, params

    def call(self, args: list, label: str, text: str, at: int) -> Any:
        raise ParseError(f"{self.name} calls itself: a function may use only the functions "
                         "defined before it (no recursion)", text, at)


def undefined(what: str) -> str:
    """The message for a count or an index that reads no input and has no value."""
    return (f"{what} has no value: it divides by zero or leaves a function's domain "
            "(as 1/0, log(0), sqrt(-1)); it must be a whole number")


def place(text: str, pos: int) -> str:
    """Where ``pos`` is in ``text``, as messages say it (``parse.place``; imported
    here when called, as ``parse`` imports this module's users)."""
    from adcalc.frontend.parse import place as at

    return at(text, pos)
