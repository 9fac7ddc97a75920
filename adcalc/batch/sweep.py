"""Batch evaluation: the same tape swept over NumPy arrays, all points at once.

One primal and one adjoint sweep (or n tangent sweeps) per chunk of points, float64:
the walks of ``adcalc.sweeps``, recorded once as array code (``adcalc.array_code``) and
run in cache-sized pieces on every core.  Rows whose value or gradient comes out non-finite are
recomputed on the scalar path, which is the arbiter: either it gives the numbers (a 0·∞
that the scalar path never forms, because a zero adjoint passes nothing back) or it
names the domain error, and the row is marked bad (NaN) with that message.  Rows at a
kink are marked too, so they carry the scalar path's warning.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from adcalc.engine.sweeps import Arrays, adjoint, primal, tangent
from adcalc.engine.tape import Tape
from adcalc.errors import DomainError, InputError


@dataclass
class BatchResult:
    values: Any
    """f at every row (NaN where the row is bad)."""
    gradient: dict[str, Any]
    bad: list[tuple[int, str]] = field(default_factory=list)
    """(row index within the batch, message) for rows that could not be evaluated."""
    kinks: dict[int, Any] = field(default_factory=dict)
    """Node → mask of the rows where it met a non-differentiable point (the convention
    was used, as on the scalar path, which warns there too)."""
    nodes: list[Any] = field(default_factory=list)
    """Every node's values (arrays, or floats for literals): what the warnings at kinks
    quote; kept only when there are kinks, so a chunk's arrays are freed with it."""
    at: dict[int, int] | None = None
    """Where ``nodes`` hold only some rows (those at a kink): row → its place in them."""
    explain: Any = None
    """row → the warning at a kink row, where the rows are on several tapes (a
    program's paths, ``adcalc.batch.paths``); else ``kink_example`` gives what
    ``nondiff_warnings`` needs."""

    def kink_example(self, row: int) -> tuple[list[float], list[int]] | str:
        """What the warning at the first kink quotes: every node's value and the nodes at
        a kink, or (a program's rows) the warning itself."""
        if self.explain is not None:
            return str(self.explain(row))
        return self.node_values(row), self.kinks_at(row)

    def node_values(self, row: int) -> list[float]:
        """Every node's value at one row (for the scalar path's warning text)."""
        k = row if self.at is None else self.at[row]
        return [float(v[k]) if getattr(v, "ndim", 0) else v for v in self.nodes]

    def kinks_at(self, row: int) -> list[int]:
        return [i for i, rows in self.kinks.items() if rows[row]]

    def mark_bad(self, rows: Mapping[int, str]) -> None:
        """Rows that could not even be read (a cell that is not a number, a wrong width):
        NaN, with their reason in place of whatever the sweep said of them."""
        if not rows:
            return
        nan = float("nan")
        for r in rows:
            self.values[r] = nan
            for g in self.gradient.values():
                g[r] = nan
        self.bad = sorted([(r, m) for r, m in self.bad if r not in rows] + list(rows.items()))
        for mask in self.kinks.values():
            mask[list(rows)] = False

    def take(self, n: int) -> BatchResult:
        """The first ``n`` rows."""
        return BatchResult(self.values[:n], {k: g[:n] for k, g in self.gradient.items()},
                           [(r, m) for r, m in self.bad if r < n],
                           {i: m[:n] for i, m in self.kinks.items()},
                           self.nodes if self.at is not None else
                           [v[:n] if getattr(v, "ndim", 0) else v for v in self.nodes],
                           self.at, self.explain)

    def kink_rows(self) -> list[int]:
        """The rows (indices in this batch) where any node met a kink and the row has
        numbers: a row that is NaN (``bad``) got nothing from a convention."""
        if not self.kinks:
            return []
        import numpy as np

        at = np.logical_or.reduce(list(self.kinks.values()))  # (a new array)
        if self.bad:
            at[[r for r, _ in self.bad]] = False
        return np.flatnonzero(at).tolist()


