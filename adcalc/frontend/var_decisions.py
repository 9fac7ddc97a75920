"""Branches on traced values: comparisons of ``Var``s are Python bools, each a decision.

``x > y`` on ``Var``s (or a ``Var`` and a number) compares the current values, as PyTorch
does, and records a ``Decision`` on the tape (``Tape.decisions``, as a program of the
expression language records its ``if``s and ``while``s): the compared nodes (a number
becomes a literal node), the comparison, the outcome, a label naming the line of the
user's code (``model.py:12: x > y``), and ``boundary`` when both sides are equal (the
derivative is then that of the path taken: a warning, as for ``abs`` at 0).

The decisions are guards:

* ``adcalc.grad(f)`` keeps the tapes it traced; at a new point it sweeps a kept tape and
  reuses it only if every decision comes out the same there (``Tape.on_path``), and runs
  ``f`` again otherwise.  A function that reads a traced value's number (``x.value``) is
  traced again at every call.
* After ``w.value = …`` (a new *epoch* of the recording), a value made after a decision
  of its epoch is checked when it is read or used (``refresh``): if a decision now comes
  out otherwise, the value belongs to the branch not taken any more, and reading it
  raises a ``TracingError`` naming the line; otherwise its decisions are recorded again
  in the new epoch.  (A ``Var`` made *before* a comparison and then merely chosen by it,
  ``y if x > 0 else -y`` with ``y`` older, cannot be told from ``y``: functions traced
  whole, ``trace`` and ``adcalc.grad(f)``, guard every decision they made.)
"""

from __future__ import annotations

import functools
import inspect
import linecache
import math
import numbers
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from adcalc.engine.decisions import COMPARISONS, Decision
from adcalc.engine.primitives import CONST, INPUT
from adcalc.engine.tape import Tape
from adcalc.errors import DomainError
from adcalc.frontend.tracer import function_too_long
from adcalc.frontend.tracing import (
    Recording,
    TracingError,
    Var,
    _number,
    _operands_of,
    new_recording,
)

MAX_PATHS = 16
"""The traced tapes (paths) ``adcalc.grad(f)`` keeps, the most recently used first."""

_OURS = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
"""adcalc's own files: a comparison's label names the first frame outside them."""


def as_number(x: Var, f: Callable[..., Any], *args: Any) -> Any:
    """``float(x)``, ``int(x)``, ``round(x, n)``, ``math.floor(x)``, … of a ``Var``: of its
    value; inside a traced function a ``TracingError``, as the number cuts the derivative
    (a whole number's is 0 where it has one, and none at the jumps)."""
    if x.rec.strict_floats:
        name = f"math.{f.__name__}" if f in (math.trunc, math.floor, math.ceil) else f.__name__
        raise TracingError(f"{name}() of a traced value inside a traced function cuts its "
                           "derivative (math.sin(x) does this too): use adcalc's functions "
                           "(adcalc.sin, adcalc.exp, …), or x.value to mean the number on "
                           "purpose")
    return f(x.value, *args)


# -- a comparison -------------------------------------------------------------------------
def decide(left: Any, op: str, right: Any, truth: bool = False) -> bool:
    """``left op right`` from the current values (one side a ``Var``), recorded as a
    decision on its tape; ``truth``: ``bool(x)``, recorded as ``x != 0``.  A side that is
    not a number gives ``NotImplemented`` (``x == None`` is False, as in Python)."""
    for side in (left, right):
        if isinstance(side, bool) or not isinstance(side, Var | numbers.Real):
            return NotImplemented
    rec: Recording = (left if isinstance(left, Var) else right).rec
    rec.compared += 1
    if rec.compared > rec.limit:  # a while that never ends, even making no new rows
        raise function_too_long(rec.limit, compared=True)
    a, b = _side(rec, left), _side(rec, right)
    va = rec.value(a) if a is not None else float(left)
    vb = rec.value(b) if b is not None else float(right)
    outcome = COMPARISONS[op](va, vb)
    tape = rec.tape
    if a is None or b is None or (tape.is_const(a) and tape.is_const(b)):
        return outcome  # against ±inf or NaN, or two numbers: the same at every point
    if (a, op, b) in rec.decided:
        return outcome
    where, line, segment = _source(sys._getframe(1))
    count = rec.seen[where] = rec.seen.get(where, 0) + 1
    label = f"{line}: {segment}" if segment else line
    comparison = (f"{segment} != 0" if truth else segment) if segment else (
        f"{_name(rec, a)} {op} {_name(rec, b)}")
    rec.add_decision(Decision(a, op, b, outcome, label, comparison,
                              f"evaluation {count}" if count > 1 else "",
                              where[1] if where else -1, va == vb))
    return outcome


