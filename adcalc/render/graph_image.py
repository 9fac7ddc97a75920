"""A graph record in the asked format: text blocks, DOT, or an image through Graphviz."""

from __future__ import annotations

import shutil
import subprocess

from adcalc.commands.graph import GraphResult
from adcalc.engine.algebra import format_number
from adcalc.errors import AdcalcError
from adcalc.render.document import clip
from adcalc.render.dot import to_dot
from adcalc.render.graph_text import graph_blocks
from adcalc.render.path import path_table

INSTALL_HINT = ("Graphviz's dot program is needed for {fmt} output and was not found. "
                "Install it (Debian/Ubuntu: apt-get install graphviz; macOS: brew install "
                "graphviz), or use --format dot or the text view, which need nothing.")


def title(r: GraphResult) -> str:
    """``f(x1, x2) = …`` and, with a point, where and which derivative the nodes carry."""
    names = r.variables
    what = ""
    if r.point is not None:
        where = ", ".join(f"{n} = {format_number(r.point[n])}" for n in names)
        if r.direction is not None:
            seeds = ", ".join(f"{n} = {format_number(v)}" for n, v in r.direction.items())
            what = f" at {where}; forward mode, tangents v̇ for the seed {seeds}"
        else:
            what = f" at {where}; reverse mode, adjoints v̄ = ∂{r.of}/∂v"
            if r.outputs > 1:
                what += f" (output {r.of} of {r.outputs}; --of picks another)"
    return f"f({', '.join(names)}) = {clip(r.expression)}{what}"


def render_graph(r: GraphResult, fmt: str) -> list | bytes:
    """Text blocks for ``fmt == "text"``, else the bytes of the DOT text or image."""
    path = (path_table(r.tape, r.values, r.variables) if r.tape is not None
            and r.tape.decisions else None)
    if fmt == "text":
        return [*([path] if path is not None else []), *graph_blocks(r.graph, title(r))]
    dot = to_dot(r.graph, title(r), [] if path is None else
                 [f"{row[0]}: {row[1]} → {row[2]}" if row[1] else f"{row[0]}: {row[2]}"
                  for row in path.rows])
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
