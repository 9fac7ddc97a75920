"""How a batch ends when it cannot finish: ``kill`` and ``timeout`` (SIGTERM), a closed
terminal (SIGHUP), a file-size limit, a standard output the shell closed.  Each leaves
no partial file behind, says what it left, and never prints a traceback."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ADCALC = [sys.executable, "-m", "adcalc"]
ROWS = b"".join(b"%d,0.5,ok\n" % k for k in range(20_000))


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["TERM", "HUP"])
@pytest.mark.parametrize("target", ["out.csv", "out.parquet", "out.arrow"])
def test_a_signal_mid_run_leaves_no_partial_file(tmp_path, signum, target) -> None:
    """The points come from a pipe that stays open, so the run is mid-way when the
    signal comes: exit 128 + the signal, no ``.part`` file, no output file."""
    out = tmp_path / target
    with subprocess.Popen([*ADCALC, "grad", "x*y", "--points", "-", "-o", str(out)],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, cwd=tmp_path) as run:
        assert run.stdin is not None
        run.stdin.write(b"x,y,l\n" + ROWS)
        run.stdin.flush()
        deadline = time.monotonic() + 60
        while not leftovers(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.05)  # (the file beside the output: the run is under way)
        time.sleep(0.3)
        run.send_signal(signum)
        _, err = run.communicate(timeout=60)
    assert run.returncode == 128 + signum, err
    assert b"Traceback" not in err
    assert leftovers(tmp_path) == [] and not out.exists()


def test_a_signal_on_standard_input_s_parquet_leaves_no_temporary_copy(tmp_path) -> None:
    import polars as pl

    source = tmp_path / "p.parquet"
    pl.DataFrame({"x": [1.0, 2.0], "y": [3.0, 4.0]}).write_parquet(source)
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    with subprocess.Popen([*ADCALC, "grad", "x*y", "--points", "-"], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as run:
        assert run.stdin is not None
        run.stdin.write(source.read_bytes()[:-8])  # the footer not yet come: spooled
        run.stdin.flush()
        deadline = time.monotonic() + 60
        while not list(tmp_path.glob("adcalc-points-*")) and time.monotonic() < deadline:
            time.sleep(0.05)
        run.send_signal(signal.SIGTERM)
        run.communicate(timeout=60)
    assert run.returncode == 143
    assert list(tmp_path.glob("adcalc-points-*")) == []


def limited() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))


@pytest.mark.parametrize("target", ["out.csv", "out.parquet", "out.jsonl"])
def test_a_failed_write_to_o_says_the_file_is_not_written_or_as_it_was(tmp_path, target):
    points = tmp_path / "p.csv"
    points.write_bytes(b"x,y,l\n" + ROWS * 3)
    out = tmp_path / target
    for before in (None, b"old"):
        if before is not None:
            out.write_bytes(before)
        r = subprocess.run([*ADCALC, "grad", "x*y", "--points", str(points), "-o", str(out),
                            *(["--overwrite"] if before else [])], capture_output=True,
                           preexec_fn=limited, timeout=120)
        assert r.returncode == 1, r.stderr
        said = r.stderr.decode()
        assert "cannot write the output: File too large" in said and "rows" not in said
        assert ("is as it was" if before else "was not written") in said
        assert (out.read_bytes() == before) if before else not out.exists()
        assert leftovers(tmp_path) == []


def test_a_failed_write_to_standard_output_in_a_file_keeps_whole_rows(tmp_path) -> None:
    points = tmp_path / "p.csv"
    points.write_bytes(b"x,y,l\n" + ROWS * 3)
    with open(tmp_path / "o.csv", "wb") as out:
        r = subprocess.run([*ADCALC, "grad", "x*y", "--points", str(points)], stdout=out,
                           stderr=subprocess.PIPE, preexec_fn=limited, timeout=120)
    assert r.returncode == 1
    kept = (tmp_path / "o.csv").read_bytes()
    rows = kept.count(b"\n") - 1
    assert f"it holds the header and the first {rows:,} rows".encode() in r.stderr
    assert kept.endswith(b"\n")


@pytest.mark.parametrize("args", [["--points", "P"], ["--points", "P", "--output-format",
                                                      "parquet"], ["--at", "x=1,y=2"]])
def test_a_closed_standard_output_is_a_message(tmp_path, args) -> None:
    points = tmp_path / "p.csv"
    points.write_bytes(b"x,y\n1,2\n")
    args = [str(points) if a == "P" else a for a in args]
    r = subprocess.run([*ADCALC, "grad", "x*y", *args], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=120, preexec_fn=lambda: os.close(1))
    assert r.returncode == 1
    assert r.stderr == b"error: cannot write the output: standard output is closed\n"


def test_o_file_needs_no_standard_output(tmp_path) -> None:
    points = tmp_path / "p.csv"
    points.write_bytes(b"x,y\n1,2\n")
    r = subprocess.run([*ADCALC, "grad", "x*y", "--points", str(points), "-o",
                        str(tmp_path / "o.csv")], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=120, preexec_fn=lambda: os.close(1))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "o.csv").read_bytes() == b"x,y,f,df/dx,df/dy\n1,2,2.0,2.0,1.0\n"
