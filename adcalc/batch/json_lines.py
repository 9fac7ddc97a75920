"""JSON Lines points, from a file or a pipe alike, a block of whole lines at a time.

polars reads each block (``read_ndjson``); the first block gives the columns and their
types, and each later block is held to them: a value they do not hold, or a key the
rows before do not have, stops the run with a message naming its row, in the words of
JSON (``'s7' is not Int64``), never in polars' (``strict_cast``).  Where polars cannot
read a block at all, Python's ``json`` finds the line or row that is at fault.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import suppress
from typing import Any

from adcalc.batch.feed import BLOCK, Feed
from adcalc.errors import InputError

ADVICE = ("(the types of JSON Lines are those of the first block of lines: write 1.0, not "
          "1, in a column of doubles)")


def frames(pl: Any, feed: Feed, what: str, block: int) -> tuple[dict[str, Any], Iterator[Any]]:
    """The columns (name → polars type) of the JSON Lines in ``feed`` and an iterator
    over their frames, a block of about ``block`` bytes (0: ``BLOCK``) each; a line is at
    most ``MAX_TEXT`` bytes, and a byte-order mark first is dropped."""
    from adcalc.frontend.inputs import MAX_TEXT

    state = {"lines": 0, "rows": 0}

    def blocks() -> Iterator[bytes]:
        feed.fill(3, None)
        if feed.pending.startswith(b"\xef\xbb\xbf"):
            feed.take(3)
        while True:
            feed.fill(block or BLOCK)
            end = len(feed.pending) if feed.eof else feed.pending.rfind(b"\n") + 1
            while not end and not feed.eof:
                if len(feed.pending) > MAX_TEXT:
                    raise InputError(f"line {state['lines'] + 1:,} of the points is longer "
                                     f"than {MAX_TEXT:,} bytes")
                feed.fill(min(2 * len(feed.pending), MAX_TEXT + 1))
                end = len(feed.pending) if feed.eof else feed.pending.rfind(b"\n") + 1
            if not feed.pending:
                return
            yield feed.take(end)

    def read(data: bytes) -> Any:
        try:
            return pl.read_ndjson(io.BytesIO(data), infer_schema_length=None)
        except (Exception, pl.exceptions.PanicException) as exc:
            raise InputError(_not_json(data, state["lines"], state["rows"], what, exc)
                             ) from None

    chunks = blocks()
    data = next(chunks, b"")
    first = read(data)
    schema = dict(first.schema)
    state["lines"] += data.count(b"\n")

    def held(frame: Any, data: bytes) -> Any:
        """A later block's frame in the first block's columns and types."""
        extra = [c for c in frame.columns if c not in schema]
        if extra:  # (the row that has it, a null value too: polars' column may be all null)
            rows = [row for _, row, value in _objects(data) if extra[0] in value]
            raise InputError(f"{what}: row {state['rows'] + rows[0] + 1:,} has a key "
                             f"{extra[0]!r} that the rows before do not have")
        frame = frame.select(pl.col(c) if c in frame.columns else pl.lit(None, t).alias(c)
                             for c, t in schema.items())
        for c, t in schema.items():
            column = frame.get_column(c)
            if column.dtype == t:
                continue
            lost = _lost(column, t)
            nested = t.is_nested() and _misfit(data, c, t)  # (a field gained, null: lost too)
            if lost is not None or nested:
                row, value = nested or _misfit(data, c, t) or (
                    lost, column.slice(lost, 1).to_list()[0])
                raise InputError(f"{what}: row {state['rows'] + row + 1:,}, column {c!r}: "
                                 f"{value!r} is not {t}, the type the first "
                                 f"{first.height:,} rows give the column {ADVICE}")
            try:
                frame = frame.with_columns(column.cast(t, strict=False).alias(c))
            except Exception:  # (held, by _lost's measure, but not cast: say which rows)
                raise InputError(f"{what}: column {c!r} of rows {state['rows'] + 1:,} to "
                                 f"{state['rows'] + frame.height:,} is not {t}, the type "
                                 f"the first {first.height:,} rows give the column") from None
        return frame

    def later() -> Iterator[Any]:
        state["rows"] = first.height
        yield first
        for data in chunks:
            frame = held(read(data), data)
            state["lines"] += data.count(b"\n")
            state["rows"] += frame.height
            yield frame

    return schema, later()


def _lost(column: Any, dtype: Any) -> int | None:
    """The first row whose value ``dtype`` does not hold as it is (1.5 as an Int64, text
    as a number, a long Int64 as a double), None if it holds them all."""
    try:
        cast = column.cast(dtype, strict=False)
        back = cast.cast(column.dtype, strict=False)
        lost = (column.is_not_null() & (cast.is_null() | (back != column).fill_null(True)))
        rows = lost.arg_true()
    except Exception:
        return 0
    return int(rows[0]) if rows.len() else None


def _objects(data: bytes) -> Iterator[tuple[int, int, Any]]:
    """(line, row, value) of each line of a block of JSON Lines that is not blank,
    numbered from 0, read by Python's ``json`` (which raises ``ValueError`` where a line
    is not JSON, or holds ``NaN``, ``Infinity`` or a number beyond a double, which
    polars does not read either)."""
    import json
    import math

    def constant(name: str) -> Any:
        raise ValueError(f"{name} is not a JSON number")

    def finite(text: str) -> float:
        value = float(text)
        if math.isinf(value):
            raise ValueError(f"{text} is beyond the largest double")
        return value

    row = 0
    for k, line in enumerate(data.split(b"\n")):
        if line.strip():
            yield k, row, json.loads(line, parse_constant=constant, parse_float=finite)
            row += 1


def _kind(value: Any) -> str | None:
    """What a JSON value is, as a column's type sees it (an integer is a number)."""
    if value is None:
        return None
    return {bool: "true or false", int: "a number", float: "a number", str: "text",
            list: "a list", dict: "an object"}.get(type(value), "a value")


