"""C99: one file needing only ``<math.h>``; compiles with ``gcc -std=c99 -Wall -Wextra
-Werror``.  Don't compile it with ``-ffast-math``: the compensated sums and the stable
rules rely on IEEE arithmetic as written.

Domain policy: no errors; a point where a primal statement is outside its domain gets
NaN in every result (the Python target raises there).
"""

from __future__ import annotations

import re
from typing import ClassVar

from adcalc.symbolic.codegen.target import Layout, Target

CHUNK = 2000
"""Statements a function body holds before it is split into ``static`` parts: gcc's time
and memory on one straight-line body grow faster than its length (``-O2`` runs out of
memory on 10^5 statements), on parts of this size they grow linearly."""

_WORD = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")

_HELPERS = {
    "adc_sign": ('''static double adc_sign(double a)
{
    return a == 0 ? 0.0 : copysign(1.0, a);
}
''', ()),
    "adc_step": ('''static double adc_step(double a)
{
    return a > 0 ? 1.0 : 0.0;
}
''', ()),
    "adc_relu": ('''static double adc_relu(double a)
{
    return a > 0 ? a : 0.0;
}
''', ()),
    "adc_min": ('''static double adc_min(double a, double b)
{
    return b < a ? b : a;
}
''', ()),
    "adc_max": ('''static double adc_max(double a, double b)
{
    return b > a ? b : a;
}
''', ()),
    "adc_sigmoid": ('''static double adc_sigmoid(double a)
{
    if (a >= 0) {
        return 1.0 / (1.0 + exp(-a));
    }
    double z = exp(a);
    return z / (1.0 + z);
}
''', ()),
    "adc_softplus": ('''static double adc_softplus(double a)
{
    return (0.0 > a ? 0.0 : a) + log1p(exp(-fabs(a)));
}
''', ()),
    "adc_dtanh": ('''/* tanh'(a) = sech(a)^2 = 4 sigmoid(2a) sigmoid(-2a) */
static double adc_dtanh(double a)
{
    return 4.0 * adc_sigmoid(2.0 * a) * adc_sigmoid(-2.0 * a);
}
''', ("adc_sigmoid",)),
    "adc_dsigmoid": ('''/* sigmoid'(a) = sigmoid(a) sigmoid(-a): no cancellation */
static double adc_dsigmoid(double a)
{
    return adc_sigmoid(a) * adc_sigmoid(-a);
}
''', ("adc_sigmoid",)),
    "adc_dasin": ('''/* asin'(a) = 1/sqrt((1 - a)(1 + a)): no cancellation near 1 */
static double adc_dasin(double a)
{
    return 1.0 / sqrt((1.0 - a) * (1.0 + a));
}
''', ()),
    "adc_over_sumsq": ('''/* u/(u^2 + v^2), scaled like hypot where the squares overflow */
static double adc_over_sumsq(double u, double v)
{
    double s = u * u + v * v;
    if (s > 1e-290 && s < 1e300) {
        return u / s;
    }
    double h = hypot(u, v);
    return u / h / h;
}
''', ()),
    "adc_pow_dx": ('''/* y*x^(y - 1) as y*(x^y/x) where x^y is a normal double */
static double adc_pow_dx(double x, double y)
{
    if (y == 0) {
        return 0.0;
    }
    if (x != 0) {
        double out = pow(x, y);
        if (out != 0 && fabs(out) >= 2.2250738585072014e-308 && isfinite(out)) {
            double ratio = out / x;
            return isfinite(ratio) ? y * ratio : (y / x) * out;
        }
    }
    return y * pow(x, y - 1.0);
}
''', ()),
    "adc_xlogy": ('''/* x*log(y), and 0 where x = 0 */
static double adc_xlogy(double x, double y)
{
    return x == 0 ? 0.0 : x * log(y);
}
''', ()),
    "adc_times0": ('''/* d*p, and 0 where d or p is 0 (0 times an infinite partial is 0) */
static double adc_times0(double d, double p)
{
    return d == 0 || p == 0 ? 0.0 : d * p;
}
''', ()),
    "adc_total": ('''/* three or more contributions summed with their rounding errors (TwoSum) */
static double adc_total(int n, const double *t)
{
    double s = t[0], u = t[1];
    double x = s + u, z = x - s;
    double e = (s - (x - z)) + (u - z);
    s = x;
    for (int k = 2; k < n; k++) {
        u = t[k];
        x = s + u;
        z = x - s;
        e = e + ((s - (x - z)) + (u - z));
        s = x;
    }
    double r = s + e;
    return r - r == 0 ? r : s;
}
''', ()),
    "adc_symmetric": ('''/* (a + b)/2, halved first where the sum overflows */
static double adc_symmetric(double a, double b)
{
    double total = a + b;
    return isfinite(total) ? total / 2 : a / 2 + b / 2;
}
''', ()),
}

