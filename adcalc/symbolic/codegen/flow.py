"""A program's sweeps written out: every path of ``branches.merge``'s tape at once.

The primal computes each node in its context (the conditions of the branches it was
built in), a select picks the taken side; the adjoint sweep follows the primal back
(the rules of ``adcalc.engine.sweeps.adjoint``, operation for operation, contributions
of three or more summed with their rounding errors): a select passes its adjoint to the
side that was taken, and what a branch contributes to a node computed outside it is
summed there and carried out once, as ``pick`` (0 where the branch was not taken), when
the sweep leaves the branch: the statements stay linear in the program however deep the
branches nest.  On each element the generated code does what ``adcalc grad`` does on the
path taken there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adcalc.engine.primitives import CONST, INPUT, OPCODE, PRIMITIVES, RULES
from adcalc.symbolic.codegen.branches import Cond, Merged
from adcalc.symbolic.codegen.emit import Code, CodeSweep, Function, Value, _zero, node_texts


class _Program:
    """The primal of a merged tape as instructions, with its contexts' conditions."""

    def __init__(self, merged: Merged, names: Sequence[str], params: dict[str, str],
                 kind: str) -> None:
        self.m = merged
        tape = merged.tape
        self.code = code = Code()
        code.parent = list(merged.parent)
        self.fn = Function(kind, code, [])
        self.labels = labels = _labels(merged, names)
        self.params = dict(params)
        for i in merged.selects:
            self.params[tape.input_name[i]] = labels[i]  # type: ignore[assignment]
        self.conds: dict[Cond, Value] = {}
        self.vals = self._primal()

    def _primal(self) -> list[Value]:
        m, code, fn = self.m, self.code, self.fn
        tape = m.tape
        vals: list[Value] = [None] * len(tape)
        ops, a0, a1, consts = tape.ops, tape.a0, tape.a1, tape.consts
        texts = node_texts(tape, self.labels, self.params)
        self._values = vals
        for i, op in enumerate(ops):
            k = m.context[i]
            self.path(k)
            code.ctx = k
            if op == CONST:
                vals[i] = float(consts[i])  # type: ignore[arg-type]
                continue
            if op == INPUT and i not in m.selects:
                vals[i] = code.push("input", (self.params[tape.input_name[i]],))
                fn.names[vals[i]] = self.params[tape.input_name[i]]  # type: ignore[index]
                continue
            if op == INPUT:
                cond, a, b, then_ctx, else_ctx = m.selects[i]
                c = self.cond(cond)
                self.path(then_ctx)
                self.path(else_ctx)
                code.ctx = k
                v = code.push("select", (c, vals[a], vals[b]))
                text = _describe(cond, texts, tape, self.params)
            else:
                args = [vals[a0[i]]] if a1[i] < 0 else [vals[a0[i]], vals[a1[i]]]
                cc = None if consts[i] is None else float(consts[i])  # type: ignore[arg-type]
                v = code.push(PRIMITIVES[op].name, tuple(args), cc)
                text = texts[i]
            vals[i] = v
            if v not in fn.names:
                fn.names[v] = self.labels[i]  # type: ignore[assignment]
                fn.comments[v] = text
                fn.primal.add(v)
        code.ctx = 0
        return vals

    def path(self, k: int) -> None:
        """Context ``k``'s conditions as instructions (made the first time it is met)."""
        m, fn = self.m, self.fn
        if k and k not in fn.paths:
            fn.paths[k] = [(self.cond(c), o) for c, o in m.path(k)] if m.cond[k] else []

    def cond(self, cond: Cond) -> Value:
        """The instruction of a condition (its parts first; a loop, not a recursion)."""
        code, fn, values = self.code, self.fn, self._values
        work: list[tuple[Cond, bool]] = [(cond, False)]
        saved = code.ctx
        while work:
            c, ready = work.pop()
            if c in self.conds:
                continue
            parts = [x for x in c.args if isinstance(x, Cond)]
            if not ready:
                work.append((c, True))
                work.extend((x, False) for x in parts)
                continue
            self.path(c.ctx)
            code.ctx = c.ctx
            if c.kind == "cmp":
                how, left, right = c.args
                i = code.push(f"cmp{how}", (values[left], values[right]))
            else:
                i = code.push(c.kind, tuple(self.conds[x] for x in c.args))
            self.conds[c] = i
            fn.names.setdefault(i, f"c{len(self.conds)}")
            fn.primal.add(i)
        code.ctx = saved
        return self.conds[cond]

    _values: list[Value]


