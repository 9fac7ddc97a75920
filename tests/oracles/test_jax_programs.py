"""JAX's grad of the same program written in Python, at random points: branches, loops
and rebinding give the derivative of the path taken, as in JAX (skipped where JAX is not
installed; `pip install jax` runs it)."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import adcalc

PROGRAMS = {
    # name: (adcalc program, Python function of (jnp, x, y), variables)
    "branch": ("if x > 0 then x^2*y else sin(x)*y",
               lambda np, x, y: x**2 * y if x > 0 else np.sin(x) * y),
    "else if": ("if x > 1 then log(x) + y else if x > -1 then x*y else exp(x) - y",
                lambda np, x, y: np.log(x) + y if x > 1 else (x * y if x > -1
                                                              else np.exp(x) - y)),
    "babylon": ("s = x^2 + 1; r = s; repeat 6 { r = (r + s/r)/2 }; r*y",
                lambda np, x, y: _babylon(x**2 + 1) * y),
    "while": ("t = x^2 + 2; n = 0; while t > 1 { t = t/2; n = n + 1 }; t*y + n",
              lambda np, x, y: _halve(x**2 + 2) * y + _count(x**2 + 2)),
    "for": ("s = 0; for i in 1..4 { s = s + sin(i*x)*y^i }; s",
            lambda np, x, y: sum(np.sin(i * x) * y**i for i in range(1, 5))),
    "huber": ("r = x - y; if abs(r) <= 1 then r^2/2 else abs(r) - 1/2",
              lambda np, x, y: (x - y) ** 2 / 2 if abs(x - y) <= 1 else abs(x - y) - 0.5),
}


def _babylon(s):
    r = s
    for _ in range(6):
        r = (r + s / r) / 2
    return r


def _halve(t):
    while t > 1:
        t = t / 2
    return t


def _count(t) -> int:
    n = 0
    while t > 1:
        t, n = t / 2, n + 1
    return n


@pytest.mark.parametrize("name", sorted(PROGRAMS))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(x=st.floats(-3, 3).filter(lambda v: abs(v) > 1e-3 and abs(abs(v) - 1) > 1e-3),
       y=st.floats(-2, 2).filter(lambda v: abs(v) > 1e-3))
def test_the_gradient_of_a_program_is_jax_s(name: str, x: float, y: float) -> None:
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    text, function = PROGRAMS[name]
    want = jax.grad(lambda a, b: function(jnp, a, b), argnums=(0, 1))(x, y)
    got = adcalc.gradient(text, {"x": x, "y": y})
    for w, v in zip(want, ("x", "y"), strict=True):
        assert math.isclose(float(w), got.gradient[v], rel_tol=1e-12, abs_tol=1e-12), (
            name, x, y, v, float(w), got.gradient[v])
