"""SymPy as an independent oracle (skipped where sympy is not installed)."""

from __future__ import annotations

import random

import pytest

from adcalc.gradient import gradient

sympy = pytest.importorskip("sympy")
from sympy.parsing.sympy_parser import (  # noqa: E402
    convert_xor,
    parse_expr,
    standard_transformations,
)

X = sympy.Symbol("x")
LOCALS = {
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
