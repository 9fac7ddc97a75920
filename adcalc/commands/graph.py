"""graph: the computational graph as a record, with values and derivatives at a point."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from adcalc.commands.common import check_seed, prepare
from adcalc.engine.graph import DEFAULT_MAX_NODES, Graph, build_graph
from adcalc.engine.sweeps import adjoint, tangent
from adcalc.engine.tape import Tape
from adcalc.errors import InputError, param


@dataclass
class GraphResult:
    graph: Graph
    expression: str
    variables: list[str]
    outputs: int
    point: dict[str, float] | None = None
    direction: dict[str, float] | None = None
    """The tangent sweep's seed when the nodes carry tangents (else adjoints)."""
    of: str = "f"
    """The output whose adjoints the nodes carry (f, or f1, f2, … of a vector)."""
    warnings: list[str] = field(default_factory=list)
    """What the parser noticed about the text (a binding never used)."""
    tape: Tape | None = None
    """The tape drawn: a traced program's carries the path it took (its decisions)."""
    values: list[float] | None = None


def graph(expression: str, point: Mapping[str, float] | None = None, mode: str | None = None,
          seed: Mapping[str, float] | None = None, variables: Sequence[str] | None = None,
          max_nodes: int = DEFAULT_MAX_NODES, of: str | int | None = None) -> GraphResult:
    """The graph of ``expression``; with ``point``, each node's value and its adjoint (or,
    in forward mode or with ``seed``, its tangent), and each edge's local partial.

    ``of`` picks the output of a vector function whose adjoints are shown (``"f2"`` or
    ``2``; default the first)."""
    s = prepare(expression, point, variables)
    tape, names = s.tape, s.variables
    if seed is not None:
        check_seed(tape, seed, mode)
    if point is None:
        return GraphResult(build_graph(tape, names, max_nodes=max_nodes), s.expression, names,
                           len(tape.outputs), warnings=list(tape.warnings), tape=tape)
    direction = None
    if mode == "forward" or seed is not None:
        direction = dict(seed) if seed else ({names[0]: 1.0} if names else {})
        derivatives = tangent(tape, s.values, direction).tangents
        kind = "tangent"
    else:
        k = which_output(tape, of)
        derivatives = adjoint(tape, s.values, {tape.outputs[k]: 1.0}).adjoints
        kind = "adjoint"
    return GraphResult(build_graph(tape, names, s.values, derivatives, kind, max_nodes),
                       s.expression, names, len(tape.outputs), s.point, direction,
                       tape.output_names[k] if kind == "adjoint" else "f", list(tape.warnings),
                       tape, s.values)


def which_output(tape: Tape, of: str | int | None) -> int:
    """The index of the output ``of`` names (``f2``, ``2``; default the first)."""
    names = tape.output_names
    if of is None:
        return 0
    text = str(of).strip()
    if text in names:
        return names.index(text)
    if text.isdigit() and 1 <= int(text) <= len(names):
        return int(text) - 1
    raise InputError(f"{param('of')} names {text!r}, which is not an output; the outputs are "
                     f"{', '.join(names)}")
