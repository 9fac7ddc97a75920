"""The algebras are declared interfaces (``adcalc.engine.algebra``).

Every method the table's rules call (their ``partials``, and the ``prints_as`` of the
stable helpers) is found by running each rule against a recording algebra; it must be
declared in ``RuleAlgebra`` and provided by every rule algebra, so a new rule that
calls a method some algebra lacks fails here, naming the algebra.  Every sweep algebra
provides ``SweepPolicies``, and only the float variants derive from the float one.
A new rule algebra or sweep algebra is added to the lists below.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest

from adcalc.engine.algebra import (
    FLOAT,
    PrintAlgebra,
    RuleAlgebra,
    SweepAlgebra,
    SweepPolicies,
    primitive_methods,
)
from adcalc.engine.primitives import OPCODE, PRIMITIVES
from adcalc.engine.sweep_algebras import (
    FLOATS,
    ArrayAlgebra,
    Arrays,
    Careful,
    Floats,
    IEEEAlgebra,
    Symbols,
)
from adcalc.engine.tape import Tape


class Recorder:
    """A rule algebra that notes the name of every method called on it."""

    def __init__(self) -> None:
        self.calls: set[str] = set()

    def __getattr__(self, name: str) -> Callable[..., Any]:
        self.calls.add(name)
        return lambda *args: ("result of", name)


def called_by_rules() -> dict[str, set[str]]:
    """Method name → the primitives whose partials or prints_as call it."""
    found: dict[str, set[str]] = {}
    for p in PRIMITIVES:
        for how in (p.partials, p.prints_as):
            if how is None:
                continue
            A = Recorder()
            args = ("a",) if p.arity == 1 else ("a", "b")
            if how is p.partials:
                out = how(A, "out", "a", "b" if p.arity == 2 else None,
                          2.0 if p.takes_const else None)
                assert len(out) == p.arity, p.name
            else:
                how(A, *args)
            for name in A.calls:
                found.setdefault(name, set()).add(p.name)
    return found


DECLARED = {n for n, v in vars(RuleAlgebra).items() if callable(v) and not n.startswith("_")}


def _canonical_sweep() -> Any:
    """The adjoint sweep's adapter to the canonical form (a module of its own once
    ``canonical`` is a package)."""
    canonical = importlib.import_module("adcalc.symbolic.canonical")
    sweep = getattr(canonical, "_Sweep", None)
    if sweep is None:
        sweep = importlib.import_module("adcalc.symbolic.canonical.sweep")._Sweep
    return sweep(canonical.Canon())


def _latex() -> Any:
    from adcalc.symbolic.latex import LatexAlgebra

    return LatexAlgebra(["x"])


def _simplifier() -> Any:
    from adcalc.symbolic.simplify import Simplifier

    return Simplifier(Tape(symbolic=True))


def _exact() -> Any:
    from adcalc.symbolic.precise import Exact

    return Exact().rules


def _mpmath() -> Any:
    pytest.importorskip("mpmath")
    from adcalc.symbolic.precise import Precise

    return Precise(30).rules


def _canon() -> Any:
    return importlib.import_module("adcalc.symbolic.canonical").Canon()


RULE_ALGEBRAS: dict[str, Callable[[], Any]] = {
    "FloatAlgebra": lambda: FLOAT,
    "IEEEAlgebra": IEEEAlgebra,
    "ArrayAlgebra": ArrayAlgebra,
    "PrintAlgebra": PrintAlgebra,
    "LatexAlgebra": _latex,
    "Tape": Tape,
    "Simplifier": _simplifier,
    "ExactRules": _exact,
    "MpRules": _mpmath,
    "Canon": _canon,
    "canonical sweep rules": lambda: _canonical_sweep().rules,
}


def missing(algebra: Any, names: set[str]) -> list[str]:
    return sorted(n for n in names if not callable(getattr(algebra, n, None)))


def test_the_rule_algebra_declares_every_method_the_rules_call() -> None:
    calls = called_by_rules()
    undeclared = {n: sorted(calls[n]) for n in set(calls) - DECLARED}
    assert not undeclared, (f"rules call methods RuleAlgebra does not declare (add them to "
                            f"adcalc/engine/algebra.py, one line each): {undeclared}")
    unused = DECLARED - set(calls) - {"apply"}
    assert not unused, f"RuleAlgebra declares methods no rule calls: {sorted(unused)}"


@pytest.mark.parametrize("name", list(RULE_ALGEBRAS))
def test_every_rule_algebra_provides_what_the_rules_call(name: str) -> None:
    algebra = RULE_ALGEBRAS[name]()
    calls = called_by_rules()
    lacking = missing(algebra, set(calls) | {"apply"})
    assert not lacking, (f"{name} ({type(algebra).__qualname__}) lacks "
                         + ", ".join(f"{n} (called by {', '.join(sorted(calls.get(n, ())))})"
                                     for n in lacking))
    assert isinstance(algebra, RuleAlgebra)
    shims = [c.__qualname__ for c in type(algebra).__mro__ if "__getattr__" in vars(c)]
    assert not shims, f"{name} gets primitives from __getattr__ ({shims}): primitive_methods"


def test_a_rule_calling_a_method_an_algebra_lacks_names_the_algebra() -> None:
    """What a newcomer sees: ``A.square`` in a new rule, and the algebras without it."""
    lacking = [name for name, make in RULE_ALGEBRAS.items()
               if name != "MpRules" and missing(make(), {"square"})]
    assert lacking == [n for n in RULE_ALGEBRAS if n != "MpRules"]


@pytest.mark.parametrize("name", ["FloatAlgebra", "IEEEAlgebra", "PrintAlgebra", "Tape",
                                  "Simplifier", "ExactRules", "Canon"])
def test_apply_takes_op_args_const_everywhere(name: str) -> None:
    """``apply(op, args, const)`` is the primitive's method: one signature for all."""
    algebra = RULE_ALGEBRAS[name]()
    x: Any = {"FloatAlgebra": 0.25, "IEEEAlgebra": 0.25, "ExactRules": Fraction(1, 4),
              "PrintAlgebra": ("x", 5)}.get(name)
    if x is None:
        x = algebra.input("x") if name == "Tape" else (
            algebra.tape.input("x") if name == "Simplifier" else algebra.sym("x"))
    for op, args, const in ((OPCODE["sin"], (x,), None), (OPCODE["mul"], (x, x), None),
                            (OPCODE["powc"], (x,), 3.0)):
        method = getattr(algebra, PRIMITIVES[op].name)
        assert algebra.apply(op, args, const) == (
            method(*args, const) if const is not None else method(*args))


