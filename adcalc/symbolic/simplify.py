"""An algebra over a tape that rewrites as it builds, so derivatives read as a person
would write them.

Beyond what ``Tape.node`` does (folding constants, the identities of 0 and 1), it
collects ``a + a`` into ``2*a`` and ``x*x`` into ``x^2``, pulls signs out of products
and quotients, gathers constants, brings products of fractions onto one fraction line,
adds fractions over a shared denominator, and orders the terms of sums and products
canonically (constants first in products and last in sums, then simpler terms first).
Every rewrite is an identity wherever the original is defined; property tests check it.
Literals are combined only where the result is a finite double (``(x^1e200)^1e200``
stays as written rather than becoming ``x^inf``).
"""

from __future__ import annotations

from collections.abc import Sequence

from adcalc.engine.algebra import primitive_methods
from adcalc.engine.exact import finite, is_int
from adcalc.engine.primitives import ADD, CONST, DIV, INPUT, MUL, NEG, POWC, SUB
from adcalc.engine.tape import Tape

Arg = int | float
"""A node id (``int``) or a literal (``float``: rules always write literals as floats)."""


@primitive_methods
class Simplifier:
    """``S.mul(a, b)`` etc.: node ids (or floats) in, a simplified node id out."""

    def __init__(self, tape: Tape) -> None:
        self.tape = tape
        self.height: list[int] = []
        self._rank: dict[int, int] = {}

    # -- the algebra interface (``RuleAlgebra``: a method per primitive calls this) ----
    def apply(self, op: int, args: Sequence[Arg], const: float | None = None) -> int:
        ids = [self._id(x) for x in args]
        return self.node(op, ids[0], ids[1] if len(ids) > 1 else -1, const)

    def _id(self, x: Arg) -> int:
        return x if type(x) is int else self.tape.const(x)

    # -- rewriting --------------------------------------------------------------------
    def node(self, op: int, a: int, b: int = -1, c: float | None = None) -> int:
        if op == ADD:
            return self._add(a, b)
        if op == SUB:
            return self._sub(a, b)
        if op == MUL:
            return self._mul(a, b)
        if op == DIV:
            return self._div(a, b)
        if op == NEG:
            t = self.tape
            if t.ops[a] == SUB:
                return self._sub(t.a1[a], t.a0[a])
        if op == POWC and c is not None and is_int(c):
            return self._powi(a, c)
        return self.tape.node(op, a, b, c)

    def _add(self, a: int, b: int) -> int:
        t = self.tape
        if t.is_const(a) and not t.is_const(b):
            a, b = b, a
        if t.ops[b] == NEG:
            return self._sub(a, t.a0[b])
        if t.ops[a] == NEG:
            return self._sub(b, t.a0[a])
        vb = t.value_of(b)
        if vb is not None and vb < 0:
            return self._sub(a, t.const(-vb))
        ca, xa = self._coefficient(a)
        cb, xb = self._coefficient(b)
        if xa == xb and not t.is_const(xa) and finite(ca + cb):
            return self._mul(t.const(ca + cb), xa)
        if t.ops[a] == DIV and t.ops[b] == DIV and t.a1[a] == t.a1[b]:
            return self._div(self._add(t.a0[a], t.a0[b]), t.a1[a])
        for x, y in ((a, b), (b, a)):  # one level of associativity: x + (p ± q)
            if t.ops[y] in (ADD, SUB):
                p, q = t.a0[y], t.a1[y]
                if self._like(x, p):
                    return self.node(t.ops[y], self._add(x, p), q)
                if t.ops[y] == ADD and self._like(x, q):
                    return self._add(p, self._add(x, q))
        if not t.is_const(b) and self._key(b) < self._key(a):
            a, b = b, a
        return t.node(ADD, a, b)

    def _sub(self, a: int, b: int) -> int:
        t = self.tape
        if a == b:
            return t.const(0.0)
        if t.ops[b] == NEG:
            return self._add(a, t.a0[b])
        vb = t.value_of(b)
        if vb is not None and vb < 0:
            return self._add(a, t.const(-vb))
        if t.ops[a] == NEG:
            return t.node(NEG, self._add(t.a0[a], b))
        ca, xa = self._coefficient(a)
        cb, xb = self._coefficient(b)
        if xa == xb and not t.is_const(xa) and finite(ca - cb):
            return self._mul(t.const(ca - cb), xa)
        if t.ops[a] == DIV and t.ops[b] == DIV and t.a1[a] == t.a1[b]:
            return self._div(self._sub(t.a0[a], t.a0[b]), t.a1[a])
        return t.node(SUB, a, b)

    def _mul(self, a: int, b: int) -> int:
        t = self.tape
        if t.is_const(b) and not t.is_const(a):
            a, b = b, a
        if t.ops[a] == NEG:
            return self._neg(self._mul(t.a0[a], b))
        if t.ops[b] == NEG:
            return self._neg(self._mul(a, t.a0[b]))
        va = t.value_of(a)
        if va is not None and va < 0 and not t.is_const(b):
            return self._neg(self._mul(t.const(-va), b))
        if t.ops[b] == MUL and t.is_const(t.a0[b]):  # a*(c*y) = c*(a*y): literals in front
            c = t.value_of(t.a0[b])
            if va is not None and finite(va * c):  # type: ignore[operator]
                return self._mul(t.const(va * c), t.a1[b])  # type: ignore[operator]
            if va is not None:
                return t.node(MUL, a, b)
            return self._mul(t.a0[b], self._mul(a, t.a1[b]))
        if va is None and t.ops[a] == MUL and t.is_const(t.a0[a]):
            return self._mul(t.a0[a], self._mul(t.a1[a], b))
        if t.ops[b] == DIV:
            return self._div(self._mul(a, t.a0[b]), t.a1[b])
        if t.ops[a] == DIV:
            return self._div(self._mul(t.a0[a], b), t.a1[a])
        for x, y in ((a, b), (b, a)):  # one level of associativity: x * (p * q)
            if t.ops[y] == MUL and not t.is_const(t.a0[y]):
                p, q = t.a0[y], t.a1[y]
                if self._same_base(x, p):
                    return self._mul(self._mul(x, p), q)
                if self._same_base(x, q):
                    return self._mul(p, self._mul(x, q))
        ba, ea = self._power(a)
        bb, eb = self._power(b)
        if ba == bb and not t.is_const(ba) and finite(ea + eb):
            return self._powi(ba, ea + eb) if is_int(ea + eb) else t.node(
                POWC, ba, -1, ea + eb)
        if not t.is_const(a) and self._key(b) < self._key(a):
            a, b = b, a
        return t.node(MUL, a, b)

    def _div(self, a: int, b: int) -> int:
        t = self.tape
        if a == b and not t.is_const(a):
            return t.const(1.0)
        if t.ops[a] == NEG:
            return self._neg(self._div(t.a0[a], b))
        if t.ops[b] == NEG:
            return self._neg(self._div(a, t.a0[b]))
        va = t.value_of(a)
        if va is not None and va < 0 and not t.is_const(b):
            return self._neg(self._div(t.const(-va), b))
        if t.ops[a] == DIV:
            return self._div(t.a0[a], self._mul(t.a1[a], b))
        if t.ops[b] == DIV:
            return self._div(self._mul(a, t.a1[b]), t.a0[b])
        ca, xa = self._coefficient(a)
        base, ea = self._power(xa)
        bb, eb = self._power(b)
        if base == bb and not t.is_const(base) and is_int(ea - eb):
            e = ea - eb  # c*x^m / x^n = c*x^(m-n), written as a quotient when m < n
            if e >= 0:
                return self._mul(t.const(ca), self._powi(base, e))
            return self._div(t.const(ca), self._powi(base, -e))
        return t.node(DIV, a, b)

    def _neg(self, a: int) -> int:
        return self.node(NEG, a)

    def _powi(self, a: int, n: float) -> int:
        """``a^n`` for an integer ``n``: ``(x^k)^n = x^(kn)`` and ``(-x)^n`` by parity."""
        t = self.tape
        if t.ops[a] == NEG:
            inner = self._powi(t.a0[a], n)
            return inner if n % 2 == 0 else self._neg(inner)
        if t.ops[a] == POWC and finite(t.consts[a] * n):  # type: ignore[operator]
            return t.node(POWC, t.a0[a], -1, t.consts[a] * n)  # type: ignore[operator]
        return t.node(POWC, a, -1, n)

    # -- helpers ----------------------------------------------------------------------
    def _coefficient(self, i: int) -> tuple[float, int]:
        """``i`` as ``c * x`` with a literal ``c``."""
        t = self.tape
        if t.ops[i] == MUL and t.is_const(t.a0[i]):
            return t.value_of(t.a0[i]), t.a1[i]  # type: ignore[return-value]
        return 1, i  # type: ignore[return-value]

    def _like(self, x: int, y: int) -> bool:
        """Whether ``x`` and ``y`` are multiples of the same non-literal term."""
        tx, ty = self._coefficient(x)[1], self._coefficient(y)[1]
        return tx == ty and not self.tape.is_const(tx)

    def _same_base(self, x: int, y: int) -> bool:
        """Whether ``x`` and ``y`` are powers of the same non-literal base."""
        bx, by = self._power(x)[0], self._power(y)[0]
        return bx == by and not self.tape.is_const(bx)

    def _power(self, i: int) -> tuple[int, float]:
        """``i`` as ``x ^ k`` with a literal ``k``."""
        t = self.tape
        if t.ops[i] == POWC:
            return t.a0[i], t.consts[i]  # type: ignore[return-value]
        return i, 1  # type: ignore[return-value]

    def _key(self, i: int) -> tuple[int, int, int]:
        """Canonical order: literals, then inputs by name order, then by height, then age."""
        t = self.tape
        op = t.ops[i]
        if op == CONST:
            return (0, 0, i)
        base = t.a0[i] if op == POWC else i  # x^2 sorts with x
        if t.ops[base] == INPUT:
            if base not in self._rank:
                self._rank = {t.var_node[n]: k for k, n in enumerate(t.variables)}
            return (1, self._rank[base], i)
        return (2, self._height(i), i)

    def _height(self, i: int) -> int:
        t, h = self.tape, self.height
        for j in range(len(h), len(t)):
            if t.ops[j] < 0:
                h.append(0)
            else:
                b = t.a1[j]
                h.append(1 + max(h[t.a0[j]], h[b] if b >= 0 else 0))
        return h[i]


def simplified(tape: Tape) -> Tape:
    """The same function rebuilt through the simplifier: the primal walk over the
    ``Symbols`` algebra, whose values are the new tape's nodes."""
    from adcalc.engine.sweeps import Symbols, primal

    out = Tape(symbolic=True)
    inputs = {name: out.input(name) for name in tape.variables}
    remap = primal(tape, inputs, Symbols(out, Simplifier(out)))
    out.outputs = [remap[o] for o in tape.outputs]
    return out.pruned()
