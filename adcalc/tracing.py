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
* ``Var("w", 0.7)`` names an input.  Making ``Var("w", 0.5)`` again on the same tape, or
  setting ``w.value = 0.5``, rebinds the input: every expression of ``w`` follows.
* ``.backward()`` *adds* each input's derivative to its ``.grad``, as PyTorch and
  micrograd do; set ``x.grad = 0`` (or call ``zero_grad``) between steps.  ``.grad`` of
  an intermediate is its adjoint in the last backward sweep.
* A traced value has no truth value: ``if x > 0`` would pick one branch for every point,
  silently, so comparisons and ``bool()`` raise; branch on ``x.value``, or use ``relu``,
  ``max``, ``step``.  Inside ``trace``, ``float(x)`` raises too (``math.sin(x)`` would
  cut the derivative); outside, ``float(x)`` is the value.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from adcalc.build import ALIASES, FUNCTIONS, REDUCTIONS, Builder, Vector
from adcalc.errors import AdcalcError, ParseError
from adcalc.fastparse import Word
from adcalc.primitives import ADD, CONST, DIV, INPUT, MUL, NEG, SUB
from adcalc.tape import Tape


class TracingError(AdcalcError, TypeError):
    """Python code did something a trace cannot record (a branch on a traced value)."""

    exit_code = 2


class Recording:
    """One tape, the current values of its inputs, and what the last sweeps left."""

    def __init__(self) -> None:
        self.tape = Tape()
        self.builder = Builder()
        self.builder.tape = self.tape
        self.inputs: dict[str, float] = {}
        self.grads: dict[int, float] = {}
        """Accumulated ``.grad`` of input nodes."""
        self.adjoints: list[float] = []
        """The last backward sweep's adjoints (``.grad`` of intermediates)."""
        self._values: list[float] = []
        self.strict_floats = False
        """Inside ``trace``: ``float(x)`` raises, so ``math.sin(x)`` cannot cut a derivative."""

    def values(self) -> list[float]:
        """Every node's value for the inputs' current values (only new nodes are swept)."""
        from adcalc.sweeps import primal

        if len(self._values) < len(self.tape):
            self._values = primal(self.tape, self.inputs, resume=self._values)
        return self._values

    def bind(self, name: str, value: float) -> None:
        if self.inputs.get(name) != value:
            self.inputs[name] = value
            self._values = []  # every value may change: sweep again when asked


_default: list[Recording] = [Recording()]


def recording() -> Recording:
    """The recording new ``Var``s join (a fresh one inside ``trace``)."""
    return _default[-1]


@contextlib.contextmanager
def new_recording(strict_floats: bool = False) -> Iterator[Recording]:
    rec = Recording()
    rec.strict_floats = strict_floats
    _default.append(rec)
    try:
        yield rec
    finally:
        _default.pop()


def reset() -> None:
    """Start the default recording afresh (``Var``s made before keep their own)."""
    _default[0] = Recording()


