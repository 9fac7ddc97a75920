"""An error names a parameter, spelled by whoever shows it: the Python API as its keyword
(``mode='forward'``), the command line as its flag (``--mode forward``).  The library never
writes a flag into a message itself."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import Path

import pytest

import adcalc
from adcalc.cli.types import FLAGS
from adcalc.errors import PARAMETERS, AdcalcError, param, spell

FLAG = re.compile(r"(?<![\w-])--[a-z]")
"""A long flag in a message (``--mode``; not the ``-`` of ``forward-mode``)."""

CORE = ("commands", "engine", "symbolic", "batch", "frontend")
"""The library's layers below the command line: their messages name no flags."""


def _points(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text("x\n1\n")
    (tmp_path / "out.csv").write_text("old\n")


def _check_target() -> None:
    from adcalc.commands.points import check_target

    check_target("out.csv", ["p.csv"], overwrite=False)


def _format_of() -> None:
    from adcalc.batch.columnar import format_of

    format_of("out.xyz", None, "the output")


def _check_folder() -> None:
    from adcalc.commands.dataset import check_folder

    check_folder("out.csv", "p.parquet", overwrite=False)


def _load_function() -> None:
    from adcalc.commands.python import load_function

    load_function("no_such_file.py:f")


CASES: list[tuple[str, Callable[[], object], str, list[str], str]] = [
    ("exact with forward mode",
     lambda: adcalc.gradient("x^2", {"x": 1}, mode="forward", exact=True),
     "exact and digits run the reverse sweep: leave out mode='forward' and seed",
     ["grad", "x^2", "--at", "x=1", "--exact", "--mode", "forward"],
     "--exact and --precision run the reverse sweep: leave out --mode forward and --seed"),
    ("exact and digits",
     lambda: adcalc.gradient("x^2", {"x": 1}, exact=True, digits=5),
     "exact and digits: choose one",
     ["grad", "x^2", "--at", "x=1", "--exact", "--precision", "5"],
     "--exact and --precision: choose one"),
    ("exact cannot settle",
     lambda: adcalc.gradient("sin(x)^2 + cos(x)^2 - 1 + x", {"x": 1}, exact=True),
     "exact cannot settle the value sin(1)^2 + cos(1)^2 - 1",
     ["grad", "sin(x)^2 + cos(x)^2 - 1 + x", "--at", "x=1", "--exact"],
     "--exact cannot settle the value sin(1)^2 + cos(1)^2 - 1"),
    ("seed in reverse mode",
     lambda: adcalc.gradient("x^2", {"x": 1}, seed={"x": 1}, mode="reverse"),
     "seed is a forward-mode direction: use it with mode='forward'",
     ["grad", "x^2", "--at", "x=1", "--seed", "x=1", "--mode", "reverse"],
     "--seed is a forward-mode direction: use it with --mode forward"),
    ("a missing value",
     lambda: adcalc.gradient("x*y", {"x": 1, "yy": 2}),
     "give it with point={'y': …} (point gives yy: a typo for y?)",
     ["grad", "x*y", "--at", "x=1,yy=2"],
     "give it with --at y=… (--at gives yy: a typo for y?)"),
    ("no such Python file", _load_function,
     "python: no file no_such_file.py",
     ["grad", "--python", "no_such_file.py:f", "--at", "x=1"],
     "--python: no file no_such_file.py"),
    ("an output that exists", _check_target,
     "exists: give overwrite to replace it",
     ["grad", "x", "--points", "p.csv", "-o", "out.csv"],
     "exists: give --overwrite to replace it"),
    ("an output of no known format", _format_of,
     "or say which with target_format",
     ["grad", "x", "--points", "p.csv", "-o", "out.xyz"],
     "or say which with --output-format"),
    ("a Dask dataset named as a file", _check_folder,
     "sweep_dataset writes a Parquet dataset",
     ["grad", "x", "--points", "p.parquet", "--engine", "dask", "-o", "out.csv"],
     "--engine dask"),  # or, without Dask: "--engine dask needs Dask"
]


@pytest.mark.parametrize(("what", "call", "api", "args", "flags"), CASES,
                         ids=[c[0] for c in CASES])
def test_the_api_names_keywords_and_the_cli_names_flags(
        cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, what: str,
        call: Callable[[], object], api: str, args: list[str], flags: str) -> None:
    _points(tmp_path)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AdcalcError) as raised:
        call()
    message = str(raised.value)
    assert FLAG.search(message) is None, message
    assert api in message
    r = cli(*args)
    assert r.exit_code != 0 and "Traceback" not in r.output
    assert flags in r.stderr, r.stderr


def test_every_parameter_has_a_flag() -> None:
    assert set(FLAGS) == set(PARAMETERS)
    assert all(FLAG.match(flag) or re.fullmatch(r"-[a-z]", flag) for flag in FLAGS.values())


@pytest.mark.parametrize(("marker", "api", "flags"), [
    (param("mode", "forward"), "mode='forward'", "--mode forward"),
    (param("point", "y=…"), "point={'y': …}", "--at y=…"),
    (param("digits"), "digits", "--precision"),
    (param("engine", "dask"), "sweep_dataset", "--engine dask"),
    (param("points"), "points", "--points"),  # not taken for point + "s"
])
def test_a_marker_spelled_both_ways(marker: str, api: str, flags: str) -> None:
    assert spell(f"<{marker}>") == f"<{api}>"
    assert spell(f"<{marker}>", FLAGS) == f"<{flags}>"


def _raised_texts(tree: ast.AST) -> list[tuple[int, str]]:
    """The literal text of every message raised (``raise XError("…" f"…")``)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            for sub in ast.walk(node.exc):
                if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                    found.append((sub.lineno, sub.value))
    return found


def test_the_library_writes_no_flag_into_a_message() -> None:
    """Name a parameter with ``adcalc.errors.param`` (adding it to ``PARAMETERS`` and to
    ``cli.types.FLAGS`` if new): ``param("mode", "forward")``, not ``--mode forward``."""
    package = Path(adcalc.__file__).parent
    wrong = []
    for layer in CORE:
        for path in sorted((package / layer).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            wrong += [f"{path.relative_to(package)}:{line}: {text!r}"
                      for line, text in _raised_texts(tree) if FLAG.search(text)]
    assert wrong == []
