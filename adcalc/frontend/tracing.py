"""Python code in: ``Var`` records onto the same hash-consed tape the parser builds.

    >>> from adcalc import Var, sin, log
    >>> x1, x2 = Var("x1", 1.0), Var("x2", 0.5)
    >>> f = log((x1 + x2)**2 + sin(x1 * x2))
    >>> f.backward()
    >>> x1.grad, x2.grad
    (1.2598956199053317, 1.4206588555162871)

Every operation on a ``Var`` appends a node through the parser's own callbacks
(``build.Builder``), so the rules, sweeps, traces, checks and pictures are the ones the
command line uses.  How it differs from micrograd and PyTorch, on purpose:

* A ``Var`` is a handle to a node of a tape; the tape is the function.  Values are
  computed when asked for (``.value``, ``.backward()``), by the primal sweep, for the
  inputs' current values; building the same expression twice makes no new nodes
  (hash-consing), so a training loop does not grow the tape.
* ``Var("w", 0.7)`` (or ``Var(0.7, "w")``, micrograd's order) makes an input; setting
  ``w.value = 0.5`` rebinds it: every expression of ``w`` follows.  Each ``Var(...)`` is
  a variable of its own: a second ``Var("w", 0.5)`` on the same tape is the variable
  ``w_2`` (its ``.name``; a third is ``w_3``), never the first one again.
* ``.backward()`` *adds* each node's adjoint to its ``.grad`` (any node's, as PyTorch's
  ``retain_grad`` and micrograd do): zero it (``x.zero_grad()``) between steps.
* A node outside its domain leaves undefined only the values that depend on it: an
  unrelated ``sqrt(x)`` at ``x = -1`` does not make ``abs(x)`` fail.
* Comparisons (``<``, ``==``, …, and ``bool(x)``: ``x != 0``) give Python bools from the
  current values, as PyTorch does, and each is recorded as a decision on the tape
  (``Tape.decisions``, ``adcalc.frontend.var_decisions``): a traced function is traced
  again where a decision flips, and a value computed before its inputs were rebound
  raises rather than give a branch that no longer holds.  ``Var``s hash by identity
  (dict keys, sets); ``x is y`` asks whether two are the same.  Inside ``trace``,
  ``float(x)`` raises (``math.sin(x)`` would cut the derivative); outside, it is the value.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from adcalc.engine.primitives import ADD, CONST, CONSTANTS, DIV, MUL, NEG, SUB
from adcalc.engine.tape import Tape
from adcalc.errors import AdcalcError, DomainError, ParseError
from adcalc.frontend.build import ALIASES, FUNCTIONS, REDUCTIONS, Builder, Vector
from adcalc.frontend.lalr import Word
from adcalc.frontend.tracer import function_too_long, unroll_limit


class TracingError(AdcalcError, TypeError):
    """Python code did something a trace cannot record, or read a value of a branch no
    longer taken (a decision flipped since it was computed)."""

    exit_code = 2


class Recording:
    """One tape, the current values of its inputs, and what the last sweeps left."""

    def __init__(self) -> None:
        self.tape = Tape()
        self.builder = Builder()
        self.builder.tape = self.tape
        self.inputs: dict[str, float] = {}
        self.grads: list[float | None] = []
        """Every node's ``.grad``: its adjoints added up over the ``backward()`` calls since
        it was zeroed (``None``: zeroed, or never swept; the next sweep's adjoint is then
        taken as it is, so a -0.0 stays -0.0)."""
        self.undefined: dict[int, int] = {}
        """Nodes without a value at the inputs' current values → the node where it failed
        (outside a domain, or too large); they hold NaN in ``values()``."""
        self.suffixes: dict[str, int] = {}
        """The next ``_k`` to try for each name made again (``x_2``, ``x_3``, …)."""
        self._values: list[float] = []
        self.strict_floats = False
        """Inside ``trace``: ``float(x)`` raises, so ``math.sin(x)`` cannot cut a derivative."""
        self.function = False
        """A traced function's recording (``trace``, ``adcalc.grad(f)``, ``--python``): every
        decision it records guards what it returns."""
        self.read_values = False
        """The function read a traced value's number (``x.value``): its trace holds for
        this point only, and ``adcalc.grad(f)`` does not reuse it."""
        self.epoch = 0
        """How many times an input was rebound to another value (``w.value = …``)."""
        self.epoch_start = [0]
        """The first decision (an index into ``tape.decisions``) of each epoch."""
        self.mark: tuple[int, int] | None = None
        """What a ``Var`` made now depends on: ``(epoch, decisions so far)``, or ``None``
        while this epoch has made no decision (``var_decisions.refresh``)."""
        self.decided: dict[tuple[int, str, int], int] = {}
        """This epoch's decisions by ``(left, op, right)``: each is recorded once."""
        self.seen: dict[Any, int] = {}
        """How many decisions each place of the user's code made in this epoch."""
        self.limit, self.compared = 1 << 62, 0  # a traced function's rows, comparisons

    def values(self) -> list[float]:
        """Every node's value for the inputs' current values (only new nodes are swept).
        A node without one holds NaN and is in ``undefined``: read values through
        ``value``, which raises its error."""
        from adcalc.engine.sweeps import primal

        vals = self._values
        start = len(vals)
        if start < len(self.tape):
            if not self.undefined:
                try:
                    return primal(self.tape, self.inputs, resume=vals)  # extends vals
                except DomainError:
                    del vals[start:]
            self._sweep_around_errors(start)
        return vals

    def _sweep_around_errors(self, start: int) -> None:
        """The primal sweep from ``start`` going on past a node that fails: the nodes that
        depend on it are undefined, every other keeps its value (the same primitives, in
        the same order, as ``sweeps.primal``)."""
        from adcalc.engine.sweeps import FLOATS, KIND

        tape, vals, undefined = self.tape, self._values, self.undefined
        ops, a0, a1, consts = tape.ops, tape.a0, tape.a1, tape.consts
        vals.extend(FLOATS.literals(tape, start))
        for name, i in tape.var_node.items():
            if i >= start:
                vals[i] = self.inputs[name]
        value, errors, isfinite, nan = FLOATS.values, FLOATS.errors, math.isfinite, math.nan
        for i in range(start, len(ops)):
            op = ops[i]
            if op < 0:
                if op == CONST and not isfinite(vals[i]):
                    undefined[i], vals[i] = i, nan
                continue
            a, b = a0[i], a1[i]
            if undefined and (a in undefined or b in undefined):
                undefined[i] = undefined[a] if a in undefined else undefined[b]
                vals[i] = nan
                continue
            k = KIND[op]
            try:
                if k == 1:
                    x = value[op](vals[a])
                elif k == 2:
                    x = value[op](vals[a], vals[b])
                else:
                    x = value[op](vals[a], consts[i])
            except errors:
                x = nan
            if not isfinite(x):
                undefined[i], x = i, nan
            vals[i] = x

    def value(self, node: int) -> float:
        """The value of ``node``, or the ``DomainError`` of the node it depends on that
        has none (as ``adcalc.show`` and the command line report it for this value)."""
        vals = self.values()
        if node in self.undefined:
            raise self.error(node)
        return vals[node]

    def error(self, node: int) -> DomainError:
        """Why ``node`` has no value: the sweep of just what it depends on, which fails
        at the same node, labelled as ``adcalc.show`` labels it."""
        from adcalc.engine.sweeps import primal
        from adcalc.frontend.var_decisions import outputs_tape

        tape = outputs_tape([Var._of(self, node)], decisions=False)
        try:
            primal(tape, {n: self.inputs[n] for n in tape.variables})
        except DomainError as exc:
            return exc
        return DomainError("this value is not defined at the inputs' values")  # pragma: no cover

    def bind(self, name: str, value: float) -> None:
        old = self.inputs.get(name)
        if old is None or old != value or math.copysign(1.0, old) != math.copysign(1.0, value):
            self.inputs[name] = value  # -0.0 is not 0.0: atan2(y, -1) tells them apart
            self._values = []  # every value may change: sweep again when asked
            self.undefined = {}
            if old is not None and self.tape.decisions:  # a decision may flip: a new epoch
                self.epoch += 1
                self.epoch_start.append(len(self.tape.decisions))
                self.mark, self.decided, self.seen = None, {}, {}

    def add_decision(self, decision: Any) -> None:
        """``decision`` recorded, unless this epoch has decided its comparison already."""
        key = (decision.left, decision.op, decision.right)
        if key not in self.decided:
            decisions = self.tape.decisions
            self.decided[key] = len(decisions)
            decisions.append(decision)
            self.mark = (self.epoch, len(decisions))

    def add_adjoints(self, adjoints: list[float]) -> None:
        """One backward sweep's adjoints added to every node's ``.grad``."""
        grads = self.grads
        grads.extend([None] * (len(adjoints) - len(grads)))
        self.grads = [b if a is None else a + b for a, b in zip(grads, adjoints, strict=True)]

    def set_grad(self, node: int, g: float | None) -> None:
        grads = self.grads
        if node >= len(grads):
            grads.extend([None] * (len(self.tape) - len(grads)))
        grads[node] = g

    def grad(self, node: int) -> float:
        g = self.grads[node] if node < len(self.grads) else None
        return 0.0 if g is None else g


