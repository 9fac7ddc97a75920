"""Fuzz every command and every text format with random command lines, in-process.

The property, whatever the input: the exit code is 0, 1 or 2; nothing escapes as an
exception (a traceback); a nonzero exit says why, on a line starting ``error:`` (adcalc)
or ``Error:``/``Usage:`` (click); ``--format json`` that succeeds prints strict JSON; and
no numeric warning (overflow, invalid value) comes out of adcalc's code, the sign of an
inf or a NaN that was computed and not reported. An expression that starts with '-' is
read the same before the options as after ``--``.

The inputs mix well-formed expressions (``expressions()`` of the property tests, vectors,
programs with bindings and comments) with token soups and single-token mutations, and
the options with valid values, typos, duplicates, junk, non-finite and huge numbers,
constant and vector expressions. Nothing is written: no ``-o``, and the commands run in
an empty folder, so an ``@file`` made up by the fuzzer names nothing of the project.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from collections.abc import Iterator
from datetime import timedelta

import click
import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from adcalc.cli import main
from tests.helpers import expressions

# ADCALC_FUZZ_EXAMPLES=5000 for a long exploratory run; ADCALC_FUZZ_SHRINK=1 to shrink a
# failure to a minimal command line (minutes when several tests fail, so off by default:
# the failure message already holds the exact command line).
EXAMPLES = int(os.environ.get("ADCALC_FUZZ_EXAMPLES", "150"))
SHRINK = bool(os.environ.get("ADCALC_FUZZ_SHRINK"))
FUZZ = settings(max_examples=EXAMPLES, deadline=timedelta(seconds=10), print_blob=True,
                phases=[p for p in Phase if SHRINK or p not in (Phase.shrink, Phase.explain)],
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])

VARS = ["x", "y", "z"]
OTHER_NAMES = ["a", "b", "w", "x1", "x_1", "y2", "X", "xx", "_", "f1", "f2", "pi", "e",
               "sin", "log", "softmax"]
BAD_NAMES = ["", " ", "1x", "x-y", "x y", "é", "x.y", "*", "--at", "x=1", "=", "x,", "(x)"]
FUNCTIONS = ["sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "exp",
             "log", "log2", "log10", "sqrt", "abs", "sign", "step", "sigmoid", "relu",
             "softplus", "pow", "atan2", "min", "max", "hypot", "sum", "prod", "dot", "norm",
             "logsumexp", "softmax"]

NUMBERS = ["0", "1", "-1", "2", "0.5", "-2.5", "3", "1e-3", ".5", "1.", "-0", "+1",
           "1e308", "-1e308", "1.7976931348623157e308", "1e-320", "5e-324", "1e-300",
           "1e154", "1e155", "1e-155", "10", "100", "710", "-745", "1e16"]
NON_FINITE = ["nan", "NaN", "-nan", "inf", "-inf", "Infinity", "-Infinity", "infinity",
              "1e309", "-1e999", "1" * 400]
CONSTANT_EXPRESSIONS = ["pi/4", "e", "-pi", "pi", "2*pi", "e^2", "sqrt(2)", "log(2)",
                        "max(1,2)", "min(1, 2, 3)", "atan2(0, 0)", "-(1)", "1/3",
                        "2^1023", "2^1024", "10^308*10", "exp(709)", "exp(710)", "1e308*10",
                        "1/0", "0/0", "log(0)", "log(-1)", "sqrt(-1)", "asin(2)", "0^0",
                        "0^-1", "(-8)^(1/3)", "pi^1e308", "sum([1,2])", "norm([3,4])",
                        "dot([1,2],[3,4])", "logsumexp([1,2])", "softmax([1,2])", "[1,2]",
                        "[1]", "[]", "softmax([1])", "a = 1; a", "a=2", "1;2", "1 # c",
                        "# c", "1\n2", "pi(1)", "sin", "sin(x)"]
JUNK_VALUES = ["", " ", "abc", "x", "y + 1", "1e", "1..2", "(", ")", "((1)", "1)", "pi/",
               "0x10", "0x1p3", "1_000", "\u0663", "\u00bd", "1 2", "--1", "++1", "1e+",
               "@x", "-", "=", "$", "'1'", "\"1\"", "1,2", "1=2", "\t1", "1\n", "\x00", "é"]
VALUES = st.one_of(
    st.sampled_from(NUMBERS),
    st.sampled_from(NUMBERS),
    st.floats(allow_nan=False, allow_infinity=False, width=64).map(repr),
    st.integers(-(10**12), 10**12).map(str),
    st.sampled_from(NON_FINITE),
    st.sampled_from(CONSTANT_EXPRESSIONS),
    st.sampled_from(JUNK_VALUES),
)
GOOD_VALUES = st.one_of(st.sampled_from(["0", "1", "-1", "0.5", "2", "1.25", "-0.75", "3"]),
                        st.floats(-3, 3, allow_nan=False).map(repr),
                        st.sampled_from(["pi/4", "e", "-pi/6", "sqrt(2)"]))

FINITE_VALUES = st.one_of(st.sampled_from(NUMBERS),
                          st.floats(allow_nan=False, allow_infinity=False).map(repr))

TOKENS = [
    "x", "y", "z", "a", "b", "x1", "_", "pi", "e", "f1", *NUMBERS[:16], *NON_FINITE[:6],
    "+", "-", "*", "/", "^", "**", "(", ")", "[", "]", ",", ";", "=", "#", "\n", " ", "\t",
    "\r", "\r\n", ".", "$", "'", "\"", "!", "é", "\u2212", "\u00d7", "{", "}", "\\", ":",
    *FUNCTIONS,
    "sin(", "log(", "max(", "softmax([", "])", "))", "a =", "a = x;", "# c\n", "x^1e308",
    "10^x", "2^1024", "x^-1", "0^x", "x^0.5", "π", "2π", "πx", "xπ", "π²", "s = [x, y];",
    "s[1]", "s[2]", "s[3]", "s[0]", "\n- ", "\n+",
    "if ", " then ", " else ", "x > 0", " and ", " or ", "not ", "<=", "==", "!=", "<", ">",
    "repeat 3 {", "for i in 1..3 {", "while x > 1 {", "..", "w[i]", "v[1,2]", "x = x/2;", "i",
]
SEPARATORS = st.sampled_from(["", " ", " ", "\n"])


def soup() -> st.SearchStrategy[str]:
    """A random sequence of tokens: mostly nonsense, sometimes a valid expression."""
    return st.tuples(st.lists(st.sampled_from(TOKENS), min_size=0, max_size=14),
                     SEPARATORS).map(lambda t: t[1].join(t[0]))


SMALL = expressions()


def vectors() -> st.SearchStrategy[str]:
    items = st.lists(SMALL, min_size=1, max_size=3)
    pairs = st.integers(1, 3).flatmap(lambda n: st.tuples(
        st.lists(SMALL, min_size=n, max_size=n), st.lists(SMALL, min_size=n, max_size=n),
        st.sampled_from(["+", "-", "*", "/", "^"])))
    return st.one_of(
        items.map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.tuples(st.sampled_from(["softmax", "logsumexp", "sum", "prod", "norm"]), items).map(
            lambda t: f"{t[0]}([{', '.join(t[1])}])"),
        pairs.map(lambda t: f"dot([{', '.join(t[0])}], [{', '.join(t[1])}])"),
        st.tuples(items, SMALL).map(lambda t: f"softmax([{', '.join(t[0])}]) * {t[1]}"),
        pairs.map(lambda t: f"[{', '.join(t[0])}] {t[2]} [{', '.join(t[1])}]"),
        pairs.map(lambda t: f"[{', '.join(t[0])}] {t[2]} {t[1][0]}"),
        st.tuples(items, items).map(  # lengths that may not match
            lambda t: f"dot([{', '.join(t[0])}], [{', '.join(t[1])}])"),
    )


def programs(vector: bool = True) -> st.SearchStrategy[str]:
    """Bindings separated by ';' or new lines, with comments here and there; with ``vector``
    also vector bindings, rebound names and names of functions and constants."""
    targets = ["a", "b", "t", "x", "sin", "pi", "f1", "a"] if vector else ["a", "b", "t"]
    binding = st.tuples(st.sampled_from(targets), SMALL | vectors() if vector else SMALL)
    comment = st.sampled_from(["", "", " # note", "  # a = 1/0; x + ", "#", " # ;\n"])
    body = st.lists(st.tuples(binding, comment), min_size=1, max_size=3)
    finals = ["a", "a*x + b", "[a, a^2]", "t", "a + undefined", ""] if vector else ["{}",
                                                                                 "{} * x + y"]
    final = st.one_of(SMALL, vectors(), st.sampled_from(finals)) if vector else st.one_of(
        SMALL, st.sampled_from(finals))
    sep = st.sampled_from([";", "\n", "; ", ";\n", "\n\n", ";;"])

    def build(t: tuple) -> str:
        lines, last, s, trailer = t
        text = s.join(f"{n} = {e}{c}" for (n, e), c in lines)
        return f"{text}{s}{last.format(lines[0][0][0])}{trailer}"

    return st.tuples(body, final, sep, st.sampled_from(["", ";", "\n", " # end", "# x"])).map(
        build)


def defining() -> st.SearchStrategy[str]:
    """Programs that define functions of their own and use indexed names: valid ones, and
    ones with recursion, wrong arity, a built-in's name, a parameter that is not a name."""
    params = st.sampled_from(["t", "t, u", "x", "w, b, x", "x, x", "t + 1", "", "pi", "a"])
    body = st.one_of(SMALL, st.sampled_from(["t^2 + u", "tanh(w*x + b)", "g(t)", "f(t) + 1",
                                             "[t, t^2]", "t*w[1]"]))
    name = st.sampled_from(["f", "g", "sq", "sin", "neuron"])
    call_args = st.sampled_from(["x", "x, y", "w[1], b[1], x", "w[2]*x, 1, y", "[x, y]", "",
                                 "x[1], z"])
    return st.tuples(name, params, body, st.lists(st.tuples(name, call_args), min_size=1,
                                                  max_size=3),
                     st.sampled_from([";", "\n", "; a = w[1]; "])).map(
        lambda t: f"{t[0]}({t[1]}) = {t[2]}{t[4]}" + " + ".join(f"{n}({a})" for n, a in t[3]))


