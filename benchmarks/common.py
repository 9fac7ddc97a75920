"""Helpers shared by the benchmarks: random expressions, timing, table printing."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

UNARY = ["sin", "cos", "exp", "tanh", "sigmoid", "softplus", "atan"]
BINARY = ["+", "-", "*"]


def random_expression(nodes: int, variables: int = 4, seed: int = 0) -> str:
    """A random expression tree with about ``nodes`` operations (built in a loop).

    Leaves are variables x0..x{variables-1} and small literals; operations are safe
    everywhere (no log, sqrt or division), so any point is in the domain.
    """
    rng = random.Random(seed)
    pool = [f"x{rng.randrange(variables)}" for _ in range(max(2, nodes // 2))]
    made = 0
    while made < nodes:
        if len(pool) > 1 and rng.random() < 0.6:
            a = pool.pop(rng.randrange(len(pool)))
            b = pool.pop(rng.randrange(len(pool)))
            pool.append(f"({a} {rng.choice(BINARY)} {b})")
        else:
            k = rng.randrange(len(pool))
            inner = pool[k]
            if rng.random() < 0.3:
                inner = f"{rng.choice(['0.5', '2', '1.5'])}*{inner}"
            pool[k] = f"{rng.choice(UNARY)}({inner})"
        made += 1
    while len(pool) > 1:
        a, b = pool.pop(), pool.pop()
        pool.append(f"({a} + {b})")
    return pool[0]


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[k]) for r in rows)) for k, h in enumerate(headers)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)
