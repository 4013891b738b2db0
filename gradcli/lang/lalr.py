"""A small LALR(1) driver for the tables Lark computed from grammar/gradcli.lark.

grammar/build_parser.py has Lark compile the grammar and writes the result to
``_tables.py``: the terminals' regular expressions, the rules and the action
table.  This module runs them.  It does what Lark's own LALR parser does with a
transformer attached (the same shifts, reductions and tree shaping: aliases,
``?rule`` single-child inlining, ``_rule`` splicing), in one loop that lexes and
parses together.  That keeps Lark out of gradcli's start-up and makes parsing
several times faster; tests/test_parser.py checks it against Lark itself.

Each reduction calls the transformer method named by the rule's alias, or by
the rule, with the rule's children: the parse tree is never built, and nothing
recurses however deep the input nests.
"""

from __future__ import annotations

import re

from gradcli.lang import _tables


class Token:
    __slots__ = ("type", "value", "line", "column", "pos")

    def __init__(self, type: str, value: str, line: int, column: int, pos: int):
        self.type = type
        self.value = value
        self.line = line
        self.column = column
        self.pos = pos

    def __repr__(self) -> str:
        return f"Token({self.type}, {self.value!r}, {self.line}:{self.column})"


class LexError(Exception):
    """No terminal matches at ``pos``."""

    def __init__(self, pos: int, line: int, column: int):
        super().__init__(f"no token at {line}:{column}")
        self.pos, self.line, self.column = pos, line, column


class ParseError(Exception):
    """``token`` cannot come here; ``expected`` names the terminals that could."""

    def __init__(self, token: Token, expected: list[str], previous: Token | None):
        super().__init__(f"unexpected {token.type} at {token.line}:{token.column}")
        self.token, self.expected, self.previous = token, expected, previous


class _Splice:
    """The children of a ``_rule``: spliced into the parent's children, as Lark does."""

    __slots__ = ("items",)

    def __init__(self, items: list):
        self.items = items


def _passes_through(origin, size, expand1, keep, splice) -> bool:
    return size == 1 and expand1 and keep[0] and not splice[0] and not origin.startswith("_")


class Parser:
    def __init__(self, transformer, tables=_tables):
        self.master = re.compile("|".join(f"(?P<{name}>{regex})" for name, regex in tables.TERMINALS))
        self.ignore = frozenset(tables.IGNORE)
        self.newline_types = frozenset(tables.NEWLINE_TYPES)
        self.states = tables.STATES
        self.start_states = tables.START_STATES
        self.end_states = tables.END_STATES
        # A rule `a: b` that hands its one child up unchanged (Lark's ?rule) only changes state:
        # its callback is None.  These unit reductions are most of the work in an expression.
        self.rules = [(origin, size, None if _passes_through(origin, size, expand1, keep, splice)
                       else self._callback(transformer, origin, alias, expand1, keep, splice))
                      for origin, alias, expand1, size, keep, splice in tables.RULES]

    @staticmethod
    def _callback(transformer, origin, alias, expand1, keep, splice):
        method = getattr(transformer, alias or origin, None)
        shaping = not all(keep) or any(splice)

        def reduce(children):
            if shaping:
                shaped = []
                for child, kept, spliced in zip(children, keep, splice):
                    if spliced:
                        if shaped:
                            shaped.extend(child.items)
                        else:  # left recursion (a list growing item by item): reuse, don't copy
                            shaped = child.items
                    elif kept:
                        shaped.append(child)
                children = shaped
            if origin.startswith("_"):
                return _Splice(children)
            if expand1 and len(children) == 1:
                return children[0]
            return method(children) if method is not None else children

        return reduce

    def tokens(self, text: str):
        """The tokens of ``text`` with their line and column, then ``$END``."""
        ignore, newline_types = self.ignore, self.newline_types
        line, line_start, pos = 1, 0, 0
        for m in self.master.finditer(text):
            start = m.start()
            if start != pos:
                break
            pos = m.end()
            kind = m.lastgroup
            if kind not in ignore:
                yield Token(kind, m.group(), line, start - line_start + 1, start)
            if kind in newline_types:
                value = m.group()
                if "\n" in value:
                    line += value.count("\n")
                    line_start = start + value.rindex("\n") + 1
        if pos != len(text):
            raise LexError(pos, line, pos - line_start + 1)
        yield Token("$END", "", line, pos - line_start + 1, pos)

    def parse(self, text: str, start: str):
        states, rules = self.states, self.rules
        end_state = self.end_states[start]
        state_stack = [self.start_states[start]]
        value_stack: list = []
        previous = None
        for token in self.tokens(text):
            kind = token.type
            while True:
                action = states[state_stack[-1]].get(kind)
                if action is None:
                    expected = [s for s in states[state_stack[-1]] if s.isupper()]
                    raise ParseError(token, expected, previous)
                if action >= 0:
                    state_stack.append(action)
                    value_stack.append(token)
                    break
                origin, size, reduce = rules[-1 - action]
                if reduce is None:
                    state_stack[-1] = states[state_stack[-2]][origin]
                    continue
                if size:
                    children = value_stack[-size:]
                    del value_stack[-size:]
                    del state_stack[-size:]
                else:
                    children = []
                value_stack.append(reduce(children))
                state_stack.append(states[state_stack[-1]][origin])
                if kind == "$END" and state_stack[-1] == end_state:
                    return value_stack[-1]
            previous = token