def sweep_arrays(tape: Tape, columns: Mapping[str, Any], mode: str = "reverse",
                 variables: Sequence[str] | None = None, rows: int | None = None,
                 threads: int = 1, output: int | None = None,
                 cache: dict[Any, Any] | None = None, guard: bool = True) -> BatchResult:
    """Value and gradient of ``tape`` at every row of ``columns`` (name → 1-D array).

    The walks of one point (``adcalc.sweeps``), recorded once as array code
    (``adcalc.array_code``) and run in cache-sized pieces, on ``threads`` threads (NumPy
    releases the GIL inside its loops).  ``rows`` is needed only when there are no
    columns (a constant expression).  ``cache``: where the array code is kept (a
    program's path keeps its own, however many paths there are).  ``guard``: a traced
    program's tape makes the rows off its path bad rows (``sweep_columns``, whose
    program rows are placed on their paths already, does without).
    """
    import numpy as np

    from adcalc.batch.array_code import ArrayCode, compiled

    names = list(variables or tape.variables)
    if rows is None:
        rows = len(next(iter(columns.values()))) if columns else 1
    if cache is None:
        code = compiled(tape, names, mode, output)
    else:
        key = (id(tape), tuple(names), mode, output)
        code = cache.get(key)
        if code is None:
            code = cache[key] = ArrayCode(tape, names, mode, output)
    cols = {n: np.asarray(columns[n], dtype=np.float64) for n in tape.var_node}
    value = np.empty(rows)
    grads = [np.empty(rows) for _ in names]
    many = threads > 1 and rows > code.piece_rows
    kinks = code.sweep(cols, rows, value, grads, _pool(threads).map if many else map)
    result = BatchResult(value, dict(zip(names, grads, strict=True)), kinks=kinks)
    if kinks:  # what the warnings quote: every node's value at the rows at a kink, only
        at = np.flatnonzero(np.logical_or.reduce(list(kinks.values())))
        result.nodes = primal(tape, {n: c[at] for n, c in cols.items()}, Arrays(len(at)))
        result.at = {int(r): k for k, r in enumerate(at)}
    ok = np.isfinite(value)
    for g in grads:
        ok &= np.isfinite(g)
    if not ok.all():
        _settle_bad_rows(tape, columns, names, mode, result, np.flatnonzero(~ok), output)
    if guard and tape.decisions:
        _off_path(tape, cols, rows, result)
    return result


def _off_path(tape: Tape, cols: Mapping[str, Any], rows: int, result: BatchResult) -> None:
    """A traced program's tape (``adcalc.parse(text, at=...)``) at rows whose values
    leave the path it recorded: those rows are bad, with the decision that flips, never
    the old branch's numbers (a text or ``--points`` takes each row's own path:
    ``adcalc.batch.paths``)."""
    import numpy as np

    with np.errstate(all="ignore"):
        vals = primal(tape, cols, Arrays(rows))
    known = {r for r, _ in result.bad}
    for d in tape.decisions:
        off = np.flatnonzero(~np.broadcast_to(np.asarray(d.holds(vals), bool), (rows,)))
        for r in off.tolist():
            if r not in known:
                known.add(r)
                result.bad.append((r, f"this tape was traced at another point, and here "
                                      f"{d.label} comes out {not d.outcome}: sweep the "
                                      "program's text to take each row's own path"))
                result.values[r] = np.nan
                for g in result.gradient.values():
                    g[r] = np.nan
    result.bad.sort()


_POOLS: dict[int, Any] = {}
_POOL_LOCK = threading.Lock()


def _pool(threads: int) -> Any:
    """A pool of ``threads`` threads, kept: its threads keep their buffers
    (``array_code``) from one chunk of points to the next."""
    with _POOL_LOCK:
        if threads not in _POOLS:
            from concurrent.futures import ThreadPoolExecutor

            _POOLS[threads] = ThreadPoolExecutor(threads, thread_name_prefix="adcalc-sweep")
        return _POOLS[threads]


def _settle_bad_rows(tape: Tape, columns: Mapping[str, Any], names: list[str], mode: str,
                     result: BatchResult, rows: Any, output: int | None = None) -> None:
    """Recompute the non-finite rows on the scalar path; keep its numbers or its error."""
    nan = float("nan")
    out = tape.output if output is None else output
    for r in rows:
        point = {n: float(columns[n][r]) for n in tape.var_node}
        given = [n for n in tape.variables if not math.isfinite(point[n])]
        try:
            if given:
                raise DomainError(f"the input {given[0]} = {point[given[0]]} is not a finite "
                                  "number")
            vals = primal(tape, point)
            if mode == "forward":
                grad = {n: tangent(tape, vals, {n: 1.0}).tangents[out] for n in names}
            else:
                bar = adjoint(tape, vals, {out: 1.0}).adjoints
                grad = {n: bar[tape.var_node[n]] for n in names}
        except DomainError as exc:
            result.values[r] = nan
            for n in names:
                result.gradient[n][r] = nan
            result.bad.append((int(r), str(exc)))
            continue
        result.values[r] = vals[out]
        for n in names:
            result.gradient[n][r] = grad[n]


