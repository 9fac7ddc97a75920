"""Python code in, the same traces out: Var, the functions, trace, grad(f), show, --python."""

from __future__ import annotations

import math
import random
import re
from pathlib import Path

import numpy as np
import pytest

import adcalc
import adcalc.math as am
from adcalc import TracingError, Var
from adcalc.engine.check import central_difference
from adcalc.frontend.parse import parse
from adcalc.frontend.tracing import new_recording, outputs_tape

SEED = "log((x1+x2)^2 + sin(x1*x2))"


@pytest.fixture(autouse=True)
def _fresh_tape():
    with new_recording():
        yield


def test_micrograd_sanity_check() -> None:
    """micrograd's test_engine.py (its reference numbers are PyTorch's)."""
    x = Var(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    assert y.value == -20.0 and x.grad == 46.0


def test_micrograd_more_ops() -> None:
    a, b = Var(-4.0), Var(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    assert abs(g.value - 24.70408163265306) < 1e-12
    assert abs(a.grad - 138.83381924198252) < 1e-9
    assert abs(b.grad - 645.5772594752186) < 1e-9


def test_the_same_tape_and_numbers_as_the_string_front_end() -> None:
    x1, x2 = Var("x1", 1.0), Var("x2", 0.5)
    f = am.log((x1 + x2) ** 2 + am.sin(x1 * x2))
    f.backward()
    want = adcalc.gradient(SEED, {"x1": 1.0, "x2": 0.5})
    assert (x1.grad, x2.grad) == (want.gradient["x1"], want.gradient["x2"])
    assert f.value == want.value
    traced, parsed = outputs_tape([f]), parse(SEED)
    assert (traced.ops, traced.a0, traced.a1, traced.consts) == (
        parsed.ops, parsed.a0, parsed.a1, parsed.consts)


@pytest.mark.parametrize("seed", range(20))
def test_random_formulas_agree_with_the_string_front_end(seed: int) -> None:
    rng = random.Random(seed)
    names = ["sin", "cos", "tanh", "exp", "atan", "sigmoid", "softplus"]
    text, var = "x", None
    x = Var("x", rng.uniform(-1, 1))
    y = Var("y", rng.uniform(-1, 1))
    var, text = x, "x"
    for _ in range(8):
        f = rng.choice(names)
        if rng.random() < 0.5:
            var, text = getattr(am, f)(var * y + 0.5), f"{f}(({text})*y + 0.5)"
        else:
            var, text = getattr(am, f)(var) - y**2, f"{f}({text}) - y^2"
    var.backward()
    want = adcalc.gradient(text, {"x": x.value, "y": y.value})
    assert var.value == want.value
    assert (x.grad, y.grad) == (want.gradient["x"], want.gradient["y"])


def test_an_xor_mlp_checked_against_finite_differences() -> None:
    rng = random.Random(3)
    w = [[Var(f"w{i}{j}", rng.uniform(-1, 1)) for j in range(2)] for i in range(2)]
    b = [Var(f"b{i}", rng.uniform(-1, 1)) for i in range(2)]
    v = [Var(f"v{i}", rng.uniform(-1, 1)) for i in range(2)]
    c = Var("c", 0.1)
    loss = 0.0
    for (p, q), target in [((0, 0), 0), ((0, 1), 1), ((1, 0), 1), ((1, 1), 0)]:
        hidden = [am.tanh(w[i][0] * p + w[i][1] * q + b[i]) for i in range(2)]
        out = am.sigmoid(v[0] * hidden[0] + v[1] * hidden[1] + c)
        loss = loss + (out - target) ** 2
    loss.backward()
    tape = outputs_tape([loss])
    point = {n: loss.rec.inputs[n] for n in tape.variables}
    for name in tape.variables:
        node = loss.rec.tape.var_node[name]
        fd, _ = central_difference(tape, point, name)
        assert math.isclose(loss.rec.grads[node], fd, rel_tol=1e-7, abs_tol=1e-9), name


def test_backward_accumulates_and_zero_grad_resets() -> None:
    x = Var("x", 3.0)
    y = x * x
    y.backward()
    y.backward()
    assert x.grad == 12.0  # as PyTorch and micrograd: added, not overwritten
    x.grad = 0
    y.backward()
    assert x.grad == 6.0
    x.zero_grad()
    assert x.grad == 0.0


def test_values_follow_their_inputs_and_the_tape_does_not_grow() -> None:
    w = Var("w", 1.0)
    for step in range(50):  # a training loop: the same expression every step
        loss = (w - 3.0) ** 2
        w.grad = 0
        loss.backward()
        w.value = w.value - 0.1 * w.grad
        if step == 0:
            size = len(w.rec.tape)
    assert len(w.rec.tape) == size
    assert abs(w.value - 3.0) < 1e-4


def test_a_long_loop_without_recursion() -> None:
    x = Var("x", 0.5)
    y = x
    for _ in range(100_000):
        y = y * 1.0000001 + 0.001
    y.backward()
    assert math.isclose(x.grad, 1.0000001**100_000, rel_tol=1e-9)


def test_branches_are_decisions_and_floats_are_refused_clearly() -> None:
    x = Var("x", 1.0)
    assert (x > 0) is True and bool(x) is True and bool(x - 1) is False
    assert [(d.op, d.outcome) for d in x.rec.tape.decisions] == [
        (">", True), ("!=", True), ("!=", False)]
    assert x.rec.tape.decisions[0].label.endswith(": x > 0")
    assert float(x) == 1.0  # outside a traced function: the value

    def cut(x):
        return math.sin(x)

    with pytest.raises(TracingError, match="cuts its derivative"):
        adcalc.trace(cut)(x=1.0)
    other = adcalc.trace(lambda x: x * 2)(x=1.0)
    with pytest.raises(TracingError, match="different tapes"):
        _ = x + other


def test_whole_numbers_of_a_var_are_its_values_outside_and_refused_inside() -> None:
    """int(), round() and math's floor, ceil and trunc of a Var: outside a traced function
    those of its value (as float() is); inside one a TracingError naming the call (the
    whole number cuts the derivative), not Python's plain TypeError."""
    x = Var("x", 2.6)
    assert (int(x), round(x), round(x, 1), math.floor(x), math.ceil(x), math.trunc(x)) == (
        2, 3, 2.6, 2, 3, 2)
    for f, name in ((int, "int"), (round, "round"), (math.floor, "math.floor"),
                    (math.ceil, "math.ceil"), (math.trunc, "math.trunc")):
        with pytest.raises(TracingError, match=rf"^{re.escape(name)}\(\) of a traced value .* "
                                               "cuts its derivative"):
            adcalc.grad(_times_itself(f))(x=1.3)


def _times_itself(f):  # (a closure: a default argument would be an input of the function)
    return lambda x: f(x) * x


def test_functions_work_on_numbers_and_lists() -> None:
    assert adcalc.sin(0.5) == math.sin(0.5)
    assert am.max(1, 3, 2) == 3.0 and am.log(8, 2) == 3.0 and am.ln(math.e) == 1.0
    assert am.softmax([1.0, 1.0]) == [0.5, 0.5]
    a, b = Var("a", 1000.0), Var("b", 1000.0)
    lse = am.logsumexp([a, b])
    lse.backward()
    assert (a.grad, b.grad) == (0.5, 0.5)


def test_numpy_dispatches_to_the_tape() -> None:
    x, y = Var("x", 0.5), Var("y", 2.0)
    s = np.sin(x)
    assert isinstance(s, Var) and s.value == math.sin(0.5)
    arr = np.array([x, y], dtype=object)
    total = np.sum(np.exp(arr) * 2 + arr)
    total.backward()
    assert math.isclose(x.grad, 2 * math.exp(0.5) + 1) and math.isclose(y.grad,
                                                                         2 * math.exp(2) + 1)


def test_grad_of_a_function_like_jax() -> None:
    def f(x, y):
        return am.exp(x * y) + x**2

    g = adcalc.grad(f)(1.0, y=2.0)
    assert g == {"x": 2 * math.exp(2.0) + 2.0, "y": math.exp(2.0)}


def test_show_prints_the_cli_s_tables(cli, capsys) -> None:
    x1, x2 = Var("x1", 1.0), Var("x2", 0.5)
    adcalc.show(am.log((x1 + x2) ** 2 + am.sin(x1 * x2)))
    shown = capsys.readouterr().out
    printed = cli("grad", SEED, "--at", "x1=1,x2=0.5", "--format", "plain").stdout
    assert shown.split("Primal trace")[1] == printed.split("Primal trace")[1]


MODEL = '''
import math
import adcalc.math as am

def loss(w, b):
    total = 0.0
    for x, y in [(1.0, 1.0), (-1.0, 0.0), (2.0, 1.0)]:
        z = w * x + b
        total = total + am.softplus(z) - y * z
    return total / 3

def cut(x):
    return math.sin(x)

def branchy(x):
    if x > 0:
        return x
    return -x

def pair(x, y):
    return [x * y, x + y]
'''


@pytest.fixture
def model(tmp_path: Path) -> str:
    path = tmp_path / "model.py"
    path.write_text(MODEL)
    return str(path)


def test_python_on_the_command_line(cli, model: str) -> None:
    r = cli("grad", "--python", f"{model}:loss", "--at", "w=0.5,b=0.1", "-q", "--check")
    assert r.exit_code == 0 and "pass" in r.stdout
    text = ("(softplus(w + b) - (w + b) + softplus(-w + b) - 0 + softplus(w*2 + b) - (w*2 + b))"
            "/3")  # - 0: Python computed 0.0*z there, which the tape keeps (it can be -0)
    want = adcalc.gradient(text, {"w": 0.5, "b": 0.1}).gradient
    assert r.stdout.splitlines()[:2] == [f"∂f/∂w = {want['w']!r}", f"∂f/∂b = {want['b']!r}"]
    r = cli("grad", "--python", f"{model}:loss", "--at", "w=0.5,b=0.1", "--format", "plain")
    assert r.stdout.startswith(f"f(w, b) = {text}\n")
    r = cli("graph", "--python", f"{model}:pair", "--at", "x=1,y=2", "--of", "2",
            "--format", "dot")
    assert r.exit_code == 0 and "∂f2/∂v" in r.stdout
    r = cli("grad", "--python", f"{model}:loss", "--points", "-", input="w,b\n0.5,0.1\n")
    assert r.stdout.splitlines()[1].endswith(f",{want['w']!r},{want['b']!r}")


@pytest.mark.parametrize(("target", "message"), [
    ("cut", "line 13, in cut (return math.sin(x)): float() of a traced value"),
    ("nope", "has no function nope; it defines branchy, cut, loss, pair"),
    ("", "--python takes FILE:FUNCTION"),
])
def test_python_errors_name_the_line(cli, model: str, target: str, message: str) -> None:
    r = cli("grad", "--python", f"{model}:{target}", "--at", "x=1")
    assert r.exit_code == 2 and message in r.stderr, r.stderr


def test_python_with_a_branch_takes_the_path_of_the_point(cli, model: str) -> None:
    for x, want in (("2", "1.0"), ("-3", "-1.0")):
        r = cli("grad", "--python", f"{model}:branchy", "--at", f"x={x}", "-q")
        assert r.exit_code == 0 and r.stdout == f"∂f/∂x = {want}\n", r.stderr
    r = cli("grad", "--python", f"{model}:branchy", "--at", "x=0", "--format", "json")
    assert '"label": "model.py:16: x > 0"' in r.stdout and '"boundary": true' in r.stdout
    assert "warning: model.py:16: x > 0: the point is on the boundary of x > 0" in r.stderr
    r = cli("grad", "--python", f"{model}:branchy", "--points", "-", input="x\n2\n-3\n")
    assert r.exit_code == 0 and r.stdout.splitlines()[1:] == ["2,2.0,1.0", "-3,3.0,-1.0"], (
        r.stderr)  # each row on its own path
    r = cli("graph", "--python", f"{model}:branchy")
    assert r.exit_code == 2 and "branches on its parameters (model.py:16: x > 0)" in r.stderr


def test_python_and_an_expression_do_not_go_together(cli, model: str, tmp_path: Path) -> None:
    r = cli("grad", "x", "--python", f"{model}:loss", "--at", "x=1")
    assert r.exit_code == 2 and "not both" in r.stderr
    broken = tmp_path / "broken.py"
    broken.write_text("def f(x):\n    return x +\n")
    r = cli("grad", "--python", f"{broken}:f", "--at", "x=1")
    assert r.exit_code == 2 and "running" in r.stderr and "failed" in r.stderr