_default: list[Recording] = [Recording()]


def recording() -> Recording:
    """The recording new ``Var``s join (a fresh one inside ``trace``)."""
    return _default[-1]


@contextlib.contextmanager
def new_recording(strict_floats: bool = False) -> Iterator[Recording]:
    """A fresh recording for the block; ``strict_floats``: a traced function's (``float(x)``
    raises, and every decision guards its result)."""
    rec = Recording()
    rec.strict_floats = rec.function = strict_floats
    rec.limit = unroll_limit() if strict_floats else rec.limit  # as a program's loops
    _default.append(rec)
    try:
        yield rec
    finally:
        _default.pop()


def reset() -> None:
    """Start the default recording afresh (``Var``s made before keep their own)."""
    _default[0] = Recording()


def _comparison(op: str) -> Callable[[Var, Any], bool]:
    def compare(self: Var, other: Any) -> bool:
        from adcalc.frontend.var_decisions import decide

        return decide(self, op, other)

    return compare


def _arithmetic(op: int, swap: bool = False) -> Callable[[Var, Any], Var]:
    def apply(self: Var, other: Any) -> Var:
        return self._binary(op, other, swap)

    return apply


def _as(f: Callable[..., Any]) -> Callable[..., Any]:  # float(x), int(x), round(x), …
    def number(self: Var, *args: Any) -> Any:
        from adcalc.frontend.var_decisions import as_number

        return as_number(self, f, *args)

    return number


