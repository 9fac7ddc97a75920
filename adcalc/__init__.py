"""adcalc: a command-line calculator for derivatives, built on a tape and its sweeps.

    >>> import adcalc
    >>> adcalc.grad("x*y + x^2", x=2, y=3)
    GradResult(value=10.0, gradient={'x': 7.0, 'y': 2.0})

The names below load on first use, so ``import adcalc`` (and the command line) starts
quickly.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# ``parse`` shares its name with its module: bind the function now, or importing the
# submodule would shadow it.  (Neither import loads lark or numpy.)
from adcalc.commands.grad import Gradient, GradResult, gradient
from adcalc.commands.grad import grad as _grad_of_text
from adcalc.frontend.parse import parse
from adcalc.notebook import attach as _attach
from adcalc.version import __version__

_attach("adcalc.commands.grad")  # display in notebooks: methods that load on first use

_LAZY = {
    "AdcalcError": "adcalc.errors", "CheckFailed": "adcalc.errors",
    "DomainError": "adcalc.errors", "InputError": "adcalc.errors",
    "ParseError": "adcalc.errors", "Diff": "adcalc.commands.diff",
    "derivatives": "adcalc.symbolic.derive", "diff": "adcalc.commands.diff",
    "jacobian": "adcalc.commands.vector", "hessian": "adcalc.commands.vector",
    "jvp": "adcalc.commands.vector", "vjp": "adcalc.commands.vector",
    "graph": "adcalc.commands.graph", "sweep_arrays": "adcalc.batch.sweep",
    "Var": "adcalc.frontend.tracing", "trace": "adcalc.frontend.tracing",
    "reset": "adcalc.frontend.tracing", "TracingError": "adcalc.frontend.tracing",
    "frame_function": "adcalc.commands.dataset", "sweep_dataset": "adcalc.commands.dataset",
    "taylor": "adcalc.commands.taylor", "ode_series": "adcalc.commands.taylor",
    "hvp": "adcalc.commands.taylor",
}

__all__ = ["GradResult", "Gradient", "__version__", "grad", "gradient",
           "load_ipython_extension", "parse", "show", *sorted(_LAZY)]


def grad(expression: Any, /, **point: float) -> Any:
    """Two ways, one rule set:

    * ``adcalc.grad("x*y + x^2", x=2, y=3)`` → ``GradResult(value, gradient)``;
    * ``adcalc.grad(f)`` for a Python function written with adcalc's functions → a
      function giving its gradient by parameter name, like JAX's ``grad``.
    """
    if callable(expression):
        from adcalc.frontend.tracing import gradient_function

        return gradient_function(expression)
    return _grad_of_text(expression, **point)


def show(f: Any) -> None:
    """Print the primal and adjoint tables of a traced value, as ``adcalc grad`` does."""
    import sys

    from adcalc.commands.grad import gradient as compute
    from adcalc.frontend.tracing import TracingError, Var, outputs_tape, point_of
    from adcalc.render import trace as report
    from adcalc.render.plain import render
    from adcalc.symbolic.formula import program

    outputs = [f] if isinstance(f, Var) else list(f) if isinstance(f, list | tuple) else []
    if not outputs or not all(isinstance(v, Var) for v in outputs):
        raise TracingError(f"show takes a traced value (a Var), not {type(f).__name__}")
    if len(outputs) > 1:
        raise TracingError(f"show prints the tables of one value, and this list has "
                           f"{len(outputs)}: show each (show(f[0]), show(f[1]), …)")
    tape = outputs_tape(outputs)
    g = compute(tape, point_of(outputs[0], tape), record=True)
    g.expression = program(tape)
    for line in report.warnings(g):
        print(line, file=sys.stderr)
    blocks = report.blocks(g)
    if tape.decisions:  # comparisons of Vars: the path taken, as adcalc grad shows it
        from adcalc.render.path import path_table

        blocks.insert(1, path_table(tape, g.values, g.variables))
    sys.stdout.write(render(blocks))


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext adcalc``: the ``%adcalc`` and ``%%adcalc`` magics."""
    from adcalc.notebook import load_ipython_extension as load

    load(ipython)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        from adcalc.frontend.build import ALIASES
        from adcalc.frontend.tracing import FUNCTION_NAMES, function

        if name in FUNCTION_NAMES or name in ALIASES:  # adcalc.sin(x) on traced values
            value = function(name)
            _attach()
            globals()[name] = value
            return value
        raise AttributeError(f"module 'adcalc' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    _attach()
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