def control() -> st.SearchStrategy[str]:
    """Programs with branches and loops (traced at the point): valid ones, runaway and
    bounded while loops, indices of loop counters, conditions where numbers belong."""
    cond = st.sampled_from(["x > 0", "x <= y", "x == 0", "not x > 1", "x > 0 and y < 1",
                            "x != y or x > 2", "x", "(x > 0)"])
    value = st.one_of(SMALL, st.sampled_from(["(x > 0)*2", "w[i]", "y"]))
    loop = st.sampled_from([
        "repeat 3 {{ y = y + {v} }}", "for i in 1..3 {{ y = y + i*{v} }}",
        "while y > 1 {{ y = y/2 }}", "while {c} {{ y = y + 1 }}", "repeat x {{ y = y*2 }}",
        "for i in 0..2 {{ y = y + w[i] }}", "repeat 2 {{ y = y*{v}", "}}"])
    return st.tuples(cond, value, value, loop, st.sampled_from([";", "\n", "; "])).map(
        lambda t: f"y = x{t[4]}{t[3].format(v=t[1], c=t[0])}{t[4]}"
                  f"if {t[0]} then y else {t[2]}")


def glued() -> st.SearchStrategy[str]:
    """A pasted π written against letters, digits, brackets and superscripts (π times
    them), and ASCII names that hold pi (names, as typed)."""
    left = st.sampled_from(["", "", "2", "x", "y", "0.5", ")", "x²", "pix", "2.", "_", "(x)"])
    right = st.sampled_from(["", "", "r", "x", "y", "2", "(x + 1)", "²", "⁻¹", "π", "[x, y]",
                             ".5", "_1", "spin", "x^2"])
    return st.tuples(left, right, SMALL, st.sampled_from(["+", "*", "-", "/"])).map(
        lambda t: f"{t[0]}π{t[1]} {t[3]} {t[2]}")


