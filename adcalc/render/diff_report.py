"""Reports of symbolic derivatives: plain/rich document, LaTeX, JSON.

The four functions of every record module (``adcalc.render.output``): ``blocks``,
``to_json``, ``quiet_text`` and ``warnings``, and ``latex``, the display a derivative
is written as in LaTeX (in place of the blocks' LaTeX tables).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adcalc.commands.diff import Diff
from adcalc.engine.algebra import format_number
from adcalc.engine.describe import PLAIN
from adcalc.render.document import Block, Para, Table, num
from adcalc.render.trace import nondiff_warnings
from adcalc.symbolic.formula import Formulas, formulas
from adcalc.symbolic.latex import LatexAlgebra, latex_name

SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _grouped(key: Sequence[str]) -> list[tuple[str, int]]:
    groups: list[tuple[str, int]] = []
    for name in key:
        if groups and groups[-1][0] == name:
            groups[-1] = (name, groups[-1][1] + 1)
        else:
            groups.append((name, 1))
    return groups


def label(key: Sequence[str], function: str = "f") -> str:
    """``("x",)`` → ``∂f/∂x``; ``("x", "x")`` → ``∂²f/∂x²``; ``("x", "y")`` → ``∂²f/∂x∂y``."""
    k = len(key)
    top = f"∂{function}" if k == 1 else f"∂{str(k).translate(SUPERSCRIPT)}{function}"
    bottom = "".join(f"∂{n}" + (str(m).translate(SUPERSCRIPT) if m > 1 else "")
                     for n, m in _grouped(key))
    return f"{top}/{bottom}"


def latex_label(key: Sequence[str], function: str = "f",
                names: dict[str, str] | None = None) -> str:
    k = len(key)
    f = "f" if function == "f" else f"f_{{{function[1:]}}}"
    top = rf"\partial {f}" if k == 1 else rf"\partial^{{{k}}} {f}"
    names = names or {}
    bottom = r" \, ".join(rf"\partial {names.get(n) or latex_name(n)}"
                          + (f"^{{{m}}}" if m > 1 else "")
                          for n, m in _grouped(key))
    return rf"\frac{{{top}}}{{{bottom}}}"


NO_VARIABLES = ("The expression uses no variables: it is a constant, with no variable to "
                "differentiate by.")


def blocks(d: Diff, cse: bool = False, **_: Any) -> list[Block]:
    f = formulas(d.tape, PLAIN, cse)
    blocks: list[Block] = [Para(f"f({', '.join(d.variables)}) = {d.expression.strip()}",
                                "bold")]
    if d.point is not None and d.source is not None:
        from adcalc.render.path import path_table

        path = path_table(d.source, d.source_values or None, d.variables)
        if path is not None:  # a program at a point: the formulas are its path's
            blocks.append(path)
    if f.lets:
        lines = ["where"] + [f"  {name} = {PLAIN.text(t)}" for name, t in f.lets]
        blocks.append(Para("\n".join(lines), "dim"))
    if not d.variables:
        blocks.append(Para(NO_VARIABLES))
        return blocks
    blocks.append(Para("\n".join(f"{label(k, g)} = {t}" for k, g, t in
                                 zip(d.keys, d.functions, plain_texts(d, f), strict=True)),
                       "green"))
    if d.values is not None and d.point is not None:
        at = ", ".join(f"{n} = {format_number(v)}" for n, v in d.point.items())
        table = Table(f"Values at {at}", ["derivative", "value"], right={1})
        for k, g, v in zip(d.keys, d.functions, d.values, strict=True):
            table.add([label(k, g), num(v)])
        blocks.append(table)
    return blocks


def latex(d: Diff, cse: bool = False, **_: Any) -> str:
    """The partials as aligned equations in a display (``\\[ … \\]``, which compiles as
    printed); a vector's Jacobian and a Hessian (order 2 in two or more variables) as the
    matrix a textbook writes."""
    if not d.variables:
        return f"% {NO_VARIABLES}\n"
    algebra = LatexAlgebra(d.variables)
    f = formulas(d.tape, algebra, cse)
    rows = [f"{latex_name(name)} &= {algebra.text(t)}" for name, t in f.lets]
    texts = latex_texts(d, f, algebra)
    grid = matrix(d)
    at = None
    if d.values is not None and d.point is not None:  # the values at the point, below
        point = r",\, ".join(f"{latex_name(n)} = {algebra.text(algebra.number(v))}"
                             for n, v in d.point.items())
        at = [algebra.text(algebra.number(v)) for v in d.values], rf"_{{{point}}}"
    if grid is not None:
        name, cells = grid
        body = r" \\ ".join(" & ".join(texts[k] for k in row) for row in cells)
        rows.append(f"{name} &= \\begin{{pmatrix}} {body} \\end{{pmatrix}}")
        if at is not None:
            numbers = r" \\ ".join(" & ".join(at[0][k] for k in row) for row in cells)
            rows.append(rf"\left.{name}\right|{at[1]} &= \begin{{pmatrix}} {numbers} "
                        r"\end{pmatrix}")
    else:
        labels = [latex_label(k, g, algebra.names) for k, g in zip(d.keys, d.functions,
                                                                  strict=True)]
        rows += [f"{lab} &= {t}" for lab, t in zip(labels, texts, strict=True)]
        if at is not None:
            rows += [rf"\left.{lab}\right|{at[1]} &= {v}"
                     for lab, v in zip(labels, at[0], strict=True)]
    return ("\\[\n\\begin{aligned}\n" + " \\\\\n".join(rows)
            + "\n\\end{aligned}\n\\]\n")


def matrix(d: Diff) -> tuple[str, list[list[int]]] | None:
    """``(name, rows of indices into the derivatives)`` when they form a Jacobian (a
    vector, order 1) or a Hessian (a scalar, order 2, two or more variables)."""
    wrt = list(dict.fromkeys(n for key in d.keys for n in key))
    if d.pieces is not None:  # formulas in cases: one row each
        return None
    where = {(g, key): k for k, (g, key) in enumerate(zip(d.functions, d.keys, strict=True))}
    results = list(dict.fromkeys(d.functions))
    if d.order == 1 and len(results) > 1:
        return "J", [[where[(g, (n,))] for n in wrt] for g in results]
    if d.order == 2 and len(results) == 1 and len(wrt) > 1:
        g = results[0]

        def at(a: str, b: str) -> int:
            return where.get((g, (a, b)), where.get((g, (b, a)), 0))

        return r"\nabla^{2} f", [[at(a, b) for b in wrt] for a in wrt]
    return None


def to_json(d: Diff, cse: bool = False, **_: Any) -> dict[str, Any]:
    from adcalc.render.json_out import SCHEMA, number  # JSON only: not on the text path

    plain = formulas(d.tape, PLAIN, cse)
    algebra = LatexAlgebra(d.variables)
    tex = formulas(d.tape, algebra, cse)
    out: dict[str, Any] = {
        "schema": SCHEMA,
        "expression": d.expression,
        "variables": d.variables,
        "order": d.order,
        "let": [{"name": name, "formula": PLAIN.text(t), "latex": algebra.text(lt)}
                for (name, t), (_, lt) in zip(plain.lets, tex.lets, strict=True)],
        "derivatives": [],
    }
    plains, latexes = plain_texts(d, plain), latex_texts(d, tex, algebra)
    for n, key in enumerate(d.keys):
        item: dict[str, Any] = {"of": d.functions[n], "wrt": list(key),
                                "label": label(key, d.functions[n]),
                                "formula": plains[n], "latex": latexes[n]}
        if d.pieces is not None:
            item["pieces"] = [
                {"condition": condition_text(d, plain, p.condition, PLAIN, PLAIN_WORDS),
                 "formula": PLAIN.text(plain.outputs[p.formula]),
                 "latex": algebra.text(tex.outputs[p.formula])} for p in d.pieces[n]]
        if d.values is not None:
            item["value"] = number(d.values[n])
        out["derivatives"].append(item)
    if d.point is not None:
        out["point"] = {n: number(v) for n, v in d.point.items()}
        if d.source is not None:
            from adcalc.render.path import path_json

            out.update(path_json(d.source, d.source_values or None, d.variables))
    if warnings(d):
        out["warnings"] = warnings(d)
    return out


def quiet_text(d: Diff, cse: bool = False, **_: Any) -> str:
    """The derivatives only, a line each (``∂f/∂x = …``), after the shared pieces."""
    f = formulas(d.tape, PLAIN, cse)
    lines = [f"{name} = {PLAIN.text(t)}" for name, t in f.lets]
    lines += [f"{label(k, g)} = {t}" for k, g, t in
              zip(d.keys, d.functions, plain_texts(d, f), strict=True)]
    return "".join(line + "\n" for line in lines)


PLAIN_WORDS = {"and": " and ", "or": " or ", "(": "(", ")": ")"}
LATEX_WORDS = {"and": r" \text{ and } ", "or": r" \text{ or } ", "(": r"\left(",
               ")": r"\right)", "<": "<", "<=": r"\le", ">": ">", ">=": r"\ge", "==": "=",
               "!=": r"\ne"}


def condition_text(d: Diff, f: Formulas, condition: list[list[tuple[int, str, int]]],
                   algebra: Any, words: dict[str, str]) -> str | None:
    """A piece's condition in the language's syntax (``x > 0 and y <= 1``) or in LaTeX;
    ``None`` for everywhere."""
    if condition == [[]]:
        return None
    out = []
    for conj in condition:
        text = words["and"].join(f"{algebra.text(f.outputs[a])} {words.get(op, op)} "
                                 f"{algebra.text(f.outputs[b])}" for a, op, b in conj)
        out.append(f"{words['(']}{text}{words[')']}" if len(conj) > 1 and len(condition) > 1
                   else text)
    return words["or"].join(out)


def plain_texts(d: Diff, f: Formulas) -> list[str]:
    """Each derivative's right-hand side: its formula, or its pieces (``3*x^2 if x > 0;
    -1 otherwise``)."""
    if d.pieces is None:
        return [PLAIN.text(t) for t in f.outputs]
    out = []
    for pieces in d.pieces:
        parts = []
        for k, p in enumerate(pieces):
            formula = PLAIN.text(f.outputs[p.formula])
            cond = condition_text(d, f, p.condition, PLAIN, PLAIN_WORDS)
            parts.append(formula if cond is None else f"{formula} otherwise"
                         if k == len(pieces) - 1 else f"{formula} if {cond}")
        out.append("; ".join(parts))
    return out


def latex_texts(d: Diff, f: Formulas, algebra: LatexAlgebra) -> list[str]:
    """Each derivative's right-hand side in LaTeX: pieces as a ``cases`` environment."""
    if d.pieces is None:
        return [algebra.text(t) for t in f.outputs]
    out = []
    for pieces in d.pieces:
        rows = []
        for k, p in enumerate(pieces):
            formula = algebra.text(f.outputs[p.formula])
            cond = condition_text(d, f, p.condition, algebra, LATEX_WORDS)
            rows.append(formula if cond is None else rf"{formula} & \text{{otherwise}}"
                        if k == len(pieces) - 1 else rf"{formula} & \text{{if }} {cond}")
        out.append(rows[0] if len(rows) == 1 and "&" not in rows[0] else
                   r"\begin{cases} " + r" \\ ".join(rows) + r" \end{cases}")
    return out


def warnings(d: Diff) -> list[str]:
    """What the parser noticed, then grad's own warnings for the kinks at the point."""
    kinks = (nondiff_warnings(d.source, d.variables, d.source_values, d.nondiff)
             if d.source is not None and d.nondiff else [])
    return [*d.warnings, *kinks]
