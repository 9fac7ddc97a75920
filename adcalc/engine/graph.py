"""The computational graph as a picture-ready record: nodes, edges, values, derivatives.

One graph node per trace row (inputs and operations; literals stay inside the
operation's label) and one edge per argument.  With a point, nodes carry their value
and adjoint (or tangent) and edges their local partial ∂v_j/∂v_i.  Above ``max_nodes``
chains of single-use unary steps collapse into one node, and if that is not enough the
nodes farthest from the output are left out behind one placeholder, which says how many.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from adcalc.engine.algebra import FLOAT
from adcalc.engine.describe import args_of, operation, partial_formulas
from adcalc.engine.primitives import CONST, PRIMITIVES
from adcalc.engine.tape import Tape

DEFAULT_MAX_NODES = 200


@dataclass
class GraphNode:
    key: str
    label: str
    """``v3``, ``v3 (a)`` or ``v5…v9`` for a collapsed chain."""
    operation: str
    kind: str
    """input, intermediate, output, collapsed or omitted."""
    value: float | None = None
    derivative: float | None = None


@dataclass
class GraphEdge:
    src: str
    dst: str
    formula: str = ""
    partial: float | None = None


@dataclass
class Graph:
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    derivative: str | None
    """``adjoint``, ``tangent`` or ``None`` (no point given)."""
    rows: int
    """Trace rows in the tape (before any collapsing)."""
    notes: list[str] = field(default_factory=list)


def build_graph(tape: Tape, variables: Sequence[str], values: list[float] | None = None,
                derivatives: list[float] | None = None, derivative: str | None = None,
                max_nodes: int = DEFAULT_MAX_NODES) -> Graph:
    labels = tape.labels(list(variables))
    rows = [tape.var_node[n] for n in variables] + [i for i, op in enumerate(tape.ops) if op >= 0]
    group = _chains(tape, rows) if len(rows) > max_nodes else {i: i for i in rows}
    heads = sorted({g for g in group.values()})
    members: dict[int, list[int]] = {}
    for i in rows:
        members.setdefault(group[i], []).append(i)
    notes: list[str] = []
    collapsed = sum(1 for h in heads if len(members[h]) > 1)
    if collapsed:
        notes.append(f"{collapsed} chain{'s' if collapsed > 1 else ''} of single-use steps "
                     f"collapsed into one node each ({len(rows)} rows shown as {len(heads)} "
                     "nodes)")
    inputs = {tape.var_node[n] for n in variables}
    kept = set(heads)
    if len(heads) > max_nodes:
        keep_ops = [h for h in heads if h not in inputs][-(max(max_nodes - len(inputs), 1)):]
        kept = inputs | set(keep_ops)
        left = [h for h in heads if h not in kept]
        hidden = sum(len(members[h]) for h in left)
        notes.append(f"{hidden} rows farthest from the output are left out (shown as one "
                     "placeholder); raise --max-nodes to see them")
    outputs = set(tape.outputs)
    nodes: list[GraphNode] = []
    if len(kept) < len(heads):
        nodes.append(GraphNode("omitted", "⋯", f"{len(heads) - len(kept)} nodes not shown",
                               "omitted"))
    for h in heads:
        if h not in kept:
            continue
        chain = members[h]
        last = chain[-1]
        if len(chain) > 1:
            steps = _run_lengths([PRIMITIVES[tape.ops[i]].name for i in chain])
            label, op, kind = f"{labels[chain[0]]}…{labels[last]}", steps, "collapsed"
        else:
            name = tape.note(h)
            label = f"{labels[h]} ({name})" if name else str(labels[h])
            op = operation(tape, labels, h)
            kind = "input" if h in inputs else ("output" if h in outputs else "intermediate")
        if kind != "input" and last in outputs:
            kind = "output"
        nodes.append(GraphNode(f"n{h}", label, op, kind,
                               None if values is None else values[last],
                               None if derivatives is None else derivatives[last]))
    edges: list[GraphEdge] = []
    for h in heads:
        if h not in kept or h in inputs:
            continue
        first = members[h][0]
        formulas = partial_formulas(tape, labels, first)
        partials = _partials(tape, first, values)
        for k, a in enumerate(args_of(tape, first)):
            if tape.ops[a] == CONST:
                continue
            src = group[a]
            key = f"n{src}" if src in kept else "omitted"
            edges.append(GraphEdge(key, f"n{h}", formulas[k] if len(members[h]) == 1 else "",
                                   partials[k] if partials and len(members[h]) == 1 else None))
    return Graph(nodes, edges, derivative, len(rows), notes)


def _run_lengths(names: list[str]) -> str:
    """``mul → sin×300``: a chain's steps, repeats counted."""
    runs: list[list] = []
    for name in names:
        if runs and runs[-1][0] == name:
            runs[-1][1] += 1
        else:
            runs.append([name, 1])
    return " → ".join(name if n == 1 else f"{name}×{n}" for name, n in runs)


def _partials(tape: Tape, i: int, values: list[float] | None) -> list[float | None]:
    """Local partials of node ``i`` at the point (``None`` where undefined)."""
    if values is None:
        return []
    op = tape.ops[i]
    a, b = tape.a0[i], tape.a1[i]
    try:
        return list(PRIMITIVES[op].partials(FLOAT, values[i], values[a],
                                            values[b] if b >= 0 else None, tape.consts[i]))
    except (ValueError, ArithmeticError):
        return [None, None]


def _chains(tape: Tape, rows: list[int]) -> dict[int, int]:
    """Map each row to the last node of its chain of single-use unary steps."""
    uses = [0] * len(tape)
    for i in rows:
        if tape.ops[i] >= 0:
            for a in args_of(tape, i):
                uses[a] += 1
    for o in tape.outputs:
        uses[o] += 1
    members: dict[int, list[int]] = {}
    for i in rows:  # rows are in tape order, so a chain's earlier steps come first
        live = [a for a in args_of(tape, i) if tape.ops[a] != CONST] if tape.ops[i] >= 0 else []
        if len(live) == 1 and live[0] in members and tape.ops[live[0]] >= 0 \
                and uses[live[0]] == 1:
            chain = members.pop(live[0])  # a single-use node heads no other chain
            chain.append(i)
            members[i] = chain
        else:
            members[i] = [i]
    return {j: last for last, chain in members.items() for j in chain}
