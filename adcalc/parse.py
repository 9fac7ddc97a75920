"""Text to tape: the Lark LALR parser builds tape nodes as it reduces (no parse tree).

The grammar lives in ``grammars/adcalc.lark``.  Lark's LALR parser keeps its own
explicit stack, and the callbacks below append tape nodes, so nothing recurses and a
100,000-deep nesting parses like a flat sum.  The parse tables are built once per
process, or loaded from the user's own cache folder.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import threading
from importlib import resources
from pathlib import Path
from typing import Any

from adcalc.errors import ParseError
from adcalc.primitives import (
    CONSTANTS,
    DIV,
    OPCODE,
    POW,
    PRIMITIVES,
    Primitive,
)
from adcalc.tape import Tape

FUNCTIONS: dict[str, Primitive] = {p.name: p for p in PRIMITIVES if p.user}
"""Functions users may call, by name."""

VARIADIC = ("min", "max", "hypot")
"""Binary primitives that take two or more arguments (folded from the left)."""

_TOKEN_TEXT = {
    "NUMBER": "a number",
    "NAME": "a name",
    "_LPAR": "'('",
    "_RPAR": "')'",
    "_COMMA": "','",
    "_SEMI": "';'",
    "_ASSIGN": "'='",
    "_PLUS": "'+'",
    "_MINUS": "'-'",
    "_STAR": "'*'",
    "_SLASH": "'/'",
    "_POW": "'^'",
    "$END": "the end of the expression",
}
_OPERATORS = {"_PLUS", "_MINUS", "_STAR", "_SLASH", "_POW"}
_OPERANDS = {"NUMBER", "NAME", "_LPAR"}


def grammar_text() -> str:
    """The grammar: packaged inside the wheel, or from the source tree."""
    packaged = resources.files("adcalc").joinpath("grammars/adcalc.lark")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    return (Path(__file__).resolve().parent.parent / "grammars" / "adcalc.lark").read_text(
        encoding="utf-8"
    )


class _Builder:
    """Lark callbacks: each reduction appends a node to ``self.tape``."""

    def __init__(self) -> None:
        self.tape = Tape()
        self.text = ""
        self.bindings: dict[str, int] = {}

    def reset(self, text: str) -> None:
        self.tape = Tape()
        self.text = text
        self.bindings = {}

    def start(self, c: list) -> int:
        return c[-1]

    def binding(self, c: list) -> None:
        token, node = c
        name = str(token)
        at = token.start_pos
        if name in FUNCTIONS or name in CONSTANTS:
            kind = "function" if name in FUNCTIONS else "constant"
            raise ParseError(f"{name} is a {kind}; a binding needs another name", self.text, at)
        if name in self.bindings:
            raise ParseError(f"{name} is defined twice", self.text, at)
        if name in self.tape.var_node:
            raise ParseError(f"{name} is used before it is defined", self.text, at)
        self.bindings[name] = node

    def add(self, c: list) -> int:
        return self.tape.node(OPCODE["add"], c[0], c[1])

    def sub(self, c: list) -> int:
        return self.tape.node(OPCODE["sub"], c[0], c[1])

    def mul(self, c: list) -> int:
        return self.tape.node(OPCODE["mul"], c[0], c[1])

    def div(self, c: list) -> int:
        return self.tape.node(DIV, c[0], c[1])

    def neg(self, c: list) -> int:
        return self.tape.node(OPCODE["neg"], c[0])

    def pow(self, c: list) -> int:
        return self.power(c[0], c[1])

    def power(self, base: int, exponent: int) -> int:
        tape = self.tape
        if tape.value_of(base) == CONSTANTS["e"]:
            return tape.node(OPCODE["exp"], exponent)
        return tape.node(POW, base, exponent)

    def number(self, c: list) -> int:
        token = c[0]
        x = float(token)
        if x == float("inf"):
            raise ParseError(f"the number {token} is too large for a double", self.text,
                             token.start_pos)
        return self.tape.const(x)

    def name(self, c: list) -> int:
        token = c[0]
        name = str(token)
        if name in CONSTANTS:
            return self.tape.const(CONSTANTS[name])
        if name in FUNCTIONS:
            raise ParseError(f"{name} is a function: call it as {name}(...)", self.text,
                             token.start_pos)
        bound = self.bindings.get(name)
        return self.tape.input(name) if bound is None else bound

    def args(self, c: list) -> list[int]:
        return c

    def call(self, c: list) -> int:
        token, args = c
        name = str(token)
        at = token.start_pos
        prim = FUNCTIONS.get(name)
        if prim is None:
            if name in CONSTANTS:
                raise ParseError(f"{name} is a constant, not a function", self.text, at)
            near = difflib.get_close_matches(name, list(FUNCTIONS), n=1, cutoff=0.5)
            hint = f"; did you mean {near[0]}?" if near else ""
            raise ParseError(f"unknown function {name!r}{hint}", self.text, at)
        tape = self.tape
        n = len(args)
        if name == "log" and n == 2:
            log = OPCODE["log"]
            return tape.node(DIV, tape.node(log, args[0]), tape.node(log, args[1]))
        if name in VARIADIC and n >= 2:
            acc = args[0]
            for x in args[1:]:
                acc = tape.node(OPCODE[name], acc, x)
            return acc
        if n != prim.arity:
            want = {"log": "1 or 2 arguments"}.get(name) or (
                "at least 2 arguments" if name in VARIADIC
                else f"{prim.arity} argument{'s' if prim.arity > 1 else ''}"
            )
            raise ParseError(f"{name} takes {want}, got {n}", self.text, at)
        if name == "pow":
            return self.power(args[0], args[1])
        return tape.node(OPCODE[name], args[0], args[1] if n > 1 else -1)


_lock = threading.Lock()
_state: dict[str, Any] = {}


def _cache_path(grammar: str) -> Path | None:
    """Where the LALR tables are cached: the user's own cache folder, never /tmp."""
    if os.environ.get("ADCALC_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    import lark

    digest = hashlib.sha256((grammar + lark.__version__).encode()).hexdigest()[:16]
    folder = Path(base) / "adcalc"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    return folder / f"lalr-{digest}.cache"


def _parser() -> tuple[Any, _Builder]:
    """The process's Lark parser and the builder its callbacks write into."""
    if "lark" not in _state:
        from lark import Lark

        grammar = grammar_text()
        builder = _Builder()
        cache = _cache_path(grammar)
        _state["lark"] = Lark(
            grammar,
            parser="lalr",
            lexer="basic",
            transformer=builder,
            cache=str(cache) if cache else False,
        )
        _state["builder"] = builder
    return _state["lark"], _state["builder"]


def parse(text: str) -> Tape:
    """Parse ``text`` into a tape whose single output is the expression."""
    from lark.exceptions import UnexpectedCharacters, UnexpectedToken

    with _lock:
        lark, builder = _parser()
        builder.reset(text)
        try:
            out = lark.parse(text)
        except UnexpectedCharacters as e:
            raise ParseError(
                f"syntax error at column {e.column}: unexpected character "
                f"{text[e.pos_in_stream]!r}; expressions are made of numbers, names, "
                "+ - * / ^ **, parentheses and commas",
                text, e.pos_in_stream,
            ) from None
        except UnexpectedToken as e:
            raise _syntax_error(text, e.token, set(e.expected)) from None
        tape = builder.tape
        builder.reset("")
    tape.outputs.append(out)
    return tape.pruned()


def _syntax_error(text: str, tok: Any, expected: set[str]) -> ParseError:
    """The message for an unexpected token, with what would have fitted there."""
    if tok.type == "$END":
        pos = len(text.rstrip())
        what = "the expression ended too early"
        if "_SEMI" in expected and "_RPAR" not in expected:
            return ParseError(
                f"syntax error at column {pos + 1}: {what}; a program ends with the "
                "expression to compute, as in a = x + 1; a^2", text, pos)
        if "_RPAR" in expected:
            return ParseError(
                f"syntax error at column {pos + 1}: {what}; expected ')' to close a "
                "parenthesis", text, pos)
        return ParseError(
            f"syntax error at column {pos + 1}: {what}; {_expected(expected)}", text, pos)
    before = text[: tok.start_pos]
    if before.count("(") <= before.count(")"):  # LALR merges states: prune the impossible
        expected = expected - {"_RPAR", "_COMMA"}
    else:
        expected = expected - {"$END"}
    kind = {"NAME": "name ", "NUMBER": "number "}.get(tok.type, "")
    message = f"syntax error at column {tok.column}: unexpected {kind}{str(tok)!r}; "
    message += _expected(expected)
    if tok.type in ("NAME", "NUMBER", "_LPAR") and _OPERATORS & expected:
        message += " (a product needs '*': write 2*x, not 2x)"
    return ParseError(message, text, tok.start_pos)


def _expected(names: set[str]) -> str:
    """A short phrase naming what the parser would have accepted."""
    if not names:
        return "check the expression"
    parts: list[str] = []
    if names >= _OPERANDS:
        parts.append("a number, a name or '('")
        names = names - _OPERANDS - {"_MINUS", "_PLUS"}
    if names >= _OPERATORS:
        parts.append("an operator (+ - * / ^)")
        names = names - _OPERATORS
    parts += sorted(_TOKEN_TEXT.get(n, n) for n in names)
    if len(parts) == 1:
        return f"expected {parts[0]}"
    return "expected " + ", ".join(parts[:-1]) + " or " + parts[-1]

