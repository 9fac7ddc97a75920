"""The kink finder: the nodes at a non-differentiable point through which a derivative
flows, read from the tape (the same for every mode and every sweep algebra)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adcalc.engine.algebra import SweepPolicies
from adcalc.engine.primitives import BLOCKING, KINKS_FOR, NONDIFF, PRIMITIVES
from adcalc.engine.tape import Tape

KINKED = frozenset(i for i, f in enumerate(NONDIFF) if f is not None)
"""The primitives with non-differentiable points."""
_SECOND = [1 in p.kink_args for p in PRIMITIVES]
"""Whether a primitive's non-differentiable point is one for its second argument too."""


def kinks(tape: Tape, vals: Sequence[Any], S: SweepPolicies, sources: Sequence[int],
          sinks: Sequence[int]) -> Any:
    """The nodes at a non-differentiable point through which a derivative flows from
    ``sources`` (input nodes) to ``sinks`` (output nodes): a list of nodes for one
    point, node → mask of rows for arrays (``S.kinks()``, filled by ``S.kink``).

    Read from the tape, the same in both modes: a node's argument depends on a source
    through primitives that pass derivatives on, and the node reaches a sink through
    such primitives (not stop_gradient, softmax's shift, sign or step, whose partials are
    0 by definition).  Not from the numbers: a derivative that is 0 where it meets the
    kink may be 0 by another convention (``sign(x)*abs(x)`` at 0: sign's 0 multiplies
    abs', and the true derivative is 1), so the reverse sweep warns where the forward
    sweep does.  The predicates are evaluated first, so the walks over the tape cost
    nothing where the point is at no kink.
    """
    found = S.kinks()
    if found is None or not sources or not sinks or KINKED.isdisjoint(tape.ops):
        return found
    ops, a0, a1, consts = tape.ops, tape.a0, tape.a1, tape.consts
    at = []
    for i, op in enumerate(ops):
        if op in KINKED and (KINKS_FOR[op] is None or KINKS_FOR[op](consts[i])):
            b = a1[i]
            where = NONDIFF[op](vals[a0[i]], vals[b] if b >= 0 else None, consts[i])
            if S.at_kink(where):
                at.append((i, where))
    if not at:
        return found
    n, last = len(ops), max(i for i, _ in at)
    depends = bytearray(n)  # a derivative flows into the node from a source
    for s in sources:
        depends[s] = 1
    for i in range(min(sources), last + 1):
        op = ops[i]
        if op >= 0 and op not in BLOCKING and (depends[a0[i]] or (a1[i] >= 0 and depends[a1[i]])):
            depends[i] = 1
    reach = bytearray(n)  # the node's derivative flows on to a sink
    for o in sinks:
        reach[o] = 1
    first = min(i for i, _ in at)
    for i in range(max(sinks), first - 1, -1):
        if reach[i] and ops[i] >= 0 and ops[i] not in BLOCKING:
            reach[a0[i]] = 1
            if a1[i] >= 0:
                reach[a1[i]] = 1
    one = None
    for i, where in at:
        if reach[i] and (depends[a0[i]] or (a1[i] >= 0 and _SECOND[ops[i]]
                                            and depends[a1[i]])):
            if one is None:
                one = S.one
            S.kink(found, i, where, one)
    return found