_LIBM = ("sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "exp", "log",
         "log2", "log10", "sqrt", "atan2", "hypot", "pow")

C_KEYWORDS = [
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
    "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
    "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch",
    "typedef", "union", "unsigned", "void", "volatile", "while", "alignas", "alignof",
    "bool", "false", "true", "nullptr", "static_assert", "thread_local", "typeof",
    "typeof_unqual", "constexpr", "asm", "fortran", "main", "NULL", "errno"
]
MATH_H = [
    "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "cbrt", "ceil", "copysign",
    "cos", "cosh", "erf", "erfc", "exp", "exp2", "expm1", "fabs", "fdim", "floor", "fma",
    "fmax", "fmin", "fmod", "frexp", "hypot", "ilogb", "ldexp", "lgamma", "llrint",
    "llround", "log", "log10", "log1p", "log2", "logb", "lrint", "lround", "modf", "nan",
    "nearbyint", "nextafter", "nexttoward", "pow", "remainder", "remquo", "rint", "round",
    "scalbln", "scalbn", "sin", "sinh", "sqrt", "tan", "tanh", "tgamma", "trunc", "j0",
    "j1", "jn", "y0", "y1", "yn", "gamma", "drem", "finite", "significand", "signgam",
    "isnan", "isinf", "isfinite", "isnormal", "signbit", "fpclassify", "isgreater",
    "isgreaterequal", "isless", "islessequal", "islessgreater", "isunordered", "float_t",
    "double_t", "HUGE_VAL", "HUGE_VALF", "HUGE_VALL", "INFINITY", "NAN", "FP_INFINITE",
    "FP_NAN", "FP_NORMAL", "FP_SUBNORMAL", "FP_ZERO", "FP_FAST_FMA", "FP_ILOGB0",
    "FP_ILOGBNAN", "MATH_ERRNO", "MATH_ERREXCEPT", "math_errhandling", "M_E", "M_PI"
]


