"""grad --step on a terminal: one frame per step of the sweeps, and the keys to move.

A frame shows what the step does in words, the primal table (values computed so far;
the node computed highlighted, the nodes it reads marked), the adjoint table (the
contributions made so far; the current one highlighted, the adjoint it updates marked)
and a text picture of the graph with the same marks.  A program's frames also show its
path (``render.path``): each decision with the compared values and its outcome, each
loop with its trip count; the primal step that computes a decision's last side says
what the decision came out, and its row is highlighted.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from adcalc.commands.grad import Gradient
from adcalc.commands.step import Step, Walk
from adcalc.engine.describe import operation, partial_formulas
from adcalc.engine.primitives import INPUT
from adcalc.render.document import Block, Para, Table, num
from adcalc.render.path import SHOWN, path_table
from adcalc.render.trace import bar, header, node_label

KEYS = "n, space or → next · p or ← previous · q quit"
MARK = {"current": "▶", "read": "●", "updated": "◀"}


def frame(w: Walk, k: int, height: int | None = None) -> list[Block]:
    """What the screen shows at step ``k`` (0-based), in ``height`` lines if given (the
    tables and the picture cut to the rows around what the step marks)."""
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
    path = path_table(tape, g.values, g.variables)
    if path is not None:
        for n in decided(g, step)[:SHOWN]:
            path.kinds[n] = "current"
        blocks.append(path)
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
    return blocks if height is None else within(blocks, height)


def lines(block: Block) -> int:
    """The lines a block takes on the screen (a table: title, header, rule and rows)."""
    return block.text.count("\n") + 1 if isinstance(block, Para) else 3 + len(block.rows)


def within(blocks: list[Block], height: int) -> list[Block]:
    """``blocks`` in ``height`` lines, a blank between two: the longest table or picture
    cut to a window around its marked rows (the step's own), with a ``⋮`` line saying
    how many rows it leaves out, until all fit (or nothing more can go)."""
    out = list(blocks)
    keep = [_rows(b) for b in blocks]
    total = sum(map(lines, out)) + len(out) - 1
    while total > height:
        k = max(range(len(out)), key=lambda j: keep[j])
        if keep[k] <= 1:
            break
        keep[k] = max(1, keep[k] - max(1, (total - height) // 2))
        cut = _cut(blocks[k], keep[k])  # always from the whole block: its ⋮ counts stay true
        total += lines(cut) - lines(out[k])
        out[k] = cut
    return out


def _rows(block: Block) -> int:
    """The rows of a table, or the lines of a picture below its legend (the header and
    the step's sentence have none: they are never cut)."""
    if isinstance(block, Para):
        return block.text.count("\n") if block.text.startswith("The graph") else 0
    return len(block.rows)


def _cut(block: Block, keep: int) -> Block:
    if isinstance(block, Para):  # the picture: its first line is the legend
        head, *rest = block.text.splitlines()
        focus = [n for n, line in enumerate(rest) if line.lstrip()[:1] in ("▶", "◀", "●")]
        focus.sort(key=lambda n: rest[n].lstrip()[:1] != "▶")  # the step's node first
        start, end = _window(len(rest), focus, keep)
        shown = [f"    ⋮ {start} more"] * (start > 0) + rest[start:end] + [
            f"    ⋮ {len(rest) - end} more"] * (end < len(rest))
        return Para("\n".join([head, *shown]), block.style)
    focus = [n for n, kind in enumerate(block.kinds) if kind]
    focus.sort(key=lambda n: block.kinds[n] != "current")
    start, end = _window(len(block.rows), focus, keep)
    out = Table(block.title, list(block.columns), right=set(block.right))
    blank = [""] * len(block.columns)
    if start:
        out.add(["", f"⋮ {start} more", *blank[2:]])
    for n in range(start, end):
        out.add(block.rows[n], block.kinds[n])
    if end < len(block.rows):
        out.add(["", f"⋮ {len(block.rows) - end} more", *blank[2:]])
    return out


def _window(n: int, focus: list[int], keep: int) -> tuple[int, int]:
    """``keep`` consecutive rows of ``n`` around the ``focus`` rows: the first of them
    (the step's own) always, the others as far as they fit."""
    if not focus:
        return 0, min(n, keep)
    low = high = focus[0]
    for f in focus[1:]:
        if max(high, f) - min(low, f) < keep:
            low, high = min(low, f), max(high, f)
    start = max(0, min(n - keep, (low + high) // 2 - (keep - 1) // 2))
    return start, min(n, start + keep)


def describe(g: Gradient, step: Step, labels: list[str | None]) -> str:
    tape = g.tape
    i = step.node
    if step.phase == "primal":
        said = (f"primal sweep: {labels[i]} = {operation(tape, labels, i)} = "
                f"{num(g.values[i])}")
        now = decided(g, step)
        for n in now[:3]:
            d = tape.decisions[n]
            where = f" at {d.where}" if d.where else ""
            said += (f"; {d.label}{where} decides {_side(g, labels, d.left)} {d.op} "
                     f"{_side(g, labels, d.right)}: {'true' if d.outcome else 'false'}")
        return said + (f"; and {len(now) - 3:,} more decisions" if len(now) > 3 else "")
    assert g.adjoint is not None and step.edge is not None and step.updates is not None
    j, target, _pos, partial = g.adjoint.edges[step.edge]
    return (f"adjoint sweep: {bar(str(labels[target]))} += {bar(str(labels[j]))}·"
            f"∂{labels[j]}/∂{labels[target]} = {num(g.adjoint.adjoints[j])}·{num(partial)}")


def decided(g: Gradient, step: Step) -> list[int]:
    """The decisions (their indices) that a primal step settles: those whose later
    computed side is the step's node."""
    if step.phase != "primal":
        return []
    ops = g.tape.ops
    return [n for n, d in enumerate(g.tape.decisions)
            if max((i for i in (d.left, d.right) if ops[i] >= 0), default=-1) == step.node]


def _side(g: Gradient, labels: list[str | None], i: int) -> str:
    label = labels[i]
    return num(g.values[i]) if label is None else f"{label} = {num(g.values[i])}"


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
             read_key: Callable[[], str], height: int | None = None) -> int:
    """Show the frames, moving with the keys, each in ``height`` lines if given (the
    terminal's); the number of frames shown."""
    all_steps = w.steps
    k = 0
    seen = 0
    while True:
        clear()
        render([*frame(w, k, None if height is None else height - 2), Para(KEYS, "dim")])
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
