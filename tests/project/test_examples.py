"""The examples a newcomer runs keep working."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import adcalc

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.expr")), ids=lambda p: p.name)
def test_expression_files_parse(path: Path) -> None:
    tape = adcalc.parse(path.read_text())
    assert tape.variables


def test_rosenbrock_minimum_has_zero_gradient() -> None:
    g = adcalc.gradient(adcalc.parse((EXAMPLES / "rosenbrock.expr").read_text()),
                        {"x": 1.0, "y": 1.0})
    assert g.value == 0.0 and g.gradient == {"x": 0.0, "y": 0.0}


def test_api_demo_runs_and_descends() -> None:
    r = subprocess.run([sys.executable, str(EXAMPLES / "api_demo.py")], capture_output=True,
                       text=True, check=True)
    lines = r.stdout.splitlines()
    first = float(lines[0].split("f = ")[1].split()[0])
    last = float(lines[4].split("f = ")[1].split()[0])
    assert first == pytest.approx(24.2) and last < 0.1
    assert lines[-1] == "x*y + x^2 at (2, 3): value 10.0, gradient {'x': 7.0, 'y': 2.0}"
