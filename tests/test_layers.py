"""The layers of the package, as the README's section for contributors states them.

    cli.py, options.py, __main__.py      the command line: parse options, pick a renderer
    render/                              format records (render/points_out writes batches)
    commands/                            one function per command, returning a record
    everything else                      the core: grammar, tape, primitives, sweeps, …

Each layer imports only the layers below it; a renderer takes records and never parses
an expression or runs a sweep (it may import record types, whose names are CapWords).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "adcalc"
CLI = {"adcalc.cli", "adcalc.options", "adcalc.__main__"}
COMPUTING = {"adcalc.parse", "adcalc.fastparse", "adcalc.build", "adcalc.simplify",
             "adcalc.derive", "adcalc.sweeps", "adcalc.batch", "adcalc.commands"}
"""Modules a renderer may take record types from, but no functions."""


def layer(module: str) -> str:
    if module in CLI:
        return "cli"
    if module.startswith("adcalc.render"):
        return "render"
    if module.startswith("adcalc.commands"):
        return "commands"
    return "core"


RANK = {"core": 0, "commands": 1, "render": 2, "cli": 3}


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


def test_each_layer_imports_only_the_layers_below() -> None:
    wrong = [(a, b) for a, b, _ in imports()
             if a != "adcalc" and RANK[layer(b)] > RANK[layer(a)]]
    assert wrong == []


def test_renderers_take_records_and_compute_nothing() -> None:
    wrong = []
    for a, b, names in imports():
        if layer(a) != "render" or not any(b == m or b.startswith(m + ".") for m in COMPUTING):
            continue
        functions = [n for n in names if not n[:1].isupper() and n != "output_names"]
        if functions or not names:
            wrong.append((a, b, functions))
    assert wrong == []


def test_the_layers_are_all_there() -> None:
    layers = {layer(a) for a, _, _ in imports()}
    assert layers == {"core", "commands", "render", "cli"}
