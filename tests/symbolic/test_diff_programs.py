"""diff of a program with branches and no point: the derivative piece by piece.

Each piece's condition and formula are read back in adcalc's own language and checked
against the gradient at the point (the path's derivative) at random points on every side.
"""

from __future__ import annotations

import json
import random

import pytest

from adcalc import gradient
from adcalc.commands.diff import diff
from adcalc.commands.pieces import MAX_PIECES
from adcalc.engine.sweeps import primal
from adcalc.errors import InputError
from adcalc.frontend.parse import parse
from adcalc.render.diff_report import quiet_text, to_json

ABS = "if x > 0 then x^3 else -x"
HUBER = "r = y - t; if abs(r) <= d then r^2/2 else d*(abs(r) - d/2)"
NESTED = "if x > 0 then (if y > 0 then x^2*y else x^2 + y) else -x*y"
CHAIN = "if x < -1 then -x else if x < 1 then x^2 else 2*x - 1 + y"
LOOP = "s = 0; for i in 1..3 { s = s + (if x > i then x^i else -x*y) }; s"
SHORT = "if x > 0 and y > 0 or x < -1 then x*y else x + y^2"
RELU = "s = 0; for i in 1..2 { h = w[i]*x + b[i]; s = s + (if h > 0 then h else 0) }; s"

PROGRAMS = [
    (ABS, ["x"]), (HUBER, ["y", "t", "d"]), (NESTED, ["x", "y"]), (CHAIN, ["x", "y"]),
    (LOOP, ["x", "y"]), (SHORT, ["x", "y"]), (RELU, ["w[1]", "w[2]", "x", "b[1]", "b[2]"]),
]


def holds(condition: str, point: dict[str, float]) -> bool:
    """A piece's condition, read by adcalc and decided at the point."""
    tape = parse(f"if {condition} then 1 else 0", at=point)
    return primal(tape, point)[tape.output] == 1.0


def value(lets: list[dict], formula: str, point: dict[str, float]) -> float:
    text = "".join(f"{let['name']} = {let['formula']}\n" for let in lets) + formula
    tape = parse(text)
    return primal(tape, {**point, **{n: 0.0 for n in tape.variables if n not in point}}
                  )[tape.output]


@pytest.mark.parametrize(("text", "names"), PROGRAMS)
def test_each_piece_is_the_gradient_where_its_condition_holds(text: str,
                                                              names: list[str]) -> None:
    d = diff(text)
    data = to_json(d)
    assert d.variables == names or sorted(d.variables) == sorted(names)
    rng = random.Random(7)
    seen = [set() for _ in data["derivatives"]]
    for _ in range(120):
        point = {n: round(rng.uniform(-4, 4), 3) + 1e-4 for n in d.variables}
        if "d" in point:
            point["d"] = abs(point["d"]) + 0.1
        g = gradient(text, point).gradient
        for k, item in enumerate(data["derivatives"]):
            pieces = item["pieces"]
            where = [p for p in pieces if p["condition"] is None
                     or holds(p["condition"], point)]
            assert len(where) == 1, (item["formula"], point)  # the pieces partition
            seen[k].add(pieces.index(where[0]))
            got = value(data["let"], where[0]["formula"], point)
            assert got == pytest.approx(g[item["wrt"][0]], rel=1e-9, abs=1e-9), (
                item["label"], where[0], point)
    assert all(len(s) == len(item["pieces"]) for s, item in zip(seen, data["derivatives"],
                                                                 strict=True))


def test_the_pieces_print_as_the_language_writes_them() -> None:
    assert quiet_text(diff(ABS)) == "∂f/∂x = 3*x^2 if x > 0; -1 otherwise\n"
    lines = quiet_text(diff(NESTED)).splitlines()
    assert lines == ["∂f/∂x = 2*x*y if x > 0 and y > 0; 2*x if x > 0 and y <= 0; "
                     "-y otherwise",
                     "∂f/∂y = x^2 if x > 0 and y > 0; 1 if x > 0 and y <= 0; -x otherwise"]


