"""The sweeps written out: the walks of ``adcalc.engine.sweeps`` over an algebra that
records straight-line code instead of computing numbers.

``Code`` is the rule algebra: each primitive's method appends an instruction (hash-consed,
so a partial the primal already computes, or two contributions that need the same
``cos(v3)``, is one statement) and returns its id; a literal stays a float and folds
where the float sweep would compute the same number.  ``CodeSweep`` is the sweep algebra:
a zero adjoint is ``None`` (nothing is written for it), a literal 0 partial passes
nothing on, a literal 1 multiplies nothing, and a node with three or more contributions
gets one ``total(...)`` of them: the compensated sum ``Floats.total`` does, so the
generated gradient is the reverse sweep's, operation for operation.

``lower`` turns the instructions the outputs need into statements, named after the trace
(``v3``, its adjoint ``v3b``, its tangent ``v3d``); a single-use piece of a few operations
is written inside its one use (``v3b = v5b*cos(v3)``), anything else gets a name
(``t4``).  The syntax is a ``Target``'s (python, numpy, c); nothing of the expression's
text reaches the code but mangled names and sanitised comments.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from adcalc.engine.algebra import PrintAlgebra, SweepAlgebra, flatten, primitive_methods
from adcalc.engine.primitives import BY_NAME, CONST, INPUT, PREC_ATOM, PRIMITIVES
from adcalc.engine.sweeps import adjoint, gradient_nodes, tangent
from adcalc.engine.tape import Tape

Value = int | float | None
"""An instruction id, a literal, or ``None``: a derivative that is zero (nothing flows)."""

INLINE_SIZE = 6
"""Operations a single-use piece may hold and still be written inside its use."""

COMMENT_CHARS = 60
"""A node's source text longer than this is shown with its arguments' labels."""


@primitive_methods
class Code:
    """Straight-line code under construction (the rule algebra): ``ops``, ``args`` (ids or
    float literals) and ``consts``, hash-consed; ``node`` maps an instruction to the tape
    node it computes (the primal statements)."""

    def __init__(self) -> None:
        self.ops: list[str] = []
        self.args: list[tuple[Any, ...]] = []
        self.consts: list[float | None] = []
        self.node: dict[int, int] = {}
        self._index: dict[tuple, int] = {}
        self.ctx = 0
        """The context new instructions are computed in (a program's branch; 0: always)."""
        self.context: list[int] = []
        self.parent: list[int] = [0]
        """Each context's enclosing one: an instruction of an enclosing context is reused
        inside, never the other way."""

    def __len__(self) -> int:
        return len(self.ops)

    def push(self, op: str, args: tuple[Any, ...], c: float | None = None) -> int:
        key: tuple = (op, tuple(_key(a) for a in args), c)
        k = self.ctx
        i = self._index.get(key)
        while i is None and k:
            i = self._index.get((key, k))
            k = self.parent[k]
        if i is None:
            i = len(self.ops)
            self._index[(key, self.ctx) if self.ctx else key] = i
            self.ops.append(op)
            self.args.append(args)
            self.consts.append(c)
            self.context.append(self.ctx)
        return i

    def apply(self, op: int, args: Sequence[Value], const: float | None = None) -> Value:
        """Primitive ``op`` on ``args``: an instruction (the rule algebra's one entry)."""
        return self.make(PRIMITIVES[op].name, args, const)

    def make(self, name: str, args: Sequence[Value], c: float | None = None) -> Value:
        """``name(args; c)``, with only the rewrites that keep every IEEE result (x·1,
        x·(-1) = -x, x/1, -(-x), x^1) and literals folded as the float sweep computes them."""
        args = [x if x is None or type(x) is int or type(x) is float else float(x)
                for x in args]  # exact literals of a derivative tape (Fraction, pi) as doubles
        c = None if c is None else float(c)
        a = args[0]
        b = args[1] if len(args) > 1 else None
        lit_a, lit_b = _literal(a), _literal(b)
        if name == "mul":
            if lit_a and a == 1:
                return b
            if lit_b and b == 1:
                return a
            if lit_a and a == -1:
                return self.make("neg", [b])
            if lit_b and b == -1:
                return self.make("neg", [a])
        elif name == "div" and lit_b and b == 1:
            return a
        elif name == "neg" and not lit_a and self.ops[a] == "neg":  # type: ignore[index]
            return self.args[a][0]  # type: ignore[index]
        elif name == "powc" and c == 1:
            return a
        if all(_literal(x) for x in args):
            prim = BY_NAME[name]
            try:
                x = prim.value(*args, c) if prim.takes_const else prim.value(*args)
            except (ArithmeticError, ValueError):  # as the careful sweep: IEEE's ±inf, NaN
                x = _ieee(name, args, c)
            return float(x)
        return self.push(name, tuple(args), c)

    # -- the sweep algebra's arithmetic: None is a zero derivative ----------------------
    def scale(self, d: Value, p: Value) -> Value:
        """``d·p``, and 0 where ``d`` or ``p`` is 0 (the sweeps pass nothing on from a zero
        derivative, and the careful sweep takes 0·∞ as 0): written ``times0(d, p)`` where
        either can be infinite or NaN at a point inside the domain (a quotient, a
        logarithm, a power, or a derivative that met one), a plain product elsewhere."""
        if d is None or (_literal(p) and p == 0) or (_literal(d) and d == 0):
            return None
        if _literal(d) and d == 1:
            return p
        if (not _literal(d) and self.singular(p)) or (not _literal(p) and self.singular(d)):
            return self.push("times0", (d, p))
        return self.make("mul", [d, p])

    def singular(self, p: Value, depth: int = 3) -> bool:
        """Whether partial ``p`` may be infinite or NaN at finite arguments inside the
        primal's domain (looked at ``depth`` instructions deep)."""
        if _literal(p):
            return not math.isfinite(p)  # type: ignore[arg-type]
        if type(p) is not int or depth == 0:
            return False
        op = self.ops[p]
        if op in SINGULAR or (op == "powc" and (self.consts[p] or 0.0) < 1):
            return True
        if op == "div":  # 0.5/sqrt(x), x/hypot(x, y) at 0; log's 1/x is finite in its domain
            q = self.args[p][1]
            return (_literal(q) and q == 0) or (type(q) is int and self.ops[q] in (
                "sqrt", "hypot", "abs", "powc", "pow", "times0"))
        return op in ("mul", "neg", "add", "sub", "times0", "total", "pick", "pickn") and any(
            self.singular(a, depth - 1) for a in self.args[p])

    def plus(self, x: Value, y: Value) -> Value:
        if x is None:
            return y
        if y is None:
            return x
        return self.make("add", [x, y])

    def total(self, terms: list[Value]) -> Value:
        """A node's adjoint from its contributions: two are one addition, three or more one
        ``total`` (the compensated sum of ``Floats.total``)."""
        kept = [t for t in terms if t is not None]
        if len(kept) <= 2:
            return None if not kept else kept[0] if len(kept) == 1 else self.plus(*kept)
        return self.push("total", tuple(kept))

    def symmetric(self, hab: Value, hba: Value) -> Value:
        """(H_ab + H_ba)/2, as ``derive.symmetric``."""
        if hab is hba or (hab == hba and type(hab) is type(hba)):
            return hab
        hab = 0.0 if hab is None else hab
        hba = 0.0 if hba is None else hba
        return self.push("symmetric", (hab, hba))


SINGULAR = frozenset({"log", "log2", "log10", "xlogy", "pow", "pow_dx", "dasin",
                      "over_sumsq"})
"""Partials that can be infinite or NaN where their arguments are finite and inside the
primal's domain (log(0) in a power's partial, asin' at 1, atan2's at (0, 0)); a quotient
is one when its divisor can be 0 there (sqrt' = 0.5/sqrt(x), hypot's x/hypot(x, y))."""


_IEEE: Any = None


def _ieee(name: str, args: Sequence[float], c: float | None) -> float:
    """A primitive on literals with IEEE results (±inf, NaN), as the careful sweep."""
    import numpy as np

    from adcalc.engine.sweep_algebras import IEEEAlgebra

    global _IEEE
    if _IEEE is None:
        _IEEE = IEEEAlgebra()
    f = getattr(_IEEE, name)
    with np.errstate(all="ignore"):
        return float(f(*args, c) if BY_NAME[name].takes_const else f(*args))


def _literal(x: Any) -> bool:
    return type(x) is float


def _key(x: Any) -> Any:
    return ("f", repr(x)) if type(x) is float else x  # -0.0 and 0.0 are two literals


class CodeSweep(SweepAlgebra):
    """The sweep algebra over ``Code``: zero is ``None``; three or more contributions are
    summed by ``Code.total`` (``compensates``, as ``Floats``); no kinks are looked for
    (the conventions are in the rules themselves: sign(0) = 0, step(0) = 0, a tie's 0.5;
    generated code has no warnings to give)."""

    values: Sequence[Any] = ()
    zero = None
    one = 1.0
    compensates = True

    def __init__(self, code: Code) -> None:
        self.rules = code
        self.scale = code.scale  # type: ignore[method-assign]
        self.add = code.plus  # type: ignore[method-assign]

    @staticmethod
    def nothing(d: Any) -> bool:
        return d is None

    def total(self, terms: list[Any]) -> Any:
        return self.rules.total(terms)

    def kinks(self) -> Any:
        return None


# -- building the functions -------------------------------------------------------------


@dataclass
class Function:
    """One generated function before its syntax: the code, its outputs by role, and the
    names the trace gives instructions."""

    kind: str  # value | grad | jacobian | hessian
    code: Code
    value: list[Value]
    gradient: list[Value] = field(default_factory=list)
    matrix: list[list[Value]] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)
    """Instruction → preferred name (``v3``, ``v3b``); comments by instruction too."""
    comments: dict[int, str] = field(default_factory=dict)
    primal: set[int] = field(default_factory=set)
    """Instructions computing the tape's own nodes (the ones with domain guards)."""
    paths: dict[int, list[tuple[int, bool]]] = field(default_factory=dict)
    """A program's contexts: each one's conditions (instruction, outcome), outermost
    first; an instruction of context ``k`` is computed only where they all come out so."""


