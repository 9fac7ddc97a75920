"""Programs with branches and loops at many points: every row on its own path, with the
scalar path's numbers bit for bit, its errors and its warnings."""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adcalc.batch.paths import ProgramPaths
from adcalc.batch.sweep import sweep_arrays, sweep_columns
from adcalc.commands.grad import gradient
from adcalc.commands.points import batch_tape, run_batch
from adcalc.commands.vector import hessian, jacobian
from adcalc.errors import AdcalcError, InputError, spell
from adcalc.frontend.program import max_steps
from adcalc.render.points_out import PointsWriter
from tests.frontend.test_programs import programs

BRANCH = "if x1 > 0 then log((x1+x2)^2 + sin(x1*x2)) else (x1+x2)^2"
WHILE = "y = x1; n = 0; while abs(y) > 0.1 { y = y/2 + x2/100; n = n + 1 }; y*x2 + n"
NESTED = ("if x1 > 0 then (if x2 > x1 then x1*x2 else sqrt(x1)) "
          "else (if x2 < 0 or x1 < -1 then exp(x2) else -x1 + abs(x2))")
LOOPS = ("s = 0; for i in 1..3 { s = s + (if x1*i > x2 then sin(i*x1) else x2^2) }; "
         "repeat 2 { s = s/2 }; s")
NOT_TAKEN = "if x1 > 0 then log(x1) + x2 else 0"
OWN_PATH = "a = log(x1); if x2 > 0 then a*x2 else x2"
FUNCTIONS = "h(t) = if t > 0 then t^2 else -t; h(x1) + h(x2 - x1)"
PROGRAMS = [BRANCH, WHILE, NESTED, LOOPS, NOT_TAKEN, OWN_PATH, FUNCTIONS]


