"""Reports for jacobian, hessian, jvp and vjp: traces, labelled matrices, JSON.

The four functions of every record module (``adcalc.render.output``): ``blocks``,
``to_json``, ``quiet_text`` and ``warnings``.  A ``VectorResult`` is a Jacobian, J·v or
uᵀ·J as ``kind`` (``jacobian``, ``jvp``, ``vjp``) says; a ``HessianResult`` a Hessian.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adcalc.commands.vector import HessianResult, VectorResult
from adcalc.render.document import Block, Para, Table, num
from adcalc.render.json_out import SCHEMA, number
from adcalc.render.trace import (
    adjoint_table,
    bar,
    dot,
    header,
    matrix_table,
    nondiff_warnings,
    primal_table,
    tangent_table,
)


def warnings(r: VectorResult | HessianResult) -> list[str]:
    return [*r.tape.warnings, *nondiff_warnings(r.tape, r.variables, r.values, r.nondiff)]


def _outputs_table(r: VectorResult) -> Table:
    labels = r.tape.labels(r.variables)
    table = Table("Outputs", ["output", "node", "value"], right={2})
    for name, o in zip(r.tape.output_names, r.tape.outputs, strict=True):
        table.add([name, str(labels[o] or "literal"), num(r.values[o])], "output")
    return table


def _sweeps(r: VectorResult, kind: str) -> list[Block]:
    tape = r.tape
    labels = tape.labels(r.variables)
    names = tape.output_names
    blocks: list[Block] = []
    for k, sweep in enumerate(r.tangents):
        if kind == "jvp":
            title = "Tangent trace, one sweep seeded with v: " + ", ".join(
                f"{dot(str(labels[tape.var_node[n]]))} = {num(sweep.seed.get(n, 0.0))}"
                for n in r.variables)
        else:
            name = r.variables[k]
            title = (f"Tangent trace, sweep {k + 1} of {len(r.tangents)}: seed "
                     f"{dot(str(labels[tape.var_node[name]]))} = 1 (column ∂/∂{name})")
        blocks.append(tangent_table(tape, labels, r.variables, sweep, title))
    for k, sweep in enumerate(r.adjoints):
        if kind == "vjp":
            title = "Adjoint trace, one sweep seeded with u on the outputs"
        else:
            o = tape.outputs[k]
            title = (f"Adjoint trace, sweep {k + 1} of {len(r.adjoints)}: seed "
                     f"{bar(str(labels[o]))} = 1 (row {names[k]})")
        blocks.append(adjoint_table(tape, labels, sweep, title))
    return blocks


def _jacobian_blocks(r: VectorResult) -> list[Block]:
    labels = r.tape.labels(r.variables)
    cols = [f"∂/∂{n}" for n in r.variables]
    return [header(r.expression, r.variables, r.point),
            primal_table(r.tape, labels, r.variables, r.values), *_sweeps(r, "jacobian"),
            _outputs_table(r), Para(r.reason.capitalize() + "."),
            matrix_table("Jacobian (rows: outputs, columns: inputs)", "",
                         r.tape.output_names, cols, r.matrix)]


def _jvp_blocks(r: VectorResult) -> list[Block]:
    labels = r.tape.labels(r.variables)
    table = Table("J·v (one tangent sweep)", ["output", "value"], right={1})
    for name, row in zip(r.tape.output_names, r.matrix, strict=True):
        table.add([name, num(row[0])], "output")
    return [header(r.expression, r.variables, r.point),
            primal_table(r.tape, labels, r.variables, r.values), *_sweeps(r, "jvp"),
            _outputs_table(r), table]


def _vjp_blocks(r: VectorResult) -> list[Block]:
    labels = r.tape.labels(r.variables)
    seeds = ", ".join(f"{n} = {num(u)}" for n, u in zip(r.tape.output_names, r.direction,
                                                          strict=True))
    table = Table(f"uᵀ·J with u: {seeds} (one adjoint sweep)", ["input", "value"], right={1})
    for name, value in zip(r.variables, r.matrix[0], strict=True):
        table.add([name, num(value)])
    return [header(r.expression, r.variables, r.point),
            primal_table(r.tape, labels, r.variables, r.values), *_sweeps(r, "vjp"),
            _outputs_table(r), table]


def _hessian_blocks(h: HessianResult) -> list[Block]:
    labels = h.tape.labels(h.variables)
    n = len(h.variables)
    method = (f"Forward-over-reverse: the reverse sweep was recorded as a tape of "
              f"{len(h.gradient_tape)} nodes whose outputs are ∂f/∂x, then {n} tangent "
              f"sweep{'s' if n != 1 else ''} over it, one per input, gave the columns.")
    grad = Table("Gradient", ["quantity", "value"], right={1})
    grad.add(["f", num(h.value)], "output")
    for name, g in zip(h.variables, h.gradient, strict=True):
        grad.add([f"∂f/∂{name}", num(g)])
    eig = Table("Eigenvalues", ["", "value"], right={1})
    for k, e in enumerate(h.eigenvalues):
        eig.add([f"λ{k + 1}", num(e)])
    return [header(h.expression, h.variables, h.point),
            primal_table(h.tape, labels, h.variables, h.values), Para(method), grad,
            matrix_table("Hessian (symmetric)", "", [f"∂/∂{a}" for a in h.variables],
                         [f"∂/∂{b}" for b in h.variables], h.matrix),
            eig, Para(f"The Hessian is {h.curvature}.", "bold")]


def _matrix_lines(matrix: list[list[float]]) -> str:
    return "".join(" ".join(num(x) for x in row) + "\n" for row in matrix)


def _hessian_json(h: HessianResult) -> dict[str, Any]:
    return {
        "schema": SCHEMA, "expression": h.expression, "variables": h.variables,
        "point": {n: number(v) for n, v in h.point.items()}, "value": number(h.value),
        "gradient": {n: number(g) for n, g in zip(h.variables, h.gradient, strict=True)},
        "hessian": [[number(x) for x in row] for row in h.matrix],
        "eigenvalues": [number(e) for e in h.eigenvalues], "curvature": h.curvature,
        "method": "forward-over-reverse", "sweeps": {"reverse": 1, "tangent": len(h.variables)},
    }


def _vector_json(r: VectorResult, kind: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "schema": SCHEMA, "expression": r.expression, "variables": r.variables,
        "point": {n: number(v) for n, v in r.point.items()},
        "outputs": [number(x) for x in r.outputs], "mode": r.mode, "reason": r.reason,
        "sweeps": len(r.tangents) + len(r.adjoints),
    }
    if kind == "jacobian":
        out["jacobian"] = [[number(x) for x in row] for row in r.matrix]
    elif kind == "jvp":
        out["direction"] = dict(zip(r.variables, r.direction, strict=True))
        out["jvp"] = [number(row[0]) for row in r.matrix]
    else:
        out["cotangent"] = r.direction
        out["vjp"] = {n: number(x) for n, x in zip(r.variables, r.matrix[0], strict=True)}
    return out


def _kind(r: VectorResult | HessianResult, kind: str | None) -> str:
    return "hessian" if isinstance(r, HessianResult) else kind or "jacobian"


BLOCKS: dict[str, Callable[[Any], list[Block]]] = {
    "jacobian": _jacobian_blocks, "jvp": _jvp_blocks, "vjp": _vjp_blocks,
    "hessian": _hessian_blocks}


def blocks(r: VectorResult | HessianResult, kind: str | None = None, **_: Any) -> list[Block]:
    """The report: header, traces, the result's table(s)."""
    return BLOCKS[_kind(r, kind)](r)


def to_json(r: VectorResult | HessianResult, kind: str | None = None, **_: Any
            ) -> dict[str, Any]:
    """One object for scripts (the same with ``--quiet``), warnings included."""
    kind = _kind(r, kind)
    out = _hessian_json(r) if kind == "hessian" else _vector_json(r, kind)  # type: ignore[arg-type]
    found = warnings(r)
    return {**out, **({"warnings": found} if found else {})}


def quiet_text(r: VectorResult | HessianResult, kind: str | None = None, **_: Any) -> str:
    """``--quiet``: the numbers only (a matrix as rows; uᵀ·J by input name)."""
    kind = _kind(r, kind)
    if kind == "jvp":
        return "".join(f"{num(row[0])}\n" for row in r.matrix)
    if kind == "vjp":
        return "".join(f"{n} {num(x)}\n" for n, x in zip(r.variables, r.matrix[0],
                                                           strict=True))
    return _matrix_lines(r.matrix)