def _primal(tape: Tape, code: Code, labels: list[str | None], params: dict[str, str],
            fn: Function) -> list[Value]:
    """The primal statements: one instruction per tape node; returns each node's value."""
    vals: list[Value] = [None] * len(tape)
    ops, a0, a1, consts = tape.ops, tape.a0, tape.a1, tape.consts
    texts = node_texts(tape, labels, params)
    for i, op in enumerate(ops):
        if op == INPUT:
            vals[i] = code.push("input", (params[tape.input_name[i]],))
            fn.names[vals[i]] = params[tape.input_name[i]]  # type: ignore[index]
        elif op == CONST:
            vals[i] = float(consts[i])  # type: ignore[arg-type]
        else:
            args = [vals[a0[i]]] if a1[i] < 0 else [vals[a0[i]], vals[a1[i]]]
            prim = PRIMITIVES[op]
            c = None if consts[i] is None else float(consts[i])  # type: ignore[arg-type]
            v = code.push(prim.name, tuple(args), c)  # never rewritten: the tape did that
            vals[i] = v
            if v not in fn.names:
                fn.names[v] = labels[i]  # type: ignore[assignment]
                fn.comments[v] = texts[i]
                fn.primal.add(v)
    return vals


def node_texts(tape: Tape, labels: list[str | None], params: dict[str, str]) -> list[str]:
    """Each node's source subexpression (with the mangled names), or, when longer than
    ``COMMENT_CHARS``, its operation over its arguments' labels: linear in the tape."""
    cached = _TEXTS.get("last")
    if cached is not None and cached[0] is tape and cached[1] is labels and cached[2] == (
            len(tape), params):
        return cached[3]  # the value function's, again for the gradient's
    algebra = PrintAlgebra("*")
    short: list[Any] = [None] * len(tape)
    out = [""] * len(tape)
    ops, a0, a1, consts = tape.ops, tape.a0, tape.a1, tape.consts

    def ref(k: int) -> Any:
        if ops[k] == CONST:
            return float(consts[k])  # type: ignore[arg-type]
        if short[k] is not None:
            return short[k]
        return labels[k], PREC_ATOM

    for i, op in enumerate(ops):
        if op == INPUT:
            short[i] = (params[tape.input_name[i]], PREC_ATOM)
        elif op >= 0:
            args = [ref(a0[i])] if a1[i] < 0 else [ref(a0[i]), ref(a1[i])]
            t = algebra.wrap(algebra.apply(op, args, consts[i]))
            text = flatten(t[0])
            out[i] = text
            short[i] = t if len(text) <= COMMENT_CHARS else None
    _TEXTS["last"] = (tape, labels, (len(tape), dict(params)), out)
    return out