class Var:
    """A value traced onto a tape.  ``Var("x1", 1.0)`` (or ``Var(1.0, "x1")``) is an
    input; ``Var(2.0)`` one with a made-up name.  Every ``Var(...)`` is a new variable:
    a name already on the tape gets a suffix (``x_2``, ``x_3``, …)."""

    __slots__ = ("mark", "node", "rec")
    __array_priority__ = 1000

    def __init__(self, name: str | float | None = None, value: float | str | None = None
                 ) -> None:
        rec = recording()
        given = [a for a in (name, value) if a is not None]
        names = [a for a in given if isinstance(a, str)]
        numbers_ = [a for a in given if not isinstance(a, str)]
        if len(names) > 1 or len(numbers_) > 1:
            raise TracingError(f"Var({', '.join(map(repr, given))}): give one name (a str) and "
                               "one value (a number), as in Var('x', 1.0)")
        if not numbers_:
            label = repr(names[0]) if names else "'x'"
            raise TracingError(f"Var({label if names else ''}) needs a value: "
                               f"Var({label}, 1.0)")
        if names:
            _check_name(names[0])
            name = _unique_name(rec, names[0])
        else:
            name = _fresh_name(rec)
        x = _number(numbers_[0], f"the value of {name}")
        self.rec, self.mark = rec, None  # an input's value is always its own
        self.node = rec.tape.input(name)
        rec.bind(name, x)

    @classmethod
    def _of(cls, rec: Recording, node: int) -> Var:
        if node >= rec.limit:
            raise function_too_long(rec.limit)
        v = object.__new__(cls)
        v.rec, v.node, v.mark = rec, node, rec.mark
        return v

    # -- what a user reads -------------------------------------------------------------
    @property
    def name(self) -> str | None:
        return self.rec.tape.input_name.get(self.node)

    @property
    def value(self) -> float:
        rec = self.rec
        _fresh(self)
        if rec.function:
            rec.read_values = True
        return rec.value(self.node)

    @value.setter
    def value(self, x: float) -> None:
        name = self.name
        if name is None:
            raise TracingError("only an input's value can be set; this is an intermediate")
        self.rec.bind(name, _number(x, f"the value of {name}"))

    @property
    def grad(self) -> float:
        """The adjoints of this node added up over the ``backward()`` calls since it was
        zeroed (inputs and intermediates alike)."""
        return self.rec.grad(self.node)

    @grad.setter
    def grad(self, g: float | None) -> None:
        self.rec.set_grad(self.node, None if g is None else _number(g, "a grad", finite=False))

    def zero_grad(self) -> None:
        """``.grad`` back to 0 (the next ``backward()`` starts it afresh)."""
        self.rec.set_grad(self.node, None)

    def backward(self) -> None:
        """One adjoint sweep from here; each node's adjoint is added to its ``.grad``."""
        from adcalc.engine.sweeps import adjoint

        rec = self.rec
        _fresh(self)
        rec.value(self.node)  # raises when this value is not defined here
        rec.add_adjoints(adjoint(rec.tape, rec.values(), {self.node: 1.0}).adjoints)

    def __repr__(self) -> str:
        name = self.name
        try:
            _fresh(self)
            value = repr(self.rec.value(self.node))
        except TracingError:
            value = "stale"
        except AdcalcError:
            value = "undefined"
        return f"Var({name!r}, {value})" if name else f"Var(value={value})"

    __float__, __int__, __round__, __trunc__, __floor__, __ceil__ = (
        _as(f) for f in (float, int, round, math.trunc, math.floor, math.ceil))

    # -- comparisons: Python bools from the current values, each a recorded decision --
    def __bool__(self) -> bool:
        from adcalc.frontend.var_decisions import decide

        return decide(self, "!=", 0.0, truth=True)

    __lt__, __le__, __gt__, __ge__ = (_comparison(op) for op in ("<", "<=", ">", ">="))
    __eq__, __ne__ = _comparison("=="), _comparison("!=")  # type: ignore[assignment]
    __hash__ = object.__hash__

    # -- arithmetic, through the parser's callbacks -----------------------------------
    def _binary(self, op: int, other: Any, swap: bool = False) -> Var:
        rec, b = _operands(self, other)
        x, y = (b, self.node) if swap else (self.node, b)
        return Var._of(rec, rec.tape.node(op, x, y))

    __add__, __sub__, __mul__, __truediv__ = (_arithmetic(op) for op in (ADD, SUB, MUL, DIV))
    __radd__, __rsub__, __rmul__, __rtruediv__ = (
        _arithmetic(op, True) for op in (ADD, SUB, MUL, DIV))

    def __pow__(self, o: Any) -> Var:
        rec, b = _operands(self, o)
        return Var._of(rec, rec.builder.power(self.node, b))

    def __rpow__(self, o: Any) -> Var:
        rec, b = _operands(self, o)
        return Var._of(rec, rec.builder.power(b, self.node))

    def __neg__(self) -> Var:
        _fresh(self)
        return Var._of(self.rec, self.rec.tape.node(NEG, self.node))

    def __pos__(self) -> Var:
        return self

    def __abs__(self) -> Var:
        return call("abs", self)  # type: ignore[return-value]

    # -- NumPy: np.sin(v), and object arrays of Vars ------------------------------------
    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        import numpy as np

        name = NUMPY.get(ufunc.__name__)
        compare = NUMPY_COMPARISONS.get(ufunc.__name__)
        if compare is not None and method == "__call__" and not kwargs and len(inputs) == 2:
            name = compare  # np.float64(2.0) < x, np.less(x, y): a decision
        elif method != "__call__" or name is None or kwargs:
            return NotImplemented
        if any(isinstance(x, np.ndarray) for x in inputs):  # entry by entry, NumPy's way
            boxed = []
            for x in inputs:
                if isinstance(x, Var):
                    box = np.empty((), dtype=object)
                    box[()] = x
                    x = box
                boxed.append(x)
            return ufunc(*boxed)
        if compare is not None:
            from adcalc.frontend.var_decisions import decide

            return decide(inputs[0], compare, inputs[1])
        return call(name, *inputs)


