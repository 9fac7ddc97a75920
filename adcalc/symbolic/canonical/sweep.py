"""First partials built in the canonical form as the adjoint sweep makes them: ``Canon``
as the sweep's algebra (``_Sweep``) and as the derivative rules' (``_Rules``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adcalc.engine.algebra import NAMES
from adcalc.engine.primitives import PRIMITIVES
from adcalc.engine.sweeps import Symbols, adjoint
from adcalc.engine.tape import Tape
from adcalc.symbolic.canonical.canon import Canon
from adcalc.symbolic.canonical.domain import nowhere_defined
from adcalc.symbolic.canonical.table import ADD, MUL


def partials(tape: Tape, wrt: list[str],
             too_large: Callable[[int], bool] | None = None, defined: bool = False
             ) -> Tape | None:
    """The first partials of each output of ``tape`` by ``wrt`` (output by output, in
    the order of ``wrt``), built in the canonical form as they are made: the adjoint
    sweep runs with ``Canon`` as its algebra, so there is no derivative tape to build,
    prune and read back.  (Whether the form is too large is the caller's to decide, as
    ``canonical`` does against the derivative tape; ``too_large`` is asked about the
    untidied form's size, ``untidied``, before the costly tidying, and ``None`` returned
    where it says yes.)  ``defined``: raise ``DomainError`` where ``tape`` has no value
    anywhere (``domain.nowhere_defined``), from the form read here, once the partials are
    written (what it adds to the table then changes no id they were written from)."""
    c = Canon()
    c.domain_signs(tape)
    ids = c.read(tape)
    sweep = _Sweep(c)
    roots: list[int] = []
    for o in tape.outputs:
        bar = adjoint(tape, ids, {o: c.one}, sweep).adjoints
        roots += [bar[tape.var_node[x]] for x in wrt]
    reached = c.reached(roots)
    if too_large is not None and too_large(untidied(c, reached)):
        out = None
    else:
        out = c.write(c.tidy(roots, reached), list(tape.variables))
    if defined:
        nowhere_defined(tape, c, ids)
    return out


def untidied(c: Canon, reached: list[int]) -> int:
    """About how many nodes the tape of the roots as they are would have (a flat sum or
    product of n parts is n - 1 nodes, a coefficient one more; each piece once), from
    the ids they reach (``Table.reached``)."""
    total = 0
    nodes = c.nodes
    for j in reached:
        node = nodes[j]
        if node[0] in (ADD, MUL):
            total += len(node[2]) + (node[1] not in (0, 1))
        else:
            total += 1
    return total


class _Rules:
    """What the derivative rules call (``A.cos(a)``, ``A.mul(c, a)``, ``A.add(1.0, p)``)
    on a ``Canon``: an ``int`` is an expression's id, any other number a literal.  The
    others (sub, div, neg, powc, a primitive by name) are the Canon's own, forwarded by
    methods made once, at import (``_forward``), not bound again on every call."""

    def __init__(self, canon: Canon) -> None:
        self.canon = canon
        add, num = canon.add, canon.num
        self.mul = _rules_product(canon)
        self.add = lambda a, b: add(a if type(a) is int else num(a),
                                    b if type(b) is int else num(b))

    def apply(self, op: int, args: Any, const: Any = None) -> Any:
        f = getattr(self, NAMES[op])
        return f(*args, const) if PRIMITIVES[op].takes_const else f(*args)


def _forward(f: Callable[..., Any]) -> Callable[..., Any]:
    def method(self: _Rules, *args: Any) -> Any:
        return f(self.canon, *args)

    method.__name__ = method.__qualname__ = f.__name__
    return method


for _p in PRIMITIVES:
    if _p.name not in ("mul", "add"):
        setattr(_Rules, _p.name, _forward(getattr(Canon, _p.name)))


def _rules_product(canon: Canon) -> Any:
    """The rules' product, as the derivative tape makes it: 1·u is u, whatever u is (a
    sum keeps its terms as they are: ``Canon.mul`` would take out a fraction)."""
    mul, num, one = canon.mul, canon.num, canon.one

    def times(a: Any, b: Any) -> int:  # (a literal made a number: ``Canon.as_id``)
        if type(a) is not int:
            a = num(a)
        if type(b) is not int:
            b = num(b)
        return b if a == one else a if b == one else mul(a, b)

    return times


class _Sweep(Symbols):
    """The symbolic sweeps' algebra with canonical expressions for values."""

    def __init__(self, canon: Canon) -> None:  # no tape: the Canon holds the values
        self.rules = _Rules(canon)
        self.number = canon.num  # a literal (and ``one``) as a canonical id
        self.zero = canon.zero
        self.nothing = canon.zero.__eq__
        self.scale = self.rules.mul
        self.add = canon.add
