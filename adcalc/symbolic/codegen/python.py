"""Python: one file needing only ``math``, floats in and out.

Domain policy: a primal statement outside its primitive's domain raises ``ValueError``
naming the subexpression (the check is written before it, as the float sweep would
fail there); a local derivative that does not exist (``sqrt`` at 0) raises
``ValueError`` too, as does a result that is not finite (an overflow).
"""

from __future__ import annotations

import builtins
import keyword
from typing import ClassVar

from adcalc.symbolic.codegen.target import Layout, Target, wrap

_HELPERS = {
    "_sign": ('''def _sign(a):
    return 0.0 if a == 0 else math.copysign(1.0, a)
''', ()),
    "_step": ('''def _step(a):
    return 1.0 if a > 0 else 0.0
''', ()),
    "_relu": ('''def _relu(a):
    return a if a > 0 else 0.0
''', ()),
    "_sigmoid": ('''def _sigmoid(a):
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    z = math.exp(a)
    return z / (1.0 + z)
''', ()),
    "_softplus": ('''def _softplus(a):
    return max(a, 0.0) + math.log1p(math.exp(-abs(a)))
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
    return 1.0 / math.sqrt((1.0 - a) * (1.0 + a))
''', ()),
    "_over_sumsq": ('''def _over_sumsq(u, v):
    """u/(u^2 + v^2), scaled like hypot where the squares overflow or vanish."""
    s = u * u + v * v
    if 1e-290 < s < 1e300:
        return u / s
    h = math.hypot(u, v)
    return u / h / h
''', ()),
    "_pow_dx": ('''def _pow_dx(x, y):
    """y*x^(y - 1) as y*(x^y/x) where x^y is a normal double."""
    if y == 0:
        return 0.0
    if x != 0:
        out = math.pow(x, y)
        if out != 0 and abs(out) >= 2.2250738585072014e-308 and math.isfinite(out):
            ratio = out / x
            return y * ratio if math.isfinite(ratio) else (y / x) * out
    return y * _pow(x, y - 1.0)
''', ("_pow",)),
    "_pow": ('''def _pow(a, b):
    """a^b with IEEE's results where a is 0 and b < 0 (a derivative's infinite partial)."""
    if a == 0 and b < 0:
        return math.copysign(math.inf, a) if b == int(b) and int(b) % 2 else math.inf
    return math.pow(a, b)
''', ()),
    "_xlogy": ('''def _xlogy(x, y):
    """x*log(y), and 0 where x = 0."""
    return 0.0 if x == 0 else x * math.log(y)
''', ()),
    "_div": ('''def _div(a, b):
    """a/b with IEEE's results where b is 0 (a derivative's infinite partial)."""
    if b != 0 or math.isnan(a) or math.isnan(b):
        return a / b if b != 0 else math.nan
    if a == 0:
        return math.nan
    return math.copysign(math.inf, a) * math.copysign(1.0, b)
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
    return r if r - r == 0 else s
''', ()),
    "_symmetric": ('''def _symmetric(a, b):
    """(a + b)/2, halved first where the sum overflows."""
    total = a + b
    return total / 2 if math.isfinite(total) else a / 2 + b / 2
''', ()),
}

_MATH = ("sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "exp", "log",
         "log2", "log10", "sqrt", "atan2", "hypot", "pow")


