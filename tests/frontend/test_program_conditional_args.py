"""A conditional is a whole value: an argument of a call and an entry of a vector, as a
binding's value; as an operand of an operator it goes in parentheses (the message says so)."""

from __future__ import annotations

import pytest

from adcalc.commands.grad import gradient
from adcalc.commands.vector import jacobian
from adcalc.errors import ParseError


@pytest.mark.parametrize("x, y", [(2.0, 1.0), (1.0, 2.0)])
def test_a_vector_entry_may_be_a_conditional(x, y):
    got = jacobian("[if x > y then x*y else x + y, x]", {"x": x, "y": y})
    first = [y, x] if x > y else [1.0, 1.0]  # ∂(xy) or ∂(x + y), by hand
    assert [list(map(float, row)) for row in got.matrix] == [first, [1.0, 0.0]]


@pytest.mark.parametrize("text", ["g(a) = a*2; g(if x > 0 then x^2 else -x)",
                                  "2*max(if x > 0 then x^2 else -x, 0)"])
def test_an_argument_may_be_a_conditional(text):
    assert gradient(text, {"x": 3.0}).gradient == {"x": 12.0}
    assert gradient(text, {"x": -3.0}).gradient == {"x": -2.0}


def test_an_operand_conditional_needs_parentheses_and_is_told_so():
    with pytest.raises(ParseError, match=r"goes in parentheses: 2 \+ \(if c then a else b\)"):
        gradient("2 + if x > 0 then x else 0", {"x": 1.0})
    assert gradient("2 + (if x > 0 then x else 0)", {"x": 1.0}).gradient == {"x": 1.0}
