"""Branches on traced values: comparisons of ``Var``s are bools from the current values,
each recorded as a decision; a traced function is traced again where one flips, and a
value of a branch no longer taken raises.  The oracle needs no JAX: the same program in
the expression language (``if … then … else``, ``while``), traced by adcalc's own tracer,
agrees bit for bit with the Python function written with ``if`` and ``while``."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import adcalc
import adcalc.math as am
from adcalc import TracingError, Var
from adcalc.frontend.tracing import new_recording, outputs_tape


@pytest.fixture(autouse=True)
def _fresh_tape():
    with new_recording():
        yield


def same(a: float, b: float) -> bool:
    """Equal in every bit (the sign of zero too)."""
    return a.hex() == b.hex()


def branch(x):
    return x**2 if x > 0 else -x


def ladder(x):
    if x < 0:
        return -x
    if x < 1:
        return x**2
    return 2 * x - 1


def two(x, y):
    if x > y and not y < 0:
        return x * y
    return am.sin(x) - y


def halve(x):
    y = x
    while y > 1:
        y = y / 2
    return y * x


def newton(x):
    y = x
    while abs(y * y - x) > 1e-12:
        y = (y + x / y) / 2
    return y


CASES = [
    (branch, "if x > 0 then x^2 else -x"),
    (ladder, "if x < 0 then -x else if x < 1 then x^2 else 2*x - 1"),
    (two, "if x > y and not y < 0 then x*y else sin(x) - y"),
    (halve, "y = x; while y > 1 { y = y/2 }; y*x"),
]
GRADS = {fn: adcalc.grad(fn) for fn, _ in CASES}  # kept across examples: the cache is used

numbers = st.one_of(st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, 2.0]),
                    st.floats(-50, 50, allow_nan=False, allow_subnormal=False))


@pytest.mark.parametrize(("fn", "text"), CASES, ids=[fn.__name__ for fn, _ in CASES])
@settings(max_examples=60, deadline=None)
@given(x=numbers, y=numbers)
def test_the_python_function_is_the_program_bit_for_bit(fn, text: str, x: float, y: float
                                                        ) -> None:
    names = ["x", "y"] if fn is two else ["x"]
    point = {"x": x, "y": y} if fn is two else {"x": x}
    want = adcalc.gradient(text, point)
    got = GRADS[fn](**point)  # a kept path, or traced again
    fresh = adcalc.trace(fn)(**point)
    fresh.backward()
    assert same(fresh.value, want.value)
    for n in names:
        assert same(got[n], want.gradient[n]), (n, got[n], want.gradient[n])
    assert [d.outcome for d in got.decisions] == [d.outcome for d in want.tape.decisions]
    assert [d.boundary for d in got.decisions] == [d.boundary for d in want.tape.decisions]
    assert len(got.warnings) == len(want.tape.warnings)


def test_a_function_runs_again_only_where_a_decision_flips() -> None:
    runs = []

    def f(x, y):
        runs.append(x)
        return x * y if x > y else x + y

    g = adcalc.grad(f)
    assert g(2.0, 1.0) == {"x": 1.0, "y": 2.0} and len(runs) == 1
    assert g(5.0, 3.0) == {"x": 3.0, "y": 5.0} and len(runs) == 1  # the same path
    assert g(1.0, 2.0) == {"x": 1.0, "y": 1.0} and len(runs) == 2  # x > y flips
    assert g(-4.0, 0.0) == {"x": 1.0, "y": 1.0} and len(runs) == 2
    assert g(3.0, 2.0) == {"x": 2.0, "y": 3.0} and len(runs) == 2  # both paths are kept
    h = adcalc.grad(lambda x: x * x.value)  # reads a number: traced at every call
    assert h(2.0) == {"x": 2.0} and h(3.0) == {"x": 3.0}


def test_a_loop_traces_again_when_its_trip_count_changes() -> None:
    runs = []

    def f(x):
        runs.append(x)
        return newton(x)

    g = adcalc.grad(f)
    for x in (2.0, 3.0, 1e6, 2.0):
        assert math.isclose(g(x)["x"], 0.5 / math.sqrt(x), rel_tol=1e-12)
    assert len(runs) == 2  # 3.0 takes as many iterations as 2.0, 1e6 more


def test_a_domain_error_on_a_kept_path_traces_again() -> None:
    g = adcalc.grad(lambda x: am.sqrt(x) if x > 0 else -x)
    assert g(4.0) == {"x": 0.25} and g(-1.0) == {"x": -1.0}


def test_decisions_are_recorded_with_the_line() -> None:
    x, y = Var("x", 1.0), Var("y", 2.0)
    assert (x < y) is True and (2 < x) is False and (x >= 1) is True  # noqa: SIM300
    d = x.rec.tape.decisions
    assert [(e.op, e.outcome, e.boundary) for e in d] == [
        ("<", True, False), (">", False, False), (">=", True, True)]
    assert d[0].label == f"{Path(__file__).name}:{d[0].at}: x < y"
    assert d[0].comparison == "x < y" and d[1].comparison == "2 < x"
    assert x.rec.tape.is_const(d[1].right)  # a number side is a literal node


def test_a_stale_branch_raises_and_a_standing_one_does_not() -> None:
    x = Var("x", 1.0)
    y = x * x if x > 0 else -x
    x.value = 2.0
    assert y.value == 4.0  # x > 0 still holds
    z = y + 1  # made now: its decisions come with it
    x.value = -1.0
    w = x * 3  # made before any decision of this epoch: never stale
    for read in (lambda: y.value, lambda: z.value, lambda: y + 1, y.backward,
                 lambda: adcalc.show(z)):
        with pytest.raises(TracingError, match=r"the branch taken at test_var_branches.py:\d+: "
                                               r"x > 0 has changed: it came out True") as err:
            read()
        assert "run the code that computes it again" in str(err.value)
    assert repr(y) == "Var(value=stale)"
    y = x * x if x > 0 else -x  # computed again: the other branch
    assert y.value == 1.0 and x.value == -1.0
    x.value = 5.0
    assert w.value == 15.0
    with pytest.raises(TracingError, match="came out False"):
        _ = y.value


def test_a_while_loop_over_vars() -> None:
    x = Var("x", 10.0)
    y = x
    while y > 1:
        y = y / 2
    y.backward()
    assert y.value == 0.625 and x.grad == 1 / 16
    assert [d.outcome for d in x.rec.tape.decisions] == [True] * 4 + [False]
    assert [d.where for d in x.rec.tape.decisions] == ["", *(f"evaluation {k}"
                                                              for k in range(2, 6))]


def test_a_boundary_is_warned_of_by_show_and_grad(capsys) -> None:
    x = Var("x", 0.0)
    f = branch(x)
    adcalc.show(f)
    out = capsys.readouterr()
    line = branch.__code__.co_firstlineno + 1
    assert (f"warning: test_var_branches.py:{line}: x > 0: the point is on the boundary of x > 0 "
            "(both sides are 0.0); the derivative is that of the path taken (x > 0 came out "
            "False)") in out.err
    assert "Path taken at this point" in out.out and f"py:{line}: x > 0" in out.out
    tape = outputs_tape([f])
    assert [d.boundary for d in tape.decisions] == [True] and tape.warnings
    g = adcalc.grad(branch)(0.0)
    assert g == {"x": -1.0} and g.warnings == tape.warnings
    assert adcalc.gradient("if x > 0 then x^2 else -x", {"x": 0.0}).tape.warnings[0].endswith(
        g.warnings[0].split(": the point", 1)[1])


def test_membership_compares_values_and_hashing_is_by_identity() -> None:
    x, y, z = Var("x", 1.0), Var("y", 2.0), Var("z", 1.0)
    assert x in [y, z]  # x == z: their values are equal now (a recorded decision)
    assert x not in {y, z} and len({x: 1, z: 2}) == 2
    assert max(x, y) is y and sorted([y, x, z], key=lambda v: v.value)[0] is x


MODEL = '''
import adcalc.math as am

def f(x, y):
    if x > y:
        return x * y
    return am.sin(x) - y

def newton(x):
    y = x
    while abs(y * y - x) > 1e-12:
        y = (y + x / y) / 2
    return y
'''


def test_python_file_with_if_on_the_command_line(cli, tmp_path: Path) -> None:
    path = tmp_path / "br.py"
    path.write_text(MODEL)
    text = "if x > y then x*y else sin(x) - y"
    for at in ("x=2,y=1", "x=1,y=2", "x=1,y=1"):
        got = cli("grad", "--python", f"{path}:f", "--at", at, "-q")
        want = cli("grad", text, "--at", at, "-q")
        assert got.exit_code == 0 and got.stdout == want.stdout, got.stderr
        assert ("boundary" in got.stderr) == ("boundary" in want.stderr) == (at == "x=1,y=1")
    r = cli("grad", "--python", f"{path}:f", "--at", "x=2,y=1", "--check", "-q")
    assert r.exit_code == 0 and "pass" in r.stdout
    r = cli("grad", "--python", f"{path}:f", "--at", "x=1,y=1", "--check", "-q")
    assert "branch boundary (br.py:5: x > y" in r.stdout + r.stderr
    r = cli("graph", "--python", f"{path}:f", "--at", "x=2,y=1", "--format", "dot")
    assert r.exit_code == 0 and "x*y" in r.stdout
    r = cli("grad", "--python", f"{path}:newton", "--at", "x=2", "-q")
    assert r.stdout == f"∂f/∂x = {adcalc.grad(newton)(2.0)['x']!r}\n"
    r = cli("graph", "--python", f"{path}:f")
    assert r.exit_code == 2 and "give --at with x, y" in r.stderr


def test_micrograd_training_loop_with_a_python_relu() -> None:
    """A small network trained as micrograd trains one, relu written as a branch: the same
    weights as with adcalc's relu, step by step, though decisions flip as it learns."""
    data = [(-2.0, 1.0), (-1.0, 0.2), (0.5, 0.1), (1.5, 1.4), (3.0, 2.9)]

    def relu_branch(v):
        return v if v > 0 else 0 * v

    def train(relu, steps=40):
        with new_recording() as rec:
            w = [Var(f"w{i}", v) for i, v in enumerate([0.3, -0.2, -0.5, 0.1, 0.8, -0.4,
                                                        0.2])]
            losses = []
            for _ in range(steps):
                h1, h2 = relu(w[0] * 1.0 + w[1]), relu(w[2] * 1.0 + w[3])
                loss = 0
                for x, y in data:
                    h1, h2 = relu(w[0] * x + w[1]), relu(w[2] * x + w[3])
                    loss = loss + (w[4] * h1 + w[5] * h2 + w[6] - y) ** 2
                for p in w:
                    p.zero_grad()
                loss.backward()
                losses.append(loss.value)
                for p in w:
                    p.value = p.value - 0.02 * p.grad
            return [p.value for p in w], losses, rec.tape.decisions

    mine, losses, decisions = train(relu_branch)
    theirs, their_losses, _ = train(am.relu)
    assert mine == theirs and losses == their_losses
    assert losses[-1] < losses[0] / 3
    flipped = {(d.left, d.op, d.right) for d in decisions if d.outcome} & {
        (d.left, d.op, d.right) for d in decisions if not d.outcome}
    assert flipped  # some unit changed sides while learning