class Var:
    """A value traced onto a tape.  ``Var("x1", 1.0)`` is an input; ``Var(2.0)`` one with
    a made-up name."""

    __slots__ = ("node", "rec")
    __array_priority__ = 1000

    def __init__(self, name: str | float, value: float | None = None) -> None:
        rec = recording()
        if not isinstance(name, str):
            name, value = _fresh_name(rec), name
        if value is None:
            raise TracingError(f"Var({name!r}) needs a value: Var({name!r}, 1.0)")
        if name in FUNCTIONS or name in REDUCTIONS or name in ("pi", "e"):
            raise TracingError(f"{name} is a function or a constant; name the variable "
                               "otherwise")
        value = float(value)
        if not math.isfinite(value):
            raise TracingError(f"{name} = {value}: values must be finite")
        self.rec = rec
        self.node = rec.tape.input(name)
        rec.bind(name, value)

    @classmethod
    def _of(cls, rec: Recording, node: int) -> Var:
        v = object.__new__(cls)
        v.rec, v.node = rec, node
        return v

    # -- what a user reads -------------------------------------------------------------
    @property
    def name(self) -> str | None:
        return self.rec.tape.input_name.get(self.node)

    @property
    def value(self) -> float:
        return self.rec.values()[self.node]

    @value.setter
    def value(self, x: float) -> None:
        name = self.name
        if name is None:
            raise TracingError("only an input's value can be set; this is an intermediate")
        self.rec.bind(name, float(x))

    @property
    def grad(self) -> float:
        if self.rec.tape.ops[self.node] == INPUT:
            return self.rec.grads.get(self.node, 0.0)
        adjoints = self.rec.adjoints
        return adjoints[self.node] if self.node < len(adjoints) else 0.0

    @grad.setter
    def grad(self, g: float | None) -> None:
        self.rec.grads[self.node] = 0.0 if g is None else float(g)

    def zero_grad(self) -> None:
        self.grad = 0.0

    def backward(self) -> None:
        """One adjoint sweep from here; each input's derivative is added to its grad."""
        from adcalc.sweeps import adjoint

        rec = self.rec
        sweep = adjoint(rec.tape, rec.values(), {self.node: 1.0})
        rec.adjoints = sweep.adjoints
        for i in rec.tape.input_name:
            rec.grads[i] = rec.grads.get(i, 0.0) + sweep.adjoints[i]

    def __repr__(self) -> str:
        name = self.name
        try:
            value = repr(self.value)
        except AdcalcError:
            value = "undefined"
        return f"Var({name!r}, {value})" if name else f"Var(value={value})"

    def __float__(self) -> float:
        if self.rec.strict_floats:
            raise TracingError("float() of a traced value inside a traced function cuts its "
                               "derivative (math.sin(x) does this too): use adcalc's "
                               "functions (adcalc.sin, adcalc.exp, …), or x.value to mean "
                               "the number on purpose")
        return self.value

    def __bool__(self) -> bool:
        raise TracingError("a traced value is not True or False: a branch on it would be "
                           "taken the same way at every point; branch on x.value, or use "
                           "relu, max, min or step")

    def _compare(self, other: Any) -> bool:
        raise TracingError("comparing traced values would branch the trace: compare "
                           "x.value (a number) on purpose, or use max, min, step or relu")

    __lt__ = __le__ = __gt__ = __ge__ = _compare
    __hash__ = object.__hash__

    # -- arithmetic, through the parser's callbacks -----------------------------------
    def _binary(self, op: int, other: Any, swap: bool = False) -> Var:
        rec, b = _operands(self, other)
        x, y = (b, self.node) if swap else (self.node, b)
        return Var._of(rec, rec.tape.node(op, x, y))

    def __add__(self, o: Any) -> Var:
        return self._binary(ADD, o)

    def __radd__(self, o: Any) -> Var:
        return self._binary(ADD, o, True)

    def __sub__(self, o: Any) -> Var:
        return self._binary(SUB, o)

    def __rsub__(self, o: Any) -> Var:
        return self._binary(SUB, o, True)

    def __mul__(self, o: Any) -> Var:
        return self._binary(MUL, o)

    def __rmul__(self, o: Any) -> Var:
        return self._binary(MUL, o, True)

    def __truediv__(self, o: Any) -> Var:
        return self._binary(DIV, o)

    def __rtruediv__(self, o: Any) -> Var:
        return self._binary(DIV, o, True)

    def __pow__(self, o: Any) -> Var:
        rec, b = _operands(self, o)
        return Var._of(rec, rec.builder.power(self.node, b))

    def __rpow__(self, o: Any) -> Var:
        rec, b = _operands(self, o)
        return Var._of(rec, rec.builder.power(b, self.node))

    def __neg__(self) -> Var:
        return Var._of(self.rec, self.rec.tape.node(NEG, self.node))

    def __pos__(self) -> Var:
        return self

    def __abs__(self) -> Var:
        return call("abs", self)  # type: ignore[return-value]

    # -- NumPy: np.sin(v), and object arrays of Vars ------------------------------------
    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        import numpy as np

        name = NUMPY.get(ufunc.__name__)
        if method != "__call__" or name is None or kwargs:
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
        return call(name, *inputs)


