"""Plain text: aligned columns, no colour, no box characters (for pipes and files)."""

from __future__ import annotations

import unicodedata

from adcalc.render.document import Block, Para, Table


def width(text: str) -> int:
    """Display width: combining marks (the bar of v̄, the dot of v̇) take no column."""
    return sum(0 if unicodedata.combining(ch) else 1 for ch in text)


def pad(text: str, n: int, right: bool = False) -> str:
    gap = " " * max(0, n - width(text))
    return gap + text if right else text + gap


def render_table(table: Table) -> str:
    widths = [width(c) for c in table.columns]
    for row in table.rows:
        widths = [max(w, width(cell)) for w, cell in zip(widths, row, strict=True)]
    lines = [table.title]
    for row in [table.columns, *table.rows]:
        cells = [pad(cell, w, k in table.right) for k, (cell, w) in enumerate(zip(row, widths,
                                                                                 strict=True))]
        lines.append(("  " + "  ".join(cells)).rstrip())
    return "\n".join(lines)


def render(blocks: list[Block]) -> str:
    """The whole document as text, blocks separated by blank lines."""
    parts = [b.text if isinstance(b, Para) else render_table(b) for b in blocks]
    return "\n\n".join(parts) + "\n"
