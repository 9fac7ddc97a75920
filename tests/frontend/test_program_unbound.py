"""Names bound only in a loop that did not run, undefined loop counts and indices, and
exact results too long to print: clear messages, never an input made up or a traceback."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction

import pytest

from adcalc.commands.diff import diff
from adcalc.commands.grad import gradient
from adcalc.commands.vector import jacobian
from adcalc.engine.exact import _digits, text
from adcalc.errors import ParseError

NOT_RUN = ["for i in 3..1 { t = x }; t", "y = x; while y > 5 { t = y; y = y/2 }; t",
           "y = a; while y > 5 { b = b - 0.1*a; y = y/2 }; [a, b]"]


@pytest.mark.parametrize("program", NOT_RUN)
def test_a_name_bound_only_in_a_loop_that_did_not_run_is_no_input(program):
    point = {"x": 1.0, "t": 7.0} if "x" in program else {"a": 1.0, "b": 0.2}
    with pytest.raises(ParseError, match=r"(t|b) has no value here: the program binds it only "
                                         "inside a loop that did not run"):
        (jacobian if "[" in program else gradient)(program, point)


def test_where_the_loop_runs_the_name_is_its_binding():
    got = gradient("y = x; while y > 5 { t = y; y = y/2 }; t", {"x": 20.0}).gradient
    assert got == {"x": 0.5}  # t = x/2 after the first halving (10 > 5, 5 is not)


def test_diff_refuses_a_name_bound_in_a_loop_of_no_iteration():
    with pytest.raises(ParseError, match="t has no value here"):
        diff("for i in 3..1 { t = x }; t")


@pytest.mark.parametrize("program, what", [
    ("s = x; repeat 0/0 { s = s + 1 }; s", "the count of `repeat 0/0`"),
    ("s = x; for i in 1..1/0 { s = s + 1 }; s", "the end of `for i in 1..1/0`"),
    ("n = log(0); s = x; repeat n { s = s + 1 }; s", "the count of `repeat n`"),
    ("s = x; for i in 1..2 { s = s + w[i/0] }; s", r"an index of w\[…\]"),
])
def test_an_undefined_count_or_index_is_said_so(program, what):
    with pytest.raises(ParseError, match=what + " has no value: it divides by zero"):
        gradient(program, {"x": 1.0})


def test_an_exact_result_too_long_to_print_is_no_traceback():
    for n in (1, 9, 10, 99, 100, 10**50 - 1, 10**50, 10**4000):
        assert _digits(n) == len(str(n))
    q = Fraction(10**5000 + 1, 7 * 10**6000)  # 5,001 and 6,001 digits, in lowest terms
    said = "(exactly: a ratio of 5,001 and 6,001 digits, too long to print)"
    assert text(q) == f"{float(q)!r} {said}"
    r = subprocess.run([sys.executable, "-m", "adcalc", "grad",
                        "y = x; repeat 13 { y = (y + x/y)/2 }; y", "--at", "x=2", "--exact", "-q"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert r.stdout.startswith("∂f/∂x = 0.353553390593273") and "too long to print" in r.stdout


@pytest.mark.parametrize(("q", "said"), [
    (Fraction(1, 10**400), "1e-400"), (Fraction(-3, 10**400), "-3e-400"),
    (Fraction(1234567890123456789, 10**19), "0.1234567890123456789"),
    (Fraction(12345678901234567891, 10**7), "1234567890123.4567891"),
    (Fraction(123456789, 10**40), "1.23456789e-32"), (Fraction(1, 10), "0.1"),
    (Fraction(123, 1000), "0.123"), (Fraction(15, 10**6), "3/200000"), (Fraction(1, 3), "1/3"),
])
def test_a_decimal_past_a_doubles_digits_or_range_prints_as_one_exactly(q, said):
    """A power-of-ten denominator prints as the decimal it is, exactly, also past a
    double's 17 digits or its range (1e-400 printed as 1/1000…0, 401 digits; the
    derivative of a 1000-step loop multiplying by 0.999 as 3,300 characters): read back,
    it is the same rational."""
    assert text(q) == said and Fraction(said) == q


@pytest.mark.parametrize(("typed", "printed"), [
    ("1e-400*x", "1e-400"), ("x*0.1234567890123456789", "0.1234567890123456789")])
def test_diff_prints_a_long_literal_as_it_was_typed(typed, printed):
    from adcalc.commands.diff import diff
    from adcalc.engine.describe import PLAIN
    from adcalc.symbolic.formula import formulas

    f = formulas(diff(typed).tape, PLAIN)
    assert [PLAIN.text(t) for t in f.outputs] == [printed]
