"""Step-by-step reports: primal, tangent and adjoint traces, matrices, summaries.

The table builders take the tape, its labels and a sweep record, so every command
(grad, jacobian, hessian, jvp, vjp) shows its sweeps the same way.  The record of
``grad`` (a ``Gradient``) is rendered here with the four functions of every record module
(``adcalc.render.output``): ``blocks``, ``to_json``, ``quiet_text`` and ``warnings``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from adcalc.commands.grad import Gradient
from adcalc.engine.algebra import format_number
from adcalc.engine.describe import (
    args_of,
    nondiff_warnings,
    operation,
    partial_formulas,
)
from adcalc.engine.primitives import CONST, INPUT, PRIMITIVES
from adcalc.engine.sweeps import AdjointSweep, TangentSweep
from adcalc.engine.tape import Tape
from adcalc.render.document import Block, Para, Table, clip, num

if TYPE_CHECKING:  # --check only: not loaded on the usual path
    from adcalc.engine.check import CheckResult

Labels = list[str | None]


def bar(label: str) -> str:
    return label[0] + "\u0304" + label[1:]


def dot(label: str) -> str:
    return label[0] + "\u0307" + label[1:]


def node_label(tape: Tape, labels: Labels, i: int) -> str:
    """``v3``, or ``v3 (a)`` when a binding named the node; in a loop of a traced
    program, with the iteration that made it: ``v7 (a, i=2)``."""
    name = tape.note(i)
    return f"{labels[i]} ({name})" if name else str(labels[i])


def header(expression: str, variables: Sequence[str], point: dict[str, float]) -> Para:
    names = ", ".join(variables)
    at = ", ".join(f"{n} = {_as_given(point[n])}" for n in variables)
    text = expression.strip()
    if "\n" in text and len(text) <= 2000:
        lines = [f"f({names}) =\n  " + text.replace("\n", "\n  ")]
    else:
        lines = [f"f({names}) = {clip(text, 400)}"]
    if at:
        lines.append(f"at {at}")
    return Para("\n".join(lines), "bold")


def _as_given(x: float) -> str:
    """A point's number as the user gave it: ``pi/4`` and ``2/3`` as typed (its value is
    in the trace's first rows), any other number by its shortest text."""
    text = getattr(x, "text", None)
    return text if text is not None else format_number(x)


def primal_table(tape: Tape, labels: Labels, variables: Sequence[str], values: list[float]
                 ) -> Table:
    table = Table("Primal trace (forward sweep)", ["node", "operation", "value"], right={2})
    outputs = set(tape.outputs)
    for name in variables:
        i = tape.var_node[name]
        table.add([str(labels[i]), name, num(values[i])], "input")
    for i in intermediates(tape):
        table.add([node_label(tape, labels, i), operation(tape, labels, i), num(values[i])],
                  "output" if i in outputs else "")
    return table


def tangent_table(tape: Tape, labels: Labels, variables: Sequence[str], sweep: TangentSweep,
                  title: str) -> Table:
    table = Table(title, ["node", "tangent", "local partials", "value"], right={3})
    outputs = set(tape.outputs)
    for name in variables:
        i = tape.var_node[name]
        table.add([str(labels[i]), f"{dot(str(labels[i]))} = "
                   f"{format_number(sweep.tangents[i])}", "", num(sweep.tangents[i])], "input")
    for i in intermediates(tape):
        terms, partials = [], []
        for formula, a in zip(partial_formulas(tape, labels, i), args_of(tape, i), strict=True):
            if tape.ops[a] == CONST:
                continue
            factor = "" if formula == "1" else ("-" if formula == "-1" else f"{_wrap(formula)}·")
            terms.append(f"{factor}{dot(str(labels[a]))}")
            partials.append(f"∂{labels[i]}/∂{labels[a]} = {formula}")
        rule = " + ".join(terms).replace("+ -", "- ")
        table.add([node_label(tape, labels, i), f"{dot(str(labels[i]))} = {rule}",
                   "; ".join(partials), num(sweep.tangents[i])],
                  "output" if i in outputs else "")
    return table


