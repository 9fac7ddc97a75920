"""A neutral model of a report: paragraphs and tables of strings."""

from __future__ import annotations

from dataclasses import dataclass, field

from adcalc.engine.describe import num  # noqa: F401  (renderers import it from here)


@dataclass
class Para:
    """A line or two of prose; ``style`` is a hint for rich output (ignored in plain)."""

    text: str
    style: str = ""


@dataclass
class Table:
    """A titled table; ``kinds`` tags rows (``input``, ``output``, ``sum``, ``fail``)."""

    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    right: set[int] = field(default_factory=set)
    """Indices of right-aligned (numeric) columns."""

    def add(self, row: list[str], kind: str = "") -> None:
        self.rows.append(row)
        self.kinds.append(kind)


Block = Para | Table




def clip(text: str, limit: int = 160) -> str:
    """``text`` on one line, cut to ``limit`` characters with a note of the full length."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return f"{flat[: limit - 30]}… ({len(flat):,} characters)"


def shorten(cell: str, digits: int) -> str:
    """A full-precision number cell with ``digits`` significant digits (other cells as
    they are): for a table that must fit a terminal, or ``--digits``."""
    try:
        x = float(cell)
    except ValueError:
        return cell
    if cell.strip() != cell or not any(ch.isdigit() for ch in cell):
        return cell
    text = f"{x:.{digits}g}"
    return text if float(text) != x or len(text) < len(cell) else cell


def with_digits(table: Table, digits: int) -> Table:
    """The table with its numeric columns at ``digits`` significant digits."""
    out = Table(table.title, list(table.columns), kinds=list(table.kinds), right=set(table.right))
    out.rows = [[shorten(c, digits) if k in table.right else c for k, c in enumerate(row)]
                for row in table.rows]
    return out


def columns(table: Table, keep: list[int]) -> Table:
    """Only the columns ``keep`` (a part of a table split to fit)."""
    out = Table(table.title, [table.columns[k] for k in keep], kinds=list(table.kinds),
                right={n for n, k in enumerate(keep) if k in table.right})
    out.rows = [[row[k] for k in keep] for row in table.rows]
    return out
