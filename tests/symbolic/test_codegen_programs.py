"""adcalc codegen of programs (branches, and/or/not, repeat and for loops, functions): the
generated Python, NumPy and C give, at every point, what ``adcalc grad``/``jacobian``
give on the path taken there (to a few ulps), on both sides of every branch and on its
boundary; NumPy over all the points at once equals the generated Python bit for bit;
a domain error on a branch not taken is none; ``while`` is refused with what to do.
Also the 0*inf = 0 convention in the generated Hessian (a regression)."""

from __future__ import annotations

import ctypes
import math
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import adcalc
from adcalc.commands.codegen import codegen
from adcalc.errors import AdcalcError
from adcalc.frontend.parse import parse_program
from tests.symbolic.test_codegen import CLib, near, run_python

PROGRAMS = [
    ("if x > 0 then x^2 else -x", [{"x": 0.0}, {"x": -0.0}]),
    ("if x < 0 then -x else if x < 1 then x^2 else 2*x - 1", [{"x": 0.0}, {"x": 1.0}]),
    ("if x > 1 and not (y < 0 or y > 2) then x*y else 0",
     [{"x": 1.0, "y": 1.0}, {"x": 2.0, "y": 0.0}, {"x": 2.0, "y": 2.0}]),
    ("r = y - t; if abs(r) <= d then r^2/2 else d*(abs(r) - d/2)",
     [{"y": 2.0, "t": 1.0, "d": 1.0}]),
    ("s = 0; for i in 1..4 { s = s + (if x > i and y < 2 then x*i else log(y)) }; s",
     [{"x": 2.0, "y": 1.0}, {"x": 3.0, "y": 2.0}]),
    ("y = x; repeat 12 { y = if y > 1 then y/2 else y }; y", [{"x": 1.0}, {"x": 2.0}]),
    ("f(t) = if t > 0 then sqrt(t) else -t; f(x) + f(x - y)", [{"x": 0.0, "y": 0.0}]),
    ("if x > 0 then sqrt(x)*y else log(-x) + y", [{"x": 0.0, "y": 1.0}]),
    ("a = x; for i in 1..3 { a = if a > y then a - y*i else a*x }; a", [{"x": 1.0, "y": 1.0}]),
    ("if x == 0 then 1 else sin(x)/x", [{"x": 0.0}]),
    ("if x >= y or x*y > 1 then hypot(x, y) else exp(x - y)", [{"x": 1.0, "y": 1.0}]),
    # a branch inside one a constant condition never takes (a traceback of codegen's)
    ("a = if 1 > 0 then x*y else (if y <= 1 then x else y); if x > 0 then a else a + y",
     [{"x": 0.0, "y": 1.0}]),
    ("a = if 1 < 0 then (if y <= 1 then x else y) else x*y; if x > 0 then a else a + y",
     [{"x": 0.0, "y": 1.0}]),
]


def reference(text: str, at: dict, variables: list[str]) -> list[float] | None:
    """adcalc's value and gradient on the path taken at ``at`` (None: a math error)."""
    try:
        ref = adcalc.gradient(text, at, variables=variables)
    except AdcalcError:
        return None
    return [ref.value, *(ref.gradient[v] for v in variables)]


def random_points(variables: list[str], rng: random.Random, k: int) -> list[dict]:
    return [{v: rng.choice([rng.uniform(-3, 3), float(rng.randint(-3, 3))]) for v in variables}
            for _ in range(k)]


