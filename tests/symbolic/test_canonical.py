"""The canonical form of ``diff --simplify full``: textbook answers, exact numbers, and
every rewrite an identity wherever the input is defined (random expressions over every
primitive, at random points)."""

from __future__ import annotations

import math
import random
import re

import pytest

from adcalc.engine.primitives import POW, POWC
from adcalc.engine.sweeps import adjoint, primal
from adcalc.errors import AdcalcError
from adcalc.frontend.parse import parse
from adcalc.symbolic.canonical import canonical
from adcalc.symbolic.derive import derivatives
from adcalc.symbolic.formula import program, source
from tests.helpers import random_expressions

TEXTBOOK = [
    # the exercises, as a careful mathematician writes them by hand
    ("x^(1/3)", ["1/(3*x^(2/3))"]),
    ("2^x", ["2^x*log(2)"]),
    ("exp(-x^2/2)/sqrt(2*pi)", ["-x*exp(-x^2/2)/sqrt(2*pi)"]),
    ("log2(x)", ["1/(x*log(2))"]),
    ("log10(x)", ["1/(x*log(10))"]),
    ("x^x", ["x^x*(log(x) + 1)"]),
    ("x*exp(-x)*log(x)", ["exp(-x)*(log(x) - x*log(x) + 1)"]),
    ("(x^2 + 1)/(x^2 - 1)", ["-4*x/(x^2 - 1)^2"]),
    ("sin(x)/(1 + cos(x))", ["1/(cos(x) + 1)"]),
    ("(x^2 - 1)/(x - 1)", ["1"]),
    # a piece shared by the partials is named once, and every formula uses the name
    ("sigmoid(w*x + b)", [f"t1 = sigmoid(w*x + b)*(1 - sigmoid(w*x + b)); {p}"
                          for p in ("x*t1", "w*t1", "t1")]),
    # exact numbers: folded only where the result is exact
    ("sqrt(4)*x", ["2"]),
    ("sqrt(2)*sqrt(2)*x", ["2"]),
    ("log(e)*x", ["1"]),
    ("x/3 + y/3", ["1/3", "1/3"]),
    ("0.1*x^2", ["x/5"]),
    ("x^(2/3)*y", ["2*y/(3*x^(1/3))", "x^(2/3)"]),
    ("pi*x^2", ["2*pi*x"]),
    ("e^(2*x)", ["2*exp(2*x)"]),
    # like factors, exp/log inverses, Pythagoras
    ("exp(x)*exp(-x)*x", ["1"]),
    ("exp(log(x)*3)", ["3*x^2"]),
    ("log(exp(x^2))", ["2*x"]),
    ("sin(x)^2 + cos(x)^2 + x", ["1"]),
    ("cosh(x)^2 - sinh(x)^2 + x", ["1"]),
    ("tanh(x)", ["1/cosh(x)^2"]),
    ("atan(x)", ["1/(x^2 + 1)"]),
    ("asin(x)", ["1/sqrt(1 - x^2)"]),
    ("sqrt(x^2 + y^2)", ["x/sqrt(x^2 + y^2)", "y/sqrt(x^2 + y^2)"]),
    ("x/(1 + x)", ["1/(x + 1)^2"]),
    # factors taken out as they stand; exp(-u)/(exp(-u) + 1) as 1/(exp(u) + 1)
    ("(3*x - 2)^4/(x + 1)", ["(3*x - 2)^3*(9*x + 14)/(x + 1)^2"]),
    ("x^2*exp(3*x)", ["x*exp(3*x)*(3*x + 2)"]),
    ("log(1 + exp(-y*x))", ["-x/(exp(y*x) + 1)", "-y/(exp(y*x) + 1)"]),
    ("1/x + 1/y", ["-1/x^2", "-1/y^2"]),
    # a sum's own denominator cancels against the product it stands in
    ("atan(1/x)", ["-1/(x^2 + 1)"]),
    ("1/(1/x + 1/y)", ["y^2/(x + y)^2", "x^2/(x + y)^2"]),
    # a sum's content out of its power: (2x + 2)^n = 2^n·(x + 1)^n
    ("atan((1 + x)/(1 - x))", ["1/(x^2 + 1)"]),
    ("2/(2*x + 2)", ["-1/(x + 1)^2"]),
    ("(2*x + 2)^3", ["24*(x + 1)^2"]),
    # nested fractions over one line: the sums inside a term first, then the whole
    ("x/(1 + x/(1 + x))", ["(2*x^2 + 2*x + 1)/(2*x + 1)^2"]),
    ("(x/(1 + x))/(1 + x/(1 + x))", ["1/(2*x + 1)^2"]),
    ("x/(1 + 1/x)", ["x*(x + 2)/(x + 1)^2"]),
    ("x/(1/x + 1/y)", ["x*y*(x + 2*y)/(x + y)^2", "x^3/(x + y)^2"]),
    ("sqrt(x + sqrt(x))", ["(2*sqrt(x) + 1)/(4*sqrt(x)*sqrt(x + sqrt(x)))"]),
    # inverse functions and logarithms of powers, identities on the domain
    ("log2(8^x)", ["3"]),
    ("2^log2(x)", ["1"]),
    ("sin(asin(x)) + tan(atan(x))", ["2"]),
    ("cos(asin(x))", ["-x/sqrt(1 - x^2)"]),
    ("log(4)/log(2)*log(3)/log(9)*x", ["1"]),
    # a variadic call's own fold printed as the one call that was typed
    ("hypot(x, y, z)", ["x/hypot(x, y, z)", "y/hypot(x, y, z)", "z/hypot(x, y, z)"]),
    # one sign: -(1 - s) is s - 1
    ("softplus(-x)", ["sigmoid(x) - 1"]),
    ("-y*log(sigmoid(x)) - (1 - y)*log(1 - sigmoid(x))",
     ["-x", "sigmoid(x) - y"]),
]


