"""Batch evaluation: the same tape swept over NumPy arrays, all points at once.

One primal and one adjoint sweep (or n tangent sweeps) per chunk of points, float64,
using each primitive's array function and its rule with the array algebra.  Rows whose
value or gradient comes out non-finite are recomputed on the scalar path, which is the
arbiter: either it gives the numbers (a 0·∞ that the scalar path never forms, because a
zero adjoint passes nothing back) or it names the domain error, and the row is marked
bad (NaN) with that message.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from adcalc.errors import DomainError, InputError
from adcalc.primitives import CONST, PRIMITIVES
from adcalc.tape import Tape

_ARRAY: list[list[Any]] = []
_ARRAY_LOCK = threading.Lock()


def array_functions() -> list[Any]:
    """Each primitive's function on arrays (NumPy is imported here, on first use).

    Filled once, whole, under a lock: threads that start together never see it half made.
    """
    if not _ARRAY:
        with _ARRAY_LOCK:
            if not _ARRAY:
                import numpy as np

                _ARRAY.append([p.array if callable(p.array) else getattr(np, p.array or p.name)
                               for p in PRIMITIVES])
    return _ARRAY[0]


class ArrayAlgebra:
    """Primitives on NumPy arrays (and floats, which broadcast)."""

    def __init__(self) -> None:
        for p, f in zip(PRIMITIVES, array_functions(), strict=True):
            setattr(self, p.name, f)


@dataclass
class BatchResult:
    values: Any
    """f at every row (NaN where the row is bad)."""
    gradient: dict[str, Any]
    bad: list[tuple[int, str]] = field(default_factory=list)
    """(row index within the batch, message) for rows that could not be evaluated."""


def sweep_arrays(tape: Tape, columns: Mapping[str, Any], mode: str = "reverse",
                 order: Sequence[str] | None = None) -> BatchResult:
    """Value and gradient of ``tape`` at every row of ``columns`` (name → 1-D array)."""
    import numpy as np

    names = list(order or tape.variables)
    rows = len(next(iter(columns.values()))) if columns else 1
    fns = array_functions()
    algebra = ArrayAlgebra()
    ops, a0, a1, consts = tape.ops, tape.a0, tape.a1, tape.consts
    vals: list[Any] = list(consts)
    for name, i in tape.var_node.items():
        vals[i] = np.asarray(columns[name], dtype=np.float64)
    with np.errstate(all="ignore"):
        for i, op in enumerate(ops):
            if op < 0:
                continue
            p = PRIMITIVES[op]
            if p.takes_const:
                vals[i] = fns[op](vals[a0[i]], consts[i])
            elif p.arity == 1:
                vals[i] = fns[op](vals[a0[i]])
            else:
                vals[i] = fns[op](vals[a0[i]], vals[a1[i]])
        out = tape.output
        if mode == "forward":
            gradient = {n: _tangent(tape, vals, algebra, n, rows) for n in names}
        else:
            bar = _adjoints(tape, vals, algebra, rows)
            gradient = {n: _full(bar[tape.var_node[n]], rows) for n in names}
        value = _full(vals[out], rows)
    result = BatchResult(value, gradient)
    ok = np.isfinite(value)
    for g in gradient.values():
        ok &= np.isfinite(g)
    if not ok.all():
        _settle_bad_rows(tape, columns, names, mode, result, np.flatnonzero(~ok))
    return result


def _full(x: Any, rows: int) -> Any:
    import numpy as np

    return np.broadcast_to(np.asarray(x, dtype=np.float64), (rows,)).copy()


def _adjoints(tape: Tape, vals: list[Any], algebra: ArrayAlgebra, rows: int) -> list[Any]:
    import numpy as np

    ops, a0, a1, consts = tape.ops, tape.a0, tape.a1, tape.consts
    bar: list[Any] = [None] * len(ops)
    bar[tape.output] = np.ones(rows)
    for j in range(tape.output, -1, -1):
        g = bar[j]
        op = ops[j]
        if g is None or op < 0:
            continue
        a, b = a0[j], a1[j]
        parts = PRIMITIVES[op].partials(algebra, vals[j], vals[a], vals[b] if b >= 0 else None,
                                        consts[j])
        for arg, p in zip((a, b), parts, strict=False):
            if ops[arg] == CONST:  # a literal: nothing to pass back to
                continue
            contribution = _scaled(g, p)
            bar[arg] = contribution if bar[arg] is None else bar[arg] + contribution
    return [np.zeros(rows) if x is None else x for x in bar]


def _scaled(g: Any, p: Any) -> Any:
    """``g * p``, without the work when ``p`` is the literal 1 or -1 (sums, differences)."""
    if isinstance(p, float):
        if p == 1.0:
            return g
        if p == -1.0:
            return -g
    return g * p


def _tangent(tape: Tape, vals: list[Any], algebra: ArrayAlgebra, name: str, rows: int) -> Any:
    import numpy as np

    ops, a0, a1, consts = tape.ops, tape.a0, tape.a1, tape.consts
    dot: list[Any] = [None] * len(ops)
    dot[tape.var_node[name]] = np.ones(rows)
    for i, op in enumerate(ops):
        if op < 0:
            continue
        a, b = a0[i], a1[i]
        da, db = dot[a], (dot[b] if b >= 0 else None)
        if da is None and db is None:
            continue
        parts = PRIMITIVES[op].partials(algebra, vals[i], vals[a], vals[b] if b >= 0 else None,
                                        consts[i])
        total = None
        for d, p in ((da, parts[0]), (db, parts[1] if len(parts) > 1 else None)):
            if d is not None and p is not None:
                term = _scaled(d, p)
                total = term if total is None else total + term
        dot[i] = total
    out = dot[tape.output]
    return _full(0.0 if out is None else out, rows)


def _settle_bad_rows(tape: Tape, columns: Mapping[str, Any], names: list[str], mode: str,
                     result: BatchResult, rows: Any) -> None:
    """Recompute the non-finite rows on the scalar path; keep its numbers or its error."""
    from adcalc.gradient import gradient

    nan = float("nan")
    for r in rows:
        point = {n: float(columns[n][r]) for n in tape.var_node}
        given = [n for n in tape.variables if not math.isfinite(point[n])]
        try:
            if given:
                raise DomainError(f"the input {given[0]} = {point[given[0]]} is not a finite "
                                  "number")
            g = gradient(tape, point, mode=mode, order=names)
        except DomainError as exc:
            result.values[r] = nan
            for n in names:
                result.gradient[n][r] = nan
            result.bad.append((int(r), str(exc)))
            continue
        result.values[r] = g.value
        for n in names:
            result.gradient[n][r] = g.gradient[n]


def check_columns(tape: Tape, header: Sequence[str]) -> None:
    """Every variable needs a column; name the missing ones (and near misses)."""
    import difflib

    columns = set(header)
    missing = [v for v in tape.variables if v not in columns]
    if missing:
        hints = []
        for m in missing:
            near = difflib.get_close_matches(m, list(header), n=1, cutoff=0.6)
            if near:
                hints.append(f"{near[0]} for {m}?")
        hint = f" (a typo: {'; '.join(hints)})" if hints else ""
        raise InputError(f"the points have no column for {', '.join(missing)}{hint}; "
                         f"their header is: {', '.join(header) or '(empty)'}")
