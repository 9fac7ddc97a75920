"""Rich output for terminals: the only module that imports rich."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

from adcalc.render.document import Block, Para, Table, columns, with_digits
from adcalc.render.plain import width as display_width

ROW_STYLE = {"input": "cyan", "output": "bold", "sum": "bold", "fail": "bold red", "pass": "green",
             "current": "bold reverse", "read": "yellow", "updated": "green"}


def table_width(table: Table) -> int:
    """The width Rich gives the table (SIMPLE_HEAD, no edge): each column's widest cell,
    one space either side, one between columns."""
    widths = [display_width(c) for c in table.columns]
    for row in table.rows:
        widths = [max(w, display_width(c)) for w, c in zip(widths, row, strict=True)]
    return sum(widths) + 3 * len(widths) - 1


def least_widths(table: Table) -> list[int]:
    """Each column's width below which a cell would be cut: numbers whole, text wrapped
    only between words (v̄5 = v̄6·∂v6/∂v5 breaks at its spaces, never inside)."""
    widths = []
    for k, name in enumerate(table.columns):
        cells = [name, *(row[k] for row in table.rows)]
        if k in table.right:
            widths.append(max(display_width(c) for c in cells))
        else:
            widths.append(max((display_width(w) for c in cells for w in c.split()), default=0))
    return widths


def narrowest(table: Table) -> int:
    widths = least_widths(table)
    return sum(widths) + 3 * len(widths) - 1


def fit(table: Table, width: int, digits: int | None = None) -> list[Table]:
    """The table as it fits ``width`` columns: full precision if it fits on one line a
    row, else numbers shortened (to 15, 12, 9 or 6 significant digits), else text wrapped
    between words, else split into parts that each repeat the first column; never a cell
    cut."""
    if digits is not None:
        table = with_digits(table, digits)
    if table_width(table) <= width:
        return [table]
    if digits is None:
        for k in (15, 12, 9, 6):  # a few passes: a long trace has many cells
            shorter = with_digits(table, k)
            if table_width(shorter) <= width:
                return [shorter]
        table = shorter
    if narrowest(table) <= width:
        return [table]
    parts, current = [], [0]
    for k in range(1, len(table.columns)):
        if len(current) > 1 and narrowest(columns(table, [*current, k])) > width:
            parts.append(current)
            current = [0]
        current.append(k)
    parts.append(current)
    return [columns(table, keep) for keep in parts]


def to_rich(table: Table, width: int | None = None) -> RichTable:
    out = RichTable(box=box.SIMPLE_HEAD, show_edge=False, header_style="bold magenta")
    roomy = width is None or table_width(table) <= width
    sizes: list[int | None] = [None] * len(table.columns)
    if not roomy:  # each column its least width, the room left to the text that wraps
        assert width is not None
        least = least_widths(table)
        natural = [max(display_width(c) for c in [name, *(row[k] for row in table.rows)])
                   for k, name in enumerate(table.columns)]
        room = width - (sum(least) + 3 * len(least) - 1)
        sizes = list(least)
        for k in sorted(range(len(least)), key=lambda k: natural[k] - least[k]):
            extra = min(natural[k] - least[k], max(room, 0) // max(1, sum(
                1 for j in range(len(least)) if natural[j] > sizes[j])))
            sizes[k] += extra
            room -= extra
    folded: set[int] = set()
    if not roomy:  # a number wider than the room left (a long rational): folded, never cut
        assert width is not None
        over = sum(s or 0 for s in sizes) + 3 * len(sizes) - 1 - width
        for k in sorted(table.right, key=lambda k: -(sizes[k] or 0)):
            if over <= 0:
                break
            take = min(over, (sizes[k] or 0) - 8)
            if take > 0:
                sizes[k] = (sizes[k] or 0) - take
                over -= take
                folded.add(k)
    for k, name in enumerate(table.columns):
        out.add_column(name, justify="right" if k in table.right else "left",
                       no_wrap=roomy or (k in table.right and k not in folded),
                       overflow="fold", width=sizes[k])
    for row, kind in zip(table.rows, table.kinds, strict=True):
        out.add_row(*(Text(cell) for cell in row), style=ROW_STYLE.get(kind))
    return out


def render(blocks: list[Block], console: Console, digits: int | None = None) -> None:
    """Print the document; user text goes in as ``Text``, never as markup.

    Each table is fitted to the console's width (``fit``).  Table titles print as their
    own lines so that a long title never wraps to the table's width.
    """
    for k, block in enumerate(blocks):
        if k:
            console.print()
        if isinstance(block, Para):
            console.print(Text(block.text, style=block.style or ""), highlight=False)
            continue
        console.print(Text(block.title, style="bold underline"), highlight=False)
        parts = fit(block, console.width, digits)
        for n, part in enumerate(parts):
            if len(parts) > 1:
                console.print(Text(f"({n + 1} of {len(parts)})", style="dim"), highlight=False)
            console.print(to_rich(part, console.width), highlight=False)
