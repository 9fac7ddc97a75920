"""Reading a tape in: each primitive applied to canonical ids, one node after another."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adcalc.engine.algebra import primitive_methods
from adcalc.engine.primitives import CONST, INPUT, OPCODE, PRIMITIVES
from adcalc.engine.tape import Tape
from adcalc.symbolic.canonical.algebra import LOGS, Algebra

_HOW: list[Any] = [
    p.name if p.name in ("add", "mul", "sub", "div", "neg", "powc", "pow", "shift", "xlogy")
    else p.prints_as for p in PRIMITIVES]
"""How ``Canon.apply`` makes each primitive: by the method of that name, by the form
it prints as, or (``None``) as a function."""


_XLOGY = PRIMITIVES[OPCODE["xlogy"]].prints_as
_SIGNED_ARG = LOGS | {OPCODE["sqrt"], OPCODE["powc"]}
"""The primitives whose argument's sign their domain fixes (``Reader.domain_signs``)."""
_POWC = OPCODE["powc"]


@primitive_methods
class Reader(Algebra):
    """Primitives of the tape on canonical ids (``apply``, and ``canon.cos(a)`` by name,
    as the derivative rules call them), and ``read``, which does so for a whole tape."""

    def xlogy(self, x: Any, y: Any) -> int:
        """x·log(y) as the textbook writes it, and 0 where y is exactly 0: xlogy is 0
        where x is 0 and has no value elsewhere then, so 0 wherever it has one (the
        partial of 0^u by u, 0^u·log(0), is 0 where 0^u is defined: u > 0)."""
        x = x if type(x) is int else self.num(x)
        y = y if type(y) is int else self.num(y)
        return self.zero if y == self.zero else _XLOGY(self, x, y)

    def apply(self, op: int, args: Sequence[Any], const: Any = None) -> int:
        """Primitive ``op`` on canonical ids (or literals); a method per primitive calls
        this (``primitive_methods``), where ``Algebra`` has none of its own."""
        c = const
        xs = [x if type(x) is int else self.num(x) for x in args]
        how = _HOW[op]
        if how is None:
            return self.fn(op, tuple(xs))
        if type(how) is str:
            if how == "powc":
                return self.powc(xs[0], c)
            if how == "shift":  # softmax and logsumexp do not depend on their shift
                return self.zero
            return getattr(self, how)(*xs)
        return how(self, *xs)  # computed stably, read as the textbook writes it

    def read(self, tape: Tape) -> list[int]:
        """Each node of ``tape`` as a canonical id (one loop, front to back)."""
        ops, a0, a1, consts = tape.ops, tape.a0, tape.a1, tape.consts
        out: list[int] = [0] * len(ops)
        for i, op in enumerate(ops):
            if op == INPUT:
                out[i] = self.sym(tape.input_name[i])
            elif op == CONST:
                out[i] = self.num(consts[i])
            else:
                args = [out[a0[i]]] if a1[i] < 0 else [out[a0[i]], out[a1[i]]]
                out[i] = self.apply(op, args, consts[i])
        return out

    def domain_signs(self, f: Tape) -> None:
        """Set ``known`` (``Signs``) from function ``f``, before anything is read: each
        input ``x`` that a node its outputs read (or a decision compares) takes the log
        of (``x > 0``), the square root or a fractional power of (``x >= 0``; ``x > 0``
        for a negative power), directly or through an odd power (``(x^3)^(1/3)``): f
        has a value only where ``x`` has that sign, and its derivatives mean something
        only there.  (Of f alone: a derivative tape's ``log(x)``, from ``x^y``, says
        nothing of the points where f has a value and ``x < 0``.)"""
        ops, a0, consts = f.ops, f.a0, f.consts
        if not any(op in _SIGNED_ARG for op in ops):
            return
        alive = f.live()
        for i, op in enumerate(ops):
            if op not in _SIGNED_ARG or not alive[i]:
                continue
            strict = op in LOGS
            if op == _POWC:
                k = _number(consts[i])
                if k is None or k == int(k):
                    continue  # (x^-1 needs x != 0 alone)
                strict = k < 0
            a = a0[i]
            if ops[a] == _POWC:  # an odd whole power has its base's sign
                k = _number(consts[a])
                if k is None or k != int(k) or int(k) % 2 == 0:
                    continue
                strict = strict or k < 0
                a = a0[a]
            if ops[a] != INPUT:
                continue
            x = self.sym(f.input_name[a])
            self.known[x] = strict or self.known.get(x, False)
            self.known_at.append((i, f.input_name[a]))


def _number(k: Any) -> float | None:
    """A literal exponent as a float (``None`` if it is none, or beyond the doubles)."""
    try:
        value = float(k)
    except (TypeError, ValueError, OverflowError):
        return None
    return value if value == value and abs(value) != float("inf") else None
