"""adcalc graph: DOT that parses, one node per row and one edge per argument, images."""

from __future__ import annotations

import html
import os
import shutil

import pydot
import pytest

from adcalc.engine.graph import build_graph
from adcalc.engine.primitives import CONST
from adcalc.frontend.parse import parse
from adcalc.render.dot import quote

SEED = "log((x1+x2)^2 + sin(x1*x2))"
AT = "x1=1,x2=0.5"


def parsed(dot_text: str) -> pydot.Dot:
    graphs = pydot.graph_from_dot_data(dot_text)
    assert graphs and len(graphs) == 1
    return graphs[0]


def tape_nodes(g: pydot.Dot) -> list[pydot.Node]:
    return [n for n in g.get_nodes() if n.get_name().startswith("n")
            and n.get_name()[1:].isdigit()]


@pytest.mark.parametrize("expression", [SEED, "sin(x*y) + x*y", "x^2 + 2*x + 1",
                                        "a = x + y; [a*x, a^2, exp(a)]"])
def test_dot_has_one_node_per_row_and_one_edge_per_argument(cli, expression: str) -> None:
    r = cli("graph", expression, "--format", "dot")
    assert r.exit_code == 0
    g = parsed(r.stdout)
    tape = parse(expression)
    rows = [i for i, op in enumerate(tape.ops) if op != CONST]
    arguments = sum(1 for i, op in enumerate(tape.ops) if op >= 0
                    for a in (tape.a0[i], tape.a1[i]) if a >= 0 and tape.ops[a] != CONST)
    assert len(tape_nodes(g)) == len(rows)
    assert len(g.get_edges()) == arguments


def test_shared_subexpression_appears_once_with_several_out_edges(cli) -> None:
    g = parsed(cli("graph", "sin(x*y) + x*y", "--format", "dot").stdout)
    tape = parse("sin(x*y) + x*y")
    xy = f"n{tape.a1[tape.output]}"
    assert sum(1 for e in g.get_edges() if e.get_source() == xy) == 2


def test_values_adjoints_and_partials_at_a_point(cli) -> None:
    g = parsed(cli("graph", SEED, "--at", AT, "--format", "dot").stdout)
    labels = {n.get_name(): n.get_label().strip('"') for n in tape_nodes(g)}
    assert "v6 = log(v5)\\nvalue 1.00409\\nv̄ = 1" in labels.values()
    assert "v-1 = x1\\nvalue 1\\nv̄ = 1.2599" in labels.values()
    edge_labels = {(e.get_label() or "").strip('"') for e in g.get_edges()}
    assert {"∂ = 2·v1 = 3", "∂ = cos(v3) = 0.877583", "∂ = 1/v5 = 0.366377"} <= edge_labels


def test_forward_mode_shows_tangents(cli) -> None:
    r = cli("graph", SEED, "--at", AT, "--mode", "forward", "--seed", "x1=1", "--format", "dot")
    assert "v̇ = 1.2599" in r.stdout and "v̄" not in r.stdout.split("legend")[0]


@pytest.mark.parametrize("text", ['a "quoted" label', "back\\slash", "two\nlines", "ünï ∂ v̄",
                                  "semi; {braces} [brackets] -> arrow"])
def test_any_label_is_valid_dot(text: str) -> None:
    dot = f"digraph g {{ a [label={quote(text)}]; }}"
    node = parsed(dot).get_node("a")[0]
    assert node.get_label() == quote(text)


def test_terminal_view_plain(cli) -> None:
    r = cli("graph", SEED, "--at", AT)
    assert r.exit_code == 0
    lines = [line.split() for line in r.stdout.splitlines()]
    assert ["0", "v-1", "x1", "1", "1.2599", "v1", "(∂", "1),", "v3", "(∂", "0.5)"] in lines
    assert ["4", "v6", "log(v5)", "1.00409", "1", "(result)"] in lines
    assert "reverse mode, adjoints v̄ = ∂f/∂v" in r.stdout


