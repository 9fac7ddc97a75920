"""Trace tables for notes and slides: Markdown and LaTeX from the same blocks."""

from __future__ import annotations

import re

import pytest

from adcalc.render.notes import tex

COMMANDS = [["grad", "log((x1+x2)^2 + sin(x1*x2))", "--at", "x1=1,x2=0.5"],
            ["grad", "x*y + x^2", "--at", "x=2,y=3", "--mode", "forward"],
            ["grad", "sin(x^2 + 1)", "--at", "x=1.5", "--check"],
            ["jacobian", "[x*y, sin(x) + y^2]", "--at", "x=1,y=2"],
            ["hessian", "(1 - x)^2 + 100*(y - x^2)^2", "--at", "x=1,y=1"],
            ["jvp", "[x*y, x+y]", "--at", "x=1,y=2", "--dir", "1,-1"],
            ["vjp", "[x*y, x+y]", "--at", "x=1,y=2", "--cot", "1,0"]]


@pytest.mark.parametrize("args", COMMANDS)
def test_markdown_tables_are_well_formed(cli, args: list[str]) -> None:
    r = cli(*args, "--format", "markdown")
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    tables = [k for k, line in enumerate(lines) if re.fullmatch(r"\|(-+:?\|)+", line)]
    assert tables
    for k in tables:  # every row of a table has the header's number of cells
        cells = lines[k - 1].count(" | ")
        row = k + 1
        while row < len(lines) and lines[row].startswith("| "):
            assert lines[row].replace("\\|", "").count(" | ") == cells, lines[row]
            row += 1


@pytest.mark.parametrize("args", COMMANDS)
def test_latex_is_ascii_balanced_and_tabular(cli, args: list[str]) -> None:
    r = cli(*args, "--format", "latex")
    assert r.exit_code == 0
    text = r.stdout
    assert text.isascii()
    depth = 0
    for ch in text.replace("\\{", "").replace("\\}", ""):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0
    assert depth == 0
    assert text.count("$") % 2 == 0
    for table in re.findall(r"\\begin\{tabular\}\{([lr]+)\}(.*?)\\end\{tabular\}", text, re.S):
        spec, body = table
        for line in body.strip().splitlines():
            if line.endswith(r"\\"):
                assert line.replace(r"\&", "").count("&") == len(spec) - 1, line


@pytest.mark.parametrize(("cell", "want"), [
    ("v̄5 = v̄6·∂v6/∂v5", r"$\bar{v}_{5}$ = $\bar{v}_{6}\cdot \partial v_{6}$/$\partial v_{5}$"),
    ("v-1 + v0", "$v_{-1}$ + $v_{0}$"),
    ("v̇3 = 2·v̇1", r"$\dot{v}_{3}$ = 2$\cdot \dot{v}_{1}$"),
    ("∂²f/∂x∂y", r"$\partial ^{2}$f/$\partial $x$\partial $y"),
    ("50% of x_1 & {y}", r"50\% of x\_1 \& \{y\}"),
    # the text font has no | < >: math mode; a power is raised; [ never reads as \\[len]
    ("|AD - FD| <= tol", r"$|$AD - FD$|$ $\le $ tol"),
    ("v1^2 + x^(1/3)", r"$v_{1}$\textsuperscript{2} + x\textsuperscript{(1/3)}"),
    ("[a, b]", "{[}a, b]"),
    ("w[1]·x", r"$\mathit{w}_{1}\cdot $x"),
])
def test_trace_notation_in_latex(cell: str, want: str) -> None:
    assert tex(cell) == want


def test_a_local_partial_of_a_literal_division_reads_as_typed(cli) -> None:
    """∂(x/3)/∂x is 1/3 in the local-partial column, not 0.3333333333333333 (the number
    column keeps every digit)."""
    out = cli("grad", "x/3 + x/(-6)*y", "--at", "x=1,y=2", "--format", "plain").stdout
    assert " 1/3 " in out and " -1/6 " in out
    assert "0.3333333333333333" in out  # the partial's value, in full


def test_markdown_escapes_a_leading_minus_in_prose_only(cli) -> None:
    out = cli("grad", "a = x\n-a", "--at", "x=2", "--format", "markdown").stdout
    assert "  \\-a  " in out  # a program line: not a list item
    assert "| -1.0 |" in out and "\\-1" not in out  # a number in a table stays as it is