_TEXTS: dict[str, tuple] = {}
"""The last tape's texts (one ``generate`` asks twice: the value and the gradient)."""


def value_function(tape: Tape, labels: list[str | None], params: dict[str, str]
                   ) -> tuple[Function, list[Value]]:
    """The primal alone; also each tape node's value (for the sweeps that follow)."""
    code = Code()
    fn = Function("value", code, [])
    vals = _primal(tape, code, labels, params, fn)
    fn.value = [vals[o] for o in tape.outputs]
    return fn, vals


def _adjoint_names(fn: Function, tape: Tape, bar: list[Any], labels: list[str | None],
                   params: dict[str, str], suffix: str, mark: str = "b") -> None:
    for i in range(len(bar) - 1, -1, -1):  # named after the latest node it is the adjoint of
        d = bar[i]
        if type(d) is int and d not in fn.names and tape.ops[i] != CONST:
            base = params[tape.input_name[i]] if tape.ops[i] == INPUT else labels[i]
            fn.names[d] = f"{base}{mark}{suffix}"


def gradient_function(tape: Tape, names: Sequence[str], labels: list[str | None],
                      params: dict[str, str]) -> Function:
    """The value and the gradient: the primal, then one adjoint sweep written out."""
    fn, vals = value_function(tape, labels, params)
    fn.kind = "grad"
    sweep = adjoint(tape, vals, {tape.output: 1.0}, CodeSweep(fn.code))
    _adjoint_names(fn, tape, sweep.adjoints, labels, params, "")
    fn.gradient = [_zero(sweep.adjoints[tape.var_node[x]]) for x in names]
    return fn


