"""Tables that fit any terminal from 60 columns up: no cell cut, every line within the
width, full precision where it fits, fewer digits or wrapped words or split parts where
it does not."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from adcalc import gradient
from adcalc.commands.vector import hessian, jacobian
from adcalc.render import trace, vector_report
from adcalc.render.plain import width
from adcalc.render.rich_tty import fit, render

SEED = "log((x1+x2)^2 + sin(x1*x2))"


def reports() -> list[tuple[str, list]]:
    g = gradient(SEED, {"x1": 1.0, "x2": 0.5}, record=True)
    f = gradient("x*y*z + sin(x)", {"x": 1.0, "y": 2.0, "z": 3.0}, mode="forward")
    j = jacobian("[x*y, sin(x) + y^2, exp(x*y)]", {"x": 1.0, "y": 2.0}, record=True)
    h = hessian(SEED, {"x1": 1.0, "x2": 0.5})
    return [("grad", trace.blocks(g)), ("forward", trace.blocks(f)),
            ("jacobian", vector_report.blocks(j)),
            ("hessian", vector_report.blocks(h))]


@pytest.mark.parametrize("columns", [60, 80, 100, 200])
@pytest.mark.parametrize(("name", "blocks"), reports())
def test_every_line_fits_and_no_cell_is_cut(name: str, blocks: list, columns: int) -> None:
    console = Console(width=columns, record=True, force_terminal=True, file=io.StringIO())
    render(blocks, console)
    text = console.export_text()
    for line in text.splitlines():
        assert width(line) <= columns, (name, columns, line)
    assert "…" not in text, (name, columns)  # Rich marks a cut cell with an ellipsis
    for block in blocks:
        for part in getattr(block, "rows", []) and fit(block, columns):
            for row in part.rows:
                for cell in row:  # every word of every cell is printed whole somewhere
                    for word in cell.split():
                        assert word in text, (name, columns, word)


def test_full_precision_where_it_fits_and_piped_output_unchanged(cli) -> None:
    blocks = reports()[0][1]
    wide = Console(width=200, record=True, force_terminal=True, file=io.StringIO())
    render(blocks, wide)
    assert "1.4206588555162871" in wide.export_text()
    narrow = Console(width=80, record=True, force_terminal=True, file=io.StringIO())
    render(blocks, narrow)
    adjoint_table = narrow.export_text().split("Adjoint trace")[1].split("Result")[0]
    assert "1.42066" in adjoint_table and "1.4206588555162871" not in adjoint_table
    piped = cli("grad", SEED, "--at", "x1=1,x2=0.5")  # plain text keeps every digit
    assert "1.4206588555162871" in piped.stdout


def test_digits_sets_the_precision_and_twins_display_equal(cli) -> None:
    r = cli("hessian", SEED, "--at", "x1=1,x2=0.5", "--digits", "6")
    assert r.stdout.count("-0.823426") == 2  # H12 and H21 differ in the 16th digit
    r = cli("grad", SEED, "--at", "x1=1,x2=0.5", "--digits", "4")
    assert "1.421" in r.stdout and "1.4206588555162871" not in r.stdout


def test_a_number_wider_than_the_terminal_folds_whole() -> None:
    """An exact rational of 80 digits at 60 columns: folded over lines, never cut, and
    the node column keeps its width."""
    g = gradient("x^100 + x/7", {"x": 2 / 3}, record=True, exact=True)
    console = Console(width=60, record=True, force_terminal=True, file=io.StringIO())
    render(trace.blocks(g), console)
    text = console.export_text()
    assert all(width(line) <= 60 for line in text.splitlines())
    assert "…" not in text
    joined = "".join(text.split())
    for x in g.values:
        assert str(x) in joined, x
    assert " v1 " in text and "\n n\n" not in text  # no column crushed to a letter a line
