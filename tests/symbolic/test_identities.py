"""The identities of the canonical form (``canonical/identities``, ``signs``,
``rational``): the issue's exercises print as a person writes them, identically constant
derivatives print as the constant, and every rewrite is an identity inside the domain:
at random points the printed result equals the rules' own derivative to 30 digits
(mpmath), over random expressions of every primitive and of the pieces each rewrite
works on."""

from __future__ import annotations

import itertools
import math
import random
import re

import mpmath as mp
import pytest

from adcalc.commands.diff import diff
from adcalc.engine.describe import PLAIN
from adcalc.engine.sweeps import primal
from adcalc.errors import AdcalcError
from adcalc.frontend.parse import parse
from adcalc.symbolic.formula import formulas
from tests.helpers import random_expressions

EXERCISES = [
    ("sin(2*x) - 2*sin(x)*cos(x)", "x", "0"),
    ("1/cos(x)^2 - tan(x)^2", "x", "0"),
    ("exp(x)*sinh(x) - exp(2*x)/2", "x", "0"),
    ("sin(x)^2*cos(y) + cos(x)^2*cos(y)", "x", "0"),
    ("cosh(2*x) - 2*sinh(x)^2", "x", "0"),
    ("tan(x)*cos(x)", "x", "cos(x)"),
    ("(x^2 - 3*x + 2)/(x^2 - 4)", "x", "3/(x + 2)^2"),
    ("sin(x + y)*cos(x - y)", "x", "cos(2*x)"),
    ("sin(x)*cos(x)", "x", "cos(2*x)"),
    ("sinh(x)*cosh(x)", "x", "cosh(2*x)"),
    ("log(cosh(x))", "x", "tanh(x)"),
    ("asin(x/sqrt(1 + x^2))", "x", "1/(x^2 + 1)"),
    ("acos((1 - x^2)/(1 + x^2))", "x", "2*sign(x)/(x^2 + 1)"),
    ("abs(x)^3", "x", "3*x*abs(x)"),
    ("abs(x)^2", "x", "2*x"),
    ("-y*log(sigmoid(z)) - (1 - y)*log(1 - sigmoid(z))", "y", "-z"),
    ("softplus(x) - softplus(-x)", "x", "1"),
    ("2^(x^2)", "x", "2*x*2^(x^2)*log(2)"),
    # rational functions of several variables (gcd over ℚ), sums of sines and cosines
    # meeting as products (sum-to-product)
    ("(x^2 - y^2)/(x - y)", "x", "1"),
    ("(x*y + x)/(y + 1)", "x", "1"),
    ("(x*y + x)/(y + 1)", "y", "0"),
    ("(x + y)^2/(x^2 - y^2)", "x", "-2*y/(x - y)^2"),
    ("(x^2 - x*y)/(x^2 - y^2)", "x", "y/(x + y)^2"),
    ("(x*y + x + y + 1)/(x*y - x + y - 1)", "y", "-2/(y - 1)^2"),
    ("(x*y + x + y + 1)/(x*y - x + y - 1)", "x", "0"),
    ("(x^2*z - y^2*z)/(x + y)", "y", "-z"),
    ("sin(x + h) - sin(x - h)", "x", "-2*sin(x)*sin(h)"),
    ("-cos(x + h) - cos(x - h)", "x", "2*sin(x)*cos(h)"),
    ("(sin(3*x) + sin(x))/(cos(3*x) + cos(x))", "x", "2/cos(2*x)^2"),
    ("(cos(x) - cos(3*x))/(sin(3*x) - sin(x))", "x", "2/cos(2*x)^2"),
    ("cos(3*x)*cos(x)", "x", "-2*sin(4*x) - sin(2*x)"),  # x - 3*x read as -2*x, not sin(-2*x)
    ("(cos(x) + cos(3*x))/cos(2*x)", "x", "-2*sin(x)"),
    ("(sin(5*x) - sin(3*x))/cos(4*x)", "x", "2*cos(x)"),
    ("(cos(x) - cos(5*x))/(sin(x)*sin(3*x))", "x", "-4*sin(x)"),
    ("cos(2*x)/(cos(x) - sin(x))", "x", "cos(x) - sin(x)"),  # over the conjugate
    ("cos(2*x)/(sin(x) - cos(x))^2", "x", "2/(sin(x) - cos(x))^2"),
    # σ meets tanh, cosh and sinh of an angle with a part in common: σ(u) = (1 + tanh(u/2))/2
    ("sigmoid(2*x) - (1 + tanh(x))/2", "x", "0"),
    ("tanh(x/2) - (2*sigmoid(x) - 1)", "x", "0"),
    ("sigmoid(x)*cosh(x)", "x", "(exp(x) - 1)/2 + sigmoid(x)*cosh(x)*(1 - sigmoid(x))"),
    # what f's domain says of an input's sign (log(x): x > 0; sqrt(y), x^(1/3): >= 0)
    ("log(x, x^2)", "x", "0"),
    ("log(x^2)/log(x)", "x", "0"),
    ("(x^3)^(1/3)", "x", "1"),
    ("sqrt(x*y) - sqrt(x)*sqrt(y)", "x", "0"),
    ("abs(x) + log(x)", "x", "1/x + 1"),
    ("log(x^y)*log(x)", "x", "2*y*log(x)/x"),
    # |k·u| = |k|·|u|; |cos(x)| and sign(cos(x)) meet what cos(x) meets
    ("(2*x)/abs(2*x)", "x", "0"),
    ("cos(x)*sqrt(1 + tan(x)^2)", "x", "0"),
]