def indexed() -> st.SearchStrategy[str]:
    """Programs that bind a vector and index it (s[1] is its first entry), in range or not,
    or index a bound number, or bind an entry again."""
    vector = st.lists(SMALL, min_size=1, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]")
    value = st.one_of(vector, vector, SMALL)
    use = st.lists(st.sampled_from(["s[1]", "s[2]", "s[3]", "s[0]", "s", "w[1]", "s[1]^2",
                                    "sin(s[2])", "f(s[1])"]), min_size=1, max_size=3)
    final = st.tuples(use, st.sampled_from([" + ", " * ", ", "])).map(
        lambda t: f"[{t[1].join(t[0])}]" if t[1] == ", " else t[1].join(t[0]))
    extra = st.sampled_from(["", "", "f(t) = t*s[1]\n", "s[1] = x\n", "a = s[2]; "])
    return st.tuples(value, extra, final, st.sampled_from([";", "\n", "; "])).map(
        lambda t: f"s = {t[0]}{t[3]}{t[1]}{t[2]}")


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A valid expression with one token inserted, deleted or replaced."""
    text = draw(SMALL | vectors())
    k = draw(st.integers(0, len(text)))
    what = draw(st.sampled_from(["insert", "delete", "replace"]))
    token = draw(st.sampled_from(TOKENS))
    if what == "insert":
        return text[:k] + token + text[k:]
    if what == "delete":
        return text[:k] + text[k + 1:]
    return text[:k] + token + text[k + 2:]


def huge_powers() -> st.SearchStrategy[str]:
    base = st.sampled_from(["x", "y", "(x + 1)", "2", "10", "0.5", "e", "(x*y)", "-x", "0"])
    exp = st.sampled_from(["1e308", "1e16", "1e300", "-1e308", "1024", "2^1024", "x", "1e-320",
                           "1000", "1e999", "0.5", "-1", "x^1e308", "1e308*x", "3"])
    return st.tuples(base, st.sampled_from(["^", "**"]), exp, SMALL).map(
        lambda t: f"{t[0]}{t[1]}{t[2]} + {t[3]}")


def scaled() -> st.SearchStrategy[str]:
    """An expression times a huge or tiny constant: derivatives near the ends of the
    doubles (a Hessian of 1e308's, a gradient of denormals)."""
    scale = st.sampled_from(["1e308", "1.7e308", "1e300", "1e200", "1e154", "1e-300", "5e-324",
                             "-1e308"])
    return st.tuples(scale, SMALL, st.booleans()).map(
        lambda t: f"{t[0]}*({t[1]})" if t[2] else f"({t[1]})*{t[0]}")


EXPRESSIONS = st.one_of(
    SMALL, SMALL, vectors(), programs(), soup(), mutated(), huge_powers(), scaled(), defining(),
    glued(), indexed(), control(),
    st.sampled_from(["-", "@", "@/nonexistent/adcalc.ad", "-x^2", "--", "", " ", "#", ";"]))


NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\[[0-9]+\])?")