def _fresh(v: Var) -> None:
    """Nothing, when ``v`` was made in this epoch (or before any decision of its own); else
    ``var_decisions.refresh``: its decisions checked at the inputs' current values."""
    m = v.mark
    if m is not None and m[0] != v.rec.epoch:
        from adcalc.frontend.var_decisions import refresh

        refresh(v)


NUMPY_COMPARISONS = {"less": "<", "less_equal": "<=", "greater": ">", "greater_equal": ">=",
                     "equal": "==", "not_equal": "!="}


NUMPY = {"add": "+", "subtract": "-", "multiply": "*", "true_divide": "/", "divide": "/",
         "negative": "neg", "power": "pow", "sin": "sin", "cos": "cos", "tan": "tan",
         "arcsin": "asin", "arccos": "acos", "arctan": "atan", "sinh": "sinh", "cosh": "cosh",
         "tanh": "tanh", "exp": "exp", "log": "log", "log2": "log2", "log10": "log10",
         "sqrt": "sqrt", "absolute": "abs", "sign": "sign", "arctan2": "atan2",
         "maximum": "max", "minimum": "min", "hypot": "hypot"}
"""NumPy's ufuncs that are adcalc functions (an object array calls the same-named method)."""


RESERVED = {*FUNCTIONS, *ALIASES, *REDUCTIONS, *CONSTANTS}
"""Names that are functions or constants of the expression language: never a variable's."""


