"""One output dispatch: every record module offers the same four functions."""

from __future__ import annotations

import json

import pytest

from adcalc.commands.diff import diff
from adcalc.commands.grad import gradient
from adcalc.commands.vector import hessian, jacobian, jvp, vjp
from adcalc.render import diff_report, trace, vector_report
from adcalc.render.json_out import dumps
from adcalc.render.plain import render

S = "log((x1+x2)^2 + sin(x1*x2))"
AT = {"x1": 1.0, "x2": 0.5}


def records() -> list:
    return [
        (trace, gradient(S, AT, record=True), {}),
        (vector_report, jacobian("[x1*x2, sin(x1)]", AT, None, None, record=True),
         {"kind": "jacobian"}),
        (vector_report, jvp("[x1*x2, sin(x1)]", AT, [1.0, -1.0], None), {"kind": "jvp"}),
        (vector_report, vjp("[x1*x2, sin(x1)]", AT, [1.0, 0.0], None, record=True),
         {"kind": "vjp"}),
        (vector_report, hessian(S, AT, None), {}),
        (diff_report, diff(S, None, 1, AT, "full"), {"cse": True}),
    ]


@pytest.mark.parametrize(("view", "record", "options"), records())
def test_every_record_module_has_the_four_functions(view, record, options) -> None:
    assert render(view.blocks(record, **options))
    data = json.loads(dumps(view.to_json(record, **options)))
    assert data and isinstance(data, dict)
    assert view.quiet_text(record, **options).endswith("\n")
    assert view.warnings(record) == []