def check_columns(tape: Tape, header: Sequence[str]) -> None:
    """Every variable needs a column; name the missing ones (and near misses).  A
    program's paths (``adcalc.batch.paths``) settle their variables from the header."""
    fix = getattr(tape, "fix_columns", None)
    if fix is not None:
        return fix(header)
    columns = set(header)
    missing = [v for v in tape.variables if v not in columns]
    if missing:
        raise missing_columns(missing, header)


def missing_columns(missing: Sequence[str], header: Sequence[str]) -> InputError:
    """The message for variables the points have no column for."""
    from adcalc.engine.hints import nearest

    hints = []
    for m in missing:
        near = nearest(m, header)
        if near:
            hints.append(f"{near} for {m}?")
    hint = f" (a typo: {'; '.join(hints)})" if hints else ""
    semicolons = ""
    if len(header) == 1 and ";" in header[0]:
        semicolons = ("; the points look separated by ';': adcalc reads CSV separated by "
                      "commas (save it with commas, or convert it: tr ';' ',')")
    shown = ", ".join(h if h.isprintable() else repr(h) for h in header)  # (binary bytes)
    if len(shown) > 300:
        shown = shown[:300] + " …"
    return InputError(f"the points have no column for {', '.join(missing)}{hint}; "
                      f"their header is: {shown or '(empty)'}{semicolons}")


def check_outputs(header: Sequence[str], outputs: Sequence[str]) -> None:
    """The output columns are new: an input column of the same name (``f``, ``df/dx``)
    is refused, on every path, rather than written twice or replaced."""
    columns = set(header)
    taken = [c for c in outputs if c in columns]
    if taken:
        raise InputError(f"the points already have a column {taken[0]!r}, which the output "
                         "would write again: rename it")
    seen: set[str] = set()
    for c in outputs:  # d2f/dpddq: the pair (p, dq) and the pair (pd, q) alike
        if c in seen:
            raise InputError(f"two output columns would both be named {c!r}: the names of "
                             "the variables run together; rename one (and its column)")
        seen.add(c)


KINDS = ("gradient", "jacobian", "hessian")


def output_columns(tape: Tape, names: Sequence[str], kind: str = "gradient") -> list[str]:
    """The columns a batch writes after the inputs: ``f`` and ``df/dx`` for a gradient;
    ``f1 … fm`` then ``df1/dx …`` for a Jacobian; ``f``, ``df/dx …`` and the Hessian's
    upper triangle ``d2f/dxdy`` for a Hessian."""
    if kind == "jacobian":
        fs = tape.output_names
        return [*fs, *(f"d{f}/d{n}" for f in fs for n in names)]
    out = ["f", *(f"df/d{n}" for n in names)]
    if kind == "hessian":
        out += [f"d2f/d{a}d{b}" for k, a in enumerate(names) for b in names[k:]]
    return out


