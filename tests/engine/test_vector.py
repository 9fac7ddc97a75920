"""Vector functions: Jacobian, Hessian, JVP, VJP and programs against independent oracles."""

from __future__ import annotations

import json
import math
import random

import pytest

from adcalc import gradient
from adcalc.commands.vector import hessian, jacobian, jvp, vjp
from adcalc.engine.sweeps import primal
from adcalc.errors import InputError, ParseError
from adcalc.frontend.parse import parse

F3 = "[x*y, sin(x) + y^2, exp(x*y)]"


def closed_jacobian(x: float, y: float) -> list[list[float]]:
    return [[y, x], [math.cos(x), 2 * y], [y * math.exp(x * y), x * math.exp(x * y)]]


def fd_jacobian(text: str, point: dict[str, float]) -> list[list[float]]:
    """Columns by central differences of the function's values (an independent path)."""
    tape = parse(text)
    names = tape.variables
    cols = []
    for n in names:
        h = 1e-6 * max(1.0, abs(point[n]))
        up = primal(tape, {**point, n: point[n] + h})
        down = primal(tape, {**point, n: point[n] - h})
        cols.append([(up[o] - down[o]) / (2 * h) for o in tape.outputs])
    return [[cols[j][i] for j in range(len(names))] for i in range(len(tape.outputs))]


def close_matrix(a, b, rel: float = 1e-12, abs_: float = 1e-12) -> bool:
    return all(math.isclose(x, y, rel_tol=rel, abs_tol=abs_)
               for ra, rb in zip(a, b, strict=True) for x, y in zip(ra, rb, strict=True))


def test_jacobian_closed_form_and_mode_choice() -> None:
    r = jacobian(F3, {"x": 1.0, "y": 2.0})
    assert r.mode == "forward" and len(r.tangents) == 2
    assert "n = 2 inputs < m = 3 outputs" in r.reason
    assert close_matrix(r.matrix, closed_jacobian(1.0, 2.0))
    assert close_matrix(r.matrix, fd_jacobian(F3, {"x": 1.0, "y": 2.0}), rel=1e-7, abs_=1e-8)


