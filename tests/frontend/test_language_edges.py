"""Regressions of the expression language, each through the real command line: a pasted π
written against a factor, indexing a bound vector, a binding never used (the stray
leading '-' of a program), and the bracket a syntax error asks to close."""

from __future__ import annotations

import json

import pytest

from adcalc.frontend.parse import parse

# -- a pasted π against a letter or a digit is a factor, never part of a name ----------


@pytest.mark.parametrize(("text", "variables", "derivative"), [
    ("πr^2", "f(r)", "∂f/∂r = 2*pi*r"),
    ("2πr", "f(r)", "∂f/∂r = 2*pi"),
    ("xπ", "f(x)", "∂f/∂x = pi"),
    ("πr²", "f(r)", "∂f/∂r = 2*pi*r"),
    ("π(x + 1)", "f(x)", "∂f/∂x = pi"),
    ("x²π", "f(x)", "∂f/∂x = 2*pi*x"),
])
def test_a_pasted_pi_against_a_factor_multiplies_it(cli, text: str, variables: str,
                                                      derivative: str) -> None:
    r = cli("diff", text)
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].startswith(variables + " = ") and derivative in lines, r.stdout


def test_pi_against_letters_gives_the_value_of_pi_times_them(cli) -> None:
    r = cli("grad", "πr^2", "--at", "r=2", "--format", "json")
    out = json.loads(r.stdout)
    assert r.exit_code == 0 and out["variables"] == ["r"]
    assert out["value"] == pytest.approx(4 * 3.141592653589793)
    r = cli("grad", "x^2", "--at", "x=2π", "-q")  # in --at too
    assert r.exit_code == 0 and r.stdout == f"∂f/∂x = {2 * (2 * 3.141592653589793)}\n"


def test_ascii_names_holding_pi_are_names(cli) -> None:
    r = cli("diff", "pix + spin + π*pi2")
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("f(pix, spin, pi2) = ")
    assert parse("x_π").variables == ["x_pi"]  # against '_' it is a letter of a name


# -- s[k] of a bound vector is its k-th entry ----------------------------------------


def test_indexing_a_bound_vector(cli) -> None:
    r = cli("diff", "s = [x^2, y]; s[1] + s[2]")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[0].startswith("f(x, y) = ")
    assert "∂f/∂x = 2*x" in r.stdout and "∂f/∂y = 1" in r.stdout
    r = cli("grad", "s = [x^2, y]; s[1]*s[2]", "--at", "x=3,y=2", "-q")
    assert r.exit_code == 0 and r.stdout == "∂f/∂x = 12.0\n∂f/∂y = 9.0\n"
    r = cli("jacobian", "s = [x^2, y]\n[s[2], s[1]*y]", "--at", "x=3,y=2", "-q")
    assert r.exit_code == 0 and r.stdout == "0.0 1.0\n12.0 9.0\n"
    r = cli("hessian", "s = [x, y]; s[1]^2*s[2]", "--at", "x=1,y=2", "-q")
    assert r.exit_code == 0 and r.stdout.split() == ["4.0", "2.0", "2.0", "0.0"]


def test_indexed_names_that_index_nothing_bound_stay_variables(cli) -> None:
    r = cli("grad", "w[1]*x + w[2]", "--at", "w[1]=2,w[2]=3,x=5", "-q")
    assert r.exit_code == 0 and r.stdout == "∂f/∂w[1] = 5.0\n∂f/∂x = 2.0\n∂f/∂w[2] = 1.0\n"


@pytest.mark.parametrize(("text", "message", "column"), [
    ("s = [x^2, y]; s[3]", "s[3] is out of range: the vector s has 2 entries, s[1] to s[2]", 15),
    ("s = [x^2, y]; s[0]", "s[0] is out of range", 15),
    ("s = [x]; 2*s[2]", "s[2] is out of range: the vector s has 1 entry, s[1]", 12),
    ("s = x^2; s[1]", "s is a number, not a vector: s[1] has nothing to index", 10),
    ("s = [x, y]; s[1] = 2; s[1]", "s[1] is an entry of the vector s defined above", 13),
    ("a = s[1]; s = [x, y]; a", "s[1] is used above, so s[k] cannot also index the vector s",
     11),
])
def test_a_bad_index_is_an_error_with_a_caret(cli, text: str, message: str,
                                               column: int) -> None:
    for command in (["grad", text, "--at", "x=1,y=1"], ["jacobian", text, "--at", "x=1,y=1"],
                    ["diff", text]):
        r = cli(*command)
        assert r.exit_code == 2 and r.stderr.startswith("error: " + message), r.stderr
        assert r.stderr.splitlines()[-1] == " " * (column + 1) + "^"
        assert "Traceback" not in r.output