@pytest.mark.parametrize("text,boundary", PROGRAMS, ids=[p[0][:30] for p in PROGRAMS])
def test_programs_python_numpy_c(text: str, boundary: list[dict], tmp_path: Path) -> None:
    g = codegen(text, "python")
    variables = g.variables
    rng = random.Random(text)
    pts = [*boundary, *random_points(variables, rng, 40)]
    py = run_python(g.source)
    npy = run_python(codegen(text, "numpy").source)
    lib = CLib(codegen(text, "c").source, tmp_path, len(variables))
    sides = set()
    for at in pts:
        args = [at[v] for v in variables]
        expected = reference(text, at, variables)
        c_value, c_grad = lib.grad("f", *args)
        if expected is None:  # a math error on the path taken: Python raises, C gives NaN
            with pytest.raises(ValueError):
                py["f_grad"](*args)
            assert math.isnan(c_value) and all(math.isnan(d) for d in c_grad), (text, at)
            continue
        sides.add(tuple(d.outcome for d in parse_program(text).trace(at).decisions))
        v, gr = py["f_grad"](*args)
        assert all(near(a, b) for a, b in zip([v, *gr], expected, strict=True)), (text, at)
        assert near(py["f"](*args), expected[0]), (text, at)
        assert all(near(a, b) for a, b in zip([c_value, *c_grad], expected, strict=True)), (
            text, at)
        assert near(lib.value("f", *args), expected[0])
    assert len(sides) > 1, (text, sides)  # more than one path was tried
    # NumPy: every point at once, each element bit for bit the numbers of that point
    # alone (np.where picks, the side not taken changes nothing), adcalc's to a few ulps
    cols = [np.array([at[v] for at in pts]) for v in variables]
    v, gr = npy["f_grad"](*cols)
    for k, at in enumerate(pts):
        args = [at[x] for x in variables]
        got = [float(v[k]), *(float(d[k]) for d in gr)]
        alone = npy["f_grad"](*args)
        assert same(got, [float(alone[0]), *(float(d) for d in alone[1])]), (text, at)
        expected = reference(text, at, variables)
        if expected is None:
            assert all(math.isnan(a) for a in got), (text, at)
            continue
        assert all(near(a, b, 8) for a, b in zip(got, expected, strict=True)), (text, at)


def close(got: list[float], expected: list[float]) -> bool:
    """Within a few ulps, or within 1e-14 of the largest number in play: two iterations
    or branches that build the same subexpression share one node on adcalc's path, while
    the generated code builds it once in each (its adjoint summed in another order), so
    where a gradient cancels (1 + cos(x) near x = pi) the last digits differ."""
    scale = max(1.0, *(abs(x) for x in expected))
    return all(near(a, b, 8) or abs(a - b) <= 1e-14 * scale
               for a, b in zip(got, expected, strict=True))


def same(a: list[float], b: list[float]) -> bool:
    """Equal bit for bit (NaN equal to NaN)."""
    return all((x == y and math.copysign(1, x) == math.copysign(1, y))
               or (math.isnan(x) and math.isnan(y)) for x, y in zip(a, b, strict=True))


def test_boundary_follows_the_comparison_as_written() -> None:
    """x > 0 at x = 0 takes the else side, as adcalc grad does (∂f/∂x = -1)."""
    assert adcalc.gradient("if x > 0 then x^2 else -x", {"x": 0.0}).gradient["x"] == -1.0
    for lang in ("python", "numpy"):
        v, g = run_python(codegen("if x > 0 then x^2 else -x", lang).source)["f_grad"](0.0)
        assert float(g[0]) == -1.0 and float(v) == 0.0


def test_jacobian_of_a_program(tmp_path: Path) -> None:
    text = "[(if x > y then x else y), (if x*y > 1 then log(x*y) else x - y), x*y]"
    lib = CLib(codegen(text, "c").source, tmp_path, 2).lib
    py = run_python(codegen(text, "python").source)
    rng = random.Random(3)
    for at in [{"x": 1.0, "y": 1.0}, *random_points(["x", "y"], rng, 30)]:
        ref = adcalc.jacobian(text, at)
        values, rows = py["f_jacobian"](at["x"], at["y"])
        assert all(near(a, b) for a, b in zip(values, ref.outputs, strict=True))
        assert all(near(a, b) for ra, rb in zip(rows, ref.matrix, strict=True)
                   for a, b in zip(ra, rb, strict=True)), at
        cv, cj = (ctypes.c_double * 3)(), (ctypes.c_double * 6)()
        lib.f_jacobian(ctypes.c_double(at["x"]), ctypes.c_double(at["y"]), cv, cj)
        assert all(near(cj[2 * i + j], ref.matrix[i][j]) for i in range(3) for j in range(2))


def test_a_domain_error_on_the_branch_not_taken_is_none() -> None:
    text = "if x > 0 then log(x) else sqrt(-x)"
    py = run_python(codegen(text, "python").source)
    assert py["f_grad"](-4.0) == (2.0, [-0.25])
    v, g = run_python(codegen(text, "numpy").source)["f_grad"](np.array([-4.0, math.e]))
    assert list(v) == [2.0, 1.0] and list(g[0]) == [-0.25, 1 / math.e]


def test_while_is_refused_with_what_to_do(cli) -> None:
    r = cli("codegen", "y = x; while y > 1 { y = y/2 }; y", "--lang", "c")
    assert r.exit_code == 2
    assert "while y > 1" in r.output and "repeat" in r.output and "Traceback" not in r.output


