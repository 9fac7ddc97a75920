"""The sweep algebras of doubles and of the tape: the policies the walks of ``sweeps``
run with (``algebra.SweepPolicies``; each derives from ``algebra.SweepAlgebra``).

* ``Floats`` (``FLOATS``): one point, Python floats; errors and overflow raise a
  ``DomainError`` naming the trace node.
* ``Careful``: the same point swept again when a local partial was infinite or
  undefined: IEEE partials (``IEEEAlgebra``) with 0·∞ = 0, so both modes agree.
* ``Arrays``: many points at once, NumPy (``ArrayAlgebra``); nothing raises, non-finite
  rows are settled by the caller, a kink is a mask of rows.
* ``Symbols``: the tape itself (with its simplifier): symbolic derivatives, Hessians,
  and the recording of array code (``batch.array_code``).

The exact and mpmath algebras are in ``symbolic.precise``; the canonical form's in
``symbolic.canonical``.
"""

from __future__ import annotations

import math
import operator
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from functools import partial
from typing import Any, ClassVar

from adcalc.engine.algebra import FLOAT, SweepAlgebra, primitive_methods
from adcalc.engine.primitives import CONST, KIND, PRIMITIVES
from adcalc.engine.tape import Tape


class Floats(SweepAlgebra):
    """One point, Python floats.  Errors raise ``DomainError`` naming the trace node."""

    values: ClassVar[list[Callable[..., Any]]] = [p.value for p in PRIMITIVES]
    rules: Any = FLOAT
    zero = 0.0
    one = 1.0
    nothing = operator.not_
    scale = operator.mul
    add = operator.add
    errors: tuple[type[BaseException], ...] = (ValueError, ArithmeticError)
    compensates = True

    @property
    def careful(self) -> Floats | None:  # type: ignore[override]
        """The algebra to sweep again with when a local partial fails (``Careful``)."""
        return Careful()

    def literals(self, tape: Tape, start: int = 0) -> list[Any]:
        """The starting values of nodes ``start…``: literals hold their number (a
        symbolic tape's exact literals as floats)."""
        if tape.symbolic:
            return [None if c is None else float(c) for c in tape.consts[start:]]
        return tape.consts[start:]

    @staticmethod
    def total(terms: list[float]) -> float:  # type: ignore[override]
        """The adjoint of a node whose contributions are ``terms`` (two or more, in the
        order made).  Two are one IEEE addition, already rounded once; three or more are
        summed with their rounding errors (``compensated``, written out for floats: the
        same operations in the same order), unless that is not finite (∞ - ∞), where
        the sum in order stands and the caller reports it."""
        if len(terms) == 2:
            return terms[0] + terms[1]
        s, t = terms[0], terms[1]
        x = s + t
        z = x - s
        e = (s - (x - z)) + (t - z)
        s = x
        for k in range(2, len(terms)):
            t = terms[k]
            x = s + t
            z = x - s
            e = e + ((s - (x - z)) + (t - z))
            s = x
        r = s + e
        return r if r - r == 0 else s

    def finish(self, tape: Tape, xs: list, what: str, start: int = 0) -> list:
        """Raise ``DomainError`` at the first node (from ``start``) whose ``what`` is not
        finite."""
        if not all(map(math.isfinite, xs[start:] if start else xs)):  # the new tail only
            from adcalc.engine.describe import not_finite

            raise not_finite(tape, xs, what, start)
        return xs


FLOATS = Floats()


class IEEEAlgebra:
    """The primitives on floats with IEEE results (±inf, NaN) instead of exceptions."""

    def __init__(self) -> None:
        import numpy as np

        primitive_methods(self, [
            lambda *a, _f=f, _x=np.float64: float(_f(*(_x(v) for v in a)))
            for f in array_functions()])

    @staticmethod
    def mul(a: float, b: float) -> float:
        """0·∞ = 0 inside a partial too (y·x^(y-1) at y = 0 is 0 for a tiny x)."""
        return 0.0 if a == 0 or b == 0 else float(a) * float(b)


class Careful(Floats):
    """Floats where a local partial may be infinite or undefined, with 0·∞ = 0.

    The convention, the same in both modes: a zero derivative meeting an infinite (or
    undefined) local partial contributes 0 — ``sqrt(x^2)`` at 0 has derivative 0 by
    either sweep, as ``relu(-1)*sqrt(x)`` does — and an infinite partial is an error
    only when it reaches the result.  Used only after the fast sweep met such a partial.
    """

    errors = ()
    careful = None

    def __init__(self) -> None:
        self.rules = IEEEAlgebra()

    @staticmethod
    def scale(d: float, p: float) -> float:  # type: ignore[override]
        return 0.0 if d == 0 or p == 0 else d * p

    def context(self) -> AbstractContextManager:
        import numpy as np

        return np.errstate(all="ignore")

    def finish(self, tape: Tape, xs: list, what: str, start: int = 0) -> list:
        return xs  # the caller checks what reaches the result


class CarefulValues(Careful):
    """A primal walk in IEEE arithmetic with 0·x = 0: the values of a recorded reverse
    sweep (``sweeps.recorded_gradient``) where a partial has none, times a zero adjoint
    (``min(y^x, y)`` at y < 0: y^x·log(y) is undefined, and min takes y), as the sweep
    itself never evaluates a partial its zero adjoint does not need."""

    def __init__(self) -> None:
        super().__init__()
        self.values = [getattr(self.rules, p.name) for p in PRIMITIVES]  # type: ignore[misc]


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
        primitive_methods(self, array_functions())


