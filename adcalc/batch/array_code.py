"""A tape's sweeps recorded once as straight-line array code, run piece by piece.

``--points`` sweeps the same tape at millions of rows.  Walking the tape for every piece
of rows (``adcalc.sweeps`` over the ``Arrays`` algebra) costs a rule call and a fresh
array per contribution, and the fresh arrays are most of the time: a piece's arrays are
too large for the allocator's free lists, so every one is new memory from the system,
faulted in page by page (measured, 10^6 rows of the seed function: 96 ms in pieces of
32,768 rows against 35 ms with the allocator's thresholds raised).

So the walks are run once more, on the tape itself (the ``Symbols`` algebra over a copy
of the tape, which keeps every IEEE result: the recorded sweep does the arithmetic the
array walk does, operation for operation), and what they record is turned into code:
one instruction per node the outputs need, each a NumPy ufunc writing into a buffer
given at compile time by last use (a register allocation), so a piece runs with no
allocation, its buffers stay in the cache, and two threads share nothing but the code.
This is what JAX's ``jit`` does with a trace; here the rules and the walks stay the ones
every other path uses, and only the execution differs.

Kinks: the walk reports where a non-differentiable primitive met a flowing derivative;
the recorded walk notes, for each such node, which recorded node holds that derivative,
and the code evaluates the primitive's predicate there (``Arrays.kink``, the same
policy).  Rows whose value or gradient is not finite are settled by the caller on the
scalar path, as before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from adcalc.engine.primitives import CONST, NONDIFF, OPCODE
from adcalc.engine.sweeps import KIND, Arrays, Symbols, adjoint, array_functions, tangent
from adcalc.engine.tape import Tape

PIECE_ROWS = 1 << 15
"""Rows swept at a time: a piece's buffers stay in the cache (measured, 10^6 rows of the
seed function on one thread: 48 ms as one chunk, 33 ms in pieces of 32,768)."""

BUFFER_BYTES = 16 << 20
"""At most this much buffer memory a thread: a tape that needs many buffers at once is
swept in smaller pieces."""

_POWC = OPCODE["powc"]


class _Recording(Symbols):
    """The tape as the algebra, noting each kink check: node → the recorded node(s) of
    the derivative that flows there (``kink`` is called only where one flows)."""

    def __init__(self, tape: Tape) -> None:
        super().__init__(tape, tape)
        self.checks: dict[int, list[Any]] = {}
        # "no derivative yet" is its own marker, as ``None`` is for ``Arrays``: a literal
        # 0 that flows (a partial of step, sign or stop_gradient times a seed) is a
        # number like any other, and 0·∞ = NaN sends its row to the scalar path
        self.zero = None
        self.nothing = _is_none

    def kink(self, found: list[int], i: int, where: Any, d: Any) -> None:  # type: ignore[override]
        found.append(i)
        self.checks.setdefault(i, []).append(d)


class ArrayCode:
    """The value and the gradient of ``tape`` (in ``names``' order) as array code.

    ``mode`` is the sweep recorded: ``reverse`` (one adjoint sweep) or ``forward`` (one
    tangent sweep per variable), so each mode's numbers are that sweep's numbers.
    """

    def __init__(self, tape: Tape, names: Sequence[str], mode: str = "reverse",
                 output: int | None = None) -> None:
        import numpy as np

        self.tape, self.names, self.mode = tape, list(names), mode
        rec = tape.copy()  # not symbolic: only the rewrites that keep every IEEE result
        rec.symbolic = False  # (a Hessian's partials are a symbolic tape: 0·x stays here)
        S = _Recording(rec)
        zero = rec.const(0.0)
        ids = range(len(tape))
        out = tape.output if output is None else output  # one result of several: a Jacobian's row
        if mode == "forward":
            one = rec.const(1.0)
            derivs = []
            kinked: set[int] = set()
            for n in self.names:
                sweep = tangent(tape, ids, {n: one}, S)  # tape's nodes, recorded on rec
                derivs.append(_or(sweep.tangents[out], zero))
                kinked.update(sweep.nondiff)  # the kinks a derivative flows out of
            checks = {i: ds for i, ds in S.checks.items() if i in kinked}
        else:
            sweep = adjoint(tape, ids, {out: rec.const(1.0)}, S)
            derivs = [_or(sweep.adjoints[tape.var_node[n]], zero) for n in self.names]
            checks = S.checks
        self.outputs = [out, *derivs]
        self.checks = [(i, d) for i, ds in checks.items() for d in ds]
        ops, a0, a1, consts = rec.ops, rec.a0, rec.a1, rec.consts

        # What must be computed, and until when each value is needed.
        keep = set(self.outputs)  # needed to the end
        for i, d in self.checks:
            keep.update((a0[i], a1[i], *(d if isinstance(d, tuple) else (d,))))
        keep.discard(-1)
        needed = [False] * len(rec)
        for i in keep:
            needed[i] = True
        last = [-1] * len(rec)
        for i in range(len(rec) - 1, -1, -1):
            if needed[i] and ops[i] >= 0:
                for a in (a0[i], a1[i]):
                    if a >= 0:
                        needed[a] = True
                        last[a] = max(last[a], i)
        end = len(rec)
        for i in keep:
            last[i] = end

        # One instruction a node, its result in a buffer free by then (register allocation).
        functions = array_functions()
        self.start: list[Any] = [None] * len(rec)
        for i, op in enumerate(ops):
            if op == CONST:
                self.start[i] = float(consts[i])  # type: ignore[arg-type]
        free: list[int] = []
        self.buffers = 0
        self.code: list[tuple] = []
        slot_of: dict[int, int] = {}  # node → its buffer, while the node is needed
        for i in range(len(rec)):
            if not needed[i] or ops[i] < 0:
                continue
            op, a, b, c = ops[i], a0[i], a1[i], consts[i]
            ufunc, args = _lowered(np, functions[op], op, KIND[op], a, b, c)
            for arg in {a, b}:  # an argument last read here: its buffer may take the result
                if arg >= 0 and last[arg] == i and arg in slot_of:
                    free.append(slot_of.pop(arg))
            if ufunc is not None:
                if free:
                    slot = free.pop()
                else:
                    slot, self.buffers = self.buffers, self.buffers + 1
                slot_of[i] = slot
            else:
                slot = -1
            self.code.append((i, ufunc or functions[op], args, slot))
        self.inputs = [(n, rec.var_node[n]) for n in tape.var_node]
        self.piece_rows = max(256, min(PIECE_ROWS, BUFFER_BYTES // (8 * max(1, self.buffers))))
        self._local = threading.local()

    def _buffers(self, rows: int) -> list[Any]:
        """This thread's buffers, made once (viewed at ``rows`` rows)."""
        import numpy as np

        block = getattr(self._local, "block", None)
        if block is None or block.shape[1] < rows:  # no larger than the sweeps need
            block = self._local.block = np.empty((self.buffers, min(rows, self.piece_rows)))
        return [block[k, :rows] for k in range(self.buffers)]

    def sweep(self, columns: Mapping[str, Any], rows: int, value: Any,
              gradient: Sequence[Any], map_: Callable[..., Any] = map) -> dict[int, Any]:
        """Fill ``value`` and ``gradient`` (arrays of ``rows``, in ``names``' order) at
        every row of ``columns``; return the kinks (node → mask of rows).  ``map_`` runs
        the pieces (a thread pool's ``map`` sweeps them on its threads)."""
        import numpy as np

        targets = [value, *gradient]
        step = self.piece_rows

        def piece(s: int) -> tuple[int, dict[int, Any]]:
            e = min(rows, s + step)
            kinks: dict[int, Any] = {}
            with np.errstate(all="ignore"):
                vals = self._run({n: c[s:e] for n, c in columns.items()}, e - s)
                for t, o in zip(targets, self.outputs, strict=True):
                    t[s:e] = vals[o]
                for i, d in self.checks:
                    Arrays.kink(kinks, i, self._where(vals, i), _values(vals, d))
            return s, kinks

        found: dict[int, Any] = {}
        for s, kinks in map_(piece, range(0, rows, step)):
            for i, mask in kinks.items():
                if i not in found:
                    found[i] = np.zeros(rows, dtype=bool)
                found[i][s:s + len(mask)] = mask
        return found

    def _run(self, columns: Mapping[str, Any], rows: int) -> list[Any]:
        vals = list(self.start)
        for n, i in self.inputs:
            vals[i] = columns[n]
        bufs = self._buffers(rows)
        for i, f, args, slot in self.code:
            x = [vals[a] if type(a) is int else a[0] for a in args]
            if slot >= 0:
                vals[i] = f(*x, out=bufs[slot])
            else:
                r = f(*x)
                vals[i] = r.copy() if any(r is v for v in x) else r  # stop_gradient is x
        return vals

    def _where(self, vals: list[Any], i: int) -> Any:
        tape = self.tape
        b = tape.a1[i]
        return NONDIFF[tape.ops[i]](vals[tape.a0[i]], vals[b] if b >= 0 else None,
                                    tape.consts[i])


def _is_none(x: Any) -> bool:
    return x is None


def _or(x: int | None, zero: int) -> int:
    return zero if x is None else x


def _values(vals: list[Any], d: Any) -> Any:
    return tuple(vals[k] for k in d) if isinstance(d, tuple) else vals[d]


def _lowered(np: Any, f: Any, op: int, kind: int, a: int, b: int, c: Any
             ) -> tuple[Any, tuple]:
    """The ufunc that computes node ``op(a, b; c)`` with an ``out`` buffer, and its
    arguments (a node id, or a literal in a 1-tuple), or ``(None, args)`` for a
    function that makes its own array.  ``x^c`` as ``Arrays`` computes it
    (``_power_array``: x·x for c = 2, sqrt for c = 0.5)."""
    if op == _POWC:
        if c == 2.0:
            return np.multiply, (a, a)
        if c == 0.5:
            return np.sqrt, (a,)
        return np.power, (a, (float(c),))
    args = (a,) if kind == 1 else (a, b) if kind == 2 else (a, (float(c),))
    return (f if isinstance(f, np.ufunc) else None), args


_CACHE: list[tuple[Any, ArrayCode]] = []
_CACHE_LOCK = threading.Lock()


def compiled(tape: Tape, names: Sequence[str], mode: str = "reverse",
             output: int | None = None) -> ArrayCode:
    """The array code of ``tape`` (made once for each tape, variables, mode and result:
    a stream of chunks reuses it).  A tape that grows later (tracing) is compiled anew."""
    key = (len(tape), tuple(tape.outputs), tuple(names), mode, output)
    with _CACHE_LOCK:
        for t, code in _CACHE:
            if t[0] is tape and t[1] == key:
                return code
        code = ArrayCode(tape, names, mode, output)
        _CACHE.insert(0, ((tape, key), code))
        del _CACHE[8:]
    return code

