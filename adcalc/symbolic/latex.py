"""LaTeX notation: the print algebra with \\frac, \\sqrt, \\left( \\right) and subscripts."""

from __future__ import annotations

import re

from adcalc.engine.algebra import PrintAlgebra, Rope, Text, format_number
from adcalc.engine.primitives import PREC_ATOM, PREC_MUL, PREC_NEG, PREC_POW, Primitive

GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega",
    "Gamma", "Delta", "Theta", "Lambda", "Xi", "Sigma", "Phi", "Psi", "Omega",
}


def latex_name(name: str) -> str:
    """``x1`` → ``x_{1}``, ``x_1`` → ``x_{1}``, ``w[1]`` → ``w_{1}``, ``theta2`` →
    ``\\theta_{2}``."""
    m = (re.fullmatch(r"([A-Za-z]+?)_?(\d+)", name) or re.fullmatch(r"([A-Za-z]+)_(\w+)", name)
         or re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)\[(\d+(?:,\d+)*)\]", name))
    base, sub = (m.group(1), m.group(2)) if m else (name, "")
    if base in GREEK:
        base = "\\" + base
    elif len(base) > 1:
        escaped = base.replace("_", "\\_")
        base = f"\\mathrm{{{escaped}}}"
    return f"{base}_{{{sub}}}" if sub else base


def latex_names(names: list[str]) -> dict[str, str]:
    """Each name's LaTeX, distinct: where two names would print alike (``x1`` and ``x_1``
    are both x_{1}), the ones written with an underscore keep it, upright."""
    shown: dict[str, list[str]] = {}
    for n in names:
        shown.setdefault(latex_name(n), []).append(n)
    out = {}
    for tex, same in shown.items():
        for n in same:
            if len(same) == 1 or ("_" not in n and "[" not in n):
                out[n] = tex
            elif "[" in n:  # w[1] beside w1: the index keeps its brackets
                base, index = n[:-1].split("[")
                out[n] = f"{latex_name(base)}_{{[{index}]}}"
            else:
                out[n] = "\\mathrm{" + n.replace("_", "\\_") + "}"
    return out


class LatexAlgebra(PrintAlgebra):
    lparen, rparen = r"\left(", r"\right)"
    exponent_in_braces = True
    """An exponent is a group of its own (``2^{x^{2}}``): no parentheses needed."""

    def __init__(self, names: list[str] | None = None) -> None:
        super().__init__(r" \cdot ")
        self.names = latex_names(names or [])

    def number(self, x: float) -> Text:
        name = getattr(x, "name", None)
        if name is not None:  # a named constant
            return ("\\pi" if name == "pi" else name), PREC_ATOM
        text = format_number(x)
        if "/" in text:  # an exact rational
            p, q = text.lstrip("-").split("/")
            frac = f"\\frac{{{p}}}{{{q}}}"
            return ("-" + frac, PREC_NEG) if text.startswith("-") else (frac, PREC_ATOM)
        if "e" in text:  # a product: 1.5e20^x needs parentheses, not a double superscript
            mantissa, exponent = text.split("e")
            text = f"{mantissa} \\cdot 10^{{{int(exponent)}}}"
            return text, PREC_NEG if text.startswith("-") else PREC_MUL
        return text, PREC_NEG if text.startswith("-") else PREC_ATOM

    def name(self, name: str) -> Text:
        return self.names.get(name) or latex_name(name), PREC_ATOM

    def power(self, base: Text, exponent: Text, exponent_literal: float | None = None) -> Text:
        if exponent_literal is not None and exponent_literal == 0.5:
            return (r"\sqrt{", base[0], "}"), PREC_ATOM
        return (self.paren(base, base[1] <= PREC_POW), "^{", exponent[0], "}"), PREC_POW

    def function(self, prim: Primitive, xs: list[Text]) -> Text:
        return self.call(prim.latex or f"\\operatorname{{{prim.name}}}", prim, xs)

    def compose(self, prim: Primitive, xs: list[Text], c: float | None = None) -> Text:
        if prim.name == "div":
            return (r"\frac{", xs[0][0], "}{", xs[1][0], "}"), PREC_ATOM
        if prim.name == "sqrt":
            return (r"\sqrt{", xs[0][0], "}"), PREC_ATOM
        if prim.name == "abs":
            return (r"\left|", xs[0][0], r"\right|"), PREC_ATOM
        if prim.name == "exp":
            return ("e^{", xs[0][0], "}"), PREC_POW
        if prim.name == "mul":
            right = self.paren(xs[1], xs[1][1] < PREC_MUL or xs[1][1] == PREC_NEG)
            if not _first(right).isdigit():
                # juxtaposed as a textbook writes: 2 x, x y^{2}, 2 (x + y); but 2 \cdot 3^{x}
                return (self.paren(xs[0], xs[0][1] < PREC_MUL), " ", right), PREC_MUL
        return super().compose(prim, xs, c)


def _first(rope: Rope) -> str:
    """The first character of the text a rope stands for ('' if none)."""
    while not isinstance(rope, str):
        if not rope:
            return ""
        rope = rope[0]
    return rope[:1]
