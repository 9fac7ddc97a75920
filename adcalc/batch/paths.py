"""Programs with branches and loops at many points: each row on its own path.

A program with control flow has no one tape: its tape is the path taken at a point
(``Program.trace``).  A chunk of rows is swept path by path: trace at the first row not
yet placed, evaluate that path's guard -- the nodes the trace evaluated before its last
decision, and the decisions themselves -- as arrays over the rows left, and sweep the
rows on the path (``Tape.on_path``: every decision comes out the same, and no node the
trace evaluated fails) with that tape, as a straight-line tape is swept
(``sweep_columns``); then trace at the first row left, and so on.  A row's numbers are
the scalar path's, bit for bit: its tape is the one its own trace makes (the nodes are
made from the program and the outcomes, never from the numbers), swept by the same
array code.  The paths are kept (by their outcomes, which fix the trip counts too)
across chunks, with their array code, so a million rows on two paths trace twice.

A row whose own trace fails (a runaway ``while``, a domain error on its path) is a bad
row with the scalar path's message; an error of the program itself (a loop's count that
is not a constant, a name used before it is defined, vectors compared, an index naming
no column, constant loops past the bound) stops the batch before any row, as it stops
the scalar path; a row on a decision's boundary (both sides equal) is marked as a kink
and warned of with the scalar path's words.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from adcalc.batch.sweep import BatchResult, missing_columns, output_columns, sweep_columns
from adcalc.engine.tape import Tape
from adcalc.errors import AdcalcError, InputError, ParseError
from adcalc.frontend.function_program import FunctionProgram
from adcalc.frontend.program import Program
from adcalc.frontend.tracer import CALL, LEAF, NotBound, Tracer, UnrollBound
from adcalc.frontend.tracing import TracingError

MAX_PATHS = 256
"""The most paths kept from one chunk to the next (others are traced again)."""

BOUNDARY = "the point is on the boundary of"
"""What the tracer's warning at a branch boundary says (``Tracer.compare``)."""

EXACT = ("abs", "add", "div", "max", "min", "mul", "neg", "relu", "shift", "sign", "sqrt",
         "step", "stop_gradient", "sub")
"""The primitives whose value on arrays is the scalar path's in every bit (IEEE's
correctly rounded operations, and those that only pick or compare).  NumPy's ``exp``,
``log``, ``sin``… may differ from the C library's in the last bit, so a decision whose
sides use them is decided on the scalar path (the row traced on its own) where its
sides come within a few units in the last place of each other."""

NEAR_ULPS = 4

_ARRAYS: list[Any] = []


class _Traced(Tracer):
    """The tracer, noting how far the tape went when it last decided (the nodes whose
    values it computed: the guard); every column ``w[…]`` of the points stays a variable."""

    reached = 0
    keep_given = True

    def compare(self, ins: tuple, x: Any, y: Any, loops: list) -> bool:
        self.reached = len(self.tape)
        return super().compare(ins, x, y, loops)


class _Dry(Tracer):
    """The tracer with every condition false and no point: the shape of one path."""

    def compare(self, ins: tuple, x: Any, y: Any, loops: list) -> bool:
        self.outcomes = [False]
        return super().compare(ins, x, y, loops)


class _Probe(Tracer):
    """The tracer with no point: every loop runs its body once (a long constant loop
    costs one iteration), every other condition is false (the program's own errors,
    found before any row)."""

    once = True

    def compare(self, ins: tuple, x: Any, y: Any, loops: list) -> bool:
        ctx = ins[2]
        self.outcomes = [bool(ctx and ctx[0] == "while" and loops and not loops[-1].iteration)]
        return super().compare(ins, x, y, loops)


