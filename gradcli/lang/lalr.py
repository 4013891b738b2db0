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

What makes the loop fast (a large program is millions of tokens):

- Whitespace is lexed with the token after it: the master pattern starts with
  the ignored blanks, so one regular-expression match yields one token.
- Terminals and nonterminals are small integers (a terminal is the number of
  its group in the master pattern), and the action table is lists.
- Unit reductions (``?rule`` handing its one child up, like ``sum: product``)
  only change the state, and which state they end in depends on the state
  below, the nonterminal just reduced and the lookahead.  ``Parser`` follows
  those chains once, at start-up, into the goto table: an operand climbs
  atom -> power -> unary -> product -> sum -> expr in one step.
"""

from __future__ import annotations

import re
from operator import itemgetter

from gradcli.lang import _tables

_END = 0  # the terminal number of "$END" (group 0 never names a terminal)


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


class _Splice(list):
    """The children of a ``_rule``: spliced into the parent's children, as Lark does."""

    __slots__ = ()


class _Stuck(Exception):
    """The action table has no entry for this state and lookahead (turned into a ParseError)."""


def _stuck(children):
    raise _Stuck


def _first(children):
    return children[0]


def _one_class_repeated(regex: str) -> bool:
    """``[...]+`` with no ``]`` or ``\\`` inside (those are left to the general form)."""
    return regex.startswith("[") and regex.endswith("]+") and not any(c in regex[1:-2] for c in "[]\\")


def _passes_through(origin, size, expand1, keep, splice) -> bool:
    return size == 1 and expand1 and keep[0] and not splice[0] and not origin.startswith("_")


# What the lexer does with a terminal besides making it a token (bit flags).
_NEWLINES, _IGNORED, _BAD = 1, 2, 4


class _Later:
    """Stands for state ``under``'s gotos until a parse first needs them (start-up stays short)."""

    __slots__ = ("parser", "under")

    def __init__(self, parser: "Parser", under: int):
        self.parser, self.under = parser, under

    def __getitem__(self, origin: int):
        gotos = self.parser.gotos[self.under] = self.parser._gotos(self.under)
        return gotos[origin]


