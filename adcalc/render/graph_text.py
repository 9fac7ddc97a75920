"""The computational graph for a terminal: nodes by level, with what each one feeds."""

from __future__ import annotations

from adcalc.engine.graph import Graph
from adcalc.render.document import Block, Para, Table
from adcalc.render.dot import SYMBOL, short


def levels(graph: Graph) -> dict[str, int]:
    """Longest path from the inputs to each node (edges go from earlier to later)."""
    level = {n.key: 0 for n in graph.nodes}
    for edge in sorted(graph.edges, key=lambda e: _order(e.dst)):
        level[edge.dst] = max(level[edge.dst], level[edge.src] + 1)
    return level


def _order(key: str) -> int:
    return -1 if key == "omitted" else int(key[1:])


def graph_blocks(graph: Graph, title: str) -> list[Block]:
    level = levels(graph)
    names = {n.key: n.label for n in graph.nodes}
    feeds: dict[str, list[str]] = {}
    for e in graph.edges:
        text = names[e.dst]
        if e.partial is not None:
            text += f" (∂ {short(e.partial)})"
        feeds.setdefault(e.src, []).append(text)
    columns = ["level", "node", "operation", "value"]
    if graph.derivative:
        columns.append(SYMBOL[graph.derivative])
    columns.append("feeds (local partial)")
    right = {3, 4} if graph.derivative else {3}
    table = Table("Nodes by level (inputs first); a shared node feeds several others",
                  columns, right=right)
    previous = None
    for node in sorted(graph.nodes, key=lambda n: (level[n.key], _order(n.key))):
        lv = level[node.key]
        row = [str(lv) if lv != previous else "", node.label, node.operation,
               "" if node.value is None else short(node.value)]
        if graph.derivative:
            row.append("" if node.derivative is None else short(node.derivative))
        row.append(", ".join(feeds.get(node.key, [])) or "(result)")
        table.add(row, {"input": "input", "output": "output"}.get(node.kind, ""))
        previous = lv
    blocks: list[Block] = [Para(title, "bold"), table]
    if graph.notes:
        blocks.append(Para("\n".join(graph.notes), "dim"))
    return blocks
