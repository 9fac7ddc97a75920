"""Arrow IPC, a message at a time: an Arrow stream (or the stream inside an Arrow file)
read one record batch after another from a pipe or a file, and frames written one after
another as a single stream that polars, pyarrow or DuckDB read from a pipe.

The format (arrow.apache.org/docs/format/Columnar.html#serialization-and-interprocess-
communication-ipc): each message is the continuation marker ``0xFFFFFFFF``, the length of
its metadata, the metadata (a flatbuffer ``Message`` that gives the length of the body)
and the body; the schema comes first, dictionaries before the batches that use them, and
``0xFFFFFFFF 0x00000000`` ends the stream.  An Arrow file is ``ARROW1``, two bytes of
padding, such a stream, and a footer.  polars reads each batch as a stream of its own
(the schema, the dictionaries so far, the batch), so no more than a batch is held.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from typing import Any

from adcalc.batch.csv_in import check_names
from adcalc.errors import InputError

CONTINUATION = b"\xff\xff\xff\xff"
END = CONTINUATION + b"\0\0\0\0"
FILE_MAGIC = b"ARROW1"
SCHEMA, DICTIONARY, RECORD_BATCH = 1, 2, 3
MAX_MESSAGE = 1 << 31
"""Bytes of one message (a record batch) held at most: 2 GiB."""


def header_and_body(meta: bytes) -> tuple[int, int]:
    """The kind of a message (its ``header_type``) and the length of its body, read from
    its flatbuffer: the root table, its vtable, fields 1 and 3."""
    root = struct.unpack_from("<I", meta, 0)[0]
    vtable = root - struct.unpack_from("<i", meta, root)[0]
    size = struct.unpack_from("<H", meta, vtable)[0]

    def field(k: int) -> int:
        at = 4 + 2 * k
        return struct.unpack_from("<H", meta, vtable + at)[0] if at + 2 <= size else 0

    kind, body = field(1), field(3)
    return (meta[root + kind] if kind else 0,
            struct.unpack_from("<q", meta, root + body)[0] if body else 0)


Fields = list[tuple[str, "Fields"]]
"""Each column's name and its children's (a struct's fields, a list's item)."""


def field_names(message: bytes) -> Fields:
    """The columns a schema message (continuation marker and length first) declares:
    Message.header → Schema.fields → each Field's name and children, read from the
    flatbuffer (polars panics on a name given twice: it is refused before polars sees
    it)."""
    start = 8 if message.startswith(CONTINUATION) else 4
    return _fields(message[start:], 2)


def file_field_names(path: str) -> Fields:
    """The columns an Arrow file declares in its footer (Footer.schema), which every
    writer writes, whatever it writes at the start."""
    import os

    try:
        with open(path, "rb") as f:
            f.seek(-10, os.SEEK_END)
            tail = f.read(10)
            length = struct.unpack_from("<i", tail, 0)[0]
            if tail[4:] != FILE_MAGIC or not 0 < length <= MAX_MESSAGE:
                return []
            f.seek(-10 - length, os.SEEK_END)
            return _fields(f.read(length), 1)
    except (OSError, struct.error):
        return []  # (polars says what is wrong with it)


def check_fields(fields: Fields, what: str) -> None:
    """Refuse a name given twice among a schema's columns, or among the children of any
    column (a struct's fields), at any depth."""
    stack = [(fields, what)]
    while stack:
        level, where = stack.pop()
        check_names([name for name, _ in level], where)
        stack += [(children, f"{where}, inside column {name!r}")
                  for name, children in level if children]


def _fields(meta: bytes, schema_field: int) -> Fields:
    """The fields of the Schema table at field ``schema_field`` of a flatbuffer's root
    table, children and all ([] where it holds none that can be read)."""

    def slot(table: int, k: int) -> int:  # where field k of a table is, 0 if absent
        vtable = table - struct.unpack_from("<i", meta, table)[0]
        size = struct.unpack_from("<H", meta, vtable)[0]
        at = 4 + 2 * k
        offset = struct.unpack_from("<H", meta, vtable + at)[0] if at + 2 <= size else 0
        return table + offset if offset else 0

    def follow(at: int) -> int:  # an offset to a table, vector or string
        return at + struct.unpack_from("<I", meta, at)[0]

    def name_of(field: int) -> str:
        at = slot(field, 0)  # Field.name
        if not at:
            return ""
        text = follow(at)
        length = struct.unpack_from("<I", meta, text)[0]
        return meta[text + 4:text + 4 + length].decode("utf-8", "replace")

    top: Fields = []
    try:
        schema = slot(follow(0), schema_field)
        vectors = [(slot(follow(schema), 1) if schema else 0, top)]  # Schema.fields
        budget = 1 << 16  # (fields read at most: a schema is not a maze)
        while vectors:
            at, into = vectors.pop()
            if not at:
                continue
            vector = follow(at)
            for k in range(struct.unpack_from("<I", meta, vector)[0]):
                budget -= 1
                if budget < 0:
                    return top
                field = follow(vector + 4 + 4 * k)
                children: Fields = []
                into.append((name_of(field), children))
                vectors.append((slot(field, 5), children))  # Field.children
    except (struct.error, IndexError):
        return []  # (not a schema polars reads either: it says what is wrong)
    return top


def schema_message(stream: Iterator[tuple[int, bytes]], what: str) -> bytes:
    """The first message of an Arrow stream or file (``messages``): its schema."""
    first = next(stream, None)
    if first is None or first[0] != SCHEMA:
        raise InputError(f"cannot read {what} as an Arrow IPC stream: it does not start "
                         "with a schema")
    return first[1]


def messages(feed: Any, what: str) -> Iterator[tuple[int, bytes]]:
    """(kind, bytes) of each message of the stream on ``feed`` (an Arrow file's magic
    skipped), to the end of the stream."""
    feed.fill(8, None)
    if feed.pending.startswith(FILE_MAGIC):
        feed.take(8)
    while True:
        feed.fill(8, None)
        head = feed.pending[:8]
        if len(head) < 4:
            if head:
                break
            return  # no end marker: the stream just ends, as some writers leave it
        start = 8 if head.startswith(CONTINUATION) else 4  # (before Arrow 0.15: no marker)
        if len(head) < start:
            break
        length = struct.unpack_from("<i", head, start - 4)[0]
        if length == 0:  # the end marker: nothing may follow it (``cat a b |``)
            feed.take(start)
            feed.fill(1, None)
            if feed.pending:
                raise InputError(
                    f"cannot read {what} as one Arrow stream: more follows the end of the "
                    f"stream at byte {feed.used:,} (two streams one after another?): run "
                    "adcalc on each, or write them as one stream")
            return
        if not 0 < length <= MAX_MESSAGE:
            break
        feed.fill(start + length, None)
        try:
            kind, body = header_and_body(feed.pending[start:start + length])
        except struct.error:
            break
        if not 0 <= body <= MAX_MESSAGE:
            break
        feed.fill(start + length + body, None)
        if len(feed.pending) < start + length + body:
            break
        yield kind, feed.take(start + length + body)
    raise InputError(f"cannot read {what} as an Arrow IPC stream: a message is cut short "
                     "or is not one")


def frames(feed: Any, what: str) -> tuple[Any, Iterator[Any]]:
    """The schema (an empty frame) and an iterator over the record batches as frames."""
    import polars as pl

    stream = messages(feed, what)
    schema = schema_message(stream, what)
    check_fields(field_names(schema), what)
    try:
        empty = pl.read_ipc_stream(io.BytesIO(schema + END))
    except (Exception, pl.exceptions.PanicException) as exc:
        raise InputError(f"cannot read {what} as an Arrow stream: {exc}") from None

    def batches() -> Iterator[Any]:
        dictionaries: list[bytes] = []
        for kind, message in stream:
            if kind == DICTIONARY:
                dictionaries.append(message)
            elif kind == RECORD_BATCH:
                data = b"".join([schema, *dictionaries, message, END])
                try:
                    yield pl.read_ipc_stream(io.BytesIO(data))
                except (Exception, pl.exceptions.PanicException) as exc:
                    raise InputError(f"cannot read {what} as an Arrow stream: "
                                     f"{exc}") from None

    return empty, batches()


def compat(pl: Any) -> Any:
    """The Arrow types adcalc writes: polars' oldest level, text as ``large_string``
    (offsets and bytes), which every Arrow reader reads (pyarrow before 16, DuckDB before
    1.1 and arrow-rs before 50 read no ``string_view``, polars' own default), and which
    polars writes 2.4 times as fast (10^6 rows of two text columns and three doubles:
    84 ms against 204, 76 MB against 92)."""
    return pl.CompatLevel.oldest()


class StreamWriter:
    """Frames of one schema written one after another as a single Arrow IPC stream: the
    first with its schema, each after it as its record batches alone, ``end`` the end
    marker."""

    def __init__(self) -> None:
        self.started = False

    def encode(self, frame: Any) -> bytes:
        import polars as pl

        buffer = io.BytesIO()
        frame.write_ipc_stream(buffer, compat_level=compat(pl))
        data = buffer.getbuffer()  # (the bytes kept are copied once, not twice)
        end = len(data) - len(END) if data[-len(END):] == END else len(data)
        start = 0
        if self.started:  # the schema message (no body) only once, first
            start = 8 + struct.unpack_from("<i", data, 4)[0]
        self.started = True
        return data[start:end].tobytes()

    def end(self, empty: Any) -> bytes:
        """The end marker (after the schema, from ``empty``, if nothing came before)."""
        return (b"" if self.started else self.encode(empty)) + END
