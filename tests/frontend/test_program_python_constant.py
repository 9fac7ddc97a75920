"""A traced Python function may return a plain number on a branch (``return 0.0``), as
JAX's ``grad`` allows: a constant, derivative 0 -- never an error."""

from __future__ import annotations

import pytest

import adcalc


def relu_square(x):
    if x < 0:
        return 0.0
    return x * x


def three(x, y):
    return 3


@pytest.mark.parametrize("x, want", [(-1.0, 0.0), (2.0, 4.0), (-3.0, 0.0), (0.5, 1.0)])
def test_a_branch_returning_a_number_has_derivative_zero(x, want):
    g = adcalc.grad(relu_square)(x)
    assert g == {"x": want}  # d/dx x^2 = 2x on the other branch
    assert [d.outcome for d in g.decisions] == [x < 0]


def test_a_function_returning_a_constant_has_a_zero_gradient():
    assert adcalc.grad(three)(1.0, 2.0) == {"x": 0.0, "y": 0.0}
