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
