"""The option types of the command line, each on its own: what they accept and refuse."""

from __future__ import annotations

import math

import click
import pytest

from adcalc.cli.types import (
    NAMES,
    POINT,
    VECTOR,
    constant_value,
    merge_points,
    read_source,
    split_top_level,
)


@pytest.mark.parametrize(("text", "parts"), [
    ("x=1,y=2", ["x=1", "y=2"]),
    ("x=max(1,2),y=3", ["x=max(1,2)", "y=3"]),
    ("x=hypot(1,max(2,3)),y=1", ["x=hypot(1,max(2,3))", "y=1"]),
    ("", [""]),
    ("1,-1", ["1", "-1"]),
])
def test_split_top_level(text: str, parts: list[str]) -> None:
    assert split_top_level(text) == parts


@pytest.mark.parametrize(("text", "value"), [
    ("2", 2.0), ("-1e-3", -1e-3), ("pi/4", math.pi / 4), ("e^2", math.exp(2.0)),
    ("max(1, 2)", 2.0), ("sqrt(2)", math.sqrt(2.0)),
])
def test_constant_values(text: str, value: float) -> None:
    assert constant_value(text) == value


@pytest.mark.parametrize(("text", "message"), [
    ("x + 1", "uses x"), ("softmax([1,2])", "is a vector of 2 numbers"),
    ("1e999", "is not a finite number"), ("inf", "is not a finite number"),
    ("nan", "is not a finite number"),
])
def test_constant_values_refused(text: str, message: str) -> None:
    with pytest.raises(click.BadParameter, match=message):
        constant_value(text)


def test_point() -> None:
    assert POINT.convert("x1=1, x2 = pi/2", None, None) == {"x1": 1.0, "x2": math.pi / 2}
    for bad, message in [("x1", "expected name=value pairs"), ("1x=2", "expected name=value"),
                         ("x=1,x=2", "x is given twice"), ("x=", "expected name=value"),
                         ("x=log(0)", "the value of x is not a number"),
                         ("x=y", "the value of x: 'y' uses y")]:
        with pytest.raises(click.BadParameter, match=message):
            POINT.convert(bad, None, None)


def test_names_and_vectors() -> None:
    assert NAMES.convert("x2, x1", None, None) == ["x2", "x1"]
    with pytest.raises(click.BadParameter, match="'2x' is not a variable name"):
        NAMES.convert("x,2x", None, None)
    assert VECTOR.convert("1,-1", None, None) == [1.0, -1.0]
    assert VECTOR.convert("x=1,y=-1", None, None) == {"x": 1.0, "y": -1.0}
    with pytest.raises(click.BadParameter, match="expected numbers separated by commas"):
        VECTOR.convert("1,z", None, None)


def test_merge_points_refuses_a_name_given_twice() -> None:
    assert merge_points(({"x": 1.0}, {"y": 2.0})) == {"x": 1.0, "y": 2.0}
    with pytest.raises(click.BadParameter, match="x is given twice"):
        merge_points(({"x": 1.0}, {"x": 2.0}))


def test_read_source_reads_files_and_refuses_clearly(tmp_path) -> None:
    path = tmp_path / "f.ad"
    path.write_bytes(b"\xef\xbb\xbfa = x\r\na^2\r\n")
    assert read_source(f"@{path}") == "a = x\na^2\n"
    assert read_source("x + 1") == "x + 1"
    with pytest.raises(click.BadParameter, match="cannot read the expression file"):
        read_source(f"@{tmp_path / 'missing.ad'}")
