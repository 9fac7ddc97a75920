"""Batch evaluation: equal to the scalar path at every row; CSV and JSON Lines; bad rows."""

from __future__ import annotations

import csv
import io
import json
import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adcalc import gradient
from adcalc.batch.sweep import sweep_arrays
from adcalc.commands.points import run_batch
from adcalc.errors import DomainError, InputError
from adcalc.frontend.parse import parse
from adcalc.render.points_out import PointsWriter

SEED = "log((x1+x2)^2 + sin(x1*x2))"
EXPRESSIONS = [SEED, "sqrt(x1) * atan2(x2, x1) + relu(x1 - x2)",
               "x1^x2 + abs(x1 - 1) * max(x1, x2)", "sigmoid(x1*x2) + softplus(-x1) / x2",
               "a = x1 + x2; b = x1*x2; log(a^2 + sin(b)) * tanh(b)"]


def points(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.uniform(-2, 2, n), rng.uniform(-2, 2, n)
    x1[:4] = [0.0, 1.0, 0.0, -1.0]  # kinks and domain edges
    x2[:4] = [0.0, 1.0, 2.0, 0.0]
    return x1, x2


@pytest.mark.parametrize("text", EXPRESSIONS)
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_batch_equals_the_scalar_path_at_every_row(text: str, mode: str) -> None:
    tape = parse(text)
    x1, x2 = points(300, len(text))
    result = sweep_arrays(tape, {"x1": x1, "x2": x2}, mode)
    bad = dict(result.bad)
    for r in range(len(x1)):
        try:
            g = gradient(tape, {"x1": float(x1[r]), "x2": float(x2[r])}, mode=mode)
        except DomainError as exc:
            assert r in bad and bad[r] == str(exc)
            assert math.isnan(result.values[r])
            continue
        assert r not in bad
        assert result.values[r] == pytest.approx(g.value, rel=1e-14, abs=1e-300)
        for n in ("x1", "x2"):
            assert result.gradient[n][r] == pytest.approx(g.gradient[n], rel=1e-13,
                                                          abs=1e-300), (text, r, n)


def run(text: str, data: str, fmt: str = "csv", **kw) -> tuple[str, object]:
    out = io.StringIO()
    summary = run_batch(parse(text), io.StringIO(data), PointsWriter(out, fmt), **kw)
    return out.getvalue(), summary


def test_csv_round_trip_with_passthrough_columns() -> None:
    rng = random.Random(1)
    rows = [(rng.uniform(0.1, 2), rng.uniform(0.1, 2), f"id{k}") for k in range(50)]
    data = "x1,x2,label\n" + "".join(f"{a!r},{b!r},{c}\n" for a, b, c in rows)
    text, summary = run(SEED, data)
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == ["x1", "x2", "label", "f", "df/dx1", "df/dx2"]
    for (a, b, c), row in zip(rows, table[1:], strict=True):
        g = gradient(SEED, {"x1": a, "x2": b})
        assert row[:3] == [repr(a), repr(b), c]
        assert [float(x) for x in row[3:]] == [g.value, g.gradient["x1"], g.gradient["x2"]]
    assert summary.rows == 50 and not summary.bad


def test_json_lines_round_trip() -> None:
    data = "x2,x1,w\n0.5,1,7\n3,2,8\n"
    text, _ = run(SEED, data, "json")
    items = [json.loads(line) for line in text.splitlines()]
    # one flat layout, the columns of every other format: the cells as they came, then f
    assert list(items[0]) == ["x2", "x1", "w", "f", "df/dx1", "df/dx2"]
    assert items[0]["x2"] == "0.5" and items[0]["x1"] == "1" and items[0]["w"] == "7"
    g = gradient(SEED, {"x1": 1.0, "x2": 0.5})
    assert items[0]["f"] == g.value
    assert [items[0]["df/dx1"], items[0]["df/dx2"]] == [g.gradient["x1"], g.gradient["x2"]]


@settings(max_examples=60, deadline=None)
@given(cells=st.lists(st.text(st.characters(codec="utf-8"), max_size=6), min_size=1,
                      max_size=8))
def test_json_lines_give_back_every_cell_and_null_where_not_finite(cells) -> None:
    """polars writes the JSON Lines: each cell (quotes, back slashes, control characters,
    any code point) reads back as the string it was; a double that is not finite, or a bad
    row's, is null; the others read back bit for bit."""
    rows = [[c, x] for c, x in zip(cells, ["1", "0", "1e308", "-2", "0.5"] * 2, strict=False)]
    data = io.StringIO()
    csv.writer(data, lineterminator="\n", quoting=csv.QUOTE_ALL).writerows([["w", "x"], *rows])
    text, summary = run("exp(x)*x", data.getvalue(), "jsonl")
    items = [json.loads(line) for line in text.split("\n") if line]
    kept = [r for r in rows if any(c.strip() for c in r)]  # (a blank row is not a row)
    assert [i["w"] for i in items] == [r[0] for r in kept]
    overflow = []
    for k, (item, (_, x)) in enumerate(zip(items, kept, strict=True), start=1):
        try:
            want = math.exp(float(x)) * float(x)
        except OverflowError:  # a math error: a bad row, null
            want = None
            overflow.append(k)
        assert item["f"] == want
    assert [r for r, _ in summary.bad] == overflow


def test_bad_rows_are_nan_and_counted_and_strict_stops() -> None:
    data = "x1,x2\n1,0.5\n0,0\n2,3\n0,0\n"
    text, summary = run(SEED, data)
    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert rows[1][2:] == ["nan", "nan", "nan"] and rows[3][2:] == ["nan", "nan", "nan"]
    assert float(rows[2][2]) == gradient(SEED, {"x1": 2.0, "x2": 3.0}).value
    assert [r for r, _ in summary.bad] == [2, 4]
    assert "log of" in summary.bad[0][1] or "logarithm" in summary.bad[0][1]
    with pytest.raises(DomainError) as e:
        run(SEED, data, strict=True)
    assert str(e.value).startswith("row 2: math error at v6 = log(v5)")
    text, _ = run(SEED, data, "json")
    bad = json.loads(text.splitlines()[1])
    assert bad["f"] is None and bad["df/dx1"] is None


def test_row_numbers_continue_across_chunks() -> None:
    data = "x1,x2\n" + "1,1\n" * 7 + "0,0\n" + "2,2\n" * 3
    whole, s1 = run(SEED, data)
    chunked, s2 = run(SEED, data, chunk_rows=3)
    assert whole == chunked
    assert [r for r, _ in s1.bad] == [r for r, _ in s2.bad] == [8]
    out = io.StringIO()
    with pytest.raises(InputError) as e:  # --strict: the good rows, then the error
        run_batch(parse("x1*x2"), io.StringIO("x1,x2\n" + "1,1\n" * 5 + "1,oops\n2,2\n"),
                  PointsWriter(out), strict=True, chunk_rows=2)
    assert str(e.value) == "row 6, column x2: 'oops' is not a number"
    assert out.getvalue() == "x1,x2,f,df/dx1,df/dx2\n" + "1,1,1.0,1.0,1.0\n" * 5
    text, summary = run("x1*x2", "x1,x2\n" + "1,1\n" * 5 + "1,oops\n2,2\n", chunk_rows=2)
    assert summary.bad == [(6, "column x2: 'oops' is not a number")] and summary.rows == 7
    assert text.splitlines()[6:] == ["1,oops,nan,nan,nan", "2,2,4.0,2.0,2.0"]


@pytest.mark.parametrize(("data", "message"), [
    ("", "the points are empty"),
    ("\n", "the points are empty"),
    ("x1,y\n1,2\n", "the points have no column for x2; their header is: x1, y"),
    ("x1,x_2\n1,2\n", "a typo: x_2 for x2?"),
    ("x1,x2\n1,2,3\n", "row 1: it has 3 cells, but the header has 2"),
    ("x1,x2\n1,\n", "row 1, column x2: '' is not a number"),
])
def test_input_errors(data: str, message: str) -> None:
    with pytest.raises(InputError) as e:
        run("x1*x2", data, strict=True)
    assert message in str(e.value)


def test_one_policy_for_every_bad_row() -> None:
    """Without --strict a row that cannot be read is a NaN row with its reason, like a
    row outside the domain, and the run goes on."""
    text, summary = run("log(x1*x2)", "x1,x2,id\n1,2,a\n3,oops,b\n4\n5,6,c,d\n0,1,e\n7,8,f\n")
    assert [r for r, _ in summary.bad] == [2, 3, 4, 5]
    assert summary.bad[1] == (3, "it has 1 cells, but the header has 3")
    rows = text.splitlines()
    assert rows[2:6] == ["3,oops,b,nan,nan,nan", "4,,,nan,nan,nan", "5,6,c,nan,nan,nan",
                         "0,1,e,nan,nan,nan"]
    assert all(len(row.split(",")) == 6 for row in rows)


def test_header_only_gives_header_only() -> None:
    text, summary = run("x1*x2", "x1,x2\n")
    assert text == "x1,x2,f,df/dx1,df/dx2\n" and summary.rows == 0


def test_cli_points(cli, tmp_path) -> None:
    path = tmp_path / "points.csv"
    path.write_text("x1,x2\n1,0.5\n0,0\n")
    r = cli("grad", SEED, "--points", str(path))
    assert r.exit_code == 0
    assert r.stdout.splitlines()[1].startswith("1,0.5,1.0040911616346275,")
    assert "warning: 1 of 2 rows could not be evaluated and are NaN (row 2)" in r.stderr
    r = cli("grad", SEED, "--points", "-", "--format", "json", input=path.read_text())
    assert json.loads(r.stdout.splitlines()[0])["df/dx1"] == 1.2598956199053317
    r = cli("grad", SEED, "--points", str(path), "--strict")
    assert r.exit_code == 1 and "error: row 2: math error" in r.stderr
    r = cli("grad", SEED, "--points", str(path), "--at", "x1=1")
    assert r.exit_code == 2 and "--at does not go with --points" in r.stderr
    r = cli("grad", SEED, "--points", str(tmp_path / "missing.csv"))
    assert r.exit_code == 2 and "cannot read the points file" in r.stderr
    r = cli("grad", "[x1, x2]", "--points", str(path))
    assert r.exit_code == 2 and "scalar" in r.stderr


def test_progress_bar_appears_only_for_long_work(monkeypatch: pytest.MonkeyPatch) -> None:
    import time as clock

    from adcalc.render.points_out import Progress

    quick = Progress(total_chars=1000)
    quick(1000, 10)
    assert quick.bar is None  # all done fast: no bar
    slow = Progress(total_chars=1_000_000)
    slow.start = clock.perf_counter() - 0.5  # half a second for 1% of the input
    slow(10_000, 100)
    assert slow.bar is not None
    slow(990_000, 9_900)
    assert slow.bar.tasks[0].completed == 1_000_000
    slow.close()
    piped = Progress(total_chars=None)  # standard input, or stderr is not a terminal
    piped.start -= 10
    piped(10, 1)
    assert piped.bar is None


def test_pieces_on_threads_are_the_whole_chunk() -> None:
    """sweep_parallel: the rows split into cache-sized pieces over threads give exactly
    the one-piece sweep, bad rows and kinks included, in order."""
    import numpy as np

    from adcalc.batch.sweep import sweep_columns, sweep_parallel
    from adcalc.frontend.parse import parse

    rng = np.random.default_rng(2)
    n = 150_000
    x = rng.uniform(-2, 2, n)
    y = rng.uniform(0.5, 2, n)
    x[[5, 70_000, 149_999]] = 0.0  # kinks of abs, in three pieces
    y[[10, 100_000]] = -2.0  # log of a negative: bad rows
    for kind, text in (("gradient", "abs(x)*y + log(y + 1.5)"),
                       ("hessian", "abs(x)*y^2 + log(y + 1.5)*x")):
        tape = parse(text)
        whole, r1 = sweep_columns(tape, {"x": x, "y": y}, ["x", "y"], n, kind)
        split, r2 = sweep_parallel(tape, {"x": x, "y": y}, ["x", "y"], n, kind, threads=2)
        assert whole.keys() == split.keys()
        for name in whole:
            assert np.array_equal(whole[name], split[name], equal_nan=True), (kind, name)
        assert r1.bad == r2.bad and len(r2.bad) == 2
        assert r1.kink_rows() == r2.kink_rows()
        if kind == "gradient":
            assert r2.node_values(70_000)[tape.var_node["x"]] == 0.0


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_array_code_is_the_walk_over_arrays_bit_for_bit(mode: str) -> None:
    """The recorded sweeps (``array_code``) do the arithmetic of the walks over the
    ``Arrays`` algebra, operation for operation: the same doubles at every row where the
    walk's are finite (elsewhere the scalar path settles the row), and the same kinks,
    over random expressions of every primitive, in pieces on one and two threads."""
    from adcalc.batch.array_code import ArrayCode, compiled
    from adcalc.engine.sweeps import Arrays, adjoint, primal, tangent
    from tests.helpers import random_expressions as expressions

    rng = np.random.default_rng(7)
    n = 1200
    cols = {v: rng.choice([-1.0, 1.0], n) * rng.uniform(0.15, 1.9, n)
            for v in ("x", "y", "z", "x1", "x2")}
    for v in cols:
        cols[v][:12] = [0.0, 1.0, -1.0, 0.5, 0.0, 2.0, 0.0, 1.0, 1.0, 0.0, -0.0, 0.25]
    texts = [*EXPRESSIONS, "abs(x)*y + max(x, y)*relu(z)", "stop(x)*x + sign(y)*step(z)",
             *expressions(11, 80, 9)]
    for text in texts:
        tape = parse(text)
        here = {k: c for k, c in cols.items() if k in tape.var_node}
        names = tape.variables
        S = Arrays(n)
        vals = primal(tape, here, S)
        if mode == "forward":
            walked, kinks = {}, {}
            for v in names:
                t = tangent(tape, vals, {v: np.ones(n)}, S)
                walked[v] = np.broadcast_to(t.tangents[tape.output], (n,))
                for i, m in t.nondiff.items():
                    kinks[i] = kinks[i] | m if i in kinks else m
        else:
            a = adjoint(tape, vals, {tape.output: 1.0}, S)
            walked = {v: np.broadcast_to(a.adjoints[tape.var_node[v]], (n,)) for v in names}
            kinks = a.nondiff
        value = np.broadcast_to(vals[tape.output], (n,))
        finite = np.isfinite(value)
        for v in names:
            finite &= np.isfinite(walked[v])
        code = ArrayCode(tape, names, mode)
        code.piece_rows = 512  # three pieces, the last one short
        out, grads = np.empty(n), [np.empty(n) for _ in names]
        found = code.sweep(here, n, out, grads)
        assert np.array_equal(out[finite], value[finite]), text
        for v, g in zip(names, grads, strict=True):
            assert np.array_equal(g[finite], walked[v][finite]), (text, v)
        assert found.keys() == kinks.keys(), text
        for i in kinks:
            assert np.array_equal(found[i], kinks[i]), (text, i)
        r1 = sweep_arrays(tape, here, mode)
        compiled(tape, names, mode).piece_rows = 512  # pieces on two threads
        r2 = sweep_arrays(tape, here, mode, threads=2)
        assert np.array_equal(r1.values, r2.values, equal_nan=True), text
        assert r1.bad == r2.bad and r1.kink_rows() == r2.kink_rows(), text


@pytest.mark.parametrize("command", ["grad", "jacobian", "hessian"])
@pytest.mark.parametrize(("extra", "said"), [
    (["--format", "latex"], "prints trace tables; --points writes data"),
    (["--format", "markdown"], "prints trace tables; --points writes data"),
    (["--digits", "3"], "every number is written with all its digits"),
])
def test_points_refuse_what_only_tables_do(cli, command, extra, said) -> None:
    r = cli(command, "x^2*y", "--points", "-", *extra, input="x,y\n1,2\n")
    assert r.exit_code == 2 and said in r.stderr and not r.stdout


def test_points_say_why_exact_and_check_do_not_go_with_them(cli) -> None:
    r = cli("grad", "x^2", "--points", "-", "--exact", input="x\n1\n")
    assert r.exit_code == 2 and "the array sweeps run in doubles" in r.stderr
    r = cli("grad", "x^2", "--points", "-", "--check", input="x\n1\n")
    assert r.exit_code == 2 and "check one point with --at" in r.stderr


def test_a_literal_zero_that_flows_is_a_number_like_any_other(cli) -> None:
    """step's partial is the literal 0: times ∞ it is NaN, and the row goes to the scalar
    path, which names the division by zero (as --at does), rather than 0 passing as a
    gradient."""
    r = cli("grad", "step(1/log(x))", "--points", "-", input="x\n1\n2\n")
    assert r.stdout.splitlines()[1] == "1,nan,nan"
    assert "division by zero" in r.stderr


def test_a_hessian_of_huge_entries_warns_nothing_from_numpy(cli) -> None:
    r = cli("hessian", "1.5e308*x*y", "--points", "-", input="x,y\n1,2\n")
    assert "RuntimeWarning" not in r.stderr


def test_the_warnings_quote_the_rows_at_a_kink_in_every_result(cli) -> None:
    """Each result of a Jacobian has kinks at rows of its own: the warning of every
    kinked row quotes that row's values (the node values are kept for those rows only)."""
    from adcalc.batch.sweep import sweep_columns
    from adcalc.frontend.parse import parse

    tape = parse("[abs(x)*y, max(x, y)]")
    x = np.array([0.0, 1.0, 2.0, 3.0, 0.0])
    y = np.array([1.0, 2.0, 2.0, 5.0, 7.0])
    _, r = sweep_columns(tape, {"x": x, "y": y}, ["x", "y"], 5, "jacobian")
    assert r.kink_rows() == [0, 2, 4]  # abs at x = 0 (rows 0, 4), the tie at row 2
    for row in r.kink_rows():
        assert r.node_values(row)[tape.var_node["x"]] == x[row]
        assert r.node_values(row)[tape.var_node["y"]] == y[row]


def test_json_lines_write_a_double_that_is_not_finite_as_null() -> None:
    import polars as pl

    from adcalc.batch.columnar import Encoder

    frame = pl.DataFrame({"x": ["0", "1", "2", "3"],
                          "f": [math.inf, -math.inf, math.nan, 5e-324]})
    encoder = Encoder("jsonl", dict(frame.schema), ["f"], True)
    lines = encoder.encode(frame).decode().splitlines()
    assert [json.loads(line)["f"] for line in lines] == [None, None, None, 5e-324]


def test_a_row_that_is_nan_is_not_said_to_have_a_conventional_derivative(cli) -> None:
    """sqrt(x)*y at x = 0: the row has no derivative (NaN, with its reason); it said
    'a convention gave the derivative' of the same row too (an auditor's find)."""
    r = cli("grad", "sqrt(x)*y", "--points", "-", input="x,y\n0,0.5\n1,2\n")
    assert r.exit_code == 0 and "could not be evaluated and are NaN (row 1)" in r.stderr
    assert "convention" not in r.stderr
    r = cli("grad", "sqrt(x)^2*y", "--points", "-", input="x,y\n0,0.5\n4,2\n")
    assert "1 of 2 rows are at a point where the expression is not differentiable" in r.stderr


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_two_outputs_of_one_name_are_a_usage_error(cli, fmt: str) -> None:
    """The Hessian's (p, dq) and (pd, q) are both d2f/dpddq: a polars traceback, or a
    DuplicateError, exit 1 (an auditor's find)."""
    r = cli("hessian", "p*dq + 10*pd*q", "--points", "-", "--output-format", fmt,
            input="p,dq,pd,q\n1,2,3,4\n")
    assert r.exit_code == 2 and "would both be named 'd2f/dpddq'" in r.stderr
    assert "Traceback" not in r.stderr


def test_a_record_of_blank_cells_is_no_row_as_the_guide_says(cli, tmp_path) -> None:
    """docs/batch.md: a spreadsheet's empty row (',', '"",') is no row, like a blank
    line, on the file and the pipe alike, and the rows after it are numbered without it."""
    text = 'x,l\n1,a\n"",\n,\n-1,b\n'
    path = tmp_path / "p.csv"
    path.write_text(text)
    for args, kw in ((["--points", str(path)], {}), (["--points", "-"], {"input": text})):
        r = cli("grad", "log(x)", *args, **kw)
        assert r.stdout.splitlines() == ["x,l,f,df/dx", "1,a,0.0,1.0", "-1,b,nan,nan"]
        assert "(row 2)" in r.stderr
