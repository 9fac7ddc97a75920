"""Notebook display: the records' MIME bundles, examples/tour.ipynb run in a real kernel
(nbclient, ipykernel), its LaTeX compiled, its SVG parsed, and the seed example's HTML
laid out by a real browser (Debian's chromium, which scripts/test.sh installs; skipped
where it is missing, never in CI)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import adcalc
from adcalc.render.document import Para, Table
from adcalc.render.html import render

ROOT = Path(__file__).resolve().parents[2]
SEED = "log((x1+x2)^2 + sin(x1*x2))"
AT = {"x1": 1.0, "x2": 0.5}


def test_each_record_has_its_tables_as_html() -> None:
    html = adcalc.gradient(SEED, AT)._repr_html_()
    for shown in ("Primal trace", "Adjoint trace", "1.2598956199053317", "1.4206588555162871",
                  "<table", "sum of 2 contributions"):
        assert shown in html, shown
    forward = adcalc.gradient(SEED, AT, mode="forward")._repr_html_()
    assert "Tangent trace" in forward and "1.2598956199053317" in forward
    assert "∂f/∂x = x^2*(x*cos(x) + 3*sin(x))" in adcalc.diff("x^3*sin(x)")._repr_html_()
    for record in (adcalc.jacobian("[x*y, sin(x)]", {"x": 1, "y": 2}),
                   adcalc.hessian("x^2*y^3", {"x": 1, "y": 2}),
                   adcalc.jvp("[x*y, x]", {"x": 1, "y": 2}, [1, 0]),
                   adcalc.vjp("[x*y, x]", {"x": 1, "y": 2}, [1, 0]),
                   adcalc.taylor("exp(x)", {"x": 1.0}), adcalc.grad("x*y", x=1, y=2)):
        assert "<table" in record._repr_html_(), type(record).__name__
    assert "Adjoint trace" in adcalc.vjp("[x*y, x]", {"x": 1, "y": 2}, [1, 0])._repr_html_()


def test_html_is_escaped_and_has_no_colours_of_its_own() -> None:
    t = Table("<b>title</b>", ["<script>"], right={0})
    t.add(["<script>alert(1)</script>"], "output")
    html = render([Para("a < b & <script>"), t])
    assert "<script>" not in html and "&lt;script&gt;" in html and "<b>" not in html
    seed = adcalc.gradient(SEED, AT)._repr_html_()
    # no fixed colour: only the page's own and translucent greys
    assert not re.search(r"#[0-9a-fA-F]{3,6}\b|\b(black|white|red|blue|green)\b(?!-)", seed)
    assert "rgba(127, 127, 127" in seed


def test_var_shows_its_value_then_its_tables() -> None:
    w, b = adcalc.Var("w", 0.5), adcalc.Var("b", 0.1)
    loss = adcalc.softplus(-(2 * w + b))
    assert "Adjoint trace" not in loss._repr_html_()
    loss.backward()
    html = loss._repr_html_()
    assert "Adjoint trace" in html and repr(w.grad) in html
    assert repr(w.grad) in w._repr_html_()


def test_pretty_is_the_plain_report() -> None:
    from IPython.lib.pretty import pretty

    text = pretty(adcalc.gradient(SEED, AT))
    assert "Adjoint trace" in text and "1.2598956199053317" in text


def test_import_loads_no_renderer() -> None:
    code = ("import sys, adcalc; print(sorted(m for m in sys.modules if m.startswith("
            "('adcalc.render', 'IPython', 'adcalc.cli', 'rich'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


@pytest.fixture(scope="module")
def tour():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    path = ROOT / "examples" / "tour.ipynb"
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in nb.cells if c.cell_type == "code"), "stored without outputs"
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}}).execute()
    return [(c.source, c.outputs) for c in nb.cells if c.cell_type == "code"]


def bundle(tour, start: str, mime: str) -> str:
    for source, outputs in tour:
        if source.startswith(start):
            found = [o["data"][mime] for o in outputs if mime in o.get("data", {})]
            assert found, (start, outputs)
            return found[-1]
    raise AssertionError(start)


def test_the_tour_runs_in_a_kernel(tour) -> None:
    assert not [o for _, outs in tour for o in outs if o["output_type"] == "error"]
    seed = bundle(tour, "seed = ", "text/html")
    assert "Adjoint trace" in seed and "1.2598956199053317" in seed
    assert "Tangent trace" in bundle(tour, 'adcalc.gradient(seed, {"x1": 1.0, "x2": 0.5}, mode',
                                     "text/html")
    assert "Adjoint trace" in bundle(tour, "from adcalc import Var", "text/html")
    magic = bundle(tour, "%adcalc grad", "text/html")
    assert "Tangent trace" in magic and "7.0" in magic
    cell = bundle(tour, "%%adcalc grad", "text/html")
    assert "4.0" in cell  # d/dx (x^2 + x*y) at x=1, y=2


def test_the_tour_svg_parses(tour) -> None:
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    svg = bundle(tour, "adcalc.graph(", "image/svg+xml")
    assert ET.fromstring(svg).tag.endswith("svg")


def test_the_tour_latex_compiles(tour, tmp_path) -> None:
    from tests.cli.test_latex_compiles import PDFLATEX, compile_latex

    parts = [bundle(tour, start, "text/latex") for start in
             ('adcalc.diff("x^3', 'adcalc.diff("x^2', "adcalc.hessian(")]
    assert "pmatrix" in parts[1] and "pmatrix" in parts[2]
    if PDFLATEX is None:
        pytest.skip("pdflatex is not installed")
    compile_latex(tmp_path, "\n".join(parts))


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                    reason="chromium is not installed (apt-get install chromium)")
def test_the_seed_tables_fit_900_pixels_in_a_browser(tmp_path) -> None:
    assert CHROMIUM, "CI must run the browser test: scripts/test.sh installs chromium"
    html = adcalc.gradient(SEED, AT)._repr_html_()
    page = tmp_path / "seed.html"
    page.write_text(
        '<!doctype html><html><head><meta charset="utf-8"></head>'
        f'<body style="margin: 8px; font: 14px sans-serif">{html}<script>'
        "const right = [...document.querySelectorAll('table')].map("
        "t => Math.ceil(t.getBoundingClientRect().right));"
        "document.body.setAttribute('data-widest', Math.max(...right));"
        "document.body.setAttribute('data-tables', right.length);"
        "</script></body></html>", encoding="utf-8")
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--window-size=900,1400"]
    dom = subprocess.run([*flags, "--dump-dom", page.as_uri()], capture_output=True,
                         text=True, timeout=120).stdout
    widest = re.search(r'data-widest="(\d+)"', dom)
    assert widest and 'data-tables="3"' in dom, dom[-2000:]
    assert int(widest.group(1)) <= 900
    shot = tmp_path / "seed.png"
    subprocess.run([*flags, f"--screenshot={shot}", page.as_uri()], capture_output=True,
                   timeout=120, cwd=tmp_path)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
