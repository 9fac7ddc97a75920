"""NumPy: one file needing only ``numpy``; every function broadcasts over arrays.

The arithmetic is the batch sweep's (``adcalc grad --points``): the primitives' array
functions of the table.  Domain policy: no exceptions; a point where a primal statement
is outside its domain gets NaN in every result (the Python target raises there).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import ClassVar

from adcalc.symbolic.codegen.python import PythonTarget
from adcalc.symbolic.codegen.target import ATOM, IDENTITY, Layout, wrap

_WORD = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")
_DEDENT = "\x00"
"""Marks the return, written after the loop over the pieces (three levels out)."""
_UFUNC_OF = {"add": "np.add", "sub": "np.subtract", "mul": "np.multiply",
             "div": "np.divide", "neg": "np.negative",
             **dict.fromkeys(IDENTITY, "np.positive")}


def _reads(s: object) -> str:
    conds = " ".join(c for c, _ in s.context)  # type: ignore[attr-defined]
    return f"{s.text} {s.guard or ''} {conds}"  # type: ignore[attr-defined]

_HELPERS = {
    "_step": ('''def _step(a):
    return np.where(a > 0, 1.0, 0.0)
''', ()),
    "_relu": ('''def _relu(a):
    return np.where(a > 0, a, 0.0)
''', ()),
    "_sigmoid": ('''def _sigmoid(a):
    z = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + z), z / (1.0 + z))
''', ()),
    "_softplus": ('''def _softplus(a):
    return np.logaddexp(0.0, a)
''', ()),
    "_dtanh": ('''def _dtanh(a):
    """tanh'(a) = sech(a)^2 = 4 sigmoid(2a) sigmoid(-2a): no cancellation."""
    return 4.0 * _sigmoid(2.0 * a) * _sigmoid(-2.0 * a)
''', ("_sigmoid",)),
    "_dsigmoid": ('''def _dsigmoid(a):
    """sigmoid'(a) = sigmoid(a) sigmoid(-a): no cancellation."""
    return _sigmoid(a) * _sigmoid(-a)
''', ("_sigmoid",)),
    "_dasin": ('''def _dasin(a):
    """asin'(a) = 1/sqrt((1 - a)(1 + a)): no cancellation near 1."""
    return 1.0 / np.sqrt((1.0 - a) * (1.0 + a))
''', ()),
    "_over_sumsq": ('''def _over_sumsq(u, v):
    """u/(u^2 + v^2), scaled like hypot where the squares overflow or vanish."""
    s = u * u + v * v
    h = np.hypot(u, v)
    return np.where((s > 1e-290) & (s < 1e300), u / s, u / h / h)
''', ()),
    "_pow_dx": ('''def _pow_dx(x, y):
    """y*x^(y - 1) as y*(x^y/x) where x^y is a normal double."""
    out = np.power(x, y)
    safe_x = np.where(x == 0, 1.0, x)
    ratio = out / safe_x
    scaled = np.where(np.isfinite(ratio), y * ratio, (y / safe_x) * out)
    normal = (x != 0) & (np.abs(out) >= 2.2250738585072014e-308) & np.isfinite(out)
    return np.where(y == 0, 0.0, np.where(normal, scaled, y * np.power(x, y - 1.0)))
''', ()),
    "_xlogy": ('''def _xlogy(x, y):
    """x*log(y), and 0 where x = 0."""
    return np.where(x == 0, 0.0, x * np.log(y))
''', ()),
    "_times0": ('''def _times0(d, p):
    """d*p, and 0 where d or p is 0 (an infinite partial times a zero derivative is 0)."""
    return np.where((d == 0) | (p == 0), 0.0, d * p)
''', ()),
    "_total": ('''def _total(*terms):
    """The sum of three or more contributions with their rounding errors (TwoSum)."""
    s, t = terms[0], terms[1]
    x = s + t
    z = x - s
    e = (s - (x - z)) + (t - z)
    s = x
    for t in terms[2:]:
        x = s + t
        z = x - s
        e = e + ((s - (x - z)) + (t - z))
        s = x
    r = s + e
    return np.where(r - r == 0, r, s)
''', ()),
    "_symmetric": ('''def _symmetric(a, b):
    """(a + b)/2, halved first where the sum overflows."""
    total = a + b
    return np.where(np.isfinite(total), total / 2, a / 2 + b / 2)
''', ()),
    "_PIECE": ('''_PIECE = 32768
"""Rows computed at a time: a piece's buffers stay in the cache."""
''', ()),
    "_inputs": ('''def _inputs(*xs):
    """The arguments as flat arrays over their broadcast shape, and that shape."""
    xs = [np.asarray(x, dtype=float) for x in xs]
    shape = np.broadcast_shapes(*(x.shape for x in xs))
    flat = [np.broadcast_to(x, shape).reshape(-1) for x in xs]
    return flat, shape, int(np.prod(shape, dtype=np.int64))