class PythonTarget(Target):
    lang = "python"
    CALLS: ClassVar[dict[str, str]] = {
        **{name: f"math.{name}" for name in _MATH}, "powc": "math.pow", "abs": "abs",
             "min": "min", "max": "max", "sign": "_sign", "step": "_step", "relu": "_relu",
             "sigmoid": "_sigmoid", "softplus": "_softplus", "dtanh": "_dtanh",
             "dsigmoid": "_dsigmoid", "dasin": "_dasin", "over_sumsq": "_over_sumsq",
             "pow_dx": "_pow_dx", "xlogy": "_xlogy"}
    HELPERS: ClassVar[dict[str, tuple[str, tuple[str, ...]]]] = _HELPERS
    TOTAL, SYMMETRIC = "_total", "_symmetric"
    RESERVED = frozenset({*keyword.kwlist, *keyword.softkwlist, *dir(builtins), "math",
                          "np", "numpy", "l", "O", "I"})
    IMPORT = "import math"
    INDENT = "    "
    CONSTANTS: ClassVar[dict[str, str]] = {"inf": "math.inf", "-inf": "-math.inf",
                                           "nan": "math.nan"}

    def number(self, x: float) -> str:
        text = repr(float(x))
        return self.CONSTANTS.get(text, text)

    def total(self, terms: list[str]) -> tuple[str, int]:
        """``_total(a, b, c)``, its arguments over several lines when long."""
        text, prec = super().total(terms)
        if len(text) <= 64:
            return text, prec
        return f"{self.TOTAL}(\n{' ' * 12}{wrap(terms, width=84, indent=' ' * 12)})", prec

    def expr(self, op: str, xs: list[tuple[str, int]], c: float | None) -> tuple[str, int]:
        """A derivative's quotient by 0, and 0 to a negative power, are IEEE's infinity
        (as the careful sweep), not Python's ``ZeroDivisionError`` or ``ValueError``:
        ``_div``, ``_pow``."""
        if op == "div" and self.deriving and self.lang == "python":
            return self.call("_div", [xs[0][0], xs[1][0]])
        if op in ("pow", "powc") and self.deriving and self.lang == "python":  # 0^-k: inf
            return self.call("_pow", [xs[0][0], xs[1][0] if op == "pow" else self.number(c)])
        return super().expr(op, xs, c)

    def times0(self, d: tuple[str, int], p: tuple[str, int]) -> tuple[str, int]:
        """``(0.0 if d == 0 or p == 0 else d*p)``: ``p`` is not evaluated where ``d`` is 0
        (math raises where IEEE arithmetic gives an infinity)."""
        left = d[0] if d[1] >= 5 else f"({d[0]})"
        right = p[0] if p[1] >= 5 else f"({p[0]})"
        return f"(0.0 if {left} == 0 or {right} == 0 else {left}*{right})", 5

    # -- the file ------------------------------------------------------------------------
    def module(self, header: list[str], layouts: list[Layout]) -> str:
        parts = ["".join(f"# {line}".rstrip() + "\n" for line in header)]
        bodies = [self.function(layout) for layout in layouts]  # (collects the helpers)
        helpers = self.helpers()
        module = self.IMPORT.split()[-1] + "."
        if any(module in src for src in [*helpers, *bodies]):  # (a constant needs none)
            parts += ["\n", self.IMPORT + "\n"]
        for k, src in enumerate(helpers):
            # one blank line between the imports and a constant, two before a def (isort)
            first = k == 0 and not src.startswith(("def ", "class ", "@"))
            parts.append(("\n" if first else "\n\n") + src)
        for body in bodies:
            parts.append("\n\n" + body)
        return "".join(parts)

    def function(self, f: Layout) -> str:
        i1 = self.INDENT
        lines = [f"def {f.name}({wrap(f.params, width=72, indent=i1 * 2)}):", f'{i1}"""{f.doc}"""']
        lines += self.prologue(f)
        body = self.body(f)
        lines += [i1 * self.depth() + line for line in body]
        return "\n".join(lines) + "\n"

    def depth(self) -> int:
        return 1

    def prologue(self, f: Layout) -> list[str]:
        return [f"{self.INDENT}{p} = float({p})" for p in f.params]

    def statement(self, s: object) -> list[str]:
        """A statement and its domain check (a ``ValueError`` naming the subexpression)."""
        lines = []
        if s.guard:  # type: ignore[attr-defined]
            message = f"{s.comment} is undefined at this point: {s.domain} "  # type: ignore[attr-defined]
            at = ", ".join(f"{a} = {{{a}!r}}" for a in s.args if a.isidentifier())  # type: ignore[attr-defined]
            lines += [f"if {s.guard}:", f"{self.INDENT}raise ValueError(",  # type: ignore[attr-defined]
                      *(f"{self.INDENT * 2}{chunk}" for chunk in _string(message)),
                      f'{self.INDENT * 2}f"({at})"',
                      f"{self.INDENT})"]
        comment = f"  # {s.comment}" if s.comment else ""  # type: ignore[attr-defined]
        lines.append(f"{s.name} = {s.text}{comment}")  # type: ignore[attr-defined]
        return lines

    def body(self, f: Layout) -> list[str]:
        i1 = self.INDENT
        lines: list[str] = []
        lines += self.blocks([s for s in f.statements if s.primal], self.statement)
        derivative = self.blocks([s for s in f.statements if not s.primal], self.statement)
        if derivative:
            lines.append("try:")
            lines += [i1 + line for line in derivative]
            lines += ["except (ArithmeticError, ValueError):",
                      f"{i1}raise ValueError(",
                      *(f"{i1 * 2}{chunk}" for chunk in _string(
                          f"{f.name}: not differentiable at this point (a local derivative "
                          "is infinite or undefined)")),
                      f"{i1}) from None"]
        results = f.results
        literal_only = all(_is_number(r) for r in results)
        if not literal_only:
            listed = wrap(results, indent=i1 * 2) + ("," if len(results) == 1 else "")
            lines += [f"if not all(map(math.isfinite, ({listed}))):",
                      f"{i1}raise ValueError(",
                      *(f"{i1 * 2}{chunk}" for chunk in _string(
                          f"{f.name}: a result is not finite at this point (an overflow)")),
                      f"{i1})"]
        lines += self.returned(f)
        return lines

    def returned(self, f: Layout) -> list[str]:
        """``return value, [gradient]`` (over several lines when long)."""
        i1 = self.INDENT
        groups = [f.values] if f.vector else []
        if f.kind in ("grad", "hessian"):
            groups.append(f.gradient)
        parts = [] if f.vector else [f.values[0]]
        parts += [f"[{', '.join(g)}]" for g in groups]
        rows = [f"[{', '.join(row)}]" for row in f.matrix]
        if f.kind in ("jacobian", "hessian"):
            parts.append(f"[{', '.join(rows)}]")
        line = "return " + ", ".join(parts)
        if len(line) + len(i1) * self.depth() <= 96:
            return [line]
        out = ["return ("]
        if not f.vector:
            out.append(f"{i1}{f.values[0]},")
        for g in groups:
            out += [f"{i1}[", f"{i1 * 2}{wrap(g, indent=i1 * (self.depth() + 2))}", f"{i1}],"]
        if f.kind in ("jacobian", "hessian"):
            out.append(f"{i1}[")
            for row in f.matrix:
                out += [f"{i1 * 2}[", f"{i1 * 3}{wrap(row, indent=i1 * (self.depth() + 3))}",
                        f"{i1 * 2}],"]
            out.append(f"{i1}],")
        out.append(")")
        return out


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _string(message: str, width: int = 72) -> list[str]:
    """A message as adjacent string literals of at most ``width`` characters (the text is
    sanitised: no quotes, backslashes or braces)."""
    import textwrap

    chunks = textwrap.wrap(message, width, drop_whitespace=False) or [""]
    return [f'"{c}"' for c in chunks]
