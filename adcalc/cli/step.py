"""``grad --step``: the primal sweep, then the adjoint sweep, one step at a time on a
terminal (the keys and the frames are ``render.step_view``'s)."""

from __future__ import annotations

import sys
from typing import Any

import click


def step_through(g: Any) -> bool:
    """``--step``: walk the sweeps on the terminal, then say what they gave; ``False``
    (and a note) without a terminal or without steps to walk."""
    from adcalc.commands.step import walk

    w = walk(g) if g.variables else None
    if w is None or not any(s.phase == "primal" for s in w.steps):
        why = ("a variable to differentiate by" if w is None else
               "an operation to step through (f is one of its inputs)")
        click.echo(f"note: --step needs {why}; printing the whole trace instead", err=True)
        return False
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        click.echo("note: --step needs a terminal; printing the whole trace instead", err=True)
        return False
    import termios
    import tty

    from rich.console import Console

    from adcalc.render.rich_tty import render
    from adcalc.render.step_view import interact, terminal_keys

    console = Console()
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        interact(w, lambda blocks: render(blocks, console), console.clear, terminal_keys(),
                 console.height)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
    return True
