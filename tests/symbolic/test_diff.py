"""Symbolic derivatives: exact forms, oracles, round trips, swell, and the CLI."""

from __future__ import annotations

import json
import math
import random
import re

import pytest

import adcalc
from adcalc import gradient
from adcalc.commands.diff import diff
from adcalc.engine.describe import PLAIN
from adcalc.engine.sweeps import primal
from adcalc.frontend.parse import parse
from adcalc.render.diff_report import label
from adcalc.symbolic.derive import derivatives
from adcalc.symbolic.formula import formulas, program

SEED = "log((x1+x2)^2 + sin(x1*x2))"


def texts(expression: str, wrt=None, order: int = 1) -> list[str]:
    tape, _ = derivatives(parse(expression), wrt, order)
    return [PLAIN.text(t) for t in formulas(tape, PLAIN).outputs]


@pytest.mark.parametrize(
    ("expression", "wrt", "order", "expected"),
    [
        (SEED, None, 1, ["(2*(x1 + x2) + x2*cos(x1*x2))/((x1 + x2)^2 + sin(x1*x2))",
                         "(2*(x1 + x2) + x1*cos(x1*x2))/((x1 + x2)^2 + sin(x1*x2))"]),
        ("x^3*sin(x)", ["x"], 2, ["x*(6*x*cos(x) - x^2*sin(x) + 6*sin(x))"]),
        ("exp(2*x1) + x1*x2^2 + cos(x2)", None, 1, ["x2^2 + 2*exp(2*x1)", "2*x1*x2 - sin(x2)"]),
        ("x*x*x", None, 1, ["3*x^2"]),
        ("x^5", None, 3, ["60*x^2"]),
        ("1/x", None, 2, ["2/x^3"]),
        ("-x^2", None, 1, ["-2*x"]),
        ("x^2*y^3", ["x", "y"], 2, ["2*y^3", "6*x*y^2", "6*x^2*y"]),
        ("sin(x)*cos(x)", None, 1, ["cos(2*x)"]),
        ("tan(x)", None, 1, ["1/cos(x)^2"]),
        ("x*y + 3", None, 1, ["y", "x"]),
        ("5", None, 1, []),
    ],
)
def test_printed_forms(expression: str, wrt, order: int, expected: list[str]) -> None:
    assert texts(expression, wrt, order) == expected


def test_labels() -> None:
    assert label(("x1",)) == "∂f/∂x1"
    assert label(("x", "x")) == "∂²f/∂x²"
    assert label(("x", "y")) == "∂²f/∂x∂y"
    assert label(("x", "x", "y")) == "∂³f/∂x²∂y"


def test_mixed_partials_listed_once_and_symmetric() -> None:
    d = diff("sin(x*y) + x^3*y", ["x", "y"], 2, {"x": 0.7, "y": 1.3})
    assert d.keys == [("x", "x"), ("x", "y"), ("y", "y")]
    x, y = 0.7, 1.3
    expected = [-y * y * math.sin(x * y) + 6 * x * y,
                math.cos(x * y) - x * y * math.sin(x * y) + 3 * x * x,
                -x * x * math.sin(x * y)]
    assert d.values == pytest.approx(expected, rel=1e-14)


def test_values_at_a_point_equal_grad() -> None:
    point = {"x1": 1.0, "x2": 0.5}
    d = diff(SEED, at=point)
    g = gradient(SEED, point)
    assert d.values == pytest.approx(list(g.gradient.values()), rel=1e-15)


def second_by_fd(expression: str, point: dict[str, float], a: str, b: str) -> float:
    """∂/∂b of the first derivative ∂f/∂a, by central differences of its tape."""
    first, _ = derivatives(parse(expression), [a])
    h = 1e-5 * max(1.0, abs(point[b]))
    up = primal(first, {**point, b: point[b] + h})[first.outputs[0]]
    down = primal(first, {**point, b: point[b] - h})[first.outputs[0]]
    return (up - down) / (2 * h)


@pytest.mark.parametrize("expression", [
    SEED, "exp(2*x1) + x1*x2^2 + cos(x2)", "sqrt(x1^2 + x2^2) * atan(x2/x1)",
    "sigmoid(x1*x2) * softplus(x1 - x2)", "x1^x2 + log(x1, 3)/x2",
])
def test_second_derivatives_against_differences_of_first(expression: str) -> None:
    point = {"x1": 1.1, "x2": 0.6}
    d = diff(expression, ["x1", "x2"], 2, point)
    for key, value in zip(d.keys, d.values, strict=True):  # type: ignore[arg-type]
        fd = second_by_fd(expression, point, key[0], key[1])
        assert value == pytest.approx(fd, rel=1e-7, abs=1e-8), key


