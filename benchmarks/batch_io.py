"""Batch gradients end to end, as a user runs them: adcalc against data-tool pipelines.

    python benchmarks/batch_io.py [--rows 1000000] [--big 10000000] [--repeat 3]

Each pipeline reads the points (two full-precision columns), computes the gradient of
``log((x1+x2)^2 + sin(x1*x2))`` (the peers by its NumPy closed form) and writes inputs,
value and partials; each runs as a whole process, side by side in one run, with its wall
time and peak memory (``/usr/bin/time``: the process itself, not ``cat`` or ``wc``), the
best of ``--repeat`` runs at ``--rows`` (one run at ``--big``).  Destinations: ``-o``
(a file named on the command line), ``> file`` (standard output redirected to a file)
and ``| wc -c`` (standard output through a pipe); ``cat | adcalc --points -`` reads the
points from a pipe.  Formats written: CSV, JSON Lines, an Arrow IPC stream, Parquet.
Ratios are to the faster of the pyarrow and polars pipelines of the same row (pyarrow
writes no JSON: polars alone there); ``cat |`` is also given against adcalc reading the
file.  ``ragged`` is CSV with a short row in every 50,000 (every block adcalc reads has
one, so each goes through adcalc's own reader: what a bad row costs).  Peers that are
not installed are skipped (``pip install pandas pyarrow polars``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import table

SEED = "log((x1+x2)^2 + sin(x1*x2))"
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
"""As a user runs it: with byte-compiled modules (pip writes .pyc files at install; some
sandboxes set PYTHONDONTWRITEBYTECODE, which recompiles every module at every start)."""
CLOSED = """
s = x1 + x2; p = x1 * x2; q = s * s + np.sin(p)
f = np.log(q); d1 = (2 * s + x2 * np.cos(p)) / q; d2 = (2 * s + x1 * np.cos(p)) / q
"""
HEAD = """
import sys, numpy as np
src, dst, fmt = sys.argv[1], sys.argv[2], sys.argv[3]
out_to = sys.stdout.buffer if dst == "-" else dst
"""
PIPELINES = {
    "pandas": HEAD + """
import pandas as pd
t = pd.read_csv(src) if src.endswith(".csv") else pd.read_parquet(src)
x1 = t["x1"].to_numpy(); x2 = t["x2"].to_numpy()
""" + CLOSED + """
out = pd.DataFrame({"x1": x1, "x2": x2, "f": f, "df/dx1": d1, "df/dx2": d2})
out.to_csv(out_to, index=False) if fmt == "csv" else out.to_parquet(out_to)
""",
    "pyarrow": HEAD + """
import pyarrow as pa, pyarrow.csv as pc, pyarrow.parquet as pq
t = pc.read_csv(src) if src.endswith(".csv") else pq.read_table(src)
x1 = t["x1"].to_numpy(); x2 = t["x2"].to_numpy()
""" + CLOSED + """
out = pa.table({"x1": x1, "x2": x2, "f": f, "df/dx1": d1, "df/dx2": d2})
if fmt == "csv":
    pc.write_csv(out, out_to)
elif fmt == "parquet":
    pq.write_table(out, out_to)
else:
    with pa.ipc.new_stream(out_to, out.schema) as w:
        w.write_table(out)
""",
    "polars": HEAD + """
import polars as pl
t = pl.read_csv(src) if src.endswith(".csv") else pl.read_parquet(src)
x1 = t["x1"].to_numpy(); x2 = t["x2"].to_numpy()
""" + CLOSED + """
out = pl.DataFrame({"x1": x1, "x2": x2, "f": f, "df/dx1": d1, "df/dx2": d2})
{"csv": out.write_csv, "jsonl": out.write_ndjson, "arrow": out.write_ipc_stream,
 "parquet": out.write_parquet}[fmt](out_to)
