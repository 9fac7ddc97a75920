"""The step-by-step report of a gradient: primal, tangent or adjoint trace, summary."""

from __future__ import annotations

from adcalc.algebra import format_number
from adcalc.check import RULE, CheckResult
from adcalc.describe import args_of, operation, partial_formulas
from adcalc.gradient import Gradient
from adcalc.primitives import CONST, INPUT, PRIMITIVES
from adcalc.render.document import Block, Para, Table
from adcalc.tape import Tape


def num(x: float | None) -> str:
    """Full precision: the shortest text that reads back as the same double."""
    return "n/a" if x is None else repr(float(x))


def bar(label: str) -> str:
    return label[0] + "\u0304" + label[1:]


def dot(label: str) -> str:
    return label[0] + "\u0307" + label[1:]


def header(g: Gradient) -> list[Block]:
    names = ", ".join(g.order)
    point = ", ".join(f"{n} = {format_number(g.point[n])}" for n in g.order)
    lines = [f"f({names}) = {g.expression.strip()}"]
    if point:
        lines.append(f"at {point}")
    return [Para("\n".join(lines), "bold")]


def primal_table(g: Gradient, labels: list[str | None]) -> Table:
    table = Table("Primal trace (forward sweep)", ["node", "operation", "value"], right={2})
    tape = g.tape
    for name in g.order:
        i = tape.var_node[name]
        table.add([labels[i], name, num(g.values[i])], "input")  # type: ignore[list-item]
    for i in _intermediates(tape):
        kind = "output" if i == tape.output else ""
        table.add([labels[i], operation(tape, labels, i), num(g.values[i])], kind)  # type: ignore[list-item]
    return table


def tangent_table(g: Gradient, labels: list[str | None], k: int) -> Table:
    tape = g.tape
    sweep = g.tangents[k]
    if g.seed is not None:
        title = "Tangent trace, one sweep along the seed " + ", ".join(
            f"{dot(labels[tape.var_node[n]])} = {format_number(v)}"  # type: ignore[arg-type]
            for n, v in g.seed.items())
    else:
        title = (f"Tangent trace, sweep {k + 1} of {len(g.tangents)}: seed "
                 f"{dot(labels[tape.var_node[g.order[k]]])} = 1 (for ∂f/∂{g.order[k]})")  # type: ignore[arg-type]
    table = Table(title, ["node", "tangent", "local partials", "value"], right={3})
    for name in g.order:
        i = tape.var_node[name]
        table.add([labels[i], f"{dot(labels[i])} = {format_number(sweep.tangents[i])}", "",  # type: ignore[arg-type,list-item]
                   num(sweep.tangents[i])], "input")
    for i in _intermediates(tape):
        terms, partials = [], []
        for formula, a in zip(partial_formulas(tape, labels, i), args_of(tape, i), strict=True):
            if tape.ops[a] == CONST:
                continue
            factor = "" if formula == "1" else ("-" if formula == "-1" else f"{_wrap(formula)}·")
            terms.append(f"{factor}{dot(labels[a])}")  # type: ignore[arg-type]
            partials.append(f"∂{labels[i]}/∂{labels[a]} = {formula}")
        rule = " + ".join(terms).replace("+ -", "- ")
        kind = "output" if i == tape.output else ""
        table.add([labels[i], f"{dot(labels[i])} = {rule}", "; ".join(partials),  # type: ignore[arg-type,list-item]
                   num(sweep.tangents[i])], kind)
    return table


