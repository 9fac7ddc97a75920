"""A canonical form for the formulas people read (``diff --simplify full``).

A derivative tape is rewritten into a small computer-algebra representation, then
written back as a tape for the printers.  Expressions are hash-consed tuples in one
table (``Canon``), so equal pieces are one id:

* ``(NUM, q)``: an exact rational (or a float a Python function computed);
* ``(SYM, name)``: an input, or the constant ``pi`` (``e`` is ``exp(1)``);
* ``(FN, op, args)``: a function of the table of primitives;
* ``(POW, base, exponent)``;
* ``(MUL, coefficient, ((base, exponent), …))``: n-ary, like factors collected;
* ``(ADD, constant, ((term, coefficient), …))``: n-ary, like terms collected.

Sums and products are flattened (up to ``MAX_TERMS`` a level, so long chains stay
linear), like terms and like factors collected with exact coefficients and exponents
(``x*x^(x - 1)`` is ``x^x``), ``exp(a)*exp(b)`` is ``exp(a + b)``, and ``exp``/``log``
undo each other where that is an identity on the domain (``exp(log(u)) = u`` wherever
``log(u)`` is defined).  Then ``tidy`` visits each sum once, bottom up, and keeps the
shortest of: the sum as it is, and the sum over one fraction line with its common
factors taken out, cancelled against its denominator (exact polynomial division) and
``sin² + cos² = 1`` applied.  Every rewrite is an identity wherever the input is
defined; ``tests/test_canonical.py`` checks them at random points.
"""

from __future__ import annotations

from contextlib import suppress
from fractions import Fraction
from typing import Any

from adcalc.engine.exact import _LIMIT, PI, E, Named, exact, finite, power, small
from adcalc.engine.primitives import BY_NAME, CONST, INPUT, OPCODE, PRIMITIVES
from adcalc.engine.sweeps import Symbols, adjoint
from adcalc.engine.tape import Tape

NUM, SYM, FN, POW, MUL, ADD = range(6)

MAX_TERMS = 24
"""Terms (or factors) one sum (or product) collects; beyond it a piece stays whole."""

MAX_DEPTH = 24
"""Sums within products within sums that ``expand`` opens before it gives up."""

MAX_TIDIED = 400
"""Sums longer than this (in printed symbols) are not brought over one fraction line: no
person reads them term by term, and the attempt would cost more than the rest."""

MAX_EXPANDED = 64
"""Terms a sum may have when it is brought over one fraction line and multiplied out."""

ZERO, ONE = 0, 1
_Q = (int, Fraction)
"""Exact numbers: whole ones as ``int`` (fast to hash and multiply), others ``Fraction``."""

Poly = dict[tuple, Any]
"""A sum multiplied out: monomial ``((variable id, exponent), …)`` → coefficient."""


class TooBig(Exception):
    """Multiplying out would exceed ``MAX_EXPANDED`` terms."""


_SIN, _COS, _SINH, _COSH, _EXP, _LOG, _SQRT, _SIGMOID = (
    OPCODE[n] for n in ("sin", "cos", "sinh", "cosh", "exp", "log", "sqrt", "sigmoid"))
_INVERSES = {(OPCODE[f], OPCODE[g]) for f, g in (("sin", "asin"), ("cos", "acos"),
                                                 ("tan", "atan"), ("sinh", "asinh"),
                                                 ("tanh", "atanh")) if g in OPCODE}
"""f(g(u)) = u wherever g(u) is defined."""
_CO = {(OPCODE["cos"], OPCODE["asin"]), (OPCODE["sin"], OPCODE["acos"])}
"""cos(asin(u)) = sin(acos(u)) = sqrt(1 - u^2) on [-1, 1]."""
_BASES = {2: OPCODE["log2"], 10: OPCODE["log10"]}
"""b^(log_b(u)) = u wherever log_b(u) is defined."""


_HALF, _MINUS_HALF = Fraction(1, 2), Fraction(-1, 2)
_FIRST = ((NUM, ZERO), (NUM, ONE), (NUM, -1), (NUM, _HALF))
"""The numbers every table starts with: 0, 1, -1 and 1/2 (ids 0 to 3)."""


