"""Text to tape: the Lark LALR parser builds tape nodes as it reduces (no parse tree).

The grammar lives in ``grammars/adcalc.lark``.  Lark's LALR parser keeps its own
explicit stack, and the callbacks below append tape nodes, so nothing recurses and a
100,000-deep nesting parses like a flat sum.  The parse tables are built once per
process, or loaded from the user's own cache folder.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import Any

from adcalc.build import FUNCTIONS, Builder, Vector
from adcalc.errors import ParseError
from adcalc.fastparse import FastParser, GiveUp
from adcalc.tape import Tape

__all__ = ["FUNCTIONS", "grammar_text", "parse"]

_TOKEN_TEXT = {
    "NUMBER": "a number",
    "NAME": "a name",
    "_LPAR": "'('",
    "_RPAR": "')'",
    "_LBRA": "'['",
    "_RBRA": "']'",
    "_NL": "a new line",
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
_OPERANDS = {"NUMBER", "NAME", "_LPAR", "_LBRA"}
_CONTINUES = {"_PLUS", "_MINUS", "_STAR", "_SLASH", "_POW", "_COMMA", "_ASSIGN", "_SEMI",
              "_LPAR", "_LBRA", "_NL", None}
"""After these a new line continues the program rather than ending a statement."""


_LEADS_ON = {"_PLUS", "_MINUS", "_STAR", "_SLASH", "_POW", "_RPAR", "_RBRA", "_COMMA",
             "_ASSIGN", "_SEMI", "$END"}
"""A line that starts with these continues the line before it."""


class _Newlines:
    """Postlexer: a new line separates statements only outside brackets, after a
    complete operand and before a new one, so an expression may wrap over lines."""

    always_accept = ("_NL",)

    def process(self, stream):
        depth = 0
        previous = None
        pending = None
        for token in stream:
            kind = token.type
            if kind == "_NL":
                if depth == 0 and previous not in _CONTINUES:
                    pending = token
                continue
            if pending is not None:
                if kind not in _LEADS_ON:
                    yield pending
                pending = None
            if kind in ("_LPAR", "_LBRA"):
                depth += 1
            elif kind in ("_RPAR", "_RBRA"):
                depth -= 1
            previous = kind
            yield token


def grammar_text() -> str:
    """The grammar: inside the installed package, or at the top of the source tree."""
    here = Path(__file__).resolve().parent
    packaged = here / "grammars" / "adcalc.lark"
    source = packaged if packaged.is_file() else here.parent / "grammars" / "adcalc.lark"
    return source.read_text(encoding="utf-8")


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


def _parser() -> tuple[Any, Builder]:
    """The process's Lark parser and the builder its callbacks write into."""
    if "lark" not in _state:
        from lark import Lark

        grammar = grammar_text()
        builder = Builder()
        cache = _cache_path(grammar)
        _state["lark"] = Lark(
            grammar,
            parser="lalr",
            lexer="basic",
            transformer=builder,
            postlex=_Newlines(),
            cache=str(cache) if cache else False,
        )
        _state["builder"] = builder
        _state["fast"] = FastParser(_state["lark"], _CONTINUES, _LEADS_ON)
        if cache is not None:
            for stale in cache.parent.glob("lalr-*.cache"):
                if stale != cache:
                    stale.unlink(missing_ok=True)
    return _state["lark"], _state["builder"]


def parse(text: str, *, fast: bool = True) -> Tape:
    """Parse ``text`` into a tape whose outputs are the result (one, or a vector's).

    ``fast=False`` runs Lark's own parser loop instead of the lean driver (for tests).
    """
    from lark.exceptions import UnexpectedCharacters, UnexpectedToken

    with _lock:
        lark, builder = _parser()
        builder.reset(text)
        try:
            out = _state["fast"].parse(text) if fast else None
        except GiveUp:  # a syntax error: Lark parses again and says what is wrong
            builder.reset(text)
            out = None
        try:
            if out is None:
                out = lark.parse(text)
        except UnexpectedCharacters as e:
            raise ParseError(
                f"syntax error at {_place(text, e.pos_in_stream)}: unexpected character "
                f"{text[e.pos_in_stream]!r}; expressions are made of numbers, names, "
                "+ - * / ^ **, parentheses and commas",
                text, e.pos_in_stream,
            ) from None
        except UnexpectedToken as e:
            raise _syntax_error(text, e.token, set(e.expected)) from None
        tape = builder.tape
        builder.reset("")
    tape.outputs.extend(out if isinstance(out, Vector) else [out])
    return tape.pruned()


def _syntax_error(text: str, tok: Any, expected: set[str]) -> ParseError:
    """The message for an unexpected token, with what would have fitted there."""
    if tok.type == "$END":
        pos = len(text.rstrip())
        what = "the expression ended too early"
        if "_SEMI" in expected and "_RPAR" not in expected:
            return ParseError(
                f"syntax error at {_place(text, pos)}: {what}; a program ends with the "
                "expression to compute, as in a = x + 1; a^2", text, pos)
        if "_RPAR" in expected:
            return ParseError(
                f"syntax error at {_place(text, pos)}: {what}; expected ')' to close a "
                "parenthesis", text, pos)
        return ParseError(
            f"syntax error at {_place(text, pos)}: {what}; {_expected(expected)}", text, pos)
    before = text[: tok.start_pos]
    if before.count("(") <= before.count(")"):  # LALR merges states: prune the impossible
        expected = expected - {"_RPAR", "_COMMA"}
    else:
        expected = expected - {"$END"}
    kind = {"NAME": "name ", "NUMBER": "number "}.get(tok.type, "")
    message = f"syntax error at {_place(text, tok.start_pos)}: unexpected {kind}{str(tok)!r}; "
    message += _expected(expected)
    if tok.type in ("NAME", "NUMBER", "_LPAR") and _OPERATORS & expected and "\n" not in str(tok):
        message += " (a product needs '*': write 2*x, not 2x)"
    return ParseError(message, text, tok.start_pos)


def _place(text: str, pos: int) -> str:
    """``column C`` (1-based), or ``line L, column C`` in a program of several lines."""
    line_start = text.rfind("\n", 0, pos) + 1
    column = pos - line_start + 1
    if "\n" not in text.strip("\n"):
        return f"column {column}"
    return f"line {text.count(chr(10), 0, pos) + 1}, column {column}"


def _expected(names: set[str]) -> str:
    """A short phrase naming what the parser would have accepted."""
    if not names:
        return "check the expression"
    parts: list[str] = []
    if names >= _OPERANDS:
        parts.append("a number, a name, '(' or '['")
        names = names - _OPERANDS - {"_MINUS", "_PLUS"}
    if names >= _OPERATORS:
        parts.append("an operator (+ - * / ^)")
        names = names - _OPERATORS
    parts += sorted(_TOKEN_TEXT.get(n, n) for n in names)
    if len(parts) == 1:
        return f"expected {parts[0]}"
    return "expected " + ", ".join(parts[:-1]) + " or " + parts[-1]

