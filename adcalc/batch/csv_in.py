"""Points in: the records of a CSV stream, bounded and decoded, as frames of their cells.

Rows are the CSV records after the header, numbered from 1 (blank lines are not rows, nor
records whose every cell is blank: a spreadsheet's empty row, ``,,``).
Columns that name no variable pass through to the output untouched; a missing variable
column stops with a message, and a row of the wrong width or a cell that is not a number
is a bad row, with a message naming the row and the column.

``CsvPieces`` reads a stream a block at a time (``feed.Feed``: files and pipes alike) and
has polars parse each block of whole records into columns of text; adcalc's own reader
(``Records``, Python's csv module) reads the header, and the blocks polars would read
otherwise than it does — and from a block whose quotes are not well formed, the rest.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import IO, Any

from adcalc.errors import InputError
from adcalc.frontend.inputs import MAX_TEXT, decode, open_bytes, stdin_bytes

CHUNK_ROWS = 65_536
_LONE_CR = re.compile(r"(?<=\r)(?!\n)")
_LONE_CR_BYTES = re.compile(rb"(?<=\r)(?!\n)")


class Records:
    """The records of a CSV stream, as Python's csv module reads them.

    Records, not lines: a quoted cell may hold new lines.  The stream may give bytes
    (files, standard input: decoded line by line as UTF-8, so a bad byte is placed
    exactly) or text.  Lines end at ``\n``, ``\r\n`` or a lone ``\r``, as with
    ``newline=""``.  A line is at most ``MAX_TEXT`` bytes, so no input can fill the memory;
    bad bytes or bad quoting become messages.  ``chars`` counts what was read (for the
    progress bar).
    """

    def __init__(self, stream: IO[bytes] | IO[str] | Any, line: int = 0) -> None:
        self.stream = stream
        self.chars = 0
        self.line = line
        """Lines read (``line``: lines before this stream's first, for the messages)."""
        csv.field_size_limit(MAX_TEXT)  # (a cell of many lines: bounded as a line is)
        self.reader = csv.reader(self._lines(), strict=True)

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
            if not isinstance(line, str):
                try:
                    line = decode(line, "", self.line == 1)
                except InputError:
                    yield from self._up_to_bad_byte(line)
            if "\r" in line:
                pieces = [p for p in _LONE_CR.split(line) if p]  # (none after a last \r)
                self.line += len(pieces) - 1
                yield from pieces
            else:
                yield line

    def _up_to_bad_byte(self, line: bytes) -> Iterator[str]:
        """The lines in bytes that are not UTF-8 (read up to a \n, they may hold lines
        ended by a lone \r): those before the bad byte's, then a message naming its."""
        for k, piece in enumerate(p for p in _LONE_CR_BYTES.split(line) if p):
            self.line += k > 0
            yield decode(piece, f"line {self.line} of the points", self.line == 1)
        raise InputError(f"line {self.line} of the points is not UTF-8 text")

    def __iter__(self) -> Iterator[list[str]]:
        """Every record that has a non-blank cell (blank lines are not rows)."""
        reader = self.reader
        while True:
            start = self.line + 1
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise InputError(self._invalid(start, str(exc))) from None
            if any(cell.strip() for cell in record):
                yield record


    def _invalid(self, start: int, error: str) -> str:
        """Why the record from line ``start`` is not CSV, as the csv module says it."""
        if "unexpected end of data" in error:
            return (f"line {start} of the points opens a quoted cell that is never closed "
                    "(a quote in a cell is written twice, inside quotes: \"12\"\" pipe\")")
        if "field larger than field limit" in error:
            return (f"the record from line {start} of the points has a cell longer than "
                    f"{MAX_TEXT:,} bytes (a quote opened there and never closed?)")
        return f"line {self.line} of the points is not valid CSV: {error}"


def read_header(records: Iterator[list[str]]) -> list[str]:
    """The header's cells as they came (the names are the cells stripped of spaces)."""
    first = next(records, None)
    if first is None:
        raise InputError("the points are empty: the first line must be a header naming the "
                         "variables, like x1,x2")
    check_names([h.strip() for h in first], "the header")
    return first


def check_names(names: list[str], what: str) -> None:
    """Refuse columns named twice (a CSV header's, an Arrow schema's): every column needs
    its own name."""
    seen: dict[str, int] = {}
    for k, name in enumerate(names, start=1):
        if name in seen:
            raise InputError(f"{what}: column {name!r} is named twice (columns {seen[name]} "
                             f"and {k}); every column needs its own name")
        seen[name] = k


def chunks(records: Iterator[list[str]], width: int, chunk_rows: int = CHUNK_ROWS,
           number: int = 1) -> Iterator[tuple[int, list[list[str]], dict[int, str]]]:
    """(first row number, rows, bad rows) for each chunk of data records, numbered from
    ``number``.

    A row of the wrong width is bad (index in the chunk → message); it is cut or padded
    to the header's width, so the output keeps its columns.
    """
    while True:
        rows: list[list[str]] = []
        stop = None
        try:
            rows.extend(islice(records, chunk_rows))
        except InputError as exc:  # (a record that is not CSV: the rows before it go on)
            stop = exc
        if not rows:
            if stop is not None:
                raise stop
            return
        bad: dict[int, str] = {}
        for k, r in enumerate(rows):
            if len(r) != width:
                bad[k] = f"it has {len(r)} cells, but the header has {width}"
                rows[k] = (r + [""] * width)[:width]
        yield number, rows, bad
        number += len(rows)
        if stop is not None:
            raise stop


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


# -- blocks of records, parsed by polars ------------------------------------------------
@dataclass
class Piece:
    """Rows of points: ``frame`` holds the input columns as they came (a CSV's cells as
    text), ``first`` is the number of its first row, ``unreadable`` the rows that could
    not be read (index → message: a row of the wrong width), ``used`` the bytes of input
    it took (the progress bar's measure)."""

    first: int
    frame: Any
    unreadable: dict[int, str] = field(default_factory=dict)
    used: int = 0


def count(data: bytes, byte: bytes) -> int:
    """How many times ``byte`` is in ``data`` (NumPy: 6× ``bytes.count`` on a block)."""
    import numpy as np

    return int(np.count_nonzero(np.frombuffer(data, np.uint8) == byte[0]))


def record_end(data: bytes, final: bool) -> int:
    """Where the last whole record of ``data`` ends (just after its line's end: ``\n``,
    ``\r\n`` or a lone ``\r``; the end of ``data`` when ``final``), 0 if none does.
    ``data`` starts outside a quoted cell, so a line's end ends a record where the quotes
    before it are even in number."""
    quoted = b'"' in data  # (memchr: no count of the block's bytes in the usual case)
    if final and (not quoted or count(data, b'"') % 2 == 0):
        return len(data)
    end = data.rfind(b"\n")
    end = max(end, data.rfind(b"\r", end + 1, len(data) - 1))  # (a lone \r after it; a
    if not quoted or end < 0 or count(data[:end], b'"') % 2 == 0:  # last \r may be a
        return end + 1  # \r\n's)
    import numpy as np

    array = np.frombuffer(data, np.uint8)
    quotes = np.flatnonzero(array == 34)
    ends = np.flatnonzero(array == 10)
    if b"\r" in data:
        cr = np.flatnonzero(array[:-1] == 13)
        ends = np.union1d(ends, cr[array[cr + 1] != 10])
    ends = ends[np.searchsorted(quotes, ends) % 2 == 0]
    return int(ends[-1]) + 1 if ends.size else 0


_BLANK = bytes(range(0x80)).translate(None, b" \t\r\n\x0b\x0c\x1c\x1d\x1e\x1f,")
"""The ASCII bytes a blank record (a line of spaces and commas) cannot hold."""


def survey(chunk: bytes, width: int, lines: int | None = None) -> str:
    """How a chunk of whole records is read: ``"polars"`` when polars reads it as adcalc's
    reader does (well-formed quotes, lines ending at ``\\n``, every record of the
    header's width or blank); ``"python"`` when only adcalc's reader reads it right (a
    lone ``\\r`` ends a line, a row of the wrong width is a bad row); ``"rest"`` when its
    quotes are not well formed, so that even where its records end is adcalc's reader's
    to say, from here to the end.  ``lines``: its lines, if counted already."""
    if chunk.startswith(b"\xef\xbb\xbf"):  # (polars drops a BOM that starts what it reads)
        return "python"
    quoted = b'"' in chunk
    if quoted and not _well_quoted(chunk):
        return "rest"
    if b"\r" in chunk and chunk.count(b"\r") != chunk.count(b"\r\n"):
        return "python"
    if lines is None:
        lines = count(chunk, b"\n") + (not chunk.endswith(b"\n"))
    if not quoted and count(chunk, b",") == (width - 1) * lines:
        return "polars"
    return "polars" if _widths_ok(chunk, width) else "python"


def _well_quoted(chunk: bytes) -> bool:
    """Whether every quote opens a cell, closes it, or is one of a doubled pair inside it
    (then reading quotes as switches, as polars does, is reading them as Python's csv
    module does)."""
    import numpy as np

    array = np.frombuffer(chunk, np.uint8)
    quotes = np.flatnonzero(array == 34)
    if quotes.size % 2:
        return False
    opens, closes = quotes[0::2], quotes[1::2]
    edge = np.array([44, 10, 13], dtype=np.uint8)
    before = np.isin(array[np.maximum(opens - 1, 0)], edge) | (opens == 0)
    before[1:] |= opens[1:] - 1 == closes[:-1]  # the second of a doubled pair
    after_at = np.minimum(closes + 1, len(chunk) - 1)
    after = np.isin(array[after_at], edge) | (closes == len(chunk) - 1)
    after[:-1] |= closes[:-1] + 1 == opens[1:]  # the first of a doubled pair
    return bool(before.all() and after.all())


def _widths_ok(chunk: bytes, width: int) -> bool:
    """Whether every record outside quotes has ``width - 1`` commas, or is blank."""
    import numpy as np

    array = np.frombuffer(chunk, np.uint8)
    quotes = np.flatnonzero(array == 34)
    ends = np.flatnonzero(array == 10)
    commas = np.flatnonzero(array == 44)
    if quotes.size:
        ends = ends[np.searchsorted(quotes, ends) % 2 == 0]
        commas = commas[np.searchsorted(quotes, commas) % 2 == 0]
    if not chunk.endswith(b"\n"):
        ends = np.append(ends, len(chunk))
    counts = np.diff(np.searchsorted(commas, ends), prepend=0)
    wrong = np.flatnonzero(counts != width - 1)
    if wrong.size > 64:
        return False
    for k in wrong.tolist():
        start = int(ends[k - 1]) + 1 if k else 0
        line = chunk[start:int(ends[k])]
        if not line.isascii() or line.translate(None, _BLANK) != line:
            return False  # a record with something in it: a row of the wrong width
    return True


SPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
         "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
"""Every character Python's ``str.strip`` strips (``str.isspace``): a blank row is
blank as adcalc's reader sees it."""


LINE = "\0line"
"""The column of a plain block's records, each as it came (``plain``)."""

CAST = "\0double "
"""Before a variable's name: the column of its cells as polars' cast reads them, made
with the cells (``CsvPieces._parse``), so that the sweep casts nothing again."""


def plain(chunk: bytes, header: list[str], doubles: list[str]) -> Any:
    """A block of records read for CSV out, or None where it is not plain: the frame of
    each record as it came (``LINE``, without its new line) and the cells of ``doubles``
    as doubles.  A block is plain when it has no quote and no ``\r``, ``survey`` passed
    it (every record of the header's width) and every cell of ``doubles`` is a number
    polars reads; then a record written back as it came is the record as adcalc's writer
    writes its cells (none needs quotes, none is empty: no row is blank), and polars'
    double is the cast's (``columnar.numbers``; a number with spaces after it, or a cell
    ``float`` reads and polars does not, makes the block not plain; ``survey`` counts
    the block's commas, so a short record comes with a long one, which polars refuses
    when it reads every column).  Reading a block this way, its lines and its doubles, is
    faster than its cells as text, then cast, then written (``benchmarks/batch_io.py``)."""
    import polars as pl

    if b'"' in chunk or b"\r" in chunk or LINE in header:
        return None
    try:  # (a quote is the separator: there is none, so each record is one cell)
        lines = pl.read_csv(chunk, has_header=False, schema={LINE: pl.String}, separator='"',
                            quote_char=None, raise_if_empty=False)
        cells = pl.read_csv(chunk, has_header=False, schema={
            h: pl.Float64 if h in doubles else pl.String for h in header},
            raise_if_empty=False).select(doubles)  # (every column: a long record stops it)
    except Exception:  # bytes that are not UTF-8, a cell that is no number, a long record
        return None
    if lines.height != cells.height or cells.null_count().sum_horizontal().item():
        return None  # (an empty cell, a blank row: adcalc's ways with them)
    return lines.hstack(cells)


class CsvPieces:
    """The rows of a CSV stream (a ``feed.Feed``) as ``Piece`` frames of text cells,
    exactly as adcalc's reader reads them: polars parses each block of whole records it
    reads the same way (``survey``), adcalc's reader the others; ``header`` is read by
    adcalc's reader, before any row.  At most ``chunk_rows`` rows a piece."""

    def __init__(self, feed: Any, block: int = 0, chunk_rows: int | None = CHUNK_ROWS) -> None:
        from adcalc.batch.feed import BLOCK

        self.feed = feed
        self.variables: list[str] = []
        """The sweep's variables (``Points.read_for``): their cells are cast to doubles
        as they are read (``_parse``)."""
        self.doubles: list[str] | None = None
        """Set (``Points.read_for``) when the rows go back out as CSV: a plain block is
        then read as its lines and these columns' doubles (``plain``)."""
        self.block = block or BLOCK
        self.chunk_rows = chunk_rows or 1 << 62
        feed.fill(self.block)
        self.records = Records(feed)
        self.rows_in = iter(self.records)
        self.cells = read_header(self.rows_in)
        """The header's cells as they came, written back so (CSV to CSV)."""
        self.header = [h.strip() for h in self.cells]
        self.line = self.records.line

    def __iter__(self) -> Iterator[Piece]:
        feed, width, number, used = self.feed, len(self.header), 1, self.feed.used
        while True:
            feed.fill(self.block)
            if not feed.pending:
                return
            cut = record_end(feed.pending, feed.eof)
            chunk = feed.pending[:cut]
            lines = count(chunk, b"\n") + (not chunk.endswith(b"\n"))
            how = survey(chunk, width, lines) if cut else "rest"
            if how == "rest":  # adcalc's reader says where records end, to past this block
                for piece in self._python(self._until(feed.used + len(feed.pending)),
                                          number):
                    number += piece.frame.height
                    yield piece
                used = feed.used
                continue
            feed.take(cut)
            whole = chunk if chunk.endswith(b"\n") else chunk + b"\n"  # (polars takes an
            frame = None  # extra empty cell in a last record that has no new line)
            if how == "polars" and self.doubles is not None:
                frame = plain(whole, self.header, self.doubles)
            if frame is None and how == "polars":
                frame = self._parse(whole)
            stop = None
            if frame is None:
                records, pieces = Records(io.BytesIO(chunk), self.line), []
                try:
                    pieces.extend(self._python(iter(records), number))
                except InputError as exc:  # (the rows before a record that is not CSV
                    stop = exc  # go on, as they do from another block)
                self.line = records.line
            else:
                self.line += lines
                pieces = [Piece(number + k, frame.slice(k, self.chunk_rows))
                          for k in range(0, frame.height, self.chunk_rows)]
            for piece in pieces:
                number += piece.frame.height
            if pieces:  # (the bytes of a block of blank lines go with the next piece)
                pieces[-1].used = feed.used - used
                used = feed.used
            yield from pieces
            if stop is not None:
                raise stop

    def _until(self, end: int) -> Iterator[list[str]]:
        """The records adcalc's reader reads from the feed until it has handed on ``end``
        bytes (a block whose quotes are not well formed, or a record longer than a block):
        then the feed stands at a record's start, and polars reads on from there."""
        records = Records(self.feed, self.line)
        for record in records:
            self.line = records.line
            yield record
            if self.feed.used >= end:
                return
        self.line = records.line

    def _parse(self, chunk: bytes) -> Any:
        """A chunk's cells by polars, blank rows dropped, and the variables' cells cast to
        doubles (``CAST``); None where polars gives up.  A blank row's cells are all
        blank, a variable's too, which the cast reads as null: where no variable's cast is
        null there is no blank row to look for."""
        import polars as pl

        try:
            frame = pl.read_csv(chunk, has_header=False, schema=dict.fromkeys(
                self.header, pl.String), empty_string_is_null=False, raise_if_empty=False)
        except Exception:  # bytes that are not UTF-8, … : adcalc's reader says what
            return None
        casts = [frame.get_column(v).cast(pl.Float64, strict=False).alias(CAST + v)
                 for v in self.variables]
        if casts:
            frame = frame.hstack(casts)
            if not any(c.null_count() for c in casts):
                return frame
        first = frame.get_column(self.header[0])
        blank = first.str.strip_chars(SPACE).str.len_bytes() == 0
        if blank.any():
            for name in self.header[1:]:
                blank &= frame.get_column(name).str.strip_chars(SPACE).str.len_bytes() == 0
            frame = frame.filter(~blank)
        return frame

    def _python(self, records: Iterator[list[str]], number: int) -> Iterator[Piece]:
        """Pieces read by adcalc's own reader (rows of the wrong width cut or padded to
        the header's, and bad)."""
        import polars as pl

        used = self.feed.used
        for first, rows, bad in chunks(records, len(self.header), min(self.chunk_rows,
                                                                     CHUNK_ROWS), number):
            frame = pl.DataFrame({h: [r[k] for r in rows] for k, h in enumerate(self.header)},
                                 schema=dict.fromkeys(self.header, pl.String))
            yield Piece(first, frame, bad, self.feed.used - used)
            used = self.feed.used
