"""Programs with control flow: comparisons, if/then/else, repeat, for, while, blocks,
rebinding, index expressions -- traced at a point, the path's derivative."""

from __future__ import annotations

import json
import math
import re
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adcalc.commands.grad import gradient
from adcalc.engine.check import check_gradient
from adcalc.engine.sweeps import primal
from adcalc.errors import DomainError, InputError, ParseError
from adcalc.frontend.parse import Program, parse, parse_program
from adcalc.frontend.program import MAX_STEPS, max_steps

BABYLON = "y = x; repeat 8 { y = (y + x/y)/2 }; y"
HUBER = "r = y - t; if abs(r) <= d then r^2/2 else d*(abs(r) - d/2)"
NETWORK = """
s = 0
for i in 1..2 {
  h = b[i]
  for j in 1..3 { h = h + v[i,j]*x[j] }
  s = s + w[i]*relu(h)
}
sigmoid(s)
"""


def grad(text: str, point: dict[str, float], **kw: object) -> dict[str, float]:
    return gradient(text, point, **kw).gradient  # type: ignore[arg-type]


# -- the language -----------------------------------------------------------------------

@pytest.mark.parametrize("text, point, value", [
    ("if x > 0 then x^2 else -x", {"x": 3.0}, 9.0),
    ("if x > 0 then x^2 else -x", {"x": -3.0}, 3.0),
    ("if x < 0 then -1 else if x == 0 then 0 else 1", {"x": 0.0}, 0.0),
    ("if x >= 1 and not (x != 2 or x <= 0) then 5 else 6", {"x": 2.0}, 5.0),
    ("if x > 1 or x < -1 then 1 else 0", {"x": -2.0}, 1.0),
    ("y = 2*(if x > 0 then x else 0); y", {"x": 1.5}, 3.0),
    (BABYLON, {"x": 2.0}, math.sqrt(2)),
    ("s = 0; for i in 1..4 { s = s + i*x }; s", {"x": 1.0}, 10.0),
    ("s = 0; for i in 3..2 { s = s + x }; s + x", {"x": 1.0}, 1.0),
    ("y = x; while y > 1 { y = y/2 }; y", {"x": 10.0}, 0.625),
    ("y = x\nrepeat 2 {\n  y = y*y\n}\ny", {"x": 3.0}, 81.0),
    ("f(t) = if t > 0 then t else 0; f(x) + f(-x)", {"x": 2.0}, 2.0),
    ("f(t) = { u = t; repeat 3 { u = u*2 }; u }; f(x)", {"x": 1.0}, 8.0),
    ("a = x; a = a + 1; a = 2*a; a", {"x": 1.0}, 4.0),
    ("s = 0; for i in 1..3 { s = s + w[i]*x[i+1] }; s",
     {"w[1]": 1.0, "w[2]": 2.0, "w[3]": 3.0, "x[2]": 1.0, "x[3]": 1.0, "x[4]": 1.0}, 6.0),
    ("n = 3; y = x; repeat n - 1 { y = y + x }; y", {"x": 2.0}, 6.0),
    ("x ≤ 1", None, None),
])
def test_values(text: str, point: dict[str, float] | None, value: float | None) -> None:
    if point is None:
        with pytest.raises(ParseError, match="condition is not a number"):
            parse(text)
        return
    tape = parse(text, at=point)
    assert primal(tape, point)[tape.output] == pytest.approx(value)


def test_straight_line_code_is_a_tape_and_a_program_is_a_program() -> None:
    assert not isinstance(parse_program("a = x; a = a*2; a"), Program)
    assert isinstance(parse_program("if x > 0 then x else 0"), Program)
    assert isinstance(parse_program("iffy + forx + x_if"), type(parse("x")))


def test_rebinding_in_straight_line_code_means_the_new_value() -> None:
    tape = parse("a = x; a = a*a; a = a + 1; a")
    assert primal(tape, {"x": 3.0})[tape.output] == 10.0