def _check_name(name: str) -> None:
    base, bracket, index = name.partition("[")
    if not base.isidentifier() or (bracket and not re.fullmatch(r"[0-9]+\]", index)):
        raise TracingError(f"Var({name!r}, …): a variable's name is an identifier, as x1, w "
                           "or w[2] (it is what traces and formulas show)")
    if name in RESERVED:
        raise TracingError(f"{name} is a function or a constant; name the variable otherwise")


def _unique_name(rec: Recording, name: str) -> str:
    """``name``, or, when the tape has it already, ``name_2`` (``w_2[1]`` for ``w[1]``),
    ``name_3``, …: the first that is free."""
    taken = rec.tape.var_node
    if name not in taken:
        return name
    base, bracket, index = name.partition("[")
    k = rec.suffixes.get(name, 2)
    while (label := f"{base}_{k}{bracket}{index}") in taken or label in RESERVED:
        k += 1
    rec.suffixes[name] = k + 1
    return label


def _fresh_name(rec: Recording) -> str:
    k = len(rec.tape.variables) + 1
    while f"x{k}" in rec.tape.var_node:
        k += 1
    return f"x{k}"


def _number(x: Any, what: str, finite: bool = True) -> float:
    """``x`` as a float, or a ``TracingError`` saying what ``x`` should have been."""
    if isinstance(x, Var):
        raise TracingError(f"{what} is a traced value; give a number (x.value is the number "
                           "a Var has now)")
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TracingError(f"{what} must be a number, not {type(x).__name__} {x!r}")
    value = float(x)
    if finite and not math.isfinite(value):
        raise TracingError(f"{what} is {value}: values must be finite")
    return value


