"""adcalc codegen: the generated code's cost, size and generation time, against SymPy.

    .venv/bin/python benchmarks/codegen.py [--quick]

1. The generated C (gcc -O2): a gradient call against a value call (target <= 4x), for the
   seed function and random expressions of 10^2-10^5 nodes (timed in C, in a loop), and
   gcc's time and peak memory on the file (bodies past 2,000 statements are split).
2. Generation time and source size against the tape (linear), and SymPy's
   ``lambdify(diff(...), cse=True)``: size, generation time, run time per call (Python
   floats), each within a budget of BUDGET seconds; past the first size SymPy cannot do
   within it, larger ones are not tried.  (``--quick``: up to 10^4 nodes.)
3. The NumPy gradient over 10^6 points against ``adcalc grad --points``' array sweep.
"""

from __future__ import annotations

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


def c_costs(text: str, variables: list[str], point: list[float], reps: int, tmp: str
            ) -> tuple[float, float, float, int, int]:
    """(value seconds/call, gradient seconds/call, compile seconds, source bytes, gcc's
    peak memory in KB, or 0 where /usr/bin/time is missing)."""
    g = codegen(text, "c", variables=variables)
    src = os.path.join(tmp, "gen.c")
    with open(src, "w") as f:
        f.write(g.source)
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
        raise SystemExit(f"gcc failed on {len(g.source):,} bytes: {r.stderr[-300:]}")
    memory = int(r.stderr.split()[-1]) if timer else 0
    subprocess.run(["gcc", "-std=c99", "-O2", os.path.join(tmp, "main.c"),
                    os.path.join(tmp, "gen.o"), "-o", os.path.join(tmp, "bench"), "-lm"],
                   check=True)
    out = subprocess.run([os.path.join(tmp, "bench")], capture_output=True, text=True,
                         check=True).stdout.split()
    return float(out[0]), float(out[1]), compile_s, len(g.source.encode()), memory


def _sympy_job(text: str, variables: list[str], queue: mp.Queue) -> None:
    import sympy

    t0 = time.perf_counter()
    syms = sympy.symbols(variables)
    expr = sympy.sympify(text.replace("^", "**").replace("sigmoid", "_sig"),
                         locals={"_sig": lambda a: 1 / (1 + sympy.exp(-a))})
    derivs = [sympy.diff(expr, s) for s in syms]
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
    queue.put((gen, size, (time.perf_counter() - t0) / reps))


def sympy_costs(text: str, variables: list[str], timeout: float) -> tuple | None:
    queue: mp.Queue = mp.Queue()
    p = mp.Process(target=_sympy_job, args=(text, variables, queue))
    p.start()
    p.join(timeout)
    if p.is_alive():
        p.kill()
        p.join()
        return None
    return queue.get() if not queue.empty() else None


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
            v, gr, comp, size, mem = c_costs(text, variables, point, reps, tmp)
            rows.append([label, f"{len(tape):,}", f"{gen * 1e3:.1f}", f"{size:,}",
                         f"{size / len(tape):.0f}", f"{comp:.1f}", f"{mem / 1024:.0f}",
                         f"{v * 1e9:.0f}", f"{gr * 1e9:.0f}", f"{gr / v:.2f}"])
            del g
            pycall = python_call(text, variables)
            s = sympy_costs(text, variables, BUDGET) if sympy_ok else None
            note = "" if s else f"> {BUDGET:.0f} s" if sympy_ok else "not tried"
            sympy_ok = sympy_ok and s is not None
            sym_rows.append([label, f"{gen * 1e3:.1f}", f"{pycall * 1e6:.1f}",
                             "-" if s is None else f"{s[0] * 1e3:.0f}",
                             "-" if s is None else f"{s[1]:,}",
                             "-" if s is None else f"{s[2] * 1e6:.1f}", note])
    print("Generated C (gcc -O2), per call, timed in a C loop:")
    print(table(["function", "tape nodes", "gen ms", "C bytes", "bytes/node", "gcc s",
                 "gcc MB", "f ns", "f_grad ns", "grad/value"], rows))
    print(f"\nAgainst SymPy lambdify(diff(...), cse=True) (Python floats, math module; "
          f"{BUDGET:.0f} s each):")
    print(table(["function", "adcalc gen ms", "adcalc py f_grad us", "sympy gen ms",
                 "sympy bytes", "sympy us/call", "note"], sym_rows))
    numpy_vs_batch()


def numpy_vs_batch() -> None:
    import numpy as np
    from common import best_of

    from adcalc.batch.sweep import sweep_arrays

    rng = np.random.default_rng(0)
    n = 10**6
    cols = {"x1": rng.uniform(0.1, 1, n), "x2": rng.uniform(0.1, 1, n)}
    ns: dict = {}
    exec(codegen(SEED, "numpy").source, ns)
    t_np = best_of(lambda: ns["f_grad"](cols["x1"], cols["x2"]), 3)
    tape = adcalc.parse(SEED)
    t_batch = best_of(lambda: sweep_arrays(tape, cols), 3)
    v, _ = ns["f_grad"](cols["x1"], cols["x2"])
    ref = sweep_arrays(tape, cols)
    same = bool(np.array_equal(np.asarray(v), np.asarray(ref.values)))
    print(f"\nNumPy over 10^6 points, seed function: generated f_grad {t_np * 1e3:.0f} ms, "
          f"adcalc's array sweep (grad --points) {t_batch * 1e3:.0f} ms; values identical: "
          f"{same}")


if __name__ == "__main__":
    main()
