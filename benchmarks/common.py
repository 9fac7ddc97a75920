"""Helpers shared by the benchmarks: random expressions, timing, table printing."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

BOUNDED = ["sin", "cos", "tanh", "sigmoid", "atan"]
BINARY = ["+", "-", "*"]


def random_expression(nodes: int, variables: int = 4, seed: int = 0) -> str:
    """A random expression tree of about ``nodes`` operations (built in a loop).

    Leaves are variables x0..x{variables-1}; every binary step is wrapped in a bounded
    function (sin, cos, tanh, sigmoid, atan), so values stay near 1 at any size and any
    point in [-1, 1] is in the domain.  The tree is random and balanced-ish (depth about
    log n), so gradients neither vanish nor explode and every sweep does its full work.
    """
    rng = random.Random(seed)
    pool = [f"x{rng.randrange(variables)}" for _ in range(max(2, nodes // 2))]
    made = 0
    while made < nodes and len(pool) > 1:
        a = pool.pop(rng.randrange(len(pool)))
        b = pool.pop(rng.randrange(len(pool)))
        op = rng.choice(BINARY) if a != b else "+"  # x - x is 0 and hides work
        pool.append(f"{rng.choice(BOUNDED)}({a} {op} {b})")
        made += 2
    while len(pool) > 1:
        a, b = pool.pop(), pool.pop()
        pool.append(f"({a} + {b})")
    return pool[0]


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def best_of(fn: Callable[[], Any], repeat: int = 5) -> float:
    """The fastest of ``repeat`` runs after one warm-up, in seconds."""
    fn()
    return min(timed(fn)[0] for _ in range(repeat))


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[k]) for r in rows)) for k, h in enumerate(headers)]
    first = max(len(headers[0]), *(len(r[0]) for r in rows))
    widths[0] = first
    lines = ["  ".join(h.ljust(w) if k == 0 else h.rjust(w)
                       for k, (h, w) in enumerate(zip(headers, widths, strict=True)))]
    lines += ["  ".join(c.ljust(w) if k == 0 else c.rjust(w)
                        for k, (c, w) in enumerate(zip(r, widths, strict=True))) for r in rows]
    return "\n".join(lines)
