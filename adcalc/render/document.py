"""A neutral model of a report: paragraphs and tables of strings."""

from __future__ import annotations

from dataclasses import dataclass, field


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


def num(x: float | None) -> str:
    """Full precision: the shortest text that reads back as the same double."""
    return "n/a" if x is None else repr(float(x))


def clip(text: str, limit: int = 160) -> str:
    """``text`` on one line, cut to ``limit`` characters with a note of the full length."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return f"{flat[: limit - 30]}… ({len(flat):,} characters)"
