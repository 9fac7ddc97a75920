"""Gradient descent on the Rosenbrock function with adcalc's Python API."""

from pathlib import Path

import adcalc

HERE = Path(__file__).parent
f = adcalc.parse((HERE / "rosenbrock.expr").read_text())  # parse once, evaluate many times

point = {"x": -1.2, "y": 1.0}
for step in range(2001):
    g = adcalc.gradient(f, point)
    if step % 500 == 0:
        print(f"step {step:4d}: f = {g.value:.6g} at x = {point['x']:.4f}, y = {point['y']:.4f}")
    point = {name: point[name] - 1e-3 * g.gradient[name] for name in point}

value, grad = adcalc.grad("x*y + x^2", x=2, y=3)
print(f"x*y + x^2 at (2, 3): value {value}, gradient {grad}")
