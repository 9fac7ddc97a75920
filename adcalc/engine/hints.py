"""Did-you-mean, written once: the known name a user most likely meant by one it is not.

Every "did you mean …?" and "a typo for …?" in adcalc's messages (an unknown function,
a ``wrt`` or ``variables`` name the expression does not use, a point's stray name, a
points file's column) asks ``nearest``; the messages keep their own wording.
"""

from __future__ import annotations

from collections.abc import Iterable

CUTOFF = 0.6
"""How alike a name and a candidate must be, as ``difflib.SequenceMatcher.ratio`` measures
it (twice the matching characters over both lengths; difflib's own default).  It takes a
swapped or dropped letter in a short name (``sni`` → ``sin``, ``sqr`` → ``sqrt``, ``xx``
→ ``x``, ``y_2`` → ``y2``) and leaves out two-character names that differ in one
(``x3`` is not offered ``x1``: 0.5)."""


def nearest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate ``name`` most likely meant, or ``None``: one that differs from it only
    in case (``X`` for ``x``) first, else the closest at ``CUTOFF`` or above.  Candidates
    are taken in sorted order, so the answer never depends on the order they come in."""
    import difflib  # on a miss only: not at start-up

    pool = sorted(set(candidates))
    folded = name.casefold()
    same = [c for c in pool if c.casefold() == folded]
    if same:
        return same[0]
    near = difflib.get_close_matches(name, pool, n=1, cutoff=CUTOFF)
    return near[0] if near else None
