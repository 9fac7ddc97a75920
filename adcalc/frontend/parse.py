"""Text to tape: the Lark LALR parser builds tape nodes as it reduces (no parse tree).

The grammar lives in ``grammars/adcalc.lark``.  Lark's LALR parser keeps its own
explicit stack, and the callbacks below append tape nodes, so nothing recurses and a
100,000-deep nesting parses like a flat sum.  Lark makes the parse tables from the
grammar at build time; they ship in the package (``parse_tables.json``) and are run by
the lean driver in ``adcalc.frontend.lalr``, so a usual run never imports Lark (it comes
back to explain a syntax error).
"""

from __future__ import annotations

import json
import os
import re
import threading
import zlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from adcalc.engine.tape import Tape
from adcalc.errors import InputError, ParseError, param
from adcalc.frontend.build import FUNCTIONS, Builder, IsProgram, Vector
from adcalc.frontend.lalr import FORMAT, FastParser, GiveUp, tables_from_lark

if TYPE_CHECKING:  # imported when a text has control flow: straight-line start-up stays lean
    from adcalc.frontend.program import Program, Recorder


def __getattr__(name: str) -> Any:
    if name == "Program":
        from adcalc.frontend.program import Program

        return Program
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["FUNCTIONS", "Program", "grammar_text", "parse", "parse_program"]

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
    "INDEX": "an indexed name",
    "IF": "if",
    "THEN": "then",
    "_ELSE": "else",
    "REPEAT": "repeat",
    "FOR": "for",
    "_IN": "in",
    "WHILE": "while",
    "AND": "and",
    "OR": "or",
    "NOT": "not",
    "CMP": "a comparison (< <= > >= == !=)",
    "_DOTS": "'..'",
    "LBRACE": "'{'",
    "_RBRACE": "'}'",
    "$END": "the end of the expression",
}
_OPERATORS = {"_PLUS", "_MINUS", "_STAR", "_SLASH", "_POW"}
_OPERANDS = {"NUMBER", "NAME", "_LPAR", "_LBRA"}
_CONTINUES = {"_PLUS", "_MINUS", "_STAR", "_SLASH", "_POW", "_COMMA", "_ASSIGN", "_SEMI",
              "_LPAR", "_LBRA", "_NL", None, "INDEX", "IF", "THEN", "_ELSE", "REPEAT", "FOR",
              "_IN", "WHILE", "AND", "OR", "NOT", "CMP", "_DOTS", "LBRACE"}
"""After these a new line continues the program rather than ending a statement."""


_LEADS_ON = {"_PLUS", "_MINUS", "_STAR", "_SLASH", "_POW", "_RPAR", "_RBRA", "_COMMA",
             "_ASSIGN", "_SEMI", "$END", "THEN", "_ELSE", "AND", "OR", "CMP", "_DOTS", "_IN",
             "LBRACE"}
"""A line that starts with these continues the line before it; but a sign in the first
column (``-a`` after ``a = x``) starts a new statement (``_SIGNS``), an indented one
continues (``  + sin(b)``)."""

_SIGNS = {"_PLUS", "_MINUS"}


class _Newlines:
    """Postlexer: a new line separates statements only outside brackets, after a
    complete operand and before a new one, so an expression may wrap over lines."""

    always_accept = ("_NL",)

    def __init__(self) -> None:
        self.breaks: list[int] = []
        """Where the last parse began a statement at a sign in the first column."""

    def process(self, stream):
        self.breaks = []
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
                if kind not in _LEADS_ON or (kind in _SIGNS and token.column == 1):
                    if kind in _LEADS_ON:
                        self.breaks.append(token.start_pos)
                    yield pending
                pending = None
            if kind in ("_LPAR", "_LBRA", "INDEX"):
                depth += 1
            elif kind in ("_RPAR", "_RBRA"):
                depth -= 1
            previous = kind
            yield token


