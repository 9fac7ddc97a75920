"""The parser's callbacks: each reduction appends tape nodes (no parse tree is built).

A value is a node id (a scalar) or a ``Vector`` of node ids.  Arithmetic and the
one-argument functions apply entry by entry, a scalar broadcasting against a vector;
the reductions (``sum``, ``prod``, ``dot``, ``norm``, ``softmax``, ``logsumexp``, and
``min``/``max``/``hypot`` of many arguments) are written with the primitives, so
every derivative rule still lives in ``adcalc.primitives``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from adcalc.errors import ParseError
from adcalc.primitives import (
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
from adcalc.tape import Tape

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


Value = int | Vector


class Builder:
    """Lark callbacks writing into ``self.tape``; ``reset`` before each parse."""

    def __init__(self) -> None:
        self.reset("")

    def reset(self, text: str, exact: bool = False) -> None:
        self.tape = Tape(symbolic=exact)
        self.exact = exact
        """Literals as typed (``0.1`` is 1/10), constants by name (``adcalc.exact``)."""
        self.text = text
        self.bindings: dict[str, Value] = {}

    # -- programs ---------------------------------------------------------------------
    def start(self, children: list) -> Value:
        return children[-1]

    def binding(self, children: list) -> None:
        token, value = children
        name, at = str(token), token.start_pos
        if name in FUNCTIONS or name in ALIASES or name in REDUCTIONS or name in CONSTANTS:
            kind = "constant" if name in CONSTANTS else "function"
            raise ParseError(f"{name} is a {kind}; a binding needs another name", self.text, at)
        if name in self.bindings:
            raise ParseError(f"{name} is defined twice", self.text, at)
        if name in self.tape.var_node:
            raise ParseError(f"{name} is used before it is defined", self.text, at)
        self.bindings[name] = value
        entries = value if isinstance(value, Vector) else (value,)
        for k, node in enumerate(entries):
            if self.tape.ops[node] >= 0:
                label = f"{name}[{k + 1}]" if isinstance(value, Vector) else name
                self.tape.names.setdefault(node, label)

    # -- operands ---------------------------------------------------------------------
    def number(self, children: list) -> int:
        token = children[0]
        x = float(token)
        if x == float("inf"):
            raise ParseError(f"the number {token} is too large for a double", self.text,
                             token.start_pos)
        if self.exact:
            from fractions import Fraction

            return self.tape.const(Fraction(str(token)))
        return self.tape.const(x)

    def name(self, children: list) -> Value:
        token = children[0]
        name = str(token)
        if name in CONSTANTS:
            if self.exact:
                from adcalc.exact import NAMED

                return self.tape.const(NAMED[name])
            return self.tape.const(CONSTANTS[name])
        if name in FUNCTIONS or name in ALIASES or name in REDUCTIONS:
            raise ParseError(f"{name} is a function: call it as {name}(...)", self.text,
                             token.start_pos)
        bound = self.bindings.get(name)
        return self.tape.input(name) if bound is None else bound

    def definitions(self, children: list) -> None:
        return None  # each binding registered itself

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
            if name in CONSTANTS:
                raise ParseError(f"{name} is a constant, not a function", self.text, at)
            import difflib

            near = difflib.get_close_matches(name, KNOWN, n=1, cutoff=0.5)
            hint = f"; did you mean {near[0]}?" if near else ""
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

    def entries(self, name: str, args: Sequence[Value], at: int) -> list[int]:
        """All numbers in ``args``, vectors spread out: ``sum([a, b], c)`` sums a, b, c."""
        out: list[int] = []
        for x in args:
            out.extend(x if isinstance(x, Vector) else (x,))
        return out

    def fold(self, op: int, entries: Sequence[int]) -> int:
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