def names_in(text: str) -> list[str]:
    """The variables an expression probably uses, in order of appearance: names that are
    not called, bound or constants (a guess is fine for fuzzing)."""
    bound = set(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)", text))
    out: list[str] = []
    for m in NAME.finditer(text.split("#")[0] if "\n" not in text else text):
        n = m.group()
        after = text[m.end():].lstrip(" ")
        if after.startswith("(") or n.split("[")[0] in bound or n in ("pi", "e") or n in out:
            continue
        if m.start() and (text[m.start() - 1].isdigit() or text[m.start() - 1] == "."):
            continue  # the exponent of 1e5, the tail of 2x
        out.append(n)
    return out


def one_in(draw: st.DrawFn, n: int) -> bool:
    return draw(st.integers(1, n)) == 1


@st.composite
def point_text(draw: st.DrawFn, names: list[str], clean: bool = False) -> str:
    """``--at``-style text: every name with a value, and when not ``clean`` some faults."""
    parts = []
    for n in names:
        if not clean and one_in(draw, 8):
            continue  # a missing variable
        good = clean or draw(st.booleans())
        # a clean value is a finite number, one time in four an extreme one (1e308, 5e-324)
        values = (FINITE_VALUES if one_in(draw, 4) else GOOD_VALUES) if good else VALUES
        parts.append(f"{n}={draw(values)}")
    for _ in range(0 if clean else draw(st.integers(0, 2))):
        kind = draw(st.integers(0, 4))
        if kind == 0:
            parts.append(f"{draw(st.sampled_from(OTHER_NAMES))}={draw(VALUES)}")
        elif kind == 1:
            parts.append(f"{draw(st.sampled_from(BAD_NAMES))}={draw(GOOD_VALUES)}")
        elif kind == 2 and names:
            parts.append(f"{draw(st.sampled_from(names))}={draw(GOOD_VALUES)}")  # twice
        elif kind == 3:
            parts.append(draw(st.sampled_from(["", "x", "=1", "x==1", "x=1=2", "x:1", " "])))
        else:
            parts.append(draw(soup()))
    parts = draw(st.permutations(parts))
    return (", " if clean and one_in(draw, 4) else
            "," if clean else draw(st.sampled_from([",", ", ", ",,"]))).join(parts)


@st.composite
def names_text(draw: st.DrawFn, names: list[str], clean: bool = False) -> str:
    """``--vars``/``--wrt``: a permutation of the names, or a subset, typo, duplicate, junk."""
    chosen = draw(st.permutations(names))
    kind = 0 if clean else draw(st.integers(1, 5))
    if kind == 1:
        chosen = chosen[: draw(st.integers(0, len(chosen)))]
    elif kind == 2:
        chosen = [*chosen, draw(st.sampled_from(OTHER_NAMES))]
    elif kind == 3 and chosen:
        chosen = [*chosen, chosen[0]]
    elif kind == 4:
        chosen = [*chosen, draw(st.sampled_from(BAD_NAMES))]
    elif kind == 5:
        return draw(st.sampled_from(["", ",", " ", "x,,y", "pi", "e,x", "x;y", "*", "[x]"]))
    return ",".join(chosen)


