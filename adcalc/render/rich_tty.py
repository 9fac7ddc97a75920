"""Rich output for terminals: the only module that imports rich."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

from adcalc.render.document import Block, Para, Table

ROW_STYLE = {"input": "cyan", "output": "bold", "sum": "bold", "fail": "bold red", "pass": "green"}


def to_rich(table: Table) -> RichTable:
    out = RichTable(title=table.title, title_justify="left", title_style="bold",
                    box=box.SIMPLE_HEAD, header_style="bold magenta")
    for k, name in enumerate(table.columns):
        out.add_column(name, justify="right" if k in table.right else "left",
                       no_wrap=k in table.right)
    for row, kind in zip(table.rows, table.kinds, strict=True):
        out.add_row(*(Text(cell) for cell in row), style=ROW_STYLE.get(kind))
    return out


def render(blocks: list[Block], console: Console) -> None:
    """Print the document; user text goes in as ``Text``, never as markup."""
    for block in blocks:
        if isinstance(block, Para):
            console.print(Text(block.text, style=block.style or ""), highlight=False)
        else:
            console.print(to_rich(block), highlight=False)
