"""The path a traced program took at the point: its decisions and loops, as a table and
as JSON (``Tape.decisions``, ``Tape.loops``; see ``adcalc.frontend.program``)."""

from __future__ import annotations

from typing import Any

from adcalc.engine.tape import Tape
from adcalc.render.document import Table, num

SHOWN = 50
"""Decisions listed one by one; the rest are counted (a loop may make thousands)."""


def path_table(tape: Tape, values: list[float] | None = None,
               variables: list[str] | None = None) -> Table | None:
    """Each decision (the compared values, the outcome) and each loop (its trip count);
    ``None`` for straight-line code."""
    if not tape.decisions and not tape.loops:
        return None
    labels = tape.labels(variables)
    table = Table("Path taken at this point (the derivative is this path's)",
                  ["decision", "compares", "outcome"])

    def side(i: int) -> str:
        if labels[i] is None:
            return num(tape.consts[i])  # type: ignore[arg-type]
        return labels[i] if values is None else f"{labels[i]} = {num(values[i])}"

    for d in tape.decisions[:SHOWN]:
        where = f" at {d.where}" if d.where else ""
        outcome = ("true" if d.outcome else "false") + (" (boundary: equal sides)"
                                                         if d.boundary else "")
        table.add([f"{d.label}{where}", f"{side(d.left)} {d.op} {side(d.right)}", outcome],
                  "output" if d.boundary else "")
    if len(tape.decisions) > SHOWN:
        more = len(tape.decisions) - SHOWN
        table.add([f"… and {more:,} more decisions", "", ""])
    for loop in tape.loops:
        if loop.trips_min == loop.trips_max:
            trips = f"{loop.trips_min:,} iteration{'s' if loop.trips_min != 1 else ''}"
        else:
            trips = f"{loop.trips_min:,} to {loop.trips_max:,} iterations"
        runs = f", each of {loop.runs:,} runs" if loop.runs > 1 else ""
        table.add([loop.label, "", f"{trips}{runs}"])
    return table


def path_json(tape: Tape, values: list[float] | None = None,
              variables: list[str] | None = None) -> dict[str, Any]:
    """``{"decisions": [...], "loops": [...]}`` for a traced program (empty otherwise)."""
    if not tape.decisions and not tape.loops:
        return {}
    labels = tape.labels(variables)
    from adcalc.render.json_out import number

    def side(i: int) -> dict[str, Any]:
        out: dict[str, Any] = {"node": labels[i]} if labels[i] is not None else {}
        if values is not None or labels[i] is None:
            out["value"] = number(values[i] if values is not None else tape.consts[i])
        return out

    return {
        "decisions": [
            {"label": d.label, "comparison": d.comparison, "op": d.op, "left": side(d.left),
             "right": side(d.right), "outcome": d.outcome, "boundary": d.boundary,
             **({"where": d.where} if d.where else {})}
            for d in tape.decisions],
        "loops": [{"label": loop.label, "runs": loop.runs, "iterations_min": loop.trips_min,
                   "iterations_max": loop.trips_max} for loop in tape.loops],
    }
