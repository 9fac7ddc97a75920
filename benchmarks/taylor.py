"""Taylor mode: all K derivatives along a line from one sweep of truncated series.

    python benchmarks/taylor.py [--nodes 2700] [--skip-cli]

Part 1: the seed function log((x1+x2)^2 + sin(x1*x2)) at (1, 0.5) along x1: the Taylor
sweep for K = 5, 10, 20, 40 against ``diff --order K`` (the K-th symbolic derivative by
x1, simplified, then evaluated at the point) for the K it reaches, values compared.
Part 2: a random expression of 2,000 rows (``common.random_expression(2700)``, hash-consed):
the sweep for K = 5 … 40, and the whole command ``adcalc taylor @file --order 40 -q``
as a user runs it (target: under a second).
Part 3: the second-order use: dᵀ·∇²f·d by one order-2 Taylor sweep against
``adcalc.hessian`` (n tangent sweeps over the recorded reverse sweep) and a quadratic form.
Part 4 (if JAX imports): the same K-th derivative along the line by JAX, in doubles:
``jax.grad`` nested K times of t ↦ f(x + t·d) (eager; skipped where the previous K's
first call, doubled for each order more, passes 20 s; compiled by ``jax.jit`` for the
seed only: XLA takes minutes on the big one) and ``jax.experimental.jet`` (eager, and
``jax.jit``-compiled: the compile, then the run), against the whole ``adcalc.taylor``
call (parse included).  The functions are built from adcalc's own tape by a small
evaluator with ``jnp``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import best_of, random_expression, table, timed

import adcalc
from adcalc.commands.taylor import quadratic_form, taylor

SEED = "log((x1+x2)^2 + sin(x1*x2))"
ORDERS = (5, 10, 20, 40)


def part1() -> str:
    point, d = {"x1": 1.0, "x2": 0.5}, {"x1": 1.0, "x2": 0.0}
    rows = []
    for k in (1, 2, 3, 4, 5, 6, 8, 10, 20, 40):
        t_taylor = best_of(lambda k=k: taylor(SEED, point, d, k), 5)
        deriv = taylor(SEED, point, d, k).derivatives[k]
        t_diff, agree = "-", "-"
        if k <= 6:  # the symbolic derivative swells with the order; beyond, minutes
            t, out = timed(lambda k=k: adcalc.diff(SEED, ["x1"], k, point))
            t_diff = f"{t * 1e3:.1f}"
            ref = out.values[0]
            agree = f"{abs(ref - deriv) / max(1.0, abs(ref)):.1e}"
        rows.append([str(k), f"{t_taylor * 1e3:.2f}", t_diff, agree, f"{deriv:.10g}"])
    return table(["K", "taylor sweep ms", "diff --order K ms", "rel diff", "∂ᴷf/∂x1ᴷ"], rows)


def part2(nodes: int, cli: bool) -> str:
    text = random_expression(nodes, variables=4, seed=7)
    tape = adcalc.parse(text)
    rows_n = sum(1 for op in tape.ops if op >= 0)
    point = {v: 0.1 + 0.2 * k for k, v in enumerate(tape.variables)}
    d = {v: 1.0 if k % 2 == 0 else -0.5 for k, v in enumerate(tape.variables)}
    out = []
    for k in ORDERS:
        t = best_of(lambda k=k: taylor(tape, point, d, k), 3)
        out.append([str(k), f"{rows_n:,}", f"{t * 1e3:.1f}", f"{t / rows_n * 1e6:.1f}",
                    f"{t / (k + 1) ** 2 / rows_n * 1e9:.0f}"])
    lines = [table(["K", "rows", "sweep ms", "µs/row", "ns/row/(K+1)²"], out)]
    if cli:
        exe = Path(sys.executable).with_name("adcalc")
        with tempfile.NamedTemporaryFile("w", suffix=".ad", delete=False) as f:
            f.write(text)
        try:
            at = ",".join(f"{n}={v}" for n, v in point.items())
            dirs = ",".join(f"{n}={v}" for n, v in d.items())
            for k in (5, 40):
                args = [str(exe), "taylor", f"@{f.name}", "--at", at, "--dir", dirs,
                        "--order", str(k), "-q"]
                subprocess.run(args, check=True, capture_output=True)  # warm the caches
                times = []
                for _ in range(3):
                    t, _r = timed(lambda a=args: subprocess.run(a, check=True,
                                                               capture_output=True))
                    times.append(t)
                lines.append(f"adcalc taylor @expr ({rows_n:,} rows) --order {k} -q, whole "
                             f"process: {min(times):.2f} s (best of 3)")
        finally:
            os.unlink(f.name)
    return "\n".join(lines)


def part3() -> str:
    rows = []
    for n in (2, 4, 10, 30):
        text = " + ".join(f"sin(x{i}*x{(i + 1) % n})*exp(x{i}/{n})" for i in range(n))
        point = {f"x{i}": 0.3 + 0.05 * i for i in range(n)}
        d = {f"x{i}": (-1.0) ** i for i in range(n)}
        tape = adcalc.parse(text)

        def by_hessian(tape=tape, point=point, d=d) -> float:
            h = adcalc.hessian(tape, point)
            v = [d[x] for x in h.variables]
            return sum(v[i] * h.matrix[i][j] * v[j] for i in range(len(v))
                       for j in range(len(v)))

        t_t = best_of(lambda tape=tape, point=point, d=d: quadratic_form(tape, point, d), 5)
        t_h = best_of(by_hessian, 3)
        a, b = quadratic_form(tape, point, d), by_hessian()
        rows.append([str(n), f"{len(tape):,}", f"{t_t * 1e3:.2f}", f"{t_h * 1e3:.2f}",
                     f"{t_h / t_t:.1f}x", f"{abs(a - b) / max(1.0, abs(b)):.1e}"])
    return table(["n", "nodes", "taylor order 2 ms", "hessian + dᵀHd ms", "speed-up",
                  "rel diff"], rows)


JNP = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
       "div": lambda a, b: a / b, "neg": lambda a: -a, "powc": lambda a, c: a ** c,
       "sin": "sin", "cos": "cos", "tanh": "tanh", "atan": "arctan", "exp": "exp",
       "log": "log", "sqrt": "sqrt", "sigmoid": None}


def jax_function(tape):
    """f(x) for a vector x (the tape's variables in order), in jnp functions."""
    import jax
    import jax.numpy as jnp

    from adcalc.engine.primitives import KIND, PRIMITIVES

    fns = {}
    for name, f in JNP.items():
        fns[name] = (jax.nn.sigmoid if f is None else getattr(jnp, f) if isinstance(f, str)
                     else f)
    where = {n: k for k, n in enumerate(tape.variables)}
    steps = []
    for i, op in enumerate(tape.ops):
        if op < 0:
            name = tape.input_name.get(i)
            steps.append((None, where[name], None) if name is not None
                         else (None, None, tape.consts[i]))
        else:
            steps.append((fns[PRIMITIVES[op].name], KIND[op], i))

    def f(x):
        v = []
        for fn, kind, i in steps:
            if fn is None:
                v.append(x[kind] if kind is not None else i)
            elif kind == 1:
                v.append(fn(v[tape.a0[i]]))
            elif kind == 2:
                v.append(fn(v[tape.a0[i]], v[tape.a1[i]]))
            else:
                v.append(fn(v[tape.a0[i]], tape.consts[i]))
        return v[tape.output]
    return f


def part4(rows: list[tuple[str, str, dict, dict, tuple[int, ...]]]) -> str:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    from jax.experimental import jet

    float(jax.grad(jnp.sin)(1.0))  # JAX's own start-up, outside the timings
    out = []
    for label, text, point, d, orders in rows:
        tape = adcalc.parse(text)
        f = jax_function(tape)
        x0 = jnp.array([point[n] for n in tape.variables])
        dv = jnp.array([d[n] for n in tape.variables])
        line = lambda t, f=f, x0=x0, dv=dv: f(x0 + t * dv)  # noqa: E731
        subject = text if label == "seed" else tape  # the seed parsed each call, as part 1
        last = jet_compile = None  # (K, seconds) of nested grad, of jit(jet)'s compile
        for k in orders:
            t_ad = best_of(lambda k=k, s=subject, point=point, d=d: taylor(s, point, d, k), 3)
            ref = taylor(text, point, d, k).derivatives[k]
            cells = [label, str(k), f"{t_ad * 1e3:.2f}"]
            if last is None or last[1] * 2 ** (k - last[0]) <= 20:
                g = line
                for _ in range(k):
                    g = jax.grad(g)
                t_first, v = timed(lambda g=g: float(g(0.0)))
                t_grad = min(t_first, timed(lambda g=g: float(g(0.0)))[0])
                last = (k, t_first)
                jit = ["not run", "-"]  # XLA's compile of a nested grad of 2,000 rows: minutes
                if len(tape) < 100:
                    fast = jax.jit(g)
                    t_compile = timed(lambda fast=fast: fast(0.0).block_until_ready())[0]
                    t_run = best_of(lambda fast=fast: fast(0.0).block_until_ready(), 3)
                    jit = [f"{t_compile:.2f}", f"{t_run * 1e3:.3f}"]
                cells += [f"{t_grad * 1e3:.1f}", f"{t_grad / t_ad:.0f}x", *jit,
                          f"{abs(v - ref) / max(1.0, abs(ref)):.0e}"]
            else:
                cells += ["> 20 s", "-", "-", "-", "-"]

            def by_jet(k=k, x0=x0, dv=dv, f=f):
                series = ([dv, *[jnp.zeros_like(dv)] * (k - 1)],)
                return jet.jet(f, (x0,), series)[1][k - 1]
            try:
                by_jet()  # the first call traces the jet rules
                t_jet, v = timed(lambda by_jet=by_jet: float(by_jet()))
                jit = ["> 20 s", "-"]  # the compile grows about as K²
                if jet_compile is None or jet_compile[1] * (k / jet_compile[0]) ** 2 <= 20:
                    fast = jax.jit(by_jet)
                    t_jc = timed(lambda fast=fast: fast().block_until_ready())[0]
                    t_jit = best_of(lambda fast=fast: fast().block_until_ready(), 3)
                    jet_compile = (k, t_jc)
                    jit = [f"{t_jc:.2f}", f"{t_jit * 1e3:.3f}"]
                cells += [f"{t_jet * 1e3:.1f}", *jit, f"{abs(v - ref) / max(1.0, abs(ref)):.0e}"]
            except Exception as exc:
                cells += [f"jet: {type(exc).__name__}", "-", "-", "-"]
            out.append(cells)
    return table(["function", "K", "adcalc.taylor ms", "grad^K ms", "grad^K/adcalc",
                  "jit compile s", "jit run ms", "rel diff", "jet ms", "jit(jet) compile s",
                  "jit(jet) run ms", "jet rel diff"], out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nodes", type=int, default=2700)
    ap.add_argument("--skip-cli", action="store_true")
    args = ap.parse_args()
    print(f"Part 1: {SEED} at x1 = 1, x2 = 0.5 along x1 (ms, best of 5)")
    print(part1())
    print(f"\nPart 2: random_expression({args.nodes}) (rows after hash-consing below)")
    print(part2(args.nodes, not args.skip_cli))
    print("\nPart 3: dᵀ·∇²f·d for f = Σ sin(x_i·x_{i+1})·exp(x_i/n)")
    print(part3())
    try:
        import jax
    except ImportError:
        print("\nPart 4: JAX is not installed (pip install '.[bench]')")
        return
    print(f"\nPart 4: the K-th derivative along d against JAX {jax.__version__} (doubles; "
          "adcalc best of 3; grad^K and jet eager after a first call; jit: the compile, "
          "then best of 3 runs)")
    big = random_expression(args.nodes, variables=4, seed=7)
    big_tape = adcalc.parse(big)
    point = {v: 0.1 + 0.2 * k for k, v in enumerate(big_tape.variables)}
    d = {v: 1.0 if k % 2 == 0 else -0.5 for k, v in enumerate(big_tape.variables)}
    print(part4([("seed", SEED, {"x1": 1.0, "x2": 0.5}, {"x1": 1.0, "x2": 0.0},
                  (2, 3, 4, 5, 6, 8, 10, 20, 40)),
                 (f"{sum(op >= 0 for op in big_tape.ops):,} rows", big, point, d,
                  (2, 3, 4, 5, 10, 20, 40))]))


if __name__ == "__main__":
    main()
