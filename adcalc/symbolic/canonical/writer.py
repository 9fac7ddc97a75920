"""Writing canonical expressions back as a tape for the printers, laid out as a person
writes them: one fraction line, terms by degree with a positive one first, sqrt for
^(1/2), the factors of a product folded from the right."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

from adcalc.engine.exact import PI, E
from adcalc.engine.primitives import OPCODE
from adcalc.engine.tape import Tape
from adcalc.symbolic.canonical.table import (
    ADD,
    FN,
    HALF,
    MINUS_HALF,
    MUL,
    NUM,
    ONE,
    POW,
    RATIONAL,
    SYM,
    ZERO,
)

if TYPE_CHECKING:
    from adcalc.symbolic.canonical.canon import Canon

_EXP, _SQRT = OPCODE["exp"], OPCODE["sqrt"]


class Writer:
    """One tape written from the nodes of one ``Canon`` (each node once, in id order,
    so its parts are on the tape before it)."""

    def __init__(self, canon: Canon, variables: list[str]) -> None:
        self.c = canon
        self.tape = Tape(symbolic=True)
        for name in variables:
            self.tape.input(name)
        self.rank = {name: k for k, name in enumerate(variables)}
        self.done: dict[int, int] = {}

    def write(self, roots: list[int]) -> Tape:
        c = self.c
        self.degrees: dict[int, Fraction] = {}
        nodes = c.nodes
        live = c.reached(roots)
        sums = any(nodes[i][0] == ADD for i in live)
        for i in live:  # (the degrees order a sum's terms: without one, none)
            if sums:
                self.degrees[i] = self._degree(i)
            self.done[i] = self._node(i)
        self.tape.outputs = [self.done[r] for r in roots]
        return self.tape.pruned()

    def _degree(self, i: int) -> Fraction:
        """The polynomial degree of ``i`` in the variables (functions count 0); its
        parts are written first, so this reads ``done``-order memo ``self.degrees``."""
        c = self.c
        node = c.nodes[i]
        kind = node[0]
        if kind == SYM:
            return ONE if node[1] in self.rank else ZERO
        if kind == POW:
            v = c.value(node[2])
            return self.degrees.get(node[1], ZERO) * v if type(v) in RATIONAL else ZERO
        if kind == MUL:
            return sum((self.degrees.get(b, ZERO) * (c.value(e) if type(c.value(e)) in RATIONAL
                                                     else ZERO) for b, e in node[2]), ZERO)
        if kind == ADD:
            return max(self.degrees.get(t, ZERO) for t, _ in node[2])
        return ZERO

    def _factor_key(self, base: int) -> tuple:
        node = self.c.nodes[base]
        if node[0] == SYM:
            return (0 if node[1] in self.rank else -1, self.rank.get(node[1], 0), base)
        return (1, 0, base)

    def _node(self, i: int) -> int:
        c, t = self.c, self.tape
        node = c.nodes[i]
        kind = node[0]
        if kind == NUM:
            return t.const(node[1])
        if kind == SYM:
            return t.const(PI) if node[1] == "pi" else t.input(node[1])
        if kind == FN:
            if node[1] == _EXP and node[2][0] == c.one:
                return t.const(E)
            args = [self.done[a] for a in node[2]]
            return t.node(node[1], args[0], args[1] if len(args) > 1 else -1)
        if kind == POW:
            return self._power(node[1], node[2])
        if kind == MUL:
            return self._product(node[1], node[2])
        return self._sum(node[1], node[2])

    def _power(self, base: int, e: int) -> int:
        c, t = self.c, self.tape
        v = c.value(e)
        b = self.done[base]
        if v is None:
            return t.node(OPCODE["pow"], b, self.done[e])
        if v == HALF:
            return t.node(_SQRT, b)
        if v == MINUS_HALF:
            return t.node(OPCODE["div"], t.const(ONE), t.node(_SQRT, b))
        if v < 0:
            return t.node(OPCODE["div"], t.const(ONE), self._power(base, c.num(-v)))
        return t.node(OPCODE["powc"], b, -1, v)

    def _positive_power(self, base: int, e: int) -> int:
        c = self.c
        v = c.value(e)
        if v is not None and v < 0:
            return self._power(base, c.num(-v))
        return self._power(base, e) if e != c.one else self.done[base]

    def _product(self, k: Any, factors: tuple) -> int:
        c, t = self.c, self.tape
        mul, div = OPCODE["mul"], OPCODE["div"]
        top: list[int] = []
        bottom: list[int] = []
        for base, e in sorted(factors, key=lambda f: self._factor_key(f[0])):
            v = c.value(e)
            (bottom if v is not None and v < 0 else top).append(self._positive_power(base, e))
        negative = k < 0
        k = -k if negative else k
        if type(k) in RATIONAL:
            if k.numerator != 1 or not top:
                top.insert(0, t.const(k.numerator))
            if k.denominator != 1:
                bottom.insert(0, t.const(k.denominator))
        elif k != 1 or not top:
            top.insert(0, t.const(k))
        # folded from the right: x*(s*(1 - s)) prints as x*s*(1 - s), and the partials
        # x*P, w*P and P of a sigmoid share P, which can then be named once
        out = top[-1]
        for x in reversed(top[:-1]):
            out = t.node(mul, x, out)
        if bottom:
            den = bottom[-1]
            for x in reversed(bottom[:-1]):
                den = t.node(mul, x, den)
            out = t.node(div, out, den)
        return t.node(OPCODE["neg"], out) if negative else out

    def _sum(self, const: Any, terms: tuple) -> int:
        t = self.tape
        items = sorted(terms, key=lambda tk: (-self.degrees[tk[0]], self.c.measure(tk[0]),
                                              tk[0]))
        parts = [(k, term) for term, k in items]
        if const != 0:
            parts.append((const, None))
        first = next((n for n, (k, _) in enumerate(parts) if k > 0), 0)
        parts.insert(0, parts.pop(first))
        out = -1
        for k, term in parts:
            magnitude = abs(k)
            if term is None:
                piece = t.const(magnitude)
            elif magnitude == 1:
                piece = self.done[term]
            else:
                piece = self._product_of(magnitude, term)
            if out < 0:
                out = t.node(OPCODE["neg"], piece) if k < 0 else piece
            else:
                out = t.node(OPCODE["sub"] if k < 0 else OPCODE["add"], out, piece)
        return out

    def _product_of(self, k: Any, term: int) -> int:
        k2, factors = self.c.factors(term)
        return self._product(k * k2, tuple(factors.items()))