@st.composite
def vector_text(draw: st.DrawFn, names: list[str], clean: bool = False) -> str:
    """``--dir``/``--cot``: by position, or by name."""
    if draw(st.booleans()):
        n = len(names) if clean and draw(st.integers(0, 3)) else draw(st.integers(0, 4))
        return ",".join(draw(GOOD_VALUES if clean or draw(st.booleans()) else VALUES)
                        for _ in range(n))
    if clean:  # by name, some of them (the others are 0)
        names = draw(st.lists(st.sampled_from(names), unique=True, min_size=1)) if names else []
    return draw(point_text(names, clean))


def with_at(draw: st.DrawFn, names: list[str], clean: bool, optional: bool = False
            ) -> list[str]:
    if (optional and one_in(draw, 3)) or (clean and not names):
        return []
    count = 1 if clean else draw(st.sampled_from([1, 1, 1, 0, 2]))
    text = draw(point_text(names, clean))
    if count == 2 or (clean and "," in text and one_in(draw, 6)):  # one point, two --at
        k = text.find(",")
        return ["--at", text[:k], "--at", text[k + 1:]] if k >= 0 else ["--at", text] * 2
    return ["--at", text] * count


def option(draw: st.DrawFn, flag: str, values: st.SearchStrategy[str], p: int = 4) -> list[str]:
    """``[flag, value]`` one time in ``p``."""
    return [flag, draw(values)] if one_in(draw, p) else []


def names_option(draw: st.DrawFn, flag: str, names: list[str], clean: bool, p: int = 4
                 ) -> list[str]:
    """``--vars``/``--wrt`` one time in ``p`` (never empty when ``clean``)."""
    return option(draw, flag, names_text(names, clean), p) if names or not clean else []


def digits(draw: st.DrawFn, command: str, clean: bool) -> list[str]:
    """``--digits K`` one time in four, where the command has it."""
    if "--digits" not in flags_of(command):
        return []
    return option(draw, "--digits", st.sampled_from(["1", "2", "6", "15", "17"] + (
        [] if clean else ["0", "18", "-1", "x", "", "1e1"])))


def flag(draw: st.DrawFn, name: str, p: int = 4) -> list[str]:
    return [name] if one_in(draw, p) else []


def shuffle_options(draw: st.DrawFn, expression: str, groups: list[list[str]]) -> list[str]:
    """The expression and the option groups in a random order (sometimes after ``--``)."""
    groups = draw(st.permutations([g for g in groups if g]))
    flat = [a for g in groups for a in g]
    if one_in(draw, 6):
        return [*flat, "--", expression]
    k = draw(st.integers(0, len(groups)))
    return [a for g in groups[:k] for a in g] + [expression] + [
        a for g in groups[k:] for a in g]


COMMANDS = ["grad", "diff", "jacobian", "hessian", "jvp", "vjp", "graph"]
SLOW_FORMATS = {"svg", "png", "pdf"}  # Graphviz: seconds each


def flags_of(command: str) -> dict[str, click.Option]:
    """The options the command has now (the suite follows the CLI as it grows)."""
    found = main.get_command(click.Context(main), command)
    assert found is not None, command
    return {name: p for p in found.params if isinstance(p, click.Option) for name in p.opts}


def formats_of(command: str) -> list[str]:
    choice = flags_of(command)["--format"].type
    return [f for f in getattr(choice, "choices", ()) if f not in SLOW_FORMATS]


FORMATS = {c: formats_of(c) for c in COMMANDS}
SCALAR = {"grad", "hessian"}


def clean_expressions(command: str) -> st.SearchStrategy[str]:
    """Expressions that parse, of the shape the command takes (scalar for grad, hessian)."""
    scalar = st.one_of(SMALL, SMALL, programs(vector=False), huge_powers(), scaled(),
                       st.tuples(st.sampled_from(["logsumexp", "sum", "prod", "norm"]),
                                 st.lists(SMALL, min_size=1, max_size=3)).map(
                           lambda t: f"{t[0]}([{', '.join(t[1])}])"))
    if command in SCALAR:
        return st.one_of(scalar, glued())
    return st.one_of(scalar, vectors(), programs(), defining(), glued(), indexed())


@st.composite
def command_lines(draw: st.DrawFn, command: str) -> tuple[list[str], str | None]:
    """A command line for ``command``: clean (every option well-formed, so the command
    reaches its sweeps and its renderers) or, one time in three, with faults anywhere."""
    clean = not one_in(draw, 3)
    expression = draw(clean_expressions(command) if clean else EXPRESSIONS)
    groups, expression, stdin = command_parts(draw, command, clean, expression)
    return [command, *shuffle_options(draw, expression, groups)], stdin


