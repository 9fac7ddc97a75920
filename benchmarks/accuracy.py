"""Accuracy at the extremes: adcalc's gradients against JAX's and PyTorch's, all
measured against mpmath at 50 digits, side by side in one run.

    python benchmarks/accuracy.py

Each row is one partial derivative at a point where a textbook formula loses digits,
overflows or meets 0·∞.  The columns are relative errors (0 is exact; "nan", "inf" or
"error" where the tool gives no number).  JAX runs in 64-bit mode; PyTorch in float64.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mpmath
from common import table

mpmath.mp.dps = 50
M = mpmath


def sig(t):
    return 1 / (1 + M.exp(-t))


# (label, adcalc expression, point, variable, exact partial, jax/torch function source)
CASES = [
    ("tanh' at 18", "tanh(x)", {"x": 18.0}, "x", lambda p: M.sech(p["x"]) ** 2, "tanh(x)"),
    ("tanh' at 20", "tanh(x)", {"x": 20.0}, "x", lambda p: M.sech(p["x"]) ** 2, "tanh(x)"),
    ("sigmoid' at 37", "sigmoid(x)", {"x": 37.0}, "x",
     lambda p: sig(p["x"]) * sig(-p["x"]), "sigmoid(x)"),
    ("atan' at 1e155", "atan(x)", {"x": 1e155}, "x", lambda p: 1 / (1 + p["x"] ** 2), "atan(x)"),
    ("atan2 ∂y at 1e200", "atan2(y, x)", {"x": 1e200, "y": 1e200}, "y",
     lambda p: p["x"] / (p["x"] ** 2 + p["y"] ** 2), "atan2(y, x)"),
    ("norm ∂x at 1e-160", "norm([x, y])", {"x": 1e-160, "y": 2e-160}, "x",
     lambda p: p["x"] / M.sqrt(p["x"] ** 2 + p["y"] ** 2), "norm(x, y)"),
    ("logsumexp ∂x at -740", "logsumexp([x, y])", {"x": -740.0, "y": -741.0}, "x",
     lambda p: sig(p["x"] - p["y"]), "logsumexp(x, y)"),
    ("asin' at 0.9999999", "asin(x)", {"x": 0.9999999}, "x",
     lambda p: 1 / M.sqrt(1 - p["x"] ** 2), "asin(x)"),
    ("x^y ∂x at 1e222", "x^y", {"x": 1e222, "y": -0.12637123672923137}, "x",
     lambda p: p["y"] * p["x"] ** (p["y"] - 1), "pow(x, y)"),
    ("sqrt(x^2) at 0", "sqrt(x^2)", {"x": 0.0}, "x", lambda p: M.mpf(0), "sqrt(x*x)"),
]


def rel(got: float | str, exact) -> str:
    if isinstance(got, str):
        return got
    if math.isnan(got):
        return "nan"
    if math.isinf(got):
        return "inf"
    if exact == 0:
        return "0" if got == 0 else f"{abs(got):.1e} abs"
    err = abs(M.mpf(got) - exact) / abs(exact)
    return "0" if err == 0 else f"{float(err):.1e}"


def adcalc_partial(expression: str, point: dict, name: str) -> float | str:
    from adcalc import gradient
    from adcalc.errors import AdcalcError

    try:
        return gradient(expression, point).gradient[name]
    except AdcalcError:
        return "error"


def jax_partial(source: str, point: dict, name: str) -> float | str:
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return "not installed"
    jax.config.update("jax_enable_x64", True)
    fns = {"tanh(x)": lambda x: jnp.tanh(x), "sigmoid(x)": lambda x: jax.nn.sigmoid(x),
           "atan(x)": lambda x: jnp.arctan(x), "atan2(y, x)": lambda x, y: jnp.arctan2(y, x),
           "norm(x, y)": lambda x, y: jnp.linalg.norm(jnp.array([x, y])),
           "logsumexp(x, y)": lambda x, y: jax.scipy.special.logsumexp(jnp.array([x, y])),
           "asin(x)": lambda x: jnp.arcsin(x), "pow(x, y)": lambda x, y: x**y,
           "sqrt(x*x)": lambda x: jnp.sqrt(x * x)}
    f = fns[source]
    names = list(point)
    k = names.index(name)
    return float(jax.grad(f, argnums=k)(*[jnp.float64(point[n]) for n in names]))


def torch_partial(source: str, point: dict, name: str) -> float | str:
    try:
        import torch
    except ImportError:
        return "not installed"
    fns = {"tanh(x)": lambda x: torch.tanh(x), "sigmoid(x)": lambda x: torch.sigmoid(x),
           "atan(x)": lambda x: torch.atan(x), "atan2(y, x)": lambda x, y: torch.atan2(y, x),
           "norm(x, y)": lambda x, y: torch.linalg.norm(torch.stack([x, y])),
           "logsumexp(x, y)": lambda x, y: torch.logsumexp(torch.stack([x, y]), 0),
           "asin(x)": lambda x: torch.asin(x), "pow(x, y)": lambda x, y: x**y,
           "sqrt(x*x)": lambda x: torch.sqrt(x * x)}
    xs = {n: torch.tensor(v, dtype=torch.float64, requires_grad=True) for n, v in point.items()}
    fns[source](*xs.values()).backward()
    return float(xs[name].grad)


def main() -> None:
    rows = []
    for label, expression, point, name, exact, source in CASES:
        truth = exact({n: M.mpf(v) for n, v in point.items()})
        rows.append([label, rel(adcalc_partial(expression, point, name), truth),
                     rel(jax_partial(source, point, name), truth),
                     rel(torch_partial(source, point, name), truth)])
    print("relative error of one partial derivative against mpmath at 50 digits")
    print(table(["case", "adcalc", "JAX (x64)", "PyTorch (float64)"], rows))


if __name__ == "__main__":
    main()
