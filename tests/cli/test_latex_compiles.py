"""Every --format latex output compiles with a real TeX engine (pdflatex from Debian's
texlive-latex-base, which scripts/test.sh installs; skipped where it is missing, never
in CI)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

PDFLATEX = shutil.which("pdflatex")
if PDFLATEX is None and os.environ.get("CI"):
    pytest.fail("CI must compile the LaTeX: scripts/test.sh installs texlive-latex-base",
                pytrace=False)
pytestmark = pytest.mark.skipif(PDFLATEX is None, reason="pdflatex is not installed "
                                "(apt-get install texlive-latex-base)")

PREAMBLE = "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n"

TRACES = [
    ("grad", "log((x1+x2)^2 + sin(x1*x2))", "--at", "x1=1,x2=0.5"),
    ("grad", "x_1^2*y + sqrt(x_1) - max(x_1, y)", "--at", "x_1=2,y=0.5"),
    ("grad", "sigmoid(w*x + b) - relu(x)", "--at", "w=0.5,x=-1,b=2", "--mode", "forward"),
    ("grad", "x/3 + x*y", "--at", "x=1,y=0.1", "--exact"),
    ("grad", "exp(x)*sin(y)", "--at", "x=0.3,y=2", "--precision", "30", "--check"),
    ("grad", "abs(x) + x^2", "--at", "x=0", "--check"),
    ("jacobian", "softmax([a, b, c])", "--at", "a=1,b=2,c=3"),
    ("hessian", "x^2*y^3 + exp(x*y)", "--at", "x=1,y=0.5"),
    ("jvp", "[x*y, x + y^2]", "--at", "x=1,y=2", "--dir", "x=1,y=-1"),
    ("vjp", "[x*y, sin(x)]", "--at", "x=1,y=2", "--cot", "f1=1,f2=0.5"),
    ("jacobian", "a = x*y\n[a, a^2]", "--at", "x=1,y=2"),  # a line that starts with [
    ("grad", "neuron(w, b, x) = tanh(w*x + b)\nneuron(w[1], b[1], x) + 1e4 + 1e-8*x^2",
     "--at", "w[1]=0.5,b[1]=0.1,x=1.5", "--check"),
    ("examples", "griewank"),
]

FORMULAS = [
    ("diff", "x*exp(-x)*log(x)"),
    ("diff", "(x^2 + 1)/(x^2 - 1)", "--order", "2"),
    ("diff", "[x*y, sin(x) + y^2]"),
    ("diff", "x^2*y^3 + atan2(y, x)", "--order", "2"),
    ("diff", "log((x1+x2)^2 + sin(x1*x2))", "--cse"),
    ("diff", "x^(1/3) + 2^x + log2(x) + pi*e^x + hypot(x, 1.5e20)"),
    ("diff", "sigmoid(w*x + b) + softplus(x) + stop_gradient(x)*x + abs(x) + theta_2"),
    ("diff", "sin(x)*y", "--at", "x=0.5,y=1e-7"),  # the values at the point, too
    ("diff", "x^2*y^3", "--order", "2", "--at", "x=0.5,y=2"),
    ("diff", "3"),
    ("diff", "if x > 0 then x^3 else -x"),  # a program's pieces: cases
    ("diff", "r = y - t; if abs(r) <= d then r^2/2 else d*(abs(r) - d/2)"),
    ("diff", "if x > 0 and y > 0 or x < -1 then x*y/3 else x + y^2", "--cse"),
    ("diff", "if x > y then [x*y, x] else [y, x^2]"),
    ("diff", "if x != 0 then x^2 else sqrt(x + 1)", "--order", "2"),
]


def compile_latex(tmp_path, body: str) -> None:
    source = tmp_path / "doc.tex"
    source.write_text(PREAMBLE + body + "\n\\end{document}\n")
    r = subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=60)
    log = r.stdout[-3000:]
    assert r.returncode == 0, f"{body[:2000]}\n---\n{log}"
    assert (tmp_path / "doc.pdf").exists()


def test_trace_tables_compile(cli, tmp_path) -> None:
    parts = []
    for args in TRACES:
        r = cli(*args, "--format", "latex")
        assert r.exit_code in (0, 1), (args, r.output)
        assert "\\^{}" not in r.stdout and "w[1]" not in r.stdout, args  # superscripts, w_{1}
        parts.append(r.stdout)
    compile_latex(tmp_path, "\n\n\\clearpage\n".join(parts))


def test_formulas_compile(cli, tmp_path) -> None:
    parts = []
    for args in FORMULAS:
        r = cli(*args, "--format", "latex")
        assert r.exit_code == 0, (args, r.output)
        parts.append(r.stdout)  # a display as printed: it compiles alone
    compile_latex(tmp_path, "\n".join(parts))
