"""--engine dask and adcalc.frame_function on a local Dask cluster of two workers: the
same numbers as the single-process path."""

from __future__ import annotations

import pytest

pl = pytest.importorskip("polars")
np = pytest.importorskip("numpy")
pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

SEED = "log((x1+x2)^2 + sin(x1*x2))"


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def dataset(folder, parts: int = 4, rows: int = 2500):
    rng = np.random.default_rng(11)
    folder.mkdir()
    frames = []
    for k in range(parts):
        frame = pl.DataFrame({"x1": rng.uniform(0.5, 2, rows), "x2": rng.uniform(0.5, 2, rows)})
        frame.write_parquet(folder / f"part{k}.parquet")
        frames.append(frame)
    return pl.concat(frames)


def test_a_dataset_on_two_workers_is_the_single_process_result(cli, client, tmp_path) -> None:
    whole = dataset(tmp_path / "points")
    whole.write_parquet(tmp_path / "whole.parquet")
    r = cli("grad", SEED, "--points", str(tmp_path / "points" / "*.parquet"), "--engine",
            "dask", "-o", str(tmp_path / "out"))
    assert r.exit_code == 0, r.output
    assert len(client.scheduler_info()["workers"]) == 2
    got = pl.read_parquet(tmp_path / "out" / "*.parquet").sort(["x1", "x2"])
    r = cli("grad", SEED, "--points", str(tmp_path / "whole.parquet"), "-o",
            str(tmp_path / "single.parquet"))
    want = pl.read_parquet(tmp_path / "single.parquet").sort(["x1", "x2"])
    assert got.columns == want.columns == ["x1", "x2", "f", "df/dx1", "df/dx2"]
    assert got.equals(want)  # bit for bit


def test_frame_function_in_map_partitions(client, tmp_path) -> None:
    import dask.dataframe as dd

    import adcalc

    dataset(tmp_path / "pts", parts=2, rows=100)
    points = dd.read_parquet(str(tmp_path / "pts"))
    f = adcalc.frame_function("[x1*x2, x1 + x2^2]", kind="jacobian")
    out = points.map_partitions(f, meta=f.meta(points._meta)).compute()
    assert list(out.columns[2:]) == ["f1", "f2", "df1/dx1", "df1/dx2", "df2/dx1", "df2/dx2"]
    row = out.iloc[7]
    assert row["df1/dx1"] == row["x2"] and row["df2/dx2"] == 2 * row["x2"]


def test_dask_needs_a_folder_to_write(cli, tmp_path) -> None:
    r = cli("grad", SEED, "--points", "x.parquet", "--engine", "dask")
    assert r.exit_code == 2 and "give its folder with -o" in r.output
