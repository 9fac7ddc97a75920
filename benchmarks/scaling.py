"""Scaling: parse (the tape is built during the parse), gradient, and peak memory.

    python benchmarks/scaling.py [--max-nodes 1000000]

For random expressions of 10^3 … 10^6 operations, and nestings sin(sin(…x…)) to 10^5
(and 10^6) deep, each size runs in a fresh process: the time of each stage, the
microseconds per tape row, the process's peak resident memory, and the slope of
log(time) against log(rows) (1.00 is linear).
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import random_expression, table


def one(kind: str, n: int) -> None:
    """Measure one size in this process and print it as JSON."""
    from adcalc import gradient
    from adcalc.frontend.parse import parse

    text = random_expression(n, 4, n) if kind == "random" else "sin(" * n + "x" + ")" * n
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    tape = parse(text)
    t1 = time.perf_counter()
    point = {v: 0.1 + 0.2 * k for k, v in enumerate(tape.variables)}
    gradient(tape, point)
    t2 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rows = sum(1 for op in tape.ops if op >= 0)
    print(json.dumps({"rows": rows, "parse": t1 - t0, "grad": t2 - t1,
                      "peak_mb": peak / 1024, "text_mb": (peak - base) / 1024}))


def slope(xs: list[float], ys: list[float]) -> float:
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sum(
        (a - mx) ** 2 for a in lx)


def report(title: str, kind: str, sizes: list[int]) -> None:
    results = []
    for n in sizes:
        done = subprocess.run([sys.executable, __file__, "--one", kind, str(n)],
                              capture_output=True, text=True, check=True)
        results.append(json.loads(done.stdout))
        print(f"  done {kind} {n:,}", file=sys.stderr)
    print(title)
    print(table(["rows", "parse+tape s", "gradient s", "µs/row (both)", "peak RSS MB"],
                [[f"{r['rows']:,}", f"{r['parse']:.3f}", f"{r['grad']:.3f}",
                  f"{(r['parse'] + r['grad']) / r['rows'] * 1e6:.2f}", f"{r['peak_mb']:.0f}"]
                 for r in results]))
    if len(results) > 2:
        ns = [r["rows"] for r in results]
        print(f"slope of log(time) vs log(rows): parse "
              f"{slope(ns, [r['parse'] for r in results]):.2f}, gradient "
              f"{slope(ns, [r['grad'] for r in results]):.2f} (1.00 = linear)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--max-nodes", type=int, default=1_000_000)
    ap.add_argument("--one", nargs=2, metavar=("KIND", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        one(args.one[0], int(args.one[1]))
        return
    sizes = [n for n in (1_000, 10_000, 100_000, 1_000_000) if n <= args.max_nodes]
    report("Random expressions", "random", sizes)
    print()
    depths = [d for d in (1_000, 10_000, 100_000, 1_000_000) if d <= args.max_nodes]
    report("Deep nesting sin(sin(…x…))", "deep", depths)


if __name__ == "__main__":
    main()
