"""graph: the computational graph as a record, with values and derivatives at a point."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from adcalc.commands.common import check_seed, prepare
from adcalc.graph import DEFAULT_MAX_NODES, Graph, build_graph
from adcalc.sweeps import adjoint, tangent


@dataclass
class GraphResult:
    graph: Graph
    expression: str
    variables: list[str]
    outputs: int
    point: dict[str, float] | None = None
    direction: dict[str, float] | None = None
    """The tangent sweep's seed when the nodes carry tangents (else adjoints)."""


def graph(expression: str, point: Mapping[str, float] | None = None, mode: str | None = None,
          seed: Mapping[str, float] | None = None, variables: Sequence[str] | None = None,
          max_nodes: int = DEFAULT_MAX_NODES) -> GraphResult:
    """The graph of ``expression``; with ``point``, each node's value and its adjoint (or,
    in forward mode or with ``seed``, its tangent), and each edge's local partial."""
    s = prepare(expression, point, variables)
    tape, names = s.tape, s.variables
    if seed is not None:
        check_seed(tape, seed, mode)
    if point is None:
        return GraphResult(build_graph(tape, names, max_nodes=max_nodes), s.expression, names,
                           len(tape.outputs))
    direction = None
    if mode == "forward" or seed is not None:
        direction = dict(seed) if seed else ({names[0]: 1.0} if names else {})
        derivatives = tangent(tape, s.values, direction).tangents
        kind = "tangent"
    else:
        derivatives = adjoint(tape, s.values, dict.fromkeys(tape.outputs, 1.0)).adjoints
        kind = "adjoint"
    return GraphResult(build_graph(tape, names, s.values, derivatives, kind, max_nodes),
                       s.expression, names, len(tape.outputs), s.point, direction)
