"""The simplifier never changes a value: property tests at random points."""

from __future__ import annotations

import math

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from adcalc.engine.sweeps import primal
from adcalc.errors import DomainError
from adcalc.frontend.parse import parse
from adcalc.symbolic.simplify import simplified
from tests.helpers import GRID_POINTS, VARS, expressions, full

POINTS = st.fixed_dictionaries(  # no values near 1e-309: there x*(y/z) and (x*y)/z are
    # both ~1e308 but differ in the last bits, and sin of either is any number in [-1, 1]
    {v: st.floats(min_value=-3.0, max_value=3.0, allow_nan=False).filter(
        lambda x: x == 0 or abs(x) > 1e-100) for v in VARS})


@settings(max_examples=400, deadline=None)
@given(expressions(), POINTS)
def test_simplified_tape_has_the_same_value(text: str, point: dict[str, float]) -> None:
    tape = parse(full(text))
    try:
        before = primal(tape, point)[tape.output]
    except DomainError:
        assume(False)
        return
    after_tape = simplified(tape)
    try:
        after = primal(after_tape, point)[after_tape.output]
    except DomainError:  # x^-1*x becomes 1: the rewrite may only widen the domain
        raise AssertionError(f"simplifying {text} narrowed its domain at {point}") from None
    assert math.isclose(after, before, rel_tol=1e-9, abs_tol=1e-9), (text, before, after)


@settings(max_examples=200, deadline=None)
@given(expressions(), GRID_POINTS)  # no 1e-172: there 1 + 1/z - z/z² cancels to 0
def test_symbolic_gradient_equals_reverse_mode(text: str, point: dict[str, float]) -> None:
    from adcalc import gradient
    from adcalc.symbolic.derive import derivatives

    try:
        g = gradient(full(text), point)
    except DomainError:
        assume(False)
        return
    assume(not g.nondiff)
    tape, _ = derivatives(parse(full(text)))
    try:
        vals = primal(tape, point)
    except DomainError:
        assume(False)
        return
    for name, o in zip(tape.variables, tape.outputs, strict=True):
        ad = g.gradient[name]
        assert math.isclose(vals[o], ad, rel_tol=1e-9, abs_tol=1e-9), (text, name, vals[o], ad)