class CTarget(Target):
    lang = "c"
    CALLS: ClassVar[dict[str, str]] = {
        **{name: name for name in _LIBM}, "powc": "pow", "abs": "fabs",
             "min": "adc_min", "max": "adc_max", "sign": "adc_sign", "step": "adc_step",
             "relu": "adc_relu", "sigmoid": "adc_sigmoid", "softplus": "adc_softplus",
             "dtanh": "adc_dtanh", "dsigmoid": "adc_dsigmoid", "dasin": "adc_dasin",
             "over_sumsq": "adc_over_sumsq", "pow_dx": "adc_pow_dx", "xlogy": "adc_xlogy"}
    HELPERS: ClassVar[dict[str, tuple[str, tuple[str, ...]]]] = _HELPERS
    TOTAL, SYMMETRIC, TIMES0 = "adc_total", "adc_symmetric", "adc_times0"
    AND, OR = " && ", " || "
    TRUE = "1"
    RESERVED = frozenset({*C_KEYWORDS, *MATH_H, "bad", "k", "w", "grad", "values", "jacobian",
                          "hessian"})
    PREFIX = "adc_"
    CONSTANTS: ClassVar[dict[str, str]] = {"inf": "INFINITY", "-inf": "-INFINITY", "nan": "NAN"}

    LOGIC: ClassVar[dict[str, str]] = {
        "not": "!{0}", "and": "{0} && {1}", "or": "{0} || {1}",
        "select": "{0} ? {1} : {2}", "pick": "{0} ? {1} : 0.0", "pickn": "{0} ? 0.0 : {1}"}

    def number(self, x: float) -> str:
        text = repr(float(x))
        return self.CONSTANTS.get(text, text)

    def open_block(self, cond: str, outcome: bool) -> str:
        return f"    if ({cond}) {{" if outcome else f"    if (!{cond}) {{"

    def close_block(self) -> list[str]:
        return ["    }"]

    def else_block(self) -> str:
        return "    } else {"

    def body(self, statements: list, bad: str = "bad") -> list[str]:
        """The statements, a program's in their blocks: one computed inside a block is
        declared (as 0) before the first."""
        inner = [s.name for s in statements if s.context]
        lines = [f"    double {name} = 0.0;" for name in inner]
        return lines + self.blocks(statements, lambda s: self.statement(
            s, bad, s.name if s.context else None))

    def total(self, terms: list[str]) -> tuple[str, int]:
        self.need(self.TOTAL)
        return f"{self.TOTAL}({len(terms)}, (const double[]){{{', '.join(terms)}}})", 5

    def fractional(self, x: str) -> str:
        return f"fmod({x}, 1.0) != 0"

    # -- the file ------------------------------------------------------------------------
    def module(self, header: list[str], layouts: list[Layout]) -> str:
        parts = ["".join(f"// {line}".rstrip() + "\n" for line in header), "\n",
                 "#include <math.h>\n"]
        bodies = [self.function(f) for f in layouts]  # (collects the helpers)
        for src in self.helpers():
            parts.append("\n" + src)
        for body in bodies:
            parts.append("\n" + body)
        return "".join(parts)

    def signature(self, f: Layout) -> str:
        params = [f"double {p}" for p in f.params]
        if f.vector:
            params.append("double *values")
        if f.kind in ("grad", "hessian"):
            params.append("double *grad")
        if f.kind == "jacobian":
            params.append("double *jacobian")
        if f.kind == "hessian":
            params.append("double *hessian")
        kind = "void" if f.vector else "double"
        return f"{kind} {f.name}({', '.join(params) or 'void'})"

    def function(self, f: Layout) -> str:
        if len(f.statements) > CHUNK:
            return self.chunked(f)
        lines = [f"/* {f.doc} */", self.signature(f), "{"]
        if not f.params:  # no variables: the derivative arrays have no entries to write
            lines += [f"    (void){a};" for a in ("grad", "jacobian", "hessian")
                      if f"double *{a}" in lines[1]]
        guarded = any(s.guard for s in f.statements)
        if guarded:
            lines.append("    int bad = 0;")
        lines += self.body(f.statements)
        return "\n".join(lines + self.stores(f, guarded)) + "\n"

    @staticmethod
    def statement(s: object, bad: str, name: str | None = None) -> list[str]:
        lines = []
        if s.guard:  # type: ignore[attr-defined]
            guard = f"    {bad} |= ({s.guard});"  # type: ignore[attr-defined]
            note = f"  // outside the domain: {s.domain}"  # type: ignore[attr-defined]
            lines.append((guard + note)[:100] if len(s.guard) < 60 else guard)  # type: ignore[attr-defined]
        comment = f"  // {s.comment}" if s.comment else ""  # type: ignore[attr-defined]
        target = name or f"double {s.name}"  # type: ignore[attr-defined]
        lines.append(f"    {target} = {s.text};{comment}")  # type: ignore[attr-defined]
        return lines

    def stores(self, f: Layout, guarded: bool) -> list[str]:
        """The results written out (and NaN everywhere when a statement left its domain),
        the return, and the closing brace."""
        lines: list[str] = []
        stores = []
        if f.vector:
            stores += [("values", k, v) for k, v in enumerate(f.values)]
        if f.kind in ("grad", "hessian"):
            stores += [("grad", k, v) for k, v in enumerate(f.gradient)]
        flat = [x for row in f.matrix for x in row]
        if f.kind in ("jacobian", "hessian"):
            stores += [(f.kind, k, v) for k, v in enumerate(flat)]
        lines += [f"    {array}[{k}] = {v};" for array, k, v in stores]
        if guarded:
            lines.append("    if (bad) {")
            for array in dict.fromkeys(a for a, _, _ in stores):
                count = sum(1 for a, _, _ in stores if a == array)
                lines.append(f"        for (int k = 0; k < {count}; k++) {{")
                lines += [f"            {array}[k] = NAN;", "        }"]
            if not f.vector:
                lines.append("        return NAN;")
            lines.append("    }")
        if not f.vector:
            lines.append(f"    return {f.values[0]};")
        lines.append("}")
        return lines

    def chunked(self, f: Layout) -> str:
        """A long body as ``static int NAME_partK(...)`` functions of at most ``CHUNK``
        statements each, called in order: a value a later part (or the results) reads is
        kept in the work array ``w`` of the function (a part loads what it reads at its top,
        ``double v3 = w[12];``, and stores what later parts read at its end; a slot is
        reused once every part reading it has run); the statements keep their names.
        Each part returns whether one of its statements left its domain."""
        parts = [f.statements[k:k + CHUNK] for k in range(0, len(f.statements), CHUNK)]
        where = {s.name: k for k, part in enumerate(parts) for s in part}
        last = dict.fromkeys(where, -1)  # the last part reading each value (len = results)
        reads: list[list[str]] = []
        for k, part in enumerate(parts):
            words = set()
            for s in part:
                words.update(_WORD.findall(_reads(s)))
            reads.append([w for w in words if w in where])
            for w in reads[-1]:
                if where[w] != k:
                    last[w] = max(last[w], k)
        for text in f.results:
            for w in _WORD.findall(text):
                if w in where:
                    last[w] = len(parts)
        slot: dict[str, int] = {}
        free: list[int] = []
        size = 0
        for k, part in enumerate(parts):
            for s in part:
                if last[s.name] > k:
                    if free:
                        slot[s.name] = free.pop()
                    else:
                        slot[s.name], size = size, size + 1
            free += sorted((slot[s] for s in slot if last[s] == k), reverse=True)

        def ref(m: re.Match) -> str:
            w = m.group(0)
            return f"w[{slot[w]}]" if w in slot else w

        out = []
        calls = []
        for k, part in enumerate(parts):
            used = set()
            for s in part:
                used.update(_WORD.findall(_reads(s)))
            params = [p for p in f.params if p in used]
            name = f"{f.name}_part{k + 1}"
            sig = ", ".join([*(f"double {p}" for p in params), "double *w"])
            lines = [f"/* {f.name}, statements {k * CHUNK + 1}-{k * CHUNK + len(part)} of "
                     f"{len(f.statements)} */", f"static int {name}({sig})", "{",
                     "    int bad = 0;"]
            # the values of earlier parts first, this part's for later ones last: every
            # load comes before every store (gcc's alias walks stay short)
            lines += [f"    double {w} = w[{slot[w]}];" for w in sorted(
                (w for w in reads[k] if where[w] != k), key=lambda w: slot[w])]
            lines += self.body(part)
            lines += [f"    w[{slot[s.name]}] = {s.name};" for s in part if s.name in slot]
            lines += ["    return bad;", "}"]
            out.append("\n".join(lines) + "\n")
            calls.append(f"    bad |= {name}({', '.join([*params, 'w'])});")
        results = [_WORD.sub(ref, x) for x in f.values]
        gradient = [_WORD.sub(ref, x) for x in f.gradient]
        matrix = [[_WORD.sub(ref, x) for x in row] for row in f.matrix]
        shown = Layout(f.name, f.kind, f.params, [], results, f.vector, gradient, matrix)
        lines = [f"/* {f.doc} */", self.signature(f), "{",
                 f"    double w[{max(size, 1)}];  // the values read across parts",
                 "    int bad = 0;", *calls]
        lines += self.stores(shown, True)
        return "\n".join(out) + "\n" + "\n".join(lines) + "\n"


def _reads(s: object) -> str:
    """The text a statement reads: its expression, its guard and its conditions."""
    conds = " ".join(c for c, _ in s.context)  # type: ignore[attr-defined]
    return f"{s.text} {s.guard or ''} {conds}"  # type: ignore[attr-defined]