''', ()),
    "_result": ('''def _result(v, shape, bad=None):
    """A result over the broadcast shape (a new array), NaN where a statement left its
    domain."""
    out = np.empty(shape)
    out[...] = v
    if bad is not None:
        out[bad] = np.nan
    return out
''', ()),
    "_own": ('''def _own(v, shape, bad=None):
    """A result that is a statement's own array: no copy, NaN written in place where a
    statement left its domain."""
    if not isinstance(v, np.ndarray) or v.shape != shape:
        return _result(v, shape, bad)
    if bad is not None:
        np.copyto(v, np.nan, where=bad)
    return v
''', ("_result",)),
}

_NP = {"sin": "sin", "cos": "cos", "tan": "tan", "asin": "arcsin", "acos": "arccos",
       "atan": "arctan", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "exp": "exp",
       "log": "log", "log2": "log2", "log10": "log10", "sqrt": "sqrt", "atan2": "arctan2",
       "hypot": "hypot", "pow": "power", "abs": "abs", "sign": "sign", "min": "minimum",
       "max": "maximum"}


_UFUNCS = frozenset({*(f"np.{f}" for f in _NP.values()), "np.square", "np.sqrt", "np.power"})


class NumpyTarget(PythonTarget):
    lang = "numpy"
    CALLS: ClassVar[dict[str, str]] = {
        **{name: f"np.{f}" for name, f in _NP.items()}, "powc": "np.power",
             "step": "_step", "relu": "_relu", "sigmoid": "_sigmoid", "softplus": "_softplus",
             "dtanh": "_dtanh", "dsigmoid": "_dsigmoid", "dasin": "_dasin",
             "over_sumsq": "_over_sumsq", "pow_dx": "_pow_dx", "xlogy": "_xlogy"}
    HELPERS: ClassVar[dict[str, tuple[str, tuple[str, ...]]]] = _HELPERS
    RESERVED = PythonTarget.RESERVED | {"bad", "shape", "args", "rows", "results", "w", "b",
                                        "s", "e", "a", "row"}
    TIMES0 = "_times0"

    def times0(self, d: tuple[str, int], p: tuple[str, int]) -> tuple[str, int]:
        return self.call(self.TIMES0, [d[0], p[0]])
    IMPORT = "import numpy as np"
    CONSTANTS: ClassVar[dict[str, str]] = {"inf": "np.inf", "-inf": "-np.inf", "nan": "np.nan"}
    AND, OR = " & ", " | "
    INLINE = 0
    """Every operation its own statement: each writes into a buffer."""

    def power(self, x: tuple[str, int], c: float) -> tuple[str, int]:
        """As the table's array function: x*x for 2, sqrt for 1/2, else np.power."""
        if c == 2:
            return self.call("np.square", [x[0]])
        if c == 0.5:
            return self.call("np.sqrt", [x[0]])
        return self.call("np.power", [x[0], self.number(c)])

    LOGIC: ClassVar[dict[str, str]] = {
        "not": "~{0}", "and": "{0} & {1}", "or": "{0} | {1}",
        "select": "np.where({0}, {1}, {2})", "pick": "np.where({0}, {1}, 0.0)",
        "pickn": "np.where({0}, 0.0, {1})"}

    def blocks(self, statements: list, write: object, depth: int = 0) -> list[str]:
        """No blocks: every statement on every element (errors ignored), a domain guard
        counted only where its conditions hold, a select ``np.where``."""
        lines: list[str] = []
        for s in statements:
            lines += write(s)  # type: ignore[operator]
        return lines

    def compare(self, left: str, op: str, right: str) -> str:
        return f"({left} {op} {right})"

    def fractional(self, x: str) -> str:
        return f"(np.fmod({x}, 1.0) != 0)"

    def depth(self) -> int:
        return 3

    def expr(self, op: str, xs: list[tuple[str, int]], c: float | None) -> tuple[str, int]:
        """A ufunc writing into a buffer (``out=@``, given by ``body``) where there is one
        for the operation; helpers, ``np.where`` and comparisons make their own arrays."""
        if op in _UFUNC_OF:
            args = ", ".join(x[0] for x in xs)
            return f"{_UFUNC_OF[op]}({args}, out=@)", ATOM
        text, prec = super().expr(op, xs, c)
        name = text.partition("(")[0]
        if name in _UFUNCS and text.endswith(")"):
            text = f"{text[:-1]}, out=@)"
        return text, prec

    def prologue(self, f: Layout) -> list[str]:
        i1 = self.INDENT
        args = wrap(f.params, width=60, indent=i1 * 2)
        count = len(f.results)
        return [f"{i1}{'args' if f.params else '_args'}, shape, rows = _inputs({args})",
                f"{i1}results = np.empty(({count}, rows))",
                f"{i1}w = np.empty(({{slots}}, min(rows, _PIECE)))",
                f'{i1}with np.errstate(all="ignore"):',
                f"{i1 * 2}for s in range(0, rows, _PIECE):  # pieces that stay in the cache",
                f"{i1 * 3}e = min(rows, s + _PIECE)",
                f"{i1 * 3}b = [row[:e - s] for row in w]",
                *([f"{i1 * 3}{', '.join(f.params)}{',' if len(f.params) == 1 else ''} = "
                   "(a[s:e] for a in args)"] if f.params else [])]

    def statement(self, s: object) -> list[str]:
        lines = []
        if s.guard:  # type: ignore[attr-defined]
            mask = "".join(f"{c} & " if o else f"~{c} & " for c, o in s.context)  # type: ignore[attr-defined]
            guard = s.guard  # type: ignore[attr-defined]
            guard = f"({guard})" if mask and (" | " in guard or " & " in guard) else guard
            line = f"bad |= {mask}{guard}"
            note = f"  # outside the domain: {s.domain}"  # type: ignore[attr-defined]
            lines.append(line + note if len(line) + len(note) <= 80 else line)
        comment = f"  # {s.comment}" if s.comment else ""  # type: ignore[attr-defined]
        name = f"{s.name} = " if s.name else ""  # type: ignore[attr-defined]
        line = f"{name}{s.text}"  # type: ignore[attr-defined]
        if len(line) + len(comment) > 86:  # the comment shortened to fit (indented 12)
            comment = comment[:max(0, 83 - len(line))].rstrip() + "..." if len(
                line) < 70 else ""
        lines.append(line + comment)
        return lines

    def body(self, f: Layout) -> list[str]:
        """The statements of one piece, each ufunc writing into a buffer free by then
        (a register allocation, as ``adcalc.batch.array_code``: no array is allocated
        for them), then the piece's results stored."""
        statements = f.statements
        results = f.results
        end = len(statements)
        last: dict[str, int] = {}
        for k, st in enumerate(statements):
            for w in _WORD.findall(_reads(st)):
                last[w] = k
        read = set(last)
        for r in results:
            for w in _WORD.findall(r):
                last[w] = end
        direct: dict[str, int] = {}  # a statement that is a result: its row
        for k, r in enumerate(results):
            direct.setdefault(r, k)
        slot_of: dict[str, int] = {}
        free: list[int] = []
        slots = 0
        written = []
        done_text: dict[str, str] = {}
        for k, st in enumerate(statements):
            done = sorted({slot_of.pop(w) for w in _WORD.findall(_reads(st))
                           if w in slot_of and last[w] == k}, reverse=True)
            text = st.text
            if "out=@" in text and st.name in direct:  # a result: written in its row
                text = text.replace("out=@", f"out=results[{direct[st.name]}, s:e]")
            elif "out=@" in text:
                free += done
                done = []
                if free:
                    slot = free.pop()
                else:
                    slot, slots = slots, slots + 1
                slot_of[st.name] = slot
                text = text.replace("out=@", f"out=b[{slot}]")
            free += done
            # a result no statement reads: the call alone (the name would be unused)
            name = "" if "out=results" in text and st.name not in read and results.count(
                st.name) == 1 else st.name
            written.append(replace(st, text=text, name=name))
            done_text[st.name] = text
        self.slots = slots
        guarded = any(st.guard for st in statements)
        lines = ["bad = np.zeros(e - s, dtype=bool)"] if guarded else []
        lines += self.blocks(written, self.statement)
        lines += [f"results[{k}, s:e] = {r}" for k, r in enumerate(results)
                  if not (direct.get(r) == k and "out=results" in done_text.get(r, ""))]
        if guarded:
            lines += ["if bad.any():  # a statement left its domain: NaN in every result",
                      f"{self.INDENT}results[:, s:e][:, bad] = np.nan"]
        n = 0

        def shaped() -> str:
            nonlocal n
            n += 1
            return f"results[{n - 1}].reshape(shape)"

        out = Layout(f.name, f.kind, f.params, statements, [shaped() for _ in f.values],
                     f.vector, [shaped() for _ in f.gradient],
                     [[shaped() for _ in row] for row in f.matrix])
        return lines + [_DEDENT + line for line in self.returned(out)]

    def function(self, f: Layout) -> str:
        self.need("_inputs")
        self.need("_PIECE")
        text = super().function(f)
        if not self.slots:  # no buffers: neither the block nor its views
            i1 = self.INDENT
            text = text.replace(f"{i1}w = np.empty(({{slots}}, min(rows, _PIECE)))\n", "", 1)
            text = text.replace(f"{i1 * 3}b = [row[:e - s] for row in w]\n", "", 1)
        return (text.replace("{slots}", str(self.slots), 1)
                .replace(self.INDENT * self.depth() + _DEDENT, self.INDENT))