def test_reverse_mode_is_chosen_for_wide_functions() -> None:
    r = jacobian("[a*b*c*d, a + b + c + d]", {"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0})
    assert r.mode == "reverse" and len(r.adjoints) == 2
    assert r.matrix == [[24.0, 12.0, 8.0, 6.0], [1.0, 1.0, 1.0, 1.0]]


@pytest.mark.parametrize("text", [F3, "[a*b*c, a/b - c, hypot(a, c)]", "softmax([a, b, c])",
                                  "x = [p, q]; [dot(x, x), norm(x), logsumexp(x)]"])
def test_forward_and_reverse_jacobians_are_equal(text: str) -> None:
    rng = random.Random(text)
    tape = parse(text)
    point = {v: rng.uniform(0.3, 1.7) for v in tape.variables}
    f = jacobian(text, point, mode="forward").matrix
    r = jacobian(text, point, mode="reverse").matrix
    assert close_matrix(f, r, rel=1e-14, abs_=1e-15)
    assert close_matrix(f, fd_jacobian(text, point), rel=1e-7, abs_=1e-8)


def test_softmax_jacobian_formula() -> None:
    xs = {"a": 0.3, "b": -1.1, "c": 2.0}
    r = jacobian("softmax([a, b, c])", xs)
    z = [math.exp(v) for v in xs.values()]
    s = [v / sum(z) for v in z]
    expected = [[s[i] * ((i == j) - s[j]) for j in range(3)] for i in range(3)]
    assert close_matrix(r.matrix, expected, rel=1e-13, abs_=1e-15)
    assert sum(r.outputs) == pytest.approx(1.0, rel=1e-15)


def test_jvp_equals_j_times_v_and_vjp_equals_u_transpose_j() -> None:
    point = {"x": 0.7, "y": -1.3}
    J = closed_jacobian(0.7, -1.3)
    v = [0.5, 2.0]
    got = jvp(F3, point, {"x": v[0], "y": v[1]})
    assert len(got.tangents) == 1
    assert [row[0] for row in got.matrix] == pytest.approx(
        [sum(J[i][j] * v[j] for j in range(2)) for i in range(3)], rel=1e-14)
    assert jvp(F3, point, v).matrix == got.matrix  # by position
    u = [1.0, -2.0, 0.25]
    back = vjp(F3, point, u)
    assert len(back.adjoints) == 1
    assert back.matrix[0] == pytest.approx(
        [sum(u[i] * J[i][j] for i in range(3)) for j in range(2)], rel=1e-14)
    assert vjp(F3, point, {"f1": 1.0, "f2": -2.0, "f3": 0.25}).matrix == back.matrix


def test_vjp_with_a_repeated_output_node() -> None:
    r = vjp("[x*y, x*y]", {"x": 2.0, "y": 3.0}, [1.0, 1.0])
    assert r.matrix == [[6.0, 4.0]]


def hessian_by_fd_of_gradients(text: str, point: dict[str, float]) -> list[list[float]]:
    names = parse(text).variables
    rows = []
    for a in names:
        h = 1e-5 * max(1.0, abs(point[a]))
        up = gradient(text, {**point, a: point[a] + h}).gradient
        down = gradient(text, {**point, a: point[a] - h}).gradient
        rows.append([(up[b] - down[b]) / (2 * h) for b in names])
    return rows


@pytest.mark.parametrize(("text", "point"), [
    ("log((x1+x2)^2 + sin(x1*x2))", {"x1": 1.0, "x2": 0.5}),
    ("(1 - x)^2 + 100*(y - x^2)^2", {"x": -0.4, "y": 1.3}),
    ("exp(a*b) * sin(c) / (1 + a^2)", {"a": 0.3, "b": 1.2, "c": 0.8}),
    ("logsumexp([a, 2*b, a*b]) + norm([a, b])", {"a": 0.3, "b": 1.2}),
])
def test_hessian_against_fd_of_gradients_and_symmetric(text: str, point: dict) -> None:
    h = hessian(text, point)
    n = len(h.variables)
    for i in range(n):
        for j in range(n):
            assert h.matrix[i][j] == pytest.approx(h.matrix[j][i], rel=1e-12, abs=1e-12)
    assert close_matrix(h.matrix, hessian_by_fd_of_gradients(text, point), rel=1e-6,
                        abs_=1e-7)
    g = gradient(text, point).gradient
    assert h.gradient == pytest.approx(list(g.values()), rel=1e-15)


def test_hessian_closed_form_and_eigenvalues() -> None:
    h = hessian("(1 - x)^2 + 100*(y - x^2)^2", {"x": 1.0, "y": 1.0})
    assert h.matrix == [[802.0, -400.0], [-400.0, 200.0]]
    tr, det = 1002.0, 802.0 * 200.0 - 400.0**2
    lam = [(tr - math.sqrt(tr * tr - 4 * det)) / 2, (tr + math.sqrt(tr * tr - 4 * det)) / 2]
    assert h.eigenvalues == pytest.approx(lam, rel=1e-12)
    assert h.curvature.startswith("positive definite")
    saddle = hessian("x^2 - y^2", {"x": 0.0, "y": 0.0})
    assert saddle.curvature.startswith("indefinite")


def test_programs_equal_the_inlined_expression() -> None:
    program = "a = x1 + x2; b = x1*x2; log(a^2 + sin(b))"
    inline = "log((x1+x2)^2 + sin(x1*x2))"
    point = {"x1": 1.0, "x2": 0.5}
    assert gradient(program, point).gradient == gradient(inline, point).gradient
    assert len(parse(program)) == len(parse(inline))  # the same nodes, each once
    multi = "# comment\na = x1 + x2  # the sum\nb = x1*x2\n\nlog(a^2\n    + sin(b))\n"
    assert gradient(multi, point).gradient == gradient(inline, point).gradient
    h1, h2 = hessian(program, point), hessian(inline, point)
    assert h1.matrix == h2.matrix


def test_binding_names_label_trace_rows(cli) -> None:
    r = cli("grad", "a = x1 + x2; b = x1*x2; log(a^2 + sin(b))", "--at", "x1=1,x2=0.5")
    assert "v1 (a)  v-1 + v0" in r.stdout and "v2 (b)  v-1·v0" in r.stdout
    assert "v4      sin(v2)" in r.stdout


@pytest.mark.parametrize(("text", "message"), [
    ("a = b + 1; b = 2; a", "b is used before it is defined"),
    ("x = x + 1; x", "x is used before it is defined: read above as an input, it "
                     "cannot be bound after (an input keeps its value)"),  # a = x; a = 2*a
    ("sin = x; sin", "sin is a function; a binding needs another name"),
    ("[x, y] + [x]", "shape mismatch: + needs vectors of the same length, got 2 and 1"),
    ("dot([x, y], [x])", "shape mismatch: dot needs vectors of the same length, got 2 and 1"),
    ("dot(x, y)", "dot takes two vectors"),
    ("[[x], y]", "a vector's entries must be numbers, not vectors"),
    ("x = 1", "a program ends with the expression to compute"),
])
def test_program_errors(text: str, message: str) -> None:
    with pytest.raises(ParseError) as e:
        parse(text)
    assert message in str(e.value)


def test_multi_line_errors_name_the_line() -> None:
    with pytest.raises(ParseError) as e:
        parse("a = x + 1\nb = a * 2\nc = 2 $ a\nb")
    assert "line 3, column 7" in str(e.value)
    assert str(e.value).endswith("  c = 2 $ a\n        ^")


@pytest.mark.parametrize(("args", "message"), [
    (["jvp", "[x*y, x+y]", "--at", "x=1,y=2", "--dir", "1,2,3"],
     "--dir has 3 entries, but there are 2 inputs (x, y)"),
    (["jvp", "[x*y, x+y]", "--at", "x=1,y=2", "--dir", "z=1"], "--dir names z"),
    (["vjp", "[x*y, x+y]", "--at", "x=1,y=2", "--cot", "1"],
     "--cot has 1 entries, but there are 2 outputs (f1, f2)"),
    (["vjp", "[x*y, x+y]", "--at", "x=1,y=2", "--cot", "f3=1"], "--cot names f3"),
    (["grad", "[x, y]", "--at", "x=1,y=2"], "grad needs a scalar expression"),
    (["hessian", "[x, y]", "--at", "x=1,y=2"], "hessian needs a scalar expression"),
    (["jacobian", "[x, y] * [y]", "--at", "x=1,y=2"], "shape mismatch"),
    (["jacobian", "a = b; b = x; a", "--at", "x=1"], "b is used before it is defined"),
    (["grad", "@no/such/file.ad", "--at", "x=1"],
     "cannot read the expression file no/such/file.ad"),
])
def test_cli_vector_errors_exit_2(cli, args: list[str], message: str) -> None:
    r = cli(*args)
    assert r.exit_code == 2
    assert message in r.stderr
    assert "Traceback" not in r.stderr


def test_cli_jacobian_output(cli) -> None:
    r = cli("jacobian", F3, "--at", "x=1,y=2")
    assert r.exit_code == 0
    assert "Forward mode chosen because n = 2 inputs < m = 3 outputs" in r.stdout
    assert "Tangent trace, sweep 1 of 2" in r.stdout and "sweep 2 of 2" in r.stdout
    rows = [line.split() for line in r.stdout.splitlines()]
    J = closed_jacobian(1.0, 2.0)
    assert ["f1", repr(J[0][0]), repr(J[0][1])] in rows
    assert ["f3", repr(J[2][0]), repr(J[2][1])] in rows
    data = json.loads(cli("jacobian", F3, "--at", "x=1,y=2", "--mode", "reverse",
                          "--format", "json").stdout)
    assert data["mode"] == "reverse" and data["sweeps"] == 3
    assert close_matrix(data["jacobian"], J)


def test_cli_hessian_json_and_quiet(cli) -> None:
    data = json.loads(cli("hessian", "(1 - x)^2 + 100*(y - x^2)^2", "--at", "x=1,y=1",
                          "--format", "json").stdout)
    assert data["hessian"] == [[802.0, -400.0], [-400.0, 200.0]]
    assert data["curvature"].startswith("positive definite")
    r = cli("hessian", "x*y", "--at", "x=1,y=2", "-q")
    assert r.stdout == "0.0 1.0\n1.0 0.0\n"


def test_cli_jvp_vjp_say_one_sweep(cli) -> None:
    r = cli("jvp", "[x*y, x+y]", "--at", "x=1,y=2", "--dir", "x=1,y=-1")
    assert "J·v (one tangent sweep)" in r.stdout
    assert cli("jvp", "[x*y, x+y]", "--at", "x=1,y=2", "--dir", "1,-1", "-q").stdout == \
        "1.0\n0.0\n"
    r = cli("vjp", "[x*y, x+y]", "--at", "x=1,y=2", "--cot", "1,0")
    assert "(one adjoint sweep)" in r.stdout
    assert "v̄1 = 1 (seed)" in r.stdout
    data = json.loads(cli("vjp", "[x*y, x+y]", "--at", "x=1,y=2", "--cot", "1,0",
                          "--format", "json").stdout)
    assert data["vjp"] == {"x": 2.0, "y": 1.0} and data["sweeps"] == 1


def test_program_from_a_file_and_stdin(cli, tmp_path) -> None:
    path = tmp_path / "model.ad"
    path.write_text("a = x1 + x2\nb = x1*x2\nlog(a^2 + sin(b))\n")
    from_file = cli("grad", f"@{path}", "--at", "x1=1,x2=0.5", "-q").stdout
    from_stdin = cli("grad", "-", "--at", "x1=1,x2=0.5", "-q",
                     input=path.read_text()).stdout
    inline = cli("grad", "log((x1+x2)^2 + sin(x1*x2))", "--at", "x1=1,x2=0.5", "-q").stdout
    assert from_file == from_stdin == inline


def test_example_model_file(cli) -> None:
    from pathlib import Path

    model = Path(__file__).resolve().parents[2] / "examples" / "model.ad"
    r = cli("jacobian", f"@{model}", "--at", "x=1,y=2", "--format", "json")
    data = json.loads(r.stdout)
    assert sum(data["outputs"]) == pytest.approx(1.0)
    assert close_matrix(data["jacobian"], fd_jacobian(model.read_text(), {"x": 1.0, "y": 2.0}),
                        rel=1e-6, abs_=1e-9)


def test_input_error_types() -> None:
    with pytest.raises(InputError):
        jvp(F3, {"x": 1.0, "y": 2.0}, [1.0])


def test_eigenvalues_of_a_hessian_near_the_largest_double(cli) -> None:
    r = cli("hessian", "5e307*x^2", "--at", "x=1")
    assert r.exit_code == 0 and "positive definite" in r.stdout and "inf" not in r.stdout
    r = cli("hessian", "1e308*(x*y+y*z+x*z)", "--at", "x=0,y=0,z=0")
    assert r.exit_code == 0 and "eigenvalues are not finite doubles" in r.stdout
    assert "flat in some direction" not in cli("hessian", "2").stdout


def test_a_constants_adjoint_is_never_evaluated_for_second_derivatives() -> None:
    """0^x has every derivative 0 for x > 0; the recorded reverse sweep also held the
    base's partial x*0^(x - 1), which no output reads and which has no value at x < 1:
    hessian and diff --order 2 --at raised there (an auditor's find)."""
    from adcalc.commands.diff import diff

    h = hessian("0^x + y", {"x": 0.5, "y": 0.5})
    assert h.matrix == [[0.0, 0.0], [0.0, 0.0]] and h.gradient == [0.0, 1.0]
    assert diff("0^x + y", order=2, at={"x": 0.5, "y": 0.5}).values == [0.0, 0.0, 0.0]


def test_the_hessians_gradient_is_grads_to_the_last_digit() -> None:
    """The recorded sweep is written as its own tape (0·x folded, pieces shared), whose
    values may differ from the plain reverse sweep's in the last digit: the gradient
    reported is the plain sweep's, as grad gives it (1/3 here, not 0.33333333333333304)."""
    text, point = "atan2(y - y, min(x, 0.25)) - x/y", {"x": 3.0, "y": 3.0}
    g = gradient(text, point).gradient
    h = hessian(text, point)
    assert dict(zip(h.variables, h.gradient, strict=True)) == g and g["y"] == 1 / 3