def rows(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.uniform(-2, 2, n), rng.uniform(-2, 2, n)
    x1[:6] = [0.0, 1.0, 0.0, -1.0, 0.5, -0.0]  # boundaries, domain edges
    x2[:6] = [0.0, 1.0, 2.0, 0.0, 0.5, 1.0]
    return {"x1": x1, "x2": x2}


def scalar(text: str, point: dict[str, float], mode: str = "reverse"
           ) -> tuple[float, dict[str, float]] | str:
    """The row's numbers as the scalar path finds its path: its tape (the path taken
    there), swept as arrays at that one row (NumPy's exp, log, sin may differ from the C
    library's in the last bit: what every batch sweep does, programs or not), checked
    against the scalar sweep itself; or the scalar path's error."""
    try:
        g = gradient(text, point, mode=mode)
    except AdcalcError as exc:
        return str(exc)
    names = list(point)
    one = sweep_arrays(g.tape, {n: np.array([v]) for n, v in point.items()}, mode, names)
    if one.bad:
        return one.bad[0][1]
    close = {"rel": 1e-9, "abs": 1e-12}  # ulps apart, grown by cancellation
    assert float(one.values[0]) == pytest.approx(g.value, **close)
    for n in names:
        assert float(one.gradient[n][0]) == pytest.approx(g.gradient[n], **close)
    return float(one.values[0]), {n: float(one.gradient[n][0]) for n in names}


def batch(text: str, cols: dict[str, np.ndarray], kind: str = "gradient",
          mode: str = "reverse") -> tuple[dict[str, np.ndarray], object, list[str]]:
    tape, names = batch_tape(text, None, kind)
    assert isinstance(tape, ProgramPaths)
    tape.fix_columns(list(cols))
    names = list(tape.variables)
    out, result = sweep_columns(tape, cols, names, len(next(iter(cols.values()))), kind, mode)
    return out, result, names


def pairs(cols: dict[str, np.ndarray]) -> list[tuple[float, float]]:
    return list(zip(cols["x1"].tolist(), cols["x2"].tolist(), strict=True))


def same(a: float, b: float) -> bool:
    return (a == b and math.copysign(1, a) == math.copysign(1, b)) or (a != a and b != b)


@pytest.mark.parametrize("text", PROGRAMS)
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_every_row_has_the_scalar_paths_numbers_bit_for_bit(text: str, mode: str) -> None:
    cols = rows(400, len(text))
    out, result, names = batch(text, cols, mode=mode)
    bad = {r: spell(m) for r, m in result.bad}
    kinks = set(result.kink_rows())
    for r in range(400):
        point = {n: float(cols[n][r]) for n in names}
        want = scalar(text, point, mode)
        if isinstance(want, str):
            assert bad.get(r) == want, (text, r)
            assert math.isnan(out["f"][r])
            continue
        assert r not in bad, (text, r, bad.get(r))
        value, grad = want
        assert same(out["f"][r], value), (text, r)
        for n in names:
            assert same(out[f"df/d{n}"][r], grad[n]), (text, r, n)
    boundary = {r for r in range(400) if r not in bad and any(
        "boundary" in w for w in gradient(text, {n: float(cols[n][r]) for n in names}
                                          ).tape.warnings)}
    assert boundary <= kinks


def test_the_branch_not_taken_raises_nothing() -> None:
    cols = {"x": np.array([-3.0, -1.0, 0.0, 2.0, -0.0])}
    out, result, _ = batch("if x > 0 then log(x) else 0", cols)
    assert result.bad == []
    assert out["f"].tolist() == [0.0, 0.0, 0.0, math.log(2.0), 0.0]
    assert out["df/dx"].tolist() == [0.0, 0.0, 0.0, 0.5, 0.0]
    assert result.kink_rows() == [2, 4]  # on the boundary x = 0


def test_a_row_whose_own_trace_fails_is_bad_with_the_scalar_message() -> None:
    cols = {"x": np.array([3.0, 1e300, -2.0, 40.0])}
    text = "y = x; while y > 1 { y = y/2 }; y + log(x)"
    with max_steps(100):
        out, result, _ = batch(text, cols)
        want = scalar(text, {"x": 1e300})
        assert isinstance(want, str) and "did not end within 100 iterations" in want
    bad = dict(result.bad)
    assert spell(bad[1]) == want
    assert spell(bad[2]) == scalar(text, {"x": -2.0})
    assert not math.isnan(out["f"][3])


def test_jacobian_and_hessian_per_row() -> None:
    text = "if x > y then [x*y, sin(x) + y^2] else [y, x^3]"
    cols = rows(60, 3)
    cols = {"x": cols["x1"], "y": cols["x2"]}
    out, result, names = batch(text, cols, "jacobian")
    assert result.bad == []
    for r in range(60):
        point = {n: float(cols[n][r]) for n in names}
        j = jacobian(text, point, mode="reverse")
        one, _ = sweep_columns(j.tape, {n: np.array([v]) for n, v in point.items()}, names, 1,
                               "jacobian")  # the row's path, as a straight-line batch
        for k, f in enumerate(["f1", "f2"]):
            assert same(out[f][r], one[f][0])
            assert out[f][r] == pytest.approx(j.outputs[k], rel=1e-14)
            for i, n in enumerate(names):
                assert same(out[f"d{f}/d{n}"][r], one[f"d{f}/d{n}"][0])
                assert out[f"d{f}/d{n}"][r] == pytest.approx(j.matrix[k][i], rel=1e-14)
    text = "if x > y then x^2*y + exp(x) else sin(x*y)"
    out, result, names = batch(text, cols, "hessian")
    for r in range(60):
        h = hessian(text, {n: float(cols[n][r]) for n in names})
        for i, a in enumerate(names):
            for j, b in enumerate(names[i:], i):
                assert out[f"d2f/d{a}d{b}"][r] == pytest.approx(h.matrix[i][j], rel=1e-13,
                                                                abs=1e-13)


def test_paths_are_traced_once_across_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    traced: list[tuple] = []
    trace = ProgramPaths.trace

    def counting(self: ProgramPaths, point: dict[str, float]) -> object:
        path = trace(self, point)
        traced.append(path[0].key)
        return path

    monkeypatch.setattr(ProgramPaths, "trace", counting)
    cols = rows(1000, 5)
    data = "x1,x2\n" + "".join(f"{a!r},{b!r}\n" for a, b in pairs(cols))
    tape, _ = batch_tape(BRANCH, None)
    out = io.StringIO()
    summary = run_batch(tape, io.StringIO(data), PointsWriter(out, "csv"), chunk_rows=64)
    assert summary.rows == 1000 and len(traced) == 2


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_stdout_json_lines_and_parquet(cli, tmp_path) -> None:
    cols = rows(200, 7)
    points = tmp_path / "points.csv"
    points.write_text("x1,x2,label\n" + "".join(
        f"{a!r},{b!r},r{k}\n" for k, (a, b) in enumerate(pairs(cols))))
    r = cli("grad", NESTED, "--points", str(points))
    assert r.exit_code == 0, r.output
    got = csv_rows(r.stdout)
    for k, row in enumerate(got):
        want = scalar(NESTED, {"x1": float(cols["x1"][k]), "x2": float(cols["x2"][k])})
        assert not isinstance(want, str)
        assert row["label"] == f"r{k}"
        assert row["f"] == repr(want[0]) and row["df/dx2"] == repr(want[1]["x2"])
    assert "boundary of x1 > 0" in r.stderr  # row 1 sits on it
    r = cli("grad", NESTED, "--points", str(points), "--format", "json")
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert [repr(d["f"]) for d in lines] == [row["f"] for row in got]
    pl = pytest.importorskip("polars")
    for suffix in ("parquet", "csv", "jsonl"):
        target = tmp_path / f"out.{suffix}"
        r = cli("grad", NESTED, "--points", str(points), "-o", str(target))
        assert r.exit_code == 0, r.output
        if suffix == "parquet":
            frame = pl.read_parquet(target)
            assert [repr(v) for v in frame["df/dx1"].to_list()] == [
                row["df/dx1"] for row in got]
        elif suffix == "csv":
            assert csv_rows(target.read_text()) == got
        else:
            assert [json.loads(line)["f"] for line in target.read_text().splitlines()] == [
                d["f"] for d in lines]
    target = tmp_path / "points.parquet"
    pl.read_csv(points).write_parquet(target)
    r = cli("grad", NESTED, "--points", str(target), "-o", str(tmp_path / "o2.parquet"))
    assert r.exit_code == 0, r.output
    frame = pl.read_parquet(tmp_path / "o2.parquet")
    assert [repr(v) for v in frame["f"].to_list()] == [row["f"] for row in got]


def test_bad_rows_and_strict_on_the_command_line(cli) -> None:
    data = "x\n3\n1e300\n-2\n"
    text = "y = x; while y > 1 { y = y/2 }; y + log(x)"
    r = cli("grad", text, "--points", "-", "--max-steps", "50", input=data)
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[2:] == ["1e300,nan,nan", "-2,nan,nan"]
    assert "2 of 3 rows could not be evaluated" in r.stderr
    assert "within 50 iterations, the limit --max-steps sets" in r.stderr
    r = cli("grad", text, "--points", "-", "--max-steps", "50", "--strict", input=data)
    assert r.exit_code == 1
    assert "row 2" in r.stderr and "--max-steps" in r.stderr


def test_variables_are_the_names_read_and_not_bound(cli) -> None:
    text = "a = 2*x; f(t) = t*a; if x > 0 then f(y) else a"
    r = cli("grad", text, "--points", "-", input="a,x,t,y,z\n9,1,8,2,0\n9,-1,8,2,0\n")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines() == ["a,x,t,y,z,f,df/dx,df/dy", "9,1,8,2,0,4.0,4.0,2.0",
                                     "9,-1,8,2,0,-2.0,2.0,0.0"]
    r = cli("grad", text, "--points", "-", "--vars", "y,x", input="x,y\n1,2\n")
    assert r.stdout.splitlines()[0] == "x,y,f,df/dy,df/dx"
    r = cli("grad", text, "--points", "-", input="x\n1\n")
    assert r.exit_code != 0 and "no column for y" in r.stderr
    r = cli("grad", "s = 0; for i in 1..2 { s = s + w[i]*x }; s", "--points", "-",
            input="w[1],w[2],x\n1,2,3\n")
    assert r.stdout.splitlines()[1] == "1,2,3,9.0,3.0,3.0,3.0"


def test_frame_function_takes_programs() -> None:
    pd = pytest.importorskip("pandas")
    import adcalc.commands.dataset as dataset

    cols = rows(100, 9)
    f = dataset.frame_function(BRANCH)
    frame = f(pd.DataFrame(cols))
    out, _, _ = batch(BRANCH, cols)
    np.testing.assert_array_equal(frame["df/dx2"].to_numpy(dtype=float, na_value=np.nan),
                                  out["df/dx2"])


def test_dask_engine_takes_programs(cli, tmp_path) -> None:
    pytest.importorskip("dask.dataframe")
    pl = pytest.importorskip("polars")
    cols = rows(300, 11)
    (tmp_path / "points").mkdir()
    for k in range(3):
        pl.DataFrame({n: c[k * 100:(k + 1) * 100] for n, c in cols.items()}).write_parquet(
            tmp_path / "points" / f"part.{k}.parquet")
    r = cli("grad", WHILE, "--points", str(tmp_path / "points"), "--engine", "dask", "-o",
            str(tmp_path / "out"))
    assert r.exit_code == 0, r.output
    frame = pl.read_parquet(tmp_path / "out" / "*.parquet")
    out, _, _ = batch(WHILE, cols)
    np.testing.assert_array_equal(frame["df/dx1"].to_numpy(), out["df/dx1"])
    assert "boundary" not in r.stderr


@settings(max_examples=40, deadline=None)
@given(programs(), st.lists(st.tuples(st.integers(-20, 20), st.integers(-20, 20)),
                            min_size=1, max_size=30))
def test_random_programs_batch_equals_scalar(program: tuple[str, float],
                                             grid: list[tuple[int, int]]) -> None:
    text, _ = program
    cols = {"x": np.array([a / 7 for a, _ in grid]), "y": np.array([b / 7 for _, b in grid])}
    out, result, names = batch(text, cols)
    bad = {r: spell(m) for r, m in result.bad}
    for r in range(len(grid)):
        want = scalar(text, {"x": float(cols["x"][r]), "y": float(cols["y"][r])})
        if isinstance(want, str):
            assert bad.get(r) == want
            continue
        assert r not in bad
        assert same(out["f"][r], want[0])
        for n in names:
            assert same(out[f"df/d{n}"][r], want[1][n])


def test_a_straight_line_expression_is_a_tape_as_before() -> None:
    tape, names = batch_tape("x*y", None)
    assert not isinstance(tape, ProgramPaths) and names == ["x", "y"]
    paths, _ = batch_tape("if x > 0 then y else 0", None)
    with pytest.raises(InputError, match="no column for y"):
        paths.fix_columns(["x"])


def test_an_entry_of_a_bound_vector_is_no_input(cli) -> None:
    """a = [x, y]; a[1]: the program reads x and y; --points asked for columns a[1] and
    a[2] once it had an if (an auditor's find), where --at took it."""
    text = "a = [x, y]; b = a[1]*a[2]; if b > 0 then b else -b"
    r = cli("grad", text, "--points", "-", input="x,y\n-1,2\n1,2\n")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines() == ["x,y,f,df/dx,df/dy", "-1,2,2.0,-2.0,1.0",
                                     "1,2,2.0,2.0,1.0"]
    one = cli("grad", text, "--at", "x=-1,y=2", "-q")
    assert one.stdout == "∂f/∂x = -2.0\n∂f/∂y = 1.0\n"
