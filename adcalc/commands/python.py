"""--python FILE:FUNCTION: a user's Python function traced onto a tape for any command.

The user's file runs as Python (its own code, nothing else is evaluated); the function
is called once with a ``Var`` per parameter, named after it, and what it returns is the
expression.  Its comparisons (``if x > y:``, ``while y > 1e-8:``) are decided at the
point and recorded on the tape (``Tape.decisions``): the derivative is the taken path's,
the report shows the path, and a comparison on its boundary is a warning.  Such a
function needs a point (``--at``; ``graph`` without one refuses it, never drawing one
path for every point), or ``--points``: then it is traced at each row on its own path,
as a program of the language is (``adcalc.frontend.function_program``,
``adcalc.batch.paths``).  Errors name the line of the user's file.
"""

from __future__ import annotations

import functools
import inspect
import os
import traceback
from collections.abc import Mapping
from typing import Any

from adcalc.engine.tape import Tape
from adcalc.errors import AdcalcError, DomainError, InputError, param

PY = param("python")
"""The parameter these messages are about (``--python`` on the command line)."""


def load_function(spec: str) -> tuple[Any, str]:
    """The function named by ``FILE:FUNCTION`` and the file's path."""
    import importlib.util

    path, colon, name = spec.rpartition(":")
    if not colon or not path or not name.isidentifier():
        raise InputError(f"{PY} takes FILE:FUNCTION, as in model.py:loss (got {spec!r})")
    if not os.path.isfile(path):
        raise InputError(f"{PY}: no file {path}")
    module_name = "adcalc_user_" + os.path.splitext(os.path.basename(path))[0].replace("-", "_")
    loader = importlib.util.spec_from_file_location(module_name, path)
    if loader is None or loader.loader is None:
        raise InputError(f"{PY}: {path} is not a Python file")
    module = importlib.util.module_from_spec(loader)
    try:
        loader.loader.exec_module(module)
    except Exception as exc:  # the user's code: say where it failed
        raise InputError(f"{PY}: running {path} failed: {where(exc, path)}") from None
    fn = getattr(module, name, None)
    if not callable(fn):
        defined = sorted(n for n, v in vars(module).items()
                         if inspect.isfunction(v) and v.__module__ == module_name)
        raise InputError(f"{PY}: {path} has no function {name}; it defines "
                         f"{', '.join(defined) or 'no functions'}")
    return fn, path


def parameters(fn: Any, path: str) -> list[str]:
    names = []
    for p in inspect.signature(fn).parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise InputError(f"{PY}: {fn.__name__} in {path} takes *{p.name}: give it "
                             "named parameters, one per variable")
        names.append(p.name)
    return names


def traced(spec: str, point: Mapping[str, float] | None) -> tuple[Any, str]:
    """The tape of ``FILE:FUNCTION`` traced at ``point`` (1.0 for parameters it lacks),
    with all the function's parameters as its variables, and the tape as adcalc source.
    With ``--points`` (no point): the function as a program (a ``Source``), traced at
    each row on its own path (``adcalc.batch.paths``), and its ``FILE:FUNCTION``."""
    from adcalc.symbolic.formula import source

    fn, path = load_function(spec)
    names = parameters(fn, path)
    if not point and _points():
        from adcalc.frontend.function_program import FunctionProgram, Source

        return Source(spec, FunctionProgram(spec, names, functools.partial(at_row, spec))), spec
    tape, rec = run(fn, names, path, spec, point or {})
    missing = [n for n in names if n not in (point or {})]
    if (tape.decisions or rec.read_values) and missing:
        why = (f"branches on its parameters ({tape.decisions[0].label})" if tape.decisions
               else "reads a traced value's number (x.value)")
        raise InputError(f"{PY}: {fn.__name__} in {path} {why}: it is differentiated at a "
                         f"point, along the path it takes there; give {param('point')} with "
                         f"{', '.join(missing)}" + (f" (or {param('points')}: each row its own "
                                                    "path)" if _command() == "grad" else ""))
    return tape, source(tape)


def run(fn: Any, names: list[str], path: str, spec: str, point: Mapping[str, float]
        ) -> tuple[Tape, Any]:
    """``fn`` traced at ``point``: the tape of what it returns, and its recording."""
    from adcalc.frontend.tracing import TracingError, Var, new_recording, outputs_tape
    from adcalc.frontend.var_decisions import as_traced

    with new_recording(strict_floats=True) as rec:
        try:
            out = fn(**{n: Var(n, point.get(n, 1.0)) for n in names})
        except TracingError as exc:
            raise InputError(f"{PY}: {where(exc, path)}") from None
        except DomainError as exc:  # a math error (a loop past its bound): exit 1
            raise DomainError(f"{PY}: {fn.__name__} failed: {where(exc, path)}") from None
        except Exception as exc:
            raise InputError(f"{PY}: {fn.__name__} failed: {where(exc, path)}") from None
        outputs = out if isinstance(out, list | tuple) else [out]
        # a plain number on one branch (``return 0.0``) is a constant: derivative 0
        outputs = [as_traced(rec, v) for v in outputs]
        if not outputs or not all(isinstance(v, Var) for v in outputs):
            raise InputError(f"{PY}: {fn.__name__} returned {type(out).__name__}; it must "
                             "return a value computed from its parameters (or a list of them)")
        if len(outputs) > 1 and _command() == "grad":
            raise InputError(f"{PY}: {fn.__name__} in {path} returns {len(outputs)} values, "
                             "and grad needs one: return a single value; for the "
                             f"derivatives of value N (N = 1 … {len(outputs)}), run adcalc "
                             f"graph {PY} {spec} {param('of')} N with the same "
                             f"{param('point')}")
        return outputs_tape(list(outputs), names), rec


@functools.lru_cache(maxsize=8)
def _loaded(spec: str) -> tuple[Any, str, list[str]]:
    fn, path = load_function(spec)
    return fn, path, parameters(fn, path)


def at_row(spec: str, point: Mapping[str, float]) -> tuple[Tape, Tape]:
    """``FILE:FUNCTION`` traced at one row of ``--points`` (loaded once a process): the
    tape of what it returns, and the recording's whole tape (``FunctionProgram``).  A
    function that reads a traced value's number has no guard: it is refused."""
    fn, path, names = _loaded(spec)
    tape, rec = run(fn, names, path, spec, point)
    if rec.read_values:
        from adcalc.frontend.tracing import TracingError

        raise TracingError(f"{PY}: {fn.__name__} in {path} reads a traced value's number "
                           "(x.value), so what it traces holds at its own point only: give "
                           f"one point with {param('point')}")
    return tape, rec.tape


def _points() -> bool:
    """Whether the command line sweeps ``--points``."""
    import click

    ctx = click.get_current_context(silent=True)
    return ctx is not None and ctx.params.get("points") is not None


def _command() -> str | None:
    """The command running (``grad``, ``graph``), or ``None`` outside the command line."""
    import click

    ctx = click.get_current_context(silent=True)
    return None if ctx is None else ctx.info_name


def where(exc: BaseException, path: str) -> str:
    """``model.py, line 4: return math.sin(x): <the error>`` from the user's frames."""
    target = os.path.abspath(path)
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if os.path.abspath(f.filename) == target]
    said = exc.message if isinstance(exc, AdcalcError) else str(exc)  # markers kept
    message = said.split("\n")[0] or type(exc).__name__
    if not frames:
        return message
    f = frames[-1]
    return f"{path}, line {f.lineno}, in {f.name} ({(f.line or '').strip()}): {message}"