def grammar_text() -> str:
    """The grammar: inside the installed package, or at the top of the source tree."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # adcalc/
    packaged = os.path.join(package, "grammars", "adcalc.lark")
    if not os.path.isfile(packaged):
        packaged = os.path.join(os.path.dirname(package), "grammars", "adcalc.lark")
    with open(packaged, encoding="utf-8") as f:
        return f.read()


_lock = threading.Lock()
_state: dict[str, Any] = {}

TABLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "parse_tables.json")
"""The LALR tables Lark makes from the grammar, generated at build time
(``python scripts/make_tables.py``) and shipped read-only in the package."""


def _key(grammar: str) -> str:
    """The tables depend on the grammar and the file layout (not on which Lark made them:
    an LALR table for this grammar is valid whatever version computed it)."""
    return f"{zlib.crc32(grammar.encode()):08x}-{FORMAT}"


def _builder() -> Builder:
    if "builder" not in _state:
        _state["builder"] = Builder()
    return _state["builder"]


def _recorder() -> Recorder:
    from adcalc.frontend.program import Recorder

    if "recorder" not in _state:
        _state["recorder"] = Recorder()
    return _state["recorder"]


def _lark(program: bool = False) -> Any:
    """Lark itself, built on demand: to explain syntax errors (and to make the tables);
    ``program``: with the callbacks that record a program with control flow."""
    key = "lark program" if program else "lark"
    if key not in _state:
        from lark import Lark

        _state["newlines " + key] = _Newlines()
        _state[key] = Lark(grammar_text(), parser="lalr", lexer="basic",
                           transformer=_recorder() if program else _builder(),
                           postlex=_state["newlines " + key])
    return _state[key]


def make_tables() -> dict | None:
    """The tables, made by Lark from the grammar as it is now."""
    return tables_from_lark(_lark(), _key(grammar_text()))


def shipped_tables() -> dict | None:
    """The tables shipped in the package, if they were made from this very grammar.

    There is no cache to trust or clean up: the file is part of the package, and a test
    proves it is what Lark makes from ``grammars/adcalc.lark``.  Should a grammar edit
    leave it stale, the key differs and the tables are made in memory instead.
    """
    try:
        with open(TABLES, encoding="utf-8") as f:
            tables = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(tables, dict) or tables.get("key") != _key(grammar_text()):
        return None
    return tables


def _fast(program: bool = False) -> FastParser | None:
    """The lean driver over the shipped tables (made with Lark if they are stale);
    ``program``: recording a program with control flow."""
    key = "fast program" if program else "fast"
    if key not in _state:
        tables = shipped_tables() or make_tables()
        _state[key] = None if tables is None else FastParser(
            tables, _recorder() if program else _builder(), _CONTINUES, _LEADS_ON, _SIGNS)
    return _state[key]


def write_tables(path: str = TABLES) -> None:
    """Regenerate the shipped tables from the grammar (run after editing the grammar)."""
    tables = make_tables()
    if tables is None:
        raise SystemExit("the grammar's reductions do not fit the lean driver")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(tables, f, indent=0, sort_keys=True)
        f.write("\n")


_PASTED = str.maketrans({"\u2212": "-", "\u2013": "-", "\u00d7": "*", "\u00b7": "*",
                        "\u22c5": "*", "\u2219": "*", "\u2217": "*", "\u00f7": "/",
                        "\u2264": "<=", "\u2265": ">=", "\u2260": "!="})
_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_POWER = re.compile("[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+")
_HINTS = {"√": "write sqrt(x) for √x", "∑": "write sum([a, b, …])", "∏": "write prod([a, b, …])",
          "∞": "write a large number, or use a limit by hand"}


_ENDS_OPERAND = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789."
                          ")]⁰¹²³⁴⁵⁶⁷⁸⁹")
"""A character an operand may end with: a pasted π right after it is a factor (``2πr``)."""
_STARTS_OPERAND = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789."
                            "([π")
"""A character an operand may start with: right after a pasted π it is a factor (``πr``)."""


def _pi(text: str) -> str:
    """Each pasted ``π`` as ``pi``, a factor of what it is written against, as on paper:
    ``πr^2`` is ``pi*r^2``, ``2πr`` is ``2*pi*r``, ``xπ`` is ``x*pi`` (never a name
    ``pir`` or ``xpi``; an ASCII ``pix`` or ``spin`` is a name, as typed).  Written against
    ``_`` it is a letter of a name, as on paper: ``x_π`` is the name ``x_pi``."""
    parts = text.split("π")
    out = [parts[0]]
    for k in range(1, len(parts)):
        before, after = out[-1][-1:], parts[k][:1] or ("π" if k + 1 < len(parts) else "")
        if "_" in (before, after):
            out.append("pi")
        else:
            out.append(("*" if before and before in _ENDS_OPERAND else "") + "pi"
                       + ("*" if after and after in _STARTS_OPERAND else ""))
        out.append(parts[k])
    return "".join(out)


def normalize(text: str) -> str:
    """Text pasted from a paper, read as the obvious ASCII: − × · ÷ π and superscript
    powers (``2−x``, ``2×x``, ``x·y``, ``π``, ``x²``, ``x⁻¹``); a π written against a
    factor multiplies it (``2πr``)."""
    if text.isascii():
        return text
    text = text.translate(_PASTED)
    if "π" in text:
        text = _pi(text)
    return _POWER.sub(lambda m: "^" + m.group().translate(_SUPERSCRIPT), text)


def parse(text: str, *, fast: bool = True, exact: bool = False,
          at: Mapping[str, float] | None = None, max_steps: int | None = None) -> Tape:
    """Parse ``text`` into a tape whose outputs are the result (one, or a vector's).

    ``fast=False`` runs Lark's own parser loop instead of the lean driver (for tests).
    ``exact=True``: a symbolic tape whose literals are exact (``adcalc.exact``): for the
    formulas of ``diff``, never for values.  A program with control flow (a branch, a
    loop) is traced at the point ``at`` (``Program.trace``, ``max_steps`` bounding each
    ``while``); without a point it is an error that says so.
    """
    parsed = parse_program(text, fast=fast, exact=exact)
    if isinstance(parsed, Tape):
        return parsed
    if at is None:
        raise needs_point(parsed)
    return parsed.trace(at, max_steps=max_steps)


def needs_point(program: Program, what: str = "") -> InputError:
    """The message for a program with control flow where no point is given."""
    return InputError(
        f"{what or 'this'} program has branches or loops: it is differentiated at a point, "
        f"along the path it takes there (give {param('point')}); diff without a point gives "
        "its derivative for all points, piece by piece")


def parse_program(text: str, *, fast: bool = True, exact: bool = False) -> Tape | Program:
    """The tape of a straight-line program, as it is read; a ``Program`` (to trace at a
    point) if the text has control flow, or the one a ``Source`` carries (a Python
    function's, ``adcalc.frontend.function_program``)."""
    program = getattr(text, "program", None)
    if program is not None:
        return program
    text = normalize(text)
    with _lock:
        builder = _builder()
        builder.reset(text, exact)
        driver = _fast() if fast else None
        try:
            try:
                out = driver.parse(text) if driver is not None else None
            except GiveUp:  # a syntax error: Lark parses again and says what is wrong
                builder.reset(text, exact)
                out = None
            if out is None:
                out = _lark_parse(text)
                breaks = _state["newlines lark"].breaks
            else:
                breaks = driver.breaks  # type: ignore[union-attr]
        except IsProgram:
            builder.reset("")
            return _program(text, fast, exact)
        tape = builder.tape
        tape.warnings.extend(_unused(text, builder.unused(), builder.defined, breaks))
        builder.reset("")
    tape.outputs.extend(out if isinstance(out, Vector) else [out])
    return tape.pruned()


def _program(text: str, fast: bool, exact: bool) -> Program:
    """``text``, which has control flow, read as a ``Program`` (the lock is held)."""
    recorder = _recorder()
    recorder.reset(text)
    driver = _fast(program=True) if fast else None
    tree = None
    try:
        if driver is not None:
            tree = driver.parse(text)
            breaks = driver.breaks
    except GiveUp:
        recorder.reset(text)
    if tree is None:
        tree = _lark_parse(text, program=True)
        breaks = _state["newlines lark program"].breaks
    mentioned = recorder.mentioned
    recorder.reset("")
    from adcalc.frontend.program import Program

    return Program(text, tree, mentioned, list(breaks), exact)


_SHOWN = 10
"""Warnings of definitions never used shown one by one; the rest are counted."""


def _unused(text: str, unused: list[tuple[str, int, str]],
            defined: list[tuple[str, int, str]], breaks: list[int]) -> list[str]:
    """A warning for each definition the program never reads; when the statement after
    it began at a sign in the first column (``f = x^2`` then ``- 2*x``), how to continue."""
    import bisect

    out = []
    starts = [at for _, at, _ in defined]  # in text order, as the parser met them
    for name, at, kind in unused[:_SHOWN]:
        k = bisect.bisect_right(starts, at)
        stop = starts[k] if k < len(starts) else len(text)
        line = (f"warning: the function {name} is defined at {place(text, at)} but never "
                f"called" if kind == "function" else
                f"warning: {name} is defined at {place(text, at)} but never used")
        j = bisect.bisect_right(breaks, at)
        sign = breaks[j] if j < len(breaks) and breaks[j] < stop else None
        out.append(line if sign is None else f"{line}: {_sign_hint(text, sign)}")
    if len(unused) > _SHOWN:
        more = len(unused) - _SHOWN
        out.append(f"warning: and {more:,} more definition{'s' if more != 1 else ''} never "
                   "used")
    return out


def _sign_hint(text: str, at: int) -> str:
    """Why the statement at ``at`` (a sign in the first column) stands alone, and the fix."""
    line = text.count("\n", 0, at) + 1
    return (f"line {line} starts with {text[at]!r} in the first column, which begins a new "
            f"statement; to continue the line before, indent line {line} or end the line "
            f"before with the operator")


def _lark_parse(text: str, program: bool = False) -> Any:
    """Lark's own parse, with its exceptions turned into our messages."""
    from lark.exceptions import UnexpectedCharacters, UnexpectedToken

    lark = _lark(program)
    newlines = _state["newlines lark program" if program else "newlines lark"]
    try:
        return lark.parse(text)
    except UnexpectedCharacters as e:
        char = text[e.pos_in_stream]
        hint = _HINTS.get(char, "expressions are made of numbers, names, + - * / ^ **, "
                                "parentheses and commas")
        raise ParseError(
            f"syntax error at {place(text, e.pos_in_stream)}: unexpected character "
            f"{char!r}; {hint}",
            text, e.pos_in_stream,
        ) from None
    except UnexpectedToken as e:
        pos = e.token.start_pos if e.token.type != "$END" else len(text)
        sign = max((b for b in newlines.breaks if b <= pos), default=None)
        hint = ""
        if sign is not None and (sign == pos or text.count("\n", sign, pos) <= 1):
            hint = f" ({_sign_hint(text, sign)})"
        raise _syntax_error(text, e.token, set(e.expected), hint) from None


def _open_bracket(text: str, pos: int) -> str | None:
    """The innermost bracket, ``(`` or ``[``, still open at offset ``pos`` (comments and
    the index of a name such as ``w[1]`` are skipped: they open nothing)."""
    stack: list[str] = []
    k = 0
    while k < pos:
        c = text[k]
        if c == "#":
            k = text.find("\n", k)
            if k < 0:
                break
        elif c in "([{":
            m = _INDEX.match(text, k) if c == "[" and k and _NAME_END.match(text[k - 1]) else None
            if m is not None:
                k = m.end()
                continue
            stack.append(c)
        elif c in ")]}" and stack:
            stack.pop()
        k += 1
    return stack[-1] if stack else None


_INDEX = re.compile(r"\[[0-9]+\]")
_NAME_END = re.compile(r"[A-Za-z0-9_]")
_CLOSE = {"(": ("_RPAR", "')' to close a parenthesis"), "[": ("_RBRA", "']' to close a bracket"),
          "{": ("_RBRACE", "'}' to close a block")}


def _syntax_error(text: str, tok: Any, expected: set[str], hint: str = "") -> ParseError:
    """The message for an unexpected token, with what would have fitted there (``hint``
    is added to it)."""
    if tok.type == "$END":
        pos = len(text.rstrip())
        what = "the expression ended too early"
        bracket = _open_bracket(text, len(text))
        if bracket is None and "_SEMI" in expected:
            return ParseError(
                f"syntax error at {place(text, pos)}: {what}; a program ends with the "
                f"expression to compute, as in a = x + 1; a^2{hint}", text, pos)
        if bracket == "{":
            return ParseError(
                f"syntax error at {place(text, pos)}: {what}, inside a block; a block's "
                f"statements are bindings and loops; expected {_CLOSE[bracket][1]}{hint}",
                text, pos)
        if bracket is not None and {"_RPAR", "_RBRA", "_RBRACE"} & expected:
            return ParseError(
                f"syntax error at {place(text, pos)}: {what}; expected {_CLOSE[bracket][1]}"
                f"{hint}", text, pos)
        return ParseError(
            f"syntax error at {place(text, pos)}: {what}; {_expected(expected)}{hint}", text,
            pos)
    condition = _condition_error(text, tok, expected)
    if condition is not None:
        return condition
    if tok.type == "_RBRACE" and _open_bracket(text, tok.start_pos) is None:
        return ParseError(f"syntax error at {place(text, tok.start_pos)}: unexpected '}}': no "
                          "block is open here (is a '{' missing?)", text, tok.start_pos)
    # LALR merges states: prune what cannot close or follow here
    expected = _prune_control(text, tok.start_pos, expected)
    bracket = _open_bracket(text, tok.start_pos)
    if bracket is None:
        expected = expected - {"_RPAR", "_RBRA", "_COMMA", "_RBRACE"}
    else:
        expected = expected - {"$END", "_SEMI", "_NL", "_RPAR", "_RBRA", "_RBRACE"} | {
            _CLOSE[bracket][0]}
        if bracket == "{":
            expected |= {"_SEMI", "_NL"}
    kind = {"NAME": "name ", "NUMBER": "number "}.get(tok.type, "")
    message = f"syntax error at {place(text, tok.start_pos)}: unexpected {kind}{str(tok)!r}; "
    message += _expected(expected)
    if tok.type in ("NAME", "NUMBER", "_LPAR") and _OPERATORS & expected and "\n" not in str(tok):
        message += " (a product needs '*': write 2*x, not 2x)"
    if tok.type == "IF":  # an operand of an operator: the conditional's extent is unclear
        message += " (a conditional inside an operation goes in parentheses: 2 + (if c then " \
                   "a else b))"
    return ParseError(message + hint, text, tok.start_pos)


_KEYWORD = re.compile(r"\b(if|while)\b")
_CONTROL_WORD = re.compile(r"#[^\n]*|\b(if|then|else|while|for|repeat|in)\b|[{};]|\.\.")


def _prune_control(text: str, pos: int, expected: set[str]) -> set[str]:
    """``expected`` without the tokens of a construct that is not open at ``pos`` (LALR
    merges states, so ``..`` or ``then`` are offered where no ``for`` or ``if`` is)."""
    words = [m.group() for m in _CONTROL_WORD.finditer(text, 0, pos) if m.group()[0] != "#"]
    last = words[-1] if words else ""
    if last not in ("if", "while"):
        expected = expected - {"CMP", "AND", "OR", "THEN"}
    if words.count("then") <= words.count("else"):
        expected = expected - {"_ELSE"}
    if last != "in":
        expected = expected - {"_DOTS"}
    before = text[:pos].rstrip()
    if last not in ("repeat", "while", "..") and not before.endswith("="):
        expected = expected - {"LBRACE"}
    return expected


def _condition_error(text: str, tok: Any, expected: set[str]) -> ParseError | None:
    """A condition where a number belongs (``(x > 0)*2``), or a number where a condition
    belongs (``if x then``): the message for either, or ``None``."""
    kind = tok.type
    if kind == "CMP" or (kind in ("AND", "OR", "NOT") and "CMP" not in expected):
        what = "a comparison" if kind == "CMP" else f"'{tok}'"
        return ParseError(
            f"syntax error at {place(text, tok.start_pos)}: {what} makes a condition, and a "
            "condition is not a number: conditions follow only if and while (as a number, "
            "write if x > 0 then 1 else 0)", text, tok.start_pos)
    if kind in ("THEN", "LBRACE") and "CMP" in expected:
        found = [m for m in _KEYWORD.finditer(text, 0, tok.start_pos)]
        if found:
            m = found[-1]
            start = m.end() + len(text[m.end():tok.start_pos]) - len(
                text[m.end():tok.start_pos].lstrip())
            return ParseError(
                f"syntax error at {place(text, start)}: the condition of {m.group(1)} is a "
                "number, not a condition: compare it, as in x > 0, y <= 1 or a != b",
                text, start)
    return None


def place(text: str, pos: int) -> str:
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


