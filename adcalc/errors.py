"""One exception family: every error carries what the user needs to fix the input.

Library code raises these; only the CLI prints them and chooses the exit code
(1 for math and check failures, 2 for usage and parse errors).

An error names the *parameter* it is about, never a flag: ``param("point")`` puts a
marker in the message (``{point}``, or ``{mode=forward}`` with a value), which
``str(err)`` spells as the Python API names it (``point``, ``mode='forward'``) and the
CLI, through ``err.spelled(FLAGS)``, as its flags (``--at``, ``--mode forward``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

PARAMETERS = ("point", "variables", "seed", "wrt", "direction", "cotangent", "mode", "of",
              "exact", "digits", "check", "order", "points", "max_steps", "python", "engine",
              "overwrite", "strict", "source_format", "target_format", "what", "name")
"""The parameters a message may name (each a keyword of the Python API: ``digits`` is the
command line's ``--precision``; ``source_format``/``target_format`` its
``--input-format``/``--output-format``)."""

API_NAMES = {"engine=dask": "sweep_dataset"}
"""Markers the Python API spells otherwise than as a keyword: its Dask engine is a
function of its own, not a keyword's value."""

_MARKERS: list[re.Pattern[str]] = []


def _marker() -> re.Pattern[str]:
    """The markers' pattern, compiled when a message is first spelled (not at start-up)."""
    if not _MARKERS:
        _MARKERS.append(re.compile(r"\{(" + "|".join(PARAMETERS) + r")(?:=([^{}]*))?\}"))
    return _MARKERS[0]


def param(name: str, value: str | None = None) -> str:
    """A marker for parameter ``name`` (with the ``value`` it should take) in a message."""
    assert name in PARAMETERS, name
    return "{" + name + ("" if value is None else "=" + value) + "}"


def spell(message: str, flags: Mapping[str, str] | None = None) -> str:
    """``message`` with its parameter markers spelled: as the API's keywords, or as
    ``flags`` (parameter → flag) name them."""
    def one(m: re.Match[str]) -> str:
        name, value = m.group(1), m.group(2)
        if flags is not None:
            flag = flags.get(name, name)
            return flag if value is None else f"{flag} {value}"
        if m.group(0)[1:-1] in API_NAMES:
            return API_NAMES[m.group(0)[1:-1]]
        if value is None:
            return name
        if "=" in value:  # an entry of a mapping: point={'y': …}
            key, _, v = value.partition("=")
            return f"{name}={{{key!r}: {v}}}"
        return f"{name}={value!r}"
    return _marker().sub(one, message)


class AdcalcError(Exception):
    """Base of all adcalc errors; ``str(err)`` is the one-paragraph message, its
    parameters spelled as the Python API names them."""

    exit_code = 1

    @property
    def message(self) -> str:
        """The message as raised, parameter markers and all."""
        return str(self.args[0]) if self.args else ""

    @property
    def parameters(self) -> list[str]:
        """The parameters the message names, in order."""
        return list(dict.fromkeys(m.group(1) for m in _marker().finditer(self.message)))

    def spelled(self, flags: Mapping[str, str] | None = None) -> str:
        return spell(self.message, flags)

    def __str__(self) -> str:
        return self.spelled()


class ParseError(AdcalcError):
    """The expression does not follow the grammar, or names an unknown function."""

    exit_code = 2

    def __init__(self, message: str, text: str = "", pos: int | None = None) -> None:
        self.text = text
        self.pos = pos
        super().__init__(message + caret(text, pos))


class InputError(AdcalcError):
    """A problem with the point, the variables or another option (a usage error)."""

    exit_code = 2


class DomainError(AdcalcError):
    """A primitive was evaluated (or differentiated) outside its domain."""

    exit_code = 1

    def __init__(self, message: str, node: str | None = None) -> None:
        self.node = node
        super().__init__(message)


class OutputError(AdcalcError):
    """The output could not be written (a full disk, a file-size limit, a closed pipe)."""

    exit_code = 1


class CheckFailed(AdcalcError):
    """A finite-difference check disagreed with the AD result."""

    exit_code = 1


def caret(text: str, pos: int | None) -> str:
    """The line of ``text`` holding offset ``pos`` (0-based), a caret under it.

    Long lines are cut to a window around the position so the caret stays visible.
    """
    if not text or pos is None:
        return ""
    line_start = text.rfind("\n", 0, pos) + 1
    line_end = text.find("\n", line_start)
    line = text[line_start : line_end if line_end >= 0 else len(text)].replace("\t", " ")
    col = pos - line_start
    width = 72
    if len(line) > width:
        start = max(0, min(col - width // 2, len(line) - width))
        prefix = "..." if start else ""
        suffix = "..." if start + width < len(line) else ""
        line = prefix + line[start : start + width] + suffix
        col = col - start + len(prefix)
    return f"\n  {line}\n  {' ' * col}^"


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP (``kill``, ``timeout``, a closed terminal) during a batch, raised
    as Ctrl-C is, so that the same clean-up runs (no partial file of ``-o`` stays; a
    file on standard output keeps whole rows); the exit code is 128 + the signal's."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
