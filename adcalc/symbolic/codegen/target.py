"""What the three targets share: expressions with precedence, literals, the domain guards
and the helpers a file needs.

A target names, for every primitive of the table, the function that computes it
(``CALLS``; a helper of the generated file where the language has none), how its
literals and booleans are written, and the source of its helpers.  ``syntax_for``
raises for a primitive a target cannot write, so a new primitive of the table needs
codegen support before any code is generated (and the tests go over the table).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

from adcalc.engine.decisions import COMPARISONS as COMPARE
from adcalc.engine.primitives import PRIMITIVES

ATOM, UNARY, MUL, ADD = 5, 3, 2, 1
INFIX = {"add": ("+", ADD), "sub": ("-", ADD), "mul": ("*", MUL), "div": ("/", MUL)}
IDENTITY = frozenset({"stop_gradient", "shift"})
LOGIC = frozenset({"not", "and", "or", "select", "pick", "pickn"})
"""Primitives whose value is their argument (their derivative is 0 by definition)."""

# -- domains: where each primitive fails, as a small formula over its arguments a, b ----
# ("or"|"and", x, y), ("cmp", arg, op, literal), ("frac", arg): arg is not an integer


def _cmp(arg: str, op: str, x: float) -> tuple:
    return ("cmp", arg, op, x)


def failure(op: str, c: float | None) -> tuple | None:
    """Where ``op`` (with literal ``c``) is undefined in the float sweep (it raises there):
    a formula over ``a`` and ``b``, or ``None`` when it never is."""
    if op == "div":
        return _cmp("b", "==", 0.0)
    if op in ("log", "log2", "log10"):
        return _cmp("a", "<=", 0.0)
    if op == "sqrt":
        return _cmp("a", "<", 0.0)
    if op in ("asin", "acos"):
        return ("or", _cmp("a", "<", -1.0), _cmp("a", ">", 1.0))
    if op == "dasin":
        return ("or", _cmp("a", "<=", -1.0), _cmp("a", ">=", 1.0))
    if op == "over_sumsq":
        return ("and", _cmp("a", "==", 0.0), _cmp("b", "==", 0.0))
    if op == "xlogy":
        return ("and", _cmp("a", "!=", 0.0), _cmp("b", "<=", 0.0))
    if op == "powc":
        assert c is not None
        if c == int(c):
            return _cmp("a", "==", 0.0) if c < 0 else None
        return _cmp("a", "<", 0.0) if c > 0 else _cmp("a", "<=", 0.0)
    if op == "pow":
        return ("or", ("and", _cmp("a", "<", 0.0), ("frac", "b")),
                ("and", _cmp("a", "==", 0.0), _cmp("b", "<", 0.0)))
    if op == "pow_dx":
        return ("and", _cmp("b", "!=", 0.0),
                ("or", ("and", _cmp("a", "<", 0.0), ("frac", "b")),
                 ("and", _cmp("a", "==", 0.0), _cmp("b", "<", 1.0))))
    return None


def _reduce(f: tuple, values: list) -> tuple | bool:
    """A failure formula with what the literal arguments decide decided: ``True``,
    ``False``, or the formula left to check (``x/2`` needs no check; ``0^x`` checks
    ``x < 0`` only)."""
    kind = f[0]
    if kind in ("cmp", "frac"):
        x = values[0 if f[1] == "a" else 1]
        if type(x) is not float:
            return f
        if kind == "frac":
            return math.isfinite(x) and x != int(x)
        return COMPARE[f[2]](x, f[3])
    left, right = _reduce(f[1], values), _reduce(f[2], values)
    if kind == "and":
        if left is False or right is False:
            return False
        return right if left is True else left if right is True else ("and", left, right)
    if left is True or right is True:
        return True
    return right if left is False else left if right is False else ("or", left, right)


class Target:
    """The syntax of one language; subclasses fill the tables."""

    lang = ""
    CALLS: ClassVar[dict[str, str]] = {}
    """Primitive → the function computing it (``math.sin``, ``_sigmoid``, ``sin``)."""
    HELPERS: ClassVar[dict[str, tuple[str, tuple[str, ...]]]] = {}
    """Helper name → (its source, the helpers it calls)."""
    TOTAL = ""
    SYMMETRIC = ""
    TIMES0 = ""
    TRUE = "True"
    INDENT = "    "
    LOGIC: ClassVar[dict[str, str]] = {
        "not": "not {0}", "and": "{0} and {1}", "or": "{0} or {1}",
        "select": "{1} if {0} else {2}", "pick": "{1} if {0} else 0.0",
        "pickn": "0.0 if {0} else {1}"}
    """A program's conditions and selects (``pick``: a derivative carried out of a branch,
    0 where the branch is not taken)."""
    AND, OR = " and ", " or "
    RESERVED: frozenset[str] = frozenset()
    PREFIX = ""
    """Helpers' names start with it (user names that do are mangled)."""

    def __init__(self) -> None:
        self.needed: set[str] = set()
        self.deriving = False
        """The statement being written is one of a derivative sweep (not the primal)."""

    # -- expressions ----------------------------------------------------------------
    def number(self, x: float) -> str:
        return repr(float(x))

    def literal(self, x: float) -> tuple[str, int]:
        text = self.number(x)
        return text, UNARY if text.startswith("-") else ATOM

    def call(self, function: str, args: list[str]) -> tuple[str, int]:
        if function in self.HELPERS:
            self.need(function)
        return f"{function}({', '.join(args)})", ATOM

    def need(self, helper: str) -> None:
        if helper not in self.needed:
            self.needed.add(helper)
            for dep in self.HELPERS[helper][1]:
                self.need(dep)

    def expr(self, op: str, xs: list[tuple[str, int]], c: float | None) -> tuple[str, int]:
        """The text of ``op`` over printed arguments, and its precedence."""
        if op in INFIX:
            symbol, p = INFIX[op]
            (left, lp), (right, rp) = xs
            # floating point does not associate: a right operand of the same level is
            # bracketed (a*(b*c) is not a*b*c)
            left = f"({left})" if lp < p else left
            right = f"({right})" if rp <= p or rp == UNARY else right
            return f"{left}{symbol}{right}" if p == MUL else f"{left} {symbol} {right}", p
        if op == "neg":
            text, p = xs[0]
            return f"-({text})" if p <= UNARY else f"-{text}", UNARY
        if op in IDENTITY:
            return xs[0]
        if op == "powc":
            return self.power(xs[0], c)  # type: ignore[arg-type]
        if op == "total":
            return self.total([x[0] for x in xs])
        if op == "symmetric":
            return self.call(self.SYMMETRIC, [x[0] for x in xs])
        if op == "times0":
            return self.times0(xs[0], xs[1])
        if op.startswith("cmp"):
            return f"{xs[0][0]} {op[3:]} {xs[1][0]}", 0
        if op in LOGIC:
            return self.LOGIC[op].format(*(x[0] for x in xs)), 0
        return self.call(syntax_for(self, op), [x[0] for x in xs])

    def power(self, x: tuple[str, int], c: float) -> tuple[str, int]:
        return self.call(self.CALLS["powc"], [x[0], self.number(c)])

    def times0(self, d: tuple[str, int], p: tuple[str, int]) -> tuple[str, int]:
        """``d·p``, 0 where ``d`` is 0 (``Code.scale``): a helper of the file."""
        return self.call(self.TIMES0, [d[0], p[0]])

    def total(self, terms: list[str]) -> tuple[str, int]:
        return self.call(self.TOTAL, terms)

    # -- a program's branches: statements in blocks ----------------------------------
    def blocks(self, statements: list[Any], write: Any, depth: int = 0) -> list[str]:
        """The statements, each inside the blocks of its conditions (``if c:``), a block
        opened where a statement needs it and closed where the next one does not."""
        indent = self.INDENT
        lines: list[str] = []
        opened: list[tuple[str, bool]] = []
        elses: list[bool] = []  # the block at each level is an else (none may follow)
        for s in statements:
            path = s.context
            k = 0
            while k < len(opened) and k < len(path) and opened[k] == path[k]:
                k += 1
            while len(opened) > k + 1 or (len(opened) == k + 1 and (elses[k] or not (
                    len(path) > k and path[k] == (opened[k][0], not opened[k][1])))):
                opened.pop()
                elses.pop()
                lines += [indent * (depth + len(opened)) + x for x in self.close_block()]
            if len(opened) == k + 1:  # the other side of the same condition: else
                opened[k] = path[k]
                elses[k] = True
                lines.append(indent * (depth + k) + self.else_block())
            while len(opened) < len(path):
                cond = path[len(opened)]
                lines.append(indent * (depth + len(opened)) + self.open_block(*cond))
                opened.append(cond)
                elses.append(False)
            lines += [indent * len(opened) + x for x in write(s)]
        while opened:
            opened.pop()
            lines += [indent * (depth + len(opened)) + x for x in self.close_block()]
        return lines

    def open_block(self, cond: str, outcome: bool) -> str:
        return f"if {cond}:" if outcome else f"if not {cond}:"

    def close_block(self) -> list[str]:
        return []

    def else_block(self) -> str:
        return "else:"

    def used(self, op: str, c: float | None) -> None:
        """Called for each statement written (helpers are collected by ``call``)."""

    # -- guards -----------------------------------------------------------------------
    def guard(self, op: str, args: list[str], c: float | None,
              values: list | None = None) -> str | None:
        """The condition under which ``op`` fails, over the argument texts; ``None`` when
        it never does, or cannot given the literal arguments (``values``: a float for a
        literal, else anything: ``x/2`` needs no check)."""
        f: tuple | bool | None = failure(op, c)
        if f is not None and values is not None:
            f = _reduce(f, values)  # type: ignore[arg-type]
        if f is None or f is False:
            return None
        if f is True:
            return self.TRUE
        return self.boolean(f, args, top=True)

    def boolean(self, f: tuple, args: list[str], top: bool = False) -> str:
        kind = f[0]
        if kind == "cmp":
            _, arg, op, x = f
            return self.compare(args[0] if arg == "a" else args[1], op, self.number(x))
        if kind == "frac":
            return self.fractional(args[0] if f[1] == "a" else args[1])
        glue = self.AND if kind == "and" else self.OR
        text = self.boolean(f[1], args) + glue + self.boolean(f[2], args)
        return text if top else f"({text})"

    def compare(self, left: str, op: str, right: str) -> str:
        return f"{left} {op} {right}"

    def fractional(self, x: str) -> str:
        return f"{x} % 1.0 != 0"

    # -- the file ------------------------------------------------------------------------
    def helpers(self) -> list[str]:
        """The sources of the helpers used, in the table's order (callees first)."""
        return [src for name, (src, _) in self.HELPERS.items() if name in self.needed]


