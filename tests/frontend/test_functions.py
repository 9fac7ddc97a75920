"""Functions a program defines, and indexed names: the tutorials' exercises as written."""

from __future__ import annotations

import json
import math

import pytest

from adcalc import gradient
from adcalc.commands.diff import diff
from adcalc.errors import ParseError
from adcalc.frontend.parse import parse
from adcalc.symbolic.formula import program

NET = "neuron(w, b, x) = tanh(w*x + b)\nneuron(w1, b1, x) + 2*neuron(w2, b2, x)"
UNROLLED = "tanh(w1*x + b1) + 2*tanh(w2*x + b2)"
POINT = {"w1": 0.5, "b1": 0.1, "w2": -0.3, "b2": 0.2, "x": 1.5}


def test_a_function_is_its_body_with_the_arguments_in_place() -> None:
    g, want = gradient(NET, POINT), gradient(UNROLLED, POINT)
    assert g.value == want.value and g.gradient == want.gradient
    # against the closed form: d/dw1 tanh(w1*x + b1) = x*(1 - tanh²)
    t1 = math.tanh(0.5 * 1.5 + 0.1)
    assert g.gradient["w1"] == pytest.approx(1.5 * (1 - t1**2), rel=1e-15)
    assert list(parse(NET).variables) == ["w1", "b1", "x", "w2", "b2"]  # w, b: parameters


def test_the_trace_shows_each_call() -> None:
    tape = parse(NET)
    assert sorted(tape.names.values()) == ["neuron(w1, b1, x)", "neuron(w2, b2, x)"]


def test_every_command_takes_them(cli) -> None:
    r = cli("diff", "sq(t) = t^2 + 1; sq(x)*sq(y)")
    assert r.exit_code == 0 and "∂f/∂x = 2*x*(y^2 + 1)" in r.stdout
    r = cli("jacobian", "f(a, c) = [a*c, a + c]; f(x, y)", "--at", "x=2,y=3", "-q")
    assert r.exit_code == 0
    r = cli("graph", NET)
    assert r.exit_code == 0 and "neuron(w1, b1, x)" in r.stdout
    text = "p(t) = t^2; p(x)\n"
    r = cli("grad", text, "--points", "-", input="x\n1\n2\n")
    assert r.stdout.splitlines()[1:] == ["1,1.0,2.0", "2,4.0,4.0"]


@pytest.mark.parametrize(("text", "message"), [
    ("f(x) = f(x) + 1; f(2)", "is defined below (or calls itself)"),
    ("f(x) = g(x); g(y) = y; f(z)", "g is defined below"),
    ("f(x, y) = x*y; f(z)", "f takes 2 arguments (x, y), got 1"),
    ("sin(x) = x; sin(z)", "sin is a built-in function"),
    ("f(x) = x; f(x) = 2*x; f(z)", "f is defined twice"),
    ("f(x, x) = x; f(z, z)", "f names a parameter twice"),
    ("f(x + 1) = x; f(z)", "parameters must be names"),
    ("f(pi) = 2; f(z)", "pi is a built-in name"),
    ("a = 2; f(a) = a^2; f(z)", "a is defined above"),
    ("nueron(x) = x^2; neuron(z)", "did you mean nueron?"),
    ("f(x) = x; f([y, z])", "must be numbers, not vectors"),
    ("f(x) = x; f = 3; f", "f is a function defined above"),
])
def test_mistakes_get_the_fix(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse(text)


def test_many_calls_share_the_tape() -> None:
    calls = " + ".join(f"sq(x{i % 50})" for i in range(2000))
    tape = parse(f"sq(t) = sin(t)^2\n{calls}")
    # 50 distinct calls (hash-consing), each two nodes, plus the sums and the inputs
    assert sum(1 for op in tape.ops if op >= 0) < 50 * 2 + 2000 + 10


def test_indexed_names_everywhere(cli) -> None:
    text = "w[1]*x[2] + w[2]^2"
    r = cli("grad", text, "--at", "w[1]=0.5,x[2]=2,w[2]=3", "-q")
    assert r.stdout == "∂f/∂w[1] = 2.0\n∂f/∂x[2] = 0.5\n∂f/∂w[2] = 6.0\n"
    r = cli("grad", text, "--points", "-", input="w[1],x[2],w[2]\n0.5,2,3\n")
    assert r.stdout.splitlines() == ["w[1],x[2],w[2],f,df/dw[1],df/dx[2],df/dw[2]",
                                     "0.5,2,3,10.0,2.0,0.5,6.0"]
    data = json.loads(cli("grad", text, "--at", "w[1]=0.5,x[2]=2,w[2]=3", "--format",
                          "json").stdout)
    assert data["gradient"] == {"w[1]": 2.0, "x[2]": 0.5, "w[2]": 6.0}
    r = cli("diff", "w[1]*x[2]^2", "--format", "latex")
    assert "\\partial w_{1}" in r.stdout and "2 w_{1} x_{2}" in r.stdout
    # a binding may be indexed too, and a printed derivative reads back
    d = diff("w[1] = 2*x; w[1]^2 + x[1]")
    again = parse(program(d.tape, 0))
    assert set(again.variables) == {"x"}


def test_a_space_keeps_a_name_and_a_vector_apart() -> None:
    with pytest.raises(ParseError):
        parse("w [1]")  # w, then the vector [1]: nothing joins them
    assert parse("[w[1], w[2]]").variables == ["w[1]", "w[2]"]


def test_the_language_guide_shows_the_real_trace(cli, monkeypatch) -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(root)
    guide = (root / "docs" / "language.md").read_text()
    block = guide.split("$ adcalc grad @examples/neurons.ad", 3)[2]
    shown = block.split("# (the primal trace)\n", 1)[1].split("\n```", 1)[0]
    r = cli("grad", "@examples/neurons.ad", "--at", "w[1]=0.5,b[1]=0.1,w[2]=-0.3,b[2]=0.2,x=1.5")
    assert r.stdout.startswith(shown + "\n")


def test_a_function_named_without_a_call_says_so(cli) -> None:
    r = cli("grad", "sq(t) = t^2\nsq(x) + sq", "--at", "x=2")
    assert r.exit_code == 2
    assert "sq is a function of this program (sq(t) = …): call it as sq(...)" in r.stderr


def test_the_trace_shows_each_node_as_it_is(cli) -> None:
    """x*0 is a step of its own (it is -0 for x < 0): shown as v-1·0, not as 0."""
    out = cli("grad", "x*0 + y", "--at", "x=-1,y=2", "--format", "plain").stdout
    assert "  v1    v-1·0       -0.0" in out
