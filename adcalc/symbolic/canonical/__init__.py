"""A canonical form for the formulas people read (``diff --simplify full``).

A derivative tape is rewritten into a small computer-algebra representation, then
written back as a tape for the printers.  Expressions are hash-consed tuples in one
table, so equal pieces are one id (``table``: the kinds of node).

Sums and products are flattened (up to ``MAX_TERMS`` a level, so long chains stay
linear), like terms and like factors collected with exact coefficients and exponents
(``x*x^(x - 1)`` is ``x^x``), ``exp(a)*exp(b)`` is ``exp(a + b)``, and ``exp``/``log``
undo each other where that is an identity on the domain (``exp(log(u)) = u`` wherever
``log(u)`` is defined).  Then ``tidy`` visits each sum once, bottom up, and keeps the
shortest of: the sum as it is, and the sum over one fraction line with its common
factors taken out, cancelled against its denominator (exact polynomial division) and
``sin² + cos² = 1`` applied.  Every rewrite is an identity wherever the input is
defined; ``tests/symbolic/test_canonical.py`` checks them at random points.

The modules, in the order a node meets them (each class adds one job to the one before):

    limits       every bound on the work (terms, depth, sizes), and why
    table        Table: the nodes, interning, what a node says by itself
    algebra      Algebra(Table): add, mul, pow, fn … in canonical form
    read         Reader(Algebra): a tape's primitives on canonical ids
    one_line     OneLine(Algebra): the sums over one line with nothing multiplied out
    polynomials  Polynomials(OneLine): multiplied out, over one fraction line
    tidy         Tidy(Polynomials): each sum at its shortest; cost and measure
    writer       Writer: canonical expressions back to a tape, laid out for reading
    canon        Canon(Tidy, Reader) with every job; canonical(tape)
    sweep        partials(tape, wrt): the adjoint sweep with Canon as its algebra
"""

from adcalc.symbolic.canonical.canon import Canon, canonical
from adcalc.symbolic.canonical.limits import GROWTH, UNTIDIED
from adcalc.symbolic.canonical.sweep import partials
from adcalc.symbolic.canonical.table import MUL

__all__ = ["GROWTH", "MUL", "UNTIDIED", "Canon", "canonical", "partials"]