@pytest.mark.parametrize(("expression", "wrt", "expected"), EXERCISES)
def test_the_issues_exercises(expression: str, wrt: str, expected: str) -> None:
    d = diff(expression, wrt=[wrt])
    f = formulas(d.tape, PLAIN)
    assert not f.lets
    assert PLAIN.text(f.outputs[0]) == expected


def test_a_power_in_an_exponent_is_parenthesised() -> None:
    d = diff("x^(y^2)", wrt=["y"])
    assert "^(y^2)" in PLAIN.text(formulas(d.tape, PLAIN).outputs[0])


mp.mp.dps = 40
_NAMES = {
    "sin": mp.sin, "cos": mp.cos, "tan": mp.tan, "asin": mp.asin, "acos": mp.acos,
    "atan": mp.atan, "sinh": mp.sinh, "cosh": mp.cosh, "tanh": mp.tanh, "exp": mp.exp,
    "log": lambda u, b=None: mp.log(u) if b is None else mp.log(u) / mp.log(b),
    "log2": lambda u: mp.log(u, 2), "log10": lambda u: mp.log(u, 10), "sqrt": mp.sqrt,
    "abs": abs, "sign": mp.sign, "step": lambda u: mp.mpf(u > 0),
    "sigmoid": lambda u: 1 / (1 + mp.exp(-u)), "relu": lambda u: max(u, 0),
    "softplus": lambda u: mp.log(1 + mp.exp(u)), "atan2": mp.atan2,
    "min": min, "max": max, "hypot": lambda a, b: mp.sqrt(a * a + b * b),
    "stop_gradient": lambda u: u, "pi": mp.pi, "e": mp.e,
}


_NUMBER = re.compile(r"(?<![A-Za-z_0-9.])(\d+(?:\.\d+)?)")


def _python(text: str) -> str:
    """adcalc's text as Python over mpmath: ``^`` is ``**``, every number an mpf (so
    ``1/3`` is a third to 40 digits, not a double)."""
    return _NUMBER.sub(r"mpf('\1')", text).replace("^", "**")


def precise(program_text: str, point: dict[str, mp.mpf]) -> mp.mpf:
    """A printed program (``t1 = …; formula``) evaluated in mpmath at 40 digits
    (whatever precision an earlier test left mpmath at: grad --precision sets it)."""
    scope = dict(_NAMES, mpf=mp.mpf, **point)
    *lets, last = program_text.split("; ")
    with mp.workdps(40):
        for let in lets:
            name, value = let.split(" = ", 1)
            scope[name] = eval(_python(value), {}, scope)
        return +eval(_python(last), {}, scope)


def printed(expression: str, simplify: str, order: int = 1) -> list[str]:
    d = diff(expression, simplify=simplify, order=order)
    f = formulas(d.tape, PLAIN)
    lets = [f"{n} = {PLAIN.text(t)}" for n, t in f.lets]
    return ["; ".join([*lets, PLAIN.text(o)]) for o in f.outputs]


def defined_at(text: str, point: dict[str, mp.mpf]) -> bool:
    """Whether f itself has a value at ``point`` (adcalc's own sweep, in doubles): a
    derivative's formula is written for f's domain (``log(x) + abs(x)``'s is ``1/x + 1``,
    which the rules' ``1/x + sign(x)`` is wherever f has a value, not at x < 0)."""
    tape = parse(text)
    try:
        values = primal(tape, {v: float(point[v]) for v in tape.variables})
    except (AdcalcError, ArithmeticError, ValueError):
        return False
    return all(math.isfinite(values[o]) for o in tape.outputs)


