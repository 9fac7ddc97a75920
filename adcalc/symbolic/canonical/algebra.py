"""The n-ary algebra that builds canonical expressions: numbers, sums, products, powers
and functions, each made in its canonical form as it is built.

Sums and products are flattened (up to ``MAX_TERMS`` a level, so long chains stay
linear), like terms and like factors collected with exact coefficients and exponents
(``x*x^(x - 1)`` is ``x^x``), ``exp(a)*exp(b)`` is ``exp(a + b)``, and ``exp``/``log``
and the inverse functions undo each other where that is an identity on the domain
(``exp(log(u)) = u`` wherever ``log(u)`` is defined).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from adcalc.engine.exact import _LIMIT, Named, exact, finite, power, small
from adcalc.engine.primitives import OPCODE, PRIMITIVES
from adcalc.symbolic.canonical.limits import MAX_TERMS
from adcalc.symbolic.canonical.signs import _ABS, _SIGN, Signs, abs_or_sign
from adcalc.symbolic.canonical.table import (
    ADD,
    FN,
    MUL,
    NUM,
    ONE,
    POW,
    RATIONAL,
    SYM,
    ZERO,
    int_if_whole,
)

_EXP, _LOG, _SQRT, _SIGMOID = (OPCODE[n] for n in ("exp", "log", "sqrt", "sigmoid"))
_INVERSES = {(OPCODE[f], OPCODE[g]) for f, g in (("sin", "asin"), ("cos", "acos"),
                                                 ("tan", "atan"), ("sinh", "asinh"),
                                                 ("tanh", "atanh")) if g in OPCODE}
"""f(g(u)) = u wherever g(u) is defined."""
_CO = {(OPCODE["cos"], OPCODE["asin"]), (OPCODE["sin"], OPCODE["acos"])}
"""cos(asin(u)) = sin(acos(u)) = sqrt(1 - u^2) on [-1, 1]."""
_BASES = {2: OPCODE["log2"], 10: OPCODE["log10"]}
"""b^(log_b(u)) = u wherever log_b(u) is defined."""
LOGS = frozenset((_LOG, *_BASES.values()))
"""log, log2 and log10: log(b^e) = e·log(b) for b > 0; each needs a positive argument."""
_SIN, _COS, _TAN = (OPCODE[n] for n in ("sin", "cos", "tan"))
_SIXTHS: dict[int, dict[int, Any]] = {
    _SIN: {0: 0, 1: Fraction(1, 2), 3: 1, 5: Fraction(1, 2), 6: 0, 7: Fraction(-1, 2),
           9: -1, 11: Fraction(-1, 2)},
    _COS: {0: 1, 2: Fraction(1, 2), 3: 0, 4: Fraction(-1, 2), 6: -1, 8: Fraction(-1, 2),
           9: 0, 10: Fraction(1, 2)},
    _TAN: {0: 0, 6: 0},
}
"""sin, cos and tan of k·π/6 (k mod 12) where the value is rational: sin(π) is 0
exactly, so x/sin(π) has no value anywhere (a float's sin(π) is 1.2e-16)."""


class Algebra(Signs):
    """The table's expressions combined: ``add``, ``sub``, ``mul``, ``div``, ``neg``,
    ``pow``, ``powc`` and ``fn`` take ids and give the id of the result in canonical
    form (``sub`` to ``powc`` take literals too, as the printers' ``prints_as`` and the
    derivative rules pass them)."""

    # -- numbers and inputs -----------------------------------------------------------
    def num(self, q: Any) -> int:
        t = type(q)
        if t is int:
            i = self._ints.get(q)
            if i is None:
                i = self._ints[q] = self._intern((NUM, q))
            return i
        if t is Fraction:
            if q.denominator == 1:
                key = (NUM, q.numerator)
            else:
                pair = (q.numerator, q.denominator)
                i = self._fractions.get(pair)
                if i is None:
                    i = self._fractions[pair] = self._intern((NUM, q))
                return i
        elif t is float:  # a literal of a tape that is not exact, a rule's 2.0: 2
            i = self._floats.get(q)
            if i is None:
                e = exact(q)
                i = self._intern((NUM, e)) if type(e) is float else self.num(e)
                self._floats[q] = i
            return i
        elif isinstance(q, Named):
            return self.sym("pi") if q.name == "pi" else self.fn(_EXP, (self.one,))
        else:
            key = (NUM, q)
        return self._intern(key)

    def sym(self, name: str) -> int:
        return self._intern((SYM, name))

    # -- views ------------------------------------------------------------------------
    def terms(self, i: int) -> tuple[Any, dict[int, Any]]:
        """``i`` as ``constant + Σ coefficient·term``."""
        node = self.nodes[i]
        kind = node[0]
        if kind == NUM:
            return node[1], {}
        if kind == ADD:
            return node[1], dict(node[2])
        if kind == MUL and node[1] != 1:
            return ZERO, {self._product(ONE, node[2]): node[1]}
        return ZERO, {i: ONE}

    def factors(self, i: int) -> tuple[Any, dict[int, int]]:
        """``i`` as ``coefficient · Π base^exponent`` (exponents are node ids)."""
        node = self.nodes[i]
        kind = node[0]
        if kind == NUM:
            return node[1], {}
        if kind == MUL:
            return node[1], dict(node[2])
        if kind == POW:
            return ONE, {node[1]: node[2]}
        return ONE, {i: self.one}

    # -- building ---------------------------------------------------------------------
    def add(self, a: int, b: int) -> int:
        if a == self.zero or b == self.zero:  # 0 + u is u where u is its own one term
            other = b if a == self.zero else a
            node = self.nodes[other]
            if node[0] != NUM and (node[0] != MUL or node[1] == 1):
                return other
        out = self._sums.get((a, b))  # (made once a diff: ``_remembered``)
        return out if out is not None else _remembered(self._sums, self._add, a, b)

    def _add(self, a: int, b: int) -> int:
        ca, ta = self.terms(a)
        cb, tb = self.terms(b)
        if len(ta) + len(tb) > MAX_TERMS:  # a long chain: the longer part stays whole
            if len(ta) >= len(tb):
                ca, ta = ZERO, {a: ONE}
            else:
                cb, tb = ZERO, {b: ONE}
        const = _combine(ca, cb)
        if const is None:
            return self._intern((ADD, ZERO, tuple(sorted({a: ONE, b: ONE}.items()))))
        merged = dict(ta)
        for term, k in tb.items():
            if term in merged:
                total = _combine(merged[term], k)
                if total is None:
                    return self._intern((ADD, ZERO, tuple(sorted({a: ONE, b: ONE}.items()))))
                if total == 0:
                    del merged[term]
                else:
                    merged[term] = total
            else:
                merged[term] = k
        return self._sum(const, merged)

    def _sum(self, const: Any, terms: dict[int, Any]) -> int:
        if not terms:
            return self.num(const)
        if const == 0 and len(terms) == 1:
            (term, k), = terms.items()
            return term if k == 1 else self.mul(self.num(k), term)
        return self._intern((ADD, const, tuple(sorted(terms.items()))))

    def mul(self, a: int, b: int) -> int:
        nodes, one = self.nodes, self.one
        if a == self.zero or b == self.zero:
            return self.zero  # a derivative's 0·x is 0, as the symbolic tape has it
        na, nb = nodes[a], nodes[b]
        if a == one or b == one:  # 1 times a sum takes out a content with a denominator
            other, node = (b, nb) if a == one else (a, na)
            if node[0] != ADD:
                return other
            content = self._content(node)
            if content is None or content.denominator == 1:
                return other
        out = self._products.get((a, b))  # (made once a diff: ``_remembered``)
        return out if out is not None else _remembered(self._products, self._mul, a, b)

    def _mul(self, a: int, b: int) -> int:
        nodes, one = self.nodes, self.one
        na, nb = nodes[a], nodes[b]
        if na[0] == NUM or nb[0] == NUM:  # a number times a product: only the coefficient
            scaled = self._scaled(a, b) if na[0] == NUM else self._scaled(b, a)
            if scaled is not None:
                return scaled
        ka, fa = self.factors(a)
        kb, fb = self.factors(b)
        coefficient = _coefficient(ka, kb)
        if coefficient is None:  # too many digits, or beyond the doubles: left as it is
            return self._intern((MUL, ONE, tuple(sorted({a: one, b: one}.items()))))
        if coefficient == 0:
            return self.zero
        if len(fa) + len(fb) > MAX_TERMS:
            if len(fa) >= len(fb):
                fa = {self._product(ONE, tuple(fa.items())): one}
            else:
                fb = {self._product(ONE, tuple(fb.items())): one}
        merged = fa
        exps = None  # the exp factors of ``fa`` (looked for when ``fb`` has one)
        for base, e in fb.items():
            node = nodes[base]
            is_exp = node[0] == FN and node[1] == _EXP
            if base in merged:
                if not self._summable(merged[base], e):  # x^1e308·x^1e308
                    return self._intern((MUL, ONE, tuple(sorted({a: one, b: one}.items()))))
                merged[base] = self.add(merged[base], e)
                continue
            if is_exp:
                if exps is None:
                    exps = [x for x in fa if self._is_exp(x)]
                if exps:  # exp(u)^a·exp(v)^b = exp(a·u + b·v)
                    other = exps[0]
                    f = merged.pop(other)
                    joined = self.fn(_EXP, (self.add(self.mul(nodes[other][2][0], f),
                                                     self.mul(node[2][0], e)),))
                    extra_k, extra = self.factors(joined)
                    coefficient *= extra_k
                    for b2, e2 in extra.items():
                        merged[b2] = self.add(merged[b2], e2) if b2 in merged else e2
                    exps = [x for x in merged if self._is_exp(x)]
                    continue
            merged[base] = e
        out: dict[int, int] = {}
        zero = self.zero
        for base, e in merged.items():
            if e == zero:
                continue
            node = nodes[base]
            kind = node[0]
            if kind == NUM:
                ne = nodes[e]
                if ne[0] == NUM:  # 2^(1/2)·2^(1/2) = 2
                    q, eq = node[1], ne[1]
                    folded = power(q, eq) if type(q) in RATIONAL and type(eq) in RATIONAL else None
                    if folded is not None:
                        coefficient *= folded
                        continue
            elif e == one and kind == ADD:  # (x/2 + 1/4) = (2x + 1)/4
                content = self._content(node)
                if content is not None and content.denominator != 1:
                    whole = self._sum(int_if_whole(node[1] / content),
                                      {t: int_if_whole(k / content) for t, k in node[2]})
                    if whole not in out and whole not in merged:  # else left as it is
                        base = whole
                        coefficient = int_if_whole(Fraction(coefficient) * content)
                        node = nodes[base]
            if e != one and node[0] == FN and node[1] == _EXP:  # exp(u)^n = exp(n·u)
                base, e = self.fn(_EXP, (self.mul(node[2][0], e),)), one
                if nodes[base][0] != FN:  # exp(0) = 1, or a number
                    k, rest = self.factors(base)
                    coefficient *= k
                    out.update(rest)
                    continue
            out[base] = e
        if coefficient == 0:
            return zero
        functions = [nodes[b][1] for b in out if nodes[b][0] == FN]  # (abs, sign, log)
        if _ABS in functions or _SIGN in functions:
            self.abs_sign(out)
        if len(out) > 1 and functions:
            coefficient = _log_ratios(self, out, coefficient)
        return self._product(coefficient, tuple(out.items()))

    def _scaled(self, a: int, b: int) -> int | None:
        """``mul`` of number ``a`` and ``b`` where nothing but the coefficient changes (no
        sum to take content out of, no numbers to fold among the factors); ``None``
        where ``mul`` has more to do."""
        nodes = self.nodes
        k = nodes[a][1]
        if type(k) not in RATIONAL or nodes[b][0] == ADD:
            return None
        kb, fb = self.factors(b)
        for base in fb:
            if nodes[base][0] == NUM or nodes[base][0] == ADD:
                return None
        coefficient = _coefficient(k, kb)
        if not coefficient:  # (0 or None: mul says what)
            return None
        if len(fb) > 1:
            coefficient = _log_ratios(self, fb, coefficient)
        return self._product(coefficient, tuple(fb.items()))

    def _product(self, k: Any, factors: tuple) -> int:
        if not factors:
            return self.num(k)
        if k == -1 and len(factors) == 1 and factors[0][1] == self.one and (
                self.nodes[factors[0][0]][0] == ADD):  # -(1 - s) is s - 1: one sign
            node = self.nodes[factors[0][0]]
            return self._sum(-node[1], {t: -c for t, c in node[2]})
        if k == 1 and len(factors) == 1:
            base, e = factors[0]
            return base if e == self.one else self._intern((POW, base, e))
        return self._intern((MUL, k, tuple(sorted(factors))))

    def pow(self, a: int, e: int) -> int:
        out = self._powers.get((a, e))  # (made once a diff: ``_remembered``)
        return out if out is not None else _remembered(self._powers, self._pow, a, e)

    def _pow(self, a: int, e: int) -> int:
        ve = self.value(e)
        if ve is not None:
            if ve == 0:
                return self.one
            if ve == 1:
                return a
        node = self.nodes[a]
        power_of = self.nodes[e]
        if node[0] == NUM and power_of[0] == FN and _BASES.get(node[1]) == power_of[1]:
            return power_of[2][0]  # 2^log2(u) = u
        if node[0] == NUM:
            if node[1] == 1:
                return self.one
            if ve is not None and type(node[1]) in RATIONAL and type(ve) in RATIONAL:
                folded = power(node[1], ve)
                if folded is not None:
                    return self.num(folded)
        if node[0] == FN and node[1] == _EXP:  # (e^u)^v = e^(u·v)
            return self.fn(_EXP, (self.mul(node[2][0], e),))
        integer = type(ve) in RATIONAL and ve.denominator == 1
        vf = self.value(node[2]) if node[0] == POW else None  # (x^1e200)^1e200 stays
        if vf is not None and ve is not None and not finite(vf * ve):
            return self._intern((POW, a, e))
        if node[0] == ADD and integer:
            content = self._content(node)  # (2x + 2)^n = 2^n·(x + 1)^n
            factor = None if content is None else power(content, ve)
            if factor is not None:  # (2^1000 has too many digits: left as it is)
                inner = self._sum(int_if_whole(node[1] / content),
                                  {t: int_if_whole(k / content) for t, k in node[2]})
                return self.mul(self.num(factor), self._intern((POW, inner, e)))
        if node[0] == FN and node[1] == _ABS and integer and ve % 2 == 0:
            return self.pow(node[2][0], e)  # |u|^(2k) = u^(2k)
        if node[0] == POW and type(ve) in RATIONAL and not integer:
            f = self.value(node[2])
            if type(f) in RATIONAL and f.denominator == 1 and f % 2 == 0 and f != 0:
                # (b^(2k))^e = |b|^(2k·e): sqrt(x^2) = abs(x)
                return self.pow(self.fn(_ABS, (node[1],)), self.num(int_if_whole(f * ve)))
            if self.nonnegative(node[1]):  # (b^f)^e = b^(f·e) for b >= 0 (where b^f
                return self.pow(node[1], self.mul(node[2], e))  # is defined)
        if (node[0] == MUL and type(ve) in RATIONAL and not integer
                and type(node[1]) in RATIONAL and node[1] > 0
                and all(self.nonnegative_factor(b, f) for b, f in node[2])):
            # (a·b)^e = a^e·b^e for a, b >= 0: the factors whose root comes out whole,
            # and the inputs whose sign f's domain fixes (sqrt(x*y) is sqrt(x)*sqrt(y)
            # where f has sqrt(x) and sqrt(y): one form, so that they cancel)
            k = power(node[1], ve)
            inside = self.num(1 if k is not None else node[1])
            out = self.num(k if k is not None else 1)
            taken = k is not None and k != 1
            for base, f in node[2]:
                vf = self.value(f)
                if (type(vf) in RATIONAL and (vf * ve).denominator == 1) or base in self.known:
                    out = self.mul(out, self.pow(self.pow(base, f), e))
                    taken = True
                else:
                    inside = self.mul(inside, self.pow(base, f))
            if taken:
                return self.mul(out, self.pow(inside, e))
        if node[0] == POW and integer:  # (b^f)^n = b^(f·n) for an integer n
            return self.pow(node[1], self.mul(node[2], e))
        if node[0] == MUL and integer:  # (k·Π b^f)^n = k^n·Π b^(f·n)
            k = power(node[1], ve) if type(node[1]) in RATIONAL else None
            if k is not None:
                out = self.num(k)
                for base, f in node[2]:
                    out = self.mul(out, self.pow(base, self.mul(f, e)))
                return out
        if node[0] == POW and ve is not None and self.value(node[2]) is not None:
            inner = self.value(node[2])  # (b^(1/2))^(2/3) = b^(1/3): b^f >= 0 for rational
            if type(inner) in RATIONAL and inner.denominator % 2 == 0 and inner > 0:
                return self.pow(node[1], self.mul(node[2], e))
        return self._intern((POW, a, e))

    def fn(self, op: int, args: tuple[int, ...]) -> int:
        nodes = self.nodes
        if all(nodes[x][0] == NUM and type(nodes[x][1]) in RATIONAL for x in args):
            from adcalc.engine.exact import fold

            values = [nodes[x][1] for x in args]
            folded = fold(PRIMITIVES[op].name, values[0],
                          values[1] if len(values) > 1 else None, None)
            if folded is not None:
                return self.num(folded)
        if op in _SIXTHS and (value := _at_sixths(nodes, self.one, op, args[0])) is not None:
            return self.num(value)  # sin(pi) is 0
        if op == _SQRT:
            return self.pow(args[0], self.half)
        if op in (_ABS, _SIGN):
            signed = abs_or_sign(self, op, args[0])
            if signed is not None:
                return signed
        inner = self.nodes[args[0]]
        if op == _LOG and inner[0] == FN and inner[1] == _EXP:
            return inner[2][0]  # log(exp(u)) = u
        if op in LOGS and inner[0] == POW and self.positive(inner[1]):
            return self.mul(inner[2], self.fn(op, (inner[1],)))  # log(b^e) = e·log(b), b > 0
        if inner[0] == FN and (op, inner[1]) in _INVERSES:
            return inner[2][0]  # sin(asin(u)) = u
        if inner[0] == FN and (op, inner[1]) in _CO:
            u = inner[2][0]
            return self.pow(self.sub(self.one, self.pow(u, self.num(2))), self.half)

        if op == _SIGMOID and self._negative(args[0]):  # σ(-u) = 1 - σ(u)
            return self.sub(self.one, self.fn(_SIGMOID, (self.neg(args[0]),)))
        if op == _EXP:
            out = self._exp_of_logs(args[0])
            if out is not None:
                return out
        return self._intern((FN, op, tuple(args)))

    def _exp_of_logs(self, u: int) -> int | None:
        """exp(u) with each ``k·log(v)`` term of ``u`` taken out as ``v^k`` (an identity
        wherever ``log(v)`` is defined), or ``None`` when there is none."""
        const, terms = self.terms(u)
        found = None
        rest = dict(terms)
        for term, k in terms.items():
            node = self.nodes[term]
            if node[0] == FN and node[1] == _LOG:
                found = self.pow(node[2][0], self.num(k)) if found is None else self.mul(
                    found, self.pow(node[2][0], self.num(k)))
                del rest[term]
        if found is None:
            return None
        remaining = self._sum(const, rest)
        if remaining == self.zero:
            return found
        return self.mul(found, self._intern((FN, _EXP, (remaining,))))

    # -- the algebra the printers' prints_as is written against ------------------------
    def as_id(self, x: Any) -> int:
        return x if type(x) is int else self.num(x)

    def sub(self, a: Any, b: Any) -> int:
        return self.add(self.as_id(a), self.mul(self.minus_one, self.as_id(b)))

    def div(self, a: Any, b: Any) -> int:
        return self.mul(self.as_id(a), self.pow(self.as_id(b), self.minus_one))

    def neg(self, a: Any) -> int:
        return self.mul(self.minus_one, self.as_id(a))

    def powc(self, a: Any, c: Any) -> int:
        return self.pow(self.as_id(a), self.num(c))


def _log_ratios(c: Algebra, out: dict[int, int], coefficient: Any) -> Any:
    """log(8)/log(2) = 3: logarithms of powers of one whole number, in one product,
    written as multiples of the log of that number, which then cancel (``out``, the
    product's factors, is changed in place; the new coefficient is returned)."""
    if len(out) < 2:
        return coefficient
    nodes = c.nodes
    for base in out:
        node = nodes[base]
        if node[0] == FN and node[1] == _LOG:
            break
    else:
        return coefficient  # no logarithm among the factors
    logs = {}
    for base, e in out.items():
        node = c.nodes[base]
        ve = c.value(e)
        if node[0] == FN and node[1] == _LOG and type(ve) is int:
            q = c.value(node[2][0])
            if type(q) is int and q > 1:
                logs[base] = _perfect_power(q) or (q, 1)
    if len({m for m, _ in logs.values()}) == len(logs):
        return coefficient  # no two share a root: nothing cancels
    k = Fraction(coefficient)
    for base, (_, power_) in logs.items():
        k *= Fraction(power_) ** c.value(out[base])
    if not small(k):  # log(8)^300/log(2)^299: a 143-digit coefficient, left as it is
        return coefficient
    roots: dict[int, int] = {}
    for base, (m, k) in logs.items():
        e = out.pop(base)
        coefficient = int_if_whole(Fraction(coefficient) * Fraction(k) ** c.value(e))
        root = c.fn(_LOG, (c.num(m),))
        roots[root] = c.add(roots[root], e) if root in roots else e
    out.update({root: e for root, e in roots.items() if e != c.zero})
    return coefficient


def _remembered(memo: dict[tuple[int, int], int], f: Any, a: int, b: int) -> int:
    """``f(a, b)``, remembered for the pair of ids: ``add``, ``mul`` and ``pow`` are each
    a function of their ids alone (the table only grows; ``Table._sums``), so each pair
    is made once a diff and looked up after."""
    out = memo[(a, b)] = f(a, b)
    return out


def _perfect_power(n: int) -> tuple[int, int] | None:
    """``(m, k)`` with ``n = m^k``, ``k >= 2`` as large as it goes, or ``None``."""
    for k in range(n.bit_length(), 1, -1):
        m = round(n ** (1 / k))
        for c in (m - 1, m, m + 1):
            if c > 1 and c**k == n:
                return c, k
    return None


def _coefficient(a: Any, b: Any) -> Any:
    """The product of two coefficients, or ``None`` where it is not kept (more than
    ``MAX_DIGITS`` digits, or beyond the doubles)."""
    k = a * b
    if type(k) is int:
        return k if -_LIMIT < k < _LIMIT else None
    k = int_if_whole(k)
    return k if finite(k) else None


def _combine(a: Any, b: Any) -> Any:
    total = a + b
    if type(total) is int:  # (``finite`` of a whole number)
        return total if -_LIMIT < total < _LIMIT else None
    return total if finite(total) else None


def _at_sixths(nodes: list[tuple], one: int, op: int, i: int) -> Any:
    """sin, cos or tan of node ``i`` where it is q·π with 6q whole and the value is
    rational (``_SIXTHS``), or tan where 4q is whole (±1 at odd quarters; at an odd
    multiple of π/2 it has none: ``domain``), else ``None``."""
    node = nodes[i]
    if node == (SYM, "pi"):
        q: Any = 1
    elif (node[0] == MUL and len(node[2]) == 1 and node[2][0][1] == one
          and nodes[node[2][0][0]] == (SYM, "pi") and type(node[1]) in RATIONAL):
        q = node[1]
    else:
        return None  # (of a number: ``fold``'s)
    six = Fraction(q) * 6
    if op == _TAN and (4 * Fraction(q)).denominator == 1:  # tan(pi/4) is 1
        return {0: 0, 1: 1, 3: -1}.get((4 * Fraction(q)).numerator % 4)
    if six.denominator != 1:
        return None
    return _SIXTHS[op].get(six.numerator % 12)
