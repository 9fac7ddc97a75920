"""The wheel ships the grammar; the LALR tables are cached in the user's own folder."""

from __future__ import annotations

import glob
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


def test_lalr_tables_are_cached_in_the_user_cache_folder(tmp_path: Path) -> None:
    before = set(glob.glob(os.path.join(tempfile.gettempdir(), ".lark_cache*")))
    first = run_cli(tmp_path)
    assert first.returncode == 0 and first.stdout == "∂f/∂x = 3.0\n∂f/∂y = 2.0\n"
    files = list((tmp_path / "adcalc").glob("lalr-*.cache"))
    assert len(files) == 1
    assert (tmp_path / "adcalc").stat().st_mode & 0o077 == 0  # private folder
    second = run_cli(tmp_path)
    assert second.stdout == first.stdout
    assert set(glob.glob(os.path.join(tempfile.gettempdir(), ".lark_cache*"))) == before


def test_a_corrupt_cache_file_is_rebuilt(tmp_path: Path) -> None:
    run_cli(tmp_path)
    cache = next((tmp_path / "adcalc").glob("lalr-*.cache"))
    cache.write_bytes(b"not a cache")
    r = run_cli(tmp_path)
    assert r.returncode == 0 and r.stdout == "∂f/∂x = 3.0\n∂f/∂y = 2.0\n"
    assert "Traceback" not in r.stderr
