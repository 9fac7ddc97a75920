"""Regenerate adcalc/parse_tables.json from grammars/adcalc.lark (run after a grammar edit).

The tables ship read-only in the package; tests/frontend/test_lalr.py fails while they differ
from what Lark makes from the grammar.
"""

import sys

import adcalc  # noqa: F401  (the package first: adcalc.parse is shadowed by a function)

parse_module = sys.modules["adcalc.frontend.parse"]
parse_module.write_tables()
print(f"wrote {parse_module.TABLES}")
