"""Code generation: a tape's sweeps written out as one standalone source file.

``generate`` builds, for each function asked for, the walk of ``adcalc.engine.sweeps``
over the code-emitting algebra (``emit``), lowers it to statements and lays them out in
a target's syntax (``python``: only ``math``; ``numpy``: only ``numpy``, broadcasting;
``c``: C99 with only ``<math.h>``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from adcalc.engine.primitives import BY_NAME, KINKS_FOR, PRIMITIVES
from adcalc.engine.tape import Tape
from adcalc.errors import InputError, param
from adcalc.symbolic.codegen.branches import Merged
from adcalc.symbolic.codegen.c import CTarget
from adcalc.symbolic.codegen.emit import (
    Function,
    gradient_function,
    hessian_function,
    jacobian_function,
    lower,
    mangle,
    sanitise,
    value_function,
)
from adcalc.symbolic.codegen.flow import program_functions
from adcalc.symbolic.codegen.numpy import NumpyTarget
from adcalc.symbolic.codegen.python import PythonTarget
from adcalc.symbolic.codegen.target import Layout, Target
from adcalc.version import __version__

MAX_DEPTH = 90
"""The deepest nesting of branches written as Python blocks (Python stops at 100)."""

TARGETS: dict[str, type[Target]] = {"python": PythonTarget, "numpy": NumpyTarget, "c": CTarget}
LANGS = tuple(TARGETS)
WHATS = ("grad", "jacobian", "hessian")

POLICY = {
    "python": "a primal statement outside its domain raises ValueError naming the "
              "subexpression; so does a derivative that does not exist there or a result "
              "that is not finite, except where math itself raises OverflowError (exp(710)).",
    "numpy": "no exceptions: where a primal statement is outside its domain, every result "
             "is NaN at that point; elsewhere IEEE arithmetic (an overflow gives inf; a "
             "derivative that does not exist, as sqrt's at 0, inf or NaN).",
    "c": "no errors: where a primal statement is outside its domain, every result is NaN "
         "(the return value, and every entry written); elsewhere IEEE arithmetic (a "
         "derivative that does not exist, as sqrt's at 0, inf or NaN).",
}


@dataclass
class Generated:
    """A generated source file and what it holds."""

    source: str
    lang: str
    what: str
    name: str
    """The value function's name (mangled); the others add _grad, _jacobian, _hessian."""
    variables: list[str]
    params: list[str]
    """The variables as the code's parameters (mangled), in order."""
    functions: list[str]
    statements: dict[str, int] = field(default_factory=dict)
    """Statements per function."""
    tape_nodes: int = 0
    seconds: float = 0.0


def generate(tape: Tape, lang: str = "python", what: str | None = None, name: str = "f",
             variables: Sequence[str] | None = None, expression: str = "",
             mode: str | None = None, merged: Merged | None = None) -> Generated:
    """The source of ``name`` (the value) and ``name_<what>`` for ``tape`` in ``lang``.

    ``what``: ``grad`` (default for one result), ``jacobian`` (default for several) or
    ``hessian`` (one result; also writes ``name_grad``).  ``variables``: the parameters'
    order (default: first appearance).  ``mode``: the Jacobian's sweeps, forward or
    reverse (default: as ``adcalc.jacobian`` chooses).  ``merged``: a program's every
    path (``branches.merge``; ``tape`` is its tape): branches and selects in the code.
    """
    start = time.perf_counter()
    if lang not in TARGETS:
        raise InputError(f"unknown language {lang!r}: use one of {', '.join(LANGS)}")
    m = len(tape.outputs)
    what = what or ("grad" if m == 1 else "jacobian")
    if what not in WHATS:
        raise InputError(f"unknown {param('what')} {what!r}: use one of {', '.join(WHATS)}")
    if what in ("grad", "hessian") and m != 1:
        raise InputError(f"{what} needs a scalar expression, and this one has {m} results: "
                         f"use {param('what', 'jacobian')}")
    if merged is None:
        tape = tape.pruned()
    names = list(variables) if variables else list(
        tape.variables if merged is None else merged.variables)
    target = TARGETS[lang]()
    params_of = mangle(names, target.RESERVED, target.PREFIX)
    fname = mangle([name], target.RESERVED, target.PREFIX)[name]
    params = [params_of[x] for x in names]
    labels = tape.labels(names)
    n = len(names)
    if mode is None:
        mode = "forward" if n < m else "reverse"
    functions: list[tuple[str, Function]] = []
    if merged is not None and lang == "python" and merged.depth() > MAX_DEPTH:
        raise InputError(
            f"this program nests {merged.depth()} ifs (an else-if chain counts each "
            f"level), and Python allows about 100 levels of blocks: generate NumPy or C "
            "for it, or flatten the chain")
    if merged is not None:
        suffix = {"value": "", "grad": "_grad", "jacobian": "_jacobian",
                  "hessian": "_hessian"}
        functions = [(fname + suffix[kind], fn) for kind, fn in program_functions(
            merged, names, params_of, what)]
    else:
        functions.append((fname, value_function(tape, labels, params_of)[0]))
        if what in ("grad", "hessian"):
            functions.append((f"{fname}_grad", gradient_function(tape, names, labels,
                                                                 params_of)))
        if what == "jacobian":
            functions.append((f"{fname}_jacobian",
                              jacobian_function(tape, names, labels, params_of, mode)))
        if what == "hessian":
            functions.append((f"{fname}_hessian", hessian_function(tape, names, params_of)))
    layouts = []
    counts = {}
    for fn_name, fn in functions:
        outputs = [*fn.value, *fn.gradient, *(x for row in fn.matrix for x in row)]
        statements, texts = lower(fn, outputs, target, params)
        k = len(fn.value)
        g = len(fn.gradient)
        matrix = [texts[k + g + r * n:k + g + (r + 1) * n] for r in range(len(fn.matrix))]
        layouts.append(Layout(fn_name, fn.kind, params, statements, texts[:k], m > 1,
                              texts[k:k + g], matrix, _doc(fn.kind, fname, params, m > 1)))
        counts[fn_name] = len(statements)
    header = _header(tape, lang, what, fname, names, params, expression, [f for f, _ in
                                                                          functions])
    if merged is not None:
        at = header.index(next(h for h in header if h.startswith("Domain:")))
        header[at:at] = _fold(BRANCHES[lang], 88)
    source = target.module(header, layouts)
    return Generated(source, lang, what, fname, names, params, [f for f, _ in functions],
                     counts, len(tape), time.perf_counter() - start)


