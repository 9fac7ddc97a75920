"""Rich display in notebooks (Jupyter, IPython, VS Code) and the ``%adcalc`` magics.

The records live in ``adcalc.commands`` and the HTML in ``adcalc.render``, which may not
import each other that way round; so this module, at the API layer, attaches the
display methods to each record class when ``adcalc`` hands its module out
(``attach``).  It imports nothing heavy itself: a method imports its renderer when a
front end calls it.

    _repr_html_    the report's paragraphs and tables, as the terminal shows them
    _repr_latex_   diff's formulas; a Jacobian or Hessian as a matrix
    _repr_svg_     a graph, through Graphviz's dot (None without it: the tables show)
    _repr_pretty_  IPython's terminal: the plain-text report
"""

from __future__ import annotations

import sys
from typing import Any

RECORDS = {
    "adcalc.commands.grad": {"Gradient": "trace", "GradResult": "result"},
    "adcalc.commands.diff": {"Diff": "diff_report"},
    "adcalc.commands.vector": {"VectorResult": "vector_report",
                               "HessianResult": "vector_report"},
    "adcalc.commands.graph": {"GraphResult": "graph"},
    "adcalc.commands.taylor": {"TaylorResult": "taylor_report"},
    "adcalc.frontend.tracing": {"Var": "var"},
}
"""By module, the record classes that display, and how."""


def attach(module: str | None = None) -> None:
    """Give the record classes of every imported module of ``RECORDS`` (or of
    ``module``) their display methods; cheap, and safe to call again."""
    for name in [module] if module in RECORDS else RECORDS:
        loaded = sys.modules.get(name)  # type: ignore[arg-type]
        if loaded is None:
            continue
        for cls_name in RECORDS[name]:  # type: ignore[index]
            cls = getattr(loaded, cls_name, None)
            if cls is not None and "_repr_html_" not in vars(cls):
                cls._repr_html_ = _repr_html_
                cls._repr_pretty_ = _repr_pretty_
                cls._repr_latex_ = _repr_latex_
                cls._repr_svg_ = _repr_svg_


# -- the methods ---------------------------------------------------------------------------


def _blocks(record: Any) -> list | None:
    """The report's blocks (as ``adcalc.render.output.emit`` would print them)."""
    kind = type(record).__name__
    if kind == "Var":
        return _var_blocks(record)
    if kind == "GradResult":
        from adcalc.render.document import Table, num

        t = Table("Result", ["quantity", "value"], right={1})
        t.add(["f", num(record.value)], "output")
        for name, g in record.gradient.items():
            t.add([f"∂f/∂{name}", num(g)])
        return [t]
    if kind == "GraphResult":
        from adcalc.render.graph_image import render_graph

        return render_graph(record, "text")  # type: ignore[return-value]
    from importlib import import_module

    view = import_module("adcalc.render." + {"Gradient": "trace", "Diff": "diff_report",
                                             "TaylorResult": "taylor_report"}.get(
        kind, "vector_report"))
    record = _recorded(record)
    options = {"kind": _vector_kind(record)} if kind == "VectorResult" else {}
    blocks = view.blocks(record, **options)
    tape = getattr(record, "tape", None)
    if tape is not None and (tape.decisions or tape.loops) and blocks:
        from adcalc.render.path import path_table

        blocks.insert(1, path_table(tape, record.values, record.variables))
    return blocks


def _vector_kind(r: Any) -> str:
    return "jvp" if r.reason.endswith("J·v") else "vjp" if r.reason.endswith("uᵀ·J") \
        else "jacobian"


def _recorded(r: Any) -> Any:
    """A record whose reverse sweeps kept their contributions (the adjoint tables need
    them; the API's functions do not keep them unless asked): ``r`` or its sweep again."""
    kind = type(r).__name__
    if kind == "Gradient" and r.adjoint is not None and not r.adjoint.edges and r.variables:
        from adcalc.commands.grad import gradient

        exact, digits = r.arithmetic == "exact", None
        if r.arithmetic.endswith(" digits"):
            digits = int(r.arithmetic.split()[0])
        again = gradient(r.tape, r.point, r.mode, r.variables, r.seed, record=True,
                         exact=exact, digits=digits)
        again.expression = r.expression
        return again
    if kind == "VectorResult" and r.adjoints and not any(a.edges for a in r.adjoints):
        from adcalc.commands.vector import jacobian, vjp

        again = (vjp(r.tape, r.point, r.direction, r.variables, record=True)
                 if _vector_kind(r) == "vjp" else
                 jacobian(r.tape, r.point, r.mode, r.variables, record=True))
        again.expression = r.expression
        return again
    return r


