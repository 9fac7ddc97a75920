"""What users may call, described from where it is defined: the table of primitives
(``adcalc.primitives``), the reductions of the builder and the constants.

``adcalc functions``, the language paragraph of ``--help``, the README's list of
functions and the parser's did-you-mean all read this, so a new primitive is one entry
in the table and nothing else.
"""

from __future__ import annotations

from typing import NamedTuple

from adcalc.engine.primitives import CONSTANTS
from adcalc.frontend.build import FUNCTIONS, REDUCTIONS

CONSTANT_DOCS = {"pi": "π = 3.141592653589793", "e": "Euler's number 2.718281828459045"}


class Entry(NamedTuple):
    name: str
    signature: str
    doc: str
    kind: str
    """function, reduction or constant."""
    notes: str = ""
    """Where it is defined and what adcalc does at its kinks and edges."""


def entries() -> list[Entry]:
    out = []
    for name, p in FUNCTIONS.items():
        signature = p.signature or (f"{name}(x)" if p.arity == 1 else f"{name}(a, b)")
        kink = f"where not differentiable: {p.convention}" if p.convention else ""
        notes = "; ".join(x for x in (p.domain, p.derivative_domain, kink) if x)
        out.append(Entry(name, signature, p.doc, "function", notes))
    for name, (signature, doc) in REDUCTIONS.items():
        out.append(Entry(name, signature, doc, "reduction"))
    for name in CONSTANTS:
        out.append(Entry(name, name, CONSTANT_DOCS[name], "constant"))
    return out


def callable_names() -> list[str]:
    """Every name that may be called: for did-you-mean."""
    return sorted(e.name for e in entries() if e.kind != "constant")


def help_paragraph() -> str:
    """The language paragraph of ``--help`` (click wraps it to the terminal)."""
    functions = " ".join(e.name for e in entries() if e.kind == "function")
    reductions = " ".join(e.name for e in entries() if e.kind == "reduction")
    text = ("The language: numbers (2, .5, 1e-3), names (x, x_1, alpha, w[1]), + - * / ^ (or **), "
            "parentheses, the constants pi and e, vectors [a, b], and the functions "
            f"{functions}; the reductions {reductions} take vectors. "
            "adcalc functions lists them all.")
    return text


def markdown() -> str:
    """The README's table of functions (a test keeps the README equal to it)."""
    rows = ["| call | what it is | domain and conventions |", "|---|---|---|"]
    for e in entries():
        rows.append(f"| `{e.signature}` | {e.doc} | {e.notes} |")
    return "\n".join(rows)
