"""``--python FILE:FUNCTION`` takes a function that returns a plain number on a branch, as
``adcalc.grad(f)`` and JAX's ``grad`` do: at a point and at every row of ``--points``."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from adcalc.cli import main

SOURCE = '''
def relu_square(x):
    if x < 0:
        return 0.0
    return x * x
'''


def test_a_branch_returning_a_number_at_a_point_and_at_rows(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(SOURCE)
    spec = f"{module}:relu_square"
    run = CliRunner().invoke
    for x, want in [("-1", "0.0"), ("2", "4.0"), ("0.5", "1.0")]:
        r = run(main, ["grad", "--python", spec, "--at", f"x={x}", "-q"])
        assert r.exit_code == 0 and r.output == f"∂f/∂x = {want}\n", r.output
    points = tmp_path / "p.csv"
    points.write_text("x\n-1\n2\n0.5\n")
    r = run(main, ["grad", "--python", spec, "--points", str(points)])
    assert r.exit_code == 0, r.output
    assert r.output.splitlines() == ["x,f,df/dx", "-1,0.0,0.0", "2,4.0,4.0", "0.5,0.25,1.0"]
