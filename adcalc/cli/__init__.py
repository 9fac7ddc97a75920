"""The command line: thin click commands that call the core and pick a renderer.

Exit codes: 0 success, 1 a math error or a failed check, 2 a usage or parse error.

The group loads a command's module only when that command runs (``adcalc grad`` imports
``cli.grad`` and nothing of diff or graph):

    argv.py     the command line's own argv handling (``--``, the expression's '-')
    types.py    option types (points, names, vectors, EXPRESSION) and FLAGS
    options.py  options shared by several commands
    grad.py     grad            vector.py   jacobian, hessian, jvp, vjp
    diff.py     diff            graph.py    graph
    misc.py     examples, functions
    points.py   --points: batch, columnar and Dask sweeps
    step.py     --step: the sweeps one step at a time on a terminal
    repl.py     repl (and bare adcalc on a terminal): a session of command lines
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from adcalc.cli.types import FLAGS
from adcalc.errors import AdcalcError
from adcalc.version import __version__

COMMANDS = {
    "grad": "adcalc.cli.grad:grad", "diff": "adcalc.cli.diff:diff",
    "jacobian": "adcalc.cli.vector:jacobian", "hessian": "adcalc.cli.vector:hessian",
    "jvp": "adcalc.cli.vector:jvp", "vjp": "adcalc.cli.vector:vjp",
    "graph": "adcalc.cli.graph:graph", "examples": "adcalc.cli.misc:examples",
    "functions": "adcalc.cli.misc:functions", "taylor": "adcalc.cli.taylor:taylor",
    "repl": "adcalc.cli.repl:repl", "codegen": "adcalc.cli.codegen:codegen",
}
"""Every command, by the import path of its click command."""


class LazyGroup(click.Group):
    """A group whose commands are registered by import path and imported on first use
    (click's lazy-loading pattern)."""

    def __init__(self, *args: Any, lazy_commands: dict[str, str] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        path = self.lazy_commands.get(cmd_name)
        if path is None:
            return super().get_command(ctx, cmd_name)
        module, name = path.split(":")
        command = getattr(importlib.import_module(module), name)
        assert isinstance(command, click.Command), path
        return command


@click.group(cls=LazyGroup, lazy_commands=COMMANDS,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="adcalc")
def main() -> None:
    """adcalc: derivatives on the command line, step by step.

    \b
    Examples:
      adcalc grad "log((x1+x2)^2 + sin(x1*x2))" --at x1=1,x2=0.5
      adcalc grad "x*y + x^2" --at x=2,y=3 --mode forward
      adcalc grad "sin(x^2 + 1)" --at x=1.5 --check
      adcalc diff "x^3*sin(x)" --wrt x --order 2
      adcalc jacobian "[x*y, sin(x) + y^2, exp(x*y)]" --at x=1,y=2
      adcalc hessian "log((x1+x2)^2 + sin(x1*x2))" --at x1=1,x2=0.5
      adcalc graph "log((x1+x2)^2 + sin(x1*x2))" --at x1=1,x2=0.5 -o graph.svg
      adcalc functions
      adcalc examples baydin
    """


class errors_reported:
    """Turn adcalc errors into a message on stderr (parameters spelled as the command
    line's flags) and the error's exit code."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, exc: BaseException | None, tb: Any) -> bool:
        if isinstance(exc, AdcalcError):
            click.echo(f"error: {exc.spelled(FLAGS)}", err=True)
            sys.exit(exc.exit_code)
        return False


class ClosedOutput:
    """Standard output when the shell closed it (``>&-``): writing to it fails as writing
    to a closed descriptor does (a message, exit 1); a run that writes to ``-o FILE``
    needs none of it."""

    buffer: Any = None

    def __init__(self) -> None:
        self.buffer = self

    def write(self, data: Any) -> int:
        import errno

        raise OSError(errno.EBADF, "standard output is closed")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        import errno

        raise OSError(errno.EBADF, "standard output is closed")


def reader_gone() -> bool:
    """Whether the reader of standard output went away (``| head``): click ends a broken
    pipe (EPIPE) with exit 1, putting a quiet wrapper on stdout."""
    return type(sys.stdout).__name__.endswith("PacifyFlushWrapper")


def run() -> None:
    """Console entry point: every ending is a message and an exit code, never a traceback.

    0 success, 1 a math error or a failed check (or output that cannot be written), 2 a
    usage or parse error, 130 interrupted (Ctrl-C), 141 the reader of a pipe went away
    (``| head``: quietly, as other tools do).
    """
    import contextlib
    import errno
    import os

    if sys.stdout is None:  # (>&-: the shell closed it) writing says so, nothing else does
        sys.stdout = ClosedOutput()
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (the exit code still speaks)
    try:
        try:
            # bare adcalc on a terminal: the REPL (piped, it prints the help as ever)
            bare = len(sys.argv) == 1 and sys.stdin.isatty()
            code = main.main(["repl"] if bare else None, prog_name="adcalc",
                             standalone_mode=False)
            code = code if isinstance(code, int) else 0
        except SystemExit as exc:
            code = 141 if reader_gone() and exc.code == 1 else exc.code
        finally:
            sys.stdout.flush()
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except (click.Abort, KeyboardInterrupt) as exc:
        cause = exc.__cause__ if isinstance(exc, click.Abort) else exc  # (click's Abort)
        code = 128 + getattr(cause, "signum", 2)  # Ctrl-C: 130, the shell's own status
        # for SIGINT, and no "Aborted!"; SIGTERM, SIGHUP in a batch: 143, 129
    except OSError as exc:
        # Point stdout at the null device, so the flush at exit cannot fail again.
        null = os.open(os.devnull, os.O_WRONLY)
        with contextlib.suppress(OSError, ValueError):  # (none: the shell closed it)
            os.dup2(null, sys.stdout.fileno())
        if exc.errno == errno.EPIPE:
            code = 141  # | head: the reader has all it wants
        else:
            click.echo(f"error: cannot write the output: {exc.strerror or exc}", err=True)
            code = 1
    if code in (129, 130, 143):  # stopped: what it wrote is cleaned up; threads still in
        with contextlib.suppress(Exception):  # polars (reading, writing a piece) are not
            sys.stdout.flush()  # waited for, and not unwound by Python's exit either
            sys.stderr.flush()  # (a thread unwound inside Rust aborts the process)
        os._exit(code)
    sys.exit(code)