@pytest.mark.parametrize(("expression", "expected"), TEXTBOOK)
def test_textbook_forms(expression: str, expected: list[str]) -> None:
    tape, _ = derivatives(parse(expression, exact=True))
    assert [program(tape, k) for k in range(len(tape.outputs))] == expected


DECIMAL = re.compile(r"\d\.\d|\d\.(?!\d)|\d[eE]")

# -- random expressions over every primitive ----------------------------------------





def values(tape, point: dict[str, float]) -> list[float] | None:
    try:
        vals = primal(tape, {k: v for k, v in point.items() if k in tape.var_node})
    except (AdcalcError, ArithmeticError, ValueError):
        return None
    return [vals[o] for o in tape.outputs]


def close(a: float, b: float, scale: float) -> bool:
    if not (math.isfinite(a) and math.isfinite(b)):
        return True  # an overflow in one form and not the other says nothing
    return abs(a - b) <= 1e-7 * max(1.0, abs(a), abs(b), scale)



def points(rng: random.Random, count: int = 3) -> list[dict[str, float]]:
    return [{v: rng.choice([-1, 1]) * rng.uniform(0.15, 1.9) for v in "xyz"}
            for _ in range(count)]


@pytest.mark.parametrize("seed", range(4))
def test_the_canonical_form_is_the_same_function(seed: int) -> None:
    """canonical(tape) evaluates like the tape wherever the tape is defined."""
    rng = random.Random(seed)
    checked = 0
    for text in random_expressions(seed, 120, 7):
        tape = parse(text, exact=True)
        same = canonical(tape)
        for point in points(rng):
            want, got = values(tape, point), values(same, point)
            if want is None or not all(math.isfinite(w) for w in want):
                continue
            assert got is not None, (text, point, program(same))
            assert all(close(w, g, 0.0) for w, g in zip(want, got, strict=True)), (
                text, point, program(same), want, got)
            checked += 1
    assert checked > 150  # the points are mostly inside the domains


@pytest.mark.parametrize("seed", range(3))
def test_the_canonical_form_of_second_derivatives_is_the_same_function(seed: int) -> None:
    """The same over the tapes that rewrites meet most: second derivatives (the basic
    form, and the raw one a small tape is read from) of random expressions with roots in
    sums, where a sum's terms cancel as it is brought over one fraction line, and powers
    of exp that meet other exps."""
    rng = random.Random(200 + seed)
    checked = 0
    texts = random_expressions(200 + seed, 50, 5) + [
        f"sqrt({a} + sqrt({b}))^{e}" for a, b, e in
        (("x", "x", "3"), ("x^2", "x", "1"), ("x", "2*x", "(3/2)"), ("y*x", "x", "(-1)"))] + [
        "log(exp(2*x))", "log(x*exp(x))", "exp(x)^3*exp(-y)/exp(2*x)"]
    for text, level in [(t, lv) for t in texts for lv in ("basic", "none")]:
        basic, _ = derivatives(parse(text, exact=True), order=2, simplify=level)
        same = canonical(basic)
        for point in points(rng, 2):
            want, got = values(basic, point), values(same, point)
            if want is None or not all(math.isfinite(w) for w in want):
                continue
            assert got is not None, (text, point, program(same))
            assert all(close(w, g, 0.0) for w, g in zip(want, got, strict=True)), (
                text, point, program(same), want, got)
            checked += 1
    assert checked > 40