@pytest.mark.parametrize("text", [
    "if x > 0 then x^2 else -x", BABYLON, NETWORK, HUBER,
    "y = x\nwhile y > 1e-3 {\n  y = y/2\n}\ny",
    "if x > 0\n  then x\n  else -x",
    "f(t) = {\n  u = t\n  if u > 1 then u else 1\n}\nf(x)",
])
def test_lean_driver_and_lark_trace_the_same_tapes(text: str) -> None:
    point = {n: 0.7 for n in ("x", "y", "t", "d", "b[1]", "b[2]", "w[1]", "w[2]")}
    point.update({f"v[{i},{j}]": 0.1 * i - 0.05 * j for i in (1, 2) for j in (1, 2, 3)})
    point.update({f"x[{j}]": 0.3 * j for j in (1, 2, 3)})
    program = parse_program(text)
    assert isinstance(program, Program)
    used = {n: v for n, v in point.items() if program.mentions(n)}
    a, b = parse(text, at=used), parse(text, at=used, fast=False)
    assert (a.ops, a.a0, a.a1, a.consts) == (b.ops, b.a0, b.a1, b.consts)
    assert (a.variables, a.outputs, a.names, a.warnings, a.decisions) == (
        b.variables, b.outputs, b.names, b.warnings, b.decisions)


def test_an_unrolled_loop_is_the_same_tape_as_the_code_written_out() -> None:
    loop = parse("h = 0.01; a = x; b = 0; repeat 50 { a = a + h*b; b = b - h*a }; a",
                 at={"x": 1.0})
    out = parse("h = 0.01; a = x; b = 0\n" + "a = a + h*b; b = b - h*a\n" * 50 + "a")
    assert (loop.ops, loop.a0, loop.a1, loop.consts) == (out.ops, out.a0, out.a1, out.consts)


def test_hash_consing_keeps_a_loop_that_changes_nothing_small() -> None:
    tape = parse("y = x; repeat 100000 { y = 2*sin(x) }; y", at={"x": 2.0})
    assert len(tape) == 4  # x, 2, sin(x), 2*sin(x): each iteration makes the same nodes


def test_deep_nesting_does_not_recurse() -> None:
    n = 3000
    text = "".join(f"if x > {k} then {k} else " for k in range(n)) + "x"
    tape = parse(text, at={"x": -1.0})
    assert len(tape.decisions) == n
    nested = "s = 0\n" + "repeat 1 {\n" * 300 + "s = s + x\n" + "}\n" * 300 + "s"
    assert primal(t := parse(nested, at={"x": 2.0}), {"x": 2.0})[t.output] == 2.0


# -- messages -----------------------------------------------------------------------------

@pytest.mark.parametrize("text, message, caret", [
    ("y = x; repeat 3 { y = y*2; y", "expected '}' to close a block", None),
    ("y = x; repeat 3 { y = y*2 }}; y", "no block is open here", "}; y"),
    ("s = 0; for i in 1..n { s = s + x }; s", "must be a constant", "n {"),
    ("(x > 0)*2", "a comparison makes a condition, and a condition is not a number", "> 0"),
    ("y = x > 1; y", "condition is not a number", "> 1"),
    ("if x then 1 else 2", "the condition of if is a number, not a condition", "x then"),
    ("while x { x = x/2 }; x", "the condition of while is a number", "x {"),
    ("x and y", "condition is not a number", "and"),
    ("s = 0; for i in 1..2.5 { s = s + x }; s", "not a whole number", "2.5"),
    ("repeat -1 { x = 1 }; x", "0 or more", None),
    ("w[x] + x", "an index of w[…] depends on the input x", "w[x]"),
    ("f(t) = if t > 0 then f(t - 1) else 0; f(x)", "calls itself", None),
    ("if [x, y] > 0 then 1 else 2", "compares vectors", None),
])
def test_messages(text: str, message: str, caret: str | None) -> None:
    with pytest.raises(ParseError) as e:
        parse(text, at={"x": 1.0, "y": 2.0, "n": 3.0})
    assert message in str(e.value)
    if caret is not None:
        lines = str(e.value).splitlines()
        assert lines[-2][lines[-1].index("^"):].startswith(caret), str(e.value)


def test_an_index_naming_no_given_input_is_named() -> None:
    with pytest.raises(InputError, match=r"no value for w\[3\] \(read at i=3\)"):
        parse("s = 0; for i in 1..3 { s = s + w[i] }; s", at={"w[1]": 1.0, "w[2]": 2.0})


