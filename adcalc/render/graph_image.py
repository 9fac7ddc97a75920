"""From an expression to a graph in the asked format: text blocks, DOT, or an image."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping, Sequence

from adcalc.algebra import format_number
from adcalc.errors import AdcalcError
from adcalc.evaluate import primal
from adcalc.forward import tangent_sweep
from adcalc.gradient import check_point, check_seed, variable_order
from adcalc.graph import build_graph
from adcalc.parse import parse
from adcalc.render.document import clip
from adcalc.render.dot import to_dot
from adcalc.render.graph_text import graph_blocks
from adcalc.reverse import adjoint_sweep

INSTALL_HINT = ("Graphviz's dot program is needed for {fmt} output and was not found. "
                "Install it (Debian/Ubuntu: apt-get install graphviz; macOS: brew install "
                "graphviz), or use --format dot or the text view, which need nothing.")


def render_graph(expression: str, point: Mapping[str, float] | None, mode: str | None,
                 seed: Mapping[str, float] | None, order: Sequence[str] | None, fmt: str,
                 max_nodes: int) -> list | bytes:
    """Text blocks for ``fmt == "text"``, else the bytes of the DOT text or image."""
    tape = parse(expression)
    names = variable_order(tape, order)
    values = derivatives = kind = None
    what = ""
    if seed is not None:
        check_seed(tape, seed, mode)
    if point is not None:
        pt = check_point(tape, point)
        values = primal(tape, pt)
        where = ", ".join(f"{n} = {format_number(pt[n])}" for n in names)
        if mode == "forward" or seed is not None:
            direction = dict(seed) if seed else ({names[0]: 1.0} if names else {})
            derivatives = tangent_sweep(tape, values, direction).tangents
            kind = "tangent"
            seeds = ", ".join(f"{n} = {format_number(v)}" for n, v in direction.items())
            what = f" at {where}; forward mode, tangents v̇ for the seed {seeds}"
        else:
            seeds = dict.fromkeys(tape.outputs, 1.0)
            derivatives = adjoint_sweep(tape, values, seeds).adjoints
            kind = "adjoint"
            of = "f" if len(tape.outputs) == 1 else "(the sum of the outputs)"
            what = f" at {where}; reverse mode, adjoints v̄ = ∂{of}/∂v"
    graph = build_graph(tape, names, values, derivatives, kind, max_nodes)
    title = f"f({', '.join(names)}) = {clip(expression)}{what}"
    if fmt == "text":
        return graph_blocks(graph, title)
    dot = to_dot(graph, title)
    if fmt == "dot":
        return dot.encode()
    program = shutil.which("dot")
    if program is None:
        raise AdcalcError(INSTALL_HINT.format(fmt=fmt))
    return run_dot(program, fmt, dot)


DOT_SECONDS = 30.0
"""How long Graphviz may lay out a graph before adcalc gives up on it."""


def run_dot(program: str, fmt: str, dot: str, seconds: float = DOT_SECONDS) -> bytes:
    """The image Graphviz makes of ``dot``; a hung, killed or failing dot is a message."""
    import signal

    try:
        done = subprocess.run([program, f"-T{fmt}"], input=dot.encode(), capture_output=True,
                              check=False, timeout=seconds)
    except subprocess.TimeoutExpired:
        raise AdcalcError(f"Graphviz's dot did not finish in {seconds:g} s; lower --max-nodes "
                          "or write --format dot and lay it out yourself") from None
    except OSError as exc:
        raise AdcalcError(f"Graphviz's dot could not be run: {exc.strerror or exc}") from None
    if done.returncode != 0:
        said = done.stderr.decode(errors="replace").strip()
        if done.returncode < 0:
            try:
                why = f"it was stopped by {signal.Signals(-done.returncode).name}"
            except ValueError:
                why = f"it was stopped by signal {-done.returncode}"
        else:
            why = f"it exited with status {done.returncode}"
        raise AdcalcError(f"Graphviz's dot failed ({why})" + (f": {said}" if said else ""))
    return done.stdout
