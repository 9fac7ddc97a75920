"""``adcalc repl`` (and bare ``adcalc`` on a terminal): one adcalc command line a line,
without the word ``adcalc``, and definitions (``g(x) = x^2``, ``k = 2``) that later lines
may use.  History persists in ``$XDG_STATE_HOME/adcalc/history``; Tab completes
commands, options, functions and defined names (readline, where Python has it).  With
piped input the lines run as a script: each error names its line, and the exit status
is 1 if any line failed."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import sys
from pathlib import Path

import click

PROMPT = "adcalc> "
DEFINITION = re.compile(r"\s*([A-Za-z_]\w*)\s*(\(\s*[A-Za-z_][\w\s,]*\))?\s*=(?!=)\s*(\S.*)")
NAME = re.compile(r"[A-Za-z_]\w*")
BUILTINS = (":defs", ":clear", "help", "exit", "quit")
HELP = """Lines are adcalc command lines without the word adcalc, or definitions:
  grad "x^2*sin(x)" --at x=3         diff "g(x)*k" --order 2
  g(x) = exp(-x^2)                    k = 2
Definitions are put before the expressions that use them. Also:
  :defs   the definitions so far      :clear  forget them
  help    this; help grad (a command's options)
  exit    leave (or Ctrl-D); Ctrl-C cancels the line
Commands: """


def run_args(args: list[str]) -> int:
    """Run one adcalc command line (without ``adcalc``) in this process, as the
    command line would: the report on stdout, errors on stderr.  The exit code."""
    from adcalc.cli import main

    try:
        code = main.main(args, prog_name="adcalc", standalone_mode=False)
        return code if isinstance(code, int) else 0
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        return 130


class Session:
    """The definitions so far, and how a line becomes a command line."""

    def __init__(self) -> None:
        self.definitions: dict[str, str] = {}
        """By name, its definition as written (``g(x) = x^2``)."""

    def define(self, line: str) -> str | None:
        """Add ``line`` if it is a definition, and say so; ``None`` if it is not one.
        A definition that does not parse is an ``AdcalcError``."""
        m = DEFINITION.fullmatch(line)
        if m is None:
            return None
        from adcalc.frontend.parse import parse_program

        name, params, _ = m.groups()
        use = f"{name}({', '.join(['1'] * len(params.strip('()').split(',')))})" if params \
            else name
        trial = dict(self.definitions)
        trial.pop(name, None)
        # read, not traced: a definition with a branch or a loop has no point yet
        parse_program(self.program(f"{use}", {**trial, name: line.strip()}))
        self.definitions.pop(name, None)
        self.definitions[name] = line.strip()
        return f"defined {name}"

    def program(self, expression: str, definitions: dict[str, str] | None = None) -> str:
        """``expression`` after the definitions it uses (and those they use): an unused
        one would only be warned about."""
        defs = self.definitions if definitions is None else definitions
        wanted: set[str] = set()
        todo = set(NAME.findall(expression))
        while todo:
            name = todo.pop()
            if name in defs and name not in wanted:
                wanted.add(name)
                body = defs[name].split("=", 1)[1]
                todo |= set(NAME.findall(body))
        used = [d for n, d in defs.items() if n in wanted]
        return "\n".join([*used, expression])

    def args(self, line: str) -> list[str]:
        """The command line of ``line``, its expression after the definitions it uses."""
        from adcalc.cli import main

        args = shlex.split(line)
        if args and args[0] == "adcalc":
            args = args[1:]
        if not args or not self.definitions:
            return args
        with click.Context(main) as ctx:
            command = main.get_command(ctx, args[0])
        if command is None or not any(isinstance(p, click.Argument) and p.name == "expression"
                                      for p in command.params):
            return args
        takes_value = {o for p in command.params if isinstance(p, click.Option)
                       and not (p.is_flag or p.count) for o in p.opts}
        k, ended = 1, False
        while k < len(args):
            arg = args[k]
            if arg == "--" and not ended:
                ended = True
            elif not ended and arg.split("=", 1)[0] in takes_value:
                k += "=" not in arg
            elif ended or not arg.startswith("-") or arg == "-" or NUMBER.fullmatch(arg):
                if arg != "-" and not arg.startswith("@"):
                    args[k] = self.program(arg)
                break
            k += 1
        return args


NUMBER = re.compile(r"-[\d.(].*|-[a-zA-Z_].*[\^*+/(].*")
"""An expression that starts with a minus (``-x^2``), not an option."""


def completions(session: Session, line: str, text: str) -> list[str]:
    """What Tab may complete ``text`` to, at the end of ``line`` so far."""
    from adcalc.cli import COMMANDS, main

    words = line.split()
    first = not words or (len(words) == 1 and not line.endswith(" "))
    if first:
        pool = [*COMMANDS, *BUILTINS]
    elif text.startswith("-"):
        with click.Context(main) as ctx:
            command = main.get_command(ctx, words[0])
        pool = [o for p in (command.params if command else []) for o in p.opts
                if isinstance(p, click.Option)] + ["--help"]
    elif words[0] == "help":
        pool = list(COMMANDS)
    else:
        from adcalc.frontend.catalog import callable_names

        quote = text[:len(text) - len(text.lstrip("\"'"))]  # "kap: kappa, inside the quote
        return sorted({quote + w for w in [*callable_names(), *session.definitions]
                       if w.startswith(text[len(quote):])})
    return sorted({w for w in pool if w.startswith(text)})


def history_file() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"),
                                                             ".local", "state")
    return Path(state) / "adcalc" / "history"


def set_up_readline(session: Session) -> object | None:
    """History and completion through readline; ``None`` where Python has no readline."""
    try:
        import readline
    except ImportError:
        return None
    path = history_file()
    with contextlib.suppress(OSError):
        readline.read_history_file(path)
    readline.set_history_length(2000)
    found: list[str] = []

    def complete(text: str, state: int) -> str | None:
        if state == 0:
            found[:] = completions(session, readline.get_line_buffer()[:readline.get_endidx()],
                                   text)
        return found[state] if state < len(found) else None

    readline.set_completer(complete)
    readline.set_completer_delims(" \t\n()[],+*/^=;<>")  # not quotes: readline would close them
    if "libedit" in (readline.__doc__ or ""):
        readline.parse_and_bind("bind ^I rl_complete")
    else:
        readline.parse_and_bind("tab: complete")
    return readline


def save_history(readline: object | None) -> None:
    if readline is None:
        return
    path = history_file()
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        readline.write_history_file(path)  # type: ignore[attr-defined]


def run_line(session: Session, line: str) -> int | None:
    """One line: a builtin, a definition or a command.  Its exit code (``None``: leave)."""
    from adcalc.cli import COMMANDS
    from adcalc.errors import AdcalcError

    line = line.strip()
    if not line or line.startswith("#"):
        return 0
    if line in ("exit", "quit", ":q", ":quit"):
        return None
    if line == ":defs":
        click.echo("\n".join(session.definitions.values()) or "(no definitions yet)")
        return 0
    if line == ":clear":
        session.definitions.clear()
        return 0
    if line == "help":
        click.echo(HELP + ", ".join(sorted(COMMANDS)))
        return 0
    try:
        said = session.define(line)
        if said is not None:
            if sys.stdin.isatty():
                click.echo(said, err=True)
            return 0
        args = session.args(line)
    except AdcalcError as exc:
        from adcalc.cli.types import FLAGS

        click.echo(f"error: {exc.spelled(FLAGS)}", err=True)
        return exc.exit_code
    except ValueError as exc:  # shlex: an unclosed quote
        click.echo(f"error: {exc}", err=True)
        return 2
    if args[0] == "help":
        args = [*args[1:2], "--help"]
    if args[0] == "repl":
        click.echo("error: already in the REPL", err=True)
        return 2
    if args[0] not in COMMANDS and args[0] != "--help":
        click.echo(f"error: no command {args[0]!r} (commands: {', '.join(sorted(COMMANDS))}; "
                   "or a definition such as k = 2)", err=True)
        return 2
    return run_args(args)


def script(session: Session, lines: io.TextIOBase) -> int:
    """Piped input: every line runs; an error is reported with its line number."""
    from adcalc.cli import reader_gone

    failed = False
    for number, line in enumerate(lines, 1):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code = run_line(session, line)
        if reader_gone():  # | head: the rest would go nowhere (and each line's failure
            return 141  # wrapped stdout once more, until Python's recursion limit)
        said = err.getvalue()
        if code:
            failed = True
            said = f"line {number}: {said}" if said else f"line {number}: failed ({code})\n"
        sys.stderr.write(said)
        sys.stdout.flush()
        if code is None:
            break
    return 1 if failed else 0


def interactive(session: Session) -> int:
    readline = set_up_readline(session)
    click.echo("adcalc: a command line a line (grad \"x^2\" --at x=3), definitions "
               "(k = 2), help; Ctrl-D leaves.", err=True)
    try:
        while True:
            try:
                line = input(PROMPT)
            except KeyboardInterrupt:
                click.echo("", err=True)  # Ctrl-C: a fresh prompt
                continue
            except EOFError:
                click.echo("", err=True)
                return 0
            try:
                if run_line(session, line) is None:
                    return 0
            except KeyboardInterrupt:
                click.echo("\ninterrupted", err=True)
            sys.stdout.flush()
    finally:
        save_history(readline)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
def repl() -> None:
    """An interactive session: adcalc command lines without the word adcalc
    (grad "x^2" --at x=3), definitions that later lines use (g(x) = x^2, k = 2), :defs,
    help; history and Tab completion. With piped input, the lines run as a script
    (exit status 1 if any line failed).

    \b
    Examples:
      adcalc repl
      printf 'k = 2\\ngrad "k*x^2" --at x=3 -q\\n' | adcalc repl
    """
    session = Session()
    if sys.stdin.isatty():
        sys.exit(interactive(session))
    sys.exit(script(session, sys.stdin))
