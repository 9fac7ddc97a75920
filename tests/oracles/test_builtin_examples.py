"""The built-in examples reproduce their sources' published numbers, to the printed digits;
the others are checked against closed forms and finite differences."""

from __future__ import annotations

import itertools
import json
import math
import re

import pytest

from adcalc import gradient
from adcalc.commands.examples import BY_NAME, EXAMPLES
from adcalc.engine.check import check_gradient


def parsed_point(text: str) -> dict[str, float]:
    """``x=1,v[1,2]=0.5``: the commas inside an index are not separators."""
    return {k: float(v) for k, v in (p.split("=") for p in re.split(r",(?![^\[]*\])", text))}


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.published], ids=lambda e: e.name)
def test_published_numbers_to_the_printed_digits(cli, example) -> None:
    r = cli("examples", example.name, "--format", "json")
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    ours = {"f": data["value"], **{f"∂f/∂{n}": v for n, v in data["gradient"].items()}}
    for label, printed in example.published.items():
        decimals = len(printed.split(".")[1]) if "." in printed else 0
        if example.note:  # a source that rounds every step: within one in its last digit
            assert abs(ours[label] - float(printed)) <= 1.01 * 10.0**-decimals, label
        else:
            assert round(ours[label], decimals) == float(printed), (example.name, label)


@pytest.mark.parametrize(("name", "steps"), [
    ("baydin", ["log(v-1)", "v-1·v0", "sin(v0)", "v1 + v2", "v4 - v3"]),  # the survey's Table 2
    ("griewank", ["v-1/v0", "sin(v1)", "exp(v0)", "v1 - v3", "v2 + v4", "v5·v4"]),  # the book's
])
def test_the_trace_is_the_source_s_own(cli, name, steps) -> None:
    data = json.loads(cli("examples", name, "--format", "json").stdout)
    from adcalc.engine.describe import operation
    from adcalc.frontend.parse import parse

    tape = parse(BY_NAME[name].program)
    labels = tape.labels()
    ours = [operation(tape, labels, i) for i, op in enumerate(tape.ops) if op >= 0]
    assert ours == steps
    assert len([row for row in data["trace"] if row["op"] != "input"]) == len(steps)


def test_a_point_given_replaces_the_example_s(cli) -> None:
    r = cli("examples", "baydin", "--at", "x1=1,x2=1", "-q")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[0] == f"∂f/∂x1 = {1 + 1.0}"


@pytest.mark.parametrize("fmt", ["latex", "markdown"])
def test_the_header_is_a_comment_in_notes(cli, fmt) -> None:
    out = cli("examples", "griewank", "--format", fmt).stdout
    first = out.splitlines()[0]
    assert first.startswith("% " if fmt == "latex" else "> "), first
    assert not any(line.startswith("#") for line in out.splitlines())


def test_softmax_is_diag_s_minus_s_st(cli) -> None:
    r = cli("examples", "softmax", "--format", "json")
    jac = json.loads(r.stdout)["jacobian"]
    e = [math.exp(v) for v in (1.0, 2.0, 3.0)]
    s = [v / sum(e) for v in e]
    for i in range(3):
        for j in range(3):
            assert jac[i][j] == pytest.approx((s[i] if i == j else 0.0) - s[i] * s[j],
                                              rel=1e-14)


def test_logistic_gradient_is_sigmoid_minus_one_times_x() -> None:
    e = BY_NAME["logistic"]
    g = gradient(e.program, parsed_point(e.point)).gradient
    z = 0.5 * 2 - 1 * 1 + 0.1
    residual = 1 / (1 + math.exp(-z)) - 1
    assert g == pytest.approx({"w1": residual * 2, "w2": residual * 1, "b": residual},
                              rel=1e-14)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
def test_every_example_passes_the_finite_difference_check(example) -> None:
    if example.command != "grad":
        return
    g = gradient(example.program, parsed_point(example.point))
    assert check_gradient(g.tape, g.point, g.gradient).passed


def test_the_list_and_a_run_with_the_command_s_options(cli) -> None:
    r = cli("examples")
    assert all(e.name in r.stdout for e in EXAMPLES)
    r = cli("examples", "baydin", "--mode", "forward", "--format", "plain")
    assert "# published: f = 11.652" in r.stdout and "Tangent trace" in r.stdout
    assert "numbers from" not in cli("examples").stdout
    r = cli("examples", "softmx")
    assert r.exit_code == 2 and "did you mean softmax?" in r.stderr