def test_a_runaway_while_names_the_loop_and_the_limit() -> None:
    with pytest.raises(DomainError) as e:
        parse("y = x; while y > 0 { y = y + 1 }; y", at={"x": 1.0})
    assert "while y > 0" in str(e.value) and f"{MAX_STEPS:,}" in str(e.value)
    assert "max_steps" in str(e.value)
    with max_steps(5), pytest.raises(DomainError, match="within 5 iterations"):
        parse("y = x; while y > 0 { y = y + 1 }; y", at={"x": 1.0})
    tape = parse("y = x; while y > 1 { y = y/2 }; y", at={"x": 2.0**20}, max_steps=20)
    assert tape.loops[0].trips_max == 20


def test_a_program_without_a_point_says_what_to_give() -> None:
    with pytest.raises(InputError, match="branches or loops"):
        parse("if x > 0 then x else 0")


# -- derivatives: the path's --------------------------------------------------------------

def test_babylonian_sqrt_converges_to_the_derivative_of_sqrt() -> None:
    for x in (0.5, 2.0, 9.0, 100.0):
        g = grad("y = x; repeat 12 { y = (y + x/y)/2 }; y", {"x": x})["x"]
        assert g == pytest.approx(1 / (2 * math.sqrt(x)), rel=1e-12)
    errors = [abs(grad(f"y = x; repeat {n} {{ y = (y + x/y)/2 }}; y", {"x": 2.0})["x"]
                  - 1 / (2 * math.sqrt(2))) for n in (1, 2, 3, 4, 5)]
    assert all(b < a for a, b in pairwise(errors))


@pytest.mark.parametrize("r", [-3.0, -0.5, 0.2, 2.5])
def test_huber_loss(r: float) -> None:
    d = 1.0
    g = grad(HUBER, {"y": r + 0.25, "t": 0.25, "d": d})
    expect = r if abs(r) <= d else d * math.copysign(1.0, r)
    assert g["y"] == pytest.approx(expect) and g["t"] == pytest.approx(-expect)


def test_two_layer_network_against_its_closed_form() -> None:
    v = [[0.5, -0.2, 0.1], [-0.3, 0.4, 0.25]]
    b, w, x = [0.1, -0.05], [0.7, -1.2], [1.0, 2.0, -0.5]
    point = {f"v[{i + 1},{j + 1}]": v[i][j] for i in range(2) for j in range(3)}
    point.update({f"b[{i + 1}]": b[i] for i in range(2)})
    point.update({f"w[{i + 1}]": w[i] for i in range(2)})
    point.update({f"x[{j + 1}]": x[j] for j in range(3)})
    h = [sum(v[i][j] * x[j] for j in range(3)) + b[i] for i in range(2)]
    s = sum(w[i] * max(h[i], 0.0) for i in range(2))
    sig = 1 / (1 + math.exp(-s))
    ds = sig * (1 - sig)
    g = gradient(NETWORK, point)
    assert g.value == pytest.approx(sig)
    for i in range(2):
        on = 1.0 if h[i] > 0 else 0.0
        assert g.gradient[f"w[{i + 1}]"] == pytest.approx(ds * max(h[i], 0.0))
        assert g.gradient[f"b[{i + 1}]"] == pytest.approx(ds * w[i] * on)
        for j in range(3):
            assert g.gradient[f"v[{i + 1},{j + 1}]"] == pytest.approx(ds * w[i] * on * x[j])
    for j in range(3):
        expect = ds * sum(w[i] * (1.0 if h[i] > 0 else 0.0) * v[i][j] for i in range(2))
        assert g.gradient[f"x[{j + 1}]"] == pytest.approx(expect)


def test_a_variable_only_on_the_other_branch_has_derivative_zero() -> None:
    g = grad("if x > 0 then y else z", {"x": 1.0, "y": 2.0, "z": 3.0})
    assert g == {"x": 0.0, "y": 1.0, "z": 0.0}


GRID = st.integers(-10, 10).map(lambda k: k / 7 + 0.0123)
"""Points on a grid away from 0, where differences are well scaled."""


