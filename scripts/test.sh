#!/usr/bin/env bash
# Install what the tests need on a bare machine, then run the whole test suite.
# The Python side goes into .venv with the test extra.
set -euo pipefail
cd "$(dirname "$0")/.."
# Debian packages the tests use: Graphviz (the svg/png/pdf tests), pdflatex (the LaTeX
# outputs must compile) and chromium (the notebook HTML), installed when missing and this user can install them.
install() {  # install() [apt-get options] PACKAGE...: as root, through sudo, or say why not
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  elif command -v sudo >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" \
      >/dev/null
  else
    echo "note: ${*: -1} is not installed; the tests that need it will be skipped" >&2
  fi
}
command -v dot >/dev/null 2>&1 || install graphviz
command -v pdflatex >/dev/null 2>&1 || install --no-install-recommends texlive-latex-base
# chromium: a real browser lays out the notebook HTML (tests/cli/test_notebook.py)
command -v chromium >/dev/null 2>&1 || install chromium
python3 -m venv .venv
.venv/bin/pip install -q -e ".[test]"
exec .venv/bin/python -m pytest "$@"
