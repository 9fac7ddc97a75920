"""The paths that were once quadratic, timed at n and 4n: programs of many bindings,
calls and vectors of many arguments, programs calling their own function many times,
and batch files with many variable columns.

    python benchmarks/linear_paths.py

Each row is a whole command as a user runs it (a fresh process, start-up included).
A ratio near 4 is linear; a quadratic path gives about 16.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import table

ADCALC = [sys.executable, "-m", "adcalc"]


def bindings(n: int, folder: Path) -> list[str]:
    path = folder / f"bindings{n}.ad"
    path.write_text("".join(f"a{i} = x*{i + 1}\n" for i in range(n)) + f"a0 + a{n - 1}\n")
    return ["grad", f"@{path}", "--at", "x=1", "-q"]


def arguments(n: int, folder: Path) -> list[str]:
    path = folder / f"args{n}.ad"
    path.write_text("sum(" + ", ".join(f"x*{i + 1}" for i in range(n)) + ")\n")
    return ["grad", f"@{path}", "--at", "x=1", "-q"]


def calls(n: int, folder: Path) -> list[str]:
    path = folder / f"calls{n}.ad"
    path.write_text("neuron(w, b, t) = tanh(w*t + b)\n"
                    + "\n".join(f"h{i} = neuron(x, {i % 7}, h{i - 1})" if i else "h0 = x"
                                 for i in range(n)) + f"\nh{n - 1}\n")
    return ["grad", f"@{path}", "--at", "x=0.5", "-q"]


def columns(n: int, folder: Path) -> list[str]:
    expr = folder / f"wide{n}.ad"
    expr.write_text("+".join(f"x{i}*x{(i + 1) % n}" for i in range(n)))
    points = folder / f"wide{n}.csv"
    points.write_text(",".join(f"x{i}" for i in range(n)) + "\n"
                      + (",".join("0.5" for _ in range(n)) + "\n") * 3)
    return ["grad", f"@{expr}", "--points", str(points)]


def seconds(args: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run([*ADCALC, *args], stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for label, make, n in (("bindings", bindings, 25_000), ("call arguments", arguments,
                                                                25_000),
                               ("calls of a program's function", calls, 10_000),
                               ("batch variable columns", columns, 10_000)):
            small, large = seconds(make(n, folder)), seconds(make(4 * n, folder))
            rows.append([label, f"{n:,}", f"{small:.2f}", f"{4 * n:,}", f"{large:.2f}",
                         f"{large / small:.1f}"])
    print("whole commands, one run each (s); linear ≈ 4x, quadratic ≈ 16x")
    print(table(["path", "n", "s", "4n", "s", "ratio"], rows))


if __name__ == "__main__":
    main()