def _describe(cond: Cond, texts: list[str], tape: Any, params: dict[str, str]) -> str:
    """``if x > 0 ...``: the select's comment (a comparison's text, else its kind); an
    input or an earlier select by its name in the code (``y``, ``v3``)."""
    if cond.kind != "cmp":
        return f"if ({cond.kind} of conditions) then ... else ..."
    how, left, right = cond.args

    def text(i: int) -> str:
        if tape.ops[i] == CONST:
            return repr(float(tape.consts[i]))
        return texts[i] or params[tape.input_name[i]]

    return f"if {text(left)} {how} {text(right)} then ... else ..."


def _labels(merged: Merged, names: Sequence[str]) -> list[str | None]:
    """``v1, v2, …`` for the nodes and selects in order; the inputs ``v(1-n) … v0``."""
    tape = merged.tape
    labels: list[str | None] = [None] * len(tape)
    n = len(names)
    for k, name in enumerate(names):
        labels[tape.var_node[name]] = f"v{k + 1 - n}"
    count = 0
    for i, op in enumerate(tape.ops):
        if op >= 0 or i in merged.selects:
            count += 1
            labels[i] = f"v{count}"
    return labels


def program_functions(merged: Merged, names: Sequence[str], params: dict[str, str],
                      what: str) -> list[tuple[str, Function]]:
    """(kind, function) for the value and the derivative asked for."""
    out = [("value", _value(merged, names, params))]
    if what == "grad":
        out.append(("grad", _reverse(merged, names, params, "grad")))
    elif what == "jacobian":
        out.append(("jacobian", _reverse(merged, names, params, "jacobian")))
    elif what == "hessian":
        out.append(("grad", _reverse(merged, names, params, "grad")))
        out.append(("hessian", _hessian(merged, names, params)))
    return out


def _hessian(merged: Merged, names: Sequence[str], params: dict[str, str]) -> Function:
    """Forward over reverse, as ``adcalc.hessian``: the gradient's code (primal, then the
    adjoint sweep with its selects and picks), then a tangent sweep over that code per
    variable, in the contexts of the statements it follows; each entry the symmetric part
    (H_ab + H_ba)/2."""
    f = _reverse(merged, names, params, "hessian")
    code = f.code
    f.gradient = f.matrix[0]
    size = len(code)
    S = CodeSweep(code)
    columns = []
    for k, name in enumerate(names):
        seed = next((i for i, op in enumerate(code.ops[:size])
                     if op == "input" and code.args[i][0] == params[name]), None)
        dot: list[Value] = [None] * size
        for i in range(size):
            dot[i] = _tangent(code, S, i, dot, seed)
            d = dot[i]
            if type(d) is int and d not in f.names and i in f.names:
                f.names[d] = f"{f.names[i]}d_{k + 1}"
        columns.append([None if type(g) is not int else dot[g] for g in f.gradient])
    code.ctx = 0
    n = len(names)
    f.matrix = [[_zero(code.symmetric(columns[j][i], columns[i][j])) for j in range(n)]
                for i in range(n)]
    return f


def _tangent(code: Code, S: CodeSweep, i: int, dot: list[Value], seed: int | None) -> Value:
    """Instruction ``i``'s tangent (``None``: zero), from its arguments'."""
    op, args = code.ops[i], code.args[i]
    code.ctx = code.context[i]

    def d(a: Any) -> Value:
        return dot[a] if type(a) is int else None

    if op == "input":
        return 1.0 if i == seed else None
    if op.startswith("cmp") or op in ("not", "and", "or"):
        return None
    if op in ("select", "pick", "pickn"):
        ds = [d(a) for a in args[1:]]
        if all(x is None for x in ds):
            return None
        return code.push(op, (args[0], *(0.0 if x is None else x for x in ds)))
    if op == "total":
        return code.total([d(a) for a in args])
    if op == "times0":
        return S.add(S.scale(d(args[0]), args[1]), S.scale(d(args[1]), args[0])) if (
            d(args[0]) is not None and d(args[1]) is not None) else (
            S.scale(d(args[0]), args[1]) if d(args[1]) is None else
            S.scale(d(args[1]), args[0]) if d(args[0]) is None else None)
    opcode = OPCODE[op]
    a = args[0]
    b = args[1] if len(args) > 1 else None
    da, db = d(a), (d(b) if b is not None else None)
    if da is None and db is None:
        return None
    parts = RULES[opcode](code, i, a, b, code.consts[i])
    if da is None:
        return S.scale(db, parts[1])
    if db is None:
        return S.scale(da, parts[0])
    return S.add(S.scale(da, parts[0]), S.scale(db, parts[1]))


