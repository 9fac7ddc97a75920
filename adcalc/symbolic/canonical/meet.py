"""Where the identities may say more than the polynomial forms do: ``special``, the
gate ``Tidy`` asks before it builds a normal form (``Identities``), which is the
costliest thing the canonical form does.

Sines and cosines *meet* where they can combine: multiplied together (or a power) in
one term, when their angles are one angle or share a part (``sin(x)*cos(x)``,
``sin(x + y)*cos(x - y)``, ``cos(x)^2``), or in different terms when two different
angles share a part (``cos(x + y) + cos(x - y)``, ``sin(3*x) - 3*sin(x)``).  A sine and
a cosine of one angle in different terms to the first power (``a*cos(u) + b*sin(u)``:
every derivative of ``sin(u)*g`` has them) have nothing to combine, nor do products
of unrelated angles.  tan, sinh, cosh and tanh, a log of a sigmoid, a softplus of a
negative argument, and logistic pieces beside each other (σ with exp or softplus) are
always worth the normal form.

What a node says is computed from what its parts say (once a node, memoised): the
answer for every sum below the roots costs one pass, not one walk per sum.  Only the
*surface* is looked at, as the normal form rewrites only it: sums, products and powers,
and the functions among them, not their arguments (``tidy`` has brought each argument
to its shortest already, on its own).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from adcalc.engine.primitives import OPCODE
from adcalc.symbolic.canonical.table import ADD, FN, MUL, NUM, POW, RATIONAL, SYM

if TYPE_CHECKING:
    from adcalc.symbolic.canonical.algebra import Algebra

_SIN, _COS, _TAN, _SINH, _COSH, _TANH, _EXP, _LOG, _SIGMOID, _SOFTPLUS = (
    OPCODE[n] for n in ("sin", "cos", "tan", "sinh", "cosh", "tanh", "exp", "log",
                        "sigmoid", "softplus"))
_SIGNS = frozenset((OPCODE["abs"], OPCODE["sign"]))
_TRIG, _HYPERBOLIC = 1, 2
_WAVES = {_SIN: _TRIG, _COS: _TRIG, _TAN: _TRIG,
          _SINH: _HYPERBOLIC, _COSH: _HYPERBOLIC, _TANH: _HYPERBOLIC, _EXP: _HYPERBOLIC}
"""The pieces that meet, in two families: sin, cos and tan of one angle (or of angles
with a part in common) combine with each other, sinh, cosh, tanh and exp likewise."""
_LOGISTIC = {_SIGMOID: 1, _SOFTPLUS: 2, _EXP: 4}
"""Bits of the logistic pieces: two kinds of them on one surface may meet."""


class Meeting:
    """What the surface of a node holds: ``found`` (a piece always worth the normal
    form), the logistic ``bits``, ``atoms`` (for each family and part of an angle, the
    most waves of it multiplied together in one term), ``squares`` (the family's parts
    of a wave to a power other than ±1) and ``angles`` (each wave as family, op,
    angle)."""

    __slots__ = ("angles", "atoms", "bits", "found", "squares")

    def __init__(self, found: bool = False, bits: int = 0, atoms: dict | None = None,
                 squares: frozenset = frozenset(), angles: frozenset = frozenset()) -> None:
        self.found, self.bits, self.atoms = found, bits, atoms or {}
        self.squares, self.angles = squares, angles


_NOTHING = Meeting()


def special(c: Algebra, i: int) -> bool:
    """Whether the normal form of ``i`` may be shorter than its polynomial forms (see
    the module's note)."""
    m = _info(c, i)
    if m is _NOTHING:
        return False
    if m.found or any(n > 1 for n in m.atoms.values()):
        return True  # two waves that meet in one term: sin(x)*cos(x), exp(x)*sinh(x)
    if not m.angles:
        return False
    constant = c.nodes[i][0] == ADD and c.nodes[i][1] != 0
    owners: dict[tuple, set[int]] = {}  # (family, part) -> the angles it is part of
    ops: dict[tuple, int] = {}
    for family, op, u in m.angles:
        if family == _HYPERBOLIC and ops.setdefault((family, u), op) != op:
            return True  # sinh(u) + cosh(u), exp(u) - sinh(u)
        for part in _parts(c, u):
            owners.setdefault((family, part), set()).add(u)
    for key, angles in owners.items():
        if len(angles) > 1:
            return True  # cos(x + y) + cos(x - y), sin(3*x) - 3*sin(x)
        if key in m.squares and (constant or sum(
                1 for f, _, u in m.angles if (f, u) == (key[0], *angles)) > 1):
            return True  # 1 - tanh(u)^2, cos(u)^2 - sin(u)^2
    return False


def holds(c: Algebra, i: int) -> bool:
    """Whether the surface of ``i`` holds a piece that may meet another."""
    return _info(c, i) is not _NOTHING


def _parts(c: Algebra, u: int) -> set[int]:
    return set(c.terms(u)[1]) or {u}


def _info(c: Algebra, i: int) -> Meeting:
    memo: dict[int, Meeting] = c.__dict__.setdefault("_meet", {})
    found = memo.get(i)
    if found is not None:
        return found
    nodes = c.nodes
    stack = [i]
    while stack:  # children first, in a loop (no recursion at any depth)
        j = stack[-1]
        if j in memo:
            stack.pop()
            continue
        node = nodes[j]
        kind = node[0]
        if kind in (NUM, SYM):  # a number or an input holds nothing
            stack.pop()
            memo[j] = _NOTHING
            continue
        if kind != FN:  # (an exponent is read by its value: only bases and terms)
            if kind == POW:
                kids = [node[1]] if node[1] not in memo else None
            else:
                kids = [k for k, _ in node[2] if k not in memo]
            if kids:
                stack.extend(kids)
                continue
        elif node[1] in _SIGNS and nodes[node[2][0]][0] == FN and node[2][0] not in memo:
            stack.append(node[2][0])  # (|cos(u)|: cos(u) first)
            continue
        stack.pop()
        memo[j] = _of(c, node, memo)
    return memo[i]


def _of(c: Algebra, node: tuple, memo: dict[int, Meeting]) -> Meeting:
    kind = node[0]
    if kind == FN:
        op, u = node[1], node[2][0]
        if op in _SIGNS:  # |cos(u)| and sign(cos(u)) meet what cos(u) meets: their
            return memo[u] if c.nodes[u][0] == FN else _NOTHING  # rules take it out
        if (op == _LOG and _logistic(c, u)) or (op == _SOFTPLUS and c._negative(u)):
            return Meeting(found=True)
        family = _WAVES.get(op)
        bits = _LOGISTIC.get(op, 0)
        if op == _SIGMOID:  # σ(u) = (1 + tanh(u/2))/2: it meets sinh, cosh, tanh and exp
            return Meeting(bits=bits, angles=frozenset(((_HYPERBOLIC, op, u),)))  # of
        if family is None:  # an angle with a part in common (alone, it combines with
            return Meeting(bits=bits) if bits else _NOTHING  # nothing)
        return Meeting(bits=bits, atoms={(family, p): 1 for p in _parts(c, u)},
                       angles=frozenset(((family, op, u),)))
    if kind == POW:
        return _power(c, memo[node[1]], node[2])
    if kind not in (MUL, ADD):
        return _NOTHING
    parts = [_power(c, memo[b], e) for b, e in node[2]] if kind == MUL else [
        memo[t] for t, _ in node[2]]
    for m in parts:
        if m is not _NOTHING:
            break
    else:
        return _NOTHING
    out = Meeting(atoms={})
    for m in parts:
        out.found |= m.found
        out.bits |= m.bits
        out.squares |= m.squares
        out.angles |= m.angles
        for key, n in m.atoms.items():  # a product adds them up, a sum keeps the most
            out.atoms[key] = out.atoms.get(key, 0) + n if kind == MUL else max(
                out.atoms.get(key, 0), n)
    out.found |= bool(out.bits & (out.bits - 1))  # two kinds of logistic piece
    return out


def _power(c: Algebra, m: Meeting, e: int) -> Meeting:
    """What ``b^e`` holds where ``b`` holds ``m``: its waves squared (or cubed…) where
    ``e`` is a whole number other than ±1."""
    if not m.atoms:
        return m
    v = c.value(e)
    if type(v) not in RATIONAL or v.denominator != 1 or abs(v) == 1:
        return m
    return Meeting(m.found, m.bits, m.atoms, m.squares | frozenset(m.atoms), m.angles)


def _logistic(c: Algebra, u: int) -> bool:
    node = c.nodes[u]
    if node[0] == FN:
        return node[1] == _SIGMOID
    return node[0] == ADD and any(c._is_fn(t, _SIGMOID) for t, _ in node[2])
