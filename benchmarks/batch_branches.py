"""Batch gradients of a program with a branch at 10^6 rows, against the same expression
without it.

    python benchmarks/batch_branches.py [--points 1000000] [--repeat 5]

Side by side in one run, best of --repeat taken in turns (each round runs every program
once, so a busy moment of a shared machine falls on all alike), on random rows with both
signs of x1 (x1 uniform on [-2, 2], about half the rows on each side of the branch; x2 on
[3.5, 5], where the logarithm is defined at every row, so no row is bad and none goes to
the scalar path):

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
import functools
import math
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import table, timed

from adcalc.batch.csv_in import CHUNK_ROWS
from adcalc.batch.paths import ProgramPaths
from adcalc.batch.sweep import sweep_columns
from adcalc.commands.points import batch_tape

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


def interleaved(runs: dict[Any, Callable[[], Any]], repeat: int) -> dict[Any, float]:
    """The fastest of ``repeat`` runs of each, after a warm-up, in seconds, taken in turns
    (each round runs every one once), so a busy moment of a shared machine falls on all
    of them alike rather than on one."""
    for fn in runs.values():
        fn()
    best = dict.fromkeys(runs, math.inf)
    for _ in range(repeat):
        for key, fn in runs.items():
            best[key] = min(best[key], timed(fn)[0])
    return best


def process(text: str, points: str, out: str) -> Callable[[], None]:
    exe = Path(sys.executable).with_name("adcalc")
    cmd = [str(exe), "grad", text, "--points", points, "-o", out, "--overwrite"]

    def run() -> None:
        subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)

    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    cols = {"x1": rng.uniform(-2, 2, args.points), "x2": rng.uniform(3.5, 5, args.points)}
    check(cols)
    programs = (("straight line", PLAIN), ("if x1 > 0 … else", BRANCH),
                ("if, both sides as costly", EVEN), ("while, row-dependent trips", WHILE))
    rows = []
    for threads in (1, 2):
        warm = {label: setup(text) for label, text in programs}
        runs: dict[Any, Callable[[], Any]] = {}
        for label, text in programs:
            runs[label, "warm"] = functools.partial(swept, text, cols, threads, warm[label])
            runs[label, "cold"] = functools.partial(swept, text, cols, threads)
        t = interleaved(runs, args.repeat)
        for label, _ in programs:
            tape = warm[label][0]
            paths = len(tape._paths) if isinstance(tape, ProgramPaths) else 1
            plain_warm, plain_cold = t[programs[0][0], "warm"], t[programs[0][0], "cold"]
            rows.append([f"{label}, {threads} thread{'s' if threads > 1 else ''}",
                         f"{t[label, 'warm'] * 1e3:.1f}", f"{t[label, 'warm'] / plain_warm:.2f}x",
                         f"{t[label, 'cold'] * 1e3:.1f}", f"{t[label, 'cold'] / plain_cold:.2f}x",
                         str(paths)])
    rows.sort(key=lambda r: [label for label, _ in programs].index(r[0].rsplit(",", 1)[0]))
    print(f"gradient at {args.points:,} rows in chunks of {CHUNK_ROWS:,}, x1 uniform on "
          f"[-2, 2], x2 on [3.5, 5] (best of {args.repeat}, in turns)")
    print(table(["program", "warm ms", "vs plain", "cold ms", "vs plain", "paths"], rows))
    try:
        import polars as pl
    except ImportError:
        return
    with tempfile.TemporaryDirectory() as tmp:
        points = os.path.join(tmp, "points.parquet")
        pl.DataFrame(cols).write_parquet(points)
        t = interleaved({label: process(text, points, os.path.join(tmp, f"out{k}.parquet"))
                         for k, (label, text) in enumerate(programs)}, args.repeat)
        plain = t[programs[0][0]]
        rows = [[label, f"{t[label] * 1e3:.0f}", f"{t[label] / plain:.2f}x"]
                for label, _ in programs]
        print()
        print(f"whole processes: adcalc grad … --points points.parquet -o out.parquet "
              f"({args.points:,} rows, every core; best of {args.repeat}, in turns)")
        print(table(["program", "ms", "vs plain"], rows))

if __name__ == "__main__":
    main()