def _operands(v: Var, other: Any) -> tuple[Recording, int]:
    """``other`` as a node of ``v``'s tape (a Python number becomes a literal)."""
    _fresh(v)
    return v.rec, _operands_of(v.rec, other)


def call(name: str, *args: Any) -> Var | float | list:
    """adcalc's function ``name`` on Vars, numbers or lists of them: a new node, or a
    float when no argument is traced (``adcalc.sin(0.5)`` is just the number)."""
    traced = next((a for a in _flat(args) if isinstance(a, Var)), None)
    rec = traced.rec if traced is not None else Recording()
    values = [_value(rec, a) for a in args]
    symbol = {"+": ADD, "-": SUB, "*": MUL, "/": DIV}.get(name)
    try:
        if symbol is not None:
            out = rec.builder.binary(symbol, name, values[0], values[1])
        elif name == "neg":
            out = rec.builder.neg([values[0]])
        elif name == "pow":
            out = rec.builder.pow([values[0], values[1]])
        else:
            out = rec.builder.call([Word("NAME", name, 0), values])
    except ParseError as exc:
        raise TracingError(str(exc).split("\n")[0]) from None
    if traced is None:  # numbers in, numbers out: the same rules, swept at once
        return [rec.value(i) for i in out] if isinstance(out, Vector) else rec.value(out)
    return _wrap(rec, out)


def _flat(args: Sequence[Any]) -> Iterator[Any]:
    for a in args:
        if isinstance(a, list | tuple):
            yield from a
        else:
            yield a


def _value(rec: Recording, a: Any) -> int | Vector:
    if isinstance(a, list | tuple):
        return Vector(_operands_of(rec, x) for x in a)
    return _operands_of(rec, a)


def _operands_of(rec: Recording, a: Any) -> int:
    """``a`` as a node of ``rec``'s tape: a Var's own, or a literal for a number."""
    if isinstance(a, Var):
        if a.rec is not rec:
            raise TracingError("these values were traced on different tapes (one inside "
                               "adcalc.trace, one outside?): make them on the same one")
        _fresh(a)
        return a.node
    if isinstance(a, bool) or not isinstance(a, numbers.Real):
        raise TracingError(f"cannot trace an operation with a {type(a).__name__}")
    x = float(a)
    if not math.isfinite(x):
        raise TracingError(f"cannot trace an operation with {x}: numbers must be finite")
    return rec.tape.const(x)


def _wrap(rec: Recording, out: int | Vector) -> Var | list:
    if isinstance(out, Vector):
        return [Var._of(rec, i) for i in out]
    return Var._of(rec, out)


def function(name: str) -> Callable[..., Any]:
    def f(*args: Any) -> Any:
        return call(name, *args)

    f.__name__ = f.__qualname__ = name
    prim = FUNCTIONS.get(ALIASES.get(name, name))
    f.__doc__ = prim.doc if prim else REDUCTIONS[name][1]
    return f


FUNCTION_NAMES = sorted({*FUNCTIONS, *REDUCTIONS})
"""Every function of the table (and the reductions), callable on Vars: ``adcalc.sin``."""

# Methods, as micrograd has them (x.relu(), x.tanh(), x.exp()) and as NumPy's object
# arrays call them (np.sin(array) calls x.sin(), np.arctan2 x.arctan2(y)).
_METHODS = {name: name for name, p in FUNCTIONS.items() if not p.variadic}
_METHODS.update({np_name: name for np_name, name in NUMPY.items()
                 if name.isidentifier() and name not in ("neg", "pow")})
for _method, _name in _METHODS.items():
    if _method != "pow":
        setattr(Var, _method, lambda self, *a, _n=_name: call(_n, self, *a))


_MOVED = {"outputs_tape", "point_of", "trace", "gradient_function", "Gradients"}


def __getattr__(name: str) -> Any:
    """``outputs_tape``, ``trace``, ``gradient_function``: in ``var_decisions`` (where the
    decisions of a traced function are kept), imported on first use."""
    if name in _MOVED:
        from adcalc.frontend import var_decisions

        return getattr(var_decisions, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
