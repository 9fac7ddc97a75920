"""The language: precedence, numbers, names, functions, constants, and the tape's shape."""

from __future__ import annotations

import math

import pytest

from adcalc.engine.describe import operation
from adcalc.engine.primitives import CONST
from adcalc.engine.sweeps import primal
from adcalc.frontend.parse import parse


def value(text: str, **point: float) -> float:
    tape = parse(text)
    return primal(tape, point)[tape.output]


@pytest.mark.parametrize(
    ("text", "point", "expected"),
    [
        ("2^3^2", {}, 512.0),
        ("2**3**2", {}, 512.0),
        ("(2^3)^2", {}, 64.0),
        ("-x^2", {"x": 3.0}, -9.0),
        ("-2^2", {}, -4.0),
        ("2^-1", {}, 0.5),
        ("2^-x", {"x": 2.0}, 0.25),
        ("+x", {"x": 4.0}, 4.0),
        ("--x", {"x": 4.0}, 4.0),
        ("1 - 2 - 3", {}, -4.0),
        ("8 / 4 / 2", {}, 1.0),
        ("2 + 3 * 4", {}, 14.0),
        ("(2 + 3) * 4", {}, 20.0),
        ("x*-y", {"x": 2.0, "y": 3.0}, -6.0),
        ("2*x^2", {"x": 3.0}, 18.0),
        (".5 + 0.5 + 1e-3 + 6.02E23", {}, 1.001 + 6.02e23),
        ("2. * 3", {}, 6.0),
        ("x_1 + alpha * theta2", {"x_1": 1.0, "alpha": 2.0, "theta2": 3.0}, 7.0),
        ("pi", {}, math.pi),
        ("e", {}, math.e),
        ("e^x", {"x": 2.0}, math.exp(2.0)),
        ("log(8, 2)", {}, 3.0),
        ("log(x, 10)", {"x": 1000.0}, 3.0),
        ("log2(8) + log10(100)", {}, 5.0),
        ("pow(x, 3)", {"x": 2.0}, 8.0),
        ("pow(x, y)", {"x": 2.0, "y": 3.0}, 8.0),
        ("atan2(1, x)", {"x": 1.0}, math.pi / 4),
        ("min(3, x, 1)", {"x": 2.0}, 1.0),
        ("max(3, x, 1)", {"x": 5.0}, 5.0),
        ("hypot(3, x)", {"x": 4.0}, 5.0),
        ("  sin ( x )\n + \t1 ", {"x": 0.0}, 1.0),
        ("sigmoid(0) + relu(-x) + softplus(0)", {"x": 1.0}, 0.5 + math.log(2.0)),
        ("abs(-x) + sign(-x) + step(x)", {"x": 2.0}, 2.0),
    ],
)
def test_values(text: str, point: dict[str, float], expected: float) -> None:
    assert value(text, **point) == pytest.approx(expected, rel=1e-15, abs=1e-15)


def test_seed_example_tape_is_the_textbook_one() -> None:
    tape = parse("log((x1+x2)^2 + sin(x1*x2))")
    labels = tape.labels()
    rows = [(labels[i], operation(tape, labels, i)) for i in range(len(tape))
            if tape.ops[i] >= 0]
    assert rows == [
        ("v1", "v-1 + v0"),
        ("v2", "v1^2"),
        ("v3", "v-1·v0"),
        ("v4", "sin(v3)"),
        ("v5", "v2 + v4"),
        ("v6", "log(v5)"),
    ]
    assert [labels[tape.var_node[n]] for n in ("x1", "x2")] == ["v-1", "v0"]


def test_vars_order_renumbers_inputs() -> None:
    tape = parse("x1 + x2")
    labels = tape.labels(["x2", "x1"])
    assert labels[tape.var_node["x2"]] == "v-1"
    assert labels[tape.var_node["x1"]] == "v0"


def test_hash_consing_shares_subexpressions() -> None:
    tape = parse("sin(x*y) + x*y")
    muls = [i for i, op in enumerate(tape.ops) if op >= 0]
    assert len(muls) == 3  # x*y, sin, +
    assert tape.a1[tape.output] == tape.a0[tape.a0[tape.output]]


def test_literals_are_not_rows_and_one_equals_one_point_zero() -> None:
    tape = parse("x^2 + 2*x + 2.0*y")
    consts = [i for i, op in enumerate(tape.ops) if op == CONST]
    assert len(consts) == 1
    labels = tape.labels()
    assert all(labels[i] is None for i in consts)
    assert "2·v-1" in {operation(tape, labels, i) for i in range(len(tape))}


def test_simplification_and_folding() -> None:
    assert len(parse("x*1 - 0")) == 1  # exact for every x: x*1 is x, x - (+0) is x
    assert parse("2*3 + 4").ops == [CONST]
    assert value("0*x", x=5.0) == 0.0
    assert parse("0*x").variables == ["x"]


@pytest.mark.parametrize(("text", "point", "want"), [
    ("x + 0", {"x": -0.0}, 0.0),               # -0 + +0 is +0: the + 0 is kept
    ("0 - y", {"y": 0.0}, 0.0),                 # +0 - +0 is +0, not -0
    ("atan2(0 - y, x)", {"x": -1.0, "y": 0.0}, math.pi),   # not -pi (IEEE, JAX, SymPy)
    ("0*x", {"x": -2.0}, -0.0),
    ("0*x + 1", {"x": math.inf}, None),         # 0·inf is NaN, so the value is refused
])
def test_evaluation_tapes_keep_every_ieee_result(text: str, point: dict, want) -> None:
    """Only rewrites that keep the IEEE result, the sign of zero included, are made
    while a user's expression is parsed; derivative tapes simplify as algebra does."""
    from adcalc.errors import DomainError

    if want is None:
        with pytest.raises(DomainError):
            value(text, **point)
        return
    got = value(text, **point)
    assert got == want and math.copysign(1.0, got) == math.copysign(1.0, want)


def test_constants_are_not_inputs() -> None:
    assert parse("pi*x + e").variables == ["x"]


def test_log_of_zero_literal_stays_a_node_for_the_error() -> None:
    tape = parse("log(0)")
    assert tape.ops[tape.output] >= 0