def jacobian_function(tape: Tape, names: Sequence[str], labels: list[str | None],
                      params: dict[str, str], mode: str) -> Function:
    """The values and the Jacobian: an adjoint sweep per result (reverse) or a tangent
    sweep per variable (forward), as ``adcalc.jacobian`` chooses."""
    fn, vals = value_function(tape, labels, params)
    fn.kind = "jacobian"
    S = CodeSweep(fn.code)
    m = len(tape.outputs)
    if mode == "forward":
        columns = []
        for k, name in enumerate(names):
            sweep = tangent(tape, vals, {name: 1.0}, S)
            _adjoint_names(fn, tape, sweep.tangents, labels, params, f"_{k + 1}", "d")
            columns.append([_zero(sweep.tangents[o]) for o in tape.outputs])
        fn.matrix = [[columns[j][i] for j in range(len(names))] for i in range(m)]
    else:
        for r, o in enumerate(tape.outputs):
            sweep = adjoint(tape, vals, {o: 1.0}, S)
            _adjoint_names(fn, tape, sweep.adjoints, labels, params,
                           f"_{r + 1}" if m > 1 else "")
            fn.matrix.append([_zero(sweep.adjoints[tape.var_node[x]]) for x in names])
    return fn


def hessian_function(tape: Tape, names: Sequence[str], params: dict[str, str]) -> Function:
    """Forward over reverse, as ``adcalc.hessian``: the reverse sweep recorded as a tape
    (``sweeps.gradient_nodes``), its primal written out, then one tangent sweep over it per
    variable; each entry the symmetric part (H_ab + H_ba)/2."""
    g = tape.copy().for_derivatives()
    g.outputs = gradient_nodes(g, g, tape.output, names)
    labels = g.labels(list(names))
    code = Code()
    fn = Function("hessian", code, [])
    vals = _primal(g, code, labels, params, fn)
    fn.value = [vals[tape.output]]
    fn.gradient = [_zero(vals[o]) for o in g.outputs]
    S = CodeSweep(code)
    columns = []
    for k, name in enumerate(names):
        sweep = tangent(g, vals, {name: 1.0}, S)
        _adjoint_names(fn, g, sweep.tangents, labels, params, f"_{k + 1}", "d")
        columns.append([sweep.tangents[o] for o in g.outputs])
    n = len(names)
    fn.matrix = [[_zero(code.symmetric(columns[j][i], columns[i][j])) for j in range(n)]
                 for i in range(n)]
    return fn


def _zero(v: Value) -> int | float:
    return 0.0 if v is None else v


# -- lowering: statements in a target's syntax ----------------------------------------


@dataclass
class Statement:
    name: str
    text: str
    comment: str = ""
    primal: bool = True
    """A statement of the function itself (else of a derivative sweep)."""
    guard: str | None = None
    """The condition under which the primitive is defined (primal statements only)."""
    domain: str = ""
    """What the primitive's domain is, for the message."""
    args: list[str] = field(default_factory=list)
    """The arguments' texts (names or literals: a guarded statement's are never inlined)."""
    context: list[tuple[str, bool]] = field(default_factory=list)
    """The conditions (named statements) under which it is computed, with the outcome
    each must have; empty: always."""