def _var_blocks(v: Any) -> list:
    """A ``Var``: its value (and ``.grad``); after ``backward()`` from it, the tables of
    ``adcalc.show``."""
    from adcalc.errors import AdcalcError
    from adcalc.render.document import Para

    rec = v.rec
    swept = v.name is None and v.node < len(rec.grads) and rec.grads[v.node] is not None
    if swept:
        try:
            from adcalc.commands.grad import gradient
            from adcalc.frontend.tracing import outputs_tape, point_of
            from adcalc.render import trace
            from adcalc.symbolic.formula import program

            tape = outputs_tape([v])
            g = gradient(tape, point_of(v, tape), record=True)
            g.expression = program(tape)
            return trace.blocks(g)
        except AdcalcError:
            pass
    try:
        text = f"{v.name or 'value'} = {v.value!r}"
    except AdcalcError as exc:
        text = f"{v.name or 'value'}: undefined ({exc})"
    if v.node < len(rec.grads) and rec.grads[v.node] is not None:
        text += f"\ngrad = {v.grad!r}"
    return [Para(text)]


def _repr_html_(self: Any) -> str | None:
    if type(self).__name__ == "GraphResult" and _svg(self) is not None:
        return None  # the image says it all; the tables are the text view without dot
    from adcalc.render.html import render
    from adcalc.render.output import in_its_digits

    with in_its_digits(self):
        return render(_blocks(self) or [])


def _repr_pretty_(self: Any, p: Any, cycle: bool) -> None:
    if cycle:
        p.text(f"{type(self).__name__}(...)")
        return
    from adcalc.render.output import in_its_digits
    from adcalc.render.plain import render

    with in_its_digits(self):
        p.text(render(_blocks(self) or []).rstrip("\n"))


def _repr_latex_(self: Any) -> str | None:
    """Formulas: diff's derivatives (a Jacobian or Hessian as a matrix, as
    ``--format latex`` writes them), and the matrix of jacobian or hessian."""
    kind = type(self).__name__
    if kind == "Diff":
        from adcalc.render.diff_report import latex

        return latex(self) if self.variables and self.pieces is None else None
    if kind == "HessianResult" or (kind == "VectorResult" and _vector_kind(self) == "jacobian"):
        from adcalc.symbolic.latex import latex_name

        name = r"\nabla^2 f" if kind == "HessianResult" else "J"
        body = r" \\ ".join(" & ".join(_tex_number(x) for x in row) for row in self.matrix)
        at = r",\, ".join(f"{latex_name(n)} = {_tex_number(x)}" for n, x in self.point.items())
        return (f"\\[\n\\left.{name}\\right|_{{{at}}} = "
                f"\\begin{{pmatrix}} {body} \\end{{pmatrix}}\n\\]\n")
    return None


def _tex_number(x: Any) -> str:
    x = float(x)
    if x != x:
        return r"\mathrm{NaN}"
    if x in (float("inf"), float("-inf")):
        return r"\infty" if x > 0 else r"-\infty"
    text = repr(x).removesuffix(".0")
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"{mantissa} \\times 10^{{{int(exponent)}}}"
    return text


def _svg(self: Any) -> str | None:
    import shutil

    if type(self).__name__ != "GraphResult" or shutil.which("dot") is None:
        return None
    cached = self.__dict__.get("_adcalc_svg")
    if cached is None:
        from adcalc.errors import AdcalcError
        from adcalc.render.graph_image import render_graph

        try:
            image = render_graph(self, "svg")
        except AdcalcError:
            return None
        text = image.decode() if isinstance(image, bytes) else ""
        cached = text[text.find("<svg"):] if "<svg" in text else ""
        self.__dict__["_adcalc_svg"] = cached
    return cached or None


def _repr_svg_(self: Any) -> str | None:
    return _svg(self)


# -- %adcalc and %%adcalc ------------------------------------------------------------------


class Report:
    """What ``%adcalc`` shows: a command's report, as the record's display would."""

    def __init__(self, blocks: list) -> None:
        self.blocks = blocks

    def _repr_html_(self) -> str:
        from adcalc.render.html import render

        return render(self.blocks)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        from adcalc.render.plain import render

        p.text(render(self.blocks).rstrip("\n"))


def run_magic(args: list[str]) -> int:
    """Run one adcalc command line in this process: a report (``--format auto``, rich or
    plain) is displayed as HTML, other formats print as they would; errors go to stderr
    as on the command line.  Returns the exit code."""
    from IPython.display import display

    from adcalc.cli.repl import run_args
    from adcalc.render import output

    shown: list[list] = []
    original = output.print_blocks

    def collect(blocks: list, fmt: str, digits: int | None = None) -> None:
        if fmt not in ("auto", "rich", "plain"):
            return original(blocks, fmt, digits)
        if digits is not None:
            from adcalc.render.document import Table, with_digits

            blocks = [with_digits(b, digits) if isinstance(b, Table) else b for b in blocks]
        shown.append(blocks)
        return None

    output.print_blocks = collect
    try:
        code = run_args(args)
    finally:
        output.print_blocks = original
    for blocks in shown:
        display(Report(blocks))
    return code


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext adcalc``: ``%adcalc grad "x^2" --at x=3`` runs a command line and
    ``%%adcalc grad --at x=1`` takes the cell as the program."""
    import shlex

    attach()

    def adcalc_magic(line: str, cell: str | None = None) -> None:
        args = shlex.split(line)
        if cell is not None and args:
            args = [args[0], *args[1:], "--", cell.strip()]
        run_magic(args)

    ipython.register_magic_function(adcalc_magic, "line_cell", "adcalc")
