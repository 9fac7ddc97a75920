"""taylor's output: the trace (every node's coefficients, a column per order), the
coefficients and derivatives, JSON, and the lines of ``-q``: the four functions of a
record module (``render.output``): ``blocks``, ``to_json``, ``quiet_text``, ``warnings``."""

from __future__ import annotations

from typing import Any

from adcalc.commands.taylor import TaylorResult
from adcalc.engine.algebra import format_number
from adcalc.engine.describe import args_of, operation
from adcalc.engine.primitives import CONST, PRIMITIVES
from adcalc.render.document import Block, Para, Table, num
from adcalc.render.json_out import SCHEMA, exact_text, number
from adcalc.render.trace import header, intermediates, node_label, nondiff_warnings

CONVENTION = ("; along the line its series takes the same convention at every order (for a "
              "tie, the mean of both sides' series)")


def warnings(r: TaylorResult) -> list[str]:
    lines = nondiff_warnings(r.tape, r.variables, r.values, r.kinks)
    return [*r.tape.warnings, *(line + CONVENTION for line in lines)]


def along(r: TaylorResult) -> str:
    d = ", ".join(f"{n} = {format_number(v) if type(v) is float else num(v)}"
                  for n, v in r.direction.items())
    return f"along d: {d}" if d else "along no direction (no variables)"


def trace_table(r: TaylorResult) -> Table:
    tape, K = r.tape, r.order
    labels = tape.labels(r.variables)
    table = Table(f"Taylor trace (one forward sweep of truncated series: each node's "
                  f"coefficients of t^k in v(x + t·d), k = 0…{K})",
                  ["node", "operation", *(f"t^{k}" for k in range(K + 1))],
                  right=set(range(2, K + 3)))
    outputs = set(tape.outputs)
    for name in r.variables:
        i = tape.var_node[name]
        table.add([str(labels[i]), name, *map(num, r.series[i])], "input")
    for i in intermediates(tape):
        table.add([node_label(tape, labels, i), operation(tape, labels, i),
                   *map(num, r.series[i])], "output" if i in outputs else "")
    return table


def result_table(r: TaylorResult) -> Table:
    table = Table("Taylor coefficients of f(x + t·d) at t = 0: f_k = (1/k!)·dᵏf/dtᵏ",
                  ["k", "coefficient f_k", "derivative k!·f_k"], right={0, 1, 2})
    for k, (c, d) in enumerate(zip(r.coefficients, r.derivatives, strict=True)):
        table.add([str(k), num(c), num(d)], "output" if k == 0 else "")
    return table


def arithmetic_note(r: TaylorResult) -> Para | None:
    if r.arithmetic == "double":
        return None
    if r.arithmetic == "exact":
        closed = any(type(c).__name__ == "Closed" for c in r.coefficients)
        return Para("Arithmetic: exact; " + (
            "an irrational value is kept as a closed form, shown as its formula and, after ≈, "
            "the digits on which evaluations in 50 and 100 significant digits agree."
            if closed else "every coefficient is rational."), "dim")
    return Para(f"Arithmetic: {r.arithmetic} (mpmath), the point's numbers read as the "
                "decimals typed.", "dim")


def blocks(r: TaylorResult, traces: bool = True, **_: Any) -> list[Block]:
    head = header(r.expression, r.variables, r.point)
    head = Para(f"{head.text}\n{along(r)}, order {r.order}", head.style)
    blocks: list[Block] = [head]
    if traces:
        blocks.append(trace_table(r))
    blocks.append(result_table(r))
    note = arithmetic_note(r)
    if note is not None:
        blocks.append(note)
    return blocks


def quiet_text(r: TaylorResult, **_: Any) -> str:
    return "".join(f"f_{k} = {num(c)}\n" for k, c in enumerate(r.coefficients))


def _numbers(xs: list[Any], arithmetic: str) -> list[Any]:
    if arithmetic == "double":
        return [number(x) for x in xs]
    if arithmetic == "exact":
        return [exact_text(x) for x in xs]
    return [num(x) for x in xs]  # mpmath: every digit, as text


def to_json(r: TaylorResult, quiet: bool = False, **_: Any) -> dict[str, Any]:
    """One object: ``coefficients`` and ``derivatives`` (numbers; strings with ``exact``,
    read back exactly, and with ``precision``, all the digits), and the trace."""
    out: dict[str, Any] = {
        "schema": SCHEMA, "expression": r.expression, "variables": r.variables,
        "point": {n: number(v) for n, v in r.point.items()},
        "direction": {n: number(float(v)) for n, v in r.direction.items()},
        "order": r.order, "arithmetic": r.arithmetic,
        "coefficients": _numbers(r.coefficients, r.arithmetic),
        "derivatives": _numbers(r.derivatives, r.arithmetic),
    }
    closed = {k: c.decimal() for k, c in enumerate(r.coefficients)
              if type(c).__name__ == "Closed"}
    if closed:
        out["decimal"] = {"coefficients": [closed.get(k) for k in range(r.order + 1)]}
    warned = warnings(r)
    if warned:
        out["warnings"] = warned
    if not quiet:
        tape = r.tape
        labels = tape.labels(r.variables)
        rows = []
        for i, op in enumerate(tape.ops):
            if labels[i] is None:
                continue
            row: dict[str, Any] = {"id": labels[i]}
            if op < 0:
                row.update(op="input", name=tape.input_name[i])
            else:
                row.update(op=PRIMITIVES[op].name, args=[
                    labels[a] if tape.ops[a] != CONST else number(float(tape.consts[a]))
                    for a in args_of(tape, i)])
            if i in tape.names:
                row["name"] = tape.names[i]
            row["coefficients"] = _numbers(r.series[i], r.arithmetic)
            rows.append(row)
        out["trace"] = rows
    return out