ROUND_TRIP = [SEED, "x^3*sin(x)", "exp(2*x1) + x1*x2^2 + cos(x2)",
              "sqrt(x^2 + y^2) * atan2(y, x) - tanh(x*y)^3",
              "max(x, y) * abs(x - 2*y) + relu(y) + hypot(x, y)",
              "log(x, 2) * log10(y) + asin(x/3) - acos(y/4) + sinh(x)*cosh(y)"]


@pytest.mark.parametrize("expression", ROUND_TRIP)
@pytest.mark.parametrize("cse", [False, True])
def test_plain_output_reparses_to_the_same_function(expression: str, cse: bool) -> None:
    tape, keys = derivatives(parse(expression), order=1)
    rng = random.Random(3)
    for n in range(len(keys)):
        again = parse(program(tape, n, cse))
        for _ in range(5):
            point = {v: rng.uniform(0.2, 1.4) for v in tape.variables}
            want = primal(tape, point)[tape.outputs[n]]
            used = {v: point[v] for v in again.variables}
            got = primal(again, used)[again.output]
            assert got == pytest.approx(want, rel=1e-12, abs=1e-14)


def printed_size(expression: str) -> int:
    """Tokens in the printed derivatives (a name counts once, however many digits)."""
    tape, _ = derivatives(parse(expression))
    f = formulas(tape, PLAIN)
    text = "".join(PLAIN.text(t) for _, t in f.lets) + "".join(PLAIN.text(t)
                                                              for t in f.outputs)
    return len(re.sub(r"[A-Za-z_][A-Za-z0-9_]*|\d+(\.\d*)?", "a", text))


@pytest.mark.parametrize("family", [
    lambda n: "*".join(f"x{i}" for i in range(n)),                       # product: n terms
    lambda n: "sin(" * n + "x*y" + ")" * n,                               # deep chain
    lambda n: " + ".join(f"exp(x{i}*x{i + 1})" for i in range(n)),       # shared variables
    lambda n: "log(" + "*".join(f"(x{i} + {i + 1})" for i in range(n)) + ")",
])
def test_printed_derivative_grows_linearly(family) -> None:
    ns = (50, 100, 200, 400)
    per_n = [printed_size(family(n)) / n for n in ns]
    assert max(per_n) / min(per_n) < 1.5, per_n  # quadratic growth would give 8


def test_expression_swell_is_avoided_where_naive_printing_is_quadratic() -> None:
    n = 200
    product = "*".join(f"x{i}" for i in range(n))
    naive = n * (n - 1) * 3  # each ∂/∂xi written out: n-1 factors of about 3 characters
    assert printed_size(product) < naive / 20


def test_derivatives_of_every_user_function_parse_again() -> None:
    from adcalc.frontend.parse import FUNCTIONS

    for name, prim in FUNCTIONS.items():
        args = "x" if prim.arity == 1 else "x, 0.7*x + 0.4"
        tape, _ = derivatives(parse(f"{name}({args})"))
        again = parse(program(tape, 0))
        x = 0.37
        assert primal(again, {"x": x} if again.variables else {})[again.output] == \
            pytest.approx(primal(tape, {"x": x})[tape.outputs[0]], rel=1e-13)


# -- the command ------------------------------------------------------------------


def test_cli_diff_plain(cli) -> None:
    r = cli("diff", SEED)
    assert r.exit_code == 0
    assert ("∂f/∂x1 = (2*(x1 + x2) + x2*cos(x1*x2))/((x1 + x2)^2 + sin(x1*x2))"
            in r.stdout.splitlines())


def test_cli_diff_order_and_at(cli) -> None:
    r = cli("diff", "x^3*sin(x)", "--wrt", "x", "--order", "2", "--at", "x=1")
    assert "∂²f/∂x² = x*(6*x*cos(x) - x^2*sin(x) + 6*sin(x))" in r.stdout
    value = float(r.stdout.splitlines()[-1].split()[-1])
    assert value == pytest.approx(6 * math.cos(1) + 5 * math.sin(1), rel=1e-15)


def test_cli_diff_cse_names_shared_pieces(cli) -> None:
    r = cli("diff", SEED, "--cse")
    lines = r.stdout.splitlines()
    assert "where" in lines and "  t1 = x1 + x2" in lines
    assert "∂f/∂x1 = (t5 + x2*t4)/t3" in lines


