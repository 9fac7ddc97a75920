"""Rich output for terminals: the only module that imports rich."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

from adcalc.render.document import Block, Para, Table

ROW_STYLE = {"input": "cyan", "output": "bold", "sum": "bold", "fail": "bold red", "pass": "green"}


def to_rich(table: Table) -> RichTable:
    out = RichTable(box=box.SIMPLE_HEAD, show_edge=False, header_style="bold magenta")
    for k, name in enumerate(table.columns):
        out.add_column(name, justify="right" if k in table.right else "left",
                       no_wrap=k in table.right)
    for row, kind in zip(table.rows, table.kinds, strict=True):
        out.add_row(*(Text(cell) for cell in row), style=ROW_STYLE.get(kind))
    return out


def render(blocks: list[Block], console: Console) -> None:
    """Print the document; user text goes in as ``Text``, never as markup.

    Table titles print as their own lines so that a long title never wraps to the
    table's width.
    """
    for k, block in enumerate(blocks):
        if k:
            console.print()
        if isinstance(block, Para):
            console.print(Text(block.text, style=block.style or ""), highlight=False)
        else:
            console.print(Text(block.title, style="bold underline"), highlight=False)
            console.print(to_rich(block), highlight=False)
