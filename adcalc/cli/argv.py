"""The command line's own argv handling: options sorted from the expression before click
parses them, ``--`` honoured, a stray ``name=value`` after the expression explained."""

from __future__ import annotations

import re

import click


class ExpressionCommand(click.Command):
    """A command whose EXPRESSION may start with '-' (``-x^2``, ``-xq + x``, ``-tanh(x)``).

    The command line owns argv: before click parses it, every argument is sorted into an
    option of this command (with its value, even one starting with '-': ``--dir -1,1``),
    a long option this command does not have (click then names it and suggests the
    nearest, ``--att`` → ``--at``), or a positional argument, which is never split into
    short options.  After a ``--`` an argument is the expression's, never an option it
    does not name exactly: ``adcalc grad --at x=2 -- --x`` is minus minus x, and
    ``adcalc grad -- "-x^2" --at x=3`` still works as it reads.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        takes_value, flags = set(), set()
        for param in self.get_params(ctx):
            if isinstance(param, click.Option):
                for name in (*param.opts, *param.secondary_opts):
                    (flags if param.is_flag or param.count else takes_value).add(name)
        options: list[str] = []
        positional: list[str] = []
        rest = iter(args)
        ended = False  # after "--": nothing but this command's own options is an option
        for arg in rest:
            name = arg.split("=", 1)[0]
            if arg == "--" and not ended:
                ended = True
                continue
            if ended and name not in takes_value and arg not in flags:
                positional.append(arg)
            elif name in takes_value:
                options.append(arg)
                if "=" not in arg:
                    value = next(rest, None)
                    if value is not None:
                        options.append(value)
            elif arg in flags:
                options.append(arg)
            elif LONG_OPTION.fullmatch(arg):
                elsewhere = other_commands_with(ctx, name)
                if elsewhere:
                    raise click.UsageError(f"{name} is an option of adcalc "
                                           f"{' and '.join(elsewhere)}, not of {self.name}", ctx)
                options.append(arg)  # click names it and suggests the nearest
            else:
                positional.append(arg)
        if len(positional) > 1:
            pairs = [a for a in positional[1:] if POINT_PAIR.fullmatch(a)]
            given = [k for k, a in enumerate(options) if k and POINT_PAIR.fullmatch(a)
                     and options[k - 1] in takes_value]
            if pairs and given:
                flag, value = options[given[-1] - 1], options[given[-1]]
                raise click.UsageError(f"got {' '.join(positional[1:])!r} after the "
                                       "expression: separate name=value pairs with commas, "
                                       f"as in {flag} {','.join([value, *pairs])}", ctx)
        return super().parse_args(ctx, [*options, "--", *positional])


def other_commands_with(ctx: click.Context, option: str) -> list[str]:
    """The other commands that have ``option`` (``--wrt`` on grad: diff has it)."""
    group = ctx.parent.command if ctx.parent is not None else None
    if not isinstance(group, click.Group):
        return []
    found = []
    order = getattr(group, "lazy_commands", None) or group.list_commands(ctx.parent)
    for name in order:  # loads every command: only on an error's path
        command = group.get_command(ctx.parent, name)
        if name != ctx.info_name and command is not None and any(
                option in (*p.opts, *p.secondary_opts) for p in command.params
                if isinstance(p, click.Option)):
            found.append(name)
    return found


LONG_OPTION = re.compile(r"--[A-Za-z][A-Za-z0-9-]*(=.*)?", re.S)
POINT_PAIR = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\[[0-9]+(,[0-9]+)*\])?=.+", re.S)