def command_parts(draw: st.DrawFn, command: str, clean: bool, expression: str,
                  stdin_ok: bool = True) -> tuple[list[list[str]], str, str | None]:
    """The option groups of a command line, the expression and standard input."""
    stdin = None
    # one time in twelve the program comes on standard input
    if expression == "-" or (clean and stdin_ok and one_in(draw, 12)):
        stdin = expression if expression != "-" else draw(
            st.one_of(SMALL, vectors(), programs(), soup(), st.just("")))
        expression = "-"
    names = names_in(stdin if stdin is not None else expression)
    if not clean and one_in(draw, 4):
        names = [*names, draw(st.sampled_from(OTHER_NAMES))]
    fmt = ["--format", draw(st.sampled_from(FORMATS[command]))]
    if not clean and one_in(draw, 8):
        fmt = ["--format", draw(st.sampled_from(["svg ", "JSON", "", "latex", "html"]))]
    groups = [fmt]
    if command == "grad":
        mode = option(draw, "--mode", st.sampled_from(["reverse", "forward"] + (
            [] if clean else ["sideways"])))
        groups += [
            with_at(draw, names, clean),
            mode,
            [] if clean and ("reverse" in mode or not names) else option(
                draw, "--seed", point_text(names, clean)),
            names_option(draw, "--vars", names, clean),
            flag(draw, "--check"),
            option(draw, "--tol", st.sampled_from(["0", "1e-6", "1", "1e-300"] + (
                [] if clean else ["-1", "nan", "inf", "x"])), 8),
            flag(draw, "-q"),
            flag(draw, "--profile", 8),
            digits(draw, command, clean),
            flag(draw, "--exact", 6),
            option(draw, "--precision", st.sampled_from(["5", "30", "60"] + (
                [] if clean else ["0", "x", "2000"])), 6),
        ]
    elif command == "diff":
        groups += [
            names_option(draw, "--wrt", names, clean, 3),
            option(draw, "--order", st.sampled_from(["1", "2", "2", "3"] + (
                [] if clean else ["0", "11", "-1", "x", "1.5", ""])), 3),
            with_at(draw, names, clean, optional=True),
            flag(draw, "--cse", 2),
            option(draw, "--simplify", st.sampled_from(["full", "basic", "none"] + (
                [] if clean else ["x", ""])), 2),
        ]
    elif command in ("jacobian", "hessian", "jvp", "vjp"):
        groups += [with_at(draw, names, clean), names_option(draw, "--vars", names, clean),
                   flag(draw, "-q"), digits(draw, command, clean)]
        if command == "jacobian":
            groups.append(option(draw, "--mode", st.sampled_from(["forward", "reverse"] + (
                [] if clean else ["x"]))))
        if command == "jvp" and (clean or not one_in(draw, 12)):
            groups.append(["--dir", draw(vector_text(names, clean))])
        if command == "vjp" and (clean or not one_in(draw, 12)):
            outputs = draw(st.sampled_from([["f"], ["f1", "f2"], ["f1", "f2", "f3"]]))
            groups.append(["--cot", draw(vector_text(outputs, clean))])
    elif command == "graph":
        mode = option(draw, "--mode", st.sampled_from(["reverse", "forward"] + (
            [] if clean else ["x"])))
        groups += [
            with_at(draw, names, clean, optional=True),
            mode,
            [] if clean and ("reverse" in mode or not names) else option(
                draw, "--seed", point_text(names, clean)),
            names_option(draw, "--vars", names, clean),
            option(draw, "--max-nodes", st.sampled_from(["2", "3", "5", "8", "200"] + (
                [] if clean else ["1", "0", "x"]))),
            option(draw, "--of", st.sampled_from(["f1", "1", "f", "f2", "2"] + (
                [] if clean else ["0", "-1", "f0", "f9", "9", "x", "", "f1,f2"])), 6)
            if "--of" in flags_of(command) else [],
        ]
    return groups, expression, stdin


CSV_CELLS = st.one_of(GOOD_VALUES, GOOD_VALUES, st.sampled_from(NUMBERS),
                      st.sampled_from(NON_FINITE + JUNK_VALUES[:12]),
                      st.sampled_from(["\"1\"", "\"1,5\"", "\"\"", "\"x\ny\"", " 1 ", "1;2",
                                       "\"", "1e308", "-1e308"]))


