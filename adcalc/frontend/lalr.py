"""A lean driver for Lark's own LALR tables: the same grammar, parsed faster.

Lark computes the tables, the terminals and the reduction callbacks from
``grammars/adcalc.lark``; this module only runs them in a tighter loop: one master
regular expression built from Lark's terminal definitions (in Lark's own order),
no token objects for punctuation, and the action table flattened into tuples.  The
tables and the shape of each reduction are plain data (``tables_from_lark``), so they
ship as JSON in the package and a usual run never imports Lark.  It keeps the new-line rules of
``parse._Newlines``.  On any syntax error it gives up and the caller re-parses with
Lark itself, so every error message is Lark's and ours as before.
"""

from __future__ import annotations

import re
from typing import Any

SHIFT, UNIT, REDUCE = "shift", "unit", "reduce"


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


FORMAT = 2
"""Version of the table file's layout (2: keywords)."""


def _spec(callback: Any) -> list | None:
    """A rule's reduction as data, or ``None`` if it is not one of the known shapes.

    ``["pick", method | None, [i, ...]]``: call ``method`` with the listed children
    (``None``: make them a list, for an inlined ``_rule`` its parent spreads);
    ``["child", i]``: the value is child ``i``;
    ``["expand", method | None, [[i, expand], ...]]``: Lark's inlining of ``_rule``
    children (``None`` makes a plain list for a parent to spread);
    ``["call", method]``: ``method`` gets all the children.
    """
    import functools

    from lark.parse_tree_builder import ExpandSingleChild

    def name(build: Any) -> str | bool | None:
        if isinstance(build, functools.partial):  # Tree(...) of an inlined _rule
            return None
        owner = getattr(build, "__self__", None)
        method = getattr(build, "__name__", None)
        return method if owner is not None and method else False

    include = getattr(callback, "to_include", None)
    build = getattr(callback, "node_builder", None)
    if include is None:
        method = name(callback)
        return ["call", method] if method else None
    if any(expand for _, expand in include):
        method = name(build)
        return None if method is False else ["expand", method, [list(x) for x in include]]
    keep = [i for i, _ in include]
    if isinstance(build, ExpandSingleChild) and len(keep) == 1:
        return ["child", keep[0]]
    method = name(build)
    return None if method is False else ["pick", method, keep]


def tables_from_lark(lark: Any, key: str) -> dict | None:
    """Lark's tables and terminals as JSON-ready data (``None`` if they do not fit)."""
    from lark.parse_tree_builder import ExpandSingleChild
    from lark.parsers.lalr_analysis import Shift

    parser = lark.parser.parser.parser
    table = parser.parse_table
    callbacks = parser.callbacks
    # Lark numbers states in an order that varies between processes (set iteration);
    # renumber them breadth-first from the start state, tokens in sorted order, so the
    # same grammar always gives the same file.
    number: dict[Any, int] = {table.start_states["start"]: 0}
    queue = [table.start_states["start"]]
    for state in queue:
        for token in sorted(table.states[state]):
            action, arg = table.states[state][token]
            if action is Shift and arg not in number:
                number[arg] = len(number)
                queue.append(arg)
    if len(number) != len(table.states):
        return None
    rules: list[list] = []
    index: dict[Any, int] = {}
    states: dict[str, dict[str, list]] = {}
    for state in queue:
        actions = table.states[state]
        row: dict[str, list] = {}
        for token in sorted(actions):
            action, arg = actions[token]
            if action is Shift:
                row[token] = ["s", number[arg]]
                continue
            callback = callbacks[arg]
            size = len(arg.expansion)
            if size == 1 and isinstance(callback, ExpandSingleChild):
                row[token] = ["u", arg.origin.name]  # ?rule: the child is the value
                continue
            if arg not in index:
                spec = _spec(callback)
                if spec is None:
                    return None
                index[arg] = len(rules)
                rules.append([size, arg.origin.name, spec])
            row[token] = ["r", index[arg]]
        states[str(number[state])] = row
    terminals = sorted(lark.terminals, key=lambda t: (-t.priority, -t.pattern.max_width,
                                                      -len(t.pattern.value), t.name))
    # A keyword (``if``) is also a NAME: Lark's lexer matches NAME and retypes the token
    # when its whole text is the keyword (``iffy`` stays a name); so does the driver.
    name = next(t for t in terminals if t.name == "NAME")
    keywords = {t.pattern.value: t.name for t in terminals
                if t.pattern.type == "str" and t.priority == name.priority
                and re.fullmatch(name.pattern.to_regexp(), t.pattern.value)}
    terminals = [t for t in terminals if t.name not in keywords.values()]
    ignore = set(lark.ignore_tokens) if hasattr(lark, "ignore_tokens") else set(
        lark.lexer_conf.ignore)
    blank = f"(?:{'|'.join(t.pattern.to_regexp() for t in terminals if t.name in ignore)})*"
    token = "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals
                     if t.name not in ignore)
    return {"format": FORMAT, "key": key, "start": 0, "end": number[table.end_states["start"]],
            "blank": blank, "token": token, "rules": rules, "states": states,
            "keywords": keywords}


