"""Every bound on the canonical form's work, in one place.

Multiplying out, dividing and collecting can each grow without bound on some input, so
each is bounded here.  Past a bound nothing goes wrong: a piece is left as it stands (as
correct, only less tidy), or a whole tape keeps the form the local rules gave it.
"""

MAX_TERMS = 24
"""Terms (or factors) one sum (or product) collects; beyond it a piece stays whole (a
sum inside a sum).  Each ``add`` and ``mul`` copies and sorts the terms it collects: the
bound keeps a long chain ``x1 + x2 + … + xn`` linear to build, not quadratic."""

MAX_DEPTH = 24
"""Sums within products within sums that ``expand`` opens before it gives up
(``TooBig``): a deeper piece is left whole, never a deep recursion."""

MAX_TIDIED = 400
"""Sums longer than this (in printed symbols) are not brought over one fraction line: no
person reads them term by term, and the attempt would cost more than the rest."""

MAX_EXPANDED = 64
"""Terms a sum may have when it is brought over one fraction line and multiplied out
(``TooBig`` beyond: the sum stays as it is).  Multiplying out grows exponentially
(``(x + y)^n``), so two more bounds follow from this one: a product of two polynomials
looks at no more than ``8 * MAX_EXPANDED`` pairs of terms, and an exact division takes
no more than ``4 * MAX_EXPANDED`` steps."""

MAX_MULTIPLE = 6
"""The largest multiple of a base angle that sin and cos are expanded from in the normal
form (``sin(6*x)`` is, ``sin(7*x)`` stays an atom: the multiple-angle formulas grow with
the multiple)."""

MAX_ANGLE_PARTS = 3
"""Base angles one argument of sin or cos may be a sum of to be expanded by the
angle-addition formulas (``sin(x + y + z)`` is, a longer sum stays an atom)."""

MAX_EXPANDED_POWER = 6
"""The largest whole power of a sum that is multiplied out: ``(x + 1)^6`` is, ``(x + 1)^7``
stays one factor (a power's terms grow with its exponent, and a high power of a sum is
read more easily as it is)."""

GROWTH = 1.25
"""How much larger than the tape it is given the canonical form may be (in nodes, with 8
nodes to spare: ``len(out) <= GROWTH * len(tape) + 8``; ``symbolic.derive`` measures its
quick path alike).  A canonical sum or product is flat, so it cannot share its parts as a
tape does: where it would be larger, the tape is printed as it is."""

UNTIDIED = 1.5
"""How much larger than the most ``GROWTH`` allows the canonical form may be before it
is tidied (``sweep.untidied``) for tidying to be tried at all.  Tidying is the costly
part (at 100 random operations, 50 ms where the basic form takes 2), and it rarely
shrinks a form by a third: measured over 1,000 random expressions of 5 to 160
operations (``tests.helpers.random_expressions``, the identities' test expressions and
``benchmarks/diff_swell.py``'s), every form printed in the end was at most 1.44× the
bound before tidying, and 136 of the 198 printed in the basic form were more than 1.5×
it (the textbook corpus, ``benchmarks/diff_corpus.py``: at most 1.08×)."""

LIMIT = 2000
"""Derivative tapes larger than this keep the form the local rules give.  Measured
(``benchmarks/diff_swell.py``'s random expressions): from about 100 operations on, the
canonical form is larger than the shared tape (``GROWTH``), so above this the attempt
would only cost time (3× the whole command at 100,000 operations)."""