def programs() -> st.SearchStrategy[tuple[str, float]]:
    """Random programs with a branch and a loop, and a threshold for the branch."""
    atoms = st.sampled_from(["x", "y", "(x*y)", "sin(x)", "exp(y/4)", "(x - y)", "2"])
    ops = st.sampled_from(["+", "-", "*"])
    body = st.tuples(atoms, ops, atoms).map(lambda t: f"{t[0]} {t[1]} {t[2]}")
    return st.tuples(body, body, body, st.integers(1, 4), st.sampled_from(["<", ">", "<=", ">="]),
                     st.floats(-2, 2)).map(lambda t: (
                         f"a = {t[0]}\n"
                         f"repeat {t[3]} {{ a = tanh(a)*0.5 + 0.1*({t[1]}) }}\n"
                         f"b = if a {t[4]} {t[5]!r} then {t[2]} else a*a\n"
                         f"s = 0; for i in 1..2 {{ s = s + i*b }}\n"
                         "s + 0*x + 0*y", t[5]))


@settings(max_examples=60, deadline=None)
@given(programs(), GRID, GRID)
def test_forward_equals_reverse_and_finite_differences_agree_off_boundaries(
        program: tuple[str, float], x: float, y: float) -> None:
    text, _ = program
    point = {"x": x, "y": y}
    rev = gradient(text, point)
    fwd = gradient(text, point, mode="forward")
    for n in point:
        assert fwd.gradient[n] == pytest.approx(rev.gradient[n], rel=1e-12, abs=1e-12)
    tape = rev.tape
    vals = primal(tape, point)
    if any(abs(vals[d.left] - vals[d.right]) < 1e-3 for d in tape.decisions):
        return  # near a boundary: a difference may cross it
    result = check_gradient(tape, point, rev.gradient, tol=1e-5)
    assert all(r.passed or "too noisy" in r.note for r in result.rows), result.rows


def test_on_path_is_vectorised_over_rows() -> None:
    np = pytest.importorskip("numpy")
    tape = parse("if x > 0 then x^2 else -x", at={"x": 1.0})
    xs = np.array([-1.0, 0.5, 2.0, 0.0])
    d = tape.decisions[0]
    vals = [None] * len(tape)
    vals[d.left], vals[d.right] = xs, np.zeros(4)
    assert list(tape.on_path(vals)) == [False, True, True, False]


# -- boundaries: kinks --------------------------------------------------------------------

def test_a_boundary_warns_on_every_path(cli) -> None:
    text = "if x > 0 then x^2 else -x"
    for args in (["grad", text], ["grad", text, "--mode", "forward"], ["jacobian", text],
                 ["hessian", text], ["jvp", text, "--dir", "1"], ["vjp", text, "--cot", "1"]):
        r = cli(*args, "--at", "x=0", "-q")
        assert r.exit_code == 0, r.output
        assert "boundary of x > 0" in r.stderr, args
    r = cli("grad", text, "--at", "x=1", "-q")
    assert "boundary" not in r.stderr


def test_check_on_a_boundary_cannot_verify(cli) -> None:
    r = cli("grad", "if x > 0 then x^2 else -x", "--at", "x=0", "--check")
    assert r.exit_code == 1
    assert "branch boundary" in r.output + r.stderr
    r = cli("grad", "if x > 0 then x^2 else -x", "--at", "x=0.5", "--check")
    assert r.exit_code == 0, r.output


# -- the command line -------------------------------------------------------------------