def adjoint_table(tape: Tape, labels: Labels, sweep: AdjointSweep, title: str) -> Table:
    """One row per contribution v̄_i += v̄_j·∂v_j/∂v_i, and a sum where there are several."""
    into: dict[int, list[tuple[int, int, float]]] = {}
    for j, i, k, partial in sweep.edges:
        if tape.ops[i] != CONST:
            into.setdefault(i, []).append((j, k, partial))
    table = Table(title, ["node", "adjoint", "local partial", "partial", "contribution",
                          "adjoint value"], right={3, 4, 5})
    formulas: dict[int, list[str]] = {}
    start = max(sweep.seeds, default=-1)
    for i in range(start, -1, -1):
        if labels[i] is None:
            continue
        label = str(labels[i])
        shown = node_label(tape, labels, i)
        kind = "input" if tape.ops[i] == INPUT else ""
        adj = num(sweep.adjoints[i])
        uses = into.get(i, [])
        rows: list[list[str]] = []
        seed = sweep.seeds.get(i)
        if seed is not None:
            rows.append([f"{bar(label)} = {format_number(seed)} (seed)", "", "", "",
                         adj if not uses else ""])
        elif not uses:
            rows.append([f"{bar(label)} = 0 (no derivative flows back)", "", "", "", adj])
        for j, k, partial in uses:
            if j not in formulas:
                formulas[j] = partial_formulas(tape, labels, j)
            sign = "=" if len(uses) == 1 and seed is None else "+="
            rows.append([f"{bar(label)} {sign} {bar(str(labels[j]))}·∂{labels[j]}/∂{label}",
                         formulas[j][k], num(partial), num(sweep.adjoints[j] * partial),
                         adj if len(uses) == 1 and seed is None else ""])
        if i in sweep.by_tangent:  # the sum is ∞ - ∞: the tangent sweep's number
            rows.append([f"{bar(label)} = ∂f/∂{label} by a tangent sweep (this sum is ∞ - ∞: "
                         "the paths' derivatives cancel)", "", "", "", adj])
        elif len(rows) > 1:
            rows.append([f"{bar(label)} = sum of {len(rows)} contributions", "", "", "", adj])
        for n, row in enumerate(rows):
            last_sum = n == len(rows) - 1 and len(rows) > 1
            table.add([shown if n == 0 else "", *row],
                      "sum" if last_sum else ("output" if seed is not None else kind))
    return table


def matrix_table(title: str, corner: str, rows: Sequence[str], columns: Sequence[str],
                 matrix: Sequence[Sequence[float]]) -> Table:
    table = Table(title, [corner, *columns], right=set(range(1, len(columns) + 1)))
    for name, row in zip(rows, matrix, strict=True):
        table.add([name, *(num(x) for x in row)])
    return table


def check_table(result: CheckResult) -> Table:
    ref = result.reference
    what = "Finite-difference check" if ref == "FD" else "Check against a reference"
    table = Table(f"{what} ({result.method}; {result.rule}; tol = {result.tol:g})",
                  ["variable", "AD", ref, f"{ref}'s error", f"|AD - {ref}|", "rel error",
                   "result"], right={1, 2, 3, 4, 5})
    for r in result.rows:
        verdict = "pass" if r.passed else (r.note or "FAIL")
        table.add([r.name, num(r.ad), num(r.fd), _short(r.error), _short(r.abs_error),
                   _short(r.rel_error), verdict], "pass" if r.passed else "fail")
    return table




# -- grad ----------------------------------------------------------------------------