@pytest.mark.parametrize("seed", range(4))
def test_every_simplify_level_gives_the_reverse_sweeps_gradient(seed: int) -> None:
    """none, basic and full print the same derivative: each evaluates, wherever the
    function is defined and smooth, to the reverse sweep's gradient."""
    rng = random.Random(100 + seed)
    checked = 0
    for text in random_expressions(100 + seed, 60, 6):
        exact = parse(text, exact=True)
        floats = parse(text)
        names = list(floats.variables)
        if not names:
            continue
        forms = {level: derivatives(exact, simplify=level)[0]
                 for level in ("none", "basic", "full")}
        for point in points(rng, 2):
            p = {k: point[k] for k in names}
            try:
                vals = primal(floats, p)
                sweep = adjoint(floats, vals, {floats.output: 1.0})
            except (AdcalcError, ArithmeticError, ValueError):
                continue
            if sweep.nondiff:
                continue
            want = [sweep.adjoints[floats.var_node[n]] for n in names]
            if not all(math.isfinite(w) for w in want):
                continue
            scale = max(abs(v) for v in vals)  # cancellation is relative to the pieces
            # x^y's ∂/∂y is printed x^y*log(x), and (x^(1/3))' as 1/(3*x^(2/3)): undefined
            # at x = 0, where the sweeps give 0 (JAX's and PyTorch's convention, IEEE
            # partials): such points test nothing here.
            zero_base = any(op in (POW, POWC) and vals[a] == 0
                            for op, a in zip(floats.ops, floats.a0, strict=True))
            for level, tape in forms.items():
                got = values(tape, p)
                if got is None and (level != "full" or zero_base):
                    # the raw forms may pass through 0^(-2/3) times step(y) = 0 where the
                    # sweeps' IEEE partials (0·∞ = 0) give the derivative
                    continue
                assert got is not None, (text, level, p, program(tape))
                assert all(close(w, g, scale) for w, g in zip(want, got, strict=True)), (
                    text, level, p, program(tape), want, got)
            checked += 1
    assert checked > 40


@pytest.mark.parametrize("seed", range(3))
def test_partials_built_in_canonical_form_are_the_derivative_tapes(seed: int) -> None:
    """A small tape's first partials are built straight in the canonical form (the
    adjoint sweep over ``Canon``); they print as the canonical form of the derivative
    tape the rules make, as ``diff`` printed before there was that path: the same
    program, or where two factors' order follows the order their pieces were made in,
    the same characters in another order."""
    from adcalc.symbolic.derive import QUICK, each_derivative

    reordered = 0
    texts = [t for t in random_expressions(300 + seed, 150, 7)
             if len(parse(t, exact=True)) <= QUICK and parse(t).variables]
    for text in texts:
        tape = parse(text, exact=True)
        built = each_derivative(tape, None, 1, "full")[0]
        raw = each_derivative(tape, None, 1, "none")[0]
        read = canonical(raw, tape)  # (written for f's domain, as diff does)
        if read is raw:  # the canonical form swells: both print the basic one
            read = each_derivative(tape, None, 1, "basic")[0]
        if source(built) != source(read):
            assert sorted(source(built)) == sorted(source(read)), text
            reordered += 1
    assert len(texts) > 120 and reordered <= len(texts) // 50


def test_no_decimal_appears_that_the_user_did_not_type() -> None:
    """Exact literals in, exact formulas out: over random expressions with integer,
    rational and named literals, no printed derivative has a decimal point."""
    for text in random_expressions(7, 150, 6):
        tape, _ = derivatives(parse(text, exact=True))
        for k in range(len(tape.outputs)):
            printed = program(tape, k)
            assert not DECIMAL.search(printed), (text, printed)