class Canon:
    """The table of canonical expressions and the algebra that builds them."""

    def __init__(self) -> None:
        self.nodes: list[tuple] = list(_FIRST)
        self._index: dict[tuple, int] = {key: i for i, key in enumerate(_FIRST)}
        self._floats: dict[float, int] = {}
        """Each float literal's number (the rules' 1.0 and -2.0, read once)."""
        self.zero, self.one, self.minus_one, self.half = range(4)
        self.size: dict[int, int] = {}
        """``measure`` of each node (a node's printed size never changes: memoised)."""

    # -- interning --------------------------------------------------------------------
    def _intern(self, key: tuple) -> int:
        i = self._index.get(key)
        if i is None:
            i = len(self.nodes)
            self.nodes.append(key)
            self._index[key] = i
        return i

    def num(self, q: Any) -> int:
        t = type(q)
        if t is int:
            key: tuple = (NUM, q)
        elif t is Fraction:
            key = (NUM, q.numerator if q.denominator == 1 else q)
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

    def value(self, i: int) -> Any:
        """The number node ``i`` stands for, or ``None``."""
        node = self.nodes[i]
        return node[1] if node[0] == NUM else None

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
        if a == one and nb[0] != ADD:  # (1 times a sum may take its content out)
            return b
        if b == one and na[0] != ADD:
            return a
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
                    folded = power(q, eq) if type(q) in _Q and type(eq) in _Q else None
                    if folded is not None:
                        coefficient *= folded
                        continue
            elif e == one and kind == ADD:  # (x/2 + 1/4) = (2x + 1)/4
                content = self._content(node)
                if content is not None and content.denominator != 1:
                    whole = self._sum(_small(node[1] / content),
                                      {t: _small(k / content) for t, k in node[2]})
                    if whole not in out and whole not in merged:  # else left as it is
                        base = whole
                        coefficient = _small(Fraction(coefficient) * content)
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
        if len(out) > 1:
            coefficient = self._log_ratios(out, coefficient)
        return self._product(coefficient, tuple(out.items()))

    def _scaled(self, a: int, b: int) -> int | None:
        """``mul`` of number ``a`` and ``b`` where nothing but the coefficient changes (no
        sum to take content out of, no numbers to fold among the factors); ``None``
        where ``mul`` has more to do."""
        nodes = self.nodes
        k = nodes[a][1]
        if type(k) not in _Q or nodes[b][0] == ADD:
            return None
        kb, fb = self.factors(b)
        for base in fb:
            if nodes[base][0] == NUM or nodes[base][0] == ADD:
                return None
        coefficient = _coefficient(k, kb)
        if not coefficient:  # (0 or None: mul says what)
            return None
        if len(fb) > 1:
            coefficient = self._log_ratios(fb, coefficient)
        return self._product(coefficient, tuple(fb.items()))

    def _log_ratios(self, out: dict[int, int], coefficient: Any) -> Any:
        """log(8)/log(2) = 3: logarithms of powers of one whole number, in one product,
        written as multiples of the log of that number, which then cancel (``out``, the
        product's factors, is changed in place; the new coefficient is returned)."""
        if len(out) < 2:
            return coefficient
        logs = {}
        for base, e in out.items():
            node = self.nodes[base]
            ve = self.value(e)
            if node[0] == FN and node[1] == _LOG and type(ve) is int:
                q = self.value(node[2][0])
                if type(q) is int and q > 1:
                    logs[base] = _perfect_power(q) or (q, 1)
        if len({m for m, _ in logs.values()}) == len(logs):
            return coefficient  # no two share a root: nothing cancels
        k = Fraction(coefficient)
        for base, (_, power_) in logs.items():
            k *= Fraction(power_) ** self.value(out[base])
        if not small(k):  # log(8)^300/log(2)^299: a 143-digit coefficient, left as it is
            return coefficient
        roots: dict[int, int] = {}
        for base, (m, k) in logs.items():
            e = out.pop(base)
            coefficient = _small(Fraction(coefficient) * Fraction(k) ** self.value(e))
            root = self.fn(_LOG, (self.num(m),))
            roots[root] = self.add(roots[root], e) if root in roots else e
        out.update({root: e for root, e in roots.items() if e != self.zero})
        return coefficient

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
            if ve is not None and type(node[1]) in _Q and type(ve) in _Q:
                folded = power(node[1], ve)
                if folded is not None:
                    return self.num(folded)
        if node[0] == FN and node[1] == _EXP:  # (e^u)^v = e^(u·v)
            return self.fn(_EXP, (self.mul(node[2][0], e),))
        integer = type(ve) in _Q and ve.denominator == 1
        vf = self.value(node[2]) if node[0] == POW else None  # (x^1e200)^1e200 stays
        if vf is not None and ve is not None and not finite(vf * ve):
            return self._intern((POW, a, e))
        if node[0] == ADD and integer:
            content = self._content(node)  # (2x + 2)^n = 2^n·(x + 1)^n
            factor = None if content is None else power(content, ve)
            if factor is not None:  # (2^1000 has too many digits: left as it is)
                inner = self._sum(_small(node[1] / content),
                                  {t: _small(k / content) for t, k in node[2]})
                return self.mul(self.num(factor), self._intern((POW, inner, e)))
        if node[0] == POW and integer:  # (b^f)^n = b^(f·n) for an integer n
            return self.pow(node[1], self.mul(node[2], e))
        if node[0] == MUL and integer:  # (k·Π b^f)^n = k^n·Π b^(f·n)
            k = power(node[1], ve) if type(node[1]) in _Q else None
            if k is not None:
                out = self.num(k)
                for base, f in node[2]:
                    out = self.mul(out, self.pow(base, self.mul(f, e)))
                return out
        if node[0] == POW and ve is not None and self.value(node[2]) is not None:
            inner = self.value(node[2])  # (b^(1/2))^(2/3) = b^(1/3): b^f >= 0 for rational
            if type(inner) in _Q and inner.denominator % 2 == 0 and inner > 0:
                return self.pow(node[1], self.mul(node[2], e))
        return self._intern((POW, a, e))

    @staticmethod
    def _content(node: tuple) -> Fraction | None:
        """The positive rational that divides every coefficient of sum ``node`` to whole
        numbers with no common factor (2 for 2x + 2, 1/3 for x/3 + 1/3), or ``None``
        where it is 1 or a coefficient is not exact."""
        ks = [k for k in (node[1], *(k for _, k in node[2])) if k != 0]
        if not ks or not all(type(k) in _Q for k in ks):
            return None
        from math import gcd, lcm

        g, d = 0, 1
        for k in ks:  # an int has a numerator and a denominator too
            g = gcd(g, k.numerator)
            d = lcm(d, k.denominator)
        return None if g == d else Fraction(g, d)

    def fn(self, op: int, args: tuple[int, ...]) -> int:
        nodes = self.nodes
        if all(nodes[x][0] == NUM and type(nodes[x][1]) in _Q for x in args):
            from adcalc.engine.exact import fold

            values = [nodes[x][1] for x in args]
            folded = fold(PRIMITIVES[op].name, values[0],
                          values[1] if len(values) > 1 else None, None)
            if folded is not None:
                return self.num(folded)
        if op == _SQRT:
            return self.pow(args[0], self.half)
        inner = self.nodes[args[0]]
        if op == _LOG and inner[0] == FN and inner[1] == _EXP:
            return inner[2][0]  # log(exp(u)) = u
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

    def _summable(self, e1: int, e2: int) -> bool:
        """Whether two exponents combine into one that stays within range."""
        v1, v2 = self.value(e1), self.value(e2)
        return v1 is None or v2 is None or finite(v1 + v2)

    def _negative(self, i: int) -> bool:
        """Whether ``i`` is written with a leading minus (every coefficient negative)."""
        node = self.nodes[i]
        if node[0] == MUL:
            return node[1] < 0
        if node[0] == ADD:
            return node[1] <= 0 and all(k < 0 for _, k in node[2])
        return node[0] == NUM and node[1] < 0

    def _is_exp(self, i: int) -> bool:
        node = self.nodes[i]
        return node[0] == FN and node[1] == _EXP

    # -- the algebra the printers' prints_as is written against ------------------------
    def _arg(self, x: Any) -> int:
        return x if type(x) is int else self.num(x)

    def sub(self, a: Any, b: Any) -> int:
        return self.add(self._arg(a), self.mul(self.minus_one, self._arg(b)))

    def div(self, a: Any, b: Any) -> int:
        return self.mul(self._arg(a), self.pow(self._arg(b), self.minus_one))

    def neg(self, a: Any) -> int:
        return self.mul(self.minus_one, self._arg(a))

    def powc(self, a: Any, c: Any) -> int:
        return self.pow(self._arg(a), self.num(c))

    def apply(self, op: int, args: list[Any], c: Any = None) -> int:
        """Primitive ``op`` on canonical ids (or literals)."""
        xs = [x if type(x) is int else self.num(x) for x in args]
        how = _HOW[op]
        if how is None:
            return self.fn(op, tuple(xs))
        if type(how) is str:
            if how == "powc":
                return self.powc(xs[0], c)
            if how == "shift":  # softmax and logsumexp do not depend on their shift
                return self.zero
            return getattr(self, how)(*xs)
        return how(self, *xs)  # computed stably, read as the textbook writes it

    def __getattr__(self, name: str):
        prim = BY_NAME.get(name)
        if prim is None:
            raise AttributeError(name)
        op = OPCODE[name]
        apply = self.apply

        def f(*args: Any) -> int:
            return apply(op, list(args))

        setattr(self, name, f)  # made once a table
        return f

    # -- from and to tapes ------------------------------------------------------------
    def read(self, tape: Tape) -> list[int]:
        """Each node of ``tape`` as a canonical id (one loop, front to back)."""
        ops, a0, a1, consts = tape.ops, tape.a0, tape.a1, tape.consts
        out: list[int] = [0] * len(ops)
        for i, op in enumerate(ops):
            if op == INPUT:
                out[i] = self.sym(tape.input_name[i])
            elif op == CONST:
                out[i] = self.num(consts[i])
            else:
                args = [out[a0[i]]] if a1[i] < 0 else [out[a0[i]], out[a1[i]]]
                out[i] = self.apply(op, args, consts[i])
        return out

    # -- tidying ----------------------------------------------------------------------
    def tidy(self, roots: list[int]) -> list[int]:
        """``roots`` with every sum below them brought to its shortest form (one pass,
        bottom up: children have smaller ids than their parents)."""
        reach = [False] * len(self.nodes)
        for r in roots:
            reach[r] = True
        for i in range(len(self.nodes) - 1, -1, -1):
            if reach[i]:
                for child in self._children(i):
                    reach[child] = True
        done: dict[int, int] = {}
        for i in range(len(reach)):
            if reach[i]:
                done[i] = self._tidy_node(i, done)
        return [done[r] for r in roots]

    def _children(self, i: int) -> list[int]:
        node = self.nodes[i]
        kind = node[0]
        if kind == FN:
            return list(node[2])
        if kind == POW:
            return [node[1], node[2]]
        if kind in (MUL, ADD):
            return [x for pair in node[2] for x in (pair if kind == MUL else pair[:1])]
        return []

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
            if all(done[b] == b and done[e] == e for b, e in node[2]):
                out = i  # nothing below changed
            else:
                out = self.num(node[1])
                for base, e in node[2]:
                    out = self.mul(out, self.pow(done[base], done[e]))
            return self._exp_over_sum(self._sums_together(out))
        if all(done[t] == t for t, _ in node[2]):
            out = i
        else:
            out = self.num(node[1])
            for term, k in node[2]:
                out = self.add(out, self.mul(self.num(k), done[term]))
        if self.nodes[out][0] != ADD or self.measure(out) > MAX_TIDIED:
            return out
        best, best_cost = out, self.cost(out)
        for candidate in (self.together, self.factored, self._together_within):
            try:
                c = candidate(out)
            except TooBig:
                continue
            cost = self.cost(c)
            if cost <= best_cost:
                best, best_cost = c, cost
        return self._exp_over_sum(best) if best != out else best

    def _together_within(self, i: int) -> int:
        """Sum ``i`` over one fraction line after the sums inside its terms are (each
        alone may print longer so, yet the whole cancels: x/(x/(x + 1) + 1) + … )."""
        const, terms = self.terms(i)
        if not any(self._fraction_inside(b) for t in terms for b in self.factors(t)[1]):
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
                if ve is not None and type(ve) in _Q and ve < 0:
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
        out = self.num(k)
        changed = False
        for base, e in factors.items():
            if self.nodes[base][0] == ADD:
                with suppress(TooBig):
                    t = self.together(base)
                    changed |= t != base
                    base = t
            out = self.mul(out, self.pow(base, e))
        return out if changed and (always or self.cost(out) < self.cost(i)) else i

    def _exp_over_sum(self, i: int) -> int:
        """``exp(v)/(exp(v) + c)`` as ``1/(1 + c*exp(-v))`` where that prints shorter:
        the logistic loss's ``-y*exp(-y*u)/(exp(-y*u) + 1)`` is ``-y/(exp(y*u) + 1)``."""
        node = self.nodes[i]
        if node[0] != MUL or self.measure(i) > MAX_TIDIED:
            return i
        k, factors = self.factors(i)
        exps = [b for b, e in factors.items() if self._is_exp(b) and e == self.one]
        if len(exps) != 1:
            return i
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
            cost = self.cost(out)
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
            powers = [self.value(f[base]) if base in f else ZERO for f in parts]
            if all(type(p) in _Q for p in powers) and min(powers) != 0:
                common[base] = min(powers)
        if not common:
            raise TooBig
        rest = self.zero
        for term, k in terms.items():
            piece = self.mul(self.num(k), term)
            for base, e in common.items():
                piece = self.mul(piece, self.pow(base, self.num(-e)))
            rest = self.add(rest, piece)
        if self.nodes[rest][0] == ADD:
            with suppress(TooBig):
                rest = min((rest, self.together(rest)), key=self.cost)
        out = rest
        for base, e in common.items():
            out = self.mul(out, self.pow(base, self.num(e)))
        return out

    def cost(self, i: int) -> int:
        """How long ``i`` prints: every piece as often as it is written, except that a
        large piece written again is a name (``formula`` names pieces of
        ``MIN_SHARED_SIZE`` or more used twice)."""
        from adcalc.symbolic.formula import MIN_SHARED_SIZE

        seen: set[int] = set()
        stack = [i]
        total = 0
        nodes = self.nodes
        while stack:
            j = stack.pop()
            if j in seen and self.measure(j) >= MIN_SHARED_SIZE:
                total += 1
                continue
            seen.add(j)
            node = nodes[j]
            kind = node[0]
            if kind == NUM:
                q = node[1]
                total += (1 if type(q) is not Fraction else 3) + (q < 0)
            elif kind in (SYM, FN):
                total += 1
            elif kind == POW:
                total += node[2] != self.half
            elif kind == MUL:
                total += len(node[2]) - 1 + (node[1] != 1)
            else:
                total += len(node[2]) - 1 + 2 * (node[1] != 0) + sum(
                    2 * (abs(k) != 1) for _, k in node[2])
            stack.extend(self._children(j))
        return total

    def measure(self, i: int) -> int:
        """About how many symbols the printed form of ``i`` has (shared pieces count
        every time, as they print); memoised, computed in one loop."""
        size = self.size
        if i in size:
            return size[i]
        stack = [i]
        while stack:
            j = stack[-1]
            kids = [c for c in self._children(j) if c not in size]
            if kids:
                stack.extend(kids)
                continue
            stack.pop()
            if j in size:
                continue
            node = self.nodes[j]
            kind = node[0]
            if kind == NUM:
                q = node[1]
                s = 1 if type(q) is not Fraction or q.denominator == 1 else 3
                s += q < 0
            elif kind == SYM:
                s = 1
            elif kind == FN:
                s = 1 + sum(size[a] for a in node[2])
            elif kind == POW:
                s = size[node[1]] + (0 if node[2] == self.half else 1 + size[node[2]])
            elif kind == MUL:
                s = (node[1] != 1) + sum(size[b] + (0 if e == self.one else 1 + size[e])
                                         for b, e in node[2]) + len(node[2]) - 1
            else:
                s = (node[1] != 0) * 2 + sum(size[t] + 2 * (abs(k) != 1) for t, k in node[2])
                s += len(node[2]) - 1
            size[j] = min(s, 1 << 40)
        return size[i]

    # -- one fraction line ------------------------------------------------------------
    def together(self, i: int) -> int:
        """Sum ``i`` over one fraction line: multiplied out (bounded), common factors
        taken out, cancelled against the denominator, ``sin² + cos²`` = 1."""
        p = self.expand(i)
        shift: dict[int, Fraction] = {}
        for mono in p:
            for var, e in mono:
                if e < 0:
                    shift[var] = max(shift.get(var, ZERO), -e)
        if shift:
            p = self._open({_shifted(mono, shift): k for mono, k in p.items()})
        p = self.trig(p)
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
                if least:
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
        ks = [k for k in p.values() if type(k) in _Q]
        if len(ks) == len(p) and ks:
            from math import gcd, lcm

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
                p = {m: _small(Fraction(k) / content) for m, k in p.items()}
            elif content < 0:
                coefficient = Fraction(-1)
                p = {m: -k for m, k in p.items()}
        out = self.num(coefficient)
        out = self.mul(out, self.from_poly(p))
        for var, e in common.items():
            if e:
                out = self.mul(out, self.pow(var, self.num(e)))
        for var, e in shift.items():
            if e:
                out = self.mul(out, self.pow(var, self.num(-e)))
        return out

    def _open(self, p: Poly) -> Poly:
        """The sums left as variables (denominators moved up) multiplied out."""
        out: Poly = {}
        for mono, k in p.items():
            part: Poly = {(): k}
            for var, e in mono:
                if self.nodes[var][0] == ADD and type(e) is int and 0 < e <= 6:
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
        and in depth: a deeper piece is ``TooBig``, never a deep recursion)."""
        if depth > MAX_DEPTH:
            raise TooBig
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
            out = {(): node[1]}
            for base, e in node[2]:
                out = _times(out, self._expand_power(base, e, depth))
            return out
        if kind == POW:
            return self._expand_power(node[1], node[2], depth)
        return {((i, 1),): ONE}

    def _expand_power(self, base: int, e: int, depth: int) -> Poly:
        ve = self.value(e)
        if type(ve) not in _Q:
            return {((self._intern((POW, base, e)), 1),): ONE}
        if self.nodes[base][0] == ADD and ve.denominator == 1 and 0 < ve <= 6:
            b = self.expand(base, depth + 1)
            out: Poly = {(): ONE}
            for _ in range(ve.numerator):
                out = _times(out, b)
            return out
        return {((base, _small(ve)),): ONE}

    def trig(self, p: Poly) -> Poly:
        """``sin(u)^2 = 1 - cos(u)^2`` (or the other way; ``cosh² = 1 + sinh²``) where it
        makes the sum shorter."""
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

    def _is_fn(self, i: int, op: int) -> bool:
        node = self.nodes[i]
        return node[0] == FN and node[1] == op

    def write(self, roots: list[int], variables: list[str]) -> Tape:
        """A tape whose outputs are ``roots``, laid out as a person writes them: one
        fraction line, terms by degree with a positive one first, sqrt for ^(1/2)."""
        return _Writer(self, variables).write(roots)


class _Writer:
    def __init__(self, canon: Canon, variables: list[str]) -> None:
        self.c = canon
        self.tape = Tape(symbolic=True)
        for name in variables:
            self.tape.input(name)
        self.rank = {name: k for k, name in enumerate(variables)}
        self.done: dict[int, int] = {}

    def write(self, roots: list[int]) -> Tape:
        c = self.c
        reach = [False] * len(c.nodes)
        for r in roots:
            reach[r] = True
        for i in range(len(c.nodes) - 1, -1, -1):
            if reach[i]:
                for child in c._children(i):
                    reach[child] = True
        self.degrees: dict[int, Fraction] = {}
        nodes = c.nodes
        sums = any(reach[i] and nodes[i][0] == ADD for i in range(len(reach)))
        for i in range(len(reach)):  # (the degrees order a sum's terms: without one, none)
            if reach[i]:
                if sums:
                    self.degrees[i] = self._degree(i)
                self.done[i] = self._node(i)
        self.tape.outputs = [self.done[r] for r in roots]
        return self.tape.pruned()

    def _degree(self, i: int) -> Fraction:
        """The polynomial degree of ``i`` in the variables (functions count 0); its
        parts are written first, so this reads ``done``-order memo ``self.degrees``."""
        c = self.c
        node = c.nodes[i]
        kind = node[0]
        if kind == SYM:
            return ONE if node[1] in self.rank else ZERO
        if kind == POW:
            v = c.value(node[2])
            return self.degrees.get(node[1], ZERO) * v if type(v) in _Q else ZERO
        if kind == MUL:
            return sum((self.degrees.get(b, ZERO) * (c.value(e) if type(c.value(e)) in _Q
                                                     else ZERO) for b, e in node[2]), ZERO)
        if kind == ADD:
            return max(self.degrees.get(t, ZERO) for t, _ in node[2])
        return ZERO

    def _factor_key(self, base: int) -> tuple:
        node = self.c.nodes[base]
        if node[0] == SYM:
            return (0 if node[1] in self.rank else -1, self.rank.get(node[1], 0), base)
        return (1, 0, base)

    def _node(self, i: int) -> int:
        c, t = self.c, self.tape
        node = c.nodes[i]
        kind = node[0]
        if kind == NUM:
            return t.const(node[1])
        if kind == SYM:
            return t.const(PI) if node[1] == "pi" else t.input(node[1])
        if kind == FN:
            if node[1] == _EXP and node[2][0] == c.one:
                return t.const(E)
            args = [self.done[a] for a in node[2]]
            return t.node(node[1], args[0], args[1] if len(args) > 1 else -1)
        if kind == POW:
            return self._power(node[1], node[2])
        if kind == MUL:
            return self._product(node[1], node[2])
        return self._sum(node[1], node[2])

    def _power(self, base: int, e: int) -> int:
        c, t = self.c, self.tape
        v = c.value(e)
        b = self.done[base]
        if v is None:
            return t.node(OPCODE["pow"], b, self.done[e])
        if v == _HALF:
            return t.node(_SQRT, b)
        if v == _MINUS_HALF:
            return t.node(OPCODE["div"], t.const(ONE), t.node(_SQRT, b))
        if v < 0:
            return t.node(OPCODE["div"], t.const(ONE), self._power(base, c.num(-v)))
        return t.node(OPCODE["powc"], b, -1, v)

    def _positive_power(self, base: int, e: int) -> int:
        c = self.c
        v = c.value(e)
        if v is not None and v < 0:
            return self._power(base, c.num(-v))
        return self._power(base, e) if e != c.one else self.done[base]

    def _product(self, k: Any, factors: tuple) -> int:
        c, t = self.c, self.tape
        mul, div = OPCODE["mul"], OPCODE["div"]
        top: list[int] = []
        bottom: list[int] = []
        for base, e in sorted(factors, key=lambda f: self._factor_key(f[0])):
            v = c.value(e)
            (bottom if v is not None and v < 0 else top).append(self._positive_power(base, e))
        negative = k < 0
        k = -k if negative else k
        if type(k) in _Q:
            if k.numerator != 1 or not top:
                top.insert(0, t.const(k.numerator))
            if k.denominator != 1:
                bottom.insert(0, t.const(k.denominator))
        elif k != 1 or not top:
            top.insert(0, t.const(k))
        # folded from the right: x*(s*(1 - s)) prints as x*s*(1 - s), and the partials
        # x*P, w*P and P of a sigmoid share P, which can then be named once
        out = top[-1]
        for x in reversed(top[:-1]):
            out = t.node(mul, x, out)
        if bottom:
            den = bottom[-1]
            for x in reversed(bottom[:-1]):
                den = t.node(mul, x, den)
            out = t.node(div, out, den)
        return t.node(OPCODE["neg"], out) if negative else out

    def _sum(self, const: Any, terms: tuple) -> int:
        t = self.tape
        items = sorted(terms, key=lambda tk: (-self.degrees[tk[0]], self.c.measure(tk[0]),
                                              tk[0]))
        parts = [(k, term) for term, k in items]
        if const != 0:
            parts.append((const, None))
        first = next((n for n, (k, _) in enumerate(parts) if k > 0), 0)
        parts.insert(0, parts.pop(first))
        out = -1
        for k, term in parts:
            magnitude = abs(k)
            if term is None:
                piece = t.const(magnitude)
            elif magnitude == 1:
                piece = self.done[term]
            else:
                piece = self._product_of(magnitude, term)
            if out < 0:
                out = t.node(OPCODE["neg"], piece) if k < 0 else piece
            else:
                out = t.node(OPCODE["sub"] if k < 0 else OPCODE["add"], out, piece)
        return out

    def _product_of(self, k: Any, term: int) -> int:
        k2, factors = self.c.factors(term)
        return self._product(k * k2, tuple(factors.items()))


_PYTHAGORAS = (
    (_SIN, _COS, ONE, -ONE),  # sin² = 1 - cos²
    (_COS, _SIN, ONE, -ONE),  # cos² = 1 - sin²
    (_SINH, _COSH, -ONE, ONE),  # sinh² = cosh² - 1
    (_COSH, _SINH, ONE, ONE),  # cosh² = 1 + sinh²
)


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
    k = _small(k)
    return k if finite(k) else None


def _combine(a: Any, b: Any) -> Any:
    total = a + b
    return total if finite(total) else None


def _small(e: Any) -> Any:
    """A number as an ``int`` where it is whole: monomials are hashed often, and a
    ``Fraction`` hashes (and multiplies) slowly."""
    return e.numerator if type(e) is Fraction and e.denominator == 1 else e


def _shifted(mono: tuple, shift: dict[int, Any]) -> tuple:
    d = dict(mono)
    for var, s in shift.items():
        e = d.get(var, 0) + s
        if e == 0:
            d.pop(var, None)
        else:
            d[var] = _small(e)
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
    for m1, k1 in p.items():
        for m2, k2 in q.items():
            _accumulate(out, _shifted(m1, dict(m2)), k1 * k2)
    if len(out) > MAX_EXPANDED:
        raise TooBig
    return out


def divide(p: Poly, d: Poly) -> Poly | None:
    """``p / d`` when ``d`` divides ``p`` exactly (multivariate division under a graded
    order of monomials), else ``None``."""
    if not d:
        return None
    variables = sorted({v for m in (*p, *d) for v, _ in m})

    def _order(mono: tuple) -> tuple:  # graded, then lexicographic in the variables
        e = dict(mono)
        return (sum(e.values()), tuple(e.get(v, ZERO) for v in variables))

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
        k = _small(Fraction(rest[top]) / lead_k)
        _accumulate(quotient, mono, k)
        for m, c in d.items():
            _accumulate(rest, _shifted(m, dict(mono)), -k * c)
    return None


GROWTH = 1.25
"""How much larger than the tape it is given the canonical form may be (in nodes)."""

LIMIT = 2000
"""Derivative tapes larger than this keep the form the local rules give.  Measured
(``benchmarks/diff_swell.py``'s random expressions): from about 100 operations on, the
canonical form is larger than the shared tape (``GROWTH``), so above this the attempt
would only cost time (3× the whole command at 100,000 operations)."""


_HOW: list[Any] = [
    p.name if p.name in ("add", "mul", "sub", "div", "neg", "powc", "pow", "shift")
    else p.prints_as for p in PRIMITIVES]
"""How ``Canon.apply`` makes each primitive: by the method of that name, by the form
it prints as, or (``None``) as a function."""


def partials(tape: Tape, wrt: list[str]) -> Tape:
    """The first partials of each output of ``tape`` by ``wrt`` (output by output, in
    the order of ``wrt``), built in the canonical form as they are made: the adjoint
    sweep runs with ``Canon`` as its algebra, so there is no derivative tape to build,
    prune and read back.  (Whether the form is too large is the caller's to decide, as
    ``canonical`` does against the derivative tape.)"""
    c = Canon()
    ids = c.read(tape)
    sweep = _Sweep(c)
    roots: list[int] = []
    for o in tape.outputs:
        bar = adjoint(tape, ids, {o: c.one}, sweep).adjoints
        roots += [bar[tape.var_node[x]] for x in wrt]
    return c.write(c.tidy(roots), list(tape.variables))


class _Rules:
    """What the derivative rules call (``A.cos(a)``, ``A.mul(c, a)``, ``A.add(1.0, p)``)
    on a ``Canon``: an ``int`` is an expression's id, any other number a literal."""

    def __init__(self, canon: Canon) -> None:
        self.canon = canon
        add, arg = canon.add, canon._arg
        self.mul = _rules_product(canon)
        self.add = lambda a, b: add(arg(a), arg(b))

    def __getattr__(self, name: str):
        f = getattr(self.canon, name)  # sub, div, neg, powc, or a primitive by name
        setattr(self, name, f)
        return f


def _rules_product(canon: Canon) -> Any:
    """The rules' product, as the derivative tape makes it: 1·u is u, whatever u is (a
    sum keeps its terms as they are: ``Canon.mul`` would take out a fraction)."""
    mul, arg, one = canon.mul, canon._arg, canon.one

    def times(a: Any, b: Any) -> int:
        a, b = arg(a), arg(b)
        return b if a == one else a if b == one else mul(a, b)

    return times


class _Sweep(Symbols):
    """The symbolic sweeps' algebra with canonical expressions for values."""

    def __init__(self, canon: Canon) -> None:  # no tape: the Canon holds the values
        self.rules = _Rules(canon)
        self.zero = canon.zero
        self.nothing = canon.zero.__eq__
        self.scale = self.rules.mul
        self.add = canon.add


def canonical(tape: Tape) -> Tape:
    """``tape``'s outputs in the canonical form, tidied, written back as a tape; or
    ``tape`` itself where that form would be larger than ``GROWTH`` times it: a
    canonical sum or product is flat, so it cannot share its parts as a tape does (the
    200 partials of a product of 200 variables share their partial products on the tape,
    each is a product of 199 factors in canonical form)."""
    if len(tape) > LIMIT:
        return tape
    c = Canon()
    ids = c.read(tape)
    roots = c.tidy([ids[o] for o in tape.outputs])
    out = c.write(roots, list(tape.variables))
    return out if len(out) <= GROWTH * len(tape) + 8 else tape
