"""A tape traced at one point (``adcalc.parse(text, at=...)``) reused where a recorded
decision flips: the program is traced again at the point (scalar commands), or the rows
off its path are bad rows (``sweep_arrays``) -- never the old branch's numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

import adcalc


@pytest.mark.parametrize("x, value, slope", [(-3.0, 3.0, -1.0), (2.0, 4.0, 4.0),
                                             (0.5, 0.25, 1.0)])
def test_a_point_off_the_path_is_traced_again(x: float, value: float, slope: float) -> None:
    tape = adcalc.parse("if x > 0 then x^2 else -x", at={"x": 2.0})
    g = adcalc.gradient(tape, {"x": x})
    assert (g.value, g.gradient) == (value, {"x": slope})


def test_a_while_loop_s_trip_count_is_the_new_point_s() -> None:
    tape = adcalc.parse("y = x; while y > 1 { y = y/2 }; y", at={"x": 10.0})
    g = adcalc.gradient(tape, {"x": 100.0})  # seven halvings, not the four of x = 10
    assert (g.value, g.gradient) == (100.0 / 2**7, {"x": 1.0 / 2**7})
    assert adcalc.gradient(tape, {"x": 10.0}).gradient == {"x": 1.0 / 2**4}


def test_the_new_point_s_boundary_is_warned_of() -> None:
    tape = adcalc.parse("if x > 0 then x^2 else -x", at={"x": 2.0})
    g = adcalc.gradient(tape, {"x": 0.0})
    assert g.gradient == {"x": -1.0} and any("boundary" in w for w in g.warnings)


def test_rows_off_the_path_are_bad_rows() -> None:
    tape = adcalc.parse("if x > 0 then x^2 else -x", at={"x": 2.0})
    r = adcalc.sweep_arrays(tape, {"x": np.array([2.0, -3.0, 0.5])})
    assert r.values[0] == 4.0 and r.values[2] == 0.25 and math.isnan(r.values[1])
    assert [row for row, _ in r.bad] == [1] and "if x > 0 comes out False" in r.bad[0][1]
    assert math.isnan(r.gradient["x"][1]) and r.gradient["x"][2] == 1.0