def test_a_loop_count_an_if_picks_is_refused_with_what_to_do(cli) -> None:
    r = cli("codegen", "n = if x > 0 then 2 else 3; y = x; repeat n { y = y*x }; y")
    assert r.exit_code == 2 and "repeat n" in r.stderr and "constant bound" in r.stderr
    assert "\x00" not in r.stderr


def test_python_refuses_more_nested_ifs_than_it_can_parse() -> None:
    text = " else ".join(f"if x < {i} then x*{i}" for i in range(95)) + " else x"
    with pytest.raises(AdcalcError, match="nests 95 ifs"):
        codegen(text, "python")
    v, g = run_python(codegen(text, "numpy").source)["f_grad"](np.array([-1.0, 50.5]))
    assert list(g[0]) == [0.0, 51.0] and list(v) == [-0.0, 50.5 * 51]


def test_the_code_of_an_unrolled_loop_is_linear_in_its_iterations() -> None:
    sizes = [len(codegen(f"y = x; repeat {n} {{ y = if y > 1 then y/2 else y*x }}; y",
                         "c").source) for n in (50, 100, 200)]
    assert sizes[2] - sizes[1] == pytest.approx(2 * (sizes[1] - sizes[0]), rel=0.05)


def test_hessian_zero_times_infinite_partial_is_zero(tmp_path: Path) -> None:
    """0·log(0) in a Hessian's tangent sweep is 0, as adcalc's sweeps pass nothing on
    from a zero derivative (the generated C gave NaN, Python raised)."""
    text = ("pow(relu(atan2(stop_gradient(sign(1/7)), x)), pow(step(log2((e)^-1)), "
            "(x + x)))")
    ref = adcalc.hessian(text, {"x": 0.5})
    assert ref.matrix == [[0.0]] and ref.gradient == [0.0]
    value, grad, rows = run_python(codegen(text, "python", "hessian").source)["f_hessian"](0.5)
    assert (value, grad, rows) == (ref.value, [0.0], [[0.0]])
    v, g, h = run_python(codegen(text, "numpy", "hessian").source)["f_hessian"](0.5)
    assert (float(v), float(g[0]), float(h[0][0])) == (ref.value, 0.0, 0.0)
    lib = CLib(codegen(text, "c", "hessian").source, tmp_path, 1).lib
    lib.f_hessian.restype = ctypes.c_double
    cg, ch = (ctypes.c_double * 1)(), (ctypes.c_double * 1)()
    assert lib.f_hessian(ctypes.c_double(0.5), cg, ch) == ref.value
    assert (cg[0], ch[0]) == (0.0, 0.0)


# -- hypothesis: random programs ----------------------------------------------------------

_LEAVES = st.sampled_from(["x", "y", "x*y", "sin(x)", "exp(y)", "x - y", "2", "log(x*x + 1)",
                           "sqrt(abs(y))", "tanh(x + y)"])


@st.composite
def programs(draw: st.DrawFn) -> str:
    """A program: bindings, an if chain or a loop, over a few leaves."""
    def expr() -> str:
        a, b = draw(_LEAVES), draw(_LEAVES)
        op = draw(st.sampled_from(["+", "-", "*"]))
        return f"({a} {op} {b})"

    def cond() -> str:
        c = f"{expr()} {draw(st.sampled_from(['<', '<=', '>', '>=']))} {draw(_LEAVES)}"
        how = draw(st.sampled_from(["", "and", "or", "not"]))
        if how == "not":
            return f"not ({c})"
        return f"{c} {how} {expr()} > 0" if how else c

    kind = draw(st.sampled_from(["if", "chain", "loop", "for"]))
    if kind == "if":
        return f"if {cond()} then {expr()} else {expr()}"
    if kind == "chain":
        return f"a = {expr()}; if {cond()} then a*{expr()} else if {cond()} then a else {expr()}"
    if kind == "loop":
        n = draw(st.integers(1, 4))
        return f"a = x; repeat {n} {{ a = if a > y then a/2 else a + {expr()} }}; a"
    return (f"s = 0; for i in 1..{draw(st.integers(1, 3))} "
            f"{{ s = s + (if x > i then {expr()} else i*{expr()}) }}; s")


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=programs(), seed=st.integers(0, 10**6))
def test_random_programs_python_and_numpy(text: str, seed: int) -> None:
    rng = random.Random(seed)
    gen = codegen(text, "python")
    names = gen.variables
    py = run_python(gen.source)
    npy = run_python(codegen(text, "numpy").source)
    pts = random_points(names, rng, 8)
    v, g = npy["f_grad"](*(np.array([p[n] for p in pts]) for n in names))
    for k, at in enumerate(pts):
        args = [at[n] for n in names]
        expected = reference(text, at, names)
        if expected is None:
            continue
        try:
            got = py["f_grad"](*args)
        except ValueError:  # a partial adcalc settles by its 0*inf = 0 convention
            continue
        assert close([got[0], *got[1]], expected), (text, at)
        numpy_got = [float(v[k]), *(float(d[k]) for d in g)]
        alone = npy["f_grad"](*args)
        assert same(numpy_got, [float(alone[0]), *(float(d) for d in alone[1])]), (text, at)
        assert close(numpy_got, expected), (text, at)


