"""grad --points in columnar formats through polars: Parquet, Arrow, JSON Lines, CSV."""

from __future__ import annotations

import math

import pytest

pl = pytest.importorskip("polars")
np = pytest.importorskip("numpy")

from adcalc import gradient  # noqa: E402

SEED = "log((x1+x2)^2 + sin(x1*x2))"


@pytest.fixture
def points(tmp_path):
    rng = np.random.default_rng(3)
    frame = pl.DataFrame({"x1": rng.uniform(0.5, 2, 500), "x2": rng.uniform(0.25, 2, 500),
                          "label": [f"p{k}" for k in range(500)]})
    frame.write_parquet(tmp_path / "pts.parquet")
    return frame


@pytest.mark.parametrize("ext", [".parquet", ".arrow", ".feather", ".jsonl", ".csv"])
def test_every_format_gives_the_scalar_path_bit_for_bit(cli, tmp_path, points, ext) -> None:
    out = tmp_path / f"out{ext}"
    r = cli("grad", SEED, "--points", str(tmp_path / "pts.parquet"), "-o", str(out))
    assert r.exit_code == 0, r.output
    read = {".parquet": pl.read_parquet, ".arrow": pl.read_ipc, ".feather": pl.read_ipc,
            ".jsonl": pl.read_ndjson, ".csv": pl.read_csv}[ext]
    got = read(out)
    assert got.columns == ["x1", "x2", "label", "f", "df/dx1", "df/dx2"]
    assert got["label"].to_list() == points["label"].to_list()  # passed through, in order
    for k in (0, 17, 499):
        g = gradient(SEED, {"x1": points["x1"][k], "x2": points["x2"][k]})
        assert got["x1"][k] == points["x1"][k]  # what is written reads back bit for bit
        assert got["f"][k] == g.value
        assert got["df/dx1"][k] == g.gradient["x1"] and got["df/dx2"][k] == g.gradient["x2"]


def test_csv_in_parquet_out_and_bad_rows(cli, tmp_path) -> None:
    src = tmp_path / "pts.csv"
    src.write_text("x,y\n1,2\noops,1\n0,1\n,3\n2,0.5\n")
    out = tmp_path / "out.parquet"
    r = cli("grad", "log(x)*y", "--points", str(src), "-o", str(out))
    assert r.exit_code == 0
    assert "3 of 5 rows could not be evaluated" in r.stderr
    assert "row 2, column x: 'oops' is not a number" in r.stderr
    got = pl.read_parquet(out)
    assert got["f"].to_list()[0] == 0.0 and got["f"].to_list()[4] == math.log(2) * 0.5
    assert got["f"].to_list()[1:4] == [None, None, None]  # a bad row is null, as in JSON
    r = cli("grad", "log(x)*y", "--points", str(src), "-o", str(out), "--strict")
    assert r.exit_code == 2 and "exists: give --overwrite" in r.output  # never replaced
    assert pl.read_parquet(out)["f"].to_list()[0] == 0.0  # unasked, and untouched
    r = cli("grad", "log(x)*y", "--points", str(src), "-o", str(out), "--strict",
            "--overwrite")
    assert r.exit_code == 2 and "row 2, column x" in r.output
    assert pl.read_parquet(out).height == 5  # a failed run leaves the old file as it was


def test_kinks_warn_as_on_the_scalar_path(cli, tmp_path) -> None:
    src = tmp_path / "k.parquet"
    pl.DataFrame({"x": [1.0, 0.0, -1.0]}).write_parquet(src)
    r = cli("grad", "abs(x)", "--points", str(src), "-o", str(tmp_path / "k.arrow"))
    assert r.exit_code == 0 and "1 of 3 rows are at a point" in r.stderr


def test_standard_input_and_output(cli, tmp_path, points) -> None:
    data = (tmp_path / "pts.parquet").read_bytes()
    r = cli("grad", "x1*x2", "--points", "-", "--input-format", "parquet",
            "--output-format", "jsonl", input=data)
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert len(lines) == 500 and '"df/dx1"' in lines[0]


@pytest.mark.parametrize(("args", "message"), [
    (["--points", "PTS", "-o", "out.txt"], "names no format"),
    (["--points", "missing.parquet"], "No such file or directory"),
    (["--points", "BROKEN"], "cannot read the points file"),
    (["--points", "PTS", "-o", "OUT"], ""),
])
def test_mistakes(cli, tmp_path, points, args, message) -> None:
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")
    args = [a.replace("PTS", str(tmp_path / "pts.parquet"))
            .replace("BROKEN", str(tmp_path / "broken.parquet"))
            .replace("OUT", str(tmp_path / "o.parquet")) for a in args]
    r = cli("grad", "x1*x2 + x3", *args)
    if not message:  # a variable the points do not have: the usual message
        assert r.exit_code == 2 and "no column for x3" in r.output
        return
    assert r.exit_code == 2 and message in r.output and "Traceback" not in r.output
    r = cli("grad", "x1", "-o", "x.parquet", "--at", "x1=1")
    assert r.exit_code == 2 and "--output goes with --points" in r.output


def test_threads_give_the_same_rows_in_order(tmp_path) -> None:
    """--threads sizes polars' pool (only before polars is imported: a fresh process)."""
    import subprocess
    import sys

    rng = np.random.default_rng(5)
    src = tmp_path / "many.parquet"
    pl.DataFrame({"x1": rng.uniform(0.5, 2, 300_000),
                  "x2": rng.uniform(0.5, 2, 300_000)}).write_parquet(src)
    outs = []
    for n in ("1", "2"):
        out = tmp_path / f"out{n}.parquet"
        subprocess.run([sys.executable, "-m", "adcalc", "grad", SEED, "--points", str(src),
                        "-o", str(out), "--threads", n], check=True)
        outs.append(pl.read_parquet(out))
    assert outs[0].equals(outs[1])
    assert outs[0]["x1"].to_list() == pl.read_parquet(src)["x1"].to_list()


