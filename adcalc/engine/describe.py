"""Text for one node: its operation in trace labels, its subexpression in source names,
and the messages of the errors that name it (domain, not differentiable, not finite)."""

from __future__ import annotations

from collections.abc import Sequence

from adcalc.engine.algebra import PrintAlgebra, Text, literal
from adcalc.engine.primitives import CONST, INPUT, PRIMITIVES
from adcalc.engine.tape import Tape
from adcalc.errors import DomainError

TRACE = PrintAlgebra("·")
PLAIN = PrintAlgebra("*")


def operand(tape: Tape, labels: list[str | None], i: int) -> Text | float:
    """Node ``i`` as an operand: its label, or the literal itself."""
    if tape.ops[i] == CONST:
        return tape.consts[i]  # type: ignore[return-value]
    return labels[i] or "?", 5


def args_of(tape: Tape, i: int) -> list[int]:
    return [tape.a0[i]] if tape.a1[i] < 0 else [tape.a0[i], tape.a1[i]]


def operation(tape: Tape, labels: list[str | None], i: int) -> str:
    """The operation of node ``i`` over labels, e.g. ``v-1 + v0`` or ``sin(v3)``."""
    op = tape.ops[i]
    if op == INPUT:
        return tape.input_name[i]
    if op == CONST:
        return literal(tape.consts[i])[0]  # type: ignore[arg-type]
    args = [operand(tape, labels, a) for a in args_of(tape, i)]
    prim = PRIMITIVES[op]
    if prim.prints_as is not None:
        return TRACE.text(TRACE.apply(op, args, tape.consts[i]))
    # as the node is, unsimplified: v-1·0 is a step of its own (-0 at x < 0)
    return TRACE.text(TRACE.compose(prim, [TRACE.wrap(a) for a in args], tape.consts[i]))


def partial_formulas(tape: Tape, labels: list[str | None], i: int) -> list[str]:
    """The local partials of node ``i`` written over labels (``2·v1``, ``cos(v3)``)."""
    prim = PRIMITIVES[tape.ops[i]]
    args = [operand(tape, labels, a) for a in args_of(tape, i)]
    b = args[1] if len(args) > 1 else None
    parts = prim.partials(TRACE, (labels[i] or "?", 5), args[0], b, tape.consts[i])
    return [TRACE.text(p) for p in parts]


def subexpression(tape: Tape, i: int, limit: int = 80) -> str | None:
    """Node ``i`` as an expression in the user's names, or ``None`` if it is too long."""
    cone = sorted(_cone(tape, i, limit))
    if not cone:
        return None
    text: dict[int, Text | float] = {}
    for j in cone:
        op = tape.ops[j]
        if op == INPUT:
            text[j] = operation(tape, [], j), 5
        elif op == CONST:
            text[j] = tape.consts[j]  # type: ignore[assignment]
        else:
            args = [text[a] for a in args_of(tape, j)]
            text[j] = PLAIN.apply(op, args, tape.consts[j])
    out = PLAIN.text(text[i])
    return out if len(out) <= limit else None


def _cone(tape: Tape, i: int, limit: int) -> set[int]:
    """Nodes that node ``i`` depends on; empty when there are more than ``limit``."""
    seen = {i}
    stack = [i]
    while stack:
        j = stack.pop()
        if tape.ops[j] >= 0:
            for a in args_of(tape, j):
                if a not in seen:
                    seen.add(a)
                    stack.append(a)
                    if len(seen) > limit:
                        return set()
    return seen


def domain_error(tape: Tape, i: int, vals: list, exc: BaseException) -> DomainError:
    """A message naming node ``i``, its operation, its arguments' values and the rule."""
    labels = tape.labels()
    prim = PRIMITIVES[tape.ops[i]]
    if isinstance(exc, OverflowError):
        reason = "overflow, the result is too large for a double"
    elif isinstance(exc, ZeroDivisionError) and prim.name != "div":
        reason = prim.domain or "division by zero"
    else:
        reason = prim.domain or str(exc)
    return DomainError(
        f"math error at {labels[i]} = {operation(tape, labels, i)}: {reason}"
        f"{argument_values(tape, labels, i, vals)}{where(tape, i)}",
        labels[i],
    )


