"""DOT (Graphviz) for the computational graph: a tiny writer that escapes every label.

Node ids are generated (``n12``), so only labels carry user text; ``quote`` makes any
name or number a valid DOT string.
"""

from __future__ import annotations

from adcalc.engine.graph import Graph, GraphNode

STYLE = {
    "input": 'shape=ellipse, style=filled, fillcolor="#d8e8ff", color="#3465a4"',
    "intermediate": 'shape=box, style="rounded,filled", fillcolor="#ffffff", color="#555753"',
    "collapsed": 'shape=box, style="rounded,filled,dashed", fillcolor="#f3f3f3", '
                 'color="#555753"',
    "output": 'shape=box, style="rounded,filled,bold", fillcolor="#d9f2d0", color="#2e7d32", '
              "penwidth=2",
    "omitted": 'shape=note, style=filled, fillcolor="#fff3cd", color="#b58900"',
}
SYMBOL = {"adjoint": "v̄", "tangent": "v̇"}


def quote(text: str) -> str:
    """A DOT string literal: backslashes and quotes escaped, new lines as \\n."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\r", "").replace("\n", "\\n") + '"'


def short(x: float) -> str:
    return f"{x:.6g}"


def node_text(node: GraphNode, derivative: str | None) -> str:
    lines = [node.label if node.kind in ("collapsed", "omitted") else
             f"{node.label} = {node.operation}"]
    if node.kind == "collapsed":
        lines.append(node.operation)
    if node.kind == "omitted":
        lines = [node.operation]
    if node.value is not None:
        lines.append(f"value {short(node.value)}")
    if node.derivative is not None and derivative:
        lines.append(f"{SYMBOL[derivative]} = {short(node.derivative)}")
    return "\n".join(lines)


FAST_LAYOUT_NODES = 60
"""Above this many nodes Graphviz is told to lay out quickly: a 200-node sum over a few
inputs of high fan-out took dot 27 s with its defaults, 0.3 s with these."""
FAST_LAYOUT = "  nslimit=1; nslimit1=1; splines=line;"


def to_dot(graph: Graph, title: str = "", path: list[str] | None = None) -> str:
    """The graph in DOT; ``path``: a traced program's decisions, one line each, drawn as
    a note beside the graph."""
    out = ["digraph adcalc {",
           "  rankdir=LR;",
           *([FAST_LAYOUT] if len(graph.nodes) > FAST_LAYOUT_NODES else []),
           '  graph [fontname="Helvetica", fontsize=12, labelloc=t, nodesep=0.3, ranksep=0.5'
           + (f", label={quote(title)}" if title else "") + "];",
           '  node [fontname="Helvetica", fontsize=11];',
           '  edge [fontname="Helvetica", fontsize=9, color="#555753", fontcolor="#204a87"];']
    for node in graph.nodes:
        out.append(f"  {node.key} [label={quote(node_text(node, graph.derivative))}, "
                   f"{STYLE[node.kind]}];")
    for edge in graph.edges:
        label = ""
        if edge.partial is not None:
            value = short(edge.partial)
            text = (f"∂ = {edge.formula} = {value}" if 0 < len(edge.formula) <= 14
                    and edge.formula != value else f"∂ = {value}")
            label = f" [label={quote(text)}]"
        elif edge.formula:
            label = f" [label={quote(edge.formula)}]"
        out.append(f"  {edge.src} -> {edge.dst}{label};")
    out += _legend(graph)
    if path:
        text = "Path taken at this point\n" + "\n".join(path)
        out.append(f"  path [shape=note, fontsize=9, label={quote(text)}];")
    out.append("}")
    return "\n".join(out) + "\n"


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _legend(graph: Graph) -> list[str]:
    """One compact node: the three node styles and what edges and numbers mean."""
    lines = ["edge label: local partial ∂vj/∂vi" + (" at the point" if graph.derivative
                                                   else "")]
    if graph.derivative == "adjoint":
        lines.append("v̄ = ∂f/∂v (reverse sweep)")
    elif graph.derivative == "tangent":
        lines.append("v̇ = tangent (forward sweep)")
    lines += graph.notes
    text = "".join(f'<tr><td colspan="3" align="left">{_html(t)}</td></tr>' for t in lines)
    cells = ('<td bgcolor="#d8e8ff">input</td><td>intermediate</td>'
             '<td bgcolor="#d9f2d0">output</td>')
    table = (f'<<table border="0" cellborder="1" cellspacing="0" cellpadding="4">'
             f'<tr>{cells}</tr>{text}</table>>')
    return [f"  legend [shape=plaintext, fontsize=9, label={table}];",
            "  { rank=sink; legend; }"]