def same_at_random_points(texts: list[str], rng: random.Random, order: int = 1) -> int:
    checked = 0
    for text in texts:
        try:
            full, none = printed(text, "full", order), printed(text, "none", order)
        except AdcalcError:
            continue  # no value anywhere
        for _ in range(3):
            point = {v: mp.mpf(rng.choice([-1, 1]) * rng.uniform(0.15, 1.9)) for v in "xyz"}
            if not defined_at(text, point):
                continue  # outside f's domain: its derivative means nothing there
            for a, b in zip(full, none, strict=True):
                try:
                    want = precise(b, point)
                except (ZeroDivisionError, ValueError, TypeError, OverflowError, AttributeError):
                    continue  # outside the domain
                if not isinstance(want, (mp.mpf, int, float)) or not mp.isfinite(want):
                    continue
                got = precise(a, point)
                assert abs(got - want) <= mp.mpf(10) ** -30 * max(1, abs(want)), (
                    text, a, b, point)
                checked += 1
    return checked


PIECES = ["sin", "cos", "tan", "sinh", "cosh", "tanh", "exp", "abs", "sign", "sigmoid",
          "softplus", "log", "sqrt"]


def identity_expressions(seed: int, count: int) -> list[str]:
    """Sums and products of the pieces the identities rewrite, of multiples and sums of
    angles (``sin(2*x)*cos(x - y)``, ``log(1 - sigmoid(x))``, ``abs(y)^3``)."""
    rng = random.Random(seed)
    args = ["x", "2*x", "x + y", "x - y", "x/2", "3*x", "-x", "x*y", "x^2 + 1"]
    out = []
    for _ in range(count):
        terms = []
        for _ in range(rng.randint(1, 3)):
            factors = []
            for _ in range(rng.randint(1, 3)):
                f, a = rng.choice(PIECES), rng.choice(args)
                if f == "log":
                    piece = rng.choice([f"log(sigmoid({a}))", f"log(1 - sigmoid({a}))",
                                        f"log(cosh({a}))", f"log({a}^2 + 1)"])
                elif f == "sqrt":
                    piece = rng.choice([f"sqrt(({a})^2)", f"sqrt(4*({a})^2/(x^2 + 1)^2)",
                                        f"sqrt(1/(({a})^2 + 1))"])
                else:
                    piece = f"{f}({a})"
                factors.append(piece + rng.choice(["", "^2", "^3", "^(-1)"]))
            terms.append(rng.choice(["", "2*", "-", "1/2*"]) + "*".join(factors))
        out.append(" + ".join(terms).replace("+ -", "- "))
    return out


@pytest.mark.parametrize("seed", range(3))
def test_every_identity_holds_to_30_digits(seed: int) -> None:
    rng = random.Random(seed)
    assert same_at_random_points(identity_expressions(seed, 60), rng) > 100


@pytest.mark.parametrize("seed", range(2))
def test_every_primitive_holds_to_30_digits(seed: int) -> None:
    rng = random.Random(seed + 10)
    assert same_at_random_points(random_expressions(seed + 20, 50, 6), rng) > 60


def monomials(names: tuple[str, str, str]) -> list[str]:
    """Every product of the three functions of x to powers -2 to 2, two at least."""
    out = []
    for powers in itertools.product([-2, -1, 0, 1, 2], repeat=3):
        parts = [f"{f}(x)" if k == 1 else f"{f}(x)^({k})"
                 for f, k in zip(names, powers, strict=True) if k]
        if len(parts) >= 2:
            out.append("*".join(parts))
    return out


@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("names", [("sin", "cos", "tan"), ("sinh", "cosh", "tanh")],
                         ids=["trig", "hyperbolic"])
def test_every_product_of_sines_cosines_and_tangents_holds_to_30_digits(names, order):
    """sin(x)^2/tan(x) printed 2*cos(x)^2 - tan(x)^2 (a tan made from sin/cos took the
    place of the tan among the factors: ``ratios``), atan(1/tan(x)) -tan(x)^2 for -1,
    tan(x)*(1/cos(x)) a wrong second derivative; the same with sinh and tanh."""
    texts = monomials(names)
    assert same_at_random_points(texts, random.Random(7), order) > 2 * len(texts)


