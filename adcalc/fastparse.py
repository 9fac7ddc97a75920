"""A lean driver for Lark's own LALR tables: the same grammar, parsed faster.

Lark computes the tables, the terminals and the reduction callbacks from
``grammars/adcalc.lark``; this module only runs them in a tighter loop: one master
regular expression built from Lark's terminal definitions (in Lark's own order),
no token objects for punctuation, and the action table flattened into tuples.  It keeps
the new-line rules of ``parse._Newlines``.  On any syntax error it gives up and the
caller re-parses with Lark itself, so every error message is Lark's and ours as before.
"""

from __future__ import annotations

import re
from typing import Any


class Word:
    """A NAME or NUMBER token: what the builder callbacks read from a token."""

    __slots__ = ("start_pos", "type", "value")

    def __init__(self, kind: str, value: str, start_pos: int) -> None:
        self.type = kind
        self.value = value
        self.start_pos = start_pos

    def __str__(self) -> str:
        return self.value

    def __float__(self) -> float:
        return float(self.value)


class GiveUp(Exception):
    """The fast path met something it does not handle: let Lark parse (and explain)."""


class FastParser:
    def __init__(self, lark: Any, continues: set, leads_on: set) -> None:
        from lark.parsers.lalr_analysis import Shift

        parser = lark.parser.parser.parser
        table = parser.parse_table
        callbacks = parser.callbacks
        self.start = table.start_states["start"]
        self.end = table.end_states["start"]
        self.states: dict[int, dict[str, tuple]] = {}
        for state, actions in table.states.items():
            row = {}
            for token, (action, arg) in actions.items():
                if action is Shift:
                    row[token] = (True, arg)
                else:
                    row[token] = (False, len(arg.expansion), callbacks[arg], arg.origin.name)
            self.states[state] = row
        terminals = sorted(lark.terminals, key=lambda t: (-t.priority, -t.pattern.max_width,
                                                          -len(t.pattern.value), t.name))
        self.ignore = set(lark.ignore_tokens) if hasattr(lark, "ignore_tokens") else set(
            lark.lexer_conf.ignore)
        self.regex = re.compile("|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})"
                                         for t in terminals))
        self.continues = continues
        self.leads_on = leads_on

    def tokens(self, text: str):
        """(type, value) pairs, with the postlexer's new-line rules applied."""
        match = self.regex.match
        ignore, continues, leads_on = self.ignore, self.continues, self.leads_on
        pos, n = 0, len(text)
        depth = 0
        previous = None
        pending = False
        while pos < n:
            m = match(text, pos)
            if m is None:
                raise GiveUp
            kind = m.lastgroup
            start, pos = pos, m.end()
            if kind in ignore:
                continue
            if kind == "_NL":
                if depth == 0 and previous not in continues:
                    pending = True
                continue
            if pending:
                if kind not in leads_on:
                    yield "_NL", None
                pending = False
            if kind == "_LPAR" or kind == "_LBRA":
                depth += 1
            elif kind == "_RPAR" or kind == "_RBRA":
                depth -= 1
            previous = kind
            yield kind, (Word(kind, m.group(), start) if kind[0] != "_" else None)

    def parse(self, text: str) -> Any:
        states = self.states
        state_stack = [self.start]
        values: list[Any] = []
        push_state, push_value = state_stack.append, values.append
        for kind, value in self.tokens(text):
            while True:
                action = states[state_stack[-1]].get(kind)
                if action is None:
                    raise GiveUp
                if action[0]:
                    push_state(action[1])
                    push_value(value)
                    break
                _, size, callback, origin = action
                if size:
                    children = values[-size:]
                    del state_stack[-size:]
                    del values[-size:]
                else:
                    children = []
                push_value(callback(children))
                push_state(states[state_stack[-1]][origin][1])
        while True:
            action = states[state_stack[-1]].get("$END")
            if action is None:
                raise GiveUp
            if action[0]:  # pragma: no cover - the grammar never shifts $END
                raise GiveUp
            _, size, callback, origin = action
            if size:
                children = values[-size:]
                del state_stack[-size:]
                del values[-size:]
            else:
                children = []
            value = callback(children)
            goto = states[state_stack[-1]][origin][1]
            if goto == self.end:
                return value
            push_state(goto)
            push_value(value)
