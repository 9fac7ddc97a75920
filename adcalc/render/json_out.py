"""JSON for scripts: one object, full-precision numbers, a schema version."""

from __future__ import annotations

import json
import math
from typing import Any

from adcalc.commands.grad import Gradient
from adcalc.engine.check import METHOD, RULE, CheckResult
from adcalc.engine.describe import args_of
from adcalc.engine.primitives import CONST, INPUT, PRIMITIVES

SCHEMA = 1


def number(x: float | None) -> float | None:
    """JSON has no NaN or infinity; adcalc writes every number that is not finite as
    ``null``, in every command's JSON and in JSON Lines (a bad row's numbers)."""
    if x is None:
        return None
    if type(x) is not float:  # --exact, --precision: the nearest double (schema unchanged)
        x = float(x)
    return x if math.isfinite(x) else None


def exact_text(x: Any) -> str | None:
    """``--exact``: a value as adcalc reads it back exactly: a rational (``13/30``,
    ``0.1``) or a closed form (``4*log(2) + 4``); ``None`` for a closed form longer than
    ``precise.JSON_FORMULA`` characters."""
    if type(x).__name__ == "Closed":
        from adcalc.symbolic.precise import JSON_FORMULA

        return x.formula(JSON_FORMULA)  # type: ignore[no-any-return]
    from adcalc.engine.exact import text

    return text(x)


def exact_numbers(values: dict[str, Any]) -> dict[str, Any]:
    """``--exact``: ``values`` as exact strings, with the known digits of each closed
    form under ``decimal`` (rationals have none: their string is their value)."""
    out: dict[str, Any] = {k: exact_text(v) for k, v in values.items()}
    decimals = {k: v.decimal() for k, v in values.items() if type(v).__name__ == "Closed"}
    return {"exact": out, **({"decimal": decimals} if decimals else {})}


def _exact_block(g: Gradient) -> dict[str, Any]:
    values = exact_numbers({"value": g.value})
    grads = exact_numbers(g.gradient)
    out: dict[str, Any] = {"value": values["exact"]["value"], "gradient": grads["exact"]}
    decimal = {**values.get("decimal", {}),
               **({"gradient": grads["decimal"]} if "decimal" in grads else {})}
    if decimal:
        out["decimal"] = decimal
    return out


def trace_rows(g: Gradient) -> list[dict[str, Any]]:
    tape = g.tape
    labels = tape.labels(g.variables)
    rows = []
    rows_in_order = [tape.var_node[n] for n in g.variables] + [
        i for i, op in enumerate(tape.ops) if op >= 0]
    for i in rows_in_order:
        op = tape.ops[i]
        row: dict[str, Any] = {"id": labels[i]}
        if op == INPUT:
            row.update(op="input", name=tape.input_name[i], args=[])
        else:
            row["op"] = PRIMITIVES[op].name
            row["args"] = [number(tape.consts[a]) if tape.ops[a] == CONST else labels[a]
                           for a in args_of(tape, i)]
            if tape.consts[i] is not None:
                row["const"] = number(tape.consts[i])
        row["value"] = number(g.values[i])
        if g.arithmetic == "exact" and g.adjoint is not None:
            row["adjoint"] = number(g.adjoint.adjoints[i])
            row.update(exact_numbers({"value": g.values[i], "adjoint": g.adjoint.adjoints[i]}))
        elif g.adjoint is not None:
            row["adjoint"] = number(g.adjoint.adjoints[i])
        elif g.seed is not None:
            row["tangent"] = number(g.tangents[0].tangents[i])
        else:
            row["tangent"] = {n: number(t.tangents[i]) for n, t in zip(g.variables, g.tangents,
                                                                        strict=True)}
        rows.append(row)
    return rows


def to_dict(g: Gradient, check: CheckResult | None = None, quiet: bool = False,
            warnings: list[str] | None = None) -> dict[str, Any]:
    if quiet:
        out = {"gradient": {n: number(v) for n, v in g.gradient.items()}}
        if g.arithmetic == "exact":
            grads = exact_numbers(g.gradient)
            out["exact"] = {"gradient": grads["exact"],
                            **({"decimal": {"gradient": grads["decimal"]}}
                               if "decimal" in grads else {})}
        return out
    out: dict[str, Any] = {
        "schema": SCHEMA,
        "expression": g.expression,
        "variables": g.variables,
        "point": {n: number(v) for n, v in g.point.items()},
        "value": number(g.value),
        "gradient": {n: number(v) for n, v in g.gradient.items()},
        "mode": g.mode,
        "sweeps": g.sweeps,
    }
    if g.seed is not None:
        out["seed"] = {n: number(v) for n, v in g.seed.items()}
        out["directional_derivative"] = number(g.directional)
    if g.arithmetic == "exact":
        out["exact"] = _exact_block(g)
    out["trace"] = trace_rows(g)
    if warnings:
        out["warnings"] = warnings
    if check is not None:
        out["check"] = {
            "method": METHOD,
            "rule": RULE,
            "tol": check.tol,
            "passed": check.passed,
            "rows": [
                {"variable": r.name, "ad": number(r.ad), "fd": number(r.fd), "step": r.step,
                 "fd_error": number(r.error),
                 "abs_error": number(r.abs_error), "rel_error": number(r.rel_error),
                 "passed": r.passed, **({"note": r.note} if r.note else {})}
                for r in check.rows
            ],
        }
    return out


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, allow_nan=False, ensure_ascii=False, indent=2) + "\n"