def test_random_programs_c(tmp_path: Path) -> None:
    """A few random programs compiled in one go each (gcc costs most of the time)."""
    rng = random.Random(11)
    texts = ["a = x*y; if a > 1 and y < x then log(a) else if a < -1 then -a else a^2",
             "s = 0; for i in 1..3 { s = s + (if x > i then sin(x)*i else i*exp(y)) }; s",
             "a = x; repeat 4 { a = if a > y then a/2 else a + tanh(x + y) }; a",
             "if not (x > y or x*y > 2) then hypot(x, y) else atan2(y, x)"]
    for k, text in enumerate(texts):
        sub = tmp_path / str(k)
        sub.mkdir()
        lib = CLib(codegen(text, "c", variables=["x", "y"]).source, sub, 2)
        for at in random_points(["x", "y"], rng, 30):
            expected = reference(text, at, ["x", "y"])
            v, g = lib.grad("f", at["x"], at["y"])
            if expected is None:
                assert math.isnan(v)
                continue
            assert close([v, *g], expected), (text, at)


@pytest.mark.parametrize("text,boundary", PROGRAMS[:8], ids=[p[0][:30] for p in PROGRAMS[:8]])
def test_program_hessians_python_and_numpy(text: str, boundary: list[dict]) -> None:
    """Forward over reverse over the generated gradient: adcalc hessian's numbers on the
    path taken."""
    g = codegen(text, "python", "hessian")
    names = g.variables
    py = run_python(g.source)
    npy = run_python(codegen(text, "numpy", "hessian").source)
    for at in [*boundary, *random_points(names, random.Random(text), 25)]:
        args = [at[v] for v in names]
        try:
            ref = adcalc.hessian(text, at, variables=names)
        except AdcalcError:
            continue
        try:
            value, grad, rows = py["f_hessian"](*args)
        except ValueError:  # a partial adcalc settles by its 0*inf = 0 convention
            continue
        expected = [ref.value, *ref.gradient, *(x for row in ref.matrix for x in row)]
        got = [value, *grad, *(x for row in rows for x in row)]
        assert close(got, expected), (text, at, got, expected)
        v, gr, hs = npy["f_hessian"](*args)
        assert close([float(v), *map(float, gr), *(float(x) for r in hs for x in r)],
                     expected), (text, at)


def test_program_hessian_in_c(tmp_path: Path) -> None:
    text = "a = x*y; for i in 1..2 { a = if a > i then a*x - y else log(a*a + 1) }; a"
    lib = CLib(codegen(text, "c", "hessian").source, tmp_path, 2).lib
    lib.f_hessian.restype = ctypes.c_double
    for at in [{"x": 1.0, "y": 1.0}, *random_points(["x", "y"], random.Random(5), 30)]:
        ref = adcalc.hessian(text, at)
        grad, hess = (ctypes.c_double * 2)(), (ctypes.c_double * 4)()
        value = lib.f_hessian(ctypes.c_double(at["x"]), ctypes.c_double(at["y"]), grad, hess)
        expected = [ref.value, *ref.gradient, *(x for row in ref.matrix for x in row)]
        assert close([value, *grad, *hess], expected), (at, list(hess), ref.matrix)


def test_a_loop_past_the_bound_is_a_usage_error_with_advice_that_works(cli) -> None:
    r = cli("codegen", "y = x; repeat 100000000 { y = sin(y) }; y", "--lang", "c")
    assert r.exit_code == 2 and "unroll past 1,000,000 iterations" in r.stderr
    assert "max-steps" not in r.stderr  # codegen has no such option


def test_a_selects_comment_names_what_its_condition_compares() -> None:
    """Every select's comment said ``if x > …`` whatever it compared (an input of another
    name, an earlier select)."""
    assert "# if y > 1.0 then ... else ..." in codegen("if y > 1 then y else 2*y", "python").source
    looped = codegen("y = x; repeat 2 { y = if y > 1 then y/2 else y*x }; y", "python").source
    assert "# if x > 1.0 then" in looped and "# if v3 > 1.0 then" in looped