def test_griewank_against_its_closed_form() -> None:
    e = BY_NAME["griewank"]
    x1, x2 = 1.5, 0.5
    u = x1 / x2 - math.exp(x2)
    w = math.sin(x1 / x2) + u
    du = (1 / x2, -x1 / x2**2 - math.exp(x2))
    dw = (math.cos(x1 / x2) / x2 + du[0], -math.cos(x1 / x2) * x1 / x2**2 + du[1])
    g = gradient(e.program, parsed_point(e.point))
    assert g.value == pytest.approx(w * u, rel=1e-15)
    assert [g.gradient["x1"], g.gradient["x2"]] == pytest.approx(
        [dw[0] * u + w * du[0], dw[1] * u + w * du[1]], rel=1e-14)


# -- the programs: loops and branches, against closed forms -------------------------------

def test_newton_s_derivatives_converge_to_those_of_the_square_root(cli) -> None:
    """Griewank & Walther (ch. 15): differentiating the iteration, the derivatives of the
    iterates converge to the fixed point's, here 1/(2 sqrt(x)) -- quadratically, as the
    iterates do."""
    e = BY_NAME["newton"]
    data = json.loads(cli("examples", "newton", "--format", "json").stdout)
    assert data["value"] == pytest.approx(math.sqrt(2), rel=1e-15)
    assert data["gradient"]["x"] == pytest.approx(1 / (2 * math.sqrt(2)), rel=1e-15)
    errors = []
    for n in range(1, 6):
        text = e.program.replace("repeat 6", f"repeat {n}")
        errors.append(abs(gradient(text, {"x": 2.0}).gradient["x"] - 1 / (2 * math.sqrt(2))))
    assert all(b < a for a, b in itertools.pairwise(errors) if a > 1e-15)
    assert errors[2] < 1e-4 and errors[3] < 1e-10


def test_the_two_layer_network_against_its_closed_form() -> None:
    e = BY_NAME["network"]
    p = parsed_point(e.point)
    h = [p[f"b[{i}]"] + sum(p[f"v[{i},{j}]"] * p[f"x[{j}]"] for j in (1, 2)) for i in (1, 2)]
    s = sum(p[f"w[{i}]"] * max(h[i - 1], 0.0) for i in (1, 2))
    sig = 1 / (1 + math.exp(-s))
    ds = sig * (1 - sig)
    on = [1.0 if v > 0 else 0.0 for v in h]
    assert on == [1.0, 0.0]  # the example shows a unit off
    want = {}
    for i in (1, 2):
        want[f"w[{i}]"] = ds * max(h[i - 1], 0.0)
        want[f"b[{i}]"] = ds * p[f"w[{i}]"] * on[i - 1]
        for j in (1, 2):
            want[f"v[{i},{j}]"] = ds * p[f"w[{i}]"] * on[i - 1] * p[f"x[{j}]"]
    for j in (1, 2):
        want[f"x[{j}]"] = ds * sum(p[f"w[{i}]"] * on[i - 1] * p[f"v[{i},{j}]"] for i in (1, 2))
    g = gradient(e.program, p)
    assert g.value == pytest.approx(sig, rel=1e-15)
    assert g.gradient == pytest.approx(want, rel=1e-14)


def test_huber_on_both_sides_of_its_threshold() -> None:
    e = BY_NAME["huber"]
    for y, t, d in [(2.5, 1.0, 1.0), (1.3, 1.0, 1.0), (-4.0, 1.0, 2.0), (0.5, 1.0, 2.0)]:
        r = y - t
        if abs(r) <= d:
            value, dy, dd = r * r / 2, r, 0.0
        else:
            value, dy, dd = d * (abs(r) - d / 2), d * math.copysign(1.0, r), abs(r) - d
        g = gradient(e.program, {"y": y, "t": t, "d": d})
        assert g.value == pytest.approx(value, rel=1e-15)
        assert g.gradient == pytest.approx({"y": dy, "t": -dy, "d": dd}, rel=1e-15)
    assert BY_NAME["huber"].closed.startswith("|r| > d: f = d*(|r| - d/2) = 1")


def test_euler_steps_against_the_closed_form_of_the_recurrence() -> None:
    e = BY_NAME["euler"]
    h, k, x0 = 0.1, 0.5, 1.0
    g = gradient(e.program, parsed_point(e.point))
    assert g.value == pytest.approx(x0 * (1 - h * k) ** 10, rel=1e-14)
    assert g.gradient == pytest.approx({"k": -10 * h * x0 * (1 - h * k) ** 9,
                                        "x0": (1 - h * k) ** 10}, rel=1e-14)


@pytest.mark.parametrize("name", ["newton", "network", "huber", "euler"])
def test_the_program_examples_print_their_closed_form(cli, name: str) -> None:
    r = cli("examples", name, "--format", "plain")
    assert r.exit_code == 0, r.output
    assert f"closed form: {BY_NAME[name].closed}" in r.stdout
