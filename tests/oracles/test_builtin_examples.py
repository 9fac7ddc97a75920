"""The built-in examples reproduce their sources' published numbers, to the printed digits;
the others are checked against closed forms and finite differences."""

from __future__ import annotations

import json
import math

import pytest

from adcalc import gradient
from adcalc.commands.examples import BY_NAME, EXAMPLES
from adcalc.engine.check import check_gradient


def parsed_point(text: str) -> dict[str, float]:
    return {k: float(v) for k, v in (p.split("=") for p in text.split(","))}


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
