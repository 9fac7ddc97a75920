"""``--engine dask --scheduler ADDRESS`` (and ``DASK_SCHEDULER_ADDRESS``) on a real cluster:
a scheduler and two workers started here as separate processes on loopback (``dask
scheduler``, ``dask worker``, as docs/batch.md shows them), the command line run as a
process of its own; the dataset it writes is the run on this machine's, file for file and
byte for byte.  An address where nothing answers, or a scheduler with no worker, is a
message and exit 2 within the timeout, never a hang or a traceback."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")
pytest.importorskip("dask.dataframe", reason="--engine dask needs Dask: adcalc[dask]")
distributed = pytest.importorskip("distributed", reason="a cluster needs dask.distributed")

SEED = "log((x1+x2)^2 + sin(x1*x2))"
PARTS = 4
WAIT = 30.0
"""Seconds for anything to come up; the suite takes a few."""


def dask_command() -> list[str]:
    """The ``dask`` command of this environment (the workers import adcalc from it)."""
    script = Path(sys.executable).with_name("dask")
    return [str(script)] if script.exists() else [sys.executable, "-m", "dask"]


def environment(**settings: str) -> dict[str, str]:
    """This process's environment without a cluster of its own, and ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DASK_")}
    env.update(settings)
    return env


def adcalc(*args: str, cwd: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    """``adcalc ARGS`` as its own process (``python -m adcalc``), no standard input."""
    return subprocess.run([sys.executable, "-m", "adcalc", *args], cwd=cwd,
                          env=environment(**settings), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120)


def stop(processes: list[subprocess.Popen]) -> None:
    """Each process started here, and what it started (its own session), ended."""
    for p in processes:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in processes:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=10)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """(address, a Client to look at it): ``dask scheduler`` on a port of its choosing
    (``--port 0``; the address read from its ``--scheduler-file``) and two ``dask worker``
    processes of one thread each, in a folder of their own; ended whatever happens."""
    folder = tmp_path_factory.mktemp("cluster")
    started: list[subprocess.Popen] = []
    logs = []

    def start(name: str, *args: str) -> subprocess.Popen:
        log = open(folder / f"{name}.log", "wb")  # noqa: SIM115 (closed below)
        logs.append(log)
        p = subprocess.Popen([*dask_command(), *args], cwd=folder, env=environment(),
                             stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)
        started.append(p)
        return p

    def told() -> str:
        return "\n".join(f"{p.name}:\n{p.read_text(errors='replace')[-2000:]}"
                         for p in sorted(folder.glob("*.log")))

    try:
        found = folder / "scheduler.json"
        scheduler = start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", "0",
                          "--no-dashboard", "--scheduler-file", str(found),
                          "--idle-timeout", "300s")
        deadline = time.monotonic() + WAIT
        while not found.exists() or not found.read_text().strip().endswith("}"):
            assert scheduler.poll() is None, f"the scheduler ended\n{told()}"
            assert time.monotonic() < deadline, f"no scheduler after {WAIT} s\n{told()}"
            time.sleep(0.05)
        address = json.loads(found.read_text())["address"]
        for k in range(2):
            start(f"worker{k}", "worker", address, "--nworkers", "1", "--nthreads", "1",
                  "--no-dashboard", "--death-timeout", "60s")
        with distributed.Client(address, timeout=WAIT, set_as_default=False) as client:
            try:
                client.wait_for_workers(2, timeout=WAIT)
            except TimeoutError:
                pytest.fail(f"two workers did not come within {WAIT} s\n{told()}")
            yield address, client
    finally:
        stop(started)
        for log in logs:
            log.close()


@pytest.fixture(autouse=True)
def _no_scheduler_left():
    """``--scheduler`` run in this process is a setting: none carried to the next test."""
    yield
    from adcalc.commands.dataset import SCHEDULER_SETTING

    SCHEDULER_SETTING.set(None)


@pytest.fixture(scope="module")
def points(tmp_path_factory) -> Path:
    """A folder of PARTS Parquet files, with rows the sweep cannot evaluate (x1 = -x2:
    the log of sin(-x2²) < 0) in the second and the last."""
    folder = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(28)
    (folder / "points").mkdir()
    for k in range(PARTS):
        x1, x2 = rng.uniform(0.5, 2, 2500), rng.uniform(0.5, 2, 2500)
        if k % 2:
            x1[[3, 1000]] = -x2[[3, 1000]]
        pd.DataFrame({"x1": x1, "x2": x2, "label": [f"p{k}r{r}" for r in range(2500)]}
                     ).to_parquet(folder / "points" / f"part{k}.parquet", index=False)
    return folder


def executed(client) -> int:
    """Tasks the cluster's workers have run so far."""
    return sum(client.run(lambda dask_worker: dask_worker.state.executed_count).values())


