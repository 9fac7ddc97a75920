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


def huber(w, b):
    """Mean Huber loss (delta = 1) of the line w*x + b over DATA: quadratic for small
    residuals, linear past 1.  It branches on its parameters, so each point takes its
    own path:

        adcalc grad --python examples/model.py:huber --points examples/weights.csv
    """
    total = 0.0
    for x, y in DATA:
        r = w * x + b - y
        if abs(r) <= 1:  # noqa: SIM108 (a statement on purpose: the example branches)
            total = total + r * r / 2
        else:
            total = total + abs(r) - 0.5
    return total / len(DATA)
