"""Deep and large expressions work (no recursion anywhere); results equal a reference.

Timing is measured in benchmarks/, never asserted here.
"""

from __future__ import annotations

import math

import pytest

from adcalc import gradient
from adcalc.frontend.parse import parse
from adcalc.render.plain import render
from adcalc.render.trace import blocks

DEPTH = 100_000


def test_deep_nesting_of_functions() -> None:
    text = "sin(" * DEPTH + "x" + ")" * DEPTH
    for mode in ("reverse", "forward"):
        g = gradient(text, {"x": 0.5}, mode=mode)
        v, d = 0.5, 1.0
        for _ in range(DEPTH):
            d *= math.cos(v)
            v = math.sin(v)
        assert g.value == v
        assert g.gradient["x"] == pytest.approx(d, rel=1e-12)


def test_deep_parentheses_power_and_negation_chains() -> None:
    assert gradient("(" * DEPTH + "x" + ")" * DEPTH, {"x": 2.0}).gradient == {"x": 1.0}
    # x^1^1^...^1 is right-associative: a 100,000-deep chain of literals folds to x^1 = x
    chain = "x" + "^1" * DEPTH
    assert gradient(chain, {"x": 3.0}).gradient == {"x": 1.0}
    neg = "-" * (DEPTH + 1) + "x"
    assert gradient(neg, {"x": 3.0}).gradient == {"x": -1.0}


def test_deep_trace_renders() -> None:
    depth = 20_000
    g = gradient("tanh(" * depth + "2*x" + ")" * depth, {"x": 0.25}, record=True)
    text = render(blocks(g))
    rows = [line.split() for line in text.splitlines()]
    assert [f"v{depth + 1}", f"tanh(v{depth})", repr(g.value)] in rows
    assert f"v̄{depth} = v̄{depth + 1}·∂v{depth + 1}/∂v{depth}" in text


@pytest.mark.slow
def test_a_million_node_expression() -> None:
    terms = 250_000  # each term adds 4 rows: k*x, + y, sin, the running sum (1*x is x)
    text = " + ".join(f"sin({k}*x + y)" for k in range(1, terms + 1))
    tape = parse(text)
    rows = sum(1 for op in tape.ops if op >= 0)
    assert rows == 4 * terms - 2
    x, y = 0.3, 0.1
    g = gradient(tape, {"x": x, "y": y})
    assert g.value == pytest.approx(math.fsum(math.sin(k * x + y)
                                              for k in range(1, terms + 1)), rel=1e-12, abs=1e-9)
    dx = math.fsum(k * math.cos(k * x + y) for k in range(1, terms + 1))
    dy = math.fsum(math.cos(k * x + y) for k in range(1, terms + 1))
    assert g.gradient["x"] == pytest.approx(dx, rel=1e-10, abs=1e-6)
    assert g.gradient["y"] == pytest.approx(dy, rel=1e-10, abs=1e-9)