def _holds(dtype: Any, value: Any) -> bool:
    """Whether a column of ``dtype`` holds the JSON ``value`` as it is: null anywhere,
    an integer where integers are, a number where doubles are, a list of values its
    inner type holds, an object whose keys are the struct's fields (or some of them);
    a type not known here holds whatever comes."""
    if value is None:
        return True
    name = type(dtype).__name__
    if name == "Null":
        return False
    if dtype.is_integer():
        return type(value) is int
    if dtype.is_float():
        return type(value) in (int, float)
    if name in ("Boolean", "String"):
        return type(value) is {"Boolean": bool, "String": str}[name]
    if name in ("List", "Array"):
        return type(value) is list and all(_holds(dtype.inner, v) for v in value)
    if name == "Struct":
        fields = {f.name: f.dtype for f in dtype.fields}
        return type(value) is dict and all(k in fields and _holds(fields[k], v)
                                           for k, v in value.items())
    return True


def _misfit(data: bytes, column: str, dtype: Any) -> tuple[int, Any] | None:
    """The first row of a block whose value in ``column`` a column of ``dtype`` does not
    hold (text where numbers are, 1.5 where integers are), and the value; ``None`` if
    none is plainly so."""
    with suppress(ValueError):
        for _, row, value in _objects(data):
            v = value.get(column) if isinstance(value, dict) else None
            if not _holds(dtype, v):
                return row, v
    return None


def _not_json(data: bytes, before: int, rows: int, what: str, exc: Exception) -> str:
    """Why a block of JSON Lines cannot be read: the first line that is not a JSON
    object, or the first row whose value in a column is of another kind than the rows'
    before it (``rows`` before this block), or polars' reason in its own words."""
    seen: dict[str, tuple[str, int]] = {}
    lines = iter(_objects(data))
    k = before
    while True:
        try:
            found = next(lines, None)
        except ValueError as error:
            return f"line {k + 1:,} of {what} is not JSON: {error}"
        if found is None:
            break
        line, row, value = found
        k = before + line + 1
        if not isinstance(value, dict):
            return f"line {k:,} of {what} is not a JSON object ({_kind(value)})"
        for key, v in value.items():
            kind = _kind(v)
            if kind is None:
                continue
            first = seen.setdefault(key, (kind, row))
            if first[0] != kind:
                return (f"{what}: row {rows + row + 1:,}, column {key!r}: {v!r} is {kind}, "
                        f"where row {rows + first[1] + 1:,} holds {first[0]}")
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"cannot read {what} as JSON Lines: {reason}"
