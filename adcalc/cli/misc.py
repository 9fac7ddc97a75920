"""``adcalc examples`` and ``adcalc functions``: what is built in."""

from __future__ import annotations

from typing import Any

import click


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
              help="""The famous examples, built in: with no NAME, the list; with a NAME,
its source and program, then its command run on it, with any options of that command
after the name.

\b
Examples:
  adcalc examples
  adcalc examples baydin
  adcalc examples baydin --mode forward
  adcalc examples griewank --format latex
  adcalc examples softmax -q
""")
@click.argument("name", required=False)
@click.argument("options", nargs=-1, type=click.UNPROCESSED)
def examples(name: str | None, options: tuple[str, ...]) -> None:
    from adcalc.commands.examples import BY_NAME, EXAMPLES

    if name is None:
        from adcalc.render.document import Table
        from adcalc.render.output import print_blocks

        table = Table("Built-in examples (adcalc examples NAME runs one)",
                      ["name", "command", "what", "from"])
        for e in EXAMPLES:
            table.add([e.name, e.command, e.title, e.source])
        print_blocks([table], "auto")
        return
    example = BY_NAME.get(name)
    if example is None:
        from adcalc.engine.hints import nearest

        near = nearest(name, BY_NAME)
        hint = f" (did you mean {near}?)" if near else ""
        raise click.BadParameter(f"no example {name!r}{hint}; there are "
                                 f"{', '.join(BY_NAME)}", param_hint="'NAME'")
    run_example(example, options)


def run_example(example: Any, options: tuple[str, ...]) -> None:
    """The example's about lines (unless its command is quiet or writes JSON), then its
    command on its program, parsed by that command with the options given after the name,
    at the example's point unless they give --at."""
    from click.core import ParameterSource

    from adcalc.cli import main
    from adcalc.cli.types import POINT, merge_points

    root = click.get_current_context().find_root()
    command = main.get_command(root, example.command)
    assert command is not None, example.command
    with command.make_context(example.command, [example.program, *options],
                              parent=root) as ctx:
        fmt = ctx.params.get("fmt", "")
        if not (ctx.params.get("quiet") or fmt == "json"):
            from adcalc.render.notes import comment

            click.echo(comment(example.about(), fmt))
        if ctx.get_parameter_source("at") is not ParameterSource.COMMANDLINE:
            ctx.params["at"] = merge_points((POINT.convert(example.point, None, ctx),))
        command.invoke(ctx)


@click.command(help="""Every function, reduction and constant an expression may use, with
its domain and what adcalc does at its kinks.

\b
Examples:
  adcalc functions
  adcalc functions --format json
""")
@click.option("--format", "fmt", type=click.Choice(["auto", "plain", "rich", "json"]),
              default="auto", show_default=True,
              help="auto: a table on a terminal, plain text when piped.")
def functions(fmt: str) -> None:
    from adcalc.frontend.catalog import entries
    from adcalc.render.document import Table
    from adcalc.render.output import print_blocks, print_json

    if fmt == "json":
        return print_json({"functions": [e._asdict() for e in entries()]})
    table = Table("What an expression may use", ["call", "what it is", "domain and conventions"])
    for e in entries():
        table.add([e.signature, e.doc, e.notes])
    print_blocks([table], fmt)
