"""Polynomials: sums multiplied out into monomials over their non-sum pieces, and a sum
brought over one fraction line with them (``together``): common factors taken out,
cancelled against the denominator by exact division, ``sin² + cos² = 1`` applied.
Every step is bounded (``limits``): past a bound, ``TooBig``, and the sum stays as it is.
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd, lcm
from typing import Any

from adcalc.engine.primitives import OPCODE
from adcalc.symbolic.canonical.limits import MAX_DEPTH, MAX_EXPANDED, MAX_EXPANDED_POWER
from adcalc.symbolic.canonical.one_line import OneLine
from adcalc.symbolic.canonical.rational import common_factor
from adcalc.symbolic.canonical.table import (
    ADD,
    FN,
    MUL,
    NUM,
    ONE,
    POW,
    RATIONAL,
    ZERO,
    int_if_whole,
)

Poly = dict[tuple, Any]
"""A sum multiplied out: monomial ``((variable id, exponent), …)`` → coefficient."""


class TooBig(Exception):
    """Multiplying out would exceed ``MAX_EXPANDED`` terms (or ``MAX_DEPTH``); ``Tidy``
    raises it too for a candidate form that does not apply.  Either way the sum is
    left as it is."""


_SIN, _COS, _SINH, _COSH, _EXP = (OPCODE[n] for n in ("sin", "cos", "sinh", "cosh", "exp"))
_PYTHAGORAS = (
    (_SIN, _COS, ONE, -ONE),  # sin² = 1 - cos²
    (_COS, _SIN, ONE, -ONE),  # cos² = 1 - sin²
    (_SINH, _COSH, -ONE, ONE),  # sinh² = cosh² - 1
    (_COSH, _SINH, ONE, ONE),  # cosh² = 1 + sinh²
)
_SQUARES = {square for square, *_ in _PYTHAGORAS}


class Polynomials(OneLine):
    """Sums multiplied out (``expand``), written back (``from_poly``), and brought over
    one fraction line (``together``)."""

    laurent = False
    """Set while the normal form (``Identities``) is built: exp of a sum is a product of
    powers of exp of its terms, exp to a negative power is no denominator (it is never
    0), and every ``cos(b)^2`` is ``1 - sin(b)^2``."""

    def together(self, i: int) -> int:
        """Sum ``i`` over one fraction line: multiplied out (bounded), common factors
        taken out, cancelled against the denominator, ``sin² + cos²`` = 1."""
        key = (i, self.laurent)
        memo = self.together_memo
        if key in memo:
            out = memo[key]
            if out is None:
                raise TooBig
            return out
        try:
            plain = self._polynomial(i) if self.nodes[i][0] == ADD else None
            out = (i if plain == "linear" else self._monomial_out(i) if plain
                   else self._over_shared(i) or self._together(i))
        except TooBig:
            memo[key] = None
            raise
        memo[key] = out
        return out

    def _together(self, i: int) -> int:
        p = self.expand(i)
        shift: dict[int, Fraction] = {}
        for mono in p:
            for var, e in mono:
                if e < 0 and not (self.laurent and self._is_exp(var)):
                    shift[var] = max(shift.get(var, ZERO), -e)
        if shift:
            p = self._open({_shifted(mono, shift): k for mono, k in p.items()})
        p = self.pythagoras(p) if self.laurent else self.trig(p)
        extra: dict[int, Any] = {}  # denominators a gcd split a denominator into
        for var in list(shift):
            if shift[var] <= 0:
                continue
            if self.nodes[var][0] == ADD:
                try:
                    d = self.expand(var)
                except TooBig:
                    continue
                if any(e < 0 or type(e) is not int for m in d for _, e in m):
                    continue
                while shift[var] >= 1:
                    q = divide(p, d)
                    if q is None:
                        break
                    p = q
                    shift[var] -= 1
                # (a denominator of degree 1 has no proper factor: it divides whole or not;
                # one to a fractional power is not split: (g*h)^(3/2) is g^(3/2)*h^(3/2)
                # only where g and h are positive, and (x + 1)^2 is g*h with both x + 1)
                whole = Fraction(shift[var]).denominator == 1
                if shift[var] >= 1 and whole and any(sum(e for _, e in m) > 1 for m in d):
                    p = self._cancel_gcd(p, d, var, shift, extra)
                if shift[var] >= 1 and self.laurent:
                    p = self._cancel_conjugate(p, d, var, shift)
            elif self.laurent and self._is_fn(var, _COS):
                p = self._cancel_cos(p, var, shift)
        # common factors (a variable in every term: its least power) and content
        common: dict[int, Fraction] = {}
        monos = list(p)
        if monos:
            first = dict(monos[0])
            for var, e in first.items():
                least = e
                for m in monos[1:]:
                    em = dict(m).get(var)
                    if em is None:
                        least = None
                        break
                    least = min(least, em)
                if least and not (self.laurent and self._is_exp(var)):
                    common[var] = least
        if common:  # taken out of every term (all of it, before it meets the denominator)
            p = {_shifted(m, {v: -e for v, e in common.items()}): k for m, k in p.items()}
        for var, e in list(common.items()):  # then cancelled against the denominator
            s = shift.get(var, ZERO)
            if s > 0:
                t = min(s, e)
                shift[var] = s - t
                common[var] = e - t
        coefficient = ONE
        whole = negative = bool(p)
        for k in p.values():
            if type(k) is not int:
                whole = False
                break
            if k >= 0:
                negative = False
        if whole:  # whole coefficients: the content is whole, so only its sign comes out
            if negative and len(p) > 1:
                coefficient = -1
                p = {m: -k for m, k in p.items()}
            ks = []
        else:
            ks = [k for k in p.values() if type(k) in RATIONAL]
        if len(ks) == len(p) and ks:
            g = ks[0].numerator
            den = ks[0].denominator
            for k in ks[1:]:
                g = gcd(g, k.numerator)
                den = lcm(den, k.denominator)
            content = Fraction(g, den)
            if all(k < 0 for k in ks):
                content = -content
            if content != 1 and len(p) > 1 and content.denominator != 1:
                coefficient = content
                p = {m: int_if_whole(Fraction(k) / content) for m, k in p.items()}
            elif content < 0:
                coefficient = Fraction(-1)
                p = {m: -k for m, k in p.items()}
        out = self.num(coefficient)
        out = self.mul(out, self.from_poly(p))
        for var, e in common.items():
            if e:
                out = self.mul(out, self.pow(var, self.num(e)))
        for var, e in (*shift.items(), *extra.items()):
            if e:
                out = self.mul(out, self.pow(var, self.num(-e)))
        return out

    def _cancel_gcd(self, p: Poly, d: Poly, var: int, shift: dict, extra: dict) -> Poly:
        """``p / var^s`` (``d``, ``var`` multiplied out) with their greatest common divisor
        cancelled: ``var`` is split into ``g*h``, and ``g`` divides ``p`` as often as it
        goes; the denominators left are added to ``extra``."""
        g = common_factor(p, d)
        if g is None:
            return p
        h = divide(d, g)
        if h is None:
            return p
        s = shift[var]
        left = s
        while left > 0:
            q = divide(p, g)
            if q is None:
                break
            p, left = q, left - 1
        shift[var] = 0
        for poly, e in ((g, left), (h, s)):
            if e:
                piece = self.from_poly(poly)
                extra[piece] = extra.get(piece, 0) + e
        return p

    def _cancel_conjugate(self, p: Poly, d: Poly, var: int, shift: dict) -> Poly:
        """``p / var^s`` where ``var`` is ``d = a + cos(b)*c`` (``a``, ``c`` free of
        cos(b)) with the conjugate ``a - cos(b)*c`` written above and below:
        ``d*(a - cos(b)*c) = a^2 - (1 - sin(b)^2)*c^2`` is free of cos(b), and what it
        shares with the numerator cancels (``cos(2*x)/(cos(x) - sin(x))`` is
        ``cos(x) + sin(x)``) where all of it does; ``p`` as it was elsewhere."""
        s = shift[var]
        coss = {v for m in d for v, _ in m if self._is_fn(v, _COS)}
        if Fraction(s).denominator != 1 or len(coss) != 1:
            return p
        (c,) = coss
        if any(dict(m).get(c, 0) not in (0, 1) for m in d):
            return p
        conjugate = {m: -k if c in dict(m) else k for m, k in d.items()}
        try:
            below = self.pythagoras(_times(d, conjugate))
            above = p
            for _ in range(int(s)):
                above = self.pythagoras(_times(above, conjugate))
        except TooBig:
            return p
        if any(c in dict(m) for m in below):
            return p
        # only where all of it cancels: a denominator left over could vanish where the
        # conjugate does and d does not, outside the domain the input has
        g = common_factor(above, below)
        h = None if g is None else divide(below, g)
        if h is None or set(h) != {()}:
            return p
        for _ in range(int(s)):
            q = divide(above, g)
            if q is None:
                return p
            above = q
        shift[var] = 0
        return {m: int_if_whole(Fraction(k) / Fraction(h[()]) ** int(s))
                for m, k in above.items()}

    def _cancel_cos(self, p: Poly, var: int, shift: dict) -> Poly:
        """``p / cos(b)^s`` with ``cos(b)`` divided out of ``p`` as often as it goes
        (``p`` is reduced: each monomial has cos(b) to the power 0 or 1, ``A + cos*B``,
        and cos divides it when ``1 - sin^2`` divides ``A``)."""
        sin = self._intern((FN, _SIN, self.nodes[var][2]))
        d: Poly = {(): ONE, ((sin, 2),): -ONE}
        while shift[var] >= 1:
            a = {m: k for m, k in p.items() if var not in dict(m)}
            q = divide(a, d) if a else {}
            if q is None:
                break
            out: Poly = {}
            for m, k in p.items():
                if var in dict(m):
                    _accumulate(out, _shifted(m, {var: -1}), k)
            for m, k in q.items():
                _accumulate(out, _shifted(m, {var: 1}), k)
            p = self.pythagoras(out)
            shift[var] -= 1
        return p

    def _open(self, p: Poly) -> Poly:
        """The sums left as variables (denominators moved up) multiplied out."""
        out: Poly = {}
        nodes = self.nodes
        for mono, k in p.items():
            for var, e in mono:  # (a monomial with no sum in it stays as it is)
                if nodes[var][0] == ADD or (type(e) is Fraction and e.denominator == 1):
                    break
            else:
                _accumulate(out, mono, k * ONE)
                continue
            part: Poly = {(): k}
            for var, e in mono:
                if self.nodes[var][0] == ADD and type(e) is int and 0 < e <= MAX_EXPANDED_POWER:
                    part = _times(part, self._expand_power(var, self.num(e), 0))
                else:
                    part = _times(part, {((var, e),): ONE})
            for m, c in part.items():
                _accumulate(out, m, c)
        if len(out) > MAX_EXPANDED:
            raise TooBig
        return out

    def from_poly(self, p: Poly) -> int:
        out = self.zero
        for mono, k in p.items():
            term = self.num(k)
            for var, e in mono:
                term = self.mul(term, self.pow(var, self.num(e)))
            out = self.add(out, term)
        return out

    def expand(self, i: int, depth: int = 0) -> Poly:
        """``i`` multiplied out into monomials over its non-sum pieces (bounded in size
        and in depth: a deeper piece is ``TooBig``, never a deep recursion).  A sum or
        product met again (a denominator in every monomial) is copied from the first
        time, when that was at this depth or deeper."""
        if depth > MAX_DEPTH:
            raise TooBig
        key = (i, self.laurent)
        known = self.expand_memo.get(key)
        if known is not None and known[1] >= depth:
            return dict(known[0])
        out = self._expand(i, depth)
        if self.nodes[i][0] in (ADD, MUL, POW):
            self.expand_memo[key] = (dict(out), depth)
        return out

    def _expand(self, i: int, depth: int) -> Poly:
        node = self.nodes[i]
        kind = node[0]
        if kind == NUM:
            return {(): node[1]} if node[1] != 0 else {}
        if kind == ADD:
            out: Poly = {(): node[1]} if node[1] != 0 else {}
            for term, k in node[2]:
                for mono, c in self.expand(term, depth + 1).items():
                    _accumulate(out, mono, c * k)
            if len(out) > MAX_EXPANDED:
                raise TooBig
            return out
        if kind == MUL:
            mono = self._monomial(node)
            if mono is not None:
                return {mono: node[1]}
            out = {(): node[1]}
            for base, e in node[2]:
                out = _times(out, self._expand_power(base, e, depth))
            return out
        if kind == POW:
            return self._expand_power(node[1], node[2], depth)
        if self.laurent and kind == FN and node[1] == _EXP:
            return self._exp_monomial(i)
        return {((i, 1),): ONE}

    def _monomial(self, node: tuple) -> tuple | None:
        """Product ``node`` as one monomial where it is one already (no sum among its
        factors, every exponent a rational number); else ``None``."""
        if node[1] == 0:
            return None
        nodes = self.nodes
        mono = []
        for base, e in node[2]:
            ne = nodes[e]
            if nodes[base][0] == ADD or ne[0] != NUM or type(ne[1]) not in RATIONAL:
                return None
            mono.append((base, int_if_whole(ne[1])))
        return tuple(sorted(mono))

    def _exp_monomial(self, i: int) -> Poly:
        """exp(c + Σ k·t) as the monomial exp(c)·Π exp(t)^k (for rational k)."""
        const, terms = self.terms(self.nodes[i][2][0])
        mono: dict[int, Any] = {}
        rest = {}
        for t, k in terms.items():
            if type(k) in RATIONAL:
                mono[self._intern((FN, _EXP, (t,)))] = k
            else:
                rest[t] = k
        if const != 0 or rest:
            mono[self.fn(_EXP, (self._sum(const, rest),))] = ONE
        return {tuple(sorted(mono.items())): ONE}

    def pythagoras(self, p: Poly) -> Poly:
        """Every ``cos(b)^n`` with ``n >= 2`` written with ``cos(b)^2 = 1 - sin(b)^2``:
        a cos to the power 0 or 1 in each monomial, the normal form modulo Pythagoras."""
        out: Poly = {}
        pending = list(p.items())
        while pending:
            mono, k = pending.pop()
            for var, e in mono:
                if type(e) is int and e >= 2 and self._is_fn(var, _COS):
                    partner = self._intern((FN, _SIN, self.nodes[var][2]))
                    rest = _shifted(mono, {var: -2})
                    pending.append((rest, k))
                    pending.append((_shifted(rest, {partner: 2}), -k))
                    break
            else:
                _accumulate(out, mono, k)
            if len(pending) + len(out) > 4 * MAX_EXPANDED:
                raise TooBig
        return out

    def _expand_power(self, base: int, e: int, depth: int) -> Poly:
        ve = self.value(e)
        if type(ve) not in RATIONAL:
            return {((self._intern((POW, base, e)), 1),): ONE}
        if self.nodes[base][0] == ADD and ve.denominator == 1 and 0 < ve <= MAX_EXPANDED_POWER:
            b = self.expand(base, depth + 1)
            out: Poly = {(): ONE}
            for _ in range(ve.numerator):
                out = _times(out, b)
            return out
        return {((base, int_if_whole(ve)),): ONE}

    def trig(self, p: Poly) -> Poly:
        """``sin(u)^2 = 1 - cos(u)^2`` (or the other way; ``cosh² = 1 + sinh²``) where it
        makes the sum shorter."""
        nodes = self.nodes
        for m in p:
            for v, e in m:
                node = nodes[v]
                if node[0] == FN and node[1] in _SQUARES and e >= 2:
                    break
            else:
                continue
            break
        else:
            return p  # no sin, cos, sinh or cosh squared: nothing to rewrite
        best = p
        for square, other, constant, partner_sign in _PYTHAGORAS:
            found = {v for m in best for v, e in m if e >= 2 and self._is_fn(v, square)}
            for v in found:
                partner = self._intern((FN, other, self.nodes[v][2]))
                out: Poly = {}
                for mono, k in best.items():
                    d = dict(mono)
                    e = d.get(v, ZERO)
                    if type(e) is int and e >= 2:
                        d[v] = e - 2
                        if d[v] == 0:
                            del d[v]
                        rest = tuple(sorted(d.items()))
                        _accumulate(out, rest, k * constant)
                        _accumulate(out, _shifted(rest, {partner: 2}),
                                    k * partner_sign)
                    else:
                        _accumulate(out, mono, k)
                if len(out) < len(best):
                    best = out
        return best


def _shifted(mono: tuple, shift: dict[int, Any]) -> tuple:
    d = dict(mono)
    for var, s in shift.items():
        e = d.get(var, 0) + s
        if e == 0:
            d.pop(var, None)
        else:
            d[var] = int_if_whole(e)
    return tuple(sorted(d.items()))


def _accumulate(p: Poly, mono: tuple, k: Any) -> None:
    total = p.get(mono, ZERO) + k
    if total == 0:
        p.pop(mono, None)
    else:
        p[mono] = total


def _times(p: Poly, q: Poly) -> Poly:
    if len(p) * len(q) > MAX_EXPANDED * 8:
        raise TooBig
    out: Poly = {}
    get = out.get
    for m1, k1 in p.items():
        for m2, k2 in q.items():
            d = dict(m1)
            for var, s in m2:
                e = d.get(var, 0) + s
                if e == 0:
                    d.pop(var, None)
                else:
                    d[var] = int_if_whole(e)
            mono = tuple(sorted(d.items()))
            total = get(mono, ZERO) + k1 * k2
            if total == 0:
                out.pop(mono, None)
            else:
                out[mono] = total
    if len(out) > MAX_EXPANDED:
        raise TooBig
    return out


def divide(p: Poly, d: Poly) -> Poly | None:
    """``p / d`` when ``d`` divides ``p`` exactly (multivariate division under a graded
    order of monomials), else ``None``."""
    if not d:
        return None
    variables = sorted({v for m in (*p, *d) for v, _ in m})
    orders: dict[tuple, tuple] = {}

    def _order(mono: tuple) -> tuple:  # graded, then lexicographic in the variables
        key = orders.get(mono)
        if key is None:
            e = dict(mono)
            key = orders[mono] = (sum(e.values()), tuple(e.get(v, ZERO) for v in variables))
        return key

    lead = max(d, key=_order)
    lead_k = d[lead]
    rest = dict(p)
    quotient: Poly = {}
    for _ in range(4 * MAX_EXPANDED):
        if not rest:
            return quotient
        top = max(rest, key=_order)
        step = dict(top)
        for var, e in lead:
            left = step.get(var, ZERO) - e
            if left < 0:
                return None
            if left == 0:
                step.pop(var, None)
            else:
                step[var] = left
        mono = tuple(sorted(step.items()))
        a = rest[top]
        if type(a) is int and type(lead_k) is int:  # (Fraction(a) / lead_k, made whole)
            k = a // lead_k if a % lead_k == 0 else Fraction(a, lead_k)
        else:
            k = int_if_whole(Fraction(a) / lead_k)
        _accumulate(quotient, mono, k)
        by = dict(mono)
        for m, c in d.items():
            _accumulate(rest, _shifted(m, by), -k * c)
    return None
