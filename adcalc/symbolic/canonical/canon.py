"""``Canon``, the table with every job of the canonical form, and ``canonical``, which
rewrites a whole tape with it: read in, tidied, written back."""

from __future__ import annotations

from adcalc.engine.tape import Tape
from adcalc.symbolic.canonical.limits import GROWTH, LIMIT
from adcalc.symbolic.canonical.read import Reader
from adcalc.symbolic.canonical.tidy import Tidy
from adcalc.symbolic.canonical.writer import Writer


class Canon(Tidy, Reader):
    """The table of canonical expressions (``Table``) and all it does with them: build
    them (``Algebra``), read a tape in (``Reader``), multiply out and bring over one
    fraction line (``Polynomials``), tidy (``Tidy``) and write back as a tape
    (``Writer``)."""

    def write(self, roots: list[int], variables: list[str]) -> Tape:
        """A tape whose outputs are ``roots``, laid out as a person writes them: one
        fraction line, terms by degree with a positive one first, sqrt for ^(1/2)."""
        return Writer(self, variables).write(roots)


def canonical(tape: Tape, of: Tape | None = None) -> Tape:
    """``tape``'s outputs in the canonical form, tidied, written back as a tape; or
    ``tape`` itself where that form would be larger than ``GROWTH`` times it: a
    canonical sum or product is flat, so it cannot share its parts as a tape does (the
    200 partials of a product of 200 variables share their partial products on the tape,
    each is a product of 199 factors in canonical form).  ``of``: the function whose
    derivatives ``tape`` holds, whose domain they are written for (``domain_signs``)."""
    if len(tape) > LIMIT:
        return tape
    c = Canon()
    if of is not None:
        c.domain_signs(of)
    ids = c.read(tape)
    roots = c.tidy([ids[o] for o in tape.outputs])
    out = c.write(roots, list(tape.variables))
    return out if len(out) <= GROWTH * len(tape) + 8 else tape
