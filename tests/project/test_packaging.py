"""The wheel ships the grammar and the LALR tables made from it; nothing is cached."""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_built_wheel_parses_with_its_own_grammar(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(dist), str(ROOT)], check=True)
    wheel = next(dist.glob("adcalc-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "adcalc/grammars/adcalc.lark" in names
    assert "adcalc/frontend/parse_tables.json" in names
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(site), str(wheel)], check=True)
    code = ("import adcalc, sys; assert adcalc.__file__.startswith(sys.argv[1]), "
            "adcalc.__file__; print(adcalc.grad('x*y + x^2', x=2, y=3))")
    env = {**os.environ, "PYTHONPATH": str(site)}
    r = subprocess.run([sys.executable, "-c", code + "; print('lark' in sys.modules)", str(site)],
                       cwd=tmp_path, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["GradResult(value=10.0,", "gradient={'x':", "7.0,", "'y':",
                                "2.0})", "False"]  # the shipped tables: no Lark


def run_cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "XDG_CACHE_HOME": str(home / "cache"), "HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "adcalc", "grad", "x*y", "--at", "x=2,y=3",
                           "-q", *args], env=env, capture_output=True, text=True)


def test_tables_ship_in_the_package_and_nothing_is_written(tmp_path: Path) -> None:
    before = set(glob.glob(os.path.join(tempfile.gettempdir(), ".lark_cache*")))
    (tmp_path / "cache").mkdir()
    decoy = tmp_path / "cache" / "adcalc"
    decoy.mkdir()
    (decoy / "tables-mine.json").write_text("a user's file")  # never touched
    r = run_cli(tmp_path)
    assert r.returncode == 0 and r.stdout == "∂f/∂x = 3.0\n∂f/∂y = 2.0\n"
    assert [p.name for p in decoy.iterdir()] == ["tables-mine.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache"]
    assert set(glob.glob(os.path.join(tempfile.gettempdir(), ".lark_cache*"))) == before


def test_shipped_tables_are_what_lark_makes_from_the_grammar_today() -> None:
    import adcalc  # noqa: F401

    parse_module = sys.modules["adcalc.frontend.parse"]
    shipped = json.loads(Path(parse_module.TABLES).read_text(encoding="utf-8"))
    assert shipped == json.loads(json.dumps(parse_module.make_tables())), (
        "grammars/adcalc.lark changed: run python scripts/make_tables.py")
    assert parse_module.shipped_tables() == shipped


def test_lark_is_not_imported_on_a_usual_run(tmp_path: Path) -> None:
    code = ("import sys, adcalc; print(adcalc.grad('log(x*y)', x=2, y=3).gradient, "
            "'lark' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stdout.strip() == "{'x': 0.5, 'y': 0.3333333333333333} False"
    bad = subprocess.run([sys.executable, "-c", "import adcalc; adcalc.parse('sin(x')"],
                         capture_output=True, text=True)
    assert "expected ')' to close a parenthesis" in bad.stderr  # Lark explains errors


def test_stale_tables_are_not_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A grammar edit without regenerating: the key no longer matches, Lark's tables are
    made in memory, and parsing stays right."""
    import adcalc  # noqa: F401

    parse_module = sys.modules["adcalc.frontend.parse"]
    stale = json.loads(Path(parse_module.TABLES).read_text(encoding="utf-8"))
    stale["key"] = "00000000-1"
    path = tmp_path / "parse_tables.json"
    path.write_text(json.dumps(stale))
    monkeypatch.setattr(parse_module, "TABLES", str(path))
    assert parse_module.shipped_tables() is None