def _value(merged: Merged, names: Sequence[str], params: dict[str, str]) -> Function:
    p = _Program(merged, names, params, "value")
    p.fn.value = [p.vals[o] for o in merged.tape.outputs]
    return p.fn


def _reverse(merged: Merged, names: Sequence[str], params: dict[str, str], kind: str
             ) -> Function:
    p = _Program(merged, names, params, kind)
    tape = merged.tape
    outputs = tape.outputs
    rows = []
    for r, o in enumerate(outputs):
        bar = adjoint(p, {o: 1.0})
        suffix = f"_{r + 1}" if kind == "jacobian" and len(outputs) > 1 else ""
        for i in range(len(bar) - 1, -1, -1):
            d = bar[i]
            if type(d) is int and d not in p.fn.names and tape.ops[i] != CONST:
                base = (p.params[tape.input_name[i]] if tape.ops[i] == INPUT
                        else p.labels[i])
                p.fn.names[d] = f"{base}b{suffix}"
        rows.append([_zero(bar[tape.var_node[x]]) for x in names])
    p.fn.value = [p.vals[o] for o in outputs]
    if kind == "grad":
        p.fn.gradient = rows[0]
    else:
        p.fn.matrix = rows
    return p.fn


def adjoint(p: _Program, seeds: dict[int, Any]) -> list[Any]:
    """The adjoint sweep over the merged tape (``sweeps.adjoint``'s, with selects)."""
    m, code, vals = p.m, p.code, p.vals
    tape = m.tape
    ops, a0, a1, consts = tape.ops, tape.a0, tape.a1, tape.consts
    context, paths = m.context, p.fn.paths
    S = CodeSweep(code)
    bar: list[Any] = [None] * len(ops)
    for node, weight in seeds.items():
        bar[node] = weight

    pending: dict[int, dict[int, list[Value]]] = {}  # context → node → contributions

    def accumulate(t: int, c: Value) -> None:
        v = bar[t]
        if v is None:
            bar[t] = c
        elif type(v) is list:
            v.append(c)
        else:
            bar[t] = [v, c]

    def give(t: int, c: Value, frm: int) -> None:
        """A contribution made in context ``frm`` to node ``t`` (computed in ``frm`` or
        outside it: then held until the sweep leaves ``frm``)."""
        if c is None or ops[t] == CONST:
            return
        if context[t] == frm:
            accumulate(t, c)
        else:
            pending.setdefault(frm, {}).setdefault(t, []).append(c)

    def leave(k: int) -> None:
        """Context ``k`` is swept: what it gave to each node outside is summed there and
        carried out one level (``c ? s : 0.0``): one pick a node and context."""
        held = pending.pop(k, None)
        if not held or not paths.get(k):
            return
        cond, outcome = paths[k][-1]
        parent = code.parent[k]
        for t, cs in held.items():
            code.ctx = k
            total = cs[0] if len(cs) == 1 else code.total(cs)
            code.ctx = parent
            give(t, code.push("pick" if outcome else "pickn", (cond, total)), parent)

    starts = m.start
    order = sorted(range(1, len(starts)), key=lambda k: (starts[k], k), reverse=True)
    done = 0
    for j in range(max(seeds), -1, -1):
        while done < len(order) and starts[order[done]] > j:  # contexts swept: carried out
            leave(order[done])
            done += 1
        op = ops[j]
        if op == CONST:
            continue
        k = context[j]
        code.ctx = k
        g = bar[j]
        if type(g) is list:
            g = bar[j] = code.total(g)
        if g is None:
            continue
        if op == INPUT:
            if j in m.selects:
                _, a, b, then_ctx, else_ctx = m.selects[j]
                give(a, g, then_ctx)
                give(b, g, else_ctx)
            continue
        a, b = a0[j], a1[j]
        parts = RULES[op](code, vals[j], vals[a], vals[b] if b >= 0 else None, consts[j])
        if ops[a] != CONST:
            code.ctx = k
            give(a, S.scale(g, parts[0]), k)
        if b >= 0 and ops[b] != CONST:
            code.ctx = k
            give(b, S.scale(g, parts[1]), k)
    for k in order[done:]:
        leave(k)
    code.ctx = 0
    for i in tape.input_name:
        if type(bar[i]) is list:
            bar[i] = code.total(bar[i])
    return bar