def test_cli_diff_latex(cli) -> None:
    r = cli("diff", "exp(2*x1) + x1*x2^2 + cos(x2)", "--format", "latex")
    assert r.stdout.startswith("\\[\n\\begin{aligned}")
    assert "\\frac{\\partial f}{\\partial x_{1}} &= x_{2}^{2} + 2 e^{2 x_{1}}" in r.stdout
    r = cli("diff", SEED, "--format", "latex")
    assert "\\frac{2 \\left(x_{1} + x_{2}\\right)" in r.stdout
    assert "\\cos\\left(x_{1} x_{2}\\right)" in r.stdout


def test_cli_diff_json(cli) -> None:
    data = json.loads(cli("diff", SEED, "--at", "x1=1,x2=0.5", "--format", "json").stdout)
    g = adcalc.grad(SEED, x1=1, x2=0.5).gradient
    assert [d["value"] for d in data["derivatives"]] == [g["x1"], g["x2"]]
    assert data["derivatives"][0]["wrt"] == ["x1"]
    assert data["derivatives"][0]["formula"].startswith("(2*(x1 + x2)")


@pytest.mark.parametrize(("args", "code", "message"), [
    (["x*y", "--wrt", "z"], 2, "--wrt names z, which the expression does not use"),
    (["x*y", "--wrt", "xx"], 2, "did you mean x?"),
    (["x*y", "--wrt", "x,x"], 2, "--wrt names a variable twice"),
    (["x*y", "--order", "0"], 2, "Invalid value for '--order'"),
    (["sin(x", "--order", "1"], 2, "expected ')' to close a parenthesis"),
    (["sni(x)"], 2, "did you mean sin?"),
    (["x*y", "--at", "x=1"], 2, "no value for y"),
    (["sqrt(x)", "--at", "x=0"], 1, "division by zero"),
    (["log(x)", "--at", "x=-1"], 1, "the logarithm is defined only for positive numbers"),
])
def test_cli_diff_errors(cli, args: list[str], code: int, message: str) -> None:
    r = cli("diff", *args)
    assert r.exit_code == code
    assert message in r.stderr
    assert "Traceback" not in r.stderr


def test_the_where_lines_and_a_formula_read_again_as_a_program(cli) -> None:
    """What docs/diff.md promises of ``diff --cse``'s plain output."""
    from adcalc import gradient

    out = cli("diff", SEED, "--cse", "--format", "plain").stdout.splitlines()
    where = [line.strip() for line in out if line.startswith("  t")]
    formula = next(line for line in out if line.startswith("∂f/∂x1 = ")).split(" = ", 1)[1]
    program_text = "\n".join([*where, formula])
    point = {"x1": 1.0, "x2": 0.5}
    tape = parse(program_text)
    value = primal(tape, point)[tape.output]
    assert value == pytest.approx(gradient(SEED, point).gradient["x1"], rel=1e-15)


def test_a_vector_is_differentiated_entry_by_entry(cli) -> None:
    """Not just its last entry: the symbolic Jacobian, equal to jacobian's numbers."""
    from adcalc.commands.vector import jacobian

    r = cli("diff", "[x*y, sin(x) + y^2]", "--at", "x=1,y=2", "--format", "plain")
    assert r.exit_code == 0
    assert "∂f1/∂x = y\n∂f1/∂y = x\n∂f2/∂x = cos(x)\n∂f2/∂y = 2*y\n" in r.stdout
    d = diff("[x*y, sin(x) + y^2]", at={"x": 1.0, "y": 2.0})
    j = jacobian("[x*y, sin(x) + y^2]", {"x": 1.0, "y": 2.0})
    assert d.values == [v for row in j.matrix for v in row]
    assert d.functions == ["f1", "f1", "f2", "f2"]
    r = cli("diff", "softmax([a, b])", "--format", "json")
    assert [item["of"] for item in json.loads(r.stdout)["derivatives"]] == ["f1", "f1", "f2",
                                                                          "f2"]


def test_latex_that_reads_as_it_means(cli) -> None:
    r = cli("diff", "x*2*3^x + 1.5e20^x", "--format", "latex")
    assert "2 \\cdot 3^{x}" in r.stdout and "2 3^{x}" not in r.stdout
    assert "\\left(1.5 \\cdot 10^{20}\\right)^{x}" in r.stdout and "}^{x}" not in r.stdout.replace(
        "\\right)^{x}", "")