def test_large_graphs_collapse_chains_and_say_what_they_left_out(cli) -> None:
    deep = "sin(" * 300 + "x*y" + ")" * 300 + " + x"
    r = cli("graph", deep, "--at", "x=0.5,y=1")
    assert "mul → sin×300" in r.stdout
    assert "1 chain of single-use steps collapsed into one node each (304 rows shown as 4" \
        in r.stdout
    wide = " + ".join(f"sin({k}*x*y)" for k in range(1, 120))
    g = parsed(cli("graph", wide, "--max-nodes", "30", "--format", "dot").stdout)
    assert len(tape_nodes(g)) <= 30
    assert g.get_node("omitted")
    assert "left out" in cli("graph", wide, "--max-nodes", "30").stdout


def test_graph_record_is_linear_and_needs_no_recursion() -> None:
    tape = parse("sin(" * 50_000 + "x" + ")" * 50_000)
    graph = build_graph(tape, ["x"], max_nodes=200)
    assert graph.rows == 50_001 and len(graph.nodes) == 2


needs_dot = pytest.mark.skipif(shutil.which("dot") is None and not os.environ.get("CI"),
                               reason="Graphviz's dot is not installed")


@needs_dot
@pytest.mark.parametrize("fmt", ["svg", "png", "pdf"])
def test_images_through_graphviz(cli, tmp_path, fmt: str) -> None:
    out = tmp_path / f"graph.{fmt}"
    r = cli("graph", SEED, "--at", AT, "-o", str(out))
    assert r.exit_code == 0, r.stderr
    data = out.read_bytes()
    magic = {"svg": b"<?xml", "png": b"\x89PNG", "pdf": b"%PDF"}[fmt]
    assert data.startswith(magic)
    if fmt == "svg":
        text = html.unescape(data.decode())
        for label in ["v-1 = x1", "v0 = x2", "v1 = v-1 + v0", "v2 = v1^2", "v3 = v-1·v0",
                      "v4 = sin(v3)", "v5 = v2 + v4", "v6 = log(v5)"]:
            assert label in text


def test_missing_graphviz_says_what_to_install(cli, monkeypatch: pytest.MonkeyPatch,
                                               tmp_path) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    r = cli("graph", SEED, "-o", str(tmp_path / "g.svg"))
    assert r.exit_code == 1
    assert "apt-get install graphviz" in r.stderr and "--format dot" in r.stderr


def test_graph_usage_errors(cli) -> None:
    r = cli("graph", SEED, "-o", "graph.jpeg")
    assert r.exit_code == 2 and "cannot tell the format" in r.stderr
    r = cli("graph", SEED, "--at", "x1=1")
    assert r.exit_code == 2 and "no value for x2" in r.stderr
    r = cli("graph", SEED, "--at", AT, "--mode", "reverse", "--seed", "x1=1")
    assert r.exit_code == 2


def test_a_programs_graph_shows_the_path_it_took(cli) -> None:
    """A traced program's graph says which way each decision went, in text and DOT."""
    text = cli("graph", "if x > 0 then x^2 else -x", "--at", "x=-2")
    assert text.exit_code == 0
    assert "Path taken at this point" in text.stdout and "false" in text.stdout
    dot = cli("graph", "y = x; while y > 1 { y = y/2 }; y", "--at", "x=5", "--format", "dot")
    assert dot.exit_code == 0 and "shape=note" in dot.stdout
    assert "while y > 1: 3 iterations" in dot.stdout
    plain = cli("graph", "x^2", "--at", "x=2", "--format", "dot")
    assert "shape=note" not in plain.stdout


def test_a_loop_s_nodes_carry_their_iteration_as_in_the_traces(cli) -> None:
    """graph labels a traced loop's nodes as grad's traces do: ``v3 (y, iteration 1)``,
    in the text table and in DOT."""
    program = "y = x; repeat 2 { y = (y + x/y)/2 }; y"
    text = cli("graph", program, "--at", "x=2", "--format", "text").output
    grad = cli("grad", program, "--at", "x=2").output
    for label in ("v3 (y, iteration 1)", "v6 (y, iteration 2)", "v4 (iteration 2)"):
        assert label in text and label in grad, label
    dot = cli("graph", program, "--at", "x=2", "--format", "dot").output
    assert "iteration 2" in dot