def test_equal_formulas_merge_and_settled_decisions_are_no_pieces() -> None:
    assert quiet_text(diff("if x < 0 then -1 else if x == 0 then 0 else 1")) == "∂f/∂x = 0\n"
    # x <= 0 settles x > 1: two paths, not three; 2*x + 1 > 3 is x > 1, so x/2 < 0 is settled
    assert quiet_text(diff("if x > 0 then (if x > 1 then x^2 else x) else (if x > 1 then 5 "
                           "else -x)")) == ("∂f/∂x = 2*x if x > 1; 1 if x > 0 and x <= 1; "
                                            "-1 otherwise\n")
    assert quiet_text(diff("if 2*x + 1 > 3 then (if x/2 < 0 then 7*x else x) else x^2")
                      ) == "∂f/∂x = 1 if 2*x + 1 > 3; 2*x otherwise\n"
    # both outcomes of the inner decision give 2*x: folded back to x > 0
    out = quiet_text(diff("if x > 0 then (if y > 0 then x^2 else x^2 + y) else -x"))
    assert out.splitlines() == ["∂f/∂x = 2*x if x > 0; -1 otherwise",
                                "∂f/∂y = 0 if (x > 0 and y > 0) or x <= 0; 1 otherwise"]
    # x > 1 and x > 2 is x > 2
    assert "if x > 2;" in quiet_text(diff("s = 0; for i in 1..2 { s = s + (if x > i then "
                                          "x^i else 0) }; s"))


def test_constant_loops_unroll_without_pieces() -> None:
    d = diff("y = x; repeat 3 { y = (y + x/y)/2 }; y")
    assert [len(p) for p in d.pieces] == [1]
    assert d.pieces[0][0].condition == [[]]
    straight = diff("y = x; y = (y + x/y)/2; y = (y + x/y)/2; y = (y + x/y)/2; y")
    assert quiet_text(d) == quiet_text(straight)


