"""What the user hands over as text: ``@file``, ``-`` (standard input) and points files.

Everything is read as bytes and decoded as UTF-8 (a byte-order mark is dropped), with a
bound on what is held in memory, and every failure is an ``InputError`` that says what
to do, never a traceback: a missing or unreadable file, bytes that are not UTF-8 (with
where they are), a closed standard input, or input past the bound (``/dev/zero`` stops
at the bound, it does not fill the memory).
"""

from __future__ import annotations

import codecs
import sys
from typing import IO

from adcalc.errors import InputError

MAX_TEXT = 64 * 2**20
"""Bytes of an expression or program read from ``@file`` or ``-`` (64 MiB; a random
expression of a million operations is about 6 MB), and of one line of a points file."""


def stdin_bytes(what: str) -> IO[bytes]:
    """Standard input as bytes, or a message if it is closed."""
    stream = sys.stdin
    if stream is None or getattr(stream, "closed", False):
        raise InputError(f"standard input is closed: give {what} in a file instead of -")
    buffer = getattr(stream, "buffer", None)
    if buffer is None:  # a text stream without bytes beneath (an embedding application)
        raise InputError(f"standard input has no bytes to read: give {what} in a file")
    return buffer


def open_bytes(path: str, what: str) -> IO[bytes]:
    try:
        return open(path, "rb")
    except OSError as exc:
        raise InputError(f"cannot read {what} {path}: {exc.strerror or exc}") from None


def read_bounded(stream: IO[bytes], what: str, limit: int = MAX_TEXT) -> str:
    """All of ``stream`` as text with ``\\n`` new lines, or an ``InputError`` past ``limit``
    bytes or at bytes that are not UTF-8."""
    try:
        data = stream.read(limit + 1)
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise InputError(f"{what} is longer than {limit:,} bytes; adcalc reads at most that "
                         "much")
    return decode(data, what).replace("\r\n", "\n").replace("\r", "\n")


def decode(data: bytes, what: str, first: bool = True) -> str:
    """UTF-8 bytes as text (a leading byte-order mark dropped when ``first``)."""
    if first and data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{what} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
                         f"{exc.start} cannot be decoded); save it as UTF-8") from None


def read_source(source: str) -> str:
    """The program in ``@path`` or on standard input (``-``), else ``source`` itself."""
    if source == "-":
        return read_bounded(stdin_bytes("the expression"), "the expression on standard input")
    if source.startswith("@"):
        path = source[1:]
        with open_bytes(path, "the expression file") as stream:
            return read_bounded(stream, f"the expression file {path}")
    return source
