"""The sums whose form over one fraction line needs nothing multiplied out: ``together``
asks these first.  A linear sum (``y + 1``) is its own form; a polynomial in the inputs
(``x*y + x``) is its common monomial and sign times the rest (``x*(y + 1)``); a sum whose
terms share one denominator and whose numerators add up to it is a number
(``1/(y + 1) + y/(y + 1)`` is 1).  Each gives the node the general way gives
(``tests/symbolic/test_canonical.py``), only sooner.
"""

from __future__ import annotations

from typing import Any

from adcalc.symbolic.canonical.algebra import Algebra
from adcalc.symbolic.canonical.table import ADD, MUL, NUM, ONE, POW, SYM


class OneLine(Algebra):
    """``_polynomial``, ``_monomial_out`` and ``_over_shared``: ``together``'s quick ways."""

    def _polynomial(self, i: int) -> str | None:
        """``"polynomial"`` where sum ``i`` is a polynomial in the inputs with whole
        coefficients (``x*y + x``): over one line (``together``) it is its common monomial
        times the rest, which is what ``factored`` takes out too, the same node; it has no
        sum inside to bring together and no function for the identities.  ``"linear"``
        where it is besides a sum of inputs each to the power 1, not every coefficient
        negative (``y + 1``, ``2*x - y``): over one line it is itself, as short as it gets
        (no common factor, no denominator, no sign to take out).  ``None`` otherwise."""
        node = self.nodes[i]
        if type(node[1]) is not int:
            return None
        nodes = self.nodes
        linear, positive = True, node[1] > 0
        for t, k in node[2]:
            if type(k) is not int:
                return None
            positive = positive or k > 0
            term = nodes[t]
            if term[0] == SYM:
                continue
            linear = False
            if term[0] == POW:
                pairs: Any = (term[1:],)
            elif term[0] == MUL and term[1] == 1:
                pairs = term[2]
            else:
                return None
            for b, e in pairs:
                ne = nodes[e]
                if nodes[b][0] != SYM or ne[0] != NUM or type(ne[1]) is not int or ne[1] < 1:
                    return None
        return "linear" if linear and positive else "polynomial"

    def _monomial_out(self, i: int) -> int:
        """``together`` of a polynomial sum (``_polynomial``): its common monomial taken
        out (``x*y + x`` is ``x*(y + 1)``) and, where every coefficient is negative, its
        sign, as ``_together`` does, without multiplying anything out."""
        nodes = self.nodes
        const, terms = nodes[i][1], nodes[i][2]
        monomials = []
        for t, k in terms:
            term = nodes[t]
            pairs = (((t, 1),) if term[0] == SYM else ((term[1], nodes[term[2]][1]),)
                     if term[0] == POW else tuple((b, nodes[e][1]) for b, e in term[2]))
            monomials.append((dict(pairs), k))
        common: dict[int, int] = {}
        if const == 0:
            common = dict(monomials[0][0])
            for powers, _ in monomials[1:]:
                for var in list(common):
                    e = powers.get(var)
                    if e is None:
                        del common[var]
                    elif e < common[var]:
                        common[var] = e
        sign = -1 if const <= 0 and all(k < 0 for _, k in terms) else 1
        if not common and sign == 1:
            return i
        rest: dict[int, Any] = {}
        one = self.one
        for powers, k in monomials:  # (each term's monomial made as ``mul`` makes it)
            factors = []
            for var, e in powers.items():
                e -= common.get(var, 0)
                if e:
                    factors.append((var, one if e == 1 else self.num(e)))
            if factors:
                rest[self._product(ONE, tuple(factors))] = k * sign
            else:  # (the common monomial itself: 1 once it is taken out)
                const += k
        out = self._sum(const * sign, rest)
        if sign < 0:
            out = self.mul(self.minus_one, out)
        for var, e in common.items():
            out = self.mul(out, self.pow(var, self.num(e)))
        return out

    def _over_shared(self, i: int) -> int | None:
        """``together`` of a sum whose terms share one denominator (a product of sums to
        negative powers) where the numerators add up to it, a number over a number
        (``1/(y + 1) + y/(y + 1)`` is 1); ``None`` otherwise (``_together`` says)."""
        nodes = self.nodes
        node = nodes[i]
        if node[1] != 0:
            return None
        shared = None
        above = self.zero
        for t, k in node[2]:
            term = nodes[t]
            if term[0] == POW:
                coefficient, pairs = ONE, (term[1:],)
            elif term[0] == MUL:
                coefficient, pairs = term[1], term[2]
            else:
                return None
            below, part = [], self.num(k * coefficient)
            for b, e in pairs:
                ve = nodes[e]
                if nodes[b][0] == ADD and ve[0] == NUM and ve[1] < 0:
                    below.append((b, e))
                elif nodes[b][0] == SYM and ve[0] == NUM and type(ve[1]) is int and ve[1] > 0:
                    part = self.mul(part, self.pow(b, e))
                else:
                    return None
            if shared is None:
                shared = below
            elif below != shared:
                return None
            above = self.add(above, part)
        if not shared:
            return None
        out = above
        for b, e in shared:
            out = self.mul(out, self.pow(b, e))
        return out if nodes[out][0] == NUM else None
