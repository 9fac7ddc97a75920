"""Identities beyond the polynomial ring, in the manner of Fu, Zhong & Zeng (2006) and
SymPy's ``fu``: a normal form for sums of trigonometric, hyperbolic, exponential and
logistic pieces, and the shorter forms read back from it.

``normal`` rewrites every piece into a few atoms, each step an identity wherever the
input is defined: tan = sin/cos (TR2); sin and cos of a sum or a multiple of one angle
through the angle-addition and multiple-angle formulas (TR10, TR11), each input's
angles as whole multiples of one base angle; sinh, cosh and tanh through exp;
``log(sigmoid(u)) = u - softplus(u)``, ``log(1 - sigmoid(u)) = -softplus(u)`` and
``softplus(-u) = softplus(u) - u``.  Over one fraction line, exp of a sum is a product
of powers of exp of its terms (a Laurent monomial: ``exp(x)*exp(-x)`` is 1) and every
``cos(b)^2`` is ``1 - sin(b)^2`` (TR5/TR6, in one direction: a normal form), so a sum
that is identically a constant comes out as that constant; each sum in it has its
common monomial taken out (``_reduced``), so a sum of sines or cosines in a denominator
cancels as the sum-to-product rules (TR9) would have it.  ``linear`` reads the
normal form back with products of sin and cos as sums of single sines and cosines
(TR7, TR8: ``1 - 2*sin(x)^2`` is ``cos(2*x)``) and ``exp(v)`` with ``exp(-v)`` as
cosh and sinh.  ``Tidy`` keeps whichever prints shortest.
"""

from __future__ import annotations

from contextlib import suppress
from fractions import Fraction
from math import gcd
from typing import Any

from adcalc.engine.primitives import OPCODE
from adcalc.symbolic.canonical.limits import MAX_ANGLE_PARTS, MAX_EXPANDED, MAX_MULTIPLE
from adcalc.symbolic.canonical.meet import holds, special
from adcalc.symbolic.canonical.polynomials import Poly, Polynomials, TooBig
from adcalc.symbolic.canonical.table import ADD, FN, MUL, ONE, POW, RATIONAL, ZERO

_SIN, _COS, _TAN, _SINH, _COSH, _TANH, _EXP, _LOG, _SIGMOID, _SOFTPLUS = (
    OPCODE[n] for n in ("sin", "cos", "tan", "sinh", "cosh", "tanh", "exp", "log",
                        "sigmoid", "softplus"))
_ALWAYS = {_TAN, _SINH, _COSH, _TANH}
"""Pieces the normal form always rewrites."""
_LOGISTIC = {_SIGMOID, _SOFTPLUS, _EXP}
"""Pieces it rewrites into one another (σ and softplus through exp)."""
_RATIOS = ((_SIN, _COS, _TAN), (_SINH, _COSH, _TANH))
"""sin(u)^a/cos(u)^a = tan(u)^a, sinh(u)^a/cosh(u)^a = tanh(u)^a."""
_TOPS = {top for top, _, _ in _RATIOS}


