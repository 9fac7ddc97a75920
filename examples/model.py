"""A logistic-regression loss written in Python, for `adcalc grad --python`:

    adcalc grad --python examples/model.py:loss --at w=0.5,b=0.1
"""

import adcalc.math as am

DATA = [(1.0, 1.0), (-1.0, 0.0), (2.0, 1.0)]


def loss(w, b):
    """Mean log-loss of the model sigmoid(w*x + b) over DATA."""
    total = 0.0
    for x, y in DATA:
        z = w * x + b
        total = total + am.softplus(z) - y * z  # -log(sigmoid(z)) if y = 1, -log(1 - …) if 0
    return total / len(DATA)
