"""adcalc codegen: the generated Python, NumPy and C run (C compiled with the system gcc,
loaded through ctypes) and give adcalc's own numbers, to a few ulps, over every primitive
of the table, at kinks, outside domains, for vector functions and Hessians, and on random
expressions."""

from __future__ import annotations

import ctypes
import math
import random
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import adcalc
from adcalc.commands.codegen import codegen
from adcalc.engine.primitives import PRIMITIVES
from adcalc.engine.tape import Tape
from adcalc.symbolic.codegen import TARGETS, generate
from adcalc.symbolic.codegen.target import missing
from tests.helpers import GRID_POINTS, expressions, full, ulps

GCC = shutil.which("gcc")
ULPS = 4


def near(a: float, b: float, tol: int = ULPS) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or ulps(a, b) <= tol or abs(a - b) < 1e-300


def run_python(source: str) -> dict:
    namespace: dict = {}
    exec(compile(source, "<generated>", "exec"), namespace)
    return namespace


class CLib:
    """A generated C file compiled as a shared library."""

    def __init__(self, source: str, tmp: Path, nvars: int) -> None:
        if GCC is None:
            pytest.skip("gcc is not installed: the generated C is not compiled")
        src = tmp / "gen.c"
        src.write_text(source)
        lib = tmp / "gen.so"
        r = subprocess.run([GCC, "-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", "-shared",
                            "-fPIC", str(src), "-o", str(lib), "-lm"],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr + source
        self.lib = ctypes.CDLL(str(lib))
        self.n = nvars

    def grad(self, name: str, *xs: float) -> tuple[float, list[float]]:
        f = getattr(self.lib, f"{name}_grad")
        f.restype = ctypes.c_double
        g = (ctypes.c_double * max(1, self.n))()
        value = f(*map(ctypes.c_double, xs), g)
        return value, list(g)[:self.n]

    def value(self, name: str, *xs: float) -> float:
        f = getattr(self.lib, name)
        f.restype = ctypes.c_double
        return f(*map(ctypes.c_double, xs))


def expression_for(p) -> str | None:
    """A call of a user primitive (or its operator) over x and y."""
    ops = {"add": "x + y", "sub": "x - y", "mul": "x*y", "div": "x/y", "neg": "-x",
           "powc": "x^3 + x^0.5 + x^-2"}
    if p.name in ops:
        return ops[p.name]
    if not p.user:
        return None
    return f"{p.name}(x)" if p.arity == 1 else f"{p.name}(x, y)"


USER = [p for p in PRIMITIVES if expression_for(p) is not None]


def points(rng: random.Random, k: int = 6) -> list[tuple[float, float]]:
    return [(rng.uniform(0.05, 0.95), rng.uniform(0.05, 0.95)) for _ in range(k)]


def test_every_target_writes_every_primitive() -> None:
    for target in TARGETS.values():
        assert missing(target()) == [], target.lang


@pytest.mark.parametrize("prim", USER, ids=lambda p: p.name)
def test_every_primitive_python_numpy_c(prim, tmp_path: Path) -> None:
    text = expression_for(prim)
    variables = adcalc.parse(text).variables
    rng = random.Random(prim.name)
    py = run_python(codegen(text, "python", variables=variables).source)
    npy = run_python(codegen(text, "numpy", variables=variables).source)
    c = CLib(codegen(text, "c", variables=variables).source, tmp_path, len(variables))
    pts = points(rng)
    for x, y in pts:
        at = dict(zip(variables, (x, y), strict=False))
        ref = adcalc.gradient(text, at, variables=variables)
        args = [at[v] for v in variables]
        expected = [ref.value, *(ref.gradient[v] for v in variables)]
        v, g = py["f_grad"](*args)
        assert all(near(a, b) for a, b in zip([v, *g], expected, strict=True)), (text, at)
        v, g = c.grad("f", *args)
        assert all(near(a, b) for a, b in zip([v, *g], expected, strict=True)), (text, at)
        assert near(py["f"](*args), ref.value) and near(c.value("f", *args), ref.value)
    # numpy: all the points at once, broadcasting
    cols = [np.array([p[k] for p in pts]) for k in range(len(variables))]
    v, g = npy["f_grad"](*cols)
    for k, (x, y) in enumerate(pts):
        at = dict(zip(variables, (x, y), strict=False))
        ref = adcalc.gradient(text, at, variables=variables)
        assert near(float(v[k]), ref.value, 8)
        assert all(near(float(g[j][k]), ref.gradient[n], 8) for j, n in enumerate(variables))


@pytest.mark.parametrize("prim", [p for p in USER if p.name not in ("sign", "step")],
                         ids=lambda p: p.name)
def test_every_primitive_hessian(prim) -> None:
    """Second derivatives go through the internal primitives (dtanh, dsigmoid, dasin,
    over_sumsq, pow_dx, xlogy) in the recorded gradient and their rules."""
    text = expression_for(prim)
    variables = adcalc.parse(text).variables
    py = run_python(codegen(text, "python", "hessian", variables=variables).source)
    for x, y in points(random.Random(prim.name + "h"), 3):
        at = dict(zip(variables, (x, y), strict=False))
        ref = adcalc.hessian(text, at, variables=variables)
        value, grad, rows = py["f_hessian"](*(at[v] for v in variables))
        assert near(value, ref.value)
        assert all(near(a, b, 8) for a, b in zip(grad, ref.gradient, strict=True))
        assert all(near(a, b, 8) for ra, rb in zip(rows, ref.matrix, strict=True)
                   for a, b in zip(ra, rb, strict=True)), (text, rows, ref.matrix)


@pytest.mark.parametrize("text,at", [
    ("abs(x)", {"x": 0.0}), ("relu(x)", {"x": 0.0}), ("max(x, y)", {"x": 1.0, "y": 1.0}),
    ("min(x, y)", {"x": 2.0, "y": 2.0}), ("x*sign(x)", {"x": 0.0}), ("step(x) + x", {"x": 0.0}),
    ("max(x, y, z)", {"x": 1.0, "y": 1.0, "z": 1.0}),
    # an infinite local partial times 0 is 0 on every path (Python's math.pow raised
    # 'math domain error' at (x*y)^(-2/3) with x*y = 0; an auditor's find)
    ("(x*y)^(1/3)", {"x": 0.0, "y": 0.0}), ("x^0.5*y", {"x": 0.0, "y": 0.0}),
    ("x^(1/3)*y + y", {"x": 0.0, "y": 0.0}),
])
def test_kinks_follow_the_sweeps_conventions(text: str, at: dict, tmp_path: Path) -> None:
    names = list(at)
    ref = adcalc.gradient(text, at, variables=names)
    expected = [ref.gradient[n] for n in names]
    _, g = run_python(codegen(text, "python", variables=names).source)["f_grad"](*at.values())
    assert g == expected
    _, g = CLib(codegen(text, "c", variables=names).source, tmp_path, len(names)).grad(
        "f", *at.values())
    assert g == expected
    _v, g = run_python(codegen(text, "numpy", variables=names).source)["f_grad"](*at.values())
    assert [float(x) for x in g] == expected


def test_a_partial_with_no_value_is_the_documented_error_in_python() -> None:
    """Where the sweeps say a derivative does not exist (x^y by y at x = -1), generated
    Python raises its own message, not math's 'math domain error'."""
    with pytest.raises(adcalc.DomainError):
        adcalc.gradient("pow(x, y)", {"x": -1.0, "y": 2.0})
    py = run_python(codegen("pow(x, y)", "python").source)
    with pytest.raises(ValueError, match="not differentiable at this point"):
        py["f_grad"](-1.0, 2.0)


@pytest.mark.parametrize("text,x", [("log(x)", -1.0), ("log(x)", 0.0), ("sqrt(x) + 1", -2.0),
                                    ("1/x", 0.0), ("asin(x)", 2.0), ("x^0.5", -1.0)])
def test_domain_errors(text: str, x: float, tmp_path: Path) -> None:
    with pytest.raises(adcalc.DomainError):
        adcalc.gradient(text, {"x": x})
    py = run_python(codegen(text, "python").source)
    for f in ("f", "f_grad"):
        with pytest.raises(ValueError, match="undefined at this point"):
            py[f](x)
    v, g = run_python(codegen(text, "numpy").source)["f_grad"](np.array([x, 0.5]))
    assert math.isnan(v[0]) and math.isnan(g[0][0]) and math.isfinite(v[1])
    v, g = CLib(codegen(text, "c").source, tmp_path, 1).grad("f", x)
    assert math.isnan(v) and math.isnan(g[0])


def test_python_names_the_subexpression() -> None:
    py = run_python(codegen("sin(y) + log(x - 1)", "python").source)
    with pytest.raises(ValueError, match=r"log\(x - 1\)"):
        py["f"](0.5, 1.0)


def test_vector_function_jacobian(tmp_path: Path) -> None:
    text = "[x*y, sin(x) + y^2, exp(x*y), atan2(y, x)]"
    for x, y in points(random.Random(1)):
        ref = adcalc.jacobian(text, {"x": x, "y": y})
        values, rows = run_python(codegen(text, "python").source)["f_jacobian"](x, y)
        assert all(near(a, b) for a, b in zip(values, ref.outputs, strict=True))
        assert all(near(a, b) for ra, rb in zip(rows, ref.matrix, strict=True)
                   for a, b in zip(ra, rb, strict=True))
    lib = CLib(codegen(text, "c").source, tmp_path, 2).lib
    values, jac = (ctypes.c_double * 4)(), (ctypes.c_double * 8)()
    lib.f_jacobian(ctypes.c_double(x), ctypes.c_double(y), values, jac)
    assert all(near(jac[2 * i + j], ref.matrix[i][j]) for i in range(4) for j in range(2))
    assert all(near(values[i], ref.outputs[i]) for i in range(4))


def test_hessian_in_c(tmp_path: Path) -> None:
    text = "log((x1+x2)^2 + sin(x1*x2)) + tanh(x1)*sigmoid(x2) + hypot(x1, x2)"
    lib = CLib(codegen(text, "c", "hessian").source, tmp_path, 2).lib
    lib.f_hessian.restype = ctypes.c_double
    grad, hess = (ctypes.c_double * 2)(), (ctypes.c_double * 4)()
    value = lib.f_hessian(ctypes.c_double(1.0), ctypes.c_double(0.5), grad, hess)
    ref = adcalc.hessian(text, {"x1": 1.0, "x2": 0.5})
    assert near(value, ref.value)
    assert all(near(hess[2 * i + j], ref.matrix[i][j], 8) for i in range(2) for j in range(2))
    assert all(near(grad[i], ref.gradient[i], 8) for i in range(2))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=expressions(), point=GRID_POINTS)