def _recording() -> Any:
    from adcalc.batch.array_code import _Recording

    return _Recording(Tape())


def _exact_sweep() -> Any:
    from adcalc.symbolic.precise import Exact

    return Exact()


def _precise_sweep() -> Any:
    pytest.importorskip("mpmath")
    from adcalc.symbolic.precise import Precise

    return Precise(30)


SWEEP_ALGEBRAS: dict[str, Callable[[], Any]] = {
    "Floats": lambda: FLOATS,
    "Careful": Careful,
    "Arrays": lambda: Arrays(3),
    "Symbols": lambda: Symbols(Tape(symbolic=True), Tape(symbolic=True)),
    "array code's recording": _recording,
    "canonical sweep": _canonical_sweep,
    "Exact": _exact_sweep,
    "Precise": _precise_sweep,
}


@pytest.mark.parametrize("name", list(SWEEP_ALGEBRAS))
def test_every_sweep_algebra_provides_the_policies(name: str) -> None:
    S = SWEEP_ALGEBRAS[name]()
    declared = [n for n in (*vars(SweepPolicies), *SweepPolicies.__annotations__)
                if not n.startswith("_")]
    assert [n for n in declared if not hasattr(S, n)] == [], name
    assert isinstance(S, SweepPolicies)
    assert isinstance(S, SweepAlgebra)
    assert isinstance(S.rules, RuleAlgebra), name


@pytest.mark.parametrize("name", ["Arrays", "Symbols", "Exact", "Precise"])
def test_only_the_float_variants_derive_from_the_float_algebra(name: str) -> None:
    assert not isinstance(SWEEP_ALGEBRAS[name](), Floats)


def test_primitive_methods_forwards_to_apply_or_takes_the_functions() -> None:
    @primitive_methods
    class Names:
        def apply(self, op: int, args: Any, const: Any = None) -> Any:
            return (PRIMITIVES[op].name, tuple(args), const)

        def cos(self, a: Any) -> str:  # its own method stays
            return "own"

    n = Names()
    assert n.sin("x") == ("sin", ("x",), None)
    assert n.powc("x", 2.0) == ("powc", ("x",), 2.0)
    assert n.cos("x") == "own"
    assert "sin" in vars(Names)  # made once, on the class: no __getattr__

    class Doubled:
        pass

    d = primitive_methods(Doubled(), [lambda *a, _n=p.name: (_n, a) for p in PRIMITIVES])
    assert d.add(1, 2) == ("add", (1, 2))
    assert d.apply(OPCODE["powc"], (3,), 2) == ("powc", (3, 2))
    with pytest.raises(TypeError):
        primitive_methods(Doubled())
