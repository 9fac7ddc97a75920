"""A Python function as a program with control flow: traced at each point, as a program
of the expression language is (``Program.trace``), for a batch of points.

``--python FILE:FUNCTION --points DATA`` sweeps a function whose comparisons of traced
values branch (``if x > y:``, ``while y > 1e-8:``) row by row on each row's own path,
exactly as ``adcalc.batch.paths`` sweeps a program's: the function is run (traced) at a
row not yet placed, its recorded decisions (``Tape.decisions``) are the guard of its
tape, every row on which they all come out the same is swept with that tape, and the
function runs again at a row left.  A row's numbers are those of the scalar path
(``--python … --at`` the row): its tape is the one the function traces there.

The text of such a program is a ``Source``: ``parse_program`` gives back the program it
carries, so whatever takes an expression's text takes it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from adcalc.engine.tape import Tape
from adcalc.frontend.program import Program
from adcalc.frontend.tracer import max_steps as steps_bound


class Source(str):
    """The text of a program read already: ``parse_program`` returns its ``program``."""

    program: Program

    def __new__(cls, text: str, program: Program) -> Source:
        out = super().__new__(cls, text)
        out.program = program
        return out

    def __reduce__(self) -> Any:
        return (Source, (str(self), self.program))


Traced = tuple[Tape, Tape]
"""A trace of the function: the tape of what it returns (decisions and warnings with
it, as ``outputs_tape`` makes it) and the recording's whole tape (decisions numbered
on it)."""


class FunctionProgram(Program):
    """A Python function's program: ``trace(point)`` runs it there (``run(point)`` gives
    what it traced); its variables are its ``parameters``, all of them."""

    def __init__(self, name: str, parameters: Sequence[str],
                 run: Callable[[Mapping[str, float]], Traced]) -> None:
        self.text = name
        self.mentioned = dict.fromkeys(parameters)
        self.breaks: list[int] = []
        self.exact = False
        self.code: list[tuple] = []
        self.parameters = list(parameters)
        self.run = run

    def trace(self, point: Mapping[str, float], *, max_steps: int | None = None,
              exact: bool | None = None, outcomes: Sequence[bool] | None = None) -> Tape:
        """The tape of the path the function takes at ``point`` (a given ``outcomes``
        is not followed: the function decides its own comparisons)."""
        return self.trace_path(point, max_steps)[0]

    def trace_path(self, point: Mapping[str, float], max_steps: int | None = None
                   ) -> tuple[Tape, Tape, int, list[int]]:
        """The tape at ``point``; the whole recording's tape; how far its guard goes
        (the last node a decision compares, and one more); and the guard's nodes that
        must have values there (those the comparisons read: a traced function leaves
        a value it never reads undefined without failing)."""
        with steps_bound(max_steps):
            tape, full = self.run(point)
        reached = 1 + max((max(d.left, d.right) for d in full.decisions), default=-1)
        need = [False] * reached
        for d in full.decisions:
            need[d.left] = need[d.right] = True
        ops, a0, a1 = full.ops, full.a0, full.a1
        for i in range(reached - 1, -1, -1):
            if need[i] and ops[i] >= 0:
                need[a0[i]] = True
                if a1[i] >= 0:
                    need[a1[i]] = True
        return tape, full, reached, [i for i in range(reached) if need[i] and ops[i] >= 0]