def test_random_expressions_python(text: str, point: dict) -> None:
    text = full(text)
    try:
        ref = adcalc.gradient(text, point, variables=["x", "y", "z"])
    except adcalc.AdcalcError:
        return
    py = run_python(codegen(text, "python", variables=["x", "y", "z"]).source)
    try:
        v, g = py["f_grad"](point["x"], point["y"], point["z"])
    except (ValueError, OverflowError):
        return  # a partial adcalc settles by its 0*inf = 0 convention (see the header)
    assert near(v, ref.value), (text, point)
    assert all(near(a, ref.gradient[n]) for a, n in zip(g, "xyz", strict=True)), (text, point)


def test_random_expressions_c_and_numpy(tmp_path: Path) -> None:
    rng = random.Random(7)
    from tests.helpers import random_expressions

    texts = [full(t) for t in random_expressions(3, 30, 12)]
    for k, text in enumerate(texts):
        at = {"x": rng.uniform(0.1, 0.9), "y": rng.uniform(0.1, 0.9), "z": rng.uniform(0.1, 0.9)}
        try:
            ref = adcalc.gradient(text, at, variables=["x", "y", "z"])
        except adcalc.AdcalcError:
            continue
        sub = tmp_path / str(k)
        sub.mkdir()
        v, g = CLib(codegen(text, "c", variables=["x", "y", "z"]).source, sub, 3).grad(
            "f", *at.values())
        if math.isnan(v):
            continue
        assert near(v, ref.value) and all(near(a, ref.gradient[n]) for a, n in
                                          zip(g, "xyz", strict=True)), text
        v, g = run_python(codegen(text, "numpy", variables=["x", "y", "z"]).source)["f_grad"](
            *at.values())
        assert near(float(v), ref.value, 8), text