NUMPY = {"add": "+", "subtract": "-", "multiply": "*", "true_divide": "/", "divide": "/",
         "negative": "neg", "power": "pow", "sin": "sin", "cos": "cos", "tan": "tan",
         "arcsin": "asin", "arccos": "acos", "arctan": "atan", "sinh": "sinh", "cosh": "cosh",
         "tanh": "tanh", "exp": "exp", "log": "log", "log2": "log2", "log10": "log10",
         "sqrt": "sqrt", "absolute": "abs", "sign": "sign", "arctan2": "atan2",
         "maximum": "max", "minimum": "min", "hypot": "hypot"}
"""NumPy's ufuncs that are adcalc functions (an object array calls the same-named method)."""


def _fresh_name(rec: Recording) -> str:
    k = len(rec.tape.variables) + 1
    while f"x{k}" in rec.tape.var_node:
        k += 1
    return f"x{k}"


def _operands(v: Var, other: Any) -> tuple[Recording, int]:
    """``other`` as a node of ``v``'s tape (a Python number becomes a literal)."""
    rec = v.rec
    if isinstance(other, Var):
        if other.rec is not rec:
            raise TracingError("these values were traced on different tapes (one inside "
                               "adcalc.trace, one outside?): make them on the same one")
        return rec, other.node
    if isinstance(other, bool) or not isinstance(other, (int, float)):
        try:
            import numpy as np

            if isinstance(other, np.floating | np.integer):
                return rec, rec.tape.const(float(other))
        except ImportError:  # pragma: no cover
            pass
        raise TracingError(f"cannot trace an operation with a {type(other).__name__}")
    return rec, rec.tape.const(float(other))


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
        vals = rec.values()
        return [vals[i] for i in out] if isinstance(out, Vector) else vals[out]
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
    if isinstance(a, Var):
        if a.rec is not rec:
            raise TracingError("these values were traced on different tapes")
        return a.node
    return rec.tape.const(float(a))


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


def outputs_tape(outputs: Sequence[Var], inputs: Sequence[str] | None = None) -> Tape:
    """A tape of just what ``outputs`` depend on (with ``inputs`` first, all of them,
    even unused: a function's parameters), ready for every command."""
    rec = outputs[0].rec
    tape = rec.tape
    need = [False] * len(tape)
    for v in outputs:
        if v.rec is not rec:
            raise TracingError("the outputs were traced on different tapes")
        need[v.node] = True
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
    return new


def point_of(v: Var, tape: Tape) -> dict[str, float]:
    return {n: v.rec.inputs[n] for n in tape.variables}


def trace(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``trace(f)(x1=1.0, x2=0.5)``: call ``f`` with a Var for each argument, on a fresh
    tape; the result is what ``f`` returns (a Var, or a list of them)."""
    import functools
    import inspect

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


def gradient_function(fn: Callable[..., Any]) -> Callable[..., dict[str, float]]:
    """``adcalc.grad(f)``: a function giving f's gradient by parameter name, like JAX's
    ``grad`` (all parameters, not just the first)."""
    import functools

    traced = trace(fn)

    @functools.wraps(fn)
    def g(*args: Any, **kwargs: Any) -> dict[str, float]:
        out = traced(*args, **kwargs)
        if not isinstance(out, Var):
            raise TracingError(f"{fn.__name__} must return one traced value for a gradient, "
                               f"not {type(out).__name__}")
        out.backward()
        return {n: out.rec.grads.get(i, 0.0) for n, i in out.rec.tape.var_node.items()}

    return g