def test_json_lists_the_decisions_and_loops(cli) -> None:
    r = cli("grad", "y = x; while y > 1 { y = y/2 }; if y > 0.5 then y else 0",
            "--at", "x=3", "--format", "json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    labels = [d["label"] for d in data["decisions"]]
    assert labels == ["while y > 1 (iteration 1)", "while y > 1 (iteration 2)",
                      "while y > 1 (iteration 3)", "if y > 0.5"]
    assert [d["outcome"] for d in data["decisions"]] == [True, True, False, True]
    assert data["decisions"][0]["left"]["value"] == 3.0
    assert data["loops"] == [{"label": "while y > 1", "runs": 1, "iterations_min": 2,
                              "iterations_max": 2}]


def test_trace_shows_the_path_and_the_iterations(cli) -> None:
    r = cli("grad", "s = 0; for i in 1..2 { s = s + i*x }; if s > 0 then s else -s",
            "--at", "x=1", "--format", "plain")
    assert r.exit_code == 0, r.output
    assert "Path taken at this point" in r.stdout
    assert "if s > 0" in r.stdout and "for i in 1..2" in r.stdout and "2 iterations" in r.stdout
    assert "(s, i=2)" in r.stdout


def test_max_steps_option(cli) -> None:
    r = cli("grad", "y = x; while y > 0 { y = y + 1 }; y", "--at", "x=1", "--max-steps", "7")
    assert r.exit_code == 1
    assert "within 7 iterations" in r.stderr and "--max-steps" in r.stderr
    r = cli("grad", "y = x; while y > 1 { y = y/2 }; y", "--at", "x=1000", "-q")
    assert r.exit_code == 0


@pytest.mark.parametrize("args", [
    ["grad", "--exact"], ["grad", "--precision", "30"], ["grad", "--mode", "forward"],
    ["grad", "--check"], ["jacobian"], ["hessian"], ["graph", "--format", "dot"],
    ["diff"],
])
def test_every_command_at_a_point_takes_programs(cli, args: list[str]) -> None:
    r = cli(args[0], BABYLON, "--at", "x=2", *args[1:])
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("args", [["graph"]])  # diff: pieces (test_diff_programs)
def test_without_a_point_a_program_gets_a_message(cli, args: list[str]) -> None:
    r = cli(args[0], "if x > 0 then x else 0", *args[1:], input="x\n1\n")
    assert r.exit_code == 2
    assert "branches or loops" in r.stderr


def test_multi_indices_in_the_point_and_in_latex(cli) -> None:
    r = cli("grad", "v[1,2]*x", "--at", "v[1,2]=3,x=2", "-q")
    assert r.exit_code == 0, r.output
    assert "∂f/∂v[1,2] = 2.0" in r.stdout
    r = cli("diff", "v[1,2]*x", "--format", "latex")
    assert "v_{1,2}" in r.stdout


@pytest.mark.parametrize("text", [
    "a = if y > 0 then x else z; a + 2*z",
    "s = 0; for i in 1..3 { s = s + (if y > i then x*i else z) }; s + w",
    "g(u) = if u > 0 then u*q else p; g(y)",
])
def test_the_variables_order_is_the_texts_whichever_path_the_point_takes(text) -> None:
    """The path's order made y, x, z at y = 1 and y, z, x at y = -1: --dir, jvp's tangent,
    jacobian -q's columns and codegen's parameters meant other inputs at other points."""
    program = parse_program(text)
    assert isinstance(program, Program)
    orders = {tuple(program.trace(dict.fromkeys("xyzwqp", 1.0) | {"y": y}).variables)
              for y in (-5.0, -1.0, 0.5, 1.5, 2.5, 5.0)}
    assert len(orders) == 1, orders
    (order,) = orders
    assert list(order) == [n for n in dict.fromkeys(re.findall(r"[a-z]\w*", text)) if n in order]


def test_a_name_the_program_binds_is_no_input_whatever_the_path() -> None:
    """With a branch, --at y=2 for a y the program binds was taken as an input at 2.0
    while the program computed with 0.3 (∂f/∂y = 0); without one it was refused."""
    for text in ("y = 0.3; x = sin(y); if y <= 0 then x else y", "y = 0.3; y + 1"):
        with pytest.raises(InputError, match="which the expression does not use"):
            gradient(text, {"x": 5.0, "y": 2.0})
    g = gradient("y = 0.3; if y <= 0 then x else y*z", {"x": 5.0, "z": 2.0})
    assert g.gradient == {"x": 0.0, "z": 0.3}  # x, read on the path not taken, is an input


def test_a_definition_used_only_on_the_path_not_taken_is_not_called_unused() -> None:
    """"a is defined … but never used" was said of a binding the other branch reads, and
    "never called" of a function it calls: false; one no path reads is still named."""
    for text in ("a = sin(x); if x <= 0 then a else x", "g(t) = t^2; if x > 0 then x else g(x)"):
        assert parse_program(text).trace({"x": 1.0}).warnings == [], text
    warned = parse_program("b = 2; a = sin(x); if x <= 0 then x else x").trace({"x": 1.0})
    assert [w.split(" is defined")[0] for w in warned.warnings] == ["warning: b", "warning: a"]
