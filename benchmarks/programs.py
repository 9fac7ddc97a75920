"""A program's loop against the same code written out: parsing, tracing and a gradient.

    python benchmarks/programs.py [--repeat 3]

Explicit Euler on a damped oscillator (x' = v, v' = -k*x - c*v) for 10^5 steps, written
as ``repeat 100000 { … }`` and as the 10^5 bodies one after another (straight-line code
with rebinding: the same tape, row for row).  For each: microseconds per tape row to
parse (a ``Program`` for the loop, a tape for the straight line), to trace the loop at
the point (its tape made), and for the gradient (``adcalc.gradient``: primal and adjoint
sweeps), best of ``--repeat`` runs, side by side in one process.  Target: the loop within
1.2x of the straight line.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

from common import table

from adcalc import gradient
from adcalc.engine.tape import Tape
from adcalc.frontend.parse import parse_program

STEPS = 100_000
HEAD = "h = 0.001\nx = x0\nv = v0\n"
BODY = "a = -k*x - c*v\nx = x + h*v\nv = v + h*a\n"
POINT = {"x0": 1.0, "v0": 0.0, "k": 4.0, "c": 0.1}


def loop_text(steps: int) -> str:
    return HEAD + f"repeat {steps} {{\n" + "".join("  " + line + "\n" for line in
                                                  BODY.splitlines()) + "}\nx\n"


def straight_text(steps: int) -> str:
    return HEAD + BODY * steps + "x\n"


def run(text: str) -> tuple[float, float, float, int, dict[str, float]]:
    """Seconds to parse, to trace (0 for straight-line code), for the gradient; rows."""
    gc.collect()
    t0 = time.perf_counter()
    parsed = parse_program(text)
    t1 = time.perf_counter()
    tape = parsed if isinstance(parsed, Tape) else parsed.trace(POINT)
    t2 = time.perf_counter()
    g = gradient(tape, POINT)
    t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t2, len(tape), g.gradient


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--steps", type=int, default=STEPS)
    args = ap.parse_args()
    texts = {"repeat loop": loop_text(args.steps), "straight line": straight_text(args.steps)}
    best: dict[str, list[float]] = {}
    rows_of: dict[str, int] = {}
    grads = []
    for _ in range(args.repeat):
        for name, text in texts.items():  # interleaved: both see the same machine
            parse, trace, grad, rows, g = run(text)
            rows_of[name] = rows
            grads.append(g)
            times = [parse, trace, grad, parse + trace + grad]
            best[name] = [min(a, b) for a, b in zip(best.get(name, times), times, strict=True)]
    assert all(g == grads[0] for g in grads), "the loop and the straight line disagree"
    out = []
    for name, times in best.items():
        rows = rows_of[name]
        out.append([name, f"{rows:,}", *(f"{1e6 * t / rows:.2f}" for t in times)])
    ratio = best["repeat loop"][3] / best["straight line"][3]
    print(f"explicit Euler, damped oscillator, {args.steps:,} steps; µs per tape row, best "
          f"of {args.repeat}")
    print(table(["code", "tape rows", "parse", "trace", "gradient", "total"], out))
    print(f"loop / straight line (total): {ratio:.2f}x (target <= 1.2x)")


if __name__ == "__main__":
    main()
