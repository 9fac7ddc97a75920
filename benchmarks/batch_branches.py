"""Batch gradients of a program with a branch at 10^6 rows, against the same expression
without it.

    python benchmarks/batch_branches.py [--points 1000000] [--repeat 5]

Side by side in one run, best of --repeat, on random rows with both signs of x1 (x1
uniform on [-2, 2], about half the rows on each side of the branch; x2 on [3.5, 5], where
the logarithm is defined at every row, so no row is bad and none goes to the scalar
path):

* ``log((x1+x2)^2 + sin(x1*x2))``: a straight-line tape, as ``--points`` sweeps it;
* ``if x1 > 0 then log((x1+x2)^2 + sin(x1*x2)) else (x1+x2)^2``: a program, each row on
  its own path (``adcalc.batch.paths``: traced at the first row not yet placed, the
  path's guard evaluated over the rows left, its rows swept with its tape);
* the same with a costly ``else`` (``log((x1-x2)^2 + sin(x1*x2))``): every row does the
  plain expression's work, so the difference is what the paths cost;
* a ``while`` loop whose trip count depends on the row (no straight-line twin: its
  figure is for scale).

Each is swept in chunks of 65,536 rows, as ``--points`` reads a CSV file, on one and on
two threads; "warm" reuses the tapes, paths and array code of the run before (a long
stream's steady state), "cold" parses, traces and compiles afresh each run.  Then whole
processes: ``adcalc grad … --points points.parquet -o out.parquet``.  The branch's
results are checked against the straight-line sweep of each row's path first.
Target: the program within 1.5x of the straight-line expression.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import best_of, table

from adcalc.batch.csv_in import CHUNK_ROWS
from adcalc.batch.paths import ProgramPaths, batch_tape
from adcalc.batch.sweep import sweep_columns

PLAIN = "log((x1+x2)^2 + sin(x1*x2))"
BRANCH = "if x1 > 0 then log((x1+x2)^2 + sin(x1*x2)) else (x1+x2)^2"
EVEN = "if x1 > 0 then log((x1+x2)^2 + sin(x1*x2)) else log((x1-x2)^2 + sin(x1*x2))"
WHILE = "y = x1; n = 0; while abs(y) > 0.1 { y = y/2; n = n + 1 }; y*x2 + n"


def setup(text: str) -> tuple[object, list[str]]:
    tape, names = batch_tape(text, None)
    if isinstance(tape, ProgramPaths):
        tape.fix_columns(["x1", "x2"])
        names = list(tape.variables)
    return tape, list(names or [])


def swept(text: str, cols: dict, threads: int, warm: tuple | None = None) -> dict:
    """The gradient at every row, chunk by chunk (``warm``: an earlier setup kept)."""
    tape, names = warm or setup(text)
    n = len(cols["x1"])
    out = {c: np.empty(n) for c in ("f", "df/dx1", "df/dx2")}
    for s in range(0, n, CHUNK_ROWS):
        part = {k: c[s:s + CHUNK_ROWS] for k, c in cols.items()}
        got, _ = sweep_columns(tape, part, names, len(part["x1"]), "gradient", "reverse",
                               threads)
        for c in out:
            out[c][s:s + CHUNK_ROWS] = got[c]
    return out


def check(cols: dict) -> None:
    """The program's rows: each equal, bit for bit, to its own path's straight-line
    sweep (x1 > 0: the plain expression; else (x1+x2)^2)."""
    got = swept(BRANCH, cols, 1)
    plain = swept(PLAIN, cols, 1)
    square, names = setup("(x1+x2)^2")
    other, _ = sweep_columns(square, cols, names, len(cols["x1"]))
    pos = cols["x1"] > 0
    for c in got:
        want = np.where(pos, plain[c], other[c])
        assert np.array_equal(got[c], want, equal_nan=True), c


def process(text: str, points: str, out: str, repeat: int) -> float:
    exe = Path(sys.executable).with_name("adcalc")
    cmd = [str(exe), "grad", text, "--points", points, "-o", out, "--overwrite"]

    def run() -> None:
        subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)

    return best_of(run, repeat)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    cols = {"x1": rng.uniform(-2, 2, args.points), "x2": rng.uniform(3.5, 5, args.points)}
    check(cols)
    rows = []
    base: dict[tuple[str, int], float] = {}
    for label, text in (("straight line", PLAIN), ("if x1 > 0 … else", BRANCH),
                        ("if, both sides as costly", EVEN),
                        ("while, row-dependent trips", WHILE)):
        for threads in (1, 2):
            warm = setup(text)
            t_warm = best_of(lambda: swept(text, cols, threads, warm), args.repeat)  # noqa: B023
            t_cold = best_of(lambda: swept(text, cols, threads), args.repeat)  # noqa: B023
            if text == PLAIN:
                base[("warm", threads)], base[("cold", threads)] = t_warm, t_cold
            paths = len(warm[0]._paths) if isinstance(warm[0], ProgramPaths) else 1
            rows.append([f"{label}, {threads} thread{'s' if threads > 1 else ''}",
                         f"{t_warm * 1e3:.1f}", f"{t_warm / base[('warm', threads)]:.2f}x",
                         f"{t_cold * 1e3:.1f}", f"{t_cold / base[('cold', threads)]:.2f}x",
                         str(paths)])
    print(f"gradient at {args.points:,} rows in chunks of {CHUNK_ROWS:,}, x1 uniform on "
          f"[-2, 2], x2 on [3.5, 5] (best of {args.repeat})")
    print(table(["program", "warm ms", "vs plain", "cold ms", "vs plain", "paths"], rows))
    try:
        import polars as pl
    except ImportError:
        return
    with tempfile.TemporaryDirectory() as tmp:
        points = os.path.join(tmp, "points.parquet")
        pl.DataFrame(cols).write_parquet(points)
        out = os.path.join(tmp, "out.parquet")
        rows = []
        plain = process(PLAIN, points, out, args.repeat)
        for label, text in (("straight line", PLAIN), ("if x1 > 0 … else", BRANCH),
                        ("if, both sides as costly", EVEN),
                            ("while, row-dependent trips", WHILE)):
            t = plain if text == PLAIN else process(text, points, out, args.repeat)
            rows.append([label, f"{t * 1e3:.0f}", f"{t / plain:.2f}x"])
        print()
        print(f"whole processes: adcalc grad … --points points.parquet -o out.parquet "
              f"({args.points:,} rows, every core; best of {args.repeat})")
        print(table(["program", "ms", "vs plain"], rows))


if __name__ == "__main__":
    main()