@st.composite
def points_csv(draw: st.DrawFn, names: list[str], clean: bool = False) -> str:
    header = list(draw(st.permutations(names))) or [draw(st.sampled_from(["x", "t", "id"]))]
    if one_in(draw, 5):
        header.append(draw(st.sampled_from(["id", "label", "w"])))  # a column no one uses
    kind = 0 if clean else draw(st.integers(0, 4))
    if kind == 1:
        header = header[1:]
    elif kind == 2:
        header.append(draw(st.sampled_from(OTHER_NAMES + BAD_NAMES)))
    elif kind == 3 and header:
        header.append(header[0])
    elif kind == 4:
        header = [draw(st.sampled_from(["\"x\"", "x ", " x", "\ufeffx", "#x", ""])), *header]
    width = max(len(header), 1)
    rows = []
    for _ in range(draw(st.integers(0, 5))):
        n = width if clean or draw(st.integers(0, 4)) else draw(st.integers(0, width + 1))
        rows.append(",".join(draw(CSV_CELLS) for _ in range(n)))
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    lines = [",".join(header), *rows]
    if not clean and one_in(draw, 3):
        lines.insert(draw(st.integers(0, len(lines))), draw(soup()))
    bom = "\ufeff" if draw(st.integers(0, 7)) == 0 else ""
    return bom + end.join(lines) + draw(st.sampled_from(["", end, end * 2]))


@st.composite
def batch_lines(draw: st.DrawFn) -> tuple[list[str], str | None]:
    """``grad --points -`` with a CSV on standard input (clean, or with faults)."""
    clean = not one_in(draw, 3)
    expression = draw(clean_expressions("grad") if clean else st.one_of(
        SMALL, huge_powers(), vectors(), programs(), soup(), mutated()))
    names = names_in(expression)
    groups = [
        ["--points", "-"],
        ["--format", draw(st.sampled_from(FORMATS["grad"]))],
        option(draw, "--mode", st.sampled_from(["reverse", "forward"])),
        names_option(draw, "--vars", names, clean),
        flag(draw, "--strict", 3),
        flag(draw, "-q", 6),
        option(draw, "-o", st.sampled_from(["out.csv", "out.parquet", "out.arrow", "out.jsonl",
                                            "-"] + ([] if clean else ["out.txt", "no/x.csv"])),
               3),
        option(draw, "--output-format", st.sampled_from(["csv", "parquet", "arrow", "jsonl"]),
               6),
        option(draw, "--input-format", st.sampled_from(["csv"] if clean else
                                                       ["csv", "parquet", "jsonl"]), 6),
        option(draw, "--threads", st.sampled_from(["1", "2"] + ([] if clean else ["0", "x"])),
               5),
    ]
    if not clean:
        groups += [option(draw, "--at", point_text(names), 4),
                   option(draw, "--seed", point_text(names), 4), flag(draw, "--check", 4)]
    return ["grad", *shuffle_options(draw, expression, groups)], draw(points_csv(names, clean))


def recorder() -> object | None:
    """The profiler's switch, if it is where it used to be (it survives a command in-process:
    one ``--profile`` would otherwise add a profile line to every later command)."""
    try:
        from adcalc.engine.profile import RECORDER
    except ImportError:
        return None
    return RECORDER


