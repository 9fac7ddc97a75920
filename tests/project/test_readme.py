"""The README's and the guides' claims hold: every example in README.md and docs/*.md runs
and prints what it shows, the function list is the catalogue's, the benchmark figures
are the recorded results, links stay inside the repository, and CI runs the README's
test command."""

from __future__ import annotations

import doctest
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUIDES = ["architecture.md", "batch.md", "codegen.md", "diff.md", "language.md", "performance.md",
          "python.md", "taylor.md", "tour.md"]
PAGES = ["README.md", *sorted(f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md"))]


def text(page: str) -> str:
    return (ROOT / page).read_text(encoding="utf-8")


def test_the_guides_are_there_and_the_readme_links_each() -> None:
    assert sorted(p.name for p in (ROOT / "docs").glob("*.md")) == GUIDES
    readme = text("README.md")
    for name in GUIDES:
        assert f"](docs/{name})" in readme, name
    assert readme.count("\n") <= 300


@pytest.mark.parametrize("page", PAGES)
def test_python_sessions_run(page: str) -> None:
    """Every `>>>` session of the page, as doctest runs it (one namespace a page)."""
    result = doctest.testfile(str(ROOT / page), module_relative=False,
                              optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    assert result.attempted >= {"README.md": 3, "docs/python.md": 8}.get(page, 0)


def test_ci_runs_the_readme_test_command() -> None:
    readme = text("README.md")
    commands = re.findall(r"```sh\n(.+?)\n```", readme)
    assert len(commands) == 2
    install_and_run, test = commands
    assert "pip install ." in install_and_run and "adcalc grad" in install_and_run
    script = (ROOT / test.split()[-1]).read_text()
    assert "pytest" in script and ".[test]" in script and "graphviz" in script
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test in ci


def examples(page: str) -> list[tuple[list[str], str, bool]]:
    """(arguments, printed output, shown in part) of each `$ adcalc …` shown in full in a
    ```text block of the page."""
    found = []
    for block in re.findall(r"```text\n(.*?)```", text(page), re.S):
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
            found.append((args, output, "#" in command))
    return found


MIN_EXAMPLES = {"README.md": 4, "docs/tour.md": 8, "docs/diff.md": 8, "docs/batch.md": 2,
                "docs/python.md": 1, "docs/language.md": 2}


@pytest.mark.parametrize("page", PAGES)
def test_examples_print_what_the_page_shows(page: str, cli, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)  # examples name files under examples/
    shown_here = examples(page)
    assert len(shown_here) >= MIN_EXAMPLES.get(page, 0)
    for args, shown, part in shown_here:
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
        assert part or at == len(printed), (args, "the output goes on past the page's")


def test_the_language_guide_lists_every_function_from_the_table() -> None:
    from adcalc.frontend.catalog import markdown

    guide = text("docs/language.md")
    start = guide.index("<!-- functions:")
    start = guide.index("\n", start) + 1
    end = guide.index("<!-- end of functions -->")
    assert guide[start:end].strip() == markdown()


def test_help_and_did_you_mean_know_every_function(cli) -> None:
    from adcalc.frontend.catalog import callable_names

    help_text = " ".join(cli("grad", "--help").stdout.split())
    listing = cli("functions", "--format", "plain").stdout
    for name in callable_names():
        assert f" {name}" in help_text, name
        assert f"{name}(" in listing, name
        r = cli("grad", f"{name + name[-1]}(x)", "--at", "x=1")  # sinn, maxx, …
        assert r.exit_code == 2 and f"did you mean {name}?" in r.stderr, name


def test_figures_are_the_recorded_benchmark_results() -> None:
    """Each block of benchmark figures on any page is what the benchmark last wrote to its
    results file, line for line (a block that quotes one line of a results file quotes
    only lines of it): a figure changes by re-running the script.  docs/performance.md
    quotes every results file."""
    results = {path.name: {line.rstrip() for line in path.read_text().splitlines()
                           if line.strip()}
               for path in (ROOT / "benchmarks").glob("results-*.txt")}
    for page in PAGES:
        quoted: set[str] = set()
        for block in re.findall(r"```text\n(.*?)```", text(page), re.S):
            lines = [line.rstrip() for line in block.splitlines() if line.strip()]
            for name, recorded in results.items():
                if any(line in recorded for line in lines):
                    assert [line for line in lines if line not in recorded] == [], (page, name)
                    quoted.add(name)
        if page == "docs/performance.md":
            assert quoted == set(results), sorted(set(results) - quoted)
            for name in results:  # each with the command that prints it
                assert f"python benchmarks/{name[8:-4]}.py" in text(page), name


@pytest.mark.parametrize("page", PAGES)
def test_links_and_paths_stay_inside_the_repository(page: str) -> None:
    """Every relative link resolves to a file of the repository, and every path the page
    names in backticks (`adcalc/engine/sweeps.py`, `tests/helpers.py`) exists."""
    here = (ROOT / page).parent
    body = text(page)
    for target in re.findall(r"\]\(([^)#\s]+)", body):
        if re.match(r"[a-z]+:", target):  # https:, mailto:
            continue
        path = (here / target).resolve()
        assert path.is_relative_to(ROOT) and path.exists(), (page, target)
    top = "adcalc|tests|benchmarks|examples|scripts|grammars|docs|\\.ci"
    for named in re.findall(rf"`((?:{top})/[\w./*-]*)`", body):
        assert list(ROOT.glob(named.rstrip("/"))), (page, named)
