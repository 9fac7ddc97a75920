"""``--quiet`` output: only the numbers (a module light enough for the fast path)."""

from __future__ import annotations

from typing import Any


def quiet_lines(g: Any) -> str:
    """``∂f/∂x = …`` per variable, or the directional derivative for a seed."""
    if g.directional is not None:
        return f"∇f·s = {float(g.directional)!r}\n"
    return "".join(f"∂f/∂{n} = {float(v)!r}\n" for n, v in g.gradient.items())
