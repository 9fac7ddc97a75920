"""Formulas with no value anywhere, found in the canonical form: a division by a piece
that is 0 everywhere (``1/(x - x)``, ``x/(sin(x)^2 + cos(x)^2 - 1)``), a logarithm, a
square root or a fractional power of a piece that is negative wherever it is defined
(``log(-exp(x))``, ``sqrt(-1 - x^2)``), an asin or acos of one that is beyond ±1
everywhere (``asin(2 + x^2)``), a tan of an odd multiple of pi/2 (``tan(pi/2)``).  Their
derivatives would print as formulas that mean nothing (``0``, ``1/0``,
``tan(pi/2)``), so ``diff`` says why instead, as it does for ``x/0``
(``engine.describe.undefined_anywhere``, which sees numbers only).

The tests are sufficient ones (``Signs.positive``): a piece they cannot place is taken as
defined somewhere, so an expression that has a value at some point is never refused.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from adcalc.engine.describe import subexpression
from adcalc.engine.primitives import DIV, OPCODE, POWC, PRIMITIVES
from adcalc.engine.tape import Tape
from adcalc.errors import DomainError
from adcalc.symbolic.canonical.algebra import LOGS
from adcalc.symbolic.canonical.table import MUL, NUM, SYM

if TYPE_CHECKING:
    from adcalc.symbolic.canonical.canon import Canon

_SQRT = OPCODE["sqrt"]
_ARCS = frozenset(OPCODE[n] for n in ("asin", "acos"))
_TAN = OPCODE["tan"]
_WATCHED = LOGS | _ARCS | {DIV, POWC, _SQRT, _TAN}


def nowhere_defined(tape: Tape, c: Canon | None = None, ids: list[int] | None = None
                    ) -> None:
    """Raise ``DomainError`` at the first node of ``tape`` that has no value at any
    point; ``c`` and ``ids``: the tape already read into a ``Canon`` (else it is read,
    with what its domain says of its inputs' signs: ``Reader.domain_signs``)."""
    if not any(op in _WATCHED for op in tape.ops):
        return
    from adcalc.symbolic.canonical.canon import Canon

    if c is None or ids is None:
        c = Canon()
        c.domain_signs(tape)
        ids = c.read(tape)
    found = _first(tape, c, ids)
    if found is None:
        return
    i, a, sign = found
    given = ""
    if c.known:  # the finding may rest on an input's sign: say so, where it does
        plain = Canon()
        if _first(tape, plain, plain.read(tape), i) is None:
            given = _given(tape, c, a)
    raise _nowhere(tape, i, a, sign, given)


def _first(tape: Tape, c: Canon, ids: list[int], only: int | None = None
           ) -> tuple[int, int, str] | None:
    """The first node of ``tape`` (or node ``only``) with no value anywhere, as ``c``
    reads it: the node, its argument, and what that argument is (``"negative"``)."""
    ops = tape.ops
    for i, op in enumerate(ops):
        if op not in _WATCHED or (only is not None and i != only):
            continue
        if op == DIV or (op == POWC and _negative(tape.consts[i])):
            continue  # (a denominator: below, with the others)
        a = tape.a0[i]
        u = ids[a]
        if op in LOGS:
            if c.nodes[u] == (NUM, 0) or c.positive(c.neg(u)):
                return i, a, "0 or negative"
        elif op == _SQRT or (op == POWC and _fractional(tape.consts[i])):
            if c.positive(c.neg(u)):
                return i, a, "negative"
        elif op in _ARCS and (c.positive(c.sub(u, c.one))
                              or c.positive(c.sub(c.minus_one, u))):
            return i, a, "beyond -1 and 1"
        elif op == _TAN and _odd_half_pi(c, u):  # (a float's tan(pi/2) is 1.6e16)
            return i, a, "an odd multiple of pi/2"
    # a denominator that is 0 as read (x - x) or once tidied (sin(x)^2 + cos(x)^2 - 1):
    # all tidied at once (a number is its own tidy form)
    below = [(i, tape.a1[i] if op == DIV else tape.a0[i]) for i, op in enumerate(ops)
             if (op == DIV or (op == POWC and _negative(tape.consts[i])))
             and (only is None or i == only)]
    if below:
        for (i, a), t in zip(below, c.tidy([ids[a] for _, a in below]), strict=True):
            if c.nodes[t] == (NUM, 0):
                return i, a, "0"
    return None


def _given(tape: Tape, c: Canon, arg: int) -> str:
    """The pieces of f whose domain fixed the sign of an input that ``arg`` reads
    (``Signs.known_at``): the finding rests on them, and holds only where they have a
    value (``log(x) + 1/(abs(x) - x)``: "0 wherever log(x) is defined")."""
    read = set(tape.reads(arg))
    pieces = list(dict.fromkeys(subexpression(tape, i) or PRIMITIVES[tape.ops[i]].name
                                for i, name in c.known_at if name in read))
    if not pieces:
        return ""
    return (pieces[0] if len(pieces) == 1 else
            ", ".join(pieces[:-1]) + " and " + pieces[-1]) + (" is" if len(pieces) == 1
                                                              else " are")


def _odd_half_pi(c: Canon, u: int) -> bool:
    """Whether ``u`` is ``(k + 1/2)·pi`` for a whole ``k``: where tan has no value."""
    node = c.nodes[u]
    if node[0] != MUL or len(node[2]) != 1 or c.nodes[node[2][0][0]] != (SYM, "pi"):
        return False
    q = node[1]
    return node[2][0][1] == c.one and type(q) is Fraction and q.denominator == 2


def _negative(k: object) -> bool:
    try:
        return float(k) < 0  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return False


def _fractional(k: object) -> bool:
    """Whether exponent ``k`` is a number that is not whole (``x^(1/2)``, ``x^1.5``)."""
    try:
        return float(k) != int(float(k))  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return False


def _nowhere(tape: Tape, i: int, arg: int, sign: str, given: str) -> DomainError:
    """The message: the piece, where its argument is ``sign`` (``given``: the pieces
    whose domain the finding rests on, ``_given``)."""
    prim = PRIMITIVES[tape.ops[i]]
    what = subexpression(tape, i) or ("a quotient" if tape.ops[i] == DIV else f"a {prim.name}")
    piece = subexpression(tape, arg) or "its argument"
    if tape.ops[i] == _TAN:
        return DomainError(f"{what} has no value anywhere: tan is undefined at odd "
                           "multiples of pi/2")
    if not given:
        if tape.ops[i] == DIV:
            return DomainError(f"{what} divides by {piece}, which is 0 everywhere, so it has "
                               "no value anywhere")
        return DomainError(f"{what} has no value anywhere: {prim.domain}, and {piece} is "
                           f"{sign} {'everywhere' if sign == '0' else 'wherever it is defined'}")
    where = f"wherever {given} defined"
    if tape.ops[i] == DIV:
        return DomainError(f"{what} divides by {piece}, which is 0 {where}, so the "
                           "expression has no value anywhere")
    return DomainError(f"{what} has no value {where}, so the expression has none anywhere: "
                       f"{prim.domain}, and {piece} is {sign} there")
