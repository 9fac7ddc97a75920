"""A program's function reads its arguments in the caller's scope and binds its locals in
its own: a local may have the name of an input the call's argument reads."""

from __future__ import annotations

import math

import pytest

from adcalc.commands.grad import gradient
from adcalc.errors import ParseError

SQRT = "sq(t) = { y = t; repeat 8 { y = (y + t/y)/2 }; y }; sq(x^2 + y^2)"


@pytest.mark.parametrize("text, point, expected", [
    ("g(t) = { y = t*1; y }; g(y)", {"y": 2.0}, {"y": 1.0}),
    ("g(t) = { u = 5; u*t }; g(u)", {"u": 2.0}, {"u": 5.0}),
    ("g(t) = { y = t*2; y }; g(x) + y", {"x": 1.0, "y": 3.0}, {"x": 2.0, "y": 1.0}),
    # Newton's square root of r² = x² + y² converges: ∂r/∂x = x/r, ∂r/∂y = y/r
    (SQRT, {"x": 3.0, "y": 4.0}, {"x": 0.6, "y": 0.8}),
])
def test_a_local_may_have_the_name_of_the_callers_input(text, point, expected):
    got = gradient(text, point).gradient
    assert got.keys() == expected.keys()
    for name, value in expected.items():
        assert math.isclose(got[name], value, rel_tol=1e-12), (name, got[name], value)


@pytest.mark.parametrize("text", [
    "g(t) = { u = y; y = t; u + y }; g(y)",  # the function reads y, then binds it
    "g(t) = t*y; z = g(1); y = 2; z + y",     # y read by a call, then bound by its caller
    "x = x + 1; x",
])
def test_a_name_read_then_bound_in_one_scope_is_refused(text):
    with pytest.raises(ParseError, match=r"(y|x) is used before"):
        gradient(text, {"x": 1.0, "y": 2.0})