@pytest.fixture(scope="module", autouse=True)
def _empty_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Run in an empty folder: a made-up ``@file`` reads nothing, nothing lands in the repo."""
    rec = recorder()
    before, enabled = os.getcwd(), getattr(rec, "enabled", False)
    os.chdir(tmp_path_factory.mktemp("fuzz"))
    try:
        yield
    finally:
        os.chdir(before)
        if rec is not None:
            rec.enabled = enabled  # type: ignore[attr-defined]


def shell(args: list[str], stdin: str | None) -> str:
    import shlex

    line = "adcalc " + " ".join(shlex.quote(a) for a in args)
    return line if stdin is None else f"printf %s {shlex.quote(stdin)} | {line}"


def run(args: list[str], stdin: str | None) -> Result:
    return run_watched(args, stdin)[0]


def run_watched(args: list[str], stdin: str | None) -> tuple[Result, list[str]]:
    """The result, and the numeric warnings (overflow, invalid value) raised in adcalc's
    code while it ran: a sign of an inf or a NaN computed and not reported."""
    rec = recorder()
    if rec is not None:  # in-process: --profile is per command
        rec.enabled, rec.stages = False, []  # type: ignore[attr-defined]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        r = CliRunner().invoke(main, args, input=stdin, catch_exceptions=True)
    numeric = [f"{w.filename}:{w.lineno}: {w.message}" for w in caught
               if issubclass(w.category, RuntimeWarning) and "/adcalc/" in w.filename]
    return r, numeric


def check(args: list[str], stdin: str | None) -> None:
    r, numeric = run_watched(args, stdin)
    where = f"\n  {shell(args, stdin)}\n"
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        import traceback

        tb = "".join(traceback.format_exception(*r.exc_info)) if r.exc_info else ""
        raise AssertionError(f"{type(r.exception).__name__}: {r.exception}{where}{tb}")
    assert r.exit_code in (0, 1, 2), f"exit code {r.exit_code}{where}{r.output}"
    assert not numeric, f"a numeric warning, not a message:{where}" + "\n".join(numeric)
    assert "Traceback" not in r.output, where + r.output
    if r.exit_code != 0:
        # the message is on stderr (click keeps it apart); binary output (Arrow, Parquet)
        # may come before it on stdout, with no new line between
        lines = [line.lstrip() for line in (r.stderr or r.output).splitlines()]
        assert any(line.startswith(("error:", "Error:", "Usage:")) for line in lines), (
            f"exit {r.exit_code} without a message{where}{r.output!r}")
    elif "--format" in args and args[args.index("--format") + 1] == "json":
        text = r.stdout
        docs = text.splitlines() if "--points" in args else [text]
        for doc in docs:
            try:
                json.loads(doc, parse_constant=lambda c: (_ for _ in ()).throw(
                    ValueError(f"{c} is not JSON")))
            except ValueError as exc:
                raise AssertionError(f"--format json printed no JSON: {exc}{where}"
                                     f"{text[:2000]}") from None


@FUZZ
@given(st.data())
@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_line_ends_in_a_result_or_a_message(command: str,
                                                          data: st.DataObject) -> None:
    args, stdin = data.draw(command_lines(command), label="command line")
    check(args, stdin)


@FUZZ
@given(batch_lines())
def test_points_on_standard_input(case: tuple[list[str], str | None]) -> None:
    check(*case)


@st.composite
def minus_lines(draw: st.DrawFn, command: str) -> tuple[list[str], list[str]]:
    """An expression that starts with '-', before the options and after ``--``."""
    body = draw(clean_expressions(command).filter(lambda t: "\n" not in t and "=" not in t))
    expression = "-" + (body if draw(st.booleans()) else f"({body})")
    groups, expression, _ = command_parts(draw, command, True, expression, stdin_ok=False)
    flat = [a for g in groups for a in g]
    return [command, expression, *flat], [command, *flat, "--", expression]


@settings(FUZZ, max_examples=max(1, EXAMPLES // 2))
@given(st.data())
@pytest.mark.parametrize("command", COMMANDS)
def test_an_expression_starting_with_minus_is_read_as_the_expression(
        command: str, data: st.DataObject) -> None:
    """``adcalc grad "-sqrt(x)" ...`` means what ``adcalc grad ... -- "-sqrt(x)"`` means: the
    letters of the expression are not read as a cluster of short options (-s -q -r -t)."""
    first, after = data.draw(minus_lines(command), label="command lines")
    a, b = run(first, None), run(after, None)
    check(first, None)
    assert (a.exit_code, a.stdout) == (b.exit_code, b.stdout), (
        f"\n  {shell(first, None)}\n  (exit {a.exit_code}) and\n  {shell(after, None)}\n"
        f"  (exit {b.exit_code}) differ:\n{a.output[:600]}\n---\n{b.output[:600]}")


EXAMPLE_NAMES = ["baydin", "griewank", "seed", "softmax", "logistic", "xor"]


@st.composite
def example_lines(draw: st.DrawFn) -> list[str]:
    """``adcalc examples [NAME] [options of its command]``: the built-in examples, run with
    random options (well-formed or not)."""
    name = draw(st.sampled_from([*EXAMPLE_NAMES, *EXAMPLE_NAMES, "", "nope", "Baydin", "-q"]))
    formats = sorted({f for c in COMMANDS for f in FORMATS[c]})
    groups = [
        option(draw, "--format", st.sampled_from([*formats, "svg ", ""]), 2),
        flag(draw, "-q"),
        option(draw, "--mode", st.sampled_from(["reverse", "forward", "x"])),
        option(draw, "--at", point_text(["x", "x1", "a", "w"]), 5),
        option(draw, "--vars", names_text(["x1", "x2", "a", "b", "c"]), 6),
        option(draw, "--digits", st.sampled_from(["1", "6", "17", "0", "x"]), 5),
        flag(draw, "--check", 5),
        option(draw, "--wrt", names_text(["x1", "x2"]), 8),
    ]
    groups = draw(st.permutations([g for g in groups if g]))
    return ["examples", *([name] if name else []), *[a for g in groups for a in g]]


@settings(FUZZ, max_examples=max(1, EXAMPLES // 3))
@given(example_lines())
def test_built_in_examples_with_random_options(args: list[str]) -> None:
    if "examples" not in main.list_commands(click.Context(main)):
        pytest.skip("no examples command")
    check(args, None)