class Parser:
    def __init__(self, transformer, tables=_tables):
        ignore = set(tables.IGNORE)
        newline_types = set(tables.NEWLINE_TYPES)
        # Blanks before a token are matched with it: an ignored terminal that holds no newline can
        # lead the pattern, as no other terminal begins with one of its characters.  It stays an
        # alternative too, for blanks at the end of the text; a last one-character alternative
        # catches what no terminal matches (a lex error at exactly that character).
        blanks = [regex for name, regex in tables.TERMINALS if name in ignore - newline_types]
        if len(blanks) == 1 and _one_class_repeated(blanks[0]):  # [ \t]+ leads as [ \t]*: a faster loop
            lead = blanks[0][:-1] + "*"
        else:
            lead = f"(?:{'|'.join(blanks)})*" if blanks else ""
        alternatives = "|".join(f"(?P<{name}>{regex})" for name, regex in tables.TERMINALS)
        self.master = re.compile(f"{lead}(?:{alternatives}|(?P<_BAD>[\\s\\S]))")
        groups = self.master.groupindex
        width = self.master.groups + 1
        self.names = names = ["$END"] * width  # terminal number -> name
        self.flags = flags = [0] * width
        for name, number in groups.items():
            names[number] = name
            flags[number] = ((_NEWLINES if name in newline_types else 0) | (_IGNORED if name in ignore else 0)
                             | (_BAD if name == "_BAD" else 0))
        terminal = dict(groups, **{"$END": _END})

        self.states = states = tables.STATES  # by name, for the errors' expected terminals
        self.start_states = tables.START_STATES
        self.end_states = tables.END_STATES
        nonterminals = {origin: i for i, origin in enumerate(dict.fromkeys(r[0] for r in tables.RULES))}
        self.rules = rules = []  # (origin, size, callback or None for a unit reduction)
        for origin, alias, expand1, size, keep, splice in tables.RULES:
            unit = _passes_through(origin, size, expand1, keep, splice)
            rules.append((origin, size, None if unit else self._callback(transformer, origin, alias, expand1,
                                                                         keep, splice)))
        # The action table is one list: state n's action on terminal k is at n * scale + k, and the
        # driver numbers state n as n * scale.  A shift to state n is n * scale >= 0, a reduction by
        # rules[i] is -1 - i, no action is -1 - len(rules) (a pseudo-rule that raises _Stuck).
        self.scale = scale = max(width, len(nonterminals))
        stuck = -1 - len(rules)
        self.actions = actions = [stuck] * (len(states) * scale)
        for n, state in enumerate(states):
            for symbol, action in state.items():
                if symbol in terminal:
                    actions[n * scale + terminal[symbol]] = action * scale if action >= 0 else action
        # The driver's rules, indexed by the action itself (a negative index counts from the end).
        # A unit reduction never reaches the driver (the gotos below follow it), but stays correct.
        self.reductions = [(size, nonterminals[origin], _first if callback is None else callback)
                           for origin, size, callback in rules]
        self.reductions.append((0, 0, _stuck))
        self.reductions.reverse()
        self.nonterminals = nonterminals
        self.gotos: list = [None] * len(actions)  # indexed by the driver's state numbers
        for n in range(len(states)):
            self.gotos[n * scale] = _Later(self, n * scale)

    def _gotos(self, under: int) -> list:
        """Per nonterminal, per lookahead: the state after the goto from ``under`` and the unit
        reductions it leads to, with the action there."""
        actions, rules, nonterminals, scale = self.actions, self.rules, self.nonterminals, self.scale
        state, width = self.states[under // scale], len(self.names)
        gotos = [None] * len(nonterminals)
        for symbol, target in state.items():
            if symbol not in nonterminals:
                continue
            row = [None] * width
            for kind in range(width):
                top = target * scale
                action = actions[top + kind]
                while action < 0 and -1 - action < len(rules) and rules[-1 - action][2] is None:
                    top = state[rules[-1 - action][0]] * scale
                    action = actions[top + kind]
                row[kind] = top, action
            gotos[nonterminals[symbol]] = row
        return gotos

    @staticmethod
    def _callback(transformer, origin, alias, expand1, keep, splice):
        method = getattr(transformer, alias or origin, None)
        shaping = not all(keep) or any(splice)
        spliced = origin.startswith("_")
        if not shaping and not expand1:  # most rules: straight to the transformer, or a splice
            if spliced:
                return _Splice
            if method is not None:
                return method
        # The children kept, in order, with whether each is a _Splice to open.
        plan = [(i, opened) for i, (kept, opened) in enumerate(zip(keep, splice)) if kept or opened]
        if spliced and len(plan) == 1 and plan[0][1]:  # `_a: _b` hands the splice up as it is
            return itemgetter(plan[0][0])
        first, opened_first = plan[0] if plan else (0, False)
        rest = plan[1:]
        start = _Splice if spliced else list

        def reduce(children):
            if shaping:
                if not plan:
                    shaped = start()
                elif opened_first:  # left recursion (a list growing item by item): grow it, don't copy
                    shaped = children[first] if spliced else list(children[first])
                else:
                    shaped = start((children[first],))
                for i, opened in rest:
                    if opened:
                        shaped.extend(children[i])
                    else:
                        shaped.append(children[i])
                children = shaped
            if spliced:
                return children if shaping else _Splice(children)
            if expand1 and len(children) == 1:
                return children[0]
            return method(children) if method is not None else children

        return reduce

    def tokens(self, text: str):
        """The tokens of ``text`` with their line and column, then ``$END`` (``parse`` lexes the same way)."""
        names, flags = self.names, self.flags
        line, line_start = 1, 0
        for m in self.master.finditer(text):
            kind = m.lastindex
            start = m.start(kind)
            flag = flags[kind]
            if flag:
                if flag & _BAD:
                    raise LexError(start, line, start - line_start + 1)
                value = m[kind]
                token = Token(names[kind], value, line, start - line_start + 1, start)
                if flag & _NEWLINES and "\n" in value:
                    line += value.count("\n")
                    line_start = start + value.rindex("\n") + 1
                if flag & _IGNORED:
                    continue
                yield token
            else:
                yield Token(names[kind], m[kind], line, start - line_start + 1, start)
        yield Token("$END", "", line, len(text) - line_start + 1, len(text))

    def parse(self, text: str, start: str):
        names, flags, actions, reductions, gotos = self.names, self.flags, self.actions, self.reductions, self.gotos
        scale = self.scale
        state = self.start_states[start] * scale
        below: list = []  # below[i]: the state under values[i]
        values: list = []
        previous = token = None
        line, line_start, new = 1, 0, object.__new__
        try:
            for m in self.master.finditer(text):
                # The lexer, as in tokens() (inline: a generator costs a resumption per token).
                kind = m.lastindex
                pos = m.start(kind)
                flag = flags[kind]
                if flag:
                    if flag & _BAD:
                        raise LexError(pos, line, pos - line_start + 1)
                    value = m[kind]
                    token = Token(names[kind], value, line, pos - line_start + 1, pos)
                    if flag & _NEWLINES and "\n" in value:
                        line += value.count("\n")
                        line_start = pos + value.rindex("\n") + 1
                    if flag & _IGNORED:
                        continue
                else:
                    # Token(...) without the call to __init__: a third cheaper, for most tokens.
                    token = new(Token)
                    token.type = names[kind]
                    token.value = m[kind]
                    token.line = line
                    token.column = pos - line_start + 1
                    token.pos = pos
                action = actions[state + kind]
                while action < 0:
                    size, origin, reduce = reductions[action]
                    if size == 1:
                        under = below[-1]
                        values[-1] = reduce([values[-1]])
                    elif size:
                        under = below[-size]
                        del below[1 - size:]
                        children = values[-size:]
                        del values[1 - size:]
                        values[-1] = reduce(children)
                    else:
                        under = state
                        value = reduce([])
                        below.append(state)
                        values.append(value)
                    state, action = gotos[under][origin][kind]
                below.append(state)
                values.append(token)
                state = action
                previous = token
        except _Stuck:
            raise ParseError(token, [s for s in self.states[state // scale] if s.isupper()], previous) from None
        return self._finish(text, start, state, below, values, previous, line, line_start)

    def _finish(self, text, start, state, below, values, previous, line, line_start):
        """Feed ``$END``: reduce until the start rule's end state (plain gotos, unit rules one by one)."""
        states, rules, scale = self.states, self.rules, self.scale
        end_state = self.end_states[start] * scale
        token = Token("$END", "", line, len(text) - line_start + 1, len(text))
        while True:
            action = self.actions[state + _END]
            if action >= 0:  # the tables never shift $END; Lark would stop here too
                return None
            if -1 - action == len(rules):
                raise ParseError(token, [s for s in states[state // scale] if s.isupper()], previous)
            origin, size, reduce = rules[-1 - action]
            if reduce is None:
                state = states[below[-1] // scale][origin] * scale
                continue
            if size:
                under = below[-size]
                children = values[-size:]
                del below[-size:]
                del values[-size:]
            else:
                under, children = state, []
            below.append(under)
            values.append(reduce(children))
            state = states[under // scale][origin] * scale
            if state == end_state:
                return values[-1]