def same_dataset(got: Path, want: Path) -> None:
    """The same part files, byte for byte, and so the same values bit for bit."""
    names = sorted(p.name for p in want.iterdir())
    assert sorted(p.name for p in got.iterdir()) == names and len(names) == PARTS
    for name in names:
        assert (got / name).read_bytes() == (want / name).read_bytes(), name
    a, b = pd.read_parquet(got), pd.read_parquet(want)
    assert list(a.columns) == ["x1", "x2", "label", "f", "df/dx1", "df/dx2"]
    for column in ("f", "df/dx1", "df/dx2"):
        x = a[column].to_numpy(dtype=np.float64, na_value=np.nan).view(np.uint64)
        y = b[column].to_numpy(dtype=np.float64, na_value=np.nan).view(np.uint64)
        assert np.array_equal(x, y), column
    assert int(a["f"].isna().sum()) == 4  # the bad rows are null on both


def test_a_dataset_on_the_cluster_is_the_local_run_bit_for_bit(cluster, points) -> None:
    address, client = cluster
    local = adcalc("grad", SEED, "--points", "points/*.parquet", "--engine", "dask", "-o",
                   "local/", cwd=points)
    assert local.returncode == 0, local.stderr
    before = executed(client)
    remote = adcalc("grad", SEED, "--points", "points/*.parquet", "--engine", "dask",
                    "--scheduler", address, "-o", "remote/", cwd=points)
    assert remote.returncode == 0, remote.stderr
    assert executed(client) - before >= 2 * PARTS  # each part read and swept there
    same_dataset(points / "remote", points / "local")
    assert remote.stdout == local.stdout == ""
    assert "Traceback" not in remote.stderr
    assert remote.stderr.replace("remote/", "local/") == local.stderr  # the same bad rows
    assert "rows 2504, 3501, 7504, 8501" in remote.stderr


def test_dask_scheduler_address_is_the_same_as_the_flag(cluster, points) -> None:
    address, client = cluster
    if not (points / "local").exists():
        assert adcalc("grad", SEED, "--points", "points", "--engine", "dask", "-o", "local/",
                      cwd=points).returncode == 0
    before = executed(client)
    r = adcalc("grad", SEED, "--points", "points", "--engine", "dask", "-o", "by-env/",
               cwd=points, DASK_SCHEDULER_ADDRESS=address)
    assert r.returncode == 0, r.stderr
    assert executed(client) - before >= 2 * PARTS
    same_dataset(points / "by-env", points / "local")


def test_the_api_takes_the_address(cluster, points) -> None:
    import adcalc as api

    address, client = cluster
    before = executed(client)
    _tape, names, summary = api.sweep_dataset(SEED, str(points / "points"),
                                             str(points / "by-api"), scheduler=address)
    assert executed(client) - before >= 2 * PARTS
    assert names == ["x1", "x2"] and summary.rows == PARTS * 2500 and len(summary.bad) == 4
    if (points / "local").exists():
        same_dataset(points / "by-api", points / "local")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_address_where_nothing_answers_is_a_message_not_a_hang(tmp_path, points) -> None:
    address = f"tcp://127.0.0.1:{free_port()}"
    started = time.monotonic()
    r = adcalc("grad", SEED, "--points", str(points / "points"), "--engine", "dask",
               "--scheduler", address, "-o", str(tmp_path / "out"), cwd=tmp_path,
               DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT="1s")
    took = time.monotonic() - started
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith(f"error: cannot connect to the Dask scheduler at '{address}': "
                               "nothing answered within 1 s"), r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""
    assert took < 20 and sorted(os.listdir(tmp_path)) == []  # no folder, nothing left


def test_a_scheduler_with_no_workers_is_a_message_not_a_hang(cli, tmp_path, points) -> None:
    import dask

    with distributed.LocalCluster(n_workers=0, processes=False, protocol="tcp",
                                  host="127.0.0.1", scheduler_port=0,
                                  dashboard_address=":0") as empty, \
            dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        r = cli("grad", SEED, "--points", str(points / "points"), "--engine", "dask",
                "--scheduler", empty.scheduler_address, "-o", str(tmp_path / "out"))
    assert r.exit_code == 2
    assert (f"the Dask scheduler at '{empty.scheduler_address}' has no workers (none came "
            "within 1 s): start one with dask worker") in r.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--points", "p/", "--scheduler", "tcp://127.0.0.1:8786", "-o", "o/"],
     "--scheduler goes with --points DATASET --engine dask"),
    (["--scheduler", "tcp://127.0.0.1:8786", "--at", "x=1"],
     "--scheduler goes with --points DATASET --engine dask"),
    (["--scheduler", "tcp://127.0.0.1:8786", "--engine", "dask", "--at", "x=1"],
     "--scheduler goes with --points DATASET --engine dask"),
])
def test_scheduler_goes_with_engine_dask(cli, args: list[str], message: str) -> None:
    r = cli("grad", "x*y", *args)
    assert r.exit_code == 2 and message in r.stderr


def test_not_an_address(cli, tmp_path, points) -> None:
    r = cli("grad", SEED, "--points", str(points / "points"), "--engine", "dask",
            "--scheduler", "localhost", "-o", str(tmp_path / "out"))
    assert r.exit_code == 2
    assert "'localhost' is not the address of a Dask scheduler" in r.stderr
    assert "give one like tcp://127.0.0.1:8786" in r.stderr
