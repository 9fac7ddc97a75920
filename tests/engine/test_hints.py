"""``hints.nearest``: the one did-you-mean behind every "did you mean …?" and "a typo"."""

from __future__ import annotations

import pytest

from adcalc.engine.hints import CUTOFF, nearest
from adcalc.frontend.build import KNOWN


@pytest.mark.parametrize(("name", "candidates", "expected"), [
    ("sni", KNOWN, "sin"),
    ("sqr", KNOWN, "sqrt"),
    ("lgo", KNOWN, "log"),
    ("xx", ["x", "y"], "x"),
    ("y_2", ["x1", "y2"], "y2"),
    ("nueron", ["neuron"], "neuron"),
    ("X", ["x", "y"], "x"),  # case first
    ("Y2", ["y2", "Y3"], "y2"),
    ("x3", ["x1", "x2"], None),  # 0.5: two characters, one differs
    ("alpha", ["x", "y"], None),
    ("x", [], None),
])
def test_nearest(name: str, candidates: list[str], expected: str | None) -> None:
    assert nearest(name, candidates) == expected


def test_a_case_match_beats_a_closer_spelling() -> None:
    # by difflib's ratio "xy1" is close to "xy" (0.8) and "XY" is not (0.0)
    assert nearest("xy", ["xy1", "XY"]) == "XY"
    assert nearest("XY", ["xy1", "xy"]) == "xy"


def test_the_answer_does_not_depend_on_the_candidates_order() -> None:
    names = ["ab", "ac", "ad", "AB"]
    assert {nearest("aa", order) for order in (names, names[::-1], set(names))} == {
        nearest("aa", sorted(names))}
    assert nearest("Ab", names) == nearest("Ab", names[::-1]) == "AB"


def test_one_cutoff() -> None:
    assert CUTOFF == 0.6
    # "abc" vs "abd": ratio 2*2/6 ≈ 0.67 passes; "ab" vs "ac": 0.5 does not
    assert nearest("abc", ["abd"]) == "abd"
    assert nearest("ab", ["ac"]) is None


def test_every_did_you_mean_asks_nearest() -> None:
    """No module of the library writes its own (``difflib`` is imported in one place)."""
    from pathlib import Path

    import adcalc

    package = Path(adcalc.__file__).parent
    using = sorted(str(p.relative_to(package)) for p in package.rglob("*.py")
                   if "get_close_matches" in p.read_text(encoding="utf-8"))
    assert using == ["engine/hints.py"]