def test_jacobian_and_hessian_points_are_the_scalar_commands(cli, tmp_path) -> None:
    from adcalc.commands.vector import hessian, jacobian

    rng = np.random.default_rng(9)
    src = tmp_path / "p.parquet"
    frame = pl.DataFrame({"x": rng.uniform(0.2, 2, 200), "y": rng.uniform(0.2, 2, 200)})
    frame.write_parquet(src)
    vector, scalar = "[x*y, sin(x) + y^2, exp(x*y)/x]", "x^2*y^3 + exp(x*y) + log(x)*y"
    r = cli("jacobian", vector, "--points", str(src), "-o", str(tmp_path / "j.parquet"))
    assert r.exit_code == 0, r.output
    j = pl.read_parquet(tmp_path / "j.parquet")
    assert j.columns[2:] == ["f1", "f2", "f3", "df1/dx", "df1/dy", "df2/dx", "df2/dy",
                             "df3/dx", "df3/dy"]
    r = cli("hessian", scalar, "--points", str(src), "-o", str(tmp_path / "h.arrow"))
    assert r.exit_code == 0, r.output
    h = pl.read_ipc(tmp_path / "h.arrow")
    assert h.columns[2:] == ["f", "df/dx", "df/dy", "d2f/dxdx", "d2f/dxdy", "d2f/dydy"]
    for k in (0, 99, 199):
        point = {"x": frame["x"][k], "y": frame["y"][k]}
        J = jacobian(vector, point).matrix
        for i in range(3):
            for c, n in enumerate("xy"):
                assert j[f"df{i + 1}/d{n}"][k] == pytest.approx(J[i][c], rel=1e-14)
        H = hessian(scalar, point).matrix
        for a, b, (r_, c_) in (("x", "x", (0, 0)), ("x", "y", (0, 1)), ("y", "y", (1, 1))):
            assert h[f"d2f/d{a}d{b}"][k] == pytest.approx(H[r_][c_], rel=1e-13)


def test_jacobian_points_on_standard_streams(cli) -> None:
    r = cli("jacobian", "[x*y, x + y]", "--points", "-", input="x,y\n1,2\n\n3,4\n")
    assert r.exit_code == 0
    assert r.stdout.splitlines() == ["x,y,f1,f2,df1/dx,df1/dy,df2/dx,df2/dy",
                                     "1,2,2.0,3.0,2.0,1.0,1.0,1.0",
                                     "3,4,12.0,7.0,4.0,3.0,1.0,1.0"]
    r = cli("hessian", "x^2", "--points", "-", "--at", "x=1", input="x\n1\n")
    assert r.exit_code == 2


def test_progress_counts_every_row(tmp_path) -> None:
    """The progress bar's measure: a Parquet file's rows are known before the sweep, and
    every piece swept reports its rows, which add up to them (a CSV's are its bytes)."""
    from adcalc.batch.columnar import open_points
    from adcalc.commands.points import run_points
    from adcalc.frontend.parse import parse

    src = tmp_path / "p.parquet"
    pl.DataFrame({"x": np.linspace(0.5, 2, 200_000)}).write_parquet(src, row_group_size=30_000)
    points = open_points(str(src), "parquet")
    assert points.total == 200_000
    seen = []
    run_points(parse("x^2"), points, "parquet", sink_to=str(tmp_path / "o.parquet"),
               progress=lambda units, rows: seen.append((units, rows)))
    assert sum(r for _, r in seen) == 200_000 and len(seen) > 1
    assert all(u == r for u, r in seen)
    csv_src = tmp_path / "p.csv"
    csv_src.write_bytes(b"x\n" + b"1.5\n" * 100_000)
    points = open_points(str(csv_src), "csv", block=1 << 16)
    assert points.total == csv_src.stat().st_size - 2  # all but the header
    seen.clear()
    run_points(parse("x^2"), points, "parquet", sink_to=str(tmp_path / "c.parquet"),
               progress=lambda units, rows: seen.append((units, rows)))
    assert sum(r for _, r in seen) == 100_000 and len(seen) > 1
    assert sum(u for u, _ in seen) == csv_src.stat().st_size - 2  # all but the header


def test_polars_reads_a_subset_of_what_float_reads_to_the_same_doubles() -> None:
    """``columnar.numbers`` lets polars' cast read the cells it reads: each must be what
    Python's ``float`` reads, to the bit; the others go through the shared reader."""
    import random

    random.seed(3)
    alpha = "0123456789.eE+-_ naifINFty\t\u0663"
    cells = ["".join(random.choice(alpha) for _ in range(random.randint(0, 7)))
             for _ in range(50_000)]
    for _ in range(20_000):
        digits = "".join(random.choice("0123456789") for _ in range(random.randint(1, 30)))
        k = random.randint(0, len(digits))
        cells.append(random.choice(["", "-", "+"]) + digits[:k] + "." + digits[k:]
                     + f"e{random.randint(-340, 330)}")
    cells += ["nan", "-NaN", "Infinity", "-inf", "1e400", "9" * 400, " 2", "2 ", "1_0"]
    read = pl.Series(cells).cast(pl.Float64, strict=False).to_list()
    for cell, value in zip(cells, read, strict=True):
        if value is None:
            continue
        want = float(cell)  # raises if polars read a cell float does not
        assert math.copysign(1, want) == math.copysign(1, value), cell
        assert value == want or (math.isnan(value) and math.isnan(want)), cell
