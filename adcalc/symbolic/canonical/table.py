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
_ONE_ID, _HALF_ID = 1, 3
_CAP = 1 << 40
"""The largest size and cost counted (a deep tape's sizes would grow exponentially)."""
_FIRST_INDEX = {key: i for i, key in enumerate(_FIRST)}

_EXP = OPCODE["exp"]


def int_if_whole(e: Any) -> Any:
    """A number as an ``int`` where it is whole: monomials are hashed often, and a
    ``Fraction`` hashes (and multiplies) slowly."""
    return e.numerator if type(e) is Fraction and e.denominator == 1 else e


def _size(size: list[int], tree: list[int], node: tuple) -> None:
    """Append to ``size`` about how many symbols ``node`` prints as, from its parts'
    (``Table.size``): a number 1 (3 as a fraction, one more with a sign), an input 1, a
    function 1 and its arguments, a power its base and (but for a square root) ^ and its
    exponent, a product its factors (with ^ and the exponent other than 1) and a * between
    each, a sum its terms (2 more for a coefficient other than ±1, and the constant) and a
    sign between each.  Append to ``tree`` ``Tidy.cost``'s count for it with every piece
    counted as often as it is written (``Table.tree``)."""
    kind = node[0]
    if kind == NUM:
        q = node[1]
        s = 1 if type(q) is not Fraction or q.denominator == 1 else 3
        s += q < 0
        t = (1 if type(q) is not Fraction else 3) + (q < 0)
    elif kind == SYM:
        s = t = 1
    elif kind == FN:
        s = t = 1
        for a in node[2]:
            s += size[a]
            t += tree[a]
    elif kind == POW:
        base, e = node[1], node[2]
        s = size[base] + (0 if e == _HALF_ID else 1 + size[e])
        t = (e != _HALF_ID) + tree[base] + tree[e]
    elif kind == MUL:
        s = t = len(node[2]) - 1 + (node[1] != 1)
        for b, e in node[2]:
            s += size[b] if e == _ONE_ID else size[b] + 1 + size[e]
            t += tree[b] + tree[e]
    else:
        s = t = len(node[2]) - 1 + (node[1] != 0) * 2
        for term, k in node[2]:
            if abs(k) == 1:
                s += size[term]
            else:
                s += size[term] + 2
                t += 2
            t += tree[term]
    size.append(s if s < _CAP else _CAP)
    tree.append(t if t < _CAP else _CAP)


_FIRST_SIZE: list[int] = []
_FIRST_TREE: list[int] = []
for _key in _FIRST:
    _size(_FIRST_SIZE, _FIRST_TREE, _key)


class Table:
    """The nodes, their index, and the questions a node answers by itself (its value,
    its children, its sign, its content).  Building is ``Algebra``'s."""

    def __init__(self) -> None:
        self.nodes: list[tuple] = list(_FIRST)
        self._index: dict[tuple, int] = dict(_FIRST_INDEX)  # (a copy hashes nothing)
        self._ints: dict[int, int] = {0: 0, 1: 1, -1: 2}
        self._fractions: dict[tuple[int, int], int] = {(1, 2): 3}
        """Each whole number's and fraction's node (``Algebra.num``; a fraction by
        numerator and denominator: a ``Fraction`` hashes slowly, a pair of ints quickly)."""
        self._floats: dict[float, int] = {}
        """Each float literal's number (the rules' 1.0 and -2.0, read once)."""
        self.zero, self.one, self.minus_one, self.half = range(4)
        self.size: list[int] = list(_FIRST_SIZE)
        """``Tidy.measure`` of each node, by id (``_size``: made with the node, as its
        parts' are known then and it never changes)."""
        self.tree: list[int] = list(_FIRST_TREE)
        """``Tidy.cost`` of each node, by id, with no piece counted once as a name: its
        cost wherever its size is under ``MIN_SHARED_SIZE`` (no piece of it is named)."""
        self._sums: dict[tuple[int, int], int] = {}
        self._products: dict[tuple[int, int], int] = {}
        self._powers: dict[tuple[int, int], int] = {}
        """``add``, ``mul`` and ``pow`` of each pair of ids asked before: each is a
        function of its ids alone (the table only grows), and tidying builds the same
        pieces again (a sum over one line, its terms with a common factor out, …)."""
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
            _size(self.size, self.tree, key)
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
        if kind == MUL:
            return [x for pair in node[2] for x in pair]
        if kind == ADD:
            return [t for t, _ in node[2]]
        if kind == FN:
            return list(node[2])
        if kind == POW:
            return [node[1], node[2]]
        return []

    def reached(self, roots: list[int]) -> list[int]:
        """The ids ``roots`` reach (themselves and every part below), in id order: one
        pass down the table, as each node's parts have smaller ids than it."""
        if not roots:
            return []
        top = max(roots)  # (nothing above the highest root is reached)
        reach = [False] * (top + 1)
        for r in roots:
            reach[r] = True
        children = self.children
        for i in range(top, -1, -1):
            if reach[i]:
                for child in children(i):
                    reach[child] = True
        return [i for i, r in enumerate(reach) if r]

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
        const = node[1]
        if type(const) is int:  # the usual case, whole numbers: their gcd (0 ignored)
            g = const
            for _, k in node[2]:
                if type(k) is not int:
                    break
                g = gcd(g, k)
            else:
                return None if g in (0, 1) else Fraction(abs(g))
        ks = [k for k in (const, *(k for _, k in node[2])) if k != 0]
        if not ks:
            return None
        if not all(type(k) in RATIONAL for k in ks):
            return None
        g, d = 0, 1
        for k in ks:  # an int has a numerator and a denominator too
            g = gcd(g, k.numerator)
            d = lcm(d, k.denominator)
        return None if g == d else Fraction(g, d)