class _Path:
    """One path: its tape, its guard, and what its sweeps keep (array code, partials)."""

    def __init__(self, tape: Tape, full: Tape, reached: int, error: str | None,
                 checked: list[int] | None = None) -> None:
        self.tape = tape
        self.key = tuple(d.outcome for d in tape.decisions)
        self.error = error
        self.rows = 0
        self.cache: dict[Any, Any] = {}
        guard = Tape()  # the nodes evaluated by the trace: each must come out finite
        guard.ops, guard.a0 = full.ops[:reached], full.a0[:reached]
        guard.a1, guard.consts = full.a1[:reached], full.consts[:reached]
        guard.var_node = {n: i for n, i in full.var_node.items() if i < reached}
        guard.variables = [n for n in full.variables if n in guard.var_node]
        self.guard = guard
        self.decisions = full.decisions
        self.checked = [i for i, op in enumerate(guard.ops) if op >= 0] if checked is None else (
            checked)
        self.sides = [(d.left, d.right) for d in full.decisions
                      if not (full.is_const(d.left) and full.is_const(d.right))]
        inexact = _inexact(guard)
        self.fuzzy = [(a, b) for a, b in self.sides if inexact[a] or inexact[b]]

    def select(self, columns: Mapping[str, Any], rows: int) -> tuple[Any, Any]:
        """The rows on this path (a mask), and those of them on a decision's boundary."""
        import numpy as np

        from adcalc.engine.sweeps import Arrays, primal

        if not self.decisions:
            return np.ones(rows, bool), np.zeros(rows, bool)
        if not _ARRAYS:  # one algebra for every guard (its rows are not read by primal)
            _ARRAYS.append(Arrays(0))
        with np.errstate(all="ignore"):
            vals = primal(self.guard, {n: columns[n] for n in self.guard.var_node},
                          _ARRAYS[0])
            on = np.ones(rows, bool) & self.guard_on_path(vals)
            for i in self.checked:
                on &= np.isfinite(vals[i])
            for a, b in self.fuzzy:  # left to the scalar path: traced on its own
                x, y = vals[a], vals[b]
                on &= np.abs(x - y) > NEAR_ULPS * np.spacing(np.maximum(np.abs(x), np.abs(y)))
            boundary = np.zeros(rows, bool)
            for a, b in self.sides:
                boundary |= vals[a] == vals[b]
        return on, boundary & on

    def guard_on_path(self, vals: list[Any]) -> Any:
        ok: Any = True
        for d in self.decisions:
            ok = ok & d.holds(vals)
        return ok