# -- a binding never used is a warning; a stray leading sign says how to continue -----

PROGRAM = "f = x^2\n- 2*x\n"
WARNING = ("warning: f is defined at line 1, column 1 but never used: line 2 starts with '-' "
           "in the first column, which begins a new statement; to continue the line before, "
           "indent line 2 or end the line before with the operator")


@pytest.mark.parametrize("command", [
    ["grad", "--at", "x=1"], ["grad", "--at", "x=1", "-q"],
    ["grad", "--at", "x=1", "--mode", "forward"], ["grad", "--at", "x=1", "--exact"],
    ["diff"], ["diff", "--at", "x=1"], ["jacobian", "--at", "x=1"],
    ["hessian", "--at", "x=1", "-q"], ["jvp", "--at", "x=1", "--dir", "1", "-q"],
    ["vjp", "--at", "x=1", "--cot", "1", "-q"], ["graph"], ["graph", "--format", "dot"],
    ["grad", "--points", "pts.csv"], ["jacobian", "--points", "pts.csv"],
    ["hessian", "--points", "pts.csv"], ["grad", "--points", "pts.csv", "--format", "json"],
])
def test_a_binding_never_used_is_a_warning_on_every_path(cli, tmp_path, monkeypatch,
                                                        command: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "prog.ad").write_text(PROGRAM, encoding="utf-8")
    (tmp_path / "pts.csv").write_text("x\n1\n", encoding="utf-8")
    r = cli(command[0], "@prog.ad", *command[1:])
    assert r.exit_code == 0, r.output
    assert WARNING in r.stderr.splitlines(), r.stderr


@pytest.mark.parametrize("command", [["grad", "--at", "x=1"], ["diff"],
                                     ["jacobian", "--at", "x=1"], ["hessian", "--at", "x=1"]])
def test_json_carries_the_warning(cli, command: list[str]) -> None:
    r = cli(command[0], PROGRAM, *command[1:], "--format", "json")
    assert r.exit_code == 0 and json.loads(r.stdout)["warnings"] == [WARNING]


def test_only_unused_definitions_are_warned_about(cli) -> None:
    r = cli("grad", "a = x; b = a*y; g(t) = t^2; b", "--at", "x=1,y=2", "-q")
    assert r.exit_code == 0
    assert r.stderr == ("warning: the function g is defined at column 17 but never called\n")
    r = cli("grad", "a = x; y", "--at", "x=1,y=2", "-q")
    assert r.stderr == "warning: a is defined at column 1 but never used\n"
    for fine in ("a = x\n-a*y", "a = x\n  - 2*y\na", "s = [x, y]; s[2]*x", "f(t) = t^2; f(x*y)",
                 "a = x; b = a*y; b"):
        r = cli("grad", fine, "--at", "x=1,y=2", "-q")
        assert r.exit_code == 0 and r.stderr == "", (fine, r.stderr)


def test_a_stray_sign_in_a_syntax_error_says_how_to_continue(cli) -> None:
    r = cli("diff", "a = x^2 + y\n- 2*x\na")
    assert r.exit_code == 2
    assert ("(line 2 starts with '-' in the first column, which begins a new statement; to "
            "continue the line before, indent line 2 or end the line before with the operator)"
            ) in r.stderr


# -- an unclosed bracket asks for ']', a parenthesis for ')' --------------------------


@pytest.mark.parametrize(("text", "want"), [
    ("[x, y", "expected ']' to close a bracket"),
    ("([x, y", "expected ']' to close a bracket"),
    ("[x, (y", "expected ')' to close a parenthesis"),
    ("(x + y", "expected ')' to close a parenthesis"),
    ("[w[1], x", "expected ']' to close a bracket"),
    ("a = [x,\n y", "expected ']' to close a bracket"),
])
def test_an_unclosed_bracket_names_its_closer(cli, text: str, want: str) -> None:
    r = cli("grad", text, "--at", "x=1,y=2,w[1]=3")
    assert r.exit_code == 2 and want in r.stderr.splitlines()[0], r.stderr
    assert r.stderr.splitlines()[-1].endswith("^")


def test_inside_brackets_a_comma_fits_and_a_new_statement_does_not(cli) -> None:
    r = cli("grad", "[x y]", "--at", "x=1,y=2")
    assert r.exit_code == 2
    assert "expected an operator (+ - * / ^), '(', ',' or ']'" in r.stderr, r.stderr
