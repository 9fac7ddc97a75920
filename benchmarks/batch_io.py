"""Batch gradients end to end, as a user runs them: adcalc against data-tool pipelines.

    python benchmarks/batch_io.py [--rows 1000000] [--big 10000000]

Each pipeline reads the points (two full-precision columns), computes the gradient of
``log((x1+x2)^2 + sin(x1*x2))`` (the peers by its NumPy closed form) and writes inputs,
value and partials; each runs as a whole process, side by side in one run, with its wall
time and peak memory (``/usr/bin/time``), the best of ``--repeat`` runs at ``--rows``
(one run at ``--big``).  Ratios are to the faster of the pyarrow and
polars pipelines of the same format.  Peers that are not installed are skipped
(``pip install pandas pyarrow polars``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import table

SEED = "log((x1+x2)^2 + sin(x1*x2))"
CLOSED = """
s = x1 + x2; p = x1 * x2; q = s * s + np.sin(p)
f = np.log(q); d1 = (2 * s + x2 * np.cos(p)) / q; d2 = (2 * s + x1 * np.cos(p)) / q
"""
PIPELINES = {
    "pandas": """
import sys, numpy as np, pandas as pd
src, dst = sys.argv[1], sys.argv[2]
t = pd.read_csv(src) if src.endswith(".csv") else pd.read_parquet(src)
x1 = t["x1"].to_numpy(); x2 = t["x2"].to_numpy()
""" + CLOSED + """
out = pd.DataFrame({"x1": x1, "x2": x2, "f": f, "df/dx1": d1, "df/dx2": d2})
out.to_csv(dst, index=False) if dst.endswith(".csv") else out.to_parquet(dst)
""",
    "pyarrow": """
import sys, numpy as np, pyarrow as pa, pyarrow.csv as pc, pyarrow.parquet as pq
src, dst = sys.argv[1], sys.argv[2]
t = pc.read_csv(src) if src.endswith(".csv") else pq.read_table(src)
x1 = t["x1"].to_numpy(); x2 = t["x2"].to_numpy()
""" + CLOSED + """
out = pa.table({"x1": x1, "x2": x2, "f": f, "df/dx1": d1, "df/dx2": d2})
pc.write_csv(out, dst) if dst.endswith(".csv") else pq.write_table(out, dst)
""",
    "polars": """
import sys, numpy as np, polars as pl
src, dst = sys.argv[1], sys.argv[2]
t = pl.read_csv(src) if src.endswith(".csv") else pl.read_parquet(src)
x1 = t["x1"].to_numpy(); x2 = t["x2"].to_numpy()
""" + CLOSED + """
out = pl.DataFrame({"x1": x1, "x2": x2, "f": f, "df/dx1": d1, "df/dx2": d2})
out.write_csv(dst) if dst.endswith(".csv") else out.write_parquet(dst)
""",
}


def measure(command: list[str], repeat: int = 1, stdout: Path | None = None
            ) -> tuple[float, float] | None:
    """(wall seconds, peak MB) of a whole process, the best of ``repeat`` runs (a shared
    2-core machine is noisy), or None if it failed."""
    best = None
    for _ in range(repeat):
        with open(stdout or "/dev/null", "w") as out:
            r = subprocess.run(["/usr/bin/time", "-f", "%e %M", *command], stdout=out,
                               stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            print(f"failed: {' '.join(command[-5:])}: {r.stderr.strip()[-300:]}",
                  file=sys.stderr)
            return None
        wall, kb = r.stderr.strip().splitlines()[-1].split()
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

    peers = [name for name in PIPELINES if available(name)]
    rows_out = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        scripts = {}
        for name in peers:
            scripts[name] = folder / f"pipe_{name}.py"  # not {name}.py: it would shadow the package
            scripts[name].write_text(PIPELINES[name])
        for n in [args.rows] + ([args.big] if args.big else []):
            rng = np.random.default_rng(0)
            frame = pl.DataFrame({"x1": rng.uniform(0.5, 2, n), "x2": rng.uniform(0.5, 2, n)})
            for fmt in ("csv", "parquet"):
                src = folder / f"pts{n}.{fmt}"
                frame.write_csv(src) if fmt == "csv" else frame.write_parquet(src)
                results = {}
                k = args.repeat if n == args.rows else 1
                for name in peers:
                    results[name] = measure([sys.executable, str(scripts[name]), str(src),
                                             str(folder / f"out_{name}.{fmt}")], k)
                results["adcalc -o"] = measure([sys.executable, "-m", "adcalc", "grad", SEED,
                                                "--points", str(src), "--overwrite", "-o",
                                                str(folder / f"out_adcalc.{fmt}")], k)
                if fmt == "csv":
                    results["adcalc > file"] = measure([sys.executable, "-m", "adcalc", "grad",
                                                        SEED, "--points", str(src)], k,
                                                       folder / "stdout.csv")
                fastest = min((results[p][0] for p in ("pyarrow", "polars")
                               if results.get(p)), default=None)
                for name, got in results.items():
                    if got is None:
                        continue
                    ratio = f"{got[0] / fastest:.2f}" if fastest else "n/a"
                    rows_out.append([f"{n:,}", fmt, name, f"{got[0]:.2f}", f"{got[1]:.0f}",
                                     ratio])
                src.unlink()
    print(table(["rows", "format", "pipeline", "wall s", "peak MB",
                 "vs faster of pyarrow/polars"], rows_out))
    print("\nadcalc -o: polars reads and writes (the columnar extra); adcalc > file: adcalc's "
          "own CSV stream, as without polars")


if __name__ == "__main__":
    main()
