"""Scaling: parse (with the tape built during the parse), gradient and peak memory.

    python benchmarks/scaling.py [--max-nodes 1000000]

For random expressions of 10^3 … 10^6 operations, and nestings sin(sin(…x…)) to 10^5
deep, it prints the time of each stage, the microseconds per tape row, the peak traced
memory (tracemalloc, the stage's own allocations), and the slope of log(time) against
log(size): 1.0 is linear.
"""

from __future__ import annotations

import argparse
import gc
import math
import sys
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import random_expression, table, timed

from adcalc.gradient import gradient
from adcalc.parse import parse


def measure(text: str) -> tuple[int, float, float, float]:
    gc.collect()
    tracemalloc.start()
    t_parse, tape = timed(lambda: parse(text))
    point = {v: 0.1 + 0.2 * k for k, v in enumerate(tape.variables)}
    t_grad, _ = timed(lambda: gradient(tape, point))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rows = sum(1 for op in tape.ops if op >= 0)
    return rows, t_parse, t_grad, peak / 2**20


def slope(xs: list[float], ys: list[float]) -> float:
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sum(
        (a - mx) ** 2 for a in lx)


def report(title: str, texts: list[str]) -> None:
    rows, out = [], []
    for text in texts:
        n, tp, tg, mb = measure(text)
        rows.append((n, tp, tg))
        out.append([f"{n:,}", f"{tp:.3f}", f"{tg:.3f}", f"{(tp + tg) / n * 1e6:.2f}",
                    f"{mb:.0f}"])
        print(f"  done {n:,}", file=sys.stderr)
    print(title)
    print(table(["rows", "parse+tape s", "gradient s", "µs/row", "peak MB"], out))
    if len(rows) > 2:
        ns = [r[0] for r in rows]
        print(f"slope of log(time) vs log(rows): parse {slope(ns, [r[1] for r in rows]):.2f}, "
              f"gradient {slope(ns, [r[2] for r in rows]):.2f} (1.00 = linear)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--max-nodes", type=int, default=1_000_000)
    args = ap.parse_args()
    sizes = [n for n in (1_000, 10_000, 100_000, 1_000_000) if n <= args.max_nodes]
    report("Random expressions", [random_expression(n, 4, n) for n in sizes])
    depths = [d for d in (1_000, 10_000, 100_000) if d <= args.max_nodes]
    print()
    report("Deep nesting sin(sin(…x…))", ["sin(" * d + "x" + ")" * d for d in depths])


if __name__ == "__main__":
    main()
