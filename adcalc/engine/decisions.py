"""The decisions and loops of a traced program: what a tape records of the path it took.

A ``Decision`` is one comparison evaluated at the point (its two sides are tape nodes,
so the same comparison can be evaluated again at other points, elementwise on arrays:
the guards of batch rows and of re-traced Python functions); a ``Loop`` counts a loop's
iterations."""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

COMPARISONS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
               "==": operator.eq, "!=": operator.ne}


@dataclass(frozen=True, slots=True)
class Decision:
    """One comparison a traced program evaluated: ``left op right`` (node ids: literal
    sides are literal nodes) came out ``outcome`` at the point."""

    left: int
    op: str
    right: int
    outcome: bool
    label: str
    """The construct and its condition: ``if x > 0``, ``while y > 1e-8 (iteration 3)``."""
    comparison: str
    """The comparison's text: ``x > 0``."""
    where: str = ""
    """The enclosing loops' iteration (``i=2``), or empty."""
    at: int = -1
    """The comparison's offset in the program's text."""
    boundary: bool = False
    """Both sides were equal at the point: a branch boundary (a kink)."""

    def holds(self, vals: Sequence[Any]) -> Any:
        """Whether the comparison comes out the same with ``vals`` (elementwise on arrays)."""
        got = COMPARISONS[self.op](vals[self.left], vals[self.right])
        if self.outcome:
            return got
        return not got if isinstance(got, bool) else ~got

    def renumbered(self, remap: Sequence[int]) -> Decision:
        return replace(self, left=remap[self.left], right=remap[self.right])


@dataclass(slots=True)
class Loop:
    """A loop of a traced program: how often it ran and how many iterations each time."""

    label: str
    """``repeat 8``, ``for i in 1..3``, ``while y > 1e-8``."""
    at: int
    runs: int = 0
    trips_min: int | None = None
    trips_max: int | None = None
