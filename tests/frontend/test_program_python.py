"""Python functions that branch and loop on traced values: ``--python FILE:FUNC --points``
takes each row's own path (the numbers of ``--python … --at`` that row, bit for bit, and
JAX's grad of the same function), and ``adcalc.grad(f)`` traces again where a ``while``'s
test or an ``if`` inside a ``for`` over ``range(n)`` flips, never reusing the old path."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest

import adcalc
from tests.frontend.test_var_branches import MODEL as VAR_MODEL

MODEL = VAR_MODEL + '''
import adcalc

def ranged(x, y):
    s = 0.0
    for i in range(4):
        if x > i * y:
            s = s + adcalc.exp(-i * x) * y
        else:
            s = s - x / (i + 1)
    return s

def unsafe(x):
    y = adcalc.log(x)
    if x > 0:
        return y * x
    return 2 * x

def peek(x):
    return x * x.value
'''


@pytest.fixture
def model(tmp_path: Path) -> str:
    path = tmp_path / "br.py"
    path.write_text(MODEL)
    return str(path)


def _rows(n: int, names: tuple[str, ...], seed: int) -> list[dict[str, float]]:
    rng = random.Random(seed)
    return [{v: round(rng.uniform(-3, 3), 6) for v in names} for _ in range(n)]


@pytest.mark.parametrize(("name", "names"), [("f", ("x", "y")), ("ranged", ("x", "y")),
                                             ("newton", ("x",)), ("unsafe", ("x",))])
def test_points_take_each_row_s_path_as_at_does(cli, model: str, name: str,
                                                 names: tuple[str, ...]) -> None:
    rows = _rows(12, names, seed=len(name))
    if name == "newton":
        rows = [{"x": abs(r["x"]) + 0.1} for r in rows]
    rows += [{v: 1.0 for v in names}]  # f: on the boundary x = y
    csv = ",".join(names) + "\n" + "".join(",".join(repr(r[v]) for v in names) + "\n"
                                           for r in rows)
    r = cli("grad", "--python", f"{model}:{name}", "--points", "-", "--format", "json",
            input=csv)
    assert r.exit_code == 0, r.stderr
    got = [json.loads(line) for line in r.stdout.splitlines()]
    paths = set()
    for row, line in zip(rows, got, strict=True):
        at = ",".join(f"{v}={row[v]!r}" for v in names)
        one = cli("grad", "--python", f"{model}:{name}", "--at", at, "--format", "json")
        assert one.exit_code == 0, one.stderr
        want = json.loads(one.stdout)
        assert line["f"] == want["value"], (row, line, want)
        for v in names:
            assert line[f"df/d{v}"] == want["gradient"][v], (row, v)  # bit for bit
        paths.add(tuple(d["outcome"] for d in want.get("decisions", [])))
    assert len(paths) > 1  # the rows really took different paths
    if name == "f":
        assert "row 13: br.py:5: x > y: the point is on the boundary of x > y" in r.stderr


def test_points_match_jax_s_grad_of_the_same_function(cli, model: str) -> None:
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy

    def ranged(x, y):
        s = 0.0
        for i in range(4):
            s = s + jnp.exp(-i * x) * y if x > i * y else s - x / (i + 1)
        return s

    def f(x, y):
        return x * y if x > y else jnp.sin(x) - y

    for name, fn in (("f", f), ("ranged", ranged)):
        rows = _rows(10, ("x", "y"), seed=7)
        csv = "x,y\n" + "".join(f"{r['x']!r},{r['y']!r}\n" for r in rows)
        r = cli("grad", "--python", f"{model}:{name}", "--points", "-", input=csv)
        assert r.exit_code == 0, r.stderr
        for row, line in zip(rows, r.stdout.splitlines()[1:], strict=True):
            _, _, value, dx, dy = (float(c) for c in line.split(","))
            want = jax.grad(fn, argnums=(0, 1))(row["x"], row["y"])
            assert math.isclose(value, float(fn(row["x"], row["y"])), rel_tol=1e-13,
                                abs_tol=1e-15)
            for got, w in ((dx, want[0]), (dy, want[1])):
                assert math.isclose(got, float(w), rel_tol=1e-12, abs_tol=1e-14), (name, row)


def test_points_of_a_function_without_a_guard_are_refused(cli, model: str) -> None:
    r = cli("grad", "--python", f"{model}:peek", "--points", "-", input="x\n2\n3\n")
    assert r.exit_code == 2 and "reads a traced value's number (x.value)" in r.stderr
    r = cli("graph", "--python", f"{model}:peek")  # no point: refused, not drawn at 1.0
    assert r.exit_code == 2 and "give --at with x" in r.stderr
    r = cli("graph", "--python", f"{model}:f")
    assert r.exit_code == 2 and "give --at with x, y" in r.stderr and "--points" not in r.stderr


def test_a_row_whose_own_trace_fails_is_a_bad_row(cli, model: str) -> None:
    """``unsafe`` compares ``x > 0`` after making ``log(x)``: at x <= 0 the log is never
    read, so the row is fine (as at --at); a row that cannot be traced says why."""
    r = cli("grad", "--python", f"{model}:unsafe", "--points", "-", input="x\n-2\n2\n")
    assert r.exit_code == 0 and r.stdout.splitlines()[1:] == [
        "-2,-4.0,2.0", f"2,{2 * math.log(2)!r},{math.log(2) + 1!r}"], r.stderr


def test_guards_trace_a_while_and_a_for_again_where_a_decision_flips() -> None:
    calls = []

    def halve(x):
        calls.append(x)
        n = 0
        while x > 1:  # a test on a traced value each time round
            x = x / 2
            n += 1
        return x * (n + 1)

    def ranged(x):
        calls.append(x)
        s = 0.0
        for i in range(3):  # a for over range(n): an if inside on a traced value
            s = s + (x * i if x > i else -x)
        return s

    g = adcalc.grad(halve)
    assert g(10.0)["x"] == 5 / 16 and len(calls) == 1  # 10 → 0.625 after 4 halvings
    assert g(12.0)["x"] == 5 / 16 and len(calls) == 1  # the same trip count: reused
    assert g(3.0)["x"] == 3 / 4 and len(calls) == 2  # 2 halvings: the test flips, traced again
    assert g(0.5)["x"] == 1.0 and len(calls) == 3
    assert g(11.0)["x"] == 5 / 16 and len(calls) == 3  # a kept path
    calls.clear()
    h = adcalc.grad(ranged)
    assert h(2.5)["x"] == 0 + 1 + 2 and len(calls) == 1
    assert h(2.7)["x"] == 3 and len(calls) == 1
    assert h(1.5)["x"] == 0 + 1 - 1 and len(calls) == 2  # x > 2 flips
    assert h(-1.0)["x"] == -3 and len(calls) == 3
    assert [d.outcome for d in h(-1.0).decisions] == [False, False, False]
    assert [(d.op, d.outcome) for d in h(2.0).decisions] == [(">", True), (">", True),
                                                            (">", False)]
    assert h(2.0).decisions[2].boundary and "boundary" in h(2.0).warnings[0]


def test_python_while_on_the_command_line_retraces_per_point(cli, model: str) -> None:
    for x in (0.3, 2.0, 50.0):
        r = cli("grad", "--python", f"{model}:newton", "--at", f"x={x}", "-q")
        assert r.exit_code == 0
        got = float(r.stdout.split("= ")[1])
        assert math.isclose(got, 0.5 / math.sqrt(x), rel_tol=1e-10), (x, got)
    r = cli("grad", "--python", f"{model}:newton", "--at", "x=2", "--format", "json")
    trips = len(json.loads(r.stdout)["decisions"])
    r = cli("grad", "--python", f"{model}:newton", "--at", "x=50", "--format", "json")
    assert len(json.loads(r.stdout)["decisions"]) > trips  # more iterations, more tests


def test_the_function_runs_once_a_path_not_once_a_row(cli, tmp_path: Path) -> None:
    log = tmp_path / "calls.txt"
    path = tmp_path / "counted.py"
    path.write_text(f'''
def f(x):
    with open({str(log)!r}, "a") as out:
        out.write("call\\n")
    return x * x if x > 0 else -x
''')
    csv = "x\n" + "".join(f"{(-1) ** k * (k + 1) / 7!r}\n" for k in range(200))
    r = cli("grad", "--python", f"{path}:f", "--points", "-", input=csv)
    assert r.exit_code == 0 and len(r.stdout.splitlines()) == 201, r.stderr
    assert log.read_text().count("call") == 2  # two paths: traced twice for 200 rows
    for line in r.stdout.splitlines()[1:]:
        x, value, slope = (float(c) for c in line.split(","))
        assert (value, slope) == ((x * x, 2 * x) if x > 0 else (-x, -1.0))


def test_points_of_a_function_equal_the_same_program_in_the_language(cli, model: str) -> None:
    rows = [*_rows(300, ("x", "y"), seed=3), {"x": 1.0, "y": 1.0}]
    csv = "x,y\n" + "".join(f"{r['x']!r},{r['y']!r}\n" for r in rows)
    python = cli("grad", "--python", f"{model}:f", "--points", "-", input=csv)
    program = cli("grad", "if x > y then x*y else sin(x) - y", "--points", "-", input=csv)
    assert python.exit_code == program.exit_code == 0
    assert python.stdout == program.stdout  # byte for byte
