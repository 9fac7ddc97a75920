"""The one way a record reaches the user: warnings on stderr, then JSON, the numbers only
(``--quiet``), or the report as rich tables, plain text, Markdown or LaTeX.

Every record module of ``adcalc.render`` (``trace`` for grad, ``vector_report`` for
jacobian, hessian, jvp and vjp, ``diff_report`` for diff) offers the same four functions,
which ``emit`` calls:

    blocks(record, **options)      the report, as paragraphs and tables
    to_json(record, **options)     one object for scripts (``quiet=True``: the short form)
    quiet_text(record, **options)  the numbers only
    warnings(record)               lines for stderr

``options`` are the record's own (grad's ``check``, diff's ``cse``, a vector's ``kind``);
a function ignores those it has no use for.  A module with a ``latex`` function of its
own writes ``--format latex`` with it instead of the blocks' tables.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import click


@contextmanager
def in_its_digits(record: Any) -> Iterator[None]:
    """mpmath's working precision set to the digits of a ``--precision`` record
    (``arithmetic`` ``"N digits"``) while it is formatted, so that its tables' numbers and
    the products they show carry them all, and set back after: whoever called keeps the
    mpmath they had.  Any other record: nothing is set."""
    arithmetic = getattr(record, "arithmetic", None)
    if not (isinstance(arithmetic, str) and arithmetic.endswith(" digits")):
        yield
        return
    import mpmath

    with mpmath.workdps(int(arithmetic.split()[0])):
        yield


def emit(view: ModuleType, record: Any, fmt: str, quiet: bool = False,
         digits: int | None = None, **options: Any) -> None:
    """Print ``record`` through its record module ``view`` in the chosen format."""
    with in_its_digits(record):
        _emit(view, record, fmt, quiet, digits, **options)


def _emit(view: ModuleType, record: Any, fmt: str, quiet: bool, digits: int | None,
          **options: Any) -> None:
    for line in view.warnings(record):
        click.echo(line, err=True)
    tape = getattr(record, "tape", None)
    path = tape is not None and bool(tape.decisions or tape.loops)  # a traced program
    if fmt == "json":
        from adcalc.render.json_out import dumps

        data = view.to_json(record, quiet=quiet, **options)
        if path and not quiet:
            from adcalc.render.path import path_json

            data.update(path_json(tape, record.values, record.variables))
        click.echo(dumps(data), nl=False)
    elif quiet:
        click.echo(view.quiet_text(record, **options), nl=False)
    elif fmt == "latex" and hasattr(view, "latex"):
        click.echo(view.latex(record, **options), nl=False)
    else:
        blocks = view.blocks(record, **options)
        if path and blocks:
            from adcalc.render.path import path_table

            blocks.insert(1, path_table(tape, record.values, record.variables))
        print_blocks(blocks, fmt, digits)


def print_blocks(blocks: list, fmt: str, digits: int | None = None) -> None:
    """Rich tables on a terminal (or with ``--format rich``), fitted to its width; plain
    text otherwise; Markdown or LaTeX for notes and slides.  ``digits``: significant
    digits of the numbers in tables (default: all, or as many as a terminal fits)."""
    if digits is not None:
        from adcalc.render.document import Table, with_digits

        blocks = [with_digits(b, digits) if isinstance(b, Table) else b for b in blocks]
    if fmt in ("markdown", "latex"):
        from adcalc.render import notes

        click.echo(notes.markdown(blocks) if fmt == "markdown" else notes.latex(blocks),
                   nl=False)
        return
    if fmt == "rich" or (fmt == "auto" and sys.stdout.isatty()):
        from rich.console import Console

        from adcalc.render.rich_tty import render

        render(blocks, Console(force_terminal=True if fmt == "rich" else None), digits)
    else:
        from adcalc.render.plain import render as render_plain

        click.echo(render_plain(blocks), nl=False)


def print_json(data: dict[str, Any]) -> None:
    """An object that is not a record's (``adcalc functions --format json``)."""
    from adcalc.render.json_out import dumps

    click.echo(dumps(data), nl=False)