def syntax_for(target: Target, op: str) -> str:
    """The function a target computes ``op`` with; a clear error for a primitive it lacks."""
    try:
        return target.CALLS[op]
    except KeyError:
        raise NotImplementedError(f"codegen for {target.lang} has no syntax for the primitive "
                                  f"{op}: add it to adcalc/symbolic/codegen/{target.lang}.py"
                                  ) from None


def missing(target: Target) -> list[str]:
    """The primitives of the table a target cannot write (empty when it is complete)."""
    special = {"add", "sub", "mul", "div", "neg", "powc", *IDENTITY}
    return [p.name for p in PRIMITIVES if p.name not in special and p.name not in target.CALLS]


def comment_lines(lines: list[str], mark: str) -> str:
    return "".join(f"{mark} {line}".rstrip() + "\n" for line in lines)


@dataclass
class Layout:
    """One function, ready for its target's layout: statements and the outputs' texts."""

    name: str
    kind: str  # value | grad | jacobian | hessian
    params: list[str]
    statements: list[Any]  # emit.Statement
    values: list[str]
    vector: bool
    """The function has several results (values is a list, even of one)."""
    gradient: list[str] = field(default_factory=list)
    matrix: list[list[str]] = field(default_factory=list)
    doc: str = ""

    @property
    def results(self) -> list[str]:
        """Every number the function returns, in order."""
        return [*self.values, *self.gradient, *(x for row in self.matrix for x in row)]


def wrap(items: list[str], width: int = 88, indent: str = "        ") -> str:
    """``a, b, c`` over as many lines as it takes (each at most about ``width``)."""
    lines: list[str] = []
    line = ""
    for k, item in enumerate(items):
        piece = item + ("," if k < len(items) - 1 else "")
        if line and len(indent) + len(line) + 1 + len(piece) > width:
            lines.append(line)
            line = piece
        else:
            line = f"{line} {piece}" if line else piece
    lines.append(line)
    return ("\n" + indent).join(lines)