class Identities(Polynomials):
    """``normal``, ``linear`` and ``ratios``: the forms ``Tidy`` weighs beside its own
    for a sum with trigonometric, hyperbolic or logistic pieces."""

    def special(self, i: int) -> bool:
        """Whether the normal form may say more about ``i`` than the polynomial forms do
        (``meet``: sines and cosines that can combine, tan, sinh, cosh, tanh, logistic
        pieces that meet); a lone ``sin(x*y)`` is left to the others."""
        return special(self, i)

    def meets(self, i: int) -> bool:
        """Whether ``i`` holds a piece the identities work on (``meet``)."""
        return holds(self, i)

    # -- the normal form --------------------------------------------------------------
    def normal(self, i: int) -> int:
        """``i`` in the normal form (see the module's note); ``TooBig`` past a bound."""
        first = self._rewrite(i, None)
        bases: dict[int, Fraction] = {}
        owners: dict[int, set[int]] = {}  # a part of an angle -> the angles it is in
        for j in self._reachable(first):
            node = self.nodes[j]
            if node[0] == FN and node[1] in (_SIN, _COS):
                for t, k in self.terms(node[2][0])[1].items():
                    if type(k) in RATIONAL:
                        bases[t] = _fraction_gcd(bases.get(t), Fraction(k))
                        owners.setdefault(t, set()).add(node[2][0])
        # a part of one angle only is no base: sin(x + c) alone is not expanded
        bases = {t: g for t, g in bases.items() if len(owners[t]) > 1}
        out = self._rewrite(first, bases) if bases else first
        if self.nodes[out][0] not in (ADD, MUL, POW):
            return out
        self.laurent = True
        try:
            return self.together(out) if self._has_sum(out) else out
        finally:
            self.laurent = False

    def _has_sum(self, i: int) -> bool:
        return any(self.nodes[j][0] == ADD for j in self._reachable(i))

    def _reachable(self, i: int) -> list[int]:
        """The surface of ``i``: the nodes reached through sums, products and powers,
        the functions among them included but not their arguments (each argument is
        a sum ``tidy`` has already brought to its shortest on its own), in id order."""
        memo = self.__dict__.setdefault("_surfaces", {})
        found = memo.get(i)
        if found is not None:
            return found
        nodes = self.nodes
        seen = {i}
        stack = [i]
        while stack:
            j = stack.pop()
            if nodes[j][0] == FN:
                continue
            for c in self.children(j):
                if c not in seen:
                    seen.add(c)
                    stack.append(c)
        found = memo[i] = sorted(seen)
        return found

    def _rewrite(self, i: int, bases: dict[int, Fraction] | None) -> int:
        """Every piece below ``i`` rewritten, bottom up (children before parents);
        with ``bases``, sin and cos expanded into their base angles too."""
        done: dict[int, int] = {}
        nodes = self.nodes
        for j in self._reachable(i):
            node = nodes[j]
            kind = node[0]
            if kind == FN:
                logistic = self._log_sigmoid(node) if node[1] == _LOG else None
                done[j] = logistic if logistic is not None else self._rewrite_fn(
                    node[1], node[2], bases)
            elif kind == POW:
                done[j] = self.pow(done[node[1]], done[node[2]])
            elif kind == MUL:
                out = self.num(node[1])
                for base, e in node[2]:
                    out = self.mul(out, self.pow(done[base], done[e]))
                done[j] = out
            elif kind == ADD:
                out = self.num(node[1])
                for term, k in node[2]:
                    out = self.add(out, self.mul(self.num(k), done[term]))
                done[j] = self._positive_exps(self._reduced(out))
            else:
                done[j] = j
        return done[i]

    def _reduced(self, i: int) -> int:
        """Sum ``i`` with its squared cosines as ``1 - sin^2`` (``pythagoras``) and the
        monomial common to its terms taken out, where that changes it: a denominator
        ``cos(x) + cos(x)^3 - 3*sin(x)^2*cos(x)`` is ``2*cos(x)*(1 - 2*sin(x)^2)``, so
        ``together`` cancels the cos against the numerator and the rest by its gcd
        (the sum-to-product rules, TR9: ``cos(x) + cos(3*x)`` meets ``cos(2*x)``)."""
        if self.nodes[i][0] != ADD or not any(
                self._is_fn(v, _COS) for v in self._reachable(i)):
            return i
        try:
            p = self.pythagoras(self.expand(i))
        except TooBig:
            return i
        monos = [dict(m) for m in p]
        if len(monos) < 2:
            return i
        common = {v: min(m.get(v, 0) for m in monos) for v in monos[0]}
        common = {v: e for v, e in common.items() if type(e) is int and e > 0}
        out = self.from_poly({_shifted_down(m, common): k for m, k in p.items()})
        for v, e in common.items():
            out = self.mul(out, self.pow(v, self.num(e)))
        return out

    def _positive_exps(self, i: int) -> int:
        """Sum ``i`` with one term ``exp(-v)`` (v written without a minus) as
        ``exp(-v)*(… + 1)``, each term times ``exp(v)``: ``1 + exp(-x)`` is
        ``exp(-x)*(exp(x) + 1)``, so ``1/(1 + exp(-x))`` meets ``exp(x)/(exp(x) + 1)``."""
        if self.nodes[i][0] != ADD:
            return i
        const, terms = self.terms(i)
        exps = [t for t in terms if self._is_exp(t)]
        if len(exps) != 1 or not self._negative(self.nodes[exps[0]][2][0]):
            return i
        up = self.fn(_EXP, (self.neg(self.nodes[exps[0]][2][0]),))
        out = self.mul(self.num(const), up)
        for t, k in terms.items():
            out = self.add(out, self.mul(self.num(k), self.mul(t, up)))
        return self.mul(exps[0], out)

    def _log_sigmoid(self, log: tuple) -> int | None:
        """log σ(v) = -softplus(-v) = v - softplus(v); log(1 - σ(v)) = -softplus(v)
        (read on the argument as it was, before σ is rewritten through exp)."""
        node = self.nodes[log[2][0]]
        if node[0] == FN and node[1] == _SIGMOID:
            v = node[2][0]
            return self.sub(v, self.fn(_SOFTPLUS, (v,)))
        if node[0] == ADD and node[1] == 1 and len(node[2]) == 1:
            (term, k), = node[2]
            t = self.nodes[term]
            if k == -1 and t[0] == FN and t[1] == _SIGMOID:
                return self.neg(self.fn(_SOFTPLUS, (t[2][0],)))
        return None

    def _rewrite_fn(self, op: int, args: tuple[int, ...], bases: Any) -> int:
        u = args[0]
        if op == _SIGMOID:  # σ(u) = exp(u)/(exp(u) + 1)
            up = self.fn(_EXP, args)
            return self.div(up, self.add(up, self.one))
        if op == _TAN:
            return self.div(self.fn(_SIN, args), self.fn(_COS, args))
        if op in (_SINH, _COSH, _TANH):
            up, down = self.fn(_EXP, args), self.fn(_EXP, (self.neg(u),))
            if op == _SINH:
                return self.mul(self.half, self.sub(up, down))
            if op == _COSH:
                return self.mul(self.half, self.add(up, down))
            return self.div(self.sub(up, down), self.add(up, down))
        if op == _SOFTPLUS and self._negative(u):  # softplus(-v) = softplus(v) - v
            v = self.neg(u)
            return self.sub(self.fn(_SOFTPLUS, (v,)), v)
        if bases is not None and op in (_SIN, _COS):
            angle = self._angle(op, u, bases)
            if angle is not None:
                return self._reduced(angle)
        return self.fn(op, args)

    def _angle(self, op: int, u: int, bases: dict[int, Fraction]) -> int | None:
        """sin or cos of ``u`` from the sines and cosines of its base angles (the
        angle-addition and multiple-angle formulas), or ``None`` where ``u`` is a base
        angle itself or past a bound."""
        const, terms = self.terms(u)
        if len(terms) > MAX_ANGLE_PARTS or type(const) not in RATIONAL:
            return None
        parts: list[tuple[int, int]] = []
        for t, k in terms.items():
            g = bases.get(t)
            if type(k) not in RATIONAL or g is None:
                return None
            n = Fraction(k) / g
            if n.denominator != 1 or abs(n) > MAX_MULTIPLE:
                return None
            parts.append((self.mul(self.num(int_or_fraction(g)), t), int(n)))
        if const != 0:
            parts.append((self.num(const), 1))
        if len(parts) == 1 and parts[0][1] == 1:
            return None
        re, im = self.one, self.zero  # cos and sin of the angle so far
        for b, n in parts:
            c, s = self.fn(_COS, (b,)), self.fn(_SIN, (b,))
            if n < 0:
                s, n = self.neg(s), -n
            for _ in range(n):  # (re + i·im)(c + i·s)
                re, im = (self.sub(self.mul(re, c), self.mul(im, s)),
                          self.add(self.mul(re, s), self.mul(im, c)))
                re, im = self._flat(re), self._flat(im)
        return im if op == _SIN else re

    def _flat(self, i: int) -> int:
        return self.from_poly(self.expand(i)) if self.nodes[i][0] in (ADD, MUL) else i

    # -- read back: products of sines and cosines as sums ------------------------------
    def linear(self, i: int) -> int:
        """``i`` (a normal form) with each sum in it multiplied out into single sines
        and cosines of sums of base angles, and ``exp(v)`` beside ``exp(-v)`` as cosh
        and sinh; ``TooBig`` where nothing changes or past a bound."""
        node = self.nodes[i]
        whole = node[0] == ADD or (node[0] == MUL and not any(
            self.nodes[b][0] == ADD for b, _ in node[2]))
        k, factors = (ONE, {i: self.one}) if whole else self.factors(i)
        out = self.num(k)
        changed = False
        self.laurent = True
        try:
            for base, e in factors.items():
                if whole or self.nodes[base][0] == ADD:
                    p = self.expand(base)
                    with suppress(TooBig):
                        p = _fourier(self, p)
                    q = _hyperbolic(self, p)
                    if q != base:
                        base, changed = q, True
                out = self.mul(out, self.pow(base, e))
        finally:
            self.laurent = False
        if not changed:
            raise TooBig
        return out

    # -- ratios -----------------------------------------------------------------------
    def ratios(self, i: int) -> int:
        """Product ``i`` with ``sin(u)^a/cos(u)^a`` as ``tan(u)^a`` (and sinh/cosh as
        tanh): an identity wherever the input is defined."""
        node = self.nodes[i]
        if node[0] != MUL:
            return i
        nodes = self.nodes
        if not any(nodes[b][0] == FN and nodes[b][1] in _TOPS for b, _ in node[2]):
            return i  # no sin or sinh among the factors
        k, factors = self.factors(i)
        made: list[tuple[int, int]] = []  # the tangents made, multiplied in at the end
        for top, bottom, ratio in _RATIOS:
            for base, e in list(factors.items()):
                b = self.nodes[base]
                if base not in factors or b[0] != FN or b[1] != top:
                    continue
                partner = self._intern((FN, bottom, b[2]))
                f = factors.get(partner)
                if f is None or self.value(f) is None or self.value(e) is None:
                    continue
                if self.value(f) == -self.value(e):
                    del factors[base], factors[partner]
                    # (a tan(u) already among the factors keeps its own power: the two
                    # meet in ``mul``, as sin²·tan⁻²/cos² is 1, not tan²)
                    made.append((self._intern((FN, ratio, b[2])), e))
        if not made:
            return i
        out = self.num(k)
        for base, e in [*factors.items(), *made]:
            out = self.mul(out, self.pow(base, e))
        return out