class Names:
    """A function's local names: parameters first, then each generated name, made unique
    by appending ``_``."""

    def __init__(self, taken: Sequence[str]) -> None:
        self.taken = set(taken)

    def take(self, name: str) -> str:
        while name in self.taken:
            name += "_"
        self.taken.add(name)
        return name


def lower(fn: Function, outputs: Sequence[Value], target: Any, params: Sequence[str]
          ) -> tuple[list[Statement], list[str]]:
    """The statements computing ``outputs`` and the text of each output."""
    code = fn.code
    n = len(code)
    uses = [0] * n
    live = [False] * n
    user = [-1] * n  # an instruction's (last seen) reader
    context = code.context
    for o in outputs:
        if type(o) is int:
            live[o] = True
            uses[o] += 2  # an output is read by the return: always named
    for i in range(n - 1, -1, -1):
        if live[i]:
            for a in code.args[i]:
                if type(a) is int:
                    live[a] = True
                    uses[a] += 1
                    user[a] = i
            if context[i]:
                for cond, _ in fn.paths[context[i]]:  # read by the blocks' headers
                    live[cond] = True
                    uses[cond] += 2
    names = Names(params)
    inline = getattr(target, "INLINE", INLINE_SIZE)
    ref: list[tuple[str, int] | None] = [None] * n
    size = [0] * n
    out: list[Statement] = []
    temps = 0
    for i in range(n):
        if not live[i]:
            continue
        op, args, c = code.ops[i], code.args[i], code.consts[i]
        if op == "input":
            ref[i] = (args[0], PREC_ATOM)
            continue
        xs = [ref[a] if type(a) is int else target.literal(a) for a in args]
        target.deriving = i not in fn.primal
        text, prec = target.expr(op, xs, c)
        target.used(op, c)
        size[i] = 1 + sum(size[a] for a in args if type(a) is int)
        primal = i in fn.primal
        if (not primal and uses[i] == 1 and size[i] <= inline and i not in fn.names
                and context[user[i]] == context[i]):
            ref[i] = (text, prec)
            continue
        if i in fn.names:
            name = names.take(fn.names[i])
        else:
            temps += 1
            name = names.take(f"t{temps}")
        guard = target.guard(op, [x[0] for x in xs], c, list(args)) if primal else None
        out.append(Statement(name, text, sanitise(fn.comments.get(i, "")), primal, guard,
                             sanitise(BY_NAME[op].domain, 200) if guard else "",
                             [x[0] for x in xs],
                             [(ref[c][0], o) for c, o in fn.paths.get(context[i], ())]))
        ref[i] = (name, PREC_ATOM)
        size[i] = 0
    texts = [ref[o][0] if type(o) is int else target.literal(o)[0]  # type: ignore[index]
             for o in outputs]
    return out, texts


# -- names and text from the expression: mangled and sanitised -----------------------

_SAFE = re.compile(r"[^A-Za-z0-9_ +\-*/^().,\[\]=<>!:;|&%'#@]")


def sanitise(text: str, limit: int = 72) -> str:
    """Text from the expression as it may appear in a comment or a message: printable
    ASCII without quotes, backslashes, braces or '?' (C's trigraphs), no ``*/`` or
    ``/*``, one line, at most ``limit`` characters."""
    text = _SAFE.sub("~", text).replace("*/", "* /").replace("/*", "/ *")
    return text if len(text) <= limit else text[:limit - 3] + "..."


_IDENT = re.compile(r"[A-Za-z0-9_]")
_GENERATED = re.compile(r"[vt][0-9]")


def mangle(names: Sequence[str], reserved: frozenset[str], prefix: str = "") -> dict[str, str]:
    """Each name as an identifier of the target, unique and never one of ``reserved``
    (keywords, built-ins, the helpers), never starting with ``_``, the helpers' ``prefix``
    or like a generated name (``v3``, ``t1``): ``w[1]`` → ``w_1``, ``lambda`` →
    ``lambda_``, ``v1`` → ``u_v1``."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for name in names:
        s = re.sub(r"\[([0-9]+)\]", r"_\1", name)
        s = "".join(ch if _IDENT.fullmatch(ch) else f"_{ord(ch):x}_" for ch in s)
        if not s or s[0].isdigit() or s[0] == "_" or _GENERATED.match(s) or (
                prefix and s.startswith(prefix)):
            s = "u_" + s
        if s in reserved:
            s += "_"
        while s in taken or s in reserved:
            s += "_"
        taken.add(s)
        out[name] = s
    return out