def summary_table(g: Gradient) -> Table:
    if g.mode == "reverse":
        how = "reverse mode: one adjoint sweep gave every partial"
    elif g.seed is not None:
        how = "forward mode: one tangent sweep gave the directional derivative"
    else:
        n = len(g.tangents)
        how = f"forward mode: {n} tangent sweep{'s' if n != 1 else ''}, one per input"
    table = Table(f"Result ({how})", ["quantity", "value"], right={1})
    table.add(["f", num(g.value)], "output")
    if g.directional is not None:
        table.add(["∇f·s (directional derivative)", num(g.directional)])
    for name, value in g.gradient.items():
        table.add([f"∂f/∂{name}", num(value)])
    return table


def warnings(g: Gradient) -> list[str]:
    return [*g.tape.warnings, *nondiff_warnings(g.tape, g.variables, g.values, g.nondiff)]


def arithmetic_note(g: Gradient) -> Para | None:
    """What ``--exact`` or ``--precision`` did; with ``--exact``, where values stop being
    rational (closed forms enter)."""
    if g.arithmetic == "double":
        return None
    if g.arithmetic != "exact":
        return Para(f"Arithmetic: {g.arithmetic} (mpmath), the point's numbers read as the "
                    "decimals typed.", "dim")
    entries = closed_entries(g)
    if not entries:
        return Para("Arithmetic: exact (rationals) at every step.", "dim")
    from adcalc.symbolic.precise import HIGH, LOW

    return Para("Arithmetic: exact at every step, rational where the operations allow; an "
                "irrational value is kept exactly as a closed form, shown as its formula (when "
                "short) and, after ≈, its decimal value, with only the digits on which "
                f"evaluations in {LOW} and {HIGH} significant digits (mpmath) agree. "
                f"Irrational values enter at: {'; '.join(entries)}.", "dim")


def closed_entries(g: Gradient) -> list[str]:
    """Where ``--exact`` met irrational values: the point's numbers, the constants, the
    operations and the local partials that are irrational with rational arguments."""
    from adcalc.symbolic.precise import Closed

    tape = g.tape
    labels = tape.labels(g.variables)
    out = [f"{n} = {_as_given(g.point[n])}" for n in g.variables
           if type(g.values[tape.var_node[n]]) is Closed]
    out += [f"the constant {name}" for name in
            sorted({c.name for c in tape.consts if hasattr(c, "name")})]
    partials = getattr(g.fallbacks, "partials", [])
    formulas: dict[int, list[str]] = {}
    for i in g.fallbacks:
        if type(g.values[i]) is Closed:
            out.append(f"{labels[i]} = {operation(tape, labels, i)}")
            continue
        formulas[i] = partial_formulas(tape, labels, i)
        args = args_of(tape, i)
        out += [f"∂{labels[i]}/∂{labels[args[k]]} = {formulas[i][k]} (the local partial of "
                f"{labels[i]} = {operation(tape, labels, i)})"
                for j, k in partials if j == i]
    return out


NO_VARIABLES = "The expression uses no variables: it is a constant, and its gradient is empty."


def blocks(g: Gradient, check: CheckResult | None = None, traces: bool = True, **_: Any
           ) -> list[Block]:
    """The full report of ``grad``: header, primal trace, derivative trace(s), result
    (without ``traces``: the result, the arithmetic and the check)."""
    tape = g.tape
    labels = tape.labels(g.variables)
    if not traces:
        blocks = [summary_table(g), arithmetic_note(g), check and check_table(check)]
        return [b for b in blocks if b]
    if not g.variables:
        return [header(g.expression, g.variables, g.point), Para(NO_VARIABLES), summary_table(g)]
    blocks: list[Block] = [header(g.expression, g.variables, g.point),
                           primal_table(tape, labels, g.variables, g.values)]
    if g.mode == "forward":
        for k, sweep in enumerate(g.tangents):
            if g.seed is not None:
                title = "Tangent trace, one sweep along the seed " + ", ".join(
                    f"{dot(str(labels[tape.var_node[n]]))} = {format_number(v)}"
                    for n, v in g.seed.items())
            else:
                title = (f"Tangent trace, sweep {k + 1} of {len(g.tangents)}: seed "
                         f"{dot(str(labels[tape.var_node[g.variables[k]]]))} = 1 "
                         f"(for ∂f/∂{g.variables[k]})")
            blocks.append(tangent_table(tape, labels, g.variables, sweep, title))
    else:
        assert g.adjoint is not None
        blocks.append(adjoint_table(tape, labels, g.adjoint,
                                    "Adjoint trace (reverse sweep, from the output back to "
                                    "the inputs)"))
    blocks.append(summary_table(g))
    note = arithmetic_note(g)
    if note is not None:
        blocks.append(note)
    if check is not None:
        blocks.append(check_table(check))
    return blocks