@pytest.mark.parametrize("level", ["full", "basic", "none"])
def test_every_format_for_every_expression(level: str) -> None:
    """Random expressions over every primitive, through every renderer of diff: plain,
    Rich, LaTeX, JSON (strict: no NaN), with --order, --wrt, --cse and --at; a traceback
    anywhere fails."""
    import io
    import json

    from rich.console import Console

    from adcalc.commands.diff import diff
    from adcalc.render import diff_report
    from adcalc.render.json_out import dumps
    from adcalc.render.plain import render as plain
    from adcalc.render.rich_tty import render as rich

    rng = random.Random({"full": 1, "basic": 2, "none": 3}[level])
    for n, text in enumerate(random_expressions(200 + n_level(level), 40, 5)):
        names = list(parse(text).variables)
        at = points(rng, 1)[0] if n % 2 else None
        wrt = names[:1] if n % 3 == 0 and names else None
        try:
            d = diff(text, wrt, 1 + n % 2, {k: at[k] for k in names} if at else None, level)
        except AdcalcError:
            continue  # a domain error at the point: a message, tested elsewhere
        for cse in (False, True):
            assert plain(diff_report.blocks(d, cse))
            out = io.StringIO()
            rich(diff_report.blocks(d, cse), Console(file=out, width=80, force_terminal=True))
            assert out.getvalue()
            tex = diff_report.latex(d, cse)  # a constant: a comment says it has none
            assert tex.startswith("\\[\n\\begin{aligned}" if d.variables else "% "), tex
            json.loads(dumps(diff_report.to_json(d, cse)),
                       parse_constant=lambda c: pytest.fail(f"{c} in JSON"))


def n_level(level: str) -> int:
    return {"full": 0, "basic": 1, "none": 2}[level]


@pytest.mark.parametrize("text", ["(x + sqrt(x))^(3/2)", "sqrt(x + sqrt(x))",
                                  "sqrt(x + sqrt(x))^3", "sqrt(x^2 + sqrt(x))",
                                  "1/sqrt(x + sqrt(x))", "sqrt(x + 2*sqrt(x))"])
def test_a_factor_taken_out_and_cancelled_is_divided_out_whole(text: str) -> None:
    """A sum whose extreme term cancels as it is multiplied out keeps a factor in every
    term that the denominator also has (x^(1/2) over x): it is taken out of the sum whole,
    then cancelled.  Each printed formula, parsed back, equals the sweeps' value."""
    from adcalc.commands.diff import diff

    for order in (1, 2, 3):
        for x in (0.3, 1.7, 5.0):
            d = diff(text, order=order, at={"x": x})
            t = parse(program(d.tape, 0))
            got = primal(t, {n: x for n in t.variables})[t.output]
            assert math.isclose(got, d.values[0], rel_tol=1e-10), (text, order, x)
    tape, _ = derivatives(parse("(x + sqrt(x))^(3/2)", exact=True), order=2)
    assert program(tape, 0) == "3*(4*x + 2*sqrt(x) - 1)/(16*x*sqrt(x + sqrt(x)))"


def _random_polynomial(rng: random.Random, names: list[str]) -> str:
    terms = []
    for _ in range(rng.randint(1, 4)):
        mono = "*".join(f"{v}^{rng.randint(1, 3)}" for v in rng.sample(names, rng.randint(
            1, len(names))))
        terms.append(f"{rng.choice([-3, -2, -1, 1, 2, 5])}*{mono}")
    constant = rng.choice([0, 0, 0, 1, -2])
    return " + ".join(terms) + (f" + {constant}" if constant else "")


@pytest.mark.parametrize("seed", range(4))
def test_the_quick_ways_over_one_line_give_the_general_ones_node(seed: int) -> None:
    """``together`` of a polynomial sum (its common monomial and sign taken out, nothing
    multiplied out: ``_monomial_out``) and of a sum whose numerators add up to its one
    denominator (``_over_shared``) is the node the general way (``_together``) makes."""
    from adcalc.symbolic.canonical import Canon
    from adcalc.symbolic.canonical.table import ADD

    rng = random.Random(seed)
    checked = {"polynomial": 0, "shared": 0}
    for _ in range(300):
        top = _random_polynomial(rng, ["x", "y", "z"])
        below = rng.choice([["y", "1"], ["x", "y"], ["2*x", "3"], ["x*y", "1"],
                            ["x^2", "z", "-x*z"]])
        k, power = rng.choice([1, 2, -3]), rng.choice([1, 1, 2])
        over = " + ".join(f"{k}*({t})/({' + '.join(below)})^{power}" for t in below)
        extra = rng.choice(["", "", f" + x/({' + '.join(below)})"])
        for text in (top, over + extra):
            c = Canon()
            tape = parse(text, exact=True)
            i = c.read(tape)[tape.outputs[0]]
            if c.nodes[i][0] != ADD:
                continue
            if c._polynomial(i) == "polynomial":
                checked["polynomial"] += 1
                assert c._monomial_out(i) == c._together(i), text
            shared = c._over_shared(i)
            if shared is not None:
                checked["shared"] += 1
                assert shared == c._together(i), text
    assert checked["polynomial"] > 100 and checked["shared"] > 10, checked