def adjoint_table(g: Gradient, labels: list[str | None]) -> Table:
    """One row per contribution v̄_i += v̄_j·∂v_j/∂v_i, and a sum where there are several."""
    tape = g.tape
    sweep = g.adjoint
    assert sweep is not None
    into: dict[int, list[tuple[int, int, float]]] = {}
    for j, i, k, partial in sweep.edges:
        if tape.ops[i] != CONST:
            into.setdefault(i, []).append((j, k, partial))
    table = Table("Adjoint trace (reverse sweep, from the output back to the inputs)",
                  ["node", "adjoint", "local partial", "partial", "contribution", "adjoint value"],
                  right={3, 4, 5})
    formulas: dict[int, list[str]] = {}
    for i in range(len(tape) - 1, -1, -1):
        if labels[i] is None:
            continue
        label = labels[i]
        kind = "input" if tape.ops[i] == INPUT else ""
        adj = num(sweep.adjoints[i])
        if i == sweep.output:
            table.add([label, f"{bar(label)} = 1 (seed)", "", "", "", adj], "output")  # type: ignore[arg-type,list-item]
            continue
        uses = into.get(i, [])
        if not uses:
            table.add([label, f"{bar(label)} = 0 (no derivative flows back)", "", "", "", adj],  # type: ignore[arg-type,list-item]
                      kind)
            continue
        for n, (j, k, partial) in enumerate(uses):
            if j not in formulas:
                formulas[j] = partial_formulas(tape, labels, j)
            sign = "=" if len(uses) == 1 else "+="
            update = f"{bar(label)} {sign} {bar(labels[j])}·∂{labels[j]}/∂{label}"  # type: ignore[arg-type]
            contribution = sweep.adjoints[j] * partial
            last = len(uses) == 1
            table.add([label if n == 0 else "", update, formulas[j][k], num(partial),  # type: ignore[list-item]
                       num(contribution), adj if last else ""], kind)
        if len(uses) > 1:
            table.add(["", f"{bar(label)} = sum of {len(uses)} contributions", "", "", "", adj],  # type: ignore[arg-type]
                      "sum")
    return table


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


def check_table(result: CheckResult) -> Table:
    table = Table(f"Finite-difference check (central differences, h = cbrt(eps)·max(1, |x|); "
                  f"{RULE}, tol = {result.tol:g})",
                  ["variable", "AD", "FD", "abs error", "rel error", "result"],
                  right={1, 2, 3, 4})
    for r in result.rows:
        verdict = "pass" if r.passed else ("FAIL " + r.note).strip()
        table.add([r.name, num(r.ad), num(r.fd), _short(r.abs_error), _short(r.rel_error),
                   verdict], "pass" if r.passed else "fail")
    return table


def warnings(g: Gradient) -> list[str]:
    """One line for each node evaluated at a non-differentiable point."""
    labels = g.tape.labels(g.order)
    out = []
    for i in g.nondiff:
        prim = PRIMITIVES[g.tape.ops[i]]
        at = ", ".join(f"{labels[a]} = {num(g.values[a])}" for a in args_of(g.tape, i)
                       if labels[a] is not None)
        out.append(f"warning: {labels[i]} = {operation(g.tape, labels, i)} is not "
                   f"differentiable at {at}; {prim.convention}")
    return out


def report(g: Gradient, check: CheckResult | None = None) -> list[Block]:
    """The full report: header, primal trace, derivative trace(s), result, check."""
    labels = g.tape.labels(g.order)
    blocks: list[Block] = [*header(g), primal_table(g, labels)]
    if g.mode == "forward":
        blocks += [tangent_table(g, labels, k) for k in range(len(g.tangents))]
    else:
        blocks.append(adjoint_table(g, labels))
    blocks.append(summary_table(g))
    if check is not None:
        blocks.append(check_table(check))
    return blocks


def quiet_lines(g: Gradient) -> str:
    if g.directional is not None:
        return f"∇f·s = {num(g.directional)}\n"
    return "".join(f"∂f/∂{n} = {num(v)}\n" for n, v in g.gradient.items())


def _intermediates(tape: Tape) -> list[int]:
    return [i for i, op in enumerate(tape.ops) if op >= 0]


def _wrap(formula: str) -> str:
    return f"({formula})" if any(s in formula for s in (" + ", " - ", "/", "·")) else formula


def _short(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3g}"