def sweep_columns(tape: Tape, columns: Mapping[str, Any], names: Sequence[str], rows: int,
                  kind: str = "gradient", mode: str = "reverse", threads: int = 1,
                  cache: dict[Any, Any] | None = None) -> tuple[dict[str, Any], BatchResult]:
    """Every output column of ``kind`` at every row, and the record of bad rows and kinks.

    A Jacobian is one reverse sweep over arrays per result; a Hessian is the gradient,
    then a reverse sweep over arrays of each partial's own tape (``derive``), the same
    rules the scalar commands use.  A row bad in any sweep is bad in all its columns.
    Each sweep runs in pieces on ``threads`` threads (``sweep_arrays``); ``cache`` keeps
    the array code and the partials (a program's path).  A program's paths
    (``adcalc.batch.paths``) sweep each row on its own path.
    """
    if not isinstance(tape, Tape):
        return tape.sweep_columns(columns, names, rows, kind, mode, threads)
    names = list(names)
    if kind == "gradient":
        r = sweep_arrays(tape, columns, mode, names, rows, threads, cache=cache, guard=False)
        return {"f": r.values, **{f"df/d{n}": r.gradient[n] for n in names}}, r
    if kind == "jacobian":
        fs = output_columns(tape, names, kind)[:len(tape.outputs)]
        values: dict[str, Any] = {}
        entries: dict[str, Any] = {}
        merged: BatchResult | None = None
        for f, o in zip(fs, tape.outputs, strict=True):
            r = sweep_arrays(tape, columns, "reverse", names, rows, threads, o, cache,
                             guard=False)
            values[f] = r.values
            entries.update({f"d{f}/d{n}": r.gradient[n] for n in names})
            merged = _merged(merged, r)
        assert merged is not None
        out = {**values, **entries}
    else:
        from adcalc.symbolic.derive import symmetric

        first = sweep_arrays(tape, columns, "reverse", names, rows, threads, cache=cache,
                             guard=False)
        out = {"f": first.values, **{f"df/d{n}": first.gradient[n] for n in names}}
        merged = first
        partials = _partials(tape, names, cache)
        second = []
        for k in range(len(names)):
            r = sweep_arrays(partials, columns, "reverse", names, rows, threads,
                             partials.outputs[k], cache, guard=False)
            second.append(r.gradient)
            merged = _merged(merged, r, keep_kinks=False)
        for k, a in enumerate(names):  # the symmetric part, as hessian prints it
            out.update({f"d2f/d{a}d{b}": symmetric(second[k][b], second[k + j][a])
                        for j, b in enumerate(names[k:])})
    if merged.bad:
        import numpy as np

        rows_bad = [r for r, _ in merged.bad]
        for array in out.values():
            array[rows_bad] = np.nan
    return out, merged


_PARTIALS: list[tuple[Any, Tape]] = []


def _partials(tape: Tape, names: Sequence[str], cache: dict[Any, Any] | None = None
              ) -> Tape:
    """The first partials of ``tape`` as one tape (``derive``, basic form), made once for
    each tape and variables: a stream of chunks reuses it, and so its array code."""
    from adcalc.symbolic.derive import each_derivative

    if cache is not None:
        key = ("partials", tuple(names))
        if key not in cache:
            cache[key] = each_derivative(tape, names, 1, "basic")[0]
        return cache[key]
    key = (len(tape), tuple(tape.outputs), tuple(names))
    with _POOL_LOCK:
        for (t, k), partials in _PARTIALS:
            if t is tape and k == key:
                return partials
    partials, _keys, _ = each_derivative(tape, names, 1, "basic")
    with _POOL_LOCK:
        _PARTIALS.insert(0, ((tape, key), partials))
        del _PARTIALS[4:]
    return partials


def _merged(a: BatchResult | None, b: BatchResult, keep_kinks: bool = True) -> BatchResult:
    """``a`` with ``b``'s bad rows (the first message of a row wins) and kinks added."""
    if a is None:
        return b
    seen = {r for r, _ in a.bad}
    a.bad = sorted(a.bad + [(r, m) for r, m in b.bad if r not in seen])
    if keep_kinks and b.kinks:  # the same tape's nodes: the masks add up
        for i, rows in b.kinks.items():
            a.kinks[i] = a.kinks[i] | rows if i in a.kinks else rows
        if not a.nodes:
            a.nodes, a.at = b.nodes, b.at
        elif b.nodes and a.at is not None and b.at is not None:  # the rows b adds
            import numpy as np

            extra = [r for r in b.at if r not in a.at]
            if extra:
                take = [b.at[r] for r in extra]
                a.nodes = [np.concatenate([x, y[take]]) if getattr(x, "ndim", 0) else x
                           for x, y in zip(a.nodes, b.nodes, strict=True)]
                a.at.update({r: len(a.at) + k for k, r in enumerate(extra)})
    return a


def cores() -> int:
    """The cores this process may use."""
    import os

    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def sweep_parallel(tape: Tape, columns: Mapping[str, Any], names: Sequence[str], rows: int,
                   kind: str = "gradient", mode: str = "reverse", threads: int | None = None
                   ) -> tuple[dict[str, Any], BatchResult]:
    """``sweep_columns`` on ``threads`` threads (default: every core).  The rows come
    back in order, and the numbers are the one-thread numbers (each row's arithmetic is
    the same)."""
    return sweep_columns(tape, columns, names, rows, kind, mode,
                         cores() if threads is None else max(1, threads))
