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


def test_huber_takes_its_own_path_at_every_row() -> None:
    """examples/model.py:huber branches on its parameters; --points gives each row the
    gradient of its own path: the closed form of the Huber loss, row by row."""
    from click.testing import CliRunner

    from adcalc.cli import main

    r = CliRunner().invoke(main, ["grad", "--python", f"{EXAMPLES}/model.py:huber",
                                  "--points", str(EXAMPLES / "weights.csv")])
    assert r.exit_code == 0, r.output
    data = [(1.0, 1.0), (-1.0, 0.0), (2.0, 1.0)]
    rows = [line.split(",") for line in r.output.splitlines()[1:]]
    assert len(rows) == 3
    for w, b, _, f, dw, db in rows:
        residuals = [float(w) * x + float(b) - y for x, y in data]
        small = [abs(r) <= 1 for r in residuals]
        value = sum(r * r / 2 if s else abs(r) - 0.5
                    for r, s in zip(residuals, small, strict=True)) / 3
        slope = [r if s else (1.0 if r > 0 else -1.0)
                 for r, s in zip(residuals, small, strict=True)]
        by_w = sum(s * x for s, (x, _) in zip(slope, data, strict=True)) / 3
        assert float(f) == pytest.approx(value, rel=1e-15)
        assert float(dw) == pytest.approx(by_w, rel=1e-14, abs=1e-15)
        assert float(db) == pytest.approx(sum(slope) / 3, rel=1e-14, abs=1e-15)
    paths = {tuple(abs(float(w) * x + float(b) - y) <= 1 for x, y in data)
             for w, b, *_ in rows}
    assert len(paths) == 3   # three different paths
