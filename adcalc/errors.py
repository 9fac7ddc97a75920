"""One exception family: every error carries what the user needs to fix the input.

Library code raises these; only the CLI prints them and chooses the exit code
(1 for math and check failures, 2 for usage and parse errors).
"""

from __future__ import annotations


class AdcalcError(Exception):
    """Base of all adcalc errors; ``str(err)`` is the one-paragraph message."""

    exit_code = 1


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


_FLAGS = {"point": "--at", "variables": "--vars", "seed": "--seed", "wrt": "--wrt",
          "direction": "--dir", "cotangent": "--cot", "mode": "--mode", "of": "--of"}
_SPELLING = {"cli": False}


def option(parameter: str) -> str:
    """How a message names an input: the command line's flag (``--at``) while a command
    runs, the Python argument (``point``) when the API is called."""
    return _FLAGS[parameter] if _SPELLING["cli"] else parameter


def spell_options_as_flags(on: bool) -> None:
    """The CLI turns this on for the duration of a command."""
    _SPELLING["cli"] = on


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