def int_or_fraction(q: Fraction) -> Any:
    return q.numerator if q.denominator == 1 else q


def _fraction_gcd(a: Fraction | None, b: Fraction) -> Fraction:
    b = abs(b)
    if a is None:
        return b
    return Fraction(gcd(a.numerator * b.denominator, b.numerator * a.denominator),
                    a.denominator * b.denominator)


def _fourier(c: Identities, p: Poly) -> Poly:
    """Products of sines and cosines in ``p`` as sums of single ones (through
    ``e^(ib)``: exact rational real and imaginary parts), each ``(rest, angle)`` a
    monomial of ``rest`` times one cos or sin atom."""
    acc: dict[tuple, list] = {}  # (rest, frequencies) -> [re, im]
    found = False
    work = 0  # the terms the products multiply out into: 2^(sines and cosines) each
    for mono in p:
        work += 1 << sum(e for var, e in mono if type(e) is int and e > 0 and (
            c._is_fn(var, _SIN) or c._is_fn(var, _COS)))
    if work > MAX_EXPANDED:
        raise TooBig
    for mono, k in p.items():
        if type(k) not in RATIONAL:
            raise TooBig
        rest, waves = [], []
        for var, e in mono:
            node = c.nodes[var]
            if node[0] == FN and node[1] in (_SIN, _COS) and type(e) is int and e > 0:
                waves += [(node[1], node[2][0])] * e
            else:
                rest.append((var, e))
        found |= len(waves) > 1
        terms: dict[tuple, tuple] = {(): (Fraction(k), Fraction(0))}
        for op, b in waves:
            new: dict[tuple, tuple] = {}
            for freq, (re, im) in terms.items():
                f = dict(freq)
                for sgn in (1, -1):
                    g = dict(f)
                    g[b] = g.get(b, 0) + sgn
                    if g[b] == 0:
                        del g[b]
                    key = tuple(sorted(g.items()))
                    if op == _COS:  # (e + 1/e)/2
                        dre, dim = re / 2, im / 2
                    else:  # (e - 1/e)/(2i) = -i/2·(e - 1/e)
                        dre, dim = sgn * im / 2, -sgn * re / 2
                    ore, oim = new.get(key, (0, 0))
                    new[key] = (ore + dre, oim + dim)
            terms = new
            if len(terms) > MAX_EXPANDED:
                raise TooBig
        for freq, (re, im) in terms.items():
            slot = acc.setdefault((tuple(rest), freq), [Fraction(0), Fraction(0)])
            slot[0] += re
            slot[1] += im
    if not found:
        raise TooBig
    out: Poly = {}
    for (rest, freq), (re, im) in acc.items():
        if not freq:
            _add(out, rest, re)
            continue
        if freq[0][1] < 0:
            continue  # read with its mirror image
        mirror = tuple((b, -n) for b, n in freq)
        mre, mim = acc.get((rest, mirror), (Fraction(0), Fraction(0)))
        cos_k, sin_k = re + mre, mim - im  # A e^{iθ} + B e^{-iθ}
        angle = c.zero
        for b, n in freq:
            angle = c.add(angle, c.mul(c.num(n), b))
        if c._negative(angle):  # x - 3*x is -2*x: sin(-u) = -sin(u), cos(-u) = cos(u)
            angle, sin_k = c.neg(angle), -sin_k
        if cos_k:
            _add(out, _with(rest, c.fn(_COS, (angle,))), cos_k)
        if sin_k:
            _add(out, _with(rest, c.fn(_SIN, (angle,))), sin_k)
    return out


