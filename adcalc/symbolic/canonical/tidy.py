"""Tidying: each sum below the roots, bottom up, brought to the shortest of its forms
(as it is, over one fraction line, with its common factors taken out), as ``cost``
measures how long each prints.
"""

from __future__ import annotations

from contextlib import suppress
from fractions import Fraction
from typing import Any

from adcalc.engine.primitives import OPCODE
from adcalc.symbolic.canonical.identities import Identities
from adcalc.symbolic.canonical.limits import MAX_TIDIED
from adcalc.symbolic.canonical.polynomials import TooBig
from adcalc.symbolic.canonical.table import ADD, FN, MUL, NUM, POW, RATIONAL, SYM, ZERO
from adcalc.symbolic.formula import MIN_SHARED_SIZE

_EXP, _SIGMOID = OPCODE["exp"], OPCODE["sigmoid"]


class Tidy(Identities):
    """``tidy`` and the candidates it weighs; ``cost`` and ``measure``, the printed sizes
    it weighs them by."""

    def tidy(self, roots: list[int], reached: list[int] | None = None) -> list[int]:
        """``roots`` with every sum below them brought to its shortest form (one pass,
        bottom up: children have smaller ids than their parents); ``reached``, the ids
        they reach (``Table.reached``), where the caller has it."""
        done: dict[int, int] = {}
        nodes = self.nodes
        for i in self.reached(roots) if reached is None else reached:
            done[i] = i if nodes[i][0] in (NUM, SYM) else self._tidy_node(i, done)
        return [done[r] for r in roots]

    def _tidy_node(self, i: int, done: dict[int, int]) -> int:
        node = self.nodes[i]
        kind = node[0]
        if kind in (NUM, SYM):
            return i
        if kind == FN:
            args = tuple(done[a] for a in node[2])
            return i if args == node[2] else self.fn(node[1], args)
        if kind == POW:
            if done[node[1]] == node[1] and done[node[2]] == node[2]:
                return i
            return self.pow(done[node[1]], done[node[2]])
        if kind == MUL:
            for b, e in node[2]:
                if done[b] != b or done[e] != e:
                    changed = True
                    break
            else:
                changed = False
            out = i  # nothing below changed
            if changed:
                out = self.num(node[1])
                for base, e in node[2]:
                    out = self.mul(out, self.pow(done[base], done[e]))
            if self.nodes[out][0] == MUL and self._plain(self.nodes[out]):
                return out  # x*y^2/(x + 1): no function, no sum to rewrite
            out = self._exp_over_sum(self._sums_together(self.ratios(out)))
            return self._product_identities(out) if self.nodes[out][0] == MUL else out
        for t, _ in node[2]:
            if done[t] != t:
                changed = True
                break
        else:
            changed = False
        if not changed:
            out = i
        else:
            out = self.num(node[1])
            for term, k in node[2]:
                out = self.add(out, self.mul(self.num(k), done[term]))
        if self.nodes[out][0] != ADD or self.measure(out) > MAX_TIDIED:
            return out
        plain = self._polynomial(out)
        if plain == "linear":
            return out
        best, best_cost = out, self.cost(out)
        for candidate in (self.together,) if plain else (
                self.together, self.factored, self._together_within):
            if self.nodes[best][0] == NUM and type(self.nodes[best][1]) in RATIONAL:
                return best  # exactly a constant: every other form is that number too
            try:
                c = candidate(out)
            except TooBig:
                continue
            cost = self.cost(c, best_cost)
            if cost <= best_cost:
                best, best_cost = c, cost
        if not plain and self.special(out) and not all(
                self._is_fn(t, _SIGMOID) for t, _ in node[2]):
            # (1 - σ(u) is as short as it gets: σ(u) is read as itself there)
            best, best_cost = self._identities(out, best, best_cost)
        return self._exp_over_sum(best) if best != out else best

    def _plain(self, node: tuple) -> bool:
        """Whether product ``node`` is of inputs, numbers and linear sums alone
        (``2*x*y^3/(x + 1)^2``): the rewritings of a product (tan, sums over one line,
        exp over a sum, the identities) each need a function among its pieces, or a sum
        that over one line is other than itself (a linear sum is itself there)."""
        nodes = self.nodes
        for b, e in node[2]:
            if nodes[e][0] not in (SYM, NUM):
                return False
            kind = nodes[b][0]
            if kind not in (SYM, NUM) and (kind != ADD or self._polynomial(b) != "linear"):
                return False
        return True

    def _product_identities(self, i: int) -> int:
        """Product ``i`` with its factors that meet (``meet``: sines and cosines of
        related angles, …) in their shortest form, the others left as they are."""
        if not self.special(i):
            return i
        k, factors = self.factors(i)
        meeting, rest = self.num(k), self.one
        for base, e in factors.items():
            piece = self.pow(base, e)
            if self.meets(base):
                meeting = self.mul(meeting, piece)
            else:
                rest = self.mul(rest, piece)
        if self.measure(meeting) > MAX_TIDIED or not self.special(meeting):
            return i
        best = self._identities(meeting, meeting, self.cost(meeting))[0]
        return i if best == meeting else self.mul(best, rest)

    def _identities(self, i: int, best: int, best_cost: int) -> tuple[int, int]:
        """The normal form of sum ``i`` (``Identities``) and the forms read back from
        it, where one prints shorter than ``best``."""
        try:
            n = self.normal(i)
        except TooBig:
            return best, best_cost
        if self.nodes[n][0] in (NUM, SYM):  # a constant, or one input: none is shorter
            return n, self.cost(n)
        candidates = [n]
        for form in (n, i):
            with suppress(TooBig):
                candidates.append(self.linear(form))
        for c in candidates:
            c = self.ratios(c)
            cost = self.cost(c, best_cost)
            if cost < best_cost:
                best, best_cost = c, cost
        return best, best_cost

    def _together_within(self, i: int) -> int:
        """Sum ``i`` over one fraction line after the sums inside its terms are (each
        alone may print longer so, yet the whole cancels: x/(x/(x + 1) + 1) + … )."""
        const, terms = self.terms(i)
        nodes = self.nodes
        if not any(self._fraction_inside(b) for t in terms for b in self.factors(t)[1]
                   if nodes[b][0] == ADD):
            raise TooBig  # no sum in a term has a fraction of its own: nothing to gain
        out = self.num(const)
        changed = False
        for term, k in terms.items():
            t = self._sums_together(term, always=True)
            changed |= t != term
            out = self.add(out, self.mul(self.num(k), t))
        if not changed or self.nodes[out][0] != ADD:
            raise TooBig
        return self.together(out)

    def _fraction_inside(self, i: int) -> bool:
        """Whether ``i`` is a sum with a term over a denominator (1/x + 1, x/(x + 1) + 1)."""
        node = self.nodes[i]
        if node[0] != ADD:
            return False
        for term, _ in node[2]:
            for e in self.factors(term)[1].values():
                ve = self.value(e)
                if ve is not None and type(ve) in RATIONAL and ve < 0:
                    return True
        return False

    def _sums_together(self, i: int, always: bool = False) -> int:
        """Product ``i`` with its sums over one fraction line where the product then
        prints shorter, though each sum alone did not: a denominator of a sum cancels
        against the other factors (``x^2*(1/x^2 + 1)`` is ``x^2 + 1``)."""
        node = self.nodes[i]
        if node[0] not in (MUL, POW) or self.measure(i) > MAX_TIDIED:
            return i
        k, factors = self.factors(i)
        together: dict[int, int] = {}  # each sum's form over one line, where it differs
        for base in factors:
            if self.nodes[base][0] == ADD:
                try:
                    t = self.together(base)
                except TooBig:
                    continue
                if t != base:
                    together[base] = t
        if not together:
            return i
        out = self.num(k)
        for base, e in factors.items():
            out = self.mul(out, self.pow(together.get(base, base), e))
        if always:
            return out
        before = self.cost(i)
        return out if self.cost(out, before) < before else i

    def _exp_over_sum(self, i: int) -> int:
        """``exp(v)/(exp(v) + c)`` as ``1/(1 + c*exp(-v))`` where that prints shorter:
        the logistic loss's ``-y*exp(-y*u)/(exp(-y*u) + 1)`` is ``-y/(exp(y*u) + 1)``."""
        node = self.nodes[i]
        if node[0] != MUL:
            return i
        exps = [b for b, e in node[2] if self._is_exp(b) and e == self.one]
        if len(exps) != 1 or self.measure(i) > MAX_TIDIED:
            return i
        k, factors = self.factors(i)
        top = exps[0]
        inverse = self.fn(_EXP, (self.neg(self.nodes[top][2][0]),))
        best, best_cost = i, self.cost(i)
        for base, e in factors.items():
            if self.nodes[base][0] != ADD or e != self.minus_one:
                continue
            const, terms = self.terms(base)
            scaled = self.mul(self.num(const), inverse)
            for term, c in terms.items():
                scaled = self.add(scaled, self.mul(self.mul(self.num(c), term), inverse))
            out = self.num(k)
            for b, f in factors.items():
                if b not in (top, base):
                    out = self.mul(out, self.pow(b, f))
            out = self.mul(out, self.pow(scaled, self.minus_one))
            cost = self.cost(out, best_cost)
            if cost < best_cost:
                best, best_cost = out, cost
        return best

    def factored(self, i: int) -> int:
        """Sum ``i`` with the factors common to its terms taken out as they stand, sums
        included, before anything is multiplied out: ``12*(3*x - 2)^3/(x + 1) - (3*x -
        2)^4/(x + 1)^2`` is ``(3*x - 2)^3*(9*x + 14)/(x + 1)^2``."""
        const, terms = self.terms(i)
        if const != 0 or len(terms) < 2:
            raise TooBig
        parts = [self.factors(t)[1] for t in terms]
        common: dict[int, Any] = {}
        for base in {b for factors in parts for b in factors}:
            # the least power in any term (0 where it is absent): a factor of every term
            # when positive, the common denominator when negative
            least = None
            for f in parts:
                if base in f:
                    p = self.value(f[base])
                    if type(p) not in RATIONAL:
                        break
                else:
                    p = ZERO
                if least is None or p < least:
                    least = p
            else:
                if least != 0:
                    common[base] = least
        if not common:
            raise TooBig
        rest = self.zero
        for term, k in terms.items():
            piece = self.mul(self.num(k), term)
            for base, e in common.items():
                piece = self.mul(piece, self.pow(base, self.num(-e)))
            rest = self.add(rest, piece)
        if self.nodes[rest][0] == ADD:
            try:
                over_one_line = self.together(rest)
            except TooBig:
                over_one_line = rest
            rest = min((rest, over_one_line), key=self.cost)
        out = rest
        for base, e in common.items():
            out = self.mul(out, self.pow(base, self.num(e)))
        return out

    def cost(self, i: int, bound: int | None = None) -> int:
        """How long ``i`` prints: every piece as often as it is written, except that a
        large piece written again is a name (``formula`` names pieces of
        ``MIN_SHARED_SIZE`` or more used twice); with ``bound``, some number above it
        as soon as the count passes it (a candidate that long is not kept)."""
        size = self.size
        if size[i] < MIN_SHARED_SIZE:  # no piece of it is named: every one counts
            return self.tree[i]
        known = self.cost_memo.get(i)
        if known is not None:  # (above ``bound`` where the count would stop: the same)
            return known
        for j in self.children(i):
            if size[j] >= MIN_SHARED_SIZE:
                break
        else:  # no part large enough to be named (sizes only grow upwards): the same
            return self.tree[i]
        seen: set[int] = set()
        stack = [i]
        total = 0
        nodes, half = self.nodes, self.half
        while stack:
            j = stack.pop()
            if j in seen and size[j] >= MIN_SHARED_SIZE:
                total += 1
                continue
            seen.add(j)
            node = nodes[j]
            kind = node[0]
            if kind == NUM:
                q = node[1]
                total += (1 if type(q) is not Fraction else 3) + (q < 0)
            elif kind == SYM:
                total += 1
            elif kind == FN:
                total += 1
                stack.extend(node[2])
            elif kind == POW:
                total += node[2] != half
                stack.append(node[1])
                stack.append(node[2])
            elif kind == MUL:
                total += len(node[2]) - 1 + (node[1] != 1)
                for pair in node[2]:
                    stack.extend(pair)
            else:
                total += len(node[2]) - 1 + 2 * (node[1] != 0)
                for t, k in node[2]:
                    if abs(k) != 1:
                        total += 2
                    stack.append(t)
            if bound is not None and total > bound:
                return total
        self.cost_memo[i] = total
        return total

    def measure(self, i: int) -> int:
        """About how many symbols the printed form of ``i`` has (shared pieces count
        every time, as they print): ``Table.size``, made with the node."""
        return self.size[i]
