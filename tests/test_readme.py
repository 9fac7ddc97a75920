"""The README's claims hold: its Python session runs, CI runs its test command."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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
            partial = "#" in command  # "# (traces above this)": only the end is shown
            if partial or not output or "…" in output or "..." in output or " -o " in command:
                continue
            examples.append((shlex.split(command)[1:], output))
    return examples


def test_readme_examples_print_what_the_readme_shows(cli, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)  # examples name files under examples/
    examples = readme_examples()
    assert len(examples) >= 6
    for args, shown in examples:
        r = cli(*args)
        assert r.stdout.rstrip("\n") == shown, args


def test_readme_lists_every_function_from_the_table() -> None:
    from adcalc.catalog import markdown

    readme = (ROOT / "README.md").read_text()
    start = readme.index("<!-- functions:")
    start = readme.index("\n", start) + 1
    end = readme.index("<!-- end of functions -->")
    assert readme[start:end].strip() == markdown()


def test_help_and_did_you_mean_know_every_function(cli) -> None:
    from adcalc.catalog import callable_names

    text = " ".join(cli("grad", "--help").stdout.split())
    listing = cli("functions", "--format", "plain").stdout
    for name in callable_names():
        assert f" {name}" in text, name
        assert f"{name}(" in listing, name
        r = cli("grad", f"{name + name[-1]}(x)", "--at", "x=1")  # sinn, maxx, …
        assert r.exit_code == 2 and f"did you mean {name}?" in r.stderr, name