def test_latex_tells_x1_from_x_1(cli) -> None:
    r = cli("diff", "x1*x_1 + x2", "--format", "latex")
    assert "\\partial x_{1}} &= \\mathrm{x\\_1}" in r.stdout
    assert "\\partial \\mathrm{x\\_1}} &= x_{1}" in r.stdout
    r = cli("diff", "x_1*y", "--format", "latex")  # alone, x_1 is simply x_{1}
    assert "\\partial x_{1}}" in r.stdout


@pytest.mark.parametrize(("text", "said"), [
    ("x/0", "x/0 divides by 0"), ("1/0", "1/0 divides by 0"), ("log(x, 1)", "divides by 0"),
    ("log(x, -2)", "log(-2) has no value"), ("sqrt(-1)*x", "sqrt(-1) has no value"),
    ("asin(2)*x", "asin(2) has no value"),
])
def test_an_expression_undefined_everywhere_is_a_math_error(cli, text: str, said: str) -> None:
    for extra in ([], ["--format", "json"], ["--format", "latex"]):
        r = cli("diff", text, *extra)
        assert r.exit_code == 1 and said in r.stderr and not r.stdout, (text, extra)


@pytest.mark.parametrize(("text", "said"), [
    ("1/(x - x)", "1/(x - x) divides by x - x, which is 0 everywhere"),
    ("x/(sin(x)^2 + cos(x)^2 - 1)", "divides by sin(x)^2 + cos(x)^2 - 1, which is 0"),
    ("x^2/(tan(2*x) - sin(2*x)/cos(2*x))", "which is 0 everywhere"),
    ("1/(cosh(y)^2 - sinh(y)^2 - 1) + x", "which is 0 everywhere"),
    ("(x - x)^(-2)", "x - x is 0 everywhere"), ("log(x - x)", "log(x - x) has no value"),
    ("log(-exp(x))", "-exp(x) is 0 or negative wherever it is defined"),
    ("sqrt(-1 - x^2)", "-1 - x^2 is negative wherever it is defined"),
    ("(-1 - x^2)^(3/2)", "is negative wherever"), ("asin(2 + x^2)", "beyond -1 and 1"),
    ("acos(-2 - exp(x))", "beyond -1 and 1"),
    # a piece with no value, times 0: still no value (the exact reading made 0·u 0 and
    # printed 1, where grad refuses at every point)
    ("0*log(-x^2 - 1) + x", "is 0 or negative"), ("x*tan(pi/2)*0 + x", "tan(pi/2) has no"),
])
@pytest.mark.parametrize("extra", [[], ["--order", "2"], ["--simplify", "basic"],
                                   ["--simplify", "none"]])
def test_an_expression_its_canonical_form_shows_undefined_everywhere_is_a_math_error(
        cli, text: str, said: str, extra: list[str]) -> None:
    """Numbers alone are not needed: the canonical form shows a denominator that is 0
    everywhere (``x - x``, ``sin(x)^2 + cos(x)^2 - 1`` once tidied) or an argument outside
    the domain wherever it is defined; the derivative printed would mean nothing (it was
    ``0``, ``1/0``).  The same at every order and level of simplification."""
    r = cli("diff", text, *extra)
    assert r.exit_code == 1 and said in r.stderr and "no value anywhere" in r.stderr, (
        text, extra, r.stdout, r.stderr)
    assert not r.stdout


def test_a_number_with_no_value_times_0_is_refused_as_grad_refuses_it(cli) -> None:
    for args in (["diff", "log(-1)*0 + x"], ["diff", "log(-1)*0 + x", "--simplify", "none"],
                 ["grad", "log(-1)*0 + x", "--at", "x=1"]):
        r = cli(*args)
        assert r.exit_code == 1 and "log(-1)" in r.stderr and not r.stdout, args


@pytest.mark.parametrize("text", ["1/(x - 1)", "log(x^2 - 1)", "sqrt(1 - x^2)",
                                  "asin(x/2)", "1/(sin(x)^2 + cos(x)^2)", "log(-x)",
                                  "sqrt(-x^2)", "acos(1 + x^2)", "(x - x)^2 + x"])
def test_an_expression_defined_somewhere_is_differentiated(cli, text: str) -> None:
    """The tests are sufficient ones: a piece defined at one point at least (log(-x) for
    x < 0, sqrt(-x^2) at 0, acos(1 + x^2) at 0) is never refused."""
    r = cli("diff", text)
    assert r.exit_code == 0 and "∂f/∂x" in r.stdout, (text, r.stderr)


