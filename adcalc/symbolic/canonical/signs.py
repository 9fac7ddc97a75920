"""Signs: what a node says about its own sign (``positive``, ``nonnegative``), and the
rules of abs and sign in a product, each an identity wherever the input is defined.

``|u|^(2k) = u^(2k)``; ``(b^(2k))^e = |b|^(2ke)`` and ``(b^f)^e = b^(fe)`` for ``b >= 0``
(a perfect square under a root: ``sqrt(4*x^2/(x^2 + 1)^2)`` is ``2*abs(x)/(x^2 + 1)``);
``|k·u| = |k|·|u|``; and in a product, ``u^a*|u|^b*sign(u)`` is ``sign(u)^p*|u|^m``
with ``m = a + b`` and ``p = (a + 1) mod 2``, written as ``u^m`` where that says it
(``abs(x)*sign(x) = x``, ``x^2*sign(x) = x*abs(x)``, ``x/abs(x) = sign(x)``).

What f's domain says of its inputs counts too (``known``, set from f before anything is
read: ``Reader.domain_signs``): where f has ``log(x)`` every point of its domain has
``x > 0``, and where it has ``sqrt(x)`` or ``x^(1/3)``, ``x >= 0`` (a tape has a value
only where each node the outputs read has one).  A derivative's formula need only hold
where f has a value, so ``abs(x)`` is ``x`` there, ``log(x^2)`` is ``2*log(x)`` and
``sqrt(x*y)`` is ``sqrt(x)*sqrt(y)``: ``log(x, x^2)``'s derivative is 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from adcalc.engine.primitives import OPCODE
from adcalc.symbolic.canonical.table import ADD, FN, MUL, NUM, POW, RATIONAL, SYM, Table

if TYPE_CHECKING:
    from adcalc.symbolic.canonical.algebra import Algebra

_ABS, _SIGN = OPCODE["abs"], OPCODE["sign"]
_POSITIVE_FNS = {OPCODE[n] for n in ("exp", "cosh", "sigmoid", "softplus")}
_DEPTH = 8


class Signs(Table):
    """``positive``, ``nonnegative`` and ``abs_sign`` (the product's rule)."""

    def __init__(self) -> None:
        super().__init__()
        self.known: dict[int, bool] = {}
        """The inputs whose sign f's domain fixes, by id: ``True`` where it says > 0,
        ``False`` where it says >= 0 (``Reader.read``)."""
        self.known_at: list[tuple[int, str]] = []
        """The nodes of f that say so (``log(x)``, ``sqrt(x)``), each with its input, for
        the messages that rest on them (``domain``)."""

    def positive(self, i: int, depth: int = 0) -> bool:
        """Whether ``i`` is > 0 wherever it is defined (a sufficient test)."""
        if depth > _DEPTH:
            return False
        node = self.nodes[i]
        kind = node[0]
        if kind == NUM:
            return type(node[1]) in RATIONAL and node[1] > 0
        if kind == SYM:
            return node[1] == "pi" or self.known.get(i, False)
        if kind == FN:
            return node[1] in _POSITIVE_FNS
        if kind == POW:
            return self.positive(node[1], depth + 1)
        if kind == MUL:
            return type(node[1]) in RATIONAL and node[1] > 0 and all(
                self.positive(b, depth + 1) for b, _ in node[2])
        const = node[1]
        if type(const) not in RATIONAL or const < 0:
            return False
        if any(type(k) not in RATIONAL or k < 0 for _, k in node[2]):
            return False
        if const > 0:
            return all(self.nonnegative(t, depth + 1) for t, _ in node[2])
        return all(self.positive(t, depth + 1) for t, _ in node[2])

    def nonnegative(self, i: int, depth: int = 0) -> bool:
        """Whether ``i`` is >= 0 wherever it is defined (a sufficient test)."""
        node = self.nodes[i]
        kind = node[0]
        if (kind == FN and node[1] == _ABS) or (kind == SYM and i in self.known):
            return True
        if kind == POW and _even(self.value(node[2])):
            return True
        if kind == MUL:
            return type(node[1]) in RATIONAL and node[1] > 0 and all(
                _even(self.value(f)) or self.nonnegative(b, depth + 1) for b, f in node[2])
        return self.positive(i, depth)

    def leads_negative(self, i: int) -> bool:
        """Whether ``i`` is written with a minus in front of its first term: a product
        with a negative coefficient, or a sum whose term of the least id has a negative
        one (``1 - x``; a constant alone is no term).  Of ``u`` and ``-u`` just one does."""
        node = self.nodes[i]
        if node[0] == MUL:
            return type(node[1]) in RATIONAL and node[1] < 0
        if node[0] == ADD:
            k = node[2][0][1]
            return type(k) in RATIONAL and k < 0
        return False

    def nonnegative_factor(self, base: int, e: int) -> bool:
        """Whether ``base^e`` is >= 0 wherever it is defined."""
        return _even(self.value(e)) or self.nonnegative(base) or (
            self.nodes[base][0] == FN and self.nodes[base][1] == _ABS)

    def abs_sign(self, out: dict[int, int]) -> None:
        """The factors ``u^a``, ``abs(u)^b`` and ``sign(u)`` of one product (``out``,
        changed in place) as one of ``u^m``, ``u*abs(u)^(m - 1)``, ``abs(u)^m``,
        ``sign(u)*u^m`` (see the module's note)."""
        nodes = self.nodes
        for base in list(out):
            node = nodes[base]
            if node[0] != FN or node[1] not in (_ABS, _SIGN) or base not in out:
                continue
            u = node[2][0]
            if nodes[u][0] not in (SYM, FN, ADD):  # a base a product may hold as it is
                continue
            if node[1] == _SIGN and u in out and out[base] == self.one and self.nonnegative(u):
                del out[base]  # sign(u)·u^a = u^a for u >= 0 (both 0 at u = 0, a > 0)
                continue
            absolute = self._intern((FN, _ABS, (u,)))
            sign = self._intern((FN, _SIGN, (u,)))
            a = self.value(out[u]) if u in out else 0
            b = self.value(out[absolute]) if absolute in out else 0
            s = self.value(out[sign]) if sign in out else 0
            if not all(type(x) is int for x in (a, b, s)) or s not in (0, 1):
                continue
            if (a != 0) + (b != 0) + (s != 0) < 2 and not (b and b % 2 == 0):
                continue
            for piece in (u, absolute, sign):
                out.pop(piece, None)
            m, p = a + b, (a + s) % 2
            if p == 0 and m % 2 == 0:
                pieces = {u: m}
            elif p == 0:
                pieces = {absolute: m}
            elif m % 2:
                pieces = {u: m}
            elif m >= 1:
                pieces = {u: 1, absolute: m - 1}
            else:
                pieces = {sign: 1, u: m}
            for piece, e in pieces.items():
                if e:
                    out[piece] = self._intern((NUM, e))


def abs_or_sign(c: Algebra, op: int, u: int) -> int | None:
    """``abs(u)`` or ``sign(u)`` (``op``) by the rules of signs, or ``None`` where none
    applies: ``|u| = u`` for ``u >= 0``, ``sign(u) = 1`` for ``u > 0``; ``|k·u| =
    |k|·|u|`` and ``sign(k·u) = sign(k)·sign(u)`` for a number ``k``; ``|-u| = |u|`` and
    ``sign(-u) = -sign(u)``, of ``u`` and ``-u`` the one whose first term is positive
    (``|y - x|`` and ``|x - y|`` are one node, and cancel)."""
    if op == _ABS and c.nonnegative(u):
        return u
    if op == _SIGN and c.positive(u):
        return c.one
    node = c.nodes[u]
    if node[0] == MUL and type(node[1]) in RATIONAL and node[1] not in (1, -1):
        inside = c._product(1 if node[1] > 0 else -1, node[2])
        return c.fn(op, (inside,)) if op == _SIGN else c.mul(c.num(abs(node[1])),
                                                                c.fn(op, (inside,)))
    if c.leads_negative(u):
        inside = c.neg(u)
        return c.fn(op, (inside,)) if op == _ABS else c.neg(c.fn(op, (inside,)))
    return None


def _even(v: object) -> bool:
    return type(v) in RATIONAL and v.denominator == 1 and v % 2 == 0 and v != 0  # type: ignore[union-attr]