def _hyperbolic(c: Identities, p: Poly) -> int:
    """``a*exp(v) + b*exp(-v)`` in ``p`` as ``(a + b)*cosh(v) + (a - b)*sinh(v)``; the
    sum written out."""
    groups: dict[tuple, dict[tuple, Any]] = {}
    for mono, k in p.items():
        rest, exps = [], []
        for var, e in mono:
            (exps if c.nodes[var][0] == FN and c.nodes[var][1] == _EXP else rest).append(
                (var, e))
        groups.setdefault(tuple(rest), {})[tuple(exps)] = k
    out: Poly = {}
    for rest, waves in groups.items():
        for exps, k in waves.items():
            mirror = tuple((v, -e) for v, e in exps)
            if exps and mirror in waves and mirror != exps:
                if exps[0][1] < 0:
                    continue
                a, b = k, waves[mirror]
                angle = c.zero
                for v, e in exps:
                    angle = c.add(angle, c.mul(c.num(e), c.nodes[v][2][0]))
                if a + b:
                    _add(out, _with(rest, c.fn(_COSH, (angle,))), a + b)
                if a - b:
                    _add(out, _with(rest, c.fn(_SINH, (angle,))), a - b)
            else:
                _add(out, tuple(sorted((*rest, *exps))), k)
    return c.from_poly(out)


def _shifted_down(mono: tuple, common: dict[int, int]) -> tuple:
    return tuple((v, e - common.get(v, 0)) for v, e in mono if e != common.get(v, 0))


def _with(rest: tuple, atom: int) -> tuple:
    d = dict(rest)
    d[atom] = d.get(atom, 0) + 1
    return tuple(sorted(d.items()))


def _add(p: Poly, mono: tuple, k: Any) -> None:
    total = p.get(mono, ZERO) + k
    if total == 0:
        p.pop(mono, None)
    else:
        p[mono] = int_or_fraction(Fraction(total))

