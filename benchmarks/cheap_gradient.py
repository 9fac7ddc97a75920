"""The cheap-gradient principle: a reverse sweep costs a small constant times the primal.

    python benchmarks/cheap_gradient.py [--max-nodes 1000000]

Part 1: on random expressions of 10^2 … 10^6 operations, the time of the primal sweep,
the reverse (adjoint) sweep and one forward (tangent) sweep, measured side by side, and
the ratio reverse / primal (target: at most 4; issue 7 asks reverse <= 2x forward).
Part 2: forward mode needs one sweep per input, reverse mode one in all: the time of a
full gradient both ways as the number of inputs n grows.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import best_of, random_expression, table

from adcalc.engine.sweeps import adjoint, primal, tangent
from adcalc.frontend.parse import parse


def sweeps(nodes: int) -> list[str]:
    tape = parse(random_expression(nodes, variables=4, seed=nodes))
    point = {v: 0.1 + 0.2 * k for k, v in enumerate(tape.variables)}
    vals = primal(tape, point)
    repeat = 5 if nodes <= 100_000 else 2
    t_primal = best_of(lambda: primal(tape, point), repeat)
    t_reverse = best_of(lambda: adjoint(tape, vals, {tape.output: 1.0}), repeat)
    first = tape.variables[0]
    t_forward = best_of(lambda: tangent(tape, vals, {first: 1.0}), repeat)
    rows = sum(1 for op in tape.ops if op >= 0)
    return [f"{rows:,}", f"{t_primal * 1e3:.2f}", f"{t_forward * 1e3:.2f}",
            f"{t_reverse * 1e3:.2f}", f"{t_reverse / t_primal:.2f}",
            f"{t_reverse / t_forward:.2f}", f"{t_reverse / rows * 1e6:.2f}"]


def many_inputs(n: int) -> list[str]:
    text = " + ".join(f"sin(x{k}*x{(k + 1) % n})" for k in range(n)) + \
        " * " + "*".join(f"x{k}" for k in range(min(n, 8)))
    tape = parse(text)
    point = {v: 0.5 + 0.01 * k for k, v in enumerate(tape.variables)}
    vals = primal(tape, point)
    t_rev = best_of(lambda: adjoint(tape, vals, {tape.output: 1.0}), 3)
    t_fwd = best_of(lambda: [tangent(tape, vals, {v: 1.0}) for v in tape.variables], 3)
    return [str(n), f"{len(tape):,}", f"{t_fwd * 1e3:.2f}", f"{t_rev * 1e3:.2f}",
            f"{t_fwd / t_rev:.1f}x"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--max-nodes", type=int, default=1_000_000)
    args = ap.parse_args()
    sizes = [n for n in (100, 1_000, 10_000, 100_000, 1_000_000) if n <= args.max_nodes]
    print("Part 1: sweep times in ms (best of 5; 2 at 10^6)")
    print(table(["rows", "primal", "forward (1 sweep)", "reverse", "reverse/primal",
                 "reverse/forward", "reverse µs/row"], [sweeps(n) for n in sizes]))
    print("\nPart 2: a full gradient, forward mode (n sweeps) vs reverse mode (1 sweep)")
    print(table(["inputs n", "tape nodes", "forward ms", "reverse ms", "forward/reverse"],
                [many_inputs(n) for n in (1, 2, 4, 8, 16, 32, 64, 128)]))


if __name__ == "__main__":
    main()
