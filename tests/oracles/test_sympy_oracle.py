"""SymPy as an independent oracle (skipped where sympy is not installed)."""

from __future__ import annotations

import math
import random

import pytest

from adcalc import gradient

sympy = pytest.importorskip("sympy")
from sympy.parsing.sympy_parser import (  # noqa: E402
    convert_xor,
    parse_expr,
    standard_transformations,
)

X = sympy.Symbol("x")


class StopGradient(sympy.Function):
    """JAX's stop_gradient: the value of its argument, a derivative of 0 by definition."""

    def fdiff(self, argindex: int = 1):
        return sympy.S.Zero

    def _eval_evalf(self, prec: int):
        return self.args[0].evalf(prec)


LOCALS = {
    "stop_gradient": StopGradient,
    "sigmoid": sympy.Lambda(X, 1 / (1 + sympy.exp(-X))),
    "softplus": sympy.Lambda(X, sympy.log(1 + sympy.exp(X))),
    "relu": sympy.Lambda(X, sympy.Max(0, X)),
    "log2": sympy.Lambda(X, sympy.log(X, 2)),
    "log10": sympy.Lambda(X, sympy.log(X, 10)),
    "hypot": sympy.Lambda((X, sympy.Symbol("y_")), sympy.sqrt(X**2 + sympy.Symbol("y_") ** 2)),
    "abs": sympy.Abs,
    "min": sympy.Min,
    "max": sympy.Max,
    "e": sympy.E,
    "pi": sympy.pi,
}


def sympy_gradient(text: str, point: dict[str, float]) -> dict[str, float]:
    expr = parse_expr(text, local_dict=dict(LOCALS),
                      transformations=(*standard_transformations, convert_xor))
    subs = {sympy.Symbol(n): v for n, v in point.items()}
    return {n: float(sympy.diff(expr, sympy.Symbol(n)).evalf(30, subs=subs)) for n in point}


EXAMPLES = [
    ("log((x1+x2)^2 + sin(x1*x2))", {"x1": 1.0, "x2": 0.5}),
    ("exp(2*x1) + x1*x2^2 + cos(x2)", {"x1": 1.0, "x2": 2.0}),
    ("sqrt(x^2 + y^2) * atan(y/x) - tanh(x*y)", {"x": 0.8, "y": -1.3}),
    ("x^y + log(x, 3) - asin(y/4)", {"x": 2.2, "y": 1.1}),
    ("sigmoid(x*y) + softplus(x - y) + hypot(x, y)", {"x": 0.4, "y": 1.7}),
    ("log2(x) * log10(y) / cosh(x - y) + sinh(x)/acos(y/3)", {"x": 1.6, "y": 2.4}),
    ("atan2(y, x) * max(x, y^2) + min(x, 2*y)", {"x": 1.5, "y": -0.5}),
]


@pytest.mark.parametrize(("text", "point"), EXAMPLES)
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_against_sympy(text: str, point: dict[str, float], mode: str) -> None:
    want = sympy_gradient(text, point)
    got = gradient(text, point, mode=mode).gradient
    for n in point:
        assert got[n] == pytest.approx(want[n], rel=1e-13, abs=1e-14), n


def test_random_polynomial_trig_expressions_against_sympy() -> None:
    rng = random.Random(7)
    atoms = ["x", "y", "z", "2", "0.5", "3"]
    unary = ["sin", "cos", "exp", "atan", "tanh"]
    for _ in range(25):
        parts = []
        for _ in range(4):
            a, b = rng.choice(atoms), rng.choice(atoms)
            op = rng.choice(["+", "-", "*"])
            parts.append(f"{rng.choice(unary)}({a} {op} {b})")
        text = f"{parts[0]} * {parts[1]} - {parts[2]} / (2 + {parts[3]}^2) + x*y*z"
        point = {"x": rng.uniform(-1, 1), "y": rng.uniform(-1, 1), "z": rng.uniform(-1, 1)}
        want = sympy_gradient(text, point)
        got = gradient(text, point).gradient
        for n in point:
            assert got.get(n, 0.0) == pytest.approx(want[n], rel=1e-12, abs=1e-13), (text, n)


SMOOTH_DOMAINS = {  # where each function is smooth: points are drawn from here
    "asin": (-0.9, 0.9), "acos": (-0.9, 0.9), "log": (0.2, 3.0), "log2": (0.2, 3.0),
    "log10": (0.2, 3.0), "sqrt": (0.2, 3.0), "pow": (0.2, 3.0), "tan": (-1.2, 1.2),
}
KINKED = {"abs", "sign", "step", "relu", "min", "max"}
LOCALS.update({"sign": sympy.sign, "step": sympy.Lambda(X, sympy.Heaviside(X)),
               "pow": sympy.Pow, "atan2": sympy.atan2})
REAL = {"x": sympy.Symbol("x", real=True), "y": sympy.Symbol("y", real=True)}
EXACT = {repr(math.log(10)): "log(10)", repr(math.log(2)): "log(2)"}


def to_sympy(text: str):
    for literal, exact in EXACT.items():
        text = text.replace(literal, exact)
    return parse_expr(text, local_dict={**LOCALS, **REAL},
                      transformations=(*standard_transformations, convert_xor))


def our_formulas(text: str):
    from adcalc.frontend.parse import parse
    from adcalc.symbolic.derive import derivatives
    from adcalc.symbolic.formula import program

    tape, keys = derivatives(parse(text))
    return tape, keys, [program(tape, n) for n in range(len(keys))]


def user_functions() -> list[str]:
    from adcalc.frontend.parse import FUNCTIONS

    return sorted(FUNCTIONS)


@pytest.mark.parametrize("name", user_functions())
def test_symbolic_derivative_of_each_function_matches_sympy(name: str) -> None:
    from adcalc.engine.sweeps import primal
    from adcalc.frontend.parse import FUNCTIONS

    binary = FUNCTIONS[name].arity == 2
    text = f"{name}(x, y)" if binary else f"{name}(x)"
    tape, keys, printed = our_formulas(text)
    reference = to_sympy(text)
    lo, hi = SMOOTH_DOMAINS.get(name, (-2.0, 2.0))
    rng = random.Random(name)
    for _ in range(6):
        point = {"x": rng.uniform(lo, hi), "y": rng.uniform(0.3, 2.0)}
        if name in KINKED and abs(point["x"] - (point["y"] if binary else 0.0)) < 1e-3:
            continue
        vals = primal(tape, {v: point[v] for v in tape.variables})
        subs = {REAL[v]: point[v] for v in tape.variables}
        for (var,), out in zip(keys, tape.outputs, strict=True):
            want = float(sympy.diff(reference, REAL[var]).evalf(30, subs=subs))
            assert vals[out] == pytest.approx(want, rel=1e-12, abs=1e-13), (name, var, point)
    if name in KINKED:
        return
    for (var,), formula in zip(keys, printed, strict=True):
        theirs = sympy.diff(reference, REAL[var])
        if sympy.count_ops(sympy.simplify(theirs)) > 20:
            continue
        ours = to_sympy(formula)
        assert sympy.simplify(ours - theirs) == 0, (name, var, formula, theirs)