def _doc(kind: str, fname: str, params: list[str], vector: bool) -> str:
    wrt = ", ".join(f"d{fname}/d{p}" for p in params)
    if len(wrt) > 50:
        wrt = f"d{fname}/d{params[0]}, ..., d{fname}/d{params[-1]}"
    text = {"value": f"The value{'s' if vector else ''} of {fname}.",
            "grad": f"The value and the gradient [{wrt}].",
            "jacobian": f"The values and the Jacobian (a row per result: {wrt}).",
            "hessian": "The value, the gradient and the Hessian (rows and columns in the "
                       "variables' order)."}[kind]
    return sanitise(text, 90)


def _header(tape: Tape, lang: str, what: str, fname: str, names: list[str],
            params: list[str], expression: str, functions: list[str]) -> list[str]:
    text = " ".join(expression.split()) or "(a tape built by the Python API)"
    lines = [f"Generated by adcalc {__version__} (adcalc codegen --lang {lang} --what {what});"
             " do not edit.",
             f"{fname}({', '.join(params)}) = {sanitise(text, 3000)}"]
    lines = [*lines[:1], *_fold(lines[1], 88)[:4]]
    renamed = [f"{sanitise(x, 40)} as {p}" for x, p in zip(names, params, strict=True) if x != p]
    lines += _fold("Variables, in this order: " + (", ".join(params) or "none")
                   + (f" (named {', '.join(renamed)})" if renamed else ""), 88)
    lines += _fold("Functions: " + ", ".join(functions), 88)
    used = sorted({PRIMITIVES[op].name for op, c in zip(tape.ops, tape.consts, strict=True)
                   if op >= 0 and (KINKS_FOR[op] is None or KINKS_FOR[op](c))} & KINKED_NAMES)
    if used:
        lines.append("Conventions at kinks (as adcalc's sweeps):")
        for p in used:
            lines += _fold(f"  {p}: {sanitise(_convention(p), 400)}", 88)
    lines += _fold("Domain: " + POLICY[lang], 88)
    lines += _fold("Derivatives: the reverse sweep written out with adcalc's own local "
                   "rules (sech^2, sigmoid(x)sigmoid(-x), hypot scaling, logsumexp shifted by "
                   "its max); a node with three or more contributions sums them with their "
                   "rounding errors, as the sweeps do.", 88)
    return lines


BRANCHES = {
    lang: "Branches: each if computes the side its condition picks "
          + ("(both sides, under np.errstate, and np.where picks; a domain error counts "
             "only on the side picked)" if lang == "numpy" else "and only that side")
          + "; a comparison decides as written (x > 0 at x = 0 takes the else side, as "
            "adcalc grad does); and/or evaluate their right side only where needed; "
            "repeat and for loops are unrolled; the derivative is the taken path's."
    for lang in ("python", "numpy", "c")}

KINKED_NAMES = frozenset(p.name for p in PRIMITIVES if p.nondiff is not None)


def _convention(name: str) -> str:
    return BY_NAME[name].convention


def _fold(line: str, width: int) -> list[str]:
    """A long line as several of at most ``width`` characters, broken at spaces."""
    out: list[str] = []
    while len(line) > width:
        cut = line.rfind(" ", 5, width)  # past a continuation's indent
        cut = width if cut <= 5 else cut
        out.append(line[:cut])
        line = "    " + line[cut:].lstrip()
    out.append(line)
    return out
