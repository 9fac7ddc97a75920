"""What the tests share: tolerances, the seed example's closed form, and the random
expressions the property and fuzz tests draw (a hypothesis strategy over the smooth
functions, and a seeded generator over every user primitive)."""

from __future__ import annotations

import math
import random

from hypothesis import strategies as st

from adcalc.frontend.build import FUNCTIONS

# -- tolerances ------------------------------------------------------------------------


def close(a: float, b: float, rel: float = 1e-12, abs_: float = 1e-12) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def ulps(a: float, b: float) -> int:
    """Distance between two doubles in units in the last place."""
    if a == b:
        return 0
    return round(abs(a - b) / math.ulp(max(abs(a), abs(b))))


# -- closed forms ----------------------------------------------------------------------

SEED = "log((x1+x2)^2 + sin(x1*x2))"


def seed_closed_form(x1: float, x2: float) -> tuple[float, float]:
    d = (x1 + x2) ** 2 + math.sin(x1 * x2)
    return ((2 * (x1 + x2) + x2 * math.cos(x1 * x2)) / d,
            (2 * (x1 + x2) + x1 * math.cos(x1 * x2)) / d)


# -- random expressions: a hypothesis strategy -----------------------------------------

VARS = ["x", "y", "z"]
SMOOTH = ["sin", "cos", "tanh", "atan", "sigmoid", "softplus", "exp", "log", "sqrt", "abs"]
OPERATORS = ["+", "-", "*", "/", "^"]


def expressions() -> st.SearchStrategy[str]:
    """Random expressions in x, y, z over common functions, operators and two-argument
    functions, up to 12 leaves."""
    leaves = st.sampled_from(VARS) | st.sampled_from(["2", "0.5", "3", "1.25"])

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        unary = st.tuples(st.sampled_from(SMOOTH), inner).map(lambda t: f"{t[0]}({t[1]})")
        binary = st.tuples(inner, st.sampled_from(OPERATORS), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})")
        two = st.tuples(st.sampled_from(["max", "min", "hypot", "atan2"]), inner, inner).map(
            lambda t: f"{t[0]}({t[1]}, {t[2]})")
        return unary | binary | two

    return st.recursive(leaves, extend, max_leaves=12)


# Finite differences need the function smooth on the scale of h: keep points on a grid
# away from 0 and the literals, where random quotients put their poles.
GRID_POINTS = st.fixed_dictionaries(
    {v: st.integers(-14, 14).map(lambda k: k / 7 + 0.0123) for v in VARS})


def full(text: str) -> str:
    """Every variable appears, so every point is a valid point."""
    return f"{text} + 0*x + 0*y + 0*z"


# -- random expressions: a seeded generator over every user primitive ------------------

UNARY = sorted(n for n, p in FUNCTIONS.items() if p.arity == 1)
BINARY = sorted(n for n, p in FUNCTIONS.items() if p.arity == 2)
LITERALS = ["2", "3", "1/2", "1/3", "2/3", "5", "pi", "e", "1/7"]


def random_expression(rng: random.Random, size: int, names: str = "xyz") -> str:
    """A random expression over every user primitive and the operators (one loop)."""
    pool = [rng.choice(names) if rng.random() < 0.75 else rng.choice(LITERALS)
            for _ in range(size + 1)]
    while len(pool) > 1:
        a = pool.pop(rng.randrange(len(pool)))
        b = pool.pop(rng.randrange(len(pool)))
        r = rng.random()
        if r < 0.45:
            pool.append(f"({a} {rng.choice('+-*/')} {b})")
        elif r < 0.55:
            pool.append(f"({a})^{rng.choice(['2', '3', '-1', '1/2', '(1/3)', '-2'])}")
        elif r < 0.85:
            pool.append(f"{rng.choice(UNARY)}({a})")
            pool.append(b)
        else:
            pool.append(f"{rng.choice(BINARY)}({a}, {b})")
    return pool[0]


def random_expressions(seed: int, count: int, size: int) -> list[str]:
    rng = random.Random(seed)
    return [random_expression(rng, rng.randint(1, size)) for _ in range(count)]


# -- a pseudo-terminal -----------------------------------------------------------------


class Terminal:
    """``python -m adcalc ARGS`` on a pseudo-terminal: ``write`` keys, ``until`` a
    pattern shows on the screen (escape sequences stripped), ``close`` for the exit
    status; ``kill`` for a test that failed half way."""

    def __init__(self, args: list[str], **env: str) -> None:
        import os
        import pty
        import sys

        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: adcalc on the terminal's side
            os.environ.update(env)
            os.execv(sys.executable, [sys.executable, "-m", "adcalc", *args])
        self.screen = b""

    def write(self, keys: bytes) -> None:
        import os

        os.write(self.fd, keys)

    def until(self, pattern: str, timeout: float = 60.0) -> str:
        import os
        import re
        import select
        import time

        end = time.monotonic() + timeout
        while time.monotonic() < end:
            text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]", "",
                          self.screen.decode(errors="replace"))
            if re.search(pattern, text):
                self.screen = b""
                return text
            ready, _, _ = select.select([self.fd], [], [], 0.2)
            if ready:
                try:
                    self.screen += os.read(self.fd, 65536)
                except OSError:
                    break
        raise AssertionError(f"{pattern!r} never appeared in {self.screen[-2000:]!r}")

    def close(self) -> int:
        import os

        try:
            _, status = os.waitpid(self.pid, 0)
            return os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
        finally:
            os.close(self.fd)

    def kill(self) -> None:
        import os
        from contextlib import suppress

        with suppress(ProcessLookupError):
            os.kill(self.pid, 9)
        with suppress(ChildProcessError, OSError):
            self.close()
