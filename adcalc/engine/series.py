"""Truncated power series ``[u_0, …, u_K]``: their arithmetic (``Taylor``: products,
quotients, roots, exp and log, the ODE recurrences of the trigonometric, hyperbolic and
logistic pairs) and what a rule reads off one (``is_constant``, ``first_term``), over
the numbers of any scalar sweep algebra (doubles, rationals and closed forms, mpmath).
The rule of each primitive, and the sweep, are ``adcalc.engine.taylor``'s."""

from __future__ import annotations

import math
from itertools import islice
from operator import mul
from typing import Any

Series = list
"""The coefficients ``[u_0, …, u_K]`` of one node."""


class Singular(ArithmeticError):
    """The function has no Taylor series at the point (along the line)."""


def is_constant(a: Series) -> bool:
    """Whether ``a`` is constant along the line (coefficients 1…K all 0)."""
    return not any(islice(a, 1, None))


def first_term(a: Series) -> int:
    """The order of the first non-zero coefficient after 0 (``len(a)`` if none)."""
    for k in range(1, len(a)):
        if a[k]:
            return k
    return len(a)


def is_int(c: Any) -> bool:
    try:
        return bool(c == int(c))
    except (TypeError, ValueError, OverflowError):
        return False


class Taylor:
    """The context of one Taylor sweep: the scalar algebra ``F`` (its primitives on
    numbers), the order ``K``, the zero of its numbers and whether they are exact."""

    def __init__(self, S: Any, order: int) -> None:
        self.F = S.rules
        self.K = order
        self.zero = S.zero if S.zero is not None else 0.0
        self.exact = type(S).__name__ == "Exact"
        self.floats = isinstance(S.zero, float)
        self._pairs: dict[tuple[str, int], tuple[Series, Series, Series]] = {}

    def conv(self, a: Series, b: Series, k: int) -> Any:
        """Coefficient ``k`` of ``a·b``: Σ_{j=0..k} a_j·b_{k-j}."""
        return sum(map(mul, a[:k + 1], b[k::-1]), self.zero)

    def product(self, a: Series, b: Series) -> Series:
        if is_constant(b):
            b0 = b[0]
            return [x * b0 for x in a]
        if is_constant(a):
            a0 = a[0]
            return [a0 * y for y in b]
        zero = self.zero
        return [sum(map(mul, a[:k + 1], b[k::-1]), zero) for k in range(self.K + 1)]

    def square(self, a: Series) -> Series:
        """``a²`` with half the products (the convolution is symmetric)."""
        out, zero = [], self.zero
        for k in range(self.K + 1):
            h = (k + 1) // 2  # pairs a_j·a_{k-j} with j < k - j, then the middle one
            s = 2 * sum(map(mul, a[:h], a[k:k - h:-1]), zero) if h else zero
            out.append(s + a[k // 2] * a[k // 2] if k % 2 == 0 else s)
        return out

    def weighted(self, a: Series) -> Series:
        """``[0, 1·a_1, 2·a_2, …]``: the coefficients of t·a'(t)."""
        out = [j * x for j, x in enumerate(a)]
        out[0] = self.zero
        return out

    def divide(self, a: Series, b: Series, c0: Any) -> Series:
        """``a/b`` with coefficient 0 given: c_k = (a_k - Σ_{j=1..k} b_j·c_{k-j}) / b_0."""
        b0 = b[0]
        if is_constant(b):
            return [c0, *(x / b0 for x in islice(a, 1, None))]
        out = [c0]
        for k in range(1, self.K + 1):
            out.append((a[k] - sum(map(mul, b[1:k + 1], out[k - 1::-1]), self.zero)) / b0)
        return out

    def sqrt(self, a: Series, u0: Any, why: str) -> Series:
        """``sqrt(a)`` with coefficient 0 given (``u0`` != 0, else ``Singular(why)``)."""
        if not u0:
            raise Singular(why)
        out = [u0]
        two = 2 * u0
        for k in range(1, self.K + 1):
            out.append((a[k] - sum(map(mul, out[1:k], out[k - 1:0:-1]), self.zero)) / two)
        return out

    def exp(self, a: Series, u0: Any) -> Series:
        ja, out, zero = self.weighted(a), [u0], self.zero
        for k in range(1, self.K + 1):  # u' = u·a': (1/k)·Σ j·a_j·u_{k-j}, written out (hot)
            out.append(sum(map(mul, ja[1:k + 1], out[k - 1::-1]), zero) / k)
        return out

    def log(self, a: Series, u0: Any) -> Series:
        """ln(a): a·u' = a', so a_0·k·u_k = k·a_k - Σ_{j=1..k-1} j·u_j·a_{k-j}."""
        a0, out = a[0], [u0]
        ju = [self.zero]
        for k in range(1, self.K + 1):
            s = sum(map(mul, ju[1:k], a[k - 1:0:-1]), self.zero)
            out.append((a[k] - s / k) / a0)
            ju.append(k * out[k])
        return out

    def power(self, a: Series, c: Any, u0: Any) -> Series:
        """a^c for a constant c: a·u' = c·a'·u, so
        k·a_0·u_k = Σ_{j=1..k} (c·j - (k - j))·a_j·u_{k-j}."""
        K = self.K
        if c == 2:
            out = self.square(a)
            out[0] = u0
            return out
        a0 = a[0]
        if not a0:
            if not (is_int(c) and c > 0):
                raise Singular(f"x^{c} has no Taylor series where x is 0 (only whole "
                               "powers do)")
            m, n = first_term(a), int(c)  # a = t^m·rest with rest_0 != 0: u = t^(m·n)·rest^c
            if m * n > K:
                return [u0, *([self.zero] * K)]
            rest = a[m:] + [self.zero] * m
            inner = self.power(rest, c, self.F.powc(rest[0], c))
            return [u0, *([self.zero] * (m * n - 1)), *inner[:K + 1 - m * n]]
        out = [u0]
        for k in range(1, K + 1):
            s = sum((c * j - (k - j)) * a[j] * out[k - j] for j in range(1, k + 1))
            out.append(s / (k * a0))
        return out

    def pair(self, kind: str, a: Series) -> tuple[Series, Series]:
        """sin and cos (or sinh and cosh) of ``a`` together, once for both nodes."""
        key = (kind, id(a))
        got = self._pairs.get(key)
        if got is not None and got[2] is a:
            return got[0], got[1]
        F, a0 = self.F, a[0]
        if kind == "trig":
            s, c, sign = [F.sin(a0)], [F.cos(a0)], -1
        else:
            s, c, sign = [F.sinh(a0)], [F.cosh(a0)], 1
        ja, zero = self.weighted(a), self.zero
        for k in range(1, self.K + 1):
            jk = ja[1:k + 1]
            s.append(sum(map(mul, jk, c[k - 1::-1]), zero) / k)
            ck = sum(map(mul, jk, s[k - 1::-1]), zero) / k
            c.append(ck if sign > 0 else -ck)
        self._pairs[key] = (s, c, a)
        return s, c

    def riccati(self, a: Series, u0: Any, w0: Any, sign: int) -> tuple[Series, Series]:
        """u' = w·a' with w = 1 ± u² (tan: +, tanh: -); ``w0`` given (sech² computed
        stably).  Returns u and w."""
        ja, u, w, zero = self.weighted(a), [u0], [w0], self.zero
        for k in range(1, self.K + 1):
            u.append(sum(map(mul, ja[1:k + 1], w[k - 1::-1]), zero) / k)
            h = (k + 1) // 2  # u² by its symmetric half
            sq = 2 * sum(map(mul, u[:h], u[k:k - h:-1]), zero)
            if k % 2 == 0:
                sq = sq + u[h] * u[h]
            w.append(sq if sign > 0 else -sq)
        return u, w

    def logistic(self, a: Series) -> tuple[Series, Series]:
        """σ(a) and w = σ·(1 - σ), with σ' = w·a'."""
        F, a0 = self.F, a[0]
        u0 = F.sigmoid(a0)
        if self.exact:  # through exp, which exact arithmetic knows: σ(0) = 1/2
            u0 = 1 / (1 + F.exp(-a0))
            w0, slope = u0 * (1 - u0), 1 - 2 * u0
        else:  # σ(-x)·σ(x) and σ(-x) - σ(x): no cancellation for large |x|
            w0, slope = F.dsigmoid(a0), F.sigmoid(-a0) - u0
        ja, u, w, zero = self.weighted(a), [u0], [w0], self.zero
        for k in range(1, self.K + 1):
            u.append(sum(map(mul, ja[1:k + 1], w[k - 1::-1]), zero) / k)
            w.append(u[k] * slope - sum(map(mul, u[1:k], u[k - 1:0:-1]), zero))
        return u, w

    def root_one_minus_square(self, a: Series, why: str) -> Series:
        """sqrt((1 - a)(1 + a)), the series asin and acos divide by."""
        F, a0 = self.F, a[0]
        q0 = F.sqrt((1 - a0) * (1 + a0))
        sq = self.square(a)
        s = [q0 * q0, *(-x for x in islice(sq, 1, None))]
        return self.sqrt(s, q0, why)

    def scaled(self, *xs: Series) -> tuple[Any, list[Series]]:
        """The arguments scaled by a power of two so that the largest coefficient 0 is
        near 1 (doubles only: squares neither overflow nor vanish), and the scale."""
        top = max(abs(x[0]) for x in xs)
        if not self.floats or not top or 1e-100 < top < 1e100:
            return 1, list(xs)
        s = math.ldexp(1.0, -math.frexp(top)[1])
        return s, [[v * s for v in x] for x in xs]


# -- the rules: rule(T, u0, a, b, c) -> the series, with u0 = the primitive's value -----
