"""The README's claims hold: its Python session runs, CI runs its test command."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_readme_python_session() -> None:
    result = doctest.testfile(str(ROOT / "README.md"), module_relative=False,
                              optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 3
    assert result.failed == 0


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"```sh\n(.+?)\n```", readme)
    assert len(commands) == 2
    install_and_run, test = commands
    assert "pip install ." in install_and_run and "adcalc grad" in install_and_run
    script = (ROOT / test.split()[-1]).read_text()
    assert "pytest" in script and ".[test]" in script and "graphviz" in script
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test in ci


def readme_examples() -> list[tuple[list[str], str]]:
    """(arguments, printed output) of each `$ adcalc …` shown in full in the README."""
    import shlex

    readme = (ROOT / "README.md").read_text()
    examples = []
    for block in re.findall(r"```text\n(.*?)```", readme, re.S):
        lines = block.splitlines()
        starts = [k for k, line in enumerate(lines) if line.startswith("$ adcalc ")]
        for k, start in enumerate(starts):
            end = starts[k + 1] if k + 1 < len(starts) else len(lines)
            command = lines[start][2:]
            output = "\n".join(lines[start + 1:end]).rstrip("\n")
            if not output or " -o " in command or "…" in output:  # "…": a line cut short
                continue
            # "# (the adjoint table)": only a part is shown; a line "..." leaves out rows
            args = shlex.split(command.split("#")[0])[1:]
            examples.append((args, output, "#" in command))
    return examples


def test_readme_examples_print_what_the_readme_shows(cli, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)  # examples name files under examples/
    examples = readme_examples()
    assert len(examples) >= 6
    for args, shown, part in examples:
        printed = cli(*args).stdout.rstrip("\n")
        pieces = re.split(r"^\.\.\.\n", shown + "\n", flags=re.M)
        if len(pieces) == 1 and not part:
            assert printed == shown, args
            continue
        at = 0  # each piece in order; with "...", from the first line to the last
        for k, piece in enumerate(p.rstrip("\n") for p in pieces):
            found = printed.find(piece, at)
            assert found >= 0 and (found == 0 or k or part), (args, piece)
            at = found + len(piece)
        assert part or at == len(printed), (args, "the output goes on past the README's")


def test_readme_lists_every_function_from_the_table() -> None:
    from adcalc.frontend.catalog import markdown

    readme = (ROOT / "README.md").read_text()
    start = readme.index("<!-- functions:")
    start = readme.index("\n", start) + 1
    end = readme.index("<!-- end of functions -->")
    assert readme[start:end].strip() == markdown()


def test_help_and_did_you_mean_know_every_function(cli) -> None:
    from adcalc.frontend.catalog import callable_names

    text = " ".join(cli("grad", "--help").stdout.split())
    listing = cli("functions", "--format", "plain").stdout
    for name in callable_names():
        assert f" {name}" in text, name
        assert f"{name}(" in listing, name
        r = cli("grad", f"{name + name[-1]}(x)", "--at", "x=1")  # sinn, maxx, …
        assert r.exit_code == 2 and f"did you mean {name}?" in r.stderr, name


def test_readme_figures_are_the_recorded_benchmark_results() -> None:
    """Each block of benchmark figures in the README is what the benchmark last wrote to
    its results file, line for line (a block that quotes one line of a results file
    quotes only lines of it): a figure changes in the README by re-running the script."""
    readme = (ROOT / "README.md").read_text()
    results = {path.name: {line.rstrip() for line in path.read_text().splitlines()
                           if line.strip()}
               for path in (ROOT / "benchmarks").glob("results-*.txt")}
    quoted: set[str] = set()
    for block in re.findall(r"```text\n(.*?)```", readme, re.S):
        lines = [line.rstrip() for line in block.splitlines() if line.strip()]
        for name, recorded in results.items():
            if any(line in recorded for line in lines):
                assert [line for line in lines if line not in recorded] == [], name
                quoted.add(name)
    assert "results-diff_corpus.txt" in quoted and len(quoted) >= 8