def not_differentiable(tape: Tape, i: int, vals: list, exc: BaseException) -> DomainError:
    """The message for a local partial that cannot be evaluated at node ``i``."""
    labels = tape.labels()
    formulas = " and ".join(partial_formulas(tape, labels, i))
    prim = PRIMITIVES[tape.ops[i]]
    why = "division by zero" if isinstance(exc, ZeroDivisionError) else (
        "overflow" if isinstance(exc, OverflowError) else "outside its domain"
        + (f": {prim.derivative_domain}" if prim.derivative_domain else "")
    )
    return DomainError(
        f"not differentiable at {labels[i]} = {operation(tape, labels, i)}: its local "
        f"partial ({formulas}) is undefined here ({why}){argument_values(tape, labels, i, vals)}"
        f"{where(tape, i)}",
        labels[i],
    )


def not_finite(tape: Tape, xs: list[float], what: str, start: int = 0) -> DomainError:
    """The first node (from ``start``) whose ``what`` (value, tangent or adjoint) is not
    finite."""
    import math

    labels = tape.labels()
    i = next(k for k in range(start, len(xs)) if not math.isfinite(xs[k]))
    if what == "value":
        return domain_error(tape, i, xs, OverflowError())
    return DomainError(f"overflow: the {what} of {labels[i] or 'a literal'} is {xs[i]!r}, "
                       "too large for a double", labels[i])


def argument_values(tape: Tape, labels: list[str | None], i: int, vals: list) -> str:
    parts = [
        f"{labels[a]} = {vals[a]!r}"
        for a in (tape.a0[i], tape.a1[i])
        if a >= 0 and labels[a] is not None  # (a literal prints inside the operation)
    ]
    return f" ({', '.join(parts)})" if parts else ""


def where(tape: Tape, i: int) -> str:
    text = subexpression(tape, i)
    return f", in {text}" if text else ""


def undefined_anywhere(tape: Tape) -> None:
    """Raise ``DomainError`` at the first piece of ``tape`` that has no value at any
    point: numbers alone outside a domain (``1/0``, ``log(0)``, ``sqrt(-1)``,
    ``asin(2)``), or a division by a number that is 0 (``x/0``, ``log(x, 1)``).  A formula
    that carries one would print as if it meant something (``diff``)."""
    value: list[float | None] = [None] * len(tape)
    for i, op in enumerate(tape.ops):
        if op == CONST:
            value[i] = float(tape.consts[i])  # type: ignore[arg-type]
            continue
        if op < 0:
            continue
        prim = PRIMITIVES[op]
        args = [value[a] for a in args_of(tape, i)]
        if prim.name == "div" and args[1] == 0:
            raise DomainError(f"{subexpression(tape, i) or 'the expression'} divides by 0, "
                              "so it has no value anywhere")
        if any(a is None for a in args):
            continue
        try:
            x = prim.value(args[0], tape.consts[i]) if prim.takes_const else prim.value(*args)
        except OverflowError:  # 10^400 is a number, only not a double: unknown here
            continue
        except (ArithmeticError, ValueError):
            what = subexpression(tape, i) or f"a {prim.name} of numbers"
            raise DomainError(f"{what} has no value ({prim.domain or 'undefined'}), so the "
                              "expression has none anywhere") from None
        value[i] = x

def num(x: float | None) -> str:
    """Full precision: the shortest text that reads back as the same double; a rational
    (``--exact``) as itself, an mpmath number (``--precision``) with all its digits."""
    if x is None:
        return "n/a"
    if type(x) is float:
        return repr(x)
    kind = type(x).__name__
    if kind == "Fraction":
        from adcalc.engine.exact import text

        return text(x)  # type: ignore[arg-type]
    if kind == "mpf":
        import mpmath

        return mpmath.nstr(x, mpmath.mp.dps)
    if kind == "Closed":  # --exact: an irrational value, as its formula ≈ its known digits
        return str(x)
    return repr(float(x))


def nondiff_warnings(tape: Tape, variables: Sequence[str], values: list[float],
                     nodes: Sequence[int]) -> list[str]:
    """One line for each node evaluated at a non-differentiable point."""
    if not nodes:
        return []
    labels = tape.labels(list(variables))
    out = []
    for i in sorted(set(nodes), reverse=True):
        prim = PRIMITIVES[tape.ops[i]]
        at = ", ".join(f"{labels[a]} = {num(values[a])}" for a in args_of(tape, i)
                       if labels[a] is not None)
        out.append(f"warning: {labels[i]} = {operation(tape, labels, i)} is not "
                   f"differentiable at {at}; {prim.convention}")
    return out
