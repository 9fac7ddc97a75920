"""What the user hands over as text: ``@file``, ``-`` (standard input) and points files.

Everything is read as UTF-8 (a byte-order mark is dropped), with a bound on what is held
in memory, and every failure is an ``InputError`` that says what to do, never a
traceback: a missing or unreadable file, bytes that are not UTF-8, a closed standard
input, or input past the bound (``/dev/zero`` stops at the bound, it does not fill the
memory).
"""

from __future__ import annotations

import io
import sys
from typing import IO

from adcalc.errors import InputError

MAX_TEXT = 64 * 2**20
"""Characters of an expression or program read from ``@file`` or ``-`` (64 Mi; a random
expression of a million operations is about 12 MB), and of one line or one cell of a
points file."""


def stdin_text(what: str) -> IO[str]:
    """Standard input as UTF-8 text, universal new lines left to the caller."""
    stream = sys.stdin
    if stream is None or getattr(stream, "closed", False):
        raise InputError(f"standard input is closed: give {what} in a file instead of -")
    buffer = getattr(stream, "buffer", None)
    if buffer is None:  # already text (an embedding application's stream)
        return stream
    return io.TextIOWrapper(buffer, encoding="utf-8-sig", newline="")


def release_stdin(stream: IO[str]) -> None:
    """Let go of the text wrapper ``stdin_text`` made, leaving standard input open."""
    if stream is not sys.stdin and isinstance(stream, io.TextIOWrapper):
        stream.detach()


def open_text(path: str, what: str) -> IO[str]:
    try:
        return open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InputError(f"cannot read {what} {path}: {exc.strerror or exc}") from None


def read_bounded(stream: IO[str], what: str, limit: int = MAX_TEXT) -> str:
    """All of ``stream``, or an ``InputError`` past ``limit`` characters or at bad bytes."""
    try:
        text = stream.read(limit + 1)
    except UnicodeDecodeError as exc:
        raise not_utf8(what, exc) from None
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror or exc}") from None
    if len(text) > limit:
        raise InputError(f"{what} is longer than {limit:,} characters; adcalc reads at "
                         "most that much")
    return text


def read_source(source: str) -> str:
    """The program in ``@path`` or on standard input (``-``), else ``source`` itself."""
    if source == "-":
        stream = stdin_text("the expression")
        try:
            return read_bounded(stream, "the expression on standard input")
        finally:
            release_stdin(stream)
    if source.startswith("@"):
        path = source[1:]
        with open_text(path, "the expression file") as stream:
            return read_bounded(stream, f"the expression file {path}")
    return source


def not_utf8(what: str, exc: UnicodeDecodeError) -> InputError:
    bad = exc.object[exc.start:exc.start + 1].hex()
    return InputError(f"{what} is not UTF-8 text (byte 0x{bad} cannot be decoded); save it "
                      "as UTF-8")
