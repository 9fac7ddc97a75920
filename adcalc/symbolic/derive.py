"""Derivative tapes: the adjoint sweep run with the tape itself as the algebra.

The same rules that give numbers in the float sweeps here append nodes
(``sweeps.gradient_nodes``), so the result is a tape whose outputs are the derivatives;
differentiating that tape again gives higher orders and mixed partials.  Everything
lives on one working tape, so the derivatives share their pieces with each other and
with the original function.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import combinations_with_replacement
from typing import Any

from adcalc.engine.hints import nearest
from adcalc.engine.sweeps import gradient_nodes
from adcalc.engine.tape import Tape
from adcalc.errors import InputError, param
from adcalc.symbolic.simplify import Simplifier, simplified


def check_wrt(tape: Tape, wrt: Sequence[str] | None) -> list[str]:
    """The variables to differentiate by (default: all), each one the expression uses."""
    if not wrt:
        return list(tape.variables)
    for name in wrt:
        if name not in tape.var_node:
            near = nearest(name, tape.variables)
            hint = f"; did you mean {near}?" if near else ""
            uses = ", ".join(tape.variables) or "no variables"
            raise InputError(f"{param('wrt')} names {name}, which the expression does not "
                             f"use{hint} "
                             f"(it uses {uses})")
    if len(set(wrt)) != len(wrt):
        raise InputError(f"{param('wrt')} names a variable twice")
    return list(wrt)


SIMPLIFY = ("none", "basic", "full")
"""How derivatives are rewritten: not at all (the tape the rules produce), by the local
rules of ``adcalc.simplify`` as they are built, or also brought to the canonical form of
``adcalc.canonical``."""


def derivatives(tape: Tape, wrt: Sequence[str] | None = None, order: int = 1,
                simplify: bool | str = True) -> tuple[Tape, list[tuple[str, ...]]]:
    """All partial derivatives of ``order`` over the variables ``wrt`` of a scalar.

    Returns a tape whose outputs are the derivatives and, for each output, the
    variables it differentiates by (``("x", "y")`` is ∂²f/∂x∂y).  Mixed partials are
    listed once each (they are symmetric), in the order of ``wrt``.
    """
    if len(tape.outputs) != 1:
        raise InputError(f"the expression has {len(tape.outputs)} results: its derivatives "
                         "are those of each (each_derivative)")
    dtape, keys, _ = each_derivative(tape, wrt, order, simplify)
    return dtape, keys


QUICK = 200
"""Tapes this small are differentiated with only the rules 0·x = 0 and 1·x = x before
their canonical form is taken, which rewrites them whole anyway (the local rules of
``simplify`` would be work done twice)."""


def each_derivative(tape: Tape, wrt: Sequence[str] | None = None, order: int = 1,
                    simplify: bool | str = True, defined: bool = False
                    ) -> tuple[Tape, list[tuple[str, ...]], list[int]]:
    """``derivatives`` of every result of ``tape`` (a vector's Jacobian, for order 1), on
    one tape: the keys, and for each the index of the result it differentiates.
    ``simplify``: one of ``SIMPLIFY`` (``True`` is ``"full"``, ``False`` ``"none"``).
    ``defined``: first raise ``DomainError`` where ``tape`` has no value anywhere, as its
    canonical form shows (``1/(x - x)``; ``canonical.domain``), for a tape of up to
    ``LIMIT`` nodes, at every level of ``simplify`` alike."""
    if order < 1:
        raise InputError("the derivative order must be at least 1")
    level = {True: "full", False: "none"}.get(simplify, simplify)  # type: ignore[call-overload]
    if level not in SIMPLIFY:
        raise InputError(f"simplify must be one of {', '.join(SIMPLIFY)}, not {simplify!r}")
    simplify = level != "none"
    names = check_wrt(tape, wrt)
    quick = level == "full" and len(tape) <= QUICK
    if defined and not (quick and order == 1):  # (the quick way checks the form it reads)
        from adcalc.symbolic.canonical.domain import nowhere_defined
        from adcalc.symbolic.canonical.limits import LIMIT

        if len(tape) <= LIMIT:
            nowhere_defined(tape)
    if quick and order == 1:  # built in canonical form as the sweep makes them
        from adcalc.symbolic.canonical import GROWTH, UNTIDIED, partials

        # canonical's measure: no larger than GROWTH times the derivative tape (made
        # only when the form is larger than the function's tape, which it rarely is not)
        bound = GROWTH * len(tape) + 8
        derivative_tape: list[int] = []

        def larger(size: float, factor: float = 1.0) -> bool:
            if size <= factor * bound:
                return False
            if not derivative_tape:
                derivative_tape.append(len(each_derivative(tape, names, 1, "none")[0]))
            return size > factor * (GROWTH * derivative_tape[0] + 8)

        out = partials(tape, names, lambda size: larger(size, UNTIDIED), defined)
        if out is None or larger(len(out)):
            return each_derivative(tape, wrt, order, "basic")
        keys = [(name,) for name in names]
        return (out, keys * len(tape.outputs),
                [k for k in range(len(tape.outputs)) for _ in keys])
    # the canonical form rewrites the whole tape anyway: only the derivative's own nodes
    # need the local rules (or the tape swells as it is built)
    work = simplified(tape) if level == "basic" else tape.copy()
    work.for_derivatives()  # (the derivative's own nodes)
    algebra = Simplifier(work) if simplify and not quick else work
    wanted = list(combinations_with_replacement(names, order))
    outputs: list[int] = []
    results: list[int] = []
    for k, result in enumerate(list(work.outputs)):
        current: dict[tuple[str, ...], int] = {(): result}
        for _ in range(order):
            following: dict[tuple[str, ...], int] = {}
            for index, node in current.items():
                start = names.index(index[-1]) if index else 0
                rest = names[start:]
                for name, d in zip(rest, gradient_nodes(work, algebra, node, rest),
                                   strict=True):
                    following[(*index, name)] = d
            current = following
        outputs += [current[key] for key in wanted]
        results += [k] * len(wanted)
    work.outputs = outputs
    out = work.pruned()
    if level == "full":
        from adcalc.symbolic.canonical import canonical

        written = canonical(out, tape)
        if quick and written is out:  # the canonical form would swell: the basic form
            return each_derivative(tape, wrt, order, "basic")
        out = written
    return out, wanted * (len(results) // max(len(wanted), 1)), results


def symmetric(hab: Any, hba: Any) -> Any:
    """An entry of the Hessian's symmetric part, (H_ab + H_ba)/2 (on floats or arrays;
    halved first where the sum would overflow).  The two differ only by rounding, and a
    Hessian is symmetric: this is the one number every place shows."""
    if hab is hba:
        return hab
    if isinstance(hab, float):
        total = hab + hba
        return total / 2 if math.isfinite(total) else hab / 2 + hba / 2
    import numpy as np

    with np.errstate(over="ignore", invalid="ignore"):
        total = hab + hba
        return np.where(np.isfinite(total), total / 2, hab / 2 + hba / 2)