@pytest.mark.parametrize(("expression", "expected"), [
    ("sin(x)^2/tan(x)", "cos(2*x)"), ("atan(1/tan(x))", "-1"),
    ("sinh(x)^2/tanh(x)", "cosh(2*x)")])
def test_a_tangent_among_sines_and_cosines_keeps_its_power(expression, expected):
    assert printed(expression, "full") == [expected]


@pytest.mark.parametrize("text", [
    "(x^3 - y*x^2)/(x^2 - y^2)", "(x^2 - 1)/(x^3 - 1)", "(x^4 - 1)/(x^2 + 1)^2",
    "(x^2 - 3*x + 2)/(x^2 - 4) + exp(x)", "(x^2 + 2*x + 1)/(x^2 - 1)",
])
def test_rational_cancellation_holds_to_30_digits(text: str) -> None:
    assert same_at_random_points([text], random.Random(5)) >= 1


SQUARES = ["x^2 + 2*x + 1", "x^2 - 2*x*y + y^2", "4*x^4 - 4*x^2 + 1", "x^4 - 2*x^2 + 1",
           "x^2 + 6*x + 9"]
"""Perfect squares multiplied out: the root of one is an abs, never the base itself."""


@pytest.mark.parametrize("square", SQUARES)
@pytest.mark.parametrize("form", ["1/sqrt({s})", "({s})^(-3/2)", "x/sqrt({s})",
                                  "sqrt({s})/({s})", "exp(x)/sqrt({s})", "sqrt({s})^3",
                                  "({s})^(3/2)/(x + 2)"])
def test_a_root_of_a_square_multiplied_out_holds_where_its_base_is_negative(
        square: str, form: str) -> None:
    """``1/sqrt(x^2 + 2*x + 1)`` is ``1/abs(x + 1)``: its derivative is not ``-1/(x +
    1)^2`` (a denominator to a fractional power is not split into the factors of its
    gcd with the numerator, which holds only where they are positive).  Checked, first
    and second order, at points where the square's root is negative (x < -1, x < y, …)."""
    text = form.format(s=square)
    points = [{"x": mp.mpf(v), "y": mp.mpf(w), "z": mp.mpf(1)} for v, w in
              [("-1.7", "0.4"), ("-3.9", "1.3"), ("0.3", "1.9"), ("-0.6", "0.25"), ("2.2", "-1")]]
    checked = 0
    for order in (1, 2):
        d_full, d_none = (diff(text, order=order, simplify=s) for s in ("full", "none"))
        full, none = (["; ".join([*(f"{n} = {PLAIN.text(t)}" for n, t in f.lets),
                                   PLAIN.text(o)]) for o in f.outputs]
                      for f in (formulas(d_full.tape, PLAIN), formulas(d_none.tape, PLAIN)))
        for point in points:
            for a, b in zip(full, none, strict=True):
                try:
                    want = precise(b, point)
                except (ZeroDivisionError, ValueError, TypeError):
                    continue  # outside the domain
                if not isinstance(want, mp.mpf) or not mp.isfinite(want):
                    continue
                got = precise(a, point)
                assert abs(got - want) <= mp.mpf(10) ** -30 * max(1, abs(want)), (
                    text, order, a, b, point)
                checked += 1
    assert checked >= 8


@pytest.mark.parametrize("expression", ["0^x", "0^(x^2 + 1)", "(x - x)^x"])
def test_a_power_of_exactly_0_has_the_derivative_0(expression: str) -> None:
    """0^x printed 0^x*log(0): a formula with no value anywhere (adcalc refused it when
    read back), for the derivative 0 of 0^x wherever it is defined (x > 0)."""
    assert printed(expression, "full") == ["0"]
    assert printed(expression, "full", 2) == ["0"]
    assert diff(expression, at={"x": 2.0}).values == [0.0]


@pytest.mark.parametrize(("expression", "expected"), [
    ("x*sin(pi)", "0"), ("x*cos(pi/3)", "1/2"), ("x*sin(7*pi/6)", "-1/2"),
    ("x*cos(3*pi)", "-1"), ("x*tan(-2*pi)", "0"), ("x*sin(pi/4)", "sin(pi/4)"),
    ("x*tan(pi/4)", "1"), ("x*tan(3*pi/4)", "-1"), ("x*tan(pi/3)", "tan(pi/3)")])
