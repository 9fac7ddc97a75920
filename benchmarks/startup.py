"""Start-up: adcalc on the seed example as a whole process, against bare Python.

    python benchmarks/startup.py [--repeat 10]

Runs `adcalc grad "log((x1+x2)^2 + sin(x1*x2))" --at x1=1,x2=0.5` piped to a file (and
the smallest command at a point, `adcalc grad "x^2" --at x=3`),
`python -c pass`, and Debian's `qalc` on the same derivative when it is installed, best
of --repeat each, side by side.  Targets: adcalc under 150 ms above bare Python, and no
slower than qalc.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import table

SEED = "log((x1+x2)^2 + sin(x1*x2))"


def best(cmd: list[str], repeat: int) -> float:
    # As a user runs it: with byte-compiled modules (pip writes .pyc files at install;
    # some sandboxes set PYTHONDONTWRITEBYTECODE, which recompiles every module at every
    # start).  The warm-up run below writes them.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    times = []
    for _ in range(repeat + 1):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                       check=True)
        times.append(time.perf_counter() - t0)
    return min(times[1:])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=10)
    args = ap.parse_args()
    adcalc = [sys.executable, "-m", "adcalc"]
    exe = Path(sys.executable).with_name("adcalc")
    if exe.exists():
        adcalc = [str(exe)]
    runs = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "adcalc grad (trace, plain)": [*adcalc, "grad", SEED, "--at", "x1=1,x2=0.5"],
        "adcalc grad -q": [*adcalc, "grad", SEED, "--at", "x1=1,x2=0.5", "-q"],
        'adcalc grad "x^2" --at x=3': [*adcalc, "grad", "x^2", "--at", "x=3"],
        "adcalc diff": [*adcalc, "diff", SEED],
    }
    if shutil.which("qalc"):
        runs["qalc diff(ln((x+y)^2+sin(x*y)), x)"] = ["qalc",
                                                      "diff(ln((x+y)^2+sin(x*y)), x)"]
    base = None
    rows = []
    for name, cmd in runs.items():
        t = best(cmd, args.repeat)
        base = base if base is not None else t
        rows.append([name, f"{t * 1e3:.0f}", f"{(t - base) * 1e3:+.0f}"])
    print(f"whole process, best of {args.repeat} (ms)")
    print(table(["command", "ms", "above python"], rows))
    if "qalc diff(ln((x+y)^2+sin(x*y)), x)" not in runs:
        print("qalc is not installed (apt-get install qalc) so it was not measured")


if __name__ == "__main__":
    main()
