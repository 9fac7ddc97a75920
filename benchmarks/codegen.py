"""adcalc codegen: the generated code's cost, size and generation time, against SymPy.

    .venv/bin/python benchmarks/codegen.py [--quick]

1. The generated C (gcc -O2): a gradient call against a value call (target <= 4x), for the
   seed function and random expressions of 10^2-10^5 nodes (timed in C, in a loop), and
   gcc's time and peak memory on the file (bodies past 2,000 statements are split).
2. Generation time and source size against the tape (linear), and SymPy (``diff``, then
   ``cse``): ``lambdify(..., cse=True)`` (size, generation time, run time per call on
   Python floats) and C from ``sympy.codegen``'s printer (``ccode``; generation time,
   size, and its gradient compiled and timed as adcalc's), each within a budget of
   BUDGET seconds; past the first size SymPy cannot do within it, larger ones are not
   tried.  (``--quick``: up to 10^4 nodes.)
3. A program with a branch in a loop of N iterations: generation time, size, C costs.
4. The NumPy gradient over 10^6 points against ``adcalc grad --points``' array sweep.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))

from common import random_expression, table

import adcalc
from adcalc.commands.codegen import codegen

SEED = "log((x1+x2)^2 + sin(x1*x2))"
BUDGET = 20.0
"""Seconds SymPy gets for one expression."""

DRIVER = r"""
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <time.h>
%(decls)s
static double now(void) {
    struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec;
}
int main(void) {
    double g[%(n)d], acc = 0; long reps = %(reps)ld;
    double best_v = 1e30, best_g = 1e30;
    for (int r = 0; r < 5; r++) {
        double t0 = now();
        for (long k = 0; k < reps; k++) { double s = 1e-9 * (k %% 1000); acc += f(%(args)s); }
        double t1 = now();
        for (long k = 0; k < reps; k++) {
            double s = 1e-9 * (k %% 1000); acc += f_grad(%(args)s, g) + g[0];
        }
        double t2 = now();
        if (t1 - t0 < best_v) best_v = t1 - t0;
        if (t2 - t1 < best_g) best_g = t2 - t1;
    }
    printf("%%.6e %%.6e %%g\n", best_v / reps, best_g / reps, acc);
    return 0;
}
"""


def c_costs(source: str, variables: list[str], point: list[float], reps: int, tmp: str
            ) -> tuple[float, float, float, int, int]:
    """(value seconds/call, gradient seconds/call, compile seconds, source bytes, gcc's
    peak memory in KB, or 0 where /usr/bin/time is missing) of a C file defining
    ``double f(...)`` and ``double f_grad(..., double *grad)``."""
    src = os.path.join(tmp, "gen.c")
    with open(src, "w") as f:
        f.write(source)
    n = len(variables)
    params = ", ".join("double" for _ in variables)
    decls = f"double f({params});\ndouble f_grad({params}, double *grad);"
    args = ", ".join(f"{x!r} + s" for x in point)
    with open(os.path.join(tmp, "main.c"), "w") as f:
        f.write(DRIVER % {"decls": decls, "n": n, "reps": reps, "args": args})
    timer = ["/usr/bin/time", "-f", "%M"] if os.path.exists("/usr/bin/time") else []
    t0 = time.perf_counter()
    r = subprocess.run([*timer, "gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", "-c",
                        src, "-o", os.path.join(tmp, "gen.o")], capture_output=True, text=True)
    compile_s = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"gcc failed on {len(source):,} bytes: {r.stderr[-300:]}")
    memory = int(r.stderr.split()[-1]) if timer else 0
    subprocess.run(["gcc", "-std=c99", "-O2", os.path.join(tmp, "main.c"),
                    os.path.join(tmp, "gen.o"), "-o", os.path.join(tmp, "bench"), "-lm"],
                   check=True)
    out = subprocess.run([os.path.join(tmp, "bench")], capture_output=True, text=True,
                         check=True).stdout.split()
    return float(out[0]), float(out[1]), compile_s, len(source.encode()), memory


def _sympy_c(exprs: list, variables: list[str], name: str, grad: bool) -> str:
    """SymPy's C for ``exprs`` (the value, then the derivatives): ``sympy.cse`` and the
    C99 printer of ``sympy.codegen`` (``ccode``), as ``double f(...)`` /
    ``double f_grad(..., double *grad)``."""
    import sympy
    from sympy.printing.c import ccode

    reps, reduced = sympy.cse(exprs)
    params = ", ".join(f"double {v}" for v in variables) + (", double *grad" if grad else "")
    lines = [f"    const double {s} = {ccode(v)};" for s, v in reps]
    lines += [f"    grad[{k}] = {ccode(r)};" for k, r in enumerate(reduced[1:])]
    lines.append(f"    return {ccode(reduced[0])};")
    return f"double {name}({params})\n{{\n" + "\n".join(lines) + "\n}\n"


def _sympy_job(text: str, variables: list[str], queue: mp.Queue) -> None:
    import sympy

    t0 = time.perf_counter()
    syms = sympy.symbols(variables)
    expr = sympy.sympify(text.replace("^", "**").replace("sigmoid", "_sig"),
                         locals={"_sig": lambda a: 1 / (1 + sympy.exp(-a))})
    derivs = [sympy.diff(expr, s) for s in syms]
    diffed = time.perf_counter() - t0
    f = sympy.lambdify(syms, [expr, *derivs], modules="math", cse=True)
    gen = time.perf_counter() - t0
    import inspect

    size = len(inspect.getsource(f).encode())
    pt = [0.3 + 0.1 * k for k in range(len(variables))]
    t0 = time.perf_counter()
    reps = 0
    while time.perf_counter() - t0 < 0.5:
        f(*pt)
        reps += 1
    per_call = (time.perf_counter() - t0) / reps
    t0 = time.perf_counter()
    c_source = "#include <math.h>\n" + _sympy_c([expr], variables, "f", False) + _sympy_c(
        [expr, *derivs], variables, "f_grad", True)
    c_gen = diffed + time.perf_counter() - t0
    queue.put((gen, size, per_call, c_gen, c_source))


def sympy_costs(text: str, variables: list[str], timeout: float) -> tuple | None:
    queue: mp.Queue = mp.Queue()
    p = mp.Process(target=_sympy_job, args=(text, variables, queue))
    p.start()
    t0 = time.perf_counter()
    got = None
    while got is None and time.perf_counter() - t0 < timeout:
        try:
            got = queue.get(timeout=0.2)
        except Exception:  # queue.Empty: not yet
            if not p.is_alive():
                break
    if p.is_alive():
        p.kill()
    p.join()
    return got


def python_call(text: str, variables: list[str]) -> float:
    ns: dict = {}
    exec(codegen(text, "python", variables=variables).source, ns)
    pt = [0.3 + 0.1 * k for k in range(len(variables))]
    f = ns["f_grad"]
    t0 = time.perf_counter()
    reps = 0
    while time.perf_counter() - t0 < 0.5:
        f(*pt)
        reps += 1
    return (time.perf_counter() - t0) / reps


def main() -> None:
    quick = "--quick" in sys.argv
    sizes = [10**3, 10**4] if quick else [10**3, 10**4, 10**5]
    cases = [("seed", SEED, ["x1", "x2"])]
    cases += [(f"random {n:,}", random_expression(n), ["x0", "x1", "x2", "x3"])
              for n in [100, 400, *sizes]]
    rows, sym_rows = [], []
    sympy_ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for label, text, variables in cases:
            tape = adcalc.parse(text)
            t0 = time.perf_counter()
            g = codegen(text, "c", variables=variables)
            gen = time.perf_counter() - t0
            reps = max(20, 20_000_000 // max(len(tape), 1) // 10)
            point = [0.3 + 0.1 * k for k in range(len(variables))]
            v, gr, comp, size, mem = c_costs(g.source, variables, point, reps, tmp)
            rows.append([label, f"{len(tape):,}", f"{gen * 1e3:.1f}", f"{size:,}",
                         f"{size / len(tape):.0f}", f"{comp:.1f}", f"{mem / 1024:.0f}",
                         f"{v * 1e9:.0f}", f"{gr * 1e9:.0f}", f"{gr / v:.2f}"])
            del g
            pycall = python_call(text, variables)
            s = sympy_costs(text, variables, BUDGET) if sympy_ok else None
            note = "" if s else f"> {BUDGET:.0f} s" if sympy_ok else "not tried"
            sympy_ok = sympy_ok and s is not None
            c_grad = "-"
            if s is not None:
                _, sgr, _, _, _ = c_costs(s[4], variables, point, reps, tmp)
                c_grad = f"{sgr * 1e9:.0f}"
            sym_rows.append([label, f"{gen * 1e3:.1f}", f"{pycall * 1e6:.1f}",
                             "-" if s is None else f"{s[0] * 1e3:.0f}",
                             "-" if s is None else f"{s[1]:,}",
                             "-" if s is None else f"{s[2] * 1e6:.1f}",
                             "-" if s is None else f"{s[3] * 1e3:.0f}",
                             "-" if s is None else f"{len(s[4]):,}", c_grad, f"{gr * 1e9:.0f}",
                             note])
        program_rows = programs(tmp)
    print("Generated C (gcc -O2), per call, timed in a C loop:")
    print(table(["function", "tape nodes", "gen ms", "C bytes", "bytes/node", "gcc s",
                 "gcc MB", "f ns", "f_grad ns", "grad/value"], rows))
    print(f"\nAgainst SymPy (diff, then cse; {BUDGET:.0f} s each): lambdify(..., cse=True) "
          "as Python (math module), and C from sympy.codegen's printer (ccode), compiled "
          "and timed as above:")
    print(table(["function", "adcalc gen ms", "adcalc py us", "lambdify ms", "lambdify bytes",
                 "lambdify us", "sympy C ms", "sympy C bytes", "sympy C grad ns",
                 "adcalc C grad ns", "note"], sym_rows))
    print("\nA program with a branch in a loop, y = x; repeat N { y = if y > 1 then y/2 "
          "else y*x + 1 }; y (unrolled; C):")
    print(table(["N", "tape nodes", "gen ms", "C bytes", "bytes/N", "f ns", "f_grad ns",
                 "grad/value"], program_rows))
    numpy_vs_batch()


def programs(tmp: str) -> list[list[str]]:
    """Generated code of a program over N iterations: time, size, cost (C)."""
    rows = []
    for n in (10, 100, 1000):
        text = f"y = x; repeat {n} {{ y = if y > 1 then y/2 else y*x + 1 }}; y"
        t0 = time.perf_counter()
        g = codegen(text, "c")
        gen = time.perf_counter() - t0
        v, gr, _, size, _ = c_costs(g.source, ["x"], [1.5], max(200, 2_000_000 // n), tmp)
        rows.append([f"{n:,}", f"{g.tape_nodes:,}", f"{gen * 1e3:.1f}", f"{size:,}",
                     f"{size / n:.0f}", f"{v * 1e9:.0f}", f"{gr * 1e9:.0f}", f"{gr / v:.2f}"])
    return rows


def numpy_vs_batch() -> None:
    import numpy as np

    from adcalc.batch.sweep import sweep_arrays

    rng = np.random.default_rng(0)
    n = 10**6
    cols = {"x1": rng.uniform(0.1, 1, n), "x2": rng.uniform(0.1, 1, n)}
    ns: dict = {}
    exec(codegen(SEED, "numpy").source, ns)
    tape = adcalc.parse(SEED)
    runs = {"numpy": lambda: ns["f_grad"](cols["x1"], cols["x2"]),
            "batch": lambda: sweep_arrays(tape, cols)}
    best = dict.fromkeys(runs, math.inf)
    for _ in range(15):  # interleaved, best of 15 each: both see the same machine
        for k, run in runs.items():
            t0 = time.perf_counter()
            run()
            best[k] = min(best[k], time.perf_counter() - t0)
    v, g = ns["f_grad"](cols["x1"], cols["x2"])
    ref = sweep_arrays(tape, cols)
    same = bool(np.array_equal(v, ref.values)) and all(
        np.array_equal(a, ref.gradient[name]) for a, name in zip(g, ["x1", "x2"], strict=True))
    print(f"\nNumPy over 10^6 points, seed function (best of 15, interleaved): generated "
          f"f_grad {best['numpy'] * 1e3:.1f} ms, adcalc's array sweep (grad --points) "
          f"{best['batch'] * 1e3:.1f} ms, ratio {best['numpy'] / best['batch']:.2f}; values "
          f"and gradients identical: {same}")


if __name__ == "__main__":
    main()
