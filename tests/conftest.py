"""Shared fixtures: a CLI runner with a fixed width and no colour settings leaking in."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner, Result
from hypothesis import settings

from adcalc.cli import main

if os.environ.get("CI"):  # the same examples on every CI run: a red run reproduces
    settings.register_profile("ci", derandomize=True, print_blob=True)
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _stable_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)


@pytest.fixture
def cli():
    """``cli("grad", "x^2", "--at", "x=1")`` runs the command and returns click's Result."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)

    return invoke