""",
}
CASES = [  # (points, format written, where, the peers that run it)
    ("csv", "csv", "-o", ("pandas", "pyarrow", "polars")),
    ("csv", "csv", "> file", ("pyarrow", "polars")),
    ("csv", "csv", "| wc -c", ("pyarrow", "polars")),
    ("csv", "jsonl", "> file", ("polars",)),
    ("csv", "arrow", "| wc -c", ("pyarrow", "polars")),
    ("csv", "parquet", "| wc -c", ("pyarrow", "polars")),
    ("parquet", "parquet", "-o", ("pandas", "pyarrow", "polars")),
]


def measure(command: list[str], repeat: int = 1, stdout: Path | None = None,
            pipe: bool = False, stdin_from: Path | None = None) -> tuple[float, float] | None:
    """(wall seconds, peak MB) of a whole process, the best of ``repeat`` runs (a shared
    2-core machine is noisy), or None if it failed.  Its standard output goes to
    ``stdout`` (a file), or with ``pipe`` through ``wc -c``, else to /dev/null; with
    ``stdin_from`` its standard input is ``cat FILE |``."""
    best = None
    for _ in range(repeat):
        feeder = (subprocess.Popen(["cat", str(stdin_from)], stdout=subprocess.PIPE)
                  if stdin_from else None)
        with open(stdout or "/dev/null", "w") as sink:
            p = subprocess.Popen(["/usr/bin/time", "-f", "%e %M", *command], env=ENV,
                                 stdin=feeder.stdout if feeder else subprocess.DEVNULL,
                                 stdout=subprocess.PIPE if pipe else sink,
                                 stderr=subprocess.PIPE)
            if feeder:
                feeder.stdout.close()  # (the process holds it now)
            counter = None
            if pipe:
                counter = subprocess.Popen(["wc", "-c"], stdin=p.stdout,
                                           stdout=subprocess.DEVNULL)
                p.stdout.close()
            err = p.stderr.read().decode()
            code = p.wait()
            if counter:
                counter.wait()
            if feeder:
                feeder.wait()
        if code != 0:
            print(f"failed: {' '.join(command[-5:])}: {err.strip()[-300:]}", file=sys.stderr)
            return None
        wall, kb = err.strip().splitlines()[-1].split()
        if best is None or float(wall) < best[0]:
            best = float(wall), int(kb) / 1024
    return best


def available(module: str) -> bool:
    return subprocess.run([sys.executable, "-c", f"import {module}"],
                          capture_output=True).returncode == 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--big", type=int, default=10_000_000, help="0 to skip")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of each pipeline at --rows, the best kept (one at --big)")
    args = ap.parse_args()
    import numpy as np
    import polars as pl

    installed = {name for name in PIPELINES if available(name)}
    adcalc = [sys.executable, "-m", "adcalc", "grad", SEED]
    rows_out = []
    notes = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "warm.csv").write_text("x1,x2\n1,2\n")  # a first run writes the .pyc files
        subprocess.run([*adcalc, "--points", str(folder / "warm.csv")], env=ENV,
                       capture_output=True)
        scripts = {}
        for name in installed:
            scripts[name] = folder / f"pipe_{name}.py"  # not {name}.py: it would shadow the package
            scripts[name].write_text(PIPELINES[name])
        for n in [args.rows] + ([args.big] if args.big else []):
            k = args.repeat if n == args.rows else 1
            rng = np.random.default_rng(0)
            frame = pl.DataFrame({"x1": rng.uniform(0.5, 2, n), "x2": rng.uniform(0.5, 2, n)})
            sources = {"csv": folder / f"pts{n}.csv", "parquet": folder / f"pts{n}.parquet"}
            frame.write_csv(sources["csv"])
            frame.write_parquet(sources["parquet"])
            del frame
            for points, fmt, where, peers in CASES:
                src = sources[points]
                to_file = folder / f"out.{fmt}" if where == "> file" else None
                pipe = where == "| wc -c"
                runs = {}
                for name in peers:
                    if name in installed and not (name == "pyarrow" and fmt == "jsonl"):
                        dst = str(folder / f"out_{name}.{fmt}") if where == "-o" else "-"
                        runs[name] = ([sys.executable, str(scripts[name]), str(src), dst, fmt],
                                      None)
                if where == "-o":
                    runs["adcalc"] = ([*adcalc, "--points", str(src), "--overwrite", "-o",
                                       str(folder / f"out_adcalc.{fmt}")], None)
                else:
                    runs["adcalc"] = ([*adcalc, "--points", str(src), "--output-format", fmt],
                                      None)
                ragged = folder / "ragged.csv"
                if points == "csv" and fmt == "csv" and where == "> file":
                    runs["cat | adcalc --points -"] = ([*adcalc, "--points", "-"], src)
                    if n == args.rows:
                        lines = src.read_text().split("\n")
                        for j in range(1, len(lines) - 1, 50_000):
                            lines[j] = lines[j].split(",")[0]
                        ragged.write_text("\n".join(lines))
                        runs["adcalc, ragged"] = ([*adcalc, "--points", str(ragged)], None)
                results: dict[str, tuple[float, float] | None] = {}
                for _ in range(k):  # the runs of each pipeline interleaved: the machine's
                    for name, (command, stdin_from) in runs.items():  # load hits all alike
                        got = measure(command, 1, to_file, pipe, stdin_from)
                        old = results.get(name)
                        results[name] = got if old is None or (got and got[0] < old[0]) else old
                if ragged.exists():
                    ragged.unlink()
                own, piped = results.get("adcalc"), results.get("cat | adcalc --points -")
                if own and piped:
                    notes.append(f"{n:,} rows: cat | adcalc --points - > file takes "
                                 f"{piped[0] / own[0]:.2f}x the time of adcalc --points FILE "
                                 "> file")
                fastest = min((results[p][0] for p in ("pyarrow", "polars")
                               if results.get(p)), default=None)
                for name, got in results.items():
                    if got is None:
                        continue
                    ratio = f"{got[0] / fastest:.2f}" if fastest else "n/a"
                    rows_out.append([f"{n:,}", f"{points} -> {fmt}", where, name,
                                     f"{got[0]:.2f}", f"{got[1]:.0f}", ratio])
            for src in sources.values():
                src.unlink()
    print(table(["rows", "format", "to", "pipeline", "wall s", "peak MB",
                 "vs faster of pyarrow/polars"], rows_out))
    print()
    for line in notes:
        print(line)
    print("adcalc: one path through polars for files, pipes and standard output, a block "
          "at a time")


if __name__ == "__main__":
    main()
