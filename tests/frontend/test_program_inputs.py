"""An input given at the point that the program never reads: a program with one path
(no decision) names it as an error, as a straight-line expression does; one with
decisions keeps it (an input of a path not taken, derivative 0); a batch keeps every
column ``w[…]``."""

from __future__ import annotations

FOR = "s = 0; for i in 1..2 { s = s + w[i] }; s"


def test_an_index_no_path_reads_is_an_error_naming_it(cli) -> None:
    r = cli("grad", FOR, "--at", "w[1]=1,w[2]=2,w[4]=3")
    assert r.exit_code == 2
    assert "--at gives w[4], which the expression does not use (it uses w[1], w[2])" in r.stderr
    r = cli("grad", FOR, "--at", "w[1]=1,w[2]=2", "-q")
    assert r.exit_code == 0 and r.stdout == "∂f/∂w[1] = 1.0\n∂f/∂w[2] = 1.0\n"


def test_an_input_of_a_path_not_taken_has_derivative_zero(cli) -> None:
    text = "s = 0; for i in 1..2 { s = s + (if x > 0 then w[i] else w[i+2]) }; s"
    r = cli("grad", text, "--at", "w[1]=1,w[2]=2,w[3]=3,w[4]=3,x=1", "-q", "--format", "json")
    assert r.exit_code == 0 and '"w[4]": 0.0' in r.stdout and '"w[1]": 1.0' in r.stdout


def test_a_batch_keeps_its_columns(cli) -> None:
    r = cli("grad", FOR, "--points", "-", input="w[1],w[2],w[4]\n1,2,3\n")
    assert r.exit_code == 0 and r.stdout.splitlines() == [
        "w[1],w[2],w[4],f,df/dw[1],df/dw[2],df/dw[4]", "1,2,3,3.0,1.0,1.0,0.0"]
