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
        self.pending = b""
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
        self.pending = b"".join(parts)

    def take(self, n: int) -> bytes:
        data, self.pending = self.pending[:n], self.pending[n:]
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
        """A line (for adcalc's own CSV reader, which goes on from where this stands)."""
        start = 0
        while True:
            end = self.pending.find(b"\n", start)
            if end >= 0 or self.eof or 0 <= limit <= len(self.pending):
                n = len(self.pending) if end < 0 else end + 1
                return self.take(n if limit < 0 else min(n, limit))
            start = len(self.pending)
            self.fill(max(2 * start, 1 << 16), None)


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