def _reducer(spec: list, builder: Any) -> Any:
    kind = spec[0]
    if kind == "child":
        only = spec[1]
        return lambda children: children[only]
    if kind == "call":
        return getattr(builder, spec[1])
    build = getattr(builder, spec[1]) if spec[1] else None
    if kind == "pick" and build is None:  # an inlined _rule: a list its parent spreads
        picks = tuple(spec[2])
        return lambda children: [children[i] for i in picks]
    if kind == "pick":
        keep = tuple(spec[2])
        if keep == (0, 2):
            return lambda children: build([children[0], children[2]])
        if len(keep) == 1:
            one = keep[0]
            return lambda children: build([children[one]])
        return lambda children: build([children[i] for i in keep])
    include = [(i, bool(e)) for i, e in spec[2]]

    def expand(children: list) -> Any:
        out: list = []
        for i, spread in include:
            if spread:
                out.extend(children[i])
            else:
                out.append(children[i])
        return build(out) if build is not None else out

    return expand


class GiveUp(Exception):
    """The fast path met something it does not handle: let Lark parse (and explain)."""


class FastParser:
    def __init__(self, tables: dict, builder: Any, continues: set, leads_on: set,
                 signs: set) -> None:
        reducers = [(REDUCE, size, _reducer(spec, builder), origin)
                    for size, origin, spec in tables["rules"]]
        self.start, self.end = tables["start"], tables["end"]
        self.states: dict[int, dict[str, tuple]] = {}
        for state, actions in tables["states"].items():
            row: dict[str, tuple] = {}
            for token, (tag, arg) in actions.items():
                if tag == "s":
                    row[token] = (SHIFT, arg)
                elif tag == "u":
                    row[token] = (UNIT, arg)
                else:
                    row[token] = reducers[arg]
            self.states[int(state)] = row
        blank = tables["blank"]
        # One match per token: ignored text (spaces, comments) is skipped in front of it,
        # atomically: a comment never gives back characters for a token to match, as in
        # Lark's lexer, which takes the whole ignored match (``x + # y`` is ``x +``).
        self.regex = re.compile(f"(?>{blank})(?:{tables['token']})")
        self.blank = re.compile(blank)
        self.continues = continues
        self.leads_on = leads_on
        self.signs = signs
        self.keywords: dict[str, str] = tables.get("keywords", {})
        self.breaks: list[int] = []
        """Where the last parse began a statement at a sign in the first column."""

    def parse(self, text: str) -> Any:
        """The value of the start rule, or ``GiveUp`` at anything unexpected."""
        self.breaks = []
        states = self.states
        state_stack = [self.start]
        values: list[Any] = []
        push_state, push_value = state_stack.append, values.append
        match, continues, leads_on = self.regex.match, self.continues, self.leads_on
        keywords = self.keywords
        pos, n = 0, len(text)
        depth = 0
        previous = None
        pending = False
        queued = None
        while pos < n:
            m = match(text, pos)
            if m is None:
                if self.blank.match(text, pos).end() == n:
                    break  # only spaces and comments are left
                raise GiveUp
            kind = m.lastgroup
            pos = m.end()
            if kind == "_NL":  # the new-line rules of parse._Newlines
                if depth == 0 and previous not in continues:
                    pending = True
                continue
            if kind[0] == "_":
                if kind == "_LPAR" or kind == "_LBRA":
                    depth += 1
                elif kind == "_RPAR" or kind == "_RBRA":
                    depth -= 1
                value = None
            else:
                word, start = m.group(kind), m.start(kind)
                if kind == "NAME":
                    kind = keywords.get(word, kind)
                elif kind == "INDEX":  # w[i: an index opens a bracket
                    depth += 1
                value = Word(kind, word, start)
            if pending:  # a statement ended: feed the new line, then this token
                pending = False
                start = m.start(m.lastgroup)
                if kind not in leads_on or (
                        kind in self.signs and (start == 0 or text[start - 1] == "\n")):
                    if kind in leads_on:  # a sign in the first column: said in warnings
                        self.breaks.append(start)
                    queued = (kind, value)
                    kind, value = "_NL", None
            previous = kind if queued is None else queued[0]
            while True:  # shift the token after the reductions it triggers
                action = states[state_stack[-1]].get(kind)
                if action is None:
                    raise GiveUp
                tag = action[0]
                if tag is SHIFT:
                    push_state(action[1])
                    push_value(value)
                    if queued is None:
                        break
                    (kind, value), queued = queued, None
                    continue
                if tag is UNIT:
                    state_stack[-1] = states[state_stack[-2]][action[1]][1]
                    continue
                _, size, callback, origin = action
                children = values[-size:]
                del state_stack[-size:]
                del values[-size:]
                push_value(callback(children))
                push_state(states[state_stack[-1]][origin][1])
        while True:
            action = states[state_stack[-1]].get("$END")
            if action is None or action[0] is SHIFT:
                raise GiveUp
            if action[0] is UNIT:
                goto = states[state_stack[-2]][action[1]][1]
                if goto == self.end:
                    return values[-1]
                state_stack[-1] = goto
                continue
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
