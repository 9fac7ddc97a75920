"""NumPy: one file needing only ``numpy``; every function broadcasts over arrays.

The arithmetic is the batch sweep's (``adcalc grad --points``): the primitives' array
functions of the table.  Domain policy: no exceptions; a point where a primal statement
is outside its domain gets NaN in every result (the Python target raises there).
"""

from __future__ import annotations

from typing import ClassVar

from adcalc.symbolic.codegen.python import PythonTarget
from adcalc.symbolic.codegen.target import Layout, wrap

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


class NumpyTarget(PythonTarget):
    lang = "numpy"
    CALLS: ClassVar[dict[str, str]] = {
        **{name: f"np.{f}" for name, f in _NP.items()}, "powc": "np.power",
             "step": "_step", "relu": "_relu", "sigmoid": "_sigmoid", "softplus": "_softplus",
             "dtanh": "_dtanh", "dsigmoid": "_dsigmoid", "dasin": "_dasin",
             "over_sumsq": "_over_sumsq", "pow_dx": "_pow_dx", "xlogy": "_xlogy"}
    HELPERS: ClassVar[dict[str, tuple[str, tuple[str, ...]]]] = _HELPERS
    RESERVED = PythonTarget.RESERVED | {"bad", "shape"}
    IMPORT = "import numpy as np"
    CONSTANTS: ClassVar[dict[str, str]] = {"inf": "np.inf", "-inf": "-np.inf", "nan": "np.nan"}
    AND, OR = " & ", " | "

    def power(self, x: tuple[str, int], c: float) -> tuple[str, int]:
        """As the table's array function: x*x for 2, sqrt for 1/2, else np.power."""
        if c == 2:
            return self.call("np.square", [x[0]])
        if c == 0.5:
            return self.call("np.sqrt", [x[0]])
        return self.call("np.power", [x[0], self.number(c)])

    def compare(self, left: str, op: str, right: str) -> str:
        return f"({left} {op} {right})"

    def fractional(self, x: str) -> str:
        return f"(np.fmod({x}, 1.0) != 0)"

    def depth(self) -> int:
        return 2

    def prologue(self, f: Layout) -> list[str]:
        i1 = self.INDENT
        lines = [f"{i1}{p} = np.asarray({p}, dtype=float)" for p in f.params]
        shapes = wrap([f"{p}.shape" for p in f.params], width=68, indent=i1 * 2)
        lines += [f"{i1}shape = np.broadcast_shapes({shapes})",
                  f'{i1}with np.errstate(all="ignore"):']
        if any(s.guard for s in f.statements):
            lines.append(f"{i1 * 2}bad = np.zeros(shape, dtype=bool)")
        return lines

    def statement(self, s: object) -> list[str]:
        lines = []
        if s.guard:  # type: ignore[attr-defined]
            line = f"bad |= {s.guard}"  # type: ignore[attr-defined]
            note = f"  # outside the domain: {s.domain}"  # type: ignore[attr-defined]
            lines.append(line + note if len(line) + len(note) <= 90 else line)
        comment = f"  # {s.comment}" if s.comment else ""  # type: ignore[attr-defined]
        lines.append(f"{s.name} = {s.text}{comment}")  # type: ignore[attr-defined]
        return lines

    def body(self, f: Layout) -> list[str]:
        lines: list[str] = []
        for s in f.statements:
            lines += self.statement(s)
        bad = ", bad" if any(s.guard for s in f.statements) else ""
        # a statement's own array is returned as it is (NaN written in place); an input,
        # an alias of one, a literal or a second use of a statement gets a new array
        shared = set(f.params) | {s.name for s in f.statements if s.text.isidentifier()}
        seen: set[str] = set()

        def result(v: str) -> str:
            helper = "_result" if v in shared or v in seen or not v.isidentifier() else "_own"
            seen.add(v)
            self.need(helper)
            return f"{helper}({v}, shape{bad})"

        result_of = {"values": [result(v) for v in f.values],
                     "gradient": [result(v) for v in f.gradient],
                     "matrix": [[result(v) for v in row] for row in f.matrix]}
        shaped = Layout(f.name, f.kind, f.params, f.statements, result_of["values"],
                        f.vector, result_of["gradient"], result_of["matrix"])
        return lines + self.returned(shaped)
