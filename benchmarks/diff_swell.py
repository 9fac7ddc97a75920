"""Symbolic derivative size and time: adcalc vs sympy's diff (with and without cse).

    python benchmarks/diff_swell.py [--max-nodes 100000] [--sympy-budget 60]

For random expressions of 10 … 100,000 operations in 4 variables it prints, side by
side in one run: adcalc's time for all partials (parse, derivative tape, printed text;
the best of 5 runs, 3 at 10,000 nodes and 1 at 100,000, after a warm-up)
and the size of what it prints (tokens), and sympy's time and size for ``diff`` of every
variable, alone and followed by ``cse``.  Sizes are tokens for adcalc and
``count_ops`` for sympy (both count operations and leaves roughly alike).  Sympy's is
the best of 3 runs up to 100 nodes (its cache cleared before each), one run above; it
is stopped (by an alarm) when one size takes longer than the budget, and skipped after.
"""

from __future__ import annotations

import argparse
import re
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import random_expression, table, timed

from adcalc.engine.describe import PLAIN
from adcalc.frontend.parse import parse
from adcalc.symbolic.derive import derivatives
from adcalc.symbolic.formula import formulas

TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d*)?|\S")


def adcalc_diff(text: str, repeat: int = 1) -> tuple[float, int]:
    """adcalc's time (the best of ``repeat`` runs) and printed size for ``text``."""
    def run() -> int:
        tape, _ = derivatives(parse(text))
        f = formulas(tape, PLAIN)
        printed = [PLAIN.text(t) for _, t in f.lets] + [PLAIN.text(t) for t in f.outputs]
        return sum(len(TOKEN.findall(s)) for s in printed)

    runs = [timed(run) for _ in range(repeat)]
    return min(t for t, _ in runs), runs[0][1]


def sympy_diff(text: str, repeat: int = 1) -> tuple[float, int, float, int]:
    """sympy's times (the best of ``repeat`` runs, its cache cleared before each: a
    second run would measure what it remembered) and sizes for ``text``."""
    best = None
    for _ in range(repeat):
        run = _sympy_diff(text)
        best = run if best is None else (min(best[0], run[0]), run[1],
                                         min(best[2], run[2]), run[3])
    return best


def _sympy_diff(text: str) -> tuple[float, int, float, int]:
    import sympy
    from sympy.core.cache import clear_cache
    from sympy.parsing.sympy_parser import parse_expr

    u = sympy.Symbol("u")
    local = {"sigmoid": sympy.Lambda(u, 1 / (1 + sympy.exp(-u))),
             "softplus": sympy.Lambda(u, sympy.log(1 + sympy.exp(u)))}
    expr = parse_expr(text, local_dict=local)
    clear_cache()
    symbols = sorted(expr.free_symbols, key=str)
    t_diff, ds = timed(lambda: [sympy.diff(expr, s) for s in symbols])
    size = sum(sympy.count_ops(d) + len(d.free_symbols) for d in ds)
    t_cse, (lets, reduced) = timed(lambda: sympy.cse(ds))
    cse_size = sum(sympy.count_ops(e) + 1 for _, e in lets) + sum(sympy.count_ops(r)
                                                                   for r in reduced)
    return t_diff, size, t_diff + t_cse, cse_size


def _timeout(signum: int, frame: object) -> None:
    raise TimeoutError


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--max-nodes", type=int, default=100_000)
    ap.add_argument("--sympy-budget", type=float, default=60.0)
    args = ap.parse_args()
    signal.signal(signal.SIGALRM, _timeout)
    sizes = [n for n in (10, 100, 1_000, 10_000, 100_000) if n <= args.max_nodes]
    rows = []
    sympy_ok = True
    for n in sizes:
        text = random_expression(n, seed=n)
        # the best of 5 runs (3 at 10,000 nodes, 1 at 100,000), after one run of a small
        # expression: the first call imports what diff needs, which is no part of its time
        adcalc_diff(random_expression(10, seed=1))
        t_ad, size_ad = adcalc_diff(text, 5 if n <= 1_000 else 3 if n <= 10_000 else 1)
        row = [f"{n:,}", f"{t_ad:.3f}", f"{size_ad:,}", f"{size_ad / n:.1f}"]
        if sympy_ok:
            signal.alarm(int(args.sympy_budget))
            try:
                t_sd, size_sd, t_sc, size_sc = sympy_diff(text, 3 if n <= 100 else 1)
            except RecursionError:
                row += ["RecursionError"] + [""] * 5
                sympy_ok = False
            except TimeoutError:
                row += [f"> {args.sympy_budget:.0f} s"] + [""] * 5
                sympy_ok = False
            else:
                row += [f"{t_sd:.3f}", f"{size_sd:,}", f"{t_sc:.3f}", f"{size_sc:,}",
                        f"{t_sd / t_ad:.1f}x", f"{size_sd / size_ad:.1f}x"]
            finally:
                signal.alarm(0)
        else:
            row += ["skipped"] + [""] * 5
        rows.append(row)
        print(f"  done n={n:,}", file=sys.stderr)
    print(table(["nodes", "adcalc s", "adcalc size", "size/node", "sympy diff s",
                 "sympy size", "diff+cse s", "cse size", "time ratio", "size ratio"], rows))
    print("\ntime ratio = sympy diff time / adcalc time; size ratio = sympy size / adcalc "
          "size (sympy without cse)")


if __name__ == "__main__":
    main()