class Arrays(SweepAlgebra):
    """Many points at once: NumPy float64 arrays (a literal stays a float and broadcasts).

    Nothing raises: a row that leaves a domain comes out NaN or infinite, and the caller
    settles such rows on the scalar path.  A kink is kept as a mask of its rows.
    """

    zero = None
    one = 1.0
    nothing = partial(operator.is_, None)
    add = operator.add
    compensates = True
    literals = Floats.literals

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.values = array_functions()
        self.rules = ArrayAlgebra()

    @staticmethod
    def scale(d: Any, p: Any) -> Any:
        """``d * p``, without the work when ``p`` is the literal 1 or -1."""
        if isinstance(p, float):
            if p == 1.0:
                return d
            if p == -1.0:
                return -d
        return d * p

    def context(self) -> AbstractContextManager:
        import numpy as np

        return np.errstate(all="ignore")

    def kinks(self) -> dict[int, Any]:
        return {}

    @staticmethod
    def at_kink(where: Any) -> bool:
        import numpy as np

        return bool(np.any(where))

    @staticmethod
    def total(terms: list[Any]) -> Any:  # type: ignore[override]
        """As ``Floats.total``; a row that is not finite goes to the scalar path."""
        if len(terms) == 2:
            return terms[0] + terms[1]
        return compensated(terms, operator.add, operator.sub)

    @staticmethod
    def kink(found: dict[int, Any], i: int, where: Any, d: Any) -> None:  # type: ignore[override]
        import numpy as np

        flowing = (np.asarray(d[0]) != 0) | (np.asarray(d[1]) != 0) if isinstance(
            d, tuple) else np.asarray(d) != 0
        rows = np.asarray(where, dtype=bool) & flowing
        if rows.any():
            found[i] = found[i] | rows if i in found else rows

    def finish(self, tape: Tape, xs: list, what: str, start: int = 0) -> list:
        import numpy as np

        return [np.zeros(self.rows) if x is None else x for x in xs]


class Symbols(SweepAlgebra):
    """The tape itself: values are node ids, each rule appends nodes (through ``rules``,
    a ``Simplifier`` or the raw tape).  No point, so no kinks and no domain errors."""

    def __init__(self, tape: Tape, rules: Any) -> None:
        self.tape = tape
        self.rules = rules
        self.zero = tape.const(0.0)
        self.nothing = self.zero.__eq__
        self.scale = rules.mul
        self.add = rules.add

    @property
    def values(self) -> list[Callable[..., int]]:  # type: ignore[override]
        """Each primitive as a node of ``rules`` (made when a primal sweep asks: the
        adjoint sweeps that build derivatives never do)."""
        apply = self.rules.apply

        def value(op: int, kind: int) -> Callable[..., int]:
            if kind == 1:
                return lambda a: apply(op, (a,))
            if kind == 2:
                return lambda a, b: apply(op, (a, b))
            return lambda a, c: apply(op, (a,), c)

        return [value(op, k) for op, k in enumerate(KIND)]

    def number(self, c: Any) -> int:
        """A literal as a node of the values' tape."""
        return self.tape.const(c)

    def literals(self, tape: Tape, start: int = 0) -> list[Any]:
        number = self.number
        return [number(c) if op == CONST else None
                for op, c in zip(tape.ops[start:], tape.consts[start:], strict=True)]

    @property
    def one(self) -> int:  # type: ignore[override]
        return self.number(1.0)

    def kinks(self) -> list[int] | None:
        """No point, so no kinks (``None``: none are looked for), unless a subclass
        records where they are to be checked (``array_code``)."""
        return None if type(self).kink is Symbols.kink else []

    @property
    def compensates(self) -> bool:  # type: ignore[override]
        """Only the recording of array code sums as ``Arrays`` does (``total``), so the
        recorded code does the same IEEE operations; not a symbolic tape."""
        return self.kinks() is not None

    @staticmethod
    def at_kink(where: Any) -> bool:
        return True  # decided where the recorded code runs

    def total(self, terms: list[Any]) -> Any:
        """Recorded as nodes (array code sums as ``Arrays.total`` does)."""
        if len(terms) == 2:
            return self.add(terms[0], terms[1])
        return compensated(terms, self.rules.add, self.rules.sub)

    @staticmethod
    def kink(found: list[int], i: int, where: Any, d: Any) -> None:
        return None


def compensated(terms: Sequence[Any], add: Callable[[Any, Any], Any],
                sub: Callable[[Any, Any], Any]) -> Any:
    """The sum of ``terms`` as if in twice the precision, then rounded (Ogita, Rump and
    Oishi's Sum2: each addition's rounding error, found exactly by Knuth's TwoSum, is
    summed apart and added last), with the algebra's ``add`` and ``sub`` only, so arrays
    and recorded code do what one point does.  ``1 + 5e16 - 5e16`` is 1, where adding
    in order gives 0."""
    s, e = terms[0], None
    for t in terms[1:]:
        x = add(s, t)
        z = sub(x, s)
        err = add(sub(s, sub(x, z)), sub(t, z))
        e = err if e is None else add(e, err)
        s = x
    return add(s, e)
