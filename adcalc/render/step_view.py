"""grad --step on a terminal: one frame per step of the sweeps, and the keys to move.

A frame shows what the step does in words, the primal table (values computed so far;
the node computed highlighted, the nodes it reads marked), the adjoint table (the
contributions made so far; the current one highlighted, the adjoint it updates marked)
and a text picture of the graph with the same marks.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from adcalc.commands.grad import Gradient
from adcalc.commands.step import Step, Walk
from adcalc.describe import operation, partial_formulas
from adcalc.primitives import INPUT
from adcalc.render.document import Block, Para, Table, num
from adcalc.render.trace import bar, header, node_label

KEYS = "n, space or → next · p or ← previous · q quit"
MARK = {"current": "▶", "read": "●", "updated": "◀"}


def frame(w: Walk, k: int) -> list[Block]:
    """What the screen shows at step ``k`` (0-based)."""
    g, all_steps = w.gradient, w.steps
    tape = g.tape
    labels = tape.labels(g.variables)
    step = all_steps[k]
    mark: dict[int, str] = {step.node: "current"}
    for i in step.reads:
        mark.setdefault(i, "read")
    if step.updates is not None:
        mark[step.updates] = "updated"
    primal_done = {s.node for s in all_steps[: k + 1] if s.phase == "primal"}
    in_adjoint = step.phase == "adjoint"
    blocks: list[Block] = [header(g.expression, g.variables, g.point),
                           Para(f"Step {k + 1} of {len(all_steps)}: {describe(g, step, labels)}",
                                "bold")]
    primal = Table("Primal trace (forward sweep)", ["", "node", "operation", "value"],
                   right={3})
    for i in [tape.var_node[n] for n in g.variables] + [i for i, op in enumerate(tape.ops)
                                                          if op >= 0]:
        shown = in_adjoint or i in primal_done or tape.ops[i] == INPUT
        kind = mark.get(i, "") if not in_adjoint else ("read" if i in step.reads[1:] else "")
        primal.add([MARK.get(kind, ""), node_label(tape, labels, i),
                    operation(tape, labels, i), num(g.values[i]) if shown else ""], kind)
    blocks.append(primal)
    if in_adjoint:
        assert g.adjoint is not None
        adjoint = Table("Adjoint trace (reverse sweep), contributions so far",
                        ["", "contribution", "local partial", "value", "adjoint now"],
                        right={3, 4})
        for s in all_steps[: k + 1]:
            if s.phase != "adjoint" or s.edge is None:
                continue
            j, i, pos, partial = g.adjoint.edges[s.edge]
            formula = partial_formulas(tape, labels, j)[pos]
            kind = "current" if s is step else ""
            adjoint.add([MARK.get(kind, ""),
                         f"{bar(str(labels[i]))} += {bar(str(labels[j]))}·∂{labels[j]}/∂"
                         f"{labels[i]}", formula, num(g.adjoint.adjoints[j] * partial),
                         num(s.after)], kind)
        blocks.append(adjoint)
    blocks.append(Para(picture(g, labels, mark), "dim"))
    return blocks


def describe(g: Gradient, step: Step, labels: list[str | None]) -> str:
    tape = g.tape
    i = step.node
    if step.phase == "primal":
        return (f"primal sweep: {labels[i]} = {operation(tape, labels, i)} = "
                f"{num(g.values[i])}")
    assert g.adjoint is not None and step.edge is not None and step.updates is not None
    j, target, _pos, partial = g.adjoint.edges[step.edge]
    return (f"adjoint sweep: {bar(str(labels[target]))} += {bar(str(labels[j]))}·"
            f"∂{labels[j]}/∂{labels[target]} = {num(g.adjoint.adjoints[j])}·{num(partial)}")


def picture(g: Gradient, labels: list[str | None], mark: dict[int, str]) -> str:
    """The graph as text: each node with the nodes it reads, marked as in the tables."""
    tape = g.tape
    lines = ["The graph (▶ this step's node, ● what it reads, ◀ the adjoint it updates):"]
    for i, op in enumerate(tape.ops):
        if labels[i] is None:
            continue
        m = MARK.get(mark.get(i, ""), " ")
        if op == INPUT:
            lines.append(f"  {m} {labels[i]}  ({tape.input_name[i]})")
        else:
            lines.append(f"  {m} {labels[i]} ← {operation(tape, labels, i)}")
    return "\n".join(lines)


def interact(w: Walk, render: Callable[[list[Block]], None], clear: Callable[[], None],
             read_key: Callable[[], str]) -> int:
    """Show the frames, moving with the keys; the number of frames shown."""
    all_steps = w.steps
    k = 0
    seen = 0
    while True:
        clear()
        render([*frame(w, k), Para(KEYS, "dim")])
        seen += 1
        key = read_key()
        if key in ("q", "Q", "\x03", "\x04", ""):
            return seen
        if key in ("n", " ", "\x1b[C", "\r", "\n", "j"):
            k = min(k + 1, len(all_steps) - 1)
        elif key in ("p", "\x1b[D", "k", "b"):
            k = max(k - 1, 0)


def terminal_keys() -> Callable[[], str]:
    """A reader of single keys (arrows as their escape sequences) from the terminal."""
    fd = sys.stdin.fileno()

    def read() -> str:
        data = os.read(fd, 1).decode(errors="replace")
        if data == "\x1b":
            data += os.read(fd, 2).decode(errors="replace")
        return data
    return read
