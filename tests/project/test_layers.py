"""The layers of the package, as docs/architecture.md states them.

    cli/         the command line: parse options, pick a renderer
    render/      format records (render/points_out writes batches)
    commands/    one function per command, returning a record
    batch/       many points at once: array sweeps, CSV and columnar I/O
    symbolic/    derivative tapes, simplification, canonical form, exact sweeps, formulas
    frontend/    what becomes a tape: grammar driver, builder, tracer, catalogue, inputs
    engine/      primitives, tape, algebras, sweeps, checks, descriptions
    errors.py    the exception family, below everything

Each layer imports only the layers below it; a renderer takes records and never parses
an expression or runs a sweep (it may import record types, whose names are CapWords).
``adcalc/__init__.py`` and ``adcalc/math.py`` are the public API over all of them.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "adcalc"
RANK = {"errors": 0, "version": 0, "engine": 1, "frontend": 2, "symbolic": 3, "batch": 4,
        "commands": 5, "render": 6, "cli": 7, "api": 8}
COMPUTING = ("adcalc.frontend.parse", "adcalc.frontend.lalr", "adcalc.frontend.build",
             "adcalc.engine.sweeps", "adcalc.symbolic.derive", "adcalc.symbolic.simplify",
             "adcalc.symbolic.canonical", "adcalc.batch.sweep", "adcalc.batch.array_code",
             "adcalc.commands")
"""Modules that parse or sweep: a renderer may take record types (CapWords) and constants
from them, but no functions."""


def layer(module: str) -> str:
    parts = module.split(".")
    if module in ("adcalc", "adcalc.math", "adcalc.notebook", "adcalc.__main__"):
        return "cli" if module == "adcalc.__main__" else "api"
    return parts[1]


def imports() -> list[tuple[str, str, list[str]]]:
    """(importing module, imported module, names) for every adcalc import, at any depth."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(
                    "adcalc"):
                found.append((module, node.module, [a.name for a in node.names]))
            elif isinstance(node, ast.Import):
                found += [(module, a.name, []) for a in node.names if a.name.startswith("adcalc")]
    return found


def test_every_module_is_in_a_layer() -> None:
    assert {layer(a) for a, _, _ in imports()} <= set(RANK)
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert top == ["__init__.py", "__main__.py", "errors.py", "math.py", "notebook.py",
                   "version.py"]


def test_each_layer_imports_only_the_layers_below() -> None:
    wrong = [(a, b) for a, b, _ in imports() if RANK[layer(b)] > RANK[layer(a)]]
    assert wrong == []


def test_renderers_take_records_and_compute_nothing() -> None:
    wrong = []
    for a, b, names in imports():
        if layer(a) != "render" or not any(b == m or b.startswith(m + ".") for m in COMPUTING):
            continue
        functions = [n for n in names if not n[:1].isupper()]
        if functions or not names:
            wrong.append((a, b, functions))
    assert wrong == []


def test_no_module_or_class_is_too_long_to_read() -> None:
    """No module over 600 lines, no class over 400 (the CLI's modules: 350)."""
    long = []
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        limit = 350 if path.parent.name == "cli" else 600
        if text.count("\n") > limit:
            long.append((str(path.relative_to(PACKAGE)), text.count("\n")))
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno > 400:
                long.append((f"{path.name}:{node.name}", node.end_lineno - node.lineno))
    assert long == []
