"""``--quiet`` output: only the numbers (a module light enough for the fast path)."""

from __future__ import annotations

from typing import Any

from adcalc.render.document import num


def quiet_lines(g: Any) -> str:
    """``∂f/∂x = …`` per variable, or the directional derivative for a seed."""
    if g.directional is not None:
        return f"∇f·s = {num(g.directional)}\n"
    if not g.gradient:
        return f"f = {num(g.value)} (a constant: no variables, so the gradient is empty)\n"
    return "".join(f"∂f/∂{n} = {num(v)}\n" for n, v in g.gradient.items())
