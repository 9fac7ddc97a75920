"""Batch gradient of the seed function at 10^6 points: adcalc vs its peers.

    python benchmarks/batch_gradient.py [--points 1000000] [--repeat 5]

Side by side in one run, best of --repeat: adcalc's array code (the primal and adjoint
sweeps recorded once and run in cache-sized pieces on one and on two threads, as
``--points`` sweeps), the walks over NumPy arrays it replaced, the hand-written NumPy closed-form
gradient (the limit), and, where installed, numexpr (the closed form on two threads),
PyTorch autograd, JAX jit(vmap(grad)) and sympy's lambdify(diff).  Every result is
checked against the closed form before it is timed.  Target: adcalc's sweep at or below
JAX's time.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import best_of, table

from adcalc.batch.sweep import sweep_arrays
from adcalc.engine.sweeps import Arrays, adjoint, primal
from adcalc.frontend.parse import parse

SEED = "log((x1+x2)^2 + sin(x1*x2))"


def closed_form(x1: np.ndarray, x2: np.ndarray) -> tuple:
    s, p = x1 + x2, x1 * x2
    d = s * s + np.sin(p)
    c = np.cos(p)
    return np.log(d), (2 * s + x2 * c) / d, (2 * s + x1 * c) / d


def walked(tape, cols: dict, piece: int = 1 << 15) -> tuple:
    """What ``--points`` ran before the array code: the walks of ``adcalc.sweeps`` over
    the ``Arrays`` algebra, in pieces of 32,768 rows on one thread."""
    n = len(cols["x1"])
    g = np.empty(n), np.empty(n)
    for s in range(0, n, piece):
        part = {k: c[s:s + piece] for k, c in cols.items()}
        S = Arrays(len(part["x1"]))
        bar = adjoint(tape, primal(tape, part, S), {tape.output: 1.0}, S).adjoints
        g[0][s:s + piece], g[1][s:s + piece] = bar[tape.var_node["x1"]], bar[tape.var_node["x2"]]
    return g


def peers(x1: np.ndarray, x2: np.ndarray) -> dict:
    """Callables for the peers that are installed (each returns (g1, g2))."""
    found = {}
    try:
        import numexpr as ne

        ne.set_num_threads(2)

        def numexpr_grad() -> tuple:
            v = {"x1": x1, "x2": x2}
            v["s"] = ne.evaluate("x1 + x2", local_dict=v)
            v["p"] = ne.evaluate("x1 * x2", local_dict=v)
            v["d"] = ne.evaluate("s * s + sin(p)", local_dict=v)
            v["c"] = ne.evaluate("cos(p)", local_dict=v)
            return (ne.evaluate("(2 * s + x2 * c) / d", local_dict=v),
                    ne.evaluate("(2 * s + x1 * c) / d", local_dict=v))

        found["numexpr (closed form, 2 threads)"] = numexpr_grad
    except ImportError:
        pass
    try:
        import torch

        t1, t2 = torch.from_numpy(x1), torch.from_numpy(x2)

        def torch_grad() -> tuple:
            a, b = t1.clone().requires_grad_(), t2.clone().requires_grad_()
            f = torch.log((a + b) ** 2 + torch.sin(a * b))
            f.sum().backward()
            return a.grad.numpy(), b.grad.numpy()

        found["PyTorch autograd"] = torch_grad
    except ImportError:
        pass
    try:
        import jax

        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp

        g = jax.jit(jax.vmap(jax.grad(lambda a, b: jnp.log((a + b) ** 2 + jnp.sin(a * b)),
                                      argnums=(0, 1))))
        j1, j2 = jnp.asarray(x1), jnp.asarray(x2)

        def jax_grad() -> tuple:
            a, b = g(j1, j2)
            return np.asarray(a.block_until_ready()), np.asarray(b)

        found["JAX jit(vmap(grad))"] = jax_grad
    except ImportError:
        pass
    try:
        import sympy

        s1, s2 = sympy.symbols("x1 x2")
        f = sympy.log((s1 + s2) ** 2 + sympy.sin(s1 * s2))
        d = sympy.lambdify((s1, s2), [sympy.diff(f, s1), sympy.diff(f, s2)], "numpy")
        found["sympy lambdify(diff)"] = lambda: tuple(d(x1, x2))
    except ImportError:
        pass
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    x1, x2 = rng.uniform(0.1, 2.0, args.points), rng.uniform(0.1, 2.0, args.points)
    tape = parse(SEED)
    _, g1, g2 = closed_form(x1, x2)
    cols = {"x1": x1, "x2": x2}
    runs = {"numpy closed form (the limit)": lambda: closed_form(x1, x2)[1:],
            "adcalc: the walk over arrays, pieces (before)": lambda: walked(tape, cols),
            "adcalc: array code, 1 thread": lambda: tuple(
                sweep_arrays(tape, cols, threads=1).gradient.values()),
            "adcalc: array code, 2 threads": lambda: tuple(
                sweep_arrays(tape, cols, threads=2).gradient.values())}
    rows, limit = [], None

    def measure(found: dict) -> None:
        nonlocal limit
        for name, fn in found.items():
            a, b = fn()
            err = max(float(np.max(np.abs(a - g1) / np.abs(g1))),
                      float(np.max(np.abs(b - g2) / np.abs(g2))))
            seconds = best_of(fn, args.repeat)
            limit = limit or seconds
            rows.append([name, f"{seconds * 1e3:.1f}", f"{seconds / limit:.2f}x",
                         f"{err:.1e}"])

    measure(runs)  # before any peer is imported: their thread pools spin on the other core
    others = peers(x1, x2)
    measure(others)
    runs.update(others)
    print(f"gradient of {SEED} at {args.points:,} points (best of {args.repeat})")
    print(table(["method", "ms", "vs closed form", "max rel. diff"], rows))
    missing = {"PyTorch autograd", "JAX jit(vmap(grad))", "sympy lambdify(diff)"} - set(runs)
    if missing:
        print(f"not installed, so not measured: {', '.join(sorted(missing))} "
              "(pip install '.[bench]')")


if __name__ == "__main__":
    main()
