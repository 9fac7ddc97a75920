"""Points in: the records of a CSV stream, bounded and decoded, in chunks of columns.

Rows are the CSV records after the header, numbered from 1 (blank lines are not rows).
Columns that name no variable pass through to the output untouched; a missing variable
column, a row of the wrong width or a cell that is not a number stops with a message
naming the row and the column.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from itertools import islice
from typing import IO, Any

from adcalc.errors import InputError
from adcalc.frontend.inputs import MAX_TEXT, decode, open_bytes, stdin_bytes

CHUNK_ROWS = 65_536
_LONE_CR = re.compile(r"(?<=\r)(?!\n)")


class Records:
    """The records of a CSV stream, as Python's csv module reads them.

    Records, not lines: a quoted cell may hold new lines.  The stream may give bytes
    (files, standard input: decoded line by line as UTF-8, so a bad byte is placed
    exactly) or text.  Lines end at ``\n``, ``\r\n`` or a lone ``\r``, as with
    ``newline=""``.  A line is at most ``MAX_TEXT`` bytes, so no input can fill the memory;
    bad bytes or bad quoting become messages.  ``chars`` counts what was read (for the
    progress bar).
    """

    def __init__(self, stream: IO[bytes] | IO[str]) -> None:
        self.stream = stream
        self.chars = 0
        self.line = 0
        self.carriage_return = False
        """Whether any line held a ``\r`` (which CSV output must then quote)."""
        csv.field_size_limit(max(csv.field_size_limit(), MAX_TEXT))
        self.reader = csv.reader(self._lines())

    def _lines(self) -> Iterator[str]:
        readline = self.stream.readline
        while True:
            try:
                line = readline(MAX_TEXT + 1)
            except OSError as exc:
                raise InputError(f"cannot read the points: {exc.strerror or exc}") from None
            if not line:
                return
            self.line += 1
            if len(line) > MAX_TEXT:
                raise InputError(f"line {self.line} of the points is longer than "
                                 f"{MAX_TEXT:,} bytes")
            self.chars += len(line)
            if isinstance(line, bytes):
                line = decode(line, f"line {self.line} of the points", self.line == 1)
            if "\r" in line:
                self.carriage_return = True
                pieces = _LONE_CR.split(line)
                self.line += len(pieces) - 1
                yield from pieces
            else:
                yield line

    def __iter__(self) -> Iterator[list[str]]:
        """Every record that has a non-blank cell (blank lines are not rows)."""
        reader = self.reader
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise InputError(f"line {self.line} of the points is not valid CSV: "
                                 f"{exc}") from None
            if any(cell.strip() for cell in record):
                yield record


def read_header(records: Iterator[list[str]]) -> list[str]:
    first = next(records, None)
    if first is None:
        raise InputError("the points are empty: the first line must be a header naming the "
                         "variables, like x1,x2")
    header = [h.strip() for h in first]
    seen: dict[str, int] = {}
    for k, name in enumerate(header, start=1):
        if name in seen:
            raise InputError(f"the header names column {name!r} twice (columns {seen[name]} "
                             f"and {k}); every column needs its own name")
        seen[name] = k
    return header


def chunks(records: Iterator[list[str]], width: int, chunk_rows: int = CHUNK_ROWS
           ) -> Iterator[tuple[int, list[list[str]], dict[int, str]]]:
    """(first row number, rows, bad rows) for each chunk of data records, numbered from 1.

    A row of the wrong width is bad (index in the chunk → message); it is cut or padded
    to the header's width, so the output keeps its columns.
    """
    number = 1
    while True:
        rows = list(islice(records, chunk_rows))
        if not rows:
            return
        bad: dict[int, str] = {}
        for k, r in enumerate(rows):
            if len(r) != width:
                bad[k] = f"it has {len(r)} cells, but the header has {width}"
                rows[k] = (r + [""] * width)[:width]
        yield number, rows, bad
        number += len(rows)


def to_columns(rows: list[list[str]], index: dict[str, int], bad: dict[int, str]
               ) -> dict[str, Any]:
    """Each variable's column (name → float64 array); ``index`` gives its cell.

    A cell that is not a number is NaN, and its row is added to ``bad`` with the reason.
    """
    columns = {}
    for name, k in index.items():
        columns[name] = numbers(name, [r[k] for r in rows], bad)
    return columns


def numbers(name: str, cells: list[Any], bad: dict[int, str]) -> Any:
    """The cells of column ``name`` as a float64 array, read as Python's ``float`` reads
    text (spaces around a number are fine; ``nan`` and ``inf`` are numbers); a cell that
    is not a number is NaN and its row goes into ``bad`` (index → reason).  Every path
    (the CSV stream, polars, Dask) reads a cell of text through here, so one cell reads
    the same everywhere."""
    import numpy as np

    if not any(cell is None for cell in cells):  # (numpy reads None as NaN)
        try:
            return np.array(cells, dtype=np.float64)
        except (ValueError, TypeError):
            pass
    values = []
    for j, cell in enumerate(cells):
        try:
            if cell is None:
                raise ValueError
            values.append(float(cell))
        except (ValueError, TypeError):
            values.append(float("nan"))
            bad.setdefault(j, not_a_number(name, cell))
    return np.array(values, dtype=np.float64)


def not_a_number(name: str, cell: Any) -> str:
    """Why a cell is no number: ``column x: 'abc' is not a number``."""
    if cell is None:
        return f"column {name}: the cell is empty"
    return f"column {name}: {str(cell).strip()!r} is not a number"


def row_message(row: int, message: str) -> str:
    """``row 6, column x2: …`` or ``row 6: math error …``."""
    return f"row {row}{', ' if message.startswith('column ') else ': '}{message}"


def open_points(source: str) -> tuple[IO[bytes], int | None]:
    """The points stream (bytes) and its size in bytes (None for standard input)."""
    import os

    if source == "-":
        return stdin_bytes("the points"), None
    stream = open_bytes(source, "the points file")
    try:
        return stream, os.fstat(stream.fileno()).st_size
    except OSError:
        return stream, None