def test_sin_cos_and_tan_of_a_multiple_of_pi_are_exact_where_rational(expression, expected):
    assert printed(expression, "full") == [expected]


@pytest.mark.parametrize("expression", ["x/sin(pi)", "x/tan(pi)", "x/cos(pi/2)",
                                        "x*tan(pi/2)", "tan(-3*pi/2) + x"])
def test_dividing_by_the_sine_of_pi_has_no_value_anywhere(expression: str) -> None:
    """x/sin(pi) printed 1/sin(pi), and --at the rounding error 8165619676597685.0."""
    with pytest.raises(AdcalcError, match="no value anywhere"):
        diff(expression)


@pytest.mark.parametrize(("expression", "wrt", "expected"), [
    ("a = log(x); abs(x)", "x", "sign(x)"),  # a binding never used: f has no log(x)
    ("x^y + abs(x)", "x", "x^(y - 1)*y + sign(x)"),  # ∂f/∂y's log(x) is not f's
    ("stop_gradient(log(x)) + abs(x)", "x", "1"),  # f's value reads log(x)
    ("sqrt(x) + x*sign(x)", "x", "sign(x) + 1/(2*sqrt(x))"),  # x >= 0: sign(0) is 0
])
def test_only_what_f_itself_reads_says_an_inputs_sign(expression, wrt, expected) -> None:
    assert printed(expression, "full")[0] == expected


def domain_expressions(seed: int, count: int) -> list[str]:
    """Sums and products of pieces whose domain fixes an input's sign (``log(x)``,
    ``sqrt(y)``, ``x^(1/3)``) and the pieces that sign rewrites (``abs``, ``sign``, a log
    of a power, a root of a product, a power of a power)."""
    rng = random.Random(seed)
    fixes = ["log(x)", "sqrt(y)", "x^(1/3)", "(y^3)^(1/2)", "log10(x)", "x^(-1/2)",
             "log(x, y + 2)"]
    rewritten = ["abs(x)", "abs(y)", "sign(x)", "sign(y)", "log(x^2)", "log(y^3 + 1)",
                 "sqrt(x*y)", "(x^3)^(1/3)", "sqrt(4*x^2*y)", "abs(2*x*y)", "log(x^y)",
                 "abs(x - y)", "sqrt(x)^3", "(x*y)^(3/2)", "z*abs(z)"]
    out = []
    for _ in range(count):
        terms = []
        for _ in range(rng.randint(1, 3)):
            factors = [rng.choice(rewritten) for _ in range(rng.randint(1, 2))]
            if rng.random() < 0.7:
                factors.insert(rng.randint(0, len(factors)), rng.choice(fixes))
            terms.append(rng.choice(["", "2*", "-"]) + "*".join(factors))
        out.append(" + ".join(terms).replace("+ -", "- "))
    return out


@pytest.mark.parametrize("seed", range(2))
def test_every_rewrite_by_an_inputs_sign_holds_to_30_digits_inside_fs_domain(seed) -> None:
    """Each rewrite that rests on what f's domain says of an input's sign is an
    identity there: at random points where f has a value, the printed derivative (first
    and second order) equals the rules' own to 30 digits."""
    rng = random.Random(seed + 30)
    texts = domain_expressions(seed + 40, 50)
    assert same_at_random_points(texts, rng) > 60
    assert same_at_random_points(texts[:20], rng, 2) > 20


@pytest.mark.parametrize(("expression", "said"), [
    ("log(x) + sqrt(-x)", "sqrt(-x) has no value wherever log(x) is defined, so the "
     "expression has none anywhere"),
    ("log(x) + 1/(abs(x) - x)", "which is 0 wherever log(x) is defined, so the "
     "expression has no value anywhere"),
    ("log(y) + log(x) + sqrt(-x)", "sqrt(-x) has no value wherever log(x) is defined"),
    # a finding that rests on no input's sign says so, whatever f reads besides
    ("sqrt(x) + 1/(y - y)", "divides by y - y, which is 0 everywhere, so it has no value"),
    ("log(x) + log(abs(y - y))", "abs(y - y) is 0 or negative wherever it is defined"),
])
def test_a_piece_found_undefined_by_an_inputs_sign_says_where(expression, said) -> None:
    """``1/(abs(x) - x)`` has values (x < 0), but none where log(x) has one: the message
    says so, not that the piece has no value anywhere."""
    with pytest.raises(AdcalcError) as caught:
        diff(expression)
    assert said in str(caught.value)