class ProgramPaths:
    """A program with control flow where a batch takes a tape: what the readers and
    writers ask of one (``variables``, ``var_node``, ``output_names``, ``warnings``),
    and ``sweep_columns`` path by path.  The variables are the names the program reads
    and does not bind, in the order it reads them (an index expression's, ``w[i]``, are
    the columns ``w[…]`` of the points): ``fix_columns`` settles them from a header."""

    def __init__(self, program: Program, kind: str = "gradient",
                 variables: Sequence[str] | None = None, max_steps: int | None = None) -> None:
        from adcalc.frontend.tracer import MAX_STEPS_SETTING

        self.program = program
        self.kind = kind
        self.order = list(variables) if variables else None
        self.max_steps = MAX_STEPS_SETTING.get() if max_steps is None else max_steps
        self.free = ([(n, False) for n in program.parameters]
                     if isinstance(program, FunctionProgram) else free_names(program))
        self.variables: list[str] = [n for n, _ in self.free]
        self.outputs = [0]
        if kind == "jacobian":  # the results of one path (each path's are checked)
            self.outputs = list(_Dry(program, {}, self.max_steps, False, []).run().outputs)
        self._paths: dict[tuple, _Path] = {}
        self._lock = threading.Lock()
        self._warnings: list[str] | None = None

    def __getstate__(self) -> dict[str, Any]:  # to a Dask worker: the paths are traced there
        state = dict(self.__dict__)
        state.update(_paths={}, _lock=None, _warnings=None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    @property
    def var_node(self) -> dict[str, int]:
        return {n: k for k, n in enumerate(self.variables)}

    @property
    def output_names(self) -> list[str]:
        m = len(self.outputs)
        return ["f"] if m == 1 else [f"f{k + 1}" for k in range(m)]

    @property
    def warnings(self) -> list[str]:
        """What every path traced so far warns of (a binding never used), boundaries
        aside (those are the rows')."""
        return list(self._warnings or [])

    def fix_columns(self, header: Sequence[str]) -> None:
        """The variables, from the points' header: every name the program reads needs
        a column; ``--vars`` orders them."""
        from adcalc.frontend.checks import variable_order

        self.header = list(header)
        columns = set(header)
        missing = [n for n, base in self.free if not base and n not in columns]
        if missing:
            raise missing_columns(missing, header)
        found: list[str] = []
        for name, base in self.free:
            if base:
                found += [h for h in header if h.partition("[")[0] == name and "[" in h
                          and h not in found]
            elif name not in found:
                found.append(name)
        self.variables = found
        self.variables = variable_order(self, self.order)  # type: ignore[arg-type]
        if not isinstance(self.program, FunctionProgram):
            self.dry_run()

    def dry_run(self) -> None:
        """The program's own errors, before any row: traced with no value computed (each
        loop's body run once, every other condition false), its static errors stop the
        batch as they stop the scalar path; an indexed name whose base has no column at
        all is a missing column (which entries a loop reads is the rows' trace's)."""
        try:
            tape = _Probe(self.program, {}, self.max_steps, False, []).run()
        except (ParseError, UnrollBound):
            raise
        except AdcalcError:  # a number's error on the path no row may take: the rows'
            return
        bases = {h.partition("[")[0] for h in self.header if "[" in h}
        missing = [n for n in tape.variables if n not in self.header and "[" in n
                   and n.partition("[")[0] not in bases]
        if missing:
            raise missing_columns(missing, self.header)

    # -- the sweep --------------------------------------------------------------------
    def trace(self, point: Mapping[str, float]) -> tuple[_Path, bool]:
        """The path at ``point``, traced (kept, unless as many are kept already), and
        whether the point is on a boundary of it."""
        from adcalc.frontend.checks import require_scalar

        checked = None
        if isinstance(self.program, FunctionProgram):  # a Python function: it runs there
            tape, full, reached, checked = self.program.trace_path(point, self.max_steps)
        else:
            tracer = _Traced(self.program, point, self.max_steps, False, None)
            try:
                tape = tracer.run()
            except InputError:
                missing = [n for n in tracer.tape.variables if n not in point]
                if missing:  # an index naming no column: as a name without one
                    raise missing_columns(missing, getattr(self, "header", list(point))
                                          ) from None
                raise
            full, reached = tracer.tape, tracer.reached
        error = None
        if self.kind == "jacobian":
            if len(tape.outputs) != len(self.outputs):
                error = (f"the program has {len(tape.outputs)} results on this row's path, "
                         f"{len(self.outputs)} on the path the columns were made for")
        else:
            try:
                require_scalar(tape, "grad" if self.kind == "gradient" else self.kind)
            except InputError as exc:
                error = str(exc)
        on_boundary = any(d.boundary for d in tape.decisions)
        key = tuple(d.outcome for d in tape.decisions)
        with self._lock:
            kept = self._paths.get(key)
            if kept is not None:
                return kept, on_boundary
        path = _Path(tape, full, reached, error, checked)
        with self._lock:
            path = self._paths.setdefault(path.key, path) if len(self._paths) < MAX_PATHS else (
                path)
            said = [w for w in tape.warnings if BOUNDARY not in w]
            self._warnings = said if self._warnings is None else [
                w for w in self._warnings if w in said]
        return path, on_boundary

    def sweep_columns(self, columns: Mapping[str, Any], names: Sequence[str], rows: int,
                      kind: str = "gradient", mode: str = "reverse", threads: int = 1
                      ) -> tuple[dict[str, Any], BatchResult]:
        """``sweep_columns`` of a program: every row on its own path (see the module).
        Rows are gathered and scattered by index (``take``: a random boolean mask
        indexes ten times slower)."""
        import numpy as np

        names = list(names)
        outputs = output_columns(self, names, kind)
        out = {c: np.empty(rows) for c in outputs}
        if kind == "gradient":
            result = BatchResult(out["f"], {n: out[f"df/d{n}"] for n in names})
        else:
            result = BatchResult(np.empty(rows), {n: np.empty(rows) for n in names})
        cols = {v: np.asarray(columns[v], dtype=np.float64) for v in self.variables}
        ok = np.ones(rows, bool)
        for v in self.variables:  # as the straight-line sweep says it
            finite = np.isfinite(cols[v])
            if not finite.all():
                for r in np.flatnonzero(ok & ~finite).tolist():
                    result.bad.append((r, f"the input {v} = {cols[v][r]} is not a finite "
                                       "number"))
                ok &= finite
        used: list[_Path] = []
        which = np.full(rows, -1, dtype=np.int32)

        def point(r: int) -> dict[str, float]:
            return {v: float(cols[v][r]) for v in self.variables}

        def sweep(path: _Path, at: Any, boundary: Any) -> None:
            k = len(used)
            used.append(path)
            which[at] = k
            path.rows += len(at)
            if path.error is not None:
                result.bad += [(int(r), path.error) for r in at]
                return
            every = len(at) == rows
            sub = cols if every else {v: c.take(at) for v, c in cols.items()}
            computed, r = sweep_columns(path.tape, sub, names, len(at), kind, mode, threads,
                                        cache=path.cache)
            for c in outputs:
                if every:
                    out[c][:] = computed[c]
                else:
                    out[c][at] = computed[c]
            result.bad += [(int(at[j]), m) for j, m in r.bad]
            for node, mask in [*r.kinks.items(), *([(-1, boundary)] if boundary is not None
                                                   else [])]:
                full = np.zeros(rows, bool)
                full[at[mask]] = True
                result.kinks[(k, node)] = full

        left = np.arange(rows) if ok.all() else np.flatnonzero(ok)
        tried: set[tuple] = set()
        while left.size:
            with self._lock:
                kept = sorted(self._paths.values(), key=lambda p: -p.rows)
            for path in kept:
                if not left.size:
                    break
                if path.key in tried:
                    continue
                tried.add(path.key)
                every = left.size == rows
                on, boundary = path.select(cols if every else {
                    v: cols[v].take(left) for v in path.guard.var_node}, left.size)
                hit = np.flatnonzero(on)
                if not hit.size:
                    continue
                if hit.size == left.size:
                    sweep(path, left, boundary if boundary.any() else None)
                    left = left[:0]
                    break
                sweep(path, left.take(hit), boundary.take(hit) if boundary.any() else None)
                left = left.take(np.flatnonzero(~on))
            if not left.size:
                break
            r = int(left[0])  # on no path yet: traced, and swept on its own path
            try:
                path, on_boundary = self.trace(point(r))
            except NotBound as exc:  # a loop that did not run at this row: the row's
                result.bad.append((r, exc.message))
            except (TracingError, ParseError, InputError, UnrollBound):  # the program's
                raise  # own error (or a Python function that cannot be swept): every row's
            except AdcalcError as exc:  # the row's own trace fails: as the scalar path says
                result.bad.append((r, exc.message))  # (its markers spelled by the caller)
            else:
                sweep(path, left[:1], np.array([True]) if on_boundary else None)
            left = left[1:]
        result.bad.sort()
        if result.bad:
            rows_bad = [r for r, _ in result.bad]
            for c in outputs:
                out[c][rows_bad] = np.nan
            if kind != "gradient":
                result.values[rows_bad] = np.nan
                for g in result.gradient.values():
                    g[rows_bad] = np.nan

        def explain(row: int) -> str:
            """The scalar path's warning at ``row`` (a kink or a boundary)."""
            from adcalc.engine.describe import nondiff_warnings
            from adcalc.engine.sweeps import primal

            k = int(which[row])
            at = point(row)
            if (k, -1) in result.kinks and result.kinks[(k, -1)][row]:
                said = self.program.trace(at, max_steps=self.max_steps).warnings
                return next(w for w in said if BOUNDARY in w)
            tape = used[k].tape
            nodes = [i for (p, i), m in result.kinks.items() if p == k and i >= 0 and m[row]]
            return nondiff_warnings(tape, names, primal(tape, at), nodes)[0]

        result.explain = explain
        return out, result


def free_names(program: Program) -> list[tuple[str, bool]]:
    """The names ``program`` reads and does not bind (bindings, loop variables, a
    function's parameters, constants aside), in the order it reads them: ``(name,
    False)``, or ``(base, True)`` for the base of an index expression ``w[i]``."""
    from adcalc.frontend.build import CONSTANTS
    from adcalc.frontend.program import scoped

    free: list[tuple[str, bool]] = []
    seen: set[tuple[str, bool]] = set()
    for ins, bound in scoped(program.code):
        op = ins[0]
        found: tuple[str, bool] | None = None
        if op == LEAF and ins[1] == "name":
            name = str(ins[2])  # (a[1] of a bound vector a reads no input: its base)
            if name.partition("[")[0] not in bound and name not in CONSTANTS:
                found = (name, False)
        elif op == CALL and ins[1] == "index":
            base = str(ins[2]).rstrip("[")
            if base not in bound:
                found = (base, True)
        if found is not None and found not in seen:
            seen.add(found)
            free.append(found)
    return free




def _inexact(tape: Tape) -> list[bool]:
    """Which nodes' values depend on a primitive not in ``EXACT``."""
    from adcalc.engine.primitives import OPCODE

    exact = {OPCODE[n] for n in EXACT}
    out = [False] * len(tape)
    ops, a0, a1 = tape.ops, tape.a0, tape.a1
    for i, op in enumerate(ops):
        if op >= 0:
            out[i] = op not in exact or out[a0[i]] or (a1[i] >= 0 and out[a1[i]])
    return out
