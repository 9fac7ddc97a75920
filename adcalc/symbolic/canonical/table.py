"""The table of canonical expressions: one list of hash-consed nodes, so that equal
pieces are one id, and what can be read off a node without building anything.

A node is a tuple; its first item is its kind:

* ``(NUM, q)``: an exact rational (or a float a Python function computed);
* ``(SYM, name)``: an input, or the constant ``pi`` (``e`` is ``exp(1)``);
* ``(FN, op, args)``: a function of the table of primitives;
* ``(POW, base, exponent)``;
* ``(MUL, coefficient, ((base, exponent), …))``: n-ary, like factors collected;
* ``(ADD, constant, ((term, coefficient), …))``: n-ary, like terms collected.

Ids are positions in ``Table.nodes``; a node's parts are always made before it, so its
children have smaller ids than it has.
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd, lcm
from typing import Any

from adcalc.engine.exact import finite
from adcalc.engine.primitives import OPCODE

NUM, SYM, FN, POW, MUL, ADD = range(6)

ZERO, ONE = 0, 1
RATIONAL = (int, Fraction)
"""Exact numbers: whole ones as ``int`` (fast to hash and multiply), others ``Fraction``."""

HALF, MINUS_HALF = Fraction(1, 2), Fraction(-1, 2)
_FIRST = ((NUM, ZERO), (NUM, ONE), (NUM, -1), (NUM, HALF))
"""The numbers every table starts with: 0, 1, -1 and 1/2 (ids 0 to 3)."""

_EXP = OPCODE["exp"]


def int_if_whole(e: Any) -> Any:
    """A number as an ``int`` where it is whole: monomials are hashed often, and a
    ``Fraction`` hashes (and multiplies) slowly."""
    return e.numerator if type(e) is Fraction and e.denominator == 1 else e


class Table:
    """The nodes, their index, and the questions a node answers by itself (its value,
    its children, its sign, its content).  Building is ``Algebra``'s."""

    def __init__(self) -> None:
        self.nodes: list[tuple] = list(_FIRST)
        self._index: dict[tuple, int] = {key: i for i, key in enumerate(_FIRST)}
        self._floats: dict[float, int] = {}
        """Each float literal's number (the rules' 1.0 and -2.0, read once)."""
        self.zero, self.one, self.minus_one, self.half = range(4)
        self.size: dict[int, int] = {}
        """``measure`` of each node (a node's printed size never changes: memoised)."""
        self.expand_memo: dict[tuple[int, bool], tuple[dict, int]] = {}
        """``Polynomials.expand`` of each sum or product, and the depth it was made at."""
        self.cost_memo: dict[int, int] = {}
        """``Tidy.cost`` of each node counted to the end (it never changes)."""
        self.together_memo: dict[tuple[int, bool], int | None] = {}
        """``together`` of each sum already brought over one fraction line (``None``:
        ``TooBig``): it depends on nothing but the node and ``laurent``, and tidying
        asks it again for a sum that is a factor of several products."""

    # -- interning --------------------------------------------------------------------
    def _intern(self, key: tuple) -> int:
        i = self._index.get(key)
        if i is None:
            i = len(self.nodes)
            self.nodes.append(key)
            self._index[key] = i
        return i

    def value(self, i: int) -> Any:
        """The number node ``i`` stands for, or ``None``."""
        node = self.nodes[i]
        return node[1] if node[0] == NUM else None

    # -- what a node says by itself ---------------------------------------------------
    def children(self, i: int) -> list[int]:
        """The ids node ``i`` is made of (each smaller than ``i``)."""
        node = self.nodes[i]
        kind = node[0]
        if kind == FN:
            return list(node[2])
        if kind == POW:
            return [node[1], node[2]]
        if kind in (MUL, ADD):
            return [x for pair in node[2] for x in (pair if kind == MUL else pair[:1])]
        return []

    def _is_exp(self, i: int) -> bool:
        node = self.nodes[i]
        return node[0] == FN and node[1] == _EXP

    def _is_fn(self, i: int, op: int) -> bool:
        node = self.nodes[i]
        return node[0] == FN and node[1] == op

    def _negative(self, i: int) -> bool:
        """Whether ``i`` is written with a leading minus (every coefficient negative)."""
        node = self.nodes[i]
        if node[0] == MUL:
            return node[1] < 0
        if node[0] == ADD:
            return node[1] <= 0 and all(k < 0 for _, k in node[2])
        return node[0] == NUM and node[1] < 0

    def _summable(self, e1: int, e2: int) -> bool:
        """Whether two exponents combine into one that stays within range."""
        v1, v2 = self.value(e1), self.value(e2)
        return v1 is None or v2 is None or finite(v1 + v2)

    @staticmethod
    def _content(node: tuple) -> Fraction | None:
        """The positive rational that divides every coefficient of sum ``node`` to whole
        numbers with no common factor (2 for 2x + 2, 1/3 for x/3 + 1/3), or ``None``
        where it is 1 or a coefficient is not exact."""
        ks = [k for k in (node[1], *(k for _, k in node[2])) if k != 0]
        if not ks:
            return None
        if all(type(k) is int for k in ks):  # the usual case: no denominator
            g = gcd(*ks)
            return None if g == 1 else Fraction(g)
        if not all(type(k) in RATIONAL for k in ks):
            return None
        g, d = 0, 1
        for k in ks:  # an int has a numerator and a denominator too
            g = gcd(g, k.numerator)
            d = lcm(d, k.denominator)
        return None if g == d else Fraction(g, d)
