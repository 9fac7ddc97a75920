"""The parser's callbacks: each reduction appends tape nodes (no parse tree is built).

A value is a node id (a scalar) or a ``Vector`` of node ids.  Arithmetic and the
one-argument functions apply entry by entry, a scalar broadcasting against a vector;
the reductions (``sum``, ``prod``, ``dot``, ``norm``, ``softmax``, ``logsumexp``, and
``min``/``max``/``hypot`` of many arguments) are written with the primitives, so
every derivative rule still lives in ``adcalc.primitives``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from adcalc.engine.primitives import (
    ADD,
    CONST,
    CONSTANTS,
    DIV,
    MUL,
    NEG,
    OPCODE,
    POW,
    PRIMITIVES,
    SUB,
    Primitive,
)
from adcalc.engine.tape import Tape
from adcalc.errors import ParseError

FUNCTIONS: dict[str, Primitive] = {p.name: p for p in PRIMITIVES if p.user}
"""Primitive functions users may call, by name."""

ALIASES: dict[str, str] = {alias: p.name for p in FUNCTIONS.values() for alias in p.aliases}
"""Other names of functions (``ln`` → ``log``)."""

VARIADIC = tuple(name for name, p in FUNCTIONS.items() if p.variadic)
"""Binary primitives that reduce any number of arguments (folded from the left)."""

REDUCTIONS: dict[str, tuple[str, str]] = {
    "sum": ("sum([a, b, …])", "the sum of the entries"),
    "prod": ("prod([a, b, …])", "the product of the entries"),
    "dot": ("dot([a, b], [c, d])", "the dot product of two vectors"),
    "norm": ("norm([a, b, …])", "the Euclidean norm sqrt(a^2 + b^2 + …)"),
    "softmax": ("softmax([a, b, …])", "the vector exp(a_i)/Σ exp(a_j), shifted by the largest "
                "entry so nothing overflows"),
    "logsumexp": ("logsumexp([a, b, …])", "log(Σ exp(a_i)), shifted by the largest entry so "
                  "nothing overflows"),
}
"""Functions written with the primitives (signature, one line); all but ``softmax`` give
a scalar."""

KNOWN = sorted([*FUNCTIONS, *ALIASES, *REDUCTIONS])

SIMPLE = {name: OPCODE[name] for name, p in FUNCTIONS.items()
          if p.arity == 1 and not p.takes_const and name not in VARIADIC}
"""One-argument functions whose call is just their node."""


class Vector(tuple):
    """A vector value: a tuple of node ids."""


class IsProgram(Exception):
    """The text has control flow (a branch, a loop, a block): it is read again as a
    ``Program`` (``adcalc.frontend.program``) and traced at a point."""


Value = int | Vector

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\[[0-9]+\])?")


class UserFunction:
    """A function a program defines: its body's nodes on the tape, with the parameters'
    nodes as placeholders; a call copies the nodes that depend on a parameter."""

    def __init__(self, tape: Tape, name: str, params: list[str], nodes: list[int],
                 body: Value) -> None:
        self.tape = tape
        self.name = name
        self.params = params
        self.placeholders = nodes
        self.body = body
        results = list(body) if isinstance(body, Vector) else [body]
        seen = set(results)
        stack = list(results)
        while stack:  # the body's nodes (a loop, never a recursion over the graph)
            i = stack.pop()
            for a in (tape.a0[i], tape.a1[i]) if tape.ops[i] >= 0 else ():
                if a >= 0 and a not in seen:
                    seen.add(a)
                    stack.append(a)
        holders = set(nodes)
        depends: set[int] = set()
        for i in sorted(seen):
            if i in holders or (tape.ops[i] >= 0 and (tape.a0[i] in depends or
                                                     tape.a1[i] in depends)):
                depends.add(i)
        self.template = [i for i in sorted(seen) if i in depends and i not in holders]
        """The nodes a call copies, in tape order."""

    def call(self, args: list[Value], label: str, text: str, at: int) -> Value:
        if len(args) != len(self.params):
            n = len(self.params)
            raise ParseError(f"{self.name} takes {n} argument{'s' if n != 1 else ''} "
                             f"({', '.join(self.params)}), got {len(args)}", text, at)
        if any(isinstance(a, Vector) for a in args):
            raise ParseError(f"the arguments of {self.name} must be numbers, not vectors",
                             text, at)
        tape = self.tape
        ops, a0, a1, consts = tape.ops, tape.a0, tape.a1, tape.consts
        to: dict[int, int] = dict(zip(self.placeholders, args, strict=True))  # type: ignore[arg-type]
        for i in self.template:
            b = a1[i]
            to[i] = tape.node(ops[i], to.get(a0[i], a0[i]), to.get(b, b) if b >= 0 else -1,
                              consts[i])
        if isinstance(self.body, Vector):
            return Vector(to.get(i, i) for i in self.body)
        out = to.get(self.body, self.body)
        if tape.ops[out] >= 0:
            tape.names.setdefault(out, label)
        return out


class Builder:
    """Lark callbacks writing into ``self.tape``; ``reset`` before each parse."""

    def __init__(self) -> None:
        self.reset("")

    def reset(self, text: str, exact: bool = False) -> None:
        self.tape = Tape(symbolic=exact)
        self.tape.zero_products = False  # (log(-1)*0 has no value: a user's 0·u stays)
        self.exact = exact
        """Literals as typed (``0.1`` is 1/10), constants by name (``adcalc.exact``)."""
        self.text = text
        self.bindings: dict[str, Value] = {}
        self.functions: dict[str, UserFunction] = {}
        self.mark = 0
        """Nodes from here on were made by the statement being read."""
        self.defined: list[tuple[str, int, str]] = []
        """(name, offset, ``binding`` or ``function``) of each definition, in order."""
        self.used: set[str] = set()
        """The bindings and functions the program reads (for the warning of one never used)."""
        self.reads: set[str] = set()
        """The names this scope has read as inputs: one of them cannot be bound after (a
        call of a program's function reads in a scope of its own: ``adcalc.frontend.tracer``)."""
        self.indexed: dict[str, str] = {}
        """``s`` → the first indexed name ``s[k]`` bound or used as a variable."""

    def unused(self) -> list[tuple[str, int, str]]:
        """The definitions the program never reads, in order."""
        return [d for d in self.defined if d[0] not in self.used]

    # -- programs ---------------------------------------------------------------------
    def start(self, children: list) -> Value:
        return children[-1]

    def binding(self, children: list) -> None:
        token, value = children
        name, at = str(token), token.start_pos
        if name in FUNCTIONS or name in ALIASES or name in REDUCTIONS or name in CONSTANTS:
            kind = "constant" if name in CONSTANTS else "function"
            raise ParseError(f"{name} is a {kind}; a binding needs another name", self.text, at)
        if name in self.reads:
            raise ParseError(f"{name} is used before it is defined: read above as an input, "
                             "it cannot be bound after (an input keeps its value): define it "
                             f"before it is read, or give the new value another name ({name}2 "
                             "= …)", self.text, at)
        if name in self.functions:
            raise ParseError(f"{name} is a function defined above; a binding needs another "
                             "name", self.text, at)
        base = name.partition("[")[0]
        if base != name and isinstance(self.bindings.get(base), Vector):
            raise ParseError(f"{name} is an entry of the vector {base} defined above; a binding "
                             "needs another name", self.text, at)
        taken = self.indexed.get(name)
        if taken is not None and isinstance(value, Vector):
            raise ParseError(f"{taken} is used above, so {name}[k] cannot also index the "
                             f"vector {name}: give the vector another name", self.text, at)
        if base != name:
            self.indexed.setdefault(base, name)
        self.bindings[name] = value
        self.defined.append((name, at, "binding"))
        entries = value if isinstance(value, Vector) else (value,)
        for k, node in enumerate(entries):
            if self.tape.ops[node] >= 0:
                label = f"{name}[{k + 1}]" if isinstance(value, Vector) else name
                self.tape.names.setdefault(node, label)
        self.mark = len(self.tape)

    def function_def(self, children: list) -> None:
        """``neuron(w, b, x) = tanh(w*x + b)``: the body, already on the tape with its
        parameters as inputs, becomes a template that each call copies with the
        arguments in their place (in one loop over the body's nodes)."""
        token, args, body = children
        name, at = str(token), token.start_pos
        if name in FUNCTIONS or name in ALIASES or name in REDUCTIONS:
            raise ParseError(f"{name} is a built-in function; give yours another name",
                             self.text, at)
        if name in CONSTANTS:
            raise ParseError(f"{name} is a constant; a function needs another name", self.text,
                             at)
        if name in self.functions or name in self.bindings:
            raise ParseError(f"{name} is defined twice", self.text, at)
        params = self._parameters(at)
        if len(params) != len(args) or any(isinstance(a, Vector) for a in args):
            raise ParseError(f"the parameters of {name} must be names, as in {name}(x, y) = …",
                             self.text, at)
        tape = self.tape
        for p in params:
            if p in FUNCTIONS or p in ALIASES or p in REDUCTIONS or p in CONSTANTS:
                raise ParseError(f"{p} is a built-in name; a parameter of {name} needs another",
                                 self.text, at)
        if len(set(params)) != len(params):
            raise ParseError(f"{name} names a parameter twice", self.text, at)
        for p in params:
            if p in self.bindings or p in self.functions:
                raise ParseError(f"{p} is defined above; a parameter of {name} needs another "
                                 "name", self.text, at)
        self.functions[name] = UserFunction(tape, name, params, list(args), body)
        self.defined.append((name, at, "function"))
        for p, node in zip(params, args, strict=True):  # a parameter is not a variable
            if node >= self.mark and tape.input_name.get(node) == p:
                del tape.var_node[p]
                del tape.input_name[node]
                self.reads.discard(p)
                tape.variables.remove(p)
        self.mark = len(tape)

    def _parameters(self, at: int) -> list[str]:
        """The parameter names of the definition at ``at``, read from the text."""
        text = self.text
        start = text.index("(", at) + 1
        end = text.index(")", start)
        names = [p.strip() for p in text[start:end].split(",")]
        if not all(_NAME.fullmatch(p) for p in names):
            raise ParseError("a function's parameters must be names, as in f(x, y) = …",
                             text, at)
        return names

    # -- operands ---------------------------------------------------------------------
    def number(self, children: list) -> int:
        token = children[0]
        x = float(token)
        if x == float("inf"):
            raise ParseError(f"the number {token} is too large for a double", self.text,
                             token.start_pos)
        if self.exact:
            from fractions import Fraction

            from adcalc.engine.exact import exact

            digits = str(token)  # a whole number (the usual literal) is read as one
            return self.tape.const(exact(int(digits)) if digits.isdigit() else Fraction(digits))
        return self.tape.const(x)

    def name(self, children: list) -> Value:
        token = children[0]
        name = str(token)
        if name in CONSTANTS:
            if self.exact:
                from adcalc.engine.exact import NAMED

                return self.tape.const(NAMED[name])
            return self.tape.const(CONSTANTS[name])
        if name in FUNCTIONS or name in ALIASES or name in REDUCTIONS:
            raise ParseError(f"{name} is a function: call it as {name}(...)", self.text,
                             token.start_pos)
        mine = self.functions.get(name)
        if mine is not None:
            raise ParseError(f"{name} is a function of this program ({name}("
                             f"{', '.join(mine.params)}) = …): call it as {name}(...)",
                             self.text, token.start_pos)
        bound = self.bindings.get(name)
        if bound is not None:
            self.used.add(name)
            return bound
        if name[-1] == "]":
            entry = self.entry(name, token.start_pos)
            if entry is not None:
                return entry
            self.indexed.setdefault(name.partition("[")[0], name)
        self.reads.add(name)
        return self.tape.input(name)

    def entry(self, name: str, at: int) -> int | None:
        """``s[k]`` of a vector bound as ``s = [a, b, …]``: its k-th entry (from 1, as the
        indexed names are); ``None`` when ``s`` is not bound (``s[k]`` is a variable)."""
        base, _, index = name[:-1].partition("[")
        vector = self.bindings.get(base)
        if vector is None or "," in index:
            return None
        self.used.add(base)
        if not isinstance(vector, Vector):
            if name in self.tape.var_node:
                return None  # a variable before the binding: it stays one
            raise ParseError(f"{base} is a number, not a vector: {name} has nothing to index; "
                             f"a variable needs another name than {base}[…]", self.text, at)
        k, n = int(index), len(vector)
        if not 1 <= k <= n:
            raise ParseError(f"{name} is out of range: the vector {base} has {n} entr"
                             f"{'y' if n == 1 else 'ies'}, {base}[1]"
                             f"{'' if n == 1 else f' to {base}[{n}]'}", self.text, at)
        return vector[k - 1]

    def definitions(self, children: list) -> None:
        return None  # each binding registered itself

    def index(self, children: list) -> Value:
        """``w[i]``, ``v[i, j]``, ``x[i+1]``: the name with its indices' values, each a
        whole number known without the point (a literal, a loop's counter, a name bound
        to a number)."""
        token, args = children
        base, at, tape = str(token)[:-1], token.start_pos, self.tape
        indices = []
        for a in args:
            if isinstance(a, Vector):
                raise ParseError(f"an index of {base}[…] is a vector; it must be a whole number",
                                 self.text, at)
            if not tape.is_const(a):
                used = tape.reads(a)
                if not used:
                    from adcalc.frontend.tracer import undefined

                    raise ParseError(undefined(f"an index of {base}[…]"), self.text, at)
                raise ParseError(f"an index of {base}[…] depends on the input"
                                 f"{'s' if len(used) > 1 else ''} {', '.join(used)}: an index "
                                 "must be a whole number known without the point (a number, a "
                                 "for loop's counter, or a name bound to one)", self.text, at)
            x = float(tape.consts[a])  # type: ignore[arg-type]
            if x != int(x) or x < 0:
                raise ParseError(f"an index of {base}[…] is {x:g}; indices are whole numbers "
                                 "0 or more", self.text, at)
            indices.append(int(x))
        vector = self.bindings.get(base)
        if isinstance(vector, Vector) and len(indices) > 1:
            raise ParseError(f"{base} is a vector: it takes one index, not {len(indices)}",
                             self.text, at)
        from adcalc.frontend.lalr import Word

        name = f"{base}[{','.join(map(str, indices))}]"
        return self.name([Word("NAME", name, at)])

    # -- control flow: the program is read again as a Program -------------------------
    # Each construct begins with a rule reduced as soon as its keyword (or '{') is read,
    # before anything inside it: straight-line building stops there.
    if_kw = repeat_kw = for_kw = while_kw = open = repeat = for_loop = while_loop = block = (
        statements) = function_block = compare = and_ = or_ = not_ = if_expr = None

    def args(self, children: list) -> list[Value]:
        if len(children) == 1:
            return [children[0]]
        children[0].append(children[1])  # args , expr: extended in place (linear time)
        return children[0]

    def vector(self, children: list) -> Vector:
        entries = children[0]
        if any(isinstance(x, Vector) for x in entries):
            raise ParseError("a vector's entries must be numbers, not vectors", self.text)
        return Vector(entries)

    # -- arithmetic -------------------------------------------------------------------
    def add(self, children: list) -> Value:
        return self.binary(ADD, "+", children[0], children[1])

    def sub(self, children: list) -> Value:
        return self.binary(SUB, "-", children[0], children[1])

    def mul(self, children: list) -> Value:
        return self.binary(MUL, "*", children[0], children[1])

    def div(self, children: list) -> Value:
        return self.binary(DIV, "/", children[0], children[1])

    def binary(self, op: int, what: str, a: Value, b: Value) -> Value:
        if type(a) is int and type(b) is int:  # the common case, kept fast
            return self.tape.node(op, a, b)
        return self.elementwise(what, lambda x, y: self.tape.node(op, x, y), a, b)

    def pow(self, children: list) -> Value:
        return self.elementwise("^", self.power, children[0], children[1])

    def neg(self, children: list) -> Value:
        return self.map(lambda a: self.tape.node(NEG, a), children[0])

    def power(self, base: int, exponent: int) -> int:
        tape = self.tape
        if tape.ops[base] == CONST and tape.consts[base] == CONSTANTS["e"]:
            return tape.node(OPCODE["exp"], exponent)
        return tape.node(POW, base, exponent)

    def map(self, f: Callable[[int], int], a: Value) -> Value:
        return Vector(f(x) for x in a) if isinstance(a, Vector) else f(a)

    def elementwise(self, what: str, f: Callable[[int, int], int], a: Value, b: Value,
                    at: int | None = None) -> Value:
        """``f`` entry by entry; a scalar broadcasts, vectors must have equal lengths."""
        va, vb = isinstance(a, Vector), isinstance(b, Vector)
        if not va and not vb:
            return f(a, b)  # type: ignore[arg-type]
        if va and vb:
            if len(a) != len(b):  # type: ignore[arg-type]
                raise ParseError(f"shape mismatch: {what} needs vectors of the same length, "
                                 f"got {len(a)} and {len(b)}", self.text, at)  # type: ignore[arg-type]
            return Vector(f(x, y) for x, y in zip(a, b, strict=True))  # type: ignore[arg-type]
        if va:
            return Vector(f(x, b) for x in a)  # type: ignore[arg-type,union-attr]
        return Vector(f(a, y) for y in b)  # type: ignore[arg-type,union-attr]

    # -- functions --------------------------------------------------------------------
    def call(self, children: list) -> Value:
        token, args = children
        name = str(token)
        name = ALIASES.get(name, name)
        op = SIMPLE.get(name)
        if op is not None and len(args) == 1 and type(args[0]) is int:
            return self.tape.node(op, args[0])  # sin(x) and the like: the common case
        at = token.start_pos
        if name in REDUCTIONS:
            return self.reduction(name, args, at)
        prim = FUNCTIONS.get(name)
        if prim is None:
            mine = self.functions.get(name)
            if mine is not None:
                self.used.add(name)
                return mine.call(args, self._call_text(at), self.text, at)
            if name in CONSTANTS:
                raise ParseError(f"{name} is a constant, not a function", self.text, at)
            import re

            from adcalc.engine.hints import nearest

            statement = self.text[max(self.text.rfind(";", 0, at),
                                       self.text.rfind("\n", 0, at)) + 1:]
            definition = rf"\s*{re.escape(name)}\s*\([^()]*\)\s*="
            if re.match(definition, statement) or re.search(
                    rf"(?<![\w\]]){definition[3:]}", self.text[at + len(name):]):
                raise ParseError(f"{name} is defined below (or calls itself): a function may "
                                 "use only the functions defined before it", self.text, at)
            near = nearest(name, [*KNOWN, *self.functions])
            hint = f"; did you mean {near}?" if near else ""
            raise ParseError(f"unknown function {name!r}{hint}", self.text, at)
        tape = self.tape
        n = len(args)
        if name in VARIADIC and (n >= 2 or any(isinstance(x, Vector) for x in args)):
            entries = self.entries(name, args, at)
            if len(entries) < 2:
                raise ParseError(f"{name} takes at least 2 numbers, got {len(entries)}",
                                 self.text, at)
            return self.fold(OPCODE[name], entries)
        if name == "log" and n == 2:
            log = OPCODE["log"]
            return self.elementwise(
                "log", lambda x, b: tape.node(DIV, tape.node(log, x), tape.node(log, b)),
                args[0], args[1], at)
        if n != prim.arity:
            want = {"log": "1 or 2 arguments"}.get(name) or (
                "at least 2 arguments" if name in VARIADIC
                else f"{prim.arity} argument{'s' if prim.arity > 1 else ''}"
            )
            raise ParseError(f"{name} takes {want}, got {n}", self.text, at)
        if name == "pow":
            return self.elementwise("pow", self.power, args[0], args[1], at)
        op = OPCODE[name]
        if n == 1:
            return self.map(lambda x: tape.node(op, x), args[0])
        return self.elementwise(name, lambda x, y: tape.node(op, x, y), args[0], args[1], at)

    def _call_text(self, at: int) -> str:
        """The text of the call at ``at``: ``neuron(w1, b1, x)`` (for the trace labels)."""
        text, depth = self.text, 0
        for k in range(text.index("(", at), len(text)):
            depth += {"(": 1, ")": -1}.get(text[k], 0)
            if depth == 0:
                return " ".join(text[at:k + 1].split())
        return text[at:]

    def entries(self, name: str, args: Sequence[Value], at: int) -> list[int]:
        """All numbers in ``args``, vectors spread out: ``sum([a, b], c)`` sums a, b, c."""
        out: list[int] = []
        for x in args:
            out.extend(x if isinstance(x, Vector) else (x,))
        return out

    def fold(self, op: int, entries: Sequence[int]) -> int:
        if op == OPCODE["hypot"]:  # a number other than 0 first: hypot(x, y, 1) is
            tape = self.tape  # hypot(hypot(1, x), y), smooth at x = y = 0 as it is
            entries = sorted(entries, key=lambda e: not (tape.is_const(e) and tape.consts[e]))
        acc = entries[0]
        for x in entries[1:]:
            acc = self.tape.node(op, acc, x)
        return acc

    def reduction(self, name: str, args: list[Value], at: int) -> Value:
        tape = self.tape
        if name == "dot":
            if len(args) != 2 or not all(isinstance(x, Vector) for x in args):
                raise ParseError("dot takes two vectors, as in dot([a, b], [c, d])",
                                 self.text, at)
            products = self.elementwise("dot", lambda x, y: tape.node(MUL, x, y),
                                        args[0], args[1], at)
            return self.fold(ADD, products)  # type: ignore[arg-type]
        entries = self.entries(name, args, at)
        if name == "sum":
            return self.fold(ADD, entries)
        if name == "prod":
            return self.fold(MUL, entries)
        if name == "norm":  # hypot scales: no square underflows at 1e-160 or overflows
            if len(entries) == 1:
                return tape.node(OPCODE["abs"], entries[0])
            return self.fold(OPCODE["hypot"], entries)
        # Shifted by the largest entry m, as PyTorch and JAX do, so no exp overflows and
        # ties cost nothing: m carries no derivative (stop_gradient), and none is needed,
        # since the result does not depend on the shift.
        m = tape.node(OPCODE["shift"], self.fold(OPCODE["max"], entries))
        exps = [tape.node(OPCODE["exp"], tape.node(SUB, x, m)) for x in entries]
        total = self.fold(ADD, exps)
        if name == "logsumexp":
            return tape.node(ADD, m, tape.node(OPCODE["log"], total))
        return Vector(tape.node(DIV, e, total) for e in exps)  # softmax


def _control(name: str) -> Callable[[Builder, list], None]:
    def rule(self: Builder, children: list) -> None:
        raise IsProgram

    rule.__name__ = rule.__qualname__ = name
    return rule


for _rule in ("if_kw", "repeat_kw", "for_kw", "while_kw", "open", "repeat", "for_loop",
              "while_loop", "block", "statements", "function_block", "compare", "and_", "or_",
              "not_", "if_expr"):
    setattr(Builder, _rule, _control(_rule))