def test_json_shape(cli) -> None:
    r = cli("diff", HUBER, "--format", "json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    item = data["derivatives"][0]
    assert item["formula"] == "y - t if abs(y - t) <= d; d*sign(y - t) otherwise"
    assert item["pieces"] == [
        {"condition": "abs(y - t) <= d", "formula": "y - t", "latex": "y - t"},
        {"condition": "abs(y - t) > d", "formula": "d*sign(y - t)",
         "latex": r"d \operatorname{sign}\left(y - t\right)"}]
    assert item["latex"].startswith(r"\begin{cases}") and "point" not in data
    single = json.loads(cli("diff", "y = x; repeat 2 { y = y*x }; y", "--format",
                            "json").stdout)["derivatives"][0]
    assert single["pieces"] == [{"condition": None, "formula": "3*x^2", "latex": "3 x^{2}"}]


def test_latex_is_cases_in_the_display(cli) -> None:
    out = cli("diff", ABS, "--format", "latex").stdout
    assert out.startswith("\\[\n\\begin{aligned}\n") and out.endswith("\\end{aligned}\n\\]\n")
    assert (r"\frac{\partial f}{\partial x} &= \begin{cases} 3 x^{2} & \text{if } x > 0 \\ "
            r"-1 & \text{otherwise} \end{cases}") in out


def test_a_point_still_takes_the_path(cli) -> None:
    r = cli("diff", ABS, "--at", "x=-2")
    assert r.exit_code == 0 and "∂f/∂x = -1\n" in r.stdout


def test_diff_at_a_point_says_the_formula_is_the_paths(cli) -> None:
    """diff --at printed 3*x^2 as f's derivative with no word of the path (language.md:
    every command taking a program at a point starts with it), nor JSON's decisions."""
    text = "s = 0; for i in 1..2 { s = s + x^i }; if x > 0 then x^3 + s else -x"
    r = cli("diff", text, "--at", "x=2")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.index("Path taken at this point") < r.stdout.index("∂f/∂x =")
    assert "if x > 0" in r.stdout and "true" in r.stdout and "2 iterations" in r.stdout
    data = json.loads(cli("diff", text, "--at", "x=2", "--format", "json").stdout)
    assert [d["outcome"] for d in data["decisions"]] == [True] and data["loops"]
    assert "decisions" not in json.loads(cli("diff", "x^3", "--at", "x=2", "--format",
                                              "json").stdout)
    assert "Path taken" not in cli("diff", "x^3", "--at", "x=2").stdout


def test_while_is_refused(cli) -> None:
    r = cli("diff", "y = x; while y > 1 { y = y/2 }; y")
    assert r.exit_code == 2
    assert "while y > 1" in r.stderr and "grad" in r.stderr and "--at" in r.stderr
    assert cli("diff", "y = x; while y > 1 { y = y/2 }; y", "--at", "x=3").exit_code == 0


def test_the_number_of_pieces_is_bounded(cli) -> None:
    many = "s = 0; for i in 1..7 { s = s + (if w[i] > 0 then w[i] else 0) }; s"  # 128 paths
    with pytest.raises(InputError, match=f"more than {MAX_PIECES} paths"):
        diff(many)
    r = cli("diff", many)
    assert r.exit_code == 2 and "--at" in r.stderr
    six = "s = 0; for i in 1..6 { s = s + (if w[i] > 0 then w[i] else 0) }; s"  # 64: fine
    assert [len(p) for p in diff(six).pieces] == [2] * 6


def test_order_two_and_vectors() -> None:
    assert quiet_text(diff("if x > 0 then x^3 else -x^2", order=2)) == (
        "∂²f/∂x² = 6*x if x > 0; -2 otherwise\n")
    assert quiet_text(diff("if x > y then [x*y, x] else [y, x^2]")).splitlines() == [
        "∂f1/∂x = y if x > y; 0 otherwise", "∂f1/∂y = x if x > y; 1 otherwise",
        "∂f2/∂x = 1 if x > y; 2*x otherwise", "∂f2/∂y = 0"]


@pytest.mark.parametrize(("text", "said", "printed"), [
    ("if y > 0 then x/(y - y) else x", "x/(y - y) divides by y - y", "nan if y > 0; 1 otherwise"),
    ("if x > 0 then x else tan(pi/2)*x", "tan(pi/2) has no value anywhere",
     "1 if x > 0; nan otherwise"),
    ("if y > 0 then log(x) + sqrt(-x) else x", "sqrt(-x) has no value wherever log(x)",
     "nan if y > 0; 1 otherwise"),
])
def test_a_path_with_no_value_anywhere_has_no_formula(cli, text, said, printed) -> None:
    """A path whose own formula has no value at any point (1/0 once tidied) prints nan
    for its pieces, with a warning saying why, not a formula that means nothing
    (``1/0 if y > 0`` before); with every path so, the program is refused as a formula
    is.  ``--at`` on the other path gives that path's derivative."""
    r = cli("diff", text, "--wrt", "x")
    assert r.exit_code == 0 and r.stdout.strip().endswith(f"∂f/∂x = {printed}"), r.stdout
    assert "a path of the program has no value anywhere" in r.stderr and said in r.stderr
    r = cli("diff", "if y > 0 then 1/(y - y) else 1/(x - x)")
    assert r.exit_code == 1 and "no value anywhere" in r.stderr


def test_a_program_traced_at_a_point_is_differentiated_on_every_path() -> None:
    """adcalc.diff of adcalc.parse(program, at=…) printed the path's formula, 2*x, as if
    it held everywhere (an auditor's find): it gives the pieces, as the text does."""
    import adcalc

    text = "if x > 0 then x^2 else -x"
    traced = adcalc.diff(adcalc.parse(text, at={"x": 2.0}))
    whole = adcalc.diff(text)
    assert traced.pieces is not None and len(traced.pieces[0]) == 2
    assert traced.keys == whole.keys and traced.pieces == whole.pieces