@pytest.mark.parametrize(("text", "want"), [
    ("abs(x - y) - abs(y - x)", ["0", "0"]), ("abs(-x) - abs(x)", ["0"]),
    ("sign(y - x) + sign(x - y) + x", ["0", "1"]),
])
def test_abs_and_sign_know_their_parity(cli, text: str, want: list[str]) -> None:
    """|-u| = |u| and sign(-u) = -sign(u): u and -u meet as one piece, and cancel."""
    r = cli("diff", text)
    assert r.exit_code == 0, r.stderr
    assert [line.split(" = ")[1] for line in r.stdout.splitlines() if "∂f" in line] == want


def test_values_at_the_point_in_latex_and_a_constant_says_so(cli) -> None:
    out = cli("diff", "x^2*y", "--at", "x=1,y=2", "--format", "latex").stdout
    assert r"\left.\frac{\partial f}{\partial x}\right|_{x = 1,\, y = 2} &= 4" in out
    out = cli("diff", "[x*y, x+y]", "--at", "x=1,y=2", "--format", "latex").stdout
    assert r"\left.J\right|_{x = 1,\, y = 2} &= \begin{pmatrix} 2 & 1 \\ 1 & 1" in out
    r = cli("diff", "3")
    assert r.exit_code == 0 and "uses no variables" in r.stdout


def test_a_piece_used_often_is_named_once_and_used_everywhere(cli) -> None:
    """sigmoid(w*x + b) in every second partial of the squared error: named where the
    name shortens the output, then every formula writes the name."""
    out = cli("diff", "(sigmoid(w*x + b) - y)^2", "--order", "2", "--wrt", "w,x").stdout
    assert out.count("sigmoid(") == 2  # the header and t1's line
    assert "  t1 = sigmoid(w*x + b)\n" in out
    short = cli("diff", "x*y + sin(x*y)").stdout  # x*y twice: a name would not shorten it
    assert "where" not in short


@pytest.mark.parametrize(("text", "want"), [
    ("(2*x+2)^1000", "2000*(2*x + 2)^999"),  # the content's power has too many digits
    ("x*10^400", "10^400"),  # a number, only not a double: not "no value"
    ("x*log(8)^300/log(2)^299", "log(8)^300/log(2)^299"),  # a 143-digit coefficient
])
def test_big_exact_numbers_stay_formulas(cli, text: str, want: str) -> None:
    r = cli("diff", text)
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[-1] == f"∂f/∂x = {want}"


def test_diff_at_a_kink_warns_as_grad_does(cli) -> None:
    """docs/language.md says diff --at warns at kinks: on stderr and in JSON, grad's own words."""
    r = cli("diff", "abs(x)", "--at", "x=0")
    g = cli("grad", "abs(x)", "--at", "x=0")
    assert r.exit_code == 0 and "not differentiable" in r.stderr
    assert r.stderr == g.stderr
    j = cli("diff", "abs(x)", "--at", "x=0", "--format", "json")
    assert json.loads(j.stdout)["warnings"] == [g.stderr.strip()]
    assert "warnings" not in json.loads(cli("diff", "abs(x)", "--at", "x=1", "--format",
                                            "json").stdout)


@pytest.mark.parametrize(("text", "x", "want"), [
    # mpmath at 150 digits; taylor gives 3!·f_3 the same
    ("sigmoid(x)", 40.0, 4.248354255291589e-18), ("softplus(x)", 30.0, -9.357622968836675e-14),
])
def test_a_third_derivative_at_a_point_keeps_its_digits(cli, text: str, x: float,
                                                        want: float) -> None:
    """The printed formula's 1 - sigmoid(40) is 0 in doubles: evaluated as printed,
    sigmoid'''(40) was 0.0 and softplus'''(30) 1e-3 off (an auditor's find); the rules'
    derivative tape keeps every digit, as Taylor mode does."""
    from adcalc.commands.diff import diff

    d = diff(text, order=3, at={"x": x})
    assert d.values == [pytest.approx(want, rel=1e-12)]
    t = cli("taylor", text, "--at", f"x={x}", "--order", "3", "--format", "json")
    import json

    assert json.loads(t.stdout)["derivatives"][3] == pytest.approx(want, rel=1e-12)


def test_third_derivatives_at_a_point_follow_wrts_order(cli) -> None:
    r = cli("diff", "x^3*y^2", "--wrt", "y,x", "--order", "3", "--at", "x=1,y=2",
            "--format", "json")
    assert r.exit_code == 0, r.stderr
    import json

    values = [d["value"] for d in json.loads(r.stdout)["derivatives"]]
    assert values == [0.0, 6.0, 24.0, 24.0]