def quiet_text(g: Gradient, check: CheckResult | None = None, **_: Any) -> str:
    """``--quiet``: ``∂f/∂x = …`` per variable, or the directional derivative for a seed;
    with ``--check``, its table after them."""
    if g.directional is not None:
        text = f"∇f·s = {num(g.directional)}\n"
    elif not g.gradient:
        text = f"f = {num(g.value)} (a constant: no variables, so the gradient is empty)\n"
    else:
        text = "".join(f"∂f/∂{n} = {num(v)}\n" for n, v in g.gradient.items())
    if check is not None:
        from adcalc.render.plain import render_table

        text += render_table(check_table(check)) + "\n"
    return text


def check_failure(result: CheckResult) -> str | None:
    """What a failed ``--check`` says (``None`` when it passed)."""
    if result.passed:
        return None
    worst = result.worst
    assert worst is not None
    detail = worst.note or (f"worst {worst.name}: |AD - FD| = {worst.abs_error:.3g}, "
                            f"FD's own error {worst.error:.1g}")
    verb = "could not verify" if worst.note.startswith("cannot") else "failed for"
    kind = "finite-difference" if result.reference == "FD" else "reference"
    return (f"the {kind} check {verb} {', '.join(result.failed)} (tol = {result.tol:g}; "
            f"{detail})")


def to_json(g: Gradient, check: CheckResult | None = None, quiet: bool = False, **_: Any
            ) -> dict[str, Any]:
    """One object for scripts (``--quiet``: the gradient only), warnings included."""
    from adcalc.render.json_out import SCHEMA, exact_numbers, number

    if quiet:
        out: dict[str, Any] = {"gradient": {n: number(v) for n, v in g.gradient.items()}}
        if g.arithmetic == "exact":
            grads = exact_numbers(g.gradient)
            out["exact"] = {"gradient": grads["exact"],
                            **({"decimal": {"gradient": grads["decimal"]}}
                               if "decimal" in grads else {})}
        return out
    out = {
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
    found = warnings(g)
    if found:
        out["warnings"] = found
    if check is not None:
        from adcalc.engine.check import METHOD, RULE

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


def _exact_block(g: Gradient) -> dict[str, Any]:
    from adcalc.render.json_out import exact_numbers

    values = exact_numbers({"value": g.value})
    grads = exact_numbers(g.gradient)
    out: dict[str, Any] = {"value": values["exact"]["value"], "gradient": grads["exact"]}
    decimal = {**values.get("decimal", {}),
               **({"gradient": grads["decimal"]} if "decimal" in grads else {})}
    if decimal:
        out["decimal"] = decimal
    return out


def trace_rows(g: Gradient) -> list[dict[str, Any]]:
    """The trace of the JSON: a row per node, its operation, value and derivative."""
    from adcalc.render.json_out import exact_numbers, number

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


def intermediates(tape: Tape) -> list[int]:
    return [i for i, op in enumerate(tape.ops) if op >= 0]


def _wrap(formula: str) -> str:
    return f"({formula})" if any(s in formula for s in (" + ", " - ", "/", "·")) else formula


def _short(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3g}"