def _side(rec: Recording, x: Any) -> int | None:
    """``x`` as a node of the tape (checked fresh), or ``None`` for ±inf or NaN."""
    if not isinstance(x, Var) and not math.isfinite(x):
        return None
    return _operands_of(rec, x)


def _name(rec: Recording, node: int) -> str:
    tape = rec.tape
    if tape.ops[node] == INPUT:
        return tape.input_name[node]
    return repr(tape.consts[node]) if tape.ops[node] == CONST else "a traced value"


def _source(frame: Any) -> tuple[Any, str, str]:
    """The place of the user's code that compared: a key, ``file.py:12``, and the text of
    the comparison there (``x > y``; the whole line when Python does not say)."""
    numpy = sys.modules.get("numpy")
    skip = (_OURS, os.path.dirname(numpy.__file__) + os.sep) if numpy else (_OURS,)
    while frame is not None and frame.f_code.co_filename.startswith(skip):
        frame = frame.f_back
    if frame is None:  # pragma: no cover - a comparison made by adcalc itself
        return None, "adcalc", ""
    return _place(frame.f_code, frame.f_lasti, frame.f_lineno)


@functools.lru_cache(maxsize=4096)
def _place(code: Any, lasti: int, lineno: int) -> tuple[Any, str, str]:
    try:
        line, end_line, col, end_col = list(code.co_positions())[lasti // 2]
    except (IndexError, ValueError):  # pragma: no cover - Python without positions
        line = end_line = col = end_col = None
    line = line or lineno
    text = linecache.getline(code.co_filename, line)
    segment = text.strip()
    if col is not None and end_col is not None and end_line == line and text:
        segment = text.encode()[col:end_col].decode(errors="replace").strip() or segment
    name = code.co_filename
    name = name if name.startswith("<") else os.path.basename(name)
    return (code, line, segment), f"{name}:{line}", segment  # a while's two tests: one


# -- a value made before its inputs were rebound ------------------------------------------
def refresh(v: Var) -> None:
    """``v`` was made in an earlier epoch, after decisions of its own: each must come out
    the same at the inputs' current values (then they are recorded again, in this
    epoch, and ``v`` is of it), or ``v`` is the value of a branch not taken any more."""
    rec = v.rec
    epoch, count = v.mark  # type: ignore[misc]
    decisions = rec.tape.decisions[rec.epoch_start[epoch]:count]
    vals = rec.values()
    for d in decisions:
        undefined = d.left in rec.undefined or d.right in rec.undefined
        if undefined or not d.holds(vals):
            raise TracingError(stale(d, undefined))
    for d in decisions:
        rec.add_decision(replace(d, boundary=vals[d.left] == vals[d.right]))
    v.mark = rec.mark


def stale(d: Decision, undefined: bool = False) -> str:
    where = f" ({d.where})" if d.where else ""
    now = ("cannot be decided (a side has no value)" if undefined
           else f"comes out {not d.outcome}")
    return (f"the branch taken at {d.label}{where} has changed: it came out "
            f"{d.outcome} when this value was computed, and {now} at the inputs' current "
            "values, so the value belongs to the branch not taken any more: run the code "
            "that computes it again (adcalc.grad(f) and adcalc.trace(f) do this for a "
            "function)")


# -- the tape of what some values depend on, their decisions with it ----------------------
def path_decisions(rec: Recording, outputs: Sequence[Var]) -> list[Decision]:
    """The decisions that guard ``outputs`` (fresh): in a traced function, all of this
    epoch's; otherwise those made before them in this epoch."""
    start = rec.epoch_start[rec.epoch]
    if rec.function:
        return rec.tape.decisions[start:]
    marks = [v.mark[1] for v in outputs if v.mark is not None]
    return rec.tape.decisions[start:max(marks)] if marks else []


def outputs_tape(outputs: Sequence[Var], inputs: Sequence[str] | None = None,
                 decisions: bool = True) -> Tape:
    """A tape of just what ``outputs`` depend on (with ``inputs`` first, all of them,
    even unused: a function's parameters), ready for every command; with the decisions
    that guard them (``decisions``) and a warning for each on its boundary."""
    rec = outputs[0].rec
    tape = rec.tape
    need = [False] * len(tape)
    for v in outputs:
        if v.rec is not rec:
            raise TracingError("the outputs were traced on different tapes")
        if decisions and v.mark is not None and v.mark[0] != rec.epoch:
            refresh(v)
        need[v.node] = True
    path = path_decisions(rec, outputs) if decisions else []
    for d in path:
        need[d.left] = need[d.right] = True
    for i in range(len(tape) - 1, -1, -1):
        if need[i] and tape.ops[i] >= 0:
            need[tape.a0[i]] = True
            if tape.a1[i] >= 0:
                need[tape.a1[i]] = True
    new = Tape()
    for name in inputs or []:
        new.input(name)
    remap = [-1] * len(tape)
    for i, keep in enumerate(need):
        if not keep:
            continue
        op, a, b, c = tape.ops[i], tape.a0[i], tape.a1[i], tape.consts[i]
        if op == INPUT:
            remap[i] = new.input(tape.input_name[i])
        elif op == CONST:
            remap[i] = new.const(c)  # type: ignore[arg-type]
        else:
            remap[i] = new.node(op, remap[a], remap[b] if b >= 0 else -1, c)
    new.outputs = [remap[v.node] for v in outputs]
    if path:
        vals = rec.values()
        new.decisions = [replace(d, left=remap[d.left], right=remap[d.right],
                                 boundary=vals[d.left] == vals[d.right]) for d in path]
        new.warnings.extend(boundary_warnings(new.decisions, [vals[d.left] for d in path]))
    return new


def boundary_warnings(decisions: Sequence[Decision], left: Sequence[float]) -> list[str]:
    """One warning per place of the code whose comparison is on its boundary (both sides
    equal), as a program's ``if x > 0`` at ``x = 0`` has it."""
    out, said = [], set()
    for d, a in zip(decisions, left, strict=True):
        if d.boundary and d.label not in said:
            said.add(d.label)
            where = f" at {d.where}" if d.where else ""
            out.append(f"warning: {d.label}{where}: the point is on the boundary of "
                       f"{d.comparison} (both sides are {a!r}); the derivative is that of "
                       f"the path taken ({d.comparison} came out {d.outcome}), and the other "
                       "side's may differ")
    return out


def point_of(v: Var, tape: Tape) -> dict[str, float]:
    return {n: v.rec.inputs[n] for n in tape.variables}


# -- functions: traced at a point, traced again where a decision flips --------------------
def trace(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``trace(f)(x1=1.0, x2=0.5)``: call ``f`` with a Var for each argument, on a fresh
    tape; the result is what ``f`` returns (a Var, or a list of them).  Each call runs
    ``f`` (its comparisons are decided at that call's point)."""
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def traced(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        with new_recording(strict_floats=True):
            variables = {name: Var(name, value) for name, value in bound.arguments.items()}
            out = fn(**variables)
        return out

    return traced


class Gradients(dict):
    """What ``adcalc.grad(f)(…)`` returns: the gradient by parameter name (a ``dict``),
    with the path it is the derivative of: ``decisions`` (``Decision``s: what each
    comparison of ``f`` came out at this point) and ``warnings`` (a comparison on its
    boundary: both sides equal, the other branch's derivative may differ)."""

    __slots__ = ("decisions", "warnings")

    def __init__(self, gradient: dict[str, float], decisions: list[Decision],
                 warnings: list[str]) -> None:
        super().__init__(gradient)
        self.decisions, self.warnings = decisions, warnings


def gradient_function(fn: Callable[..., Any]) -> Callable[..., Gradients]:
    """``adcalc.grad(f)``: a function giving f's gradient by parameter name, like JAX's
    ``grad`` (all parameters, not just the first).  The tapes it traced are kept (up to
    ``MAX_PATHS``): at a point where every recorded decision comes out the same, a kept
    tape is swept; ``f`` runs again only where one flips (or ``f`` read ``x.value``)."""
    signature = inspect.signature(fn)
    paths: list[tuple[Tape, dict[str, float]]] = []

    @functools.wraps(fn)
    def g(*args: Any, **kwargs: Any) -> Gradients:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        point = _point(bound.arguments)
        if point is not None:
            for k, (tape, fixed) in enumerate(paths):
                got = _swept(tape, {**fixed, **point})
                if got is not None:
                    paths.insert(0, paths.pop(k))
                    return got
        with new_recording(strict_floats=True) as rec:
            variables = {name: Var(name, value) for name, value in bound.arguments.items()}
            out = as_traced(rec, fn(**variables))
            if not isinstance(out, Var):
                raise TracingError(f"{fn.__name__} must return one traced value for a "
                                   f"gradient, not {type(out).__name__}")
            out.backward()
            r = out.rec
            gradient = {n: r.grad(i) for n, i in r.tape.var_node.items()}
            tape = outputs_tape([out], list(r.tape.variables))
        if r is not rec:  # f returned a value of another recording: nothing to keep
            point = None
        if point is not None and not rec.read_values:
            fixed = {n: r.inputs[n] for n in tape.variables if n not in point}
            paths.insert(0, (tape, fixed))
            del paths[MAX_PATHS:]
        return Gradients(gradient, tape.decisions, tape.warnings)

    return g


def as_traced(rec: Recording, out: Any) -> Any:
    """What a traced function returned, a plain number (``return 0.0`` on one branch,
    as JAX's ``grad`` takes it) made a constant of the recording: its derivative is 0.
    Anything else is returned as it is (the caller says what is wrong with it)."""
    if isinstance(out, numbers.Real) and not isinstance(out, bool) and not isinstance(
            out, Var):
        x = float(out)
        if math.isfinite(x):
            return Var._of(rec, rec.tape.const(x))
    return out


def _point(arguments: dict[str, Any]) -> dict[str, float] | None:
    """The arguments as a point, or ``None`` when one is not a number (then ``f`` runs,
    and says what is wrong)."""
    try:
        return {n: _number(x, n) for n, x in arguments.items()}
    except TracingError:
        return None


def _swept(tape: Tape, point: dict[str, float]) -> Gradients | None:
    """The gradient from a kept tape, if ``point`` takes its path (``None`` otherwise, or
    where a value on it is not defined: ``f`` then runs, and its own path says)."""
    from adcalc.engine.sweeps import adjoint, primal

    try:
        vals = primal(tape, point)
    except DomainError:
        return None
    if not tape.on_path(vals):
        return None
    bar = adjoint(tape, vals, {tape.output: 1.0}).adjoints
    decisions = [replace(d, boundary=vals[d.left] == vals[d.right]) for d in tape.decisions]
    return Gradients({n: bar[tape.var_node[n]] for n in tape.variables}, decisions,
                     boundary_warnings(decisions, [vals[d.left] for d in decisions]))
