"""Reports as HTML, for notebooks (Jupyter, IPython, VS Code): the same blocks as every
other renderer, each table an HTML table.

Every colour is the page's own (``currentColor``, ``inherit``) and every border or shade
a translucent grey, so a report reads the same in light and dark themes; every piece of
user text is escaped (a variable named ``<script>`` shows as text).  Styles are inline,
as notebook front ends keep those and may drop a ``<style>`` element.
"""

from __future__ import annotations

from html import escape

from adcalc.render.document import Block, Para, Table

LINE = "1px solid rgba(127, 127, 127, 0.35)"
"""Borders: a light grey that shows on white and on black alike."""

BOX = ("font-family: inherit; color: inherit; line-height: 1.35; "
       "max-width: 100%; overflow-x: auto")
TABLE = ("border-collapse: collapse; margin: 0.25em 0 0.9em; color: inherit; "
         "background: transparent; font-size: 0.92em; border-top: " + LINE
         + "; border-bottom: " + LINE)
CAPTION = ("caption-side: top; text-align: left; font-weight: bold; color: inherit; "
           "padding: 0.2em 0")
CELL = "padding: 0.15em 0.7em; border: none; color: inherit; vertical-align: top"
NUMBER = "text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap"
TEXT = "text-align: left; overflow-wrap: anywhere"
ROW = {
    "input": "background: rgba(127, 127, 127, 0.08)",
    "output": "font-weight: bold",
    "sum": "font-weight: bold; border-top: " + LINE,
    "current": "background: rgba(127, 127, 127, 0.22); font-weight: bold",
    "read": "background: rgba(127, 127, 127, 0.12)",
    "fail": "font-weight: bold; text-decoration: underline wavy",
}
"""Row kinds as weight and translucent shades: no colour of their own."""
PARA = {"bold": "font-weight: bold", "dim": "opacity: 0.7"}


def _text(text: str) -> str:
    return escape(text).replace("\n", "<br>")


def table(t: Table) -> str:
    """One table: its title as the caption, numeric columns right-aligned."""
    head = "".join(
        f'<th style="{CELL}; {NUMBER if k in t.right else TEXT}; '
        f'border-bottom: {LINE}">{_text(c)}</th>' for k, c in enumerate(t.columns))
    rows = []
    kinds = list(t.kinds) + [""] * (len(t.rows) - len(t.kinds))
    for row, kind in zip(t.rows, kinds, strict=True):
        cells = "".join(f'<td style="{CELL}; {NUMBER if k in t.right else TEXT}">'
                        f"{_text(c)}</td>" for k, c in enumerate(row))
        style = f' style="{ROW[kind]}"' if kind in ROW else ""
        rows.append(f'<tr class="{escape(kind)}"{style}>{cells}</tr>' if kind
                    else f"<tr>{cells}</tr>")
    return (f'<table class="adcalc-table" style="{TABLE}">'
            f'<caption style="{CAPTION}">{_text(t.title)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def paragraph(p: Para) -> str:
    style = "; ".join(PARA[w] for w in p.style.split() if w in PARA)
    return f'<p style="margin: 0.3em 0; {style}">{_text(p.text)}</p>'


def render(blocks: list[Block]) -> str:
    """The report as one ``<div>`` of paragraphs and tables."""
    body = "".join(paragraph(b) if isinstance(b, Para) else table(b) for b in blocks)
    return f'<div class="adcalc" style="{BOX}">{body}</div>'
