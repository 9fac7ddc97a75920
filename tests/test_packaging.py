"""The wheel ships the grammar; the LALR tables are cached in the user's own folder."""

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

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_built_wheel_parses_with_its_own_grammar(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(dist), str(ROOT)], check=True)
    wheel = next(dist.glob("adcalc-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "adcalc/grammars/adcalc.lark" in names
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(site), str(wheel)], check=True)
    code = ("import adcalc, sys; assert adcalc.__file__.startswith(sys.argv[1]), "
            "adcalc.__file__; print(adcalc.grad('x*y + x^2', x=2, y=3))")
    env = {**os.environ, "PYTHONPATH": str(site), "ADCALC_NO_CACHE": "1"}
    r = subprocess.run([sys.executable, "-c", code, str(site)], cwd=tmp_path, env=env,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "GradResult(value=10.0, gradient={'x': 7.0, 'y': 2.0})"


def run_cli(cache: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    env.pop("ADCALC_NO_CACHE", None)
    return subprocess.run([sys.executable, "-m", "adcalc", "grad", "x*y", "--at", "x=2,y=3",
                           "-q"], env=env, capture_output=True, text=True)


def tables(cache: Path) -> list[Path]:
    return list((cache / "adcalc").glob("tables-*.json"))


def test_parse_tables_are_cached_as_json_in_the_user_cache_folder(tmp_path: Path) -> None:
    before = set(glob.glob(os.path.join(tempfile.gettempdir(), ".lark_cache*")))
    first = run_cli(tmp_path)
    assert first.returncode == 0 and first.stdout == "∂f/∂x = 3.0\n∂f/∂y = 2.0\n"
    files = tables(tmp_path)
    assert len(files) == 1
    data = json.loads(files[0].read_text())  # plain data: nothing is unpickled
    assert data["states"] and data["rules"]
    assert (tmp_path / "adcalc").stat().st_mode & 0o077 == 0  # private folder
    second = run_cli(tmp_path)
    assert second.stdout == first.stdout
    assert set(glob.glob(os.path.join(tempfile.gettempdir(), ".lark_cache*"))) == before


def test_with_cached_tables_lark_is_not_imported(tmp_path: Path) -> None:
    run_cli(tmp_path)
    code = ("import sys, adcalc; print(adcalc.grad('log(x*y)', x=2, y=3).gradient, "
            "'lark' in sys.modules)")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert r.stdout.strip() == "{'x': 0.5, 'y': 0.3333333333333333} False"
    bad = subprocess.run([sys.executable, "-c", "import adcalc; adcalc.parse('sin(x')"],
                         env=env, capture_output=True, text=True)
    assert "expected ')' to close a parenthesis" in bad.stderr  # Lark explains errors


def test_a_corrupt_cache_file_is_rebuilt(tmp_path: Path) -> None:
    run_cli(tmp_path)
    cache = tables(tmp_path)[0]
    cache.write_text("not json")
    r = run_cli(tmp_path)
    assert r.returncode == 0 and r.stdout == "∂f/∂x = 3.0\n∂f/∂y = 2.0\n"
    assert "Traceback" not in r.stderr
    assert json.loads(cache.read_text())["rules"]