def test_generated_python_is_ruff_clean(tmp_path: Path) -> None:
    if shutil.which("ruff") is None and not (Path(sys.executable).parent / "ruff").exists():
        pytest.skip("ruff is not installed")
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    texts = ["log((x1+x2)^2 + sin(x1*x2))", "[x*y, max(x, y), relu(x) + abs(y)]",
             "atan(x) + asin(y/2) + x^y + tanh(x)*sigmoid(y) + softplus(x) + hypot(x, y)",
             "lambda*int + double + w[1]*w_1 + v1 + math + np + l + None",
             "s = 0; for i in 1..3 { s = s + (if x > i and y < 2 then x*i else log(y)) }; "
             "if not (s > 1 or x < 0) then [s, x] else [x, -s]",
             "sin(x)", "3", "[1, 2]"]  # no buffer, no variable, no math
    for k, text in enumerate(texts):
        for lang in ("python", "numpy"):
            for what in (None, "jacobian"):
                path = tmp_path / f"g{k}_{lang}_{what}.py"
                path.write_text(codegen(text, lang, what).source)
    r = subprocess.run([ruff, "check", "--isolated", "--select", "E,F,W,B,SIM,UP,RUF,I,PIE",
                        "--line-length", "100", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout


def test_names_are_mangled_and_comments_cannot_escape(tmp_path: Path) -> None:
    """Names from a tape (any text) reach the code only mangled; comments are sanitised."""
    t = Tape()
    evil = "x */ int main(void) { return 1; } /*\nimport os # \\"
    a, b = t.input(evil), t.input("lambda")
    t.outputs = [t.mul(t.sin(a), b)]
    for lang in ("python", "numpy", "c"):
        src = generate(t, lang, expression=evil).source
        assert "import os" not in src.replace("import os #", "") or lang != "c"
        assert "\nimport os" not in src
        assert "main(void) { return" not in src
    py = run_python(generate(t, "python").source)
    assert near(py["f_grad"](1.0, 2.0)[1][0], 2 * math.cos(1.0))
    CLib(generate(t, "c", expression=evil).source, tmp_path, 2)  # compiles, -Werror


def test_cli_writes_the_file(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from adcalc.cli.codegen import codegen as command

    out = tmp_path / "f.c"
    r = CliRunner().invoke(command, ["log((x1+x2)^2 + sin(x1*x2))", "--lang", "c", "-o",
                                     str(out)])
    assert r.exit_code == 0, r.output
    assert "double f_grad(double x1, double x2, double *grad)" in out.read_text()
    r = CliRunner().invoke(command, ["x*y", "--vars", "y,x", "--name", "lambda"])
    assert "def lambda__grad(y, x):" in r.output or "def lambda_grad(y, x):" in r.output


@pytest.mark.parametrize("chunk", [1, 3, 7])
def test_long_c_bodies_are_split_into_parts(chunk: int, tmp_path: Path, monkeypatch) -> None:
    """Past ``CHUNK`` statements a C function is a sequence of ``static`` parts sharing a
    work array: the same numbers, domain NaNs included, and still -Werror clean."""
    from adcalc.symbolic.codegen import c as c_target
    from tests.helpers import random_expressions

    monkeypatch.setattr(c_target, "CHUNK", chunk)
    rng = random.Random(chunk)
    texts = ["log((x+y)^2 + sin(x*y)) + sqrt(z - x)", "[x*y, max(x, y)*z, relu(x) + abs(y)]",
             *(full(t) for t in random_expressions(chunk, 30, 6))]
    for k, text in enumerate(texts):
        sub = tmp_path / str(k)
        sub.mkdir()
        what = "jacobian" if text.startswith("[") else "hessian"
        src = codegen(text, "c", what, variables=["x", "y", "z"]).source
        assert "_part2(" in src or src.count(";") < 8 * chunk, text
        lib = CLib(src, sub, 3)
        monkeypatch.setattr(c_target, "CHUNK", 2000)
        (sub / "whole").mkdir()
        whole = CLib(codegen(text, "c", what, variables=["x", "y", "z"]).source,
                     sub / "whole", 3)
        monkeypatch.setattr(c_target, "CHUNK", chunk)
        for at in ({"x": rng.uniform(0.1, 0.9), "y": rng.uniform(0.1, 0.9), "z": 0.95},
                   {"x": 0.5, "y": 0.25, "z": 0.25}):
            args = list(at.values())
            if what == "jacobian":
                ref = adcalc.jacobian(text, at, variables=["x", "y", "z"])
                values, jac = (ctypes.c_double * 3)(), (ctypes.c_double * 9)()
                lib.lib.f_jacobian(*map(ctypes.c_double, args), values, jac)
                assert all(near(a, b) for a, b in zip(values, ref.outputs, strict=True))
                flat = [x for row in ref.matrix for x in row]
                assert all(near(a, float(b)) for a, b in zip(jac, flat, strict=True)), text
                continue
            try:
                ref = adcalc.gradient(text, at, variables=["x", "y", "z"])
            except adcalc.AdcalcError:
                assert math.isnan(lib.grad("f", *args)[0]), text
                continue
            v, g = lib.grad("f", *args)
            assert near(v, ref.value) and all(near(a, ref.gradient[n]) for a, n in
                                              zip(g, "xyz", strict=True)), text
            hessians = []
            for library in (lib, whole):  # the parts compute what one body does, bit for bit
                h = (ctypes.c_double * 9)()
                library.lib.f_hessian(*map(ctypes.c_double, args), (ctypes.c_double * 3)(), h)
                hessians.append(list(h))
            assert all(near(a, b, 0) for a, b in zip(*hessians, strict=True)), text


def test_a_program_with_branches_is_generated(cli) -> None:
    """A program with control flow is written with its branches (tests in
    test_codegen_programs.py); straight-line rebinding is straight-line code."""
    r = cli("codegen", "if x > 0 then x^2 else -x", "--lang", "python")
    assert r.exit_code == 0 and "if c1:" in r.output
    assert cli("codegen", "y = x; y = y*x; y", "--lang", "python").exit_code == 0


def test_the_readme_s_c_compiles_and_gives_adcalc_s_numbers(tmp_path: Path) -> None:
    """README.md's "Take the derivative away" shows this file: compiled with -Werror, its
    f_grad at (1, 0.5) is adcalc's gradient there, bit for bit (test_readme checks that
    the page shows what codegen prints)."""
    import re

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = re.search(r'\$ adcalc codegen "log\(\(x1\+x2\)\^2 \+ sin\(x1\*x2\)\)" --lang c\n'
                      r"(.*?)```", readme, re.S)
    assert block is not None
    lib = CLib(block.group(1), tmp_path, 2)
    want = adcalc.grad("log((x1+x2)^2 + sin(x1*x2))", x1=1.0, x2=0.5)
    assert lib.grad("f", 1.0, 0.5) == (want.value, [want.gradient["x1"], want.gradient["x2"]])
    assert lib.value("f", 1.0, 0.5) == want.value


def test_constants_compile_in_c(tmp_path: Path) -> None:
    """No variables: the derivative arrays are unused parameters, which -Werror refuses
    unless the code says so."""
    for what in ("grad", "hessian"):
        (tmp_path / what).mkdir()
        lib = CLib(codegen("3", "c", what).source, tmp_path / what, 0)  # -Werror
        assert lib.value("f") == 3.0 and lib.grad("f") == (3.0, [])
    lib = CLib(codegen("[1, 2]", "c", "jacobian").source, tmp_path, 0)
    values, jacobian = (ctypes.c_double * 2)(), (ctypes.c_double * 1)()
    lib.lib.f_jacobian(values, jacobian)
    assert list(values) == [1.0, 2.0]


def test_a_name_that_is_not_an_identifier_is_refused(cli) -> None:
    for name in ["f(x); import os", "1bad", "", "f-g", "é"]:
        r = cli("codegen", "x^2", "--name", name)
        assert r.exit_code == 2 and "is not a function name" in r.stderr, name
    assert "def lambda_(x):" in cli("codegen", "x^2", "--name", "lambda").stdout


def test_o_never_replaces_a_file_unasked(cli, tmp_path: Path) -> None:
    mine = tmp_path / "mine.py"
    mine.write_text("precious\n")
    r = cli("codegen", "x^2", "-o", str(mine))
    assert r.exit_code == 2 and "exists: give --overwrite" in r.stderr
    assert mine.read_text() == "precious\n"
    assert cli("codegen", "x^2", "-o", str(mine), "--overwrite").exit_code == 0
    assert "def f_grad(x):" in mine.read_text()
    new = tmp_path / "new.c"
    assert cli("codegen", "x^2", "--lang", "c", "-o", str(new)).exit_code == 0
    assert "double f_grad(double x, double *grad)" in new.read_text()


@pytest.mark.parametrize(("text", "at"), [
    ("s = 0; for i in 1..3 { s = s + w[i]*x^i }; s",
     {"x": 0.5, "w[3]": 3.0, "w[1]": 1.0, "w[2]": 2.0}),
    ("y = x; if z > 0 then y*w[2] + w[1] else y", {"z": 1.0, "w[1]": 2.0, "x": 3.0,
                                                   "w[2]": 5.0}),
])
def test_a_programs_parameters_are_in_grads_order(text: str, at: dict) -> None:
    """--help: 'default: as grad orders the variables'; an unrolled loop wrote
    f(w_1, x, w_2, w_3) where grad's order is w[1], w[2], w[3], x, so a call in the
    documented order gave wrong numbers with no error (an auditor's find)."""
    ref = adcalc.gradient(text, at)
    order = list(ref.gradient)
    py = run_python(codegen(text, "python").source)
    value, grad = py["f_grad"](*(at[n] for n in order))
    assert value == ref.value and grad == [ref.gradient[n] for n in order]
