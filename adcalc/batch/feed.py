"""Bytes in, a block at a time, from a file or a pipe, and work done a step ahead.

Every format of points is read through a ``Feed``: plain ``read`` calls (never a memory
map, so what is held is the block being worked on, not the file), bounded, with what
has been read but not yet used kept in ``pending``.  On a pipe a block is handed on as
soon as the writer pauses (a slow producer's rows come out as they come), otherwise
when it is full.  ``ahead`` runs a generator one step ahead in a thread, so reading and
parsing the next block overlaps the sweep and the writing of this one.
"""

from __future__ import annotations

import os
import queue
import re
import threading
from collections.abc import Iterator
from typing import IO, Any, TypeVar

from adcalc.errors import InputError

BLOCK = 1 << 22
"""Bytes read and parsed at a time (4 MiB: about 110,000 rows of two doubles in CSV)."""

PAUSE = 0.02
"""Seconds a pipe may stay silent before the rows already read go on without it."""


class Feed:
    """The bytes of a stream of points: ``fill`` reads, ``take`` hands bytes on."""

    def __init__(self, stream: IO[bytes] | IO[str], what: str = "the points") -> None:
        self.stream = stream
        self.what = what
        self._buf = b""
        self._at = 0
        """What is pending is ``_buf[_at:]``: a line handed on moves ``_at``, so reading a
        big buffer a line at a time copies each byte once, not the rest per line."""
        self.eof = False
        self.used = 0
        """Bytes handed on so far (the progress bar's measure)."""
        self.fd: int | None = None
        self.pipe = False
        try:  # a descriptor: read it directly (nothing has read from its buffer before)
            import stat

            fd = stream.fileno()
            self.pipe = not stat.S_ISREG(os.fstat(fd).st_mode)
            self.fd = fd
            widen(fd)
        except (AttributeError, OSError, ValueError):
            self.fd = None  # a Python stream (tests, an embedding application)

    def _read(self, n: int) -> bytes:
        try:
            if self.fd is not None:
                return os.read(self.fd, n)
            data = self.stream.read(n)
        except OSError as exc:
            raise InputError(f"cannot read {self.what}: {exc.strerror or exc}") from None
        return data.encode("utf-8") if isinstance(data, str) else data

    @property
    def pending(self) -> bytes:
        """What has been read but not yet handed on."""
        if self._at:
            self._buf, self._at = self._buf[self._at:], 0
        return self._buf

    def fill(self, want: int, enough: bytes | None = b"\n") -> None:
        """Read until ``pending`` holds ``want`` bytes or the stream ends; on a pipe that
        pauses, stop early once ``enough`` (a record's end) has been read."""
        if len(self.pending) >= want or self.eof:
            return
        parts = [self.pending]
        size = len(self.pending)
        ready = enough is not None and enough in self.pending
        while size < want:
            if self.pipe and self.fd is not None:
                import select

                if ready and not select.select([self.fd], [], [], PAUSE)[0]:
                    break
            data = self._read(min(want - size, BLOCK) if self.pipe else want - size)
            if not data:
                self.eof = True
                break
            parts.append(data)
            size += len(data)
            ready = ready or (enough is not None and enough in data)
        self._buf = b"".join(parts)

    def take(self, n: int) -> bytes:
        at = self._at
        data = self._buf[at:at + n]
        self._at = at + len(data)
        if self._at == len(self._buf):
            self._buf, self._at = b"", 0
        self.used += len(data)
        return data

    def rest(self) -> Iterator[bytes]:
        """What is pending, then the rest of the stream, a block at a time."""
        while True:
            self.fill(BLOCK, None)
            if not self.pending:
                return
            yield self.take(len(self.pending))

    def readline(self, limit: int = -1) -> bytes:
        """A line, ended by ``\n``, ``\r\n`` or a lone ``\r`` (for adcalc's own CSV
        reader, which goes on from where this stands); at most ``limit`` bytes."""
        searched = 0  # bytes of what is pending known to hold no line's end
        while True:
            buf, at = self._buf, self._at
            found = _END.search(buf, at + searched)
            if found is not None and (found.end() < len(buf) or found.group() != b"\r"
                                      or self.eof):  # (a \r last: a \n may come next)
                n = found.end() - at
            else:
                n = len(buf) - at if self.eof else -1
            if n < 0 and 0 <= limit <= len(buf) - at:
                n = limit
            if n >= 0:
                return self.take(n if limit < 0 else min(n, limit))
            searched = max(0, len(buf) - at - 1)
            self.fill(max(2 * (len(buf) - at), 1 << 16), None)


_END = re.compile(rb"\r\n?|\n")
"""A line's end: ``\n``, ``\r\n`` or a lone ``\r``, as Python's ``newline=""`` reads."""


def widen(fd: int) -> None:
    """A pipe's buffer made 1 MiB, from Linux's 64 KiB (1 MiB is the most an unprivileged
    process may ask for: ``/proc/sys/fs/pipe-max-size``), so that a read or a write moves
    16 times as much at once and the other end wakes less often; where it cannot be, it
    stays as it is.  Anything but a pipe is left alone."""
    import contextlib
    import stat

    with contextlib.suppress(ImportError, OSError, AttributeError):
        if stat.S_ISFIFO(os.fstat(fd).st_mode):
            import fcntl

            fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)


T = TypeVar("T")


def ahead(items: Iterator[T], depth: int = 1) -> Iterator[T]:
    """``items``, made one step (``depth`` steps) ahead in a thread: the next block is
    read and parsed while this one is swept and written.  An error is raised where the
    item would have come; stopping early (an error, Ctrl-C, a closed pipe) ends the
    thread at its next step."""
    out: queue.Queue[Any] = queue.Queue(depth)
    stop = threading.Event()
    done = object()

    def send(message: tuple[Any, Any]) -> bool:
        while not stop.is_set():
            try:
                out.put(message, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for item in items:
                if not send((None, item)):
                    return
            send((None, done))
        except BaseException as exc:  # handed to the consumer, raised there
            send((exc, None))

    thread = threading.Thread(target=run, name="adcalc-read", daemon=True)
    thread.start()
    try:
        while True:
            error, item = out.get()
            if error is not None:
                raise error
            if item is done:
                return
            yield item
    finally:  # the thread ends its step (polars' threads with it) before Python exits
        stop.set()
        thread.join(timeout=2)
