"""The lean LALR driver builds exactly the tapes Lark's own loop builds."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adcalc.errors import AdcalcError, ParseError
from adcalc.frontend.parse import parse
from tests.helpers import expressions


def same(text: str) -> None:
    a, b = parse(text), parse(text, fast=False)
    assert (a.ops, a.a0, a.a1, a.consts) == (b.ops, b.a0, b.a1, b.consts)
    assert (a.variables, a.outputs, a.names, a.warnings) == (b.variables, b.outputs, b.names,
                                                             b.warnings)


@pytest.mark.parametrize("text", [
    "log((x1+x2)^2 + sin(x1*x2))", "-x^2", "2^-1*x", "2**3**2 + x", "x*-y", "+x - -y",
    "a = x1 + x2; b = x1*x2; log(a^2 + sin(b))",
    "# comment\na = x1 + x2  # the sum\nb = x1*x2\n\nlog(a^2\n    + sin(b))\n",
    "a = x\n  + y\n[a, a^2,\n a*x]", "softmax([x, y, z]) * 2", "dot([x, y], [y, x]);",
    "max(x, y, 1) + hypot(x, y) + log(x, 2) + pow(x, y)", ".5 + 1e-3 + 6.02E23*x",
    "neuron(w, b, x) = tanh(w*x + b); neuron(w[1], b[1], x) + neuron(w[2], b[2], x)",
    "sq(t) = t^2\nw[1] = x[1] + 1\nsq(w[1]) * x[2]", "f(a, c) = [a*c, a + c]; f(x, y)",
    "πr^2 + 2πr", "s = [x^2, y]; s[1] + s[2]", "f = x^2\n- 2*x", "a = x; g(t) = t; y",
    "s = [x, y]\nf(t) = t*s[2]\nf(s[1])",
])
def test_same_tapes_on_examples(text: str) -> None:
    same(text)


@settings(max_examples=300, deadline=None)
@given(expressions())
def test_same_tapes_on_random_expressions(text: str) -> None:
    same(text)


@pytest.mark.parametrize("text", ["sin(x", "x +* 2", "2x", "x $ 2", "", "a = 1", "[x,", "[x, y",
                                  "s = [x]; s[2]", "a = x\n- 1\na"])
def test_errors_are_lark_s_own(text: str) -> None:
    with pytest.raises(ParseError) as fast:
        parse(text)
    with pytest.raises(ParseError) as slow:
        parse(text, fast=False)
    assert str(fast.value) == str(slow.value)


@pytest.mark.parametrize("text", [
    "if x > 0 then x^2 else -x", "y = x; repeat 8 { y = (y + x/y)/2 }; y",
    "s = 0\nfor i in 1..3 {\n  s = s + w[i]*x[i]\n}\ns", "y = x; while y > 1e-3 { y = y/2 }; y",
    "f(t) = { u = t; if u > 1 then u else -u }; f(x) + f(y)", "v[1,2]*x + w[1]",
    "if x > 0 and not (y < 1 or x == 2)\n  then x\n  else if y >= 0 then y else 0",
    "a = x; a = a*2; a", "y = (if x > 0 then x else 0)*2; y",
])
def test_same_tapes_on_programs(text: str) -> None:
    outcome(text)


def test_semantic_errors_from_callbacks_still_point_at_the_name() -> None:
    with pytest.raises(ParseError) as e:
        parse("x + sni(y)")
    assert str(e.value).endswith("  x + sni(y)\n      ^")


@pytest.mark.parametrize("text", ["x + # y", "x^3 * # cubed times x", "x*(# y\n2)",
                                  "a = x # b = y\na + # y", "x #", "#\nx", "sin(#x)\nx)"])
def test_a_comment_is_never_code(text: str) -> None:
    """The text ends inside a comment: nothing of it may be read as tokens."""
    outcome(text)  # the same on both parsers
    if text.endswith("# y"):
        with pytest.raises(ParseError):
            parse(text)


class Everywhere(dict):
    """A point that gives every name the value 0.5 (for programs the fuzzer makes up)."""

    def __contains__(self, name: object) -> bool:
        return True

    def __missing__(self, name: str) -> float:
        return 0.5


def outcome(text: str) -> None:
    """Both parsers build identical tapes, or both fail with the same message; a program
    with control flow is traced at a point by both, with the same tapes or messages."""
    try:
        a = parse(text, at=Everywhere(), max_steps=50)
    except AdcalcError as exc:
        with pytest.raises(AdcalcError) as slow:
            parse(text, fast=False, at=Everywhere(), max_steps=50)
        assert str(slow.value) == str(exc)
        return
    b = parse(text, fast=False, at=Everywhere(), max_steps=50)
    assert a.decisions == b.decisions
    assert (a.ops, a.a0, a.a1, a.consts) == (b.ops, b.a0, b.a1, b.consts)
    assert (a.variables, a.outputs, a.names, a.warnings) == (b.variables, b.outputs, b.names,
                                                             b.warnings)


TOKENS = ["x", "y", "a", "sin", "log", "max", "softmax", "pi", "e", "2", "0", ".5", "1e3",
          "1e999", "+", "-", "*", "/", "^", "**", "(", ")", "[", "]", ",", ";", "=", "#",
          "# c", " ", "\n", "\t", "\r\n", "$", "é", "x1", "_", "3x", "w[1]", "[2]", "f(",
          "f(x) = ", "f(t) = t^2;", "x[", "]", "π", "2π", "πr", "s = [x, y];", "s[1]", "s[3]",
          "s[0]", "\n-", "\n+ ", "if ", " then ", " else ", "x > 0", " and ", " or ", "not ",
          "<=", "==", "!=", "<", "repeat 3 {", "for i in 1..3 {", "while x > 1 {", "{", "}",
          "..", "w[i]", "v[1,2]", "v[i, i+1]", "x = x/2;", "i", "iffy", "y = x;"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=14).map("".join))
def test_token_soups_parse_alike(text: str) -> None:
    outcome(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=20))
def test_random_text_parses_alike(text: str) -> None:
    outcome(text)


@pytest.mark.parametrize(("text", "value"), [
    ("a = x\n-a", -2.0),           # a sign in the first column starts a new statement
    ("a = x\n+a*3", 6.0),
    ("a = x\n  - 1\na", 1.0),      # indented, it continues the line before: a = x - 1
    ("x\n  + 1", 3.0),
    ("a = x\r\n-a", -2.0),
])
def test_a_leading_sign_on_a_new_line(text: str, value: float) -> None:
    from adcalc.engine.sweeps import primal

    outcome(text)
    tape = parse(text)
    assert primal(tape, {"x": 2.0})[tape.output] == value
