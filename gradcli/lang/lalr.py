"""A small LALR(1) driver for the tables Lark computed from grammar/gradcli.lark.

grammar/build_parser.py has Lark compile the grammar and writes the result to
``_tables.py``: the terminals' regular expressions, the rules and the action
table.  This module runs them.  It does what Lark's own LALR parser does with a
transformer attached (the same shifts, reductions and tree shaping: aliases,
``?rule`` single-child inlining, ``_rule`` splicing), in one loop that lexes and
parses together.  That keeps Lark out of gradcli's start-up and makes parsing
several times faster; tests/test_parser.py checks it against Lark itself.

The lexer also keeps the brackets open (``CONTINUED`` in the tables): a newline
inside ( ) or [ ] continues the statement, so it is dropped, as Lark's post-lexer
in grammar/build_parser.py drops it.

Each reduction calls the transformer method named by the rule's alias, or by
the rule, with the rule's children: the parse tree is never built, and nothing
recurses however deep the input nests.

What makes the loop fast (a large program is millions of tokens):

- Blanks are lexed with the token after them (the master pattern begins with
  them), so one match is one token; a last one-character alternative stands
  for a character no terminal takes (a lex error).
- A terminal is the number of its group in the master pattern, and the action
  and goto tables are lists indexed by numbers, each state's built on first use.
- Unit reductions (a ``?rule`` handing its one child up, like ``sum: product``)
  change only the state, and where they end depends only on the state below,
  the nonterminal reduced and the lookahead.  So the goto table holds where
  the whole chain ends (``Parser._row``): an operand climbs atom -> power ->
  unary -> product -> sum -> expr in one step.
"""

from __future__ import annotations

import re
from itertools import repeat

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
    """``token`` cannot come here; ``expected`` names the terminals that could; ``opened`` is the
    innermost bracket still open there (None if none)."""

    def __init__(self, token: Token, expected: list[str], previous: Token | None, opened: Token | None = None):
        super().__init__(f"unexpected {token.type} at {token.line}:{token.column}")
        self.token, self.expected, self.previous, self.opened = token, expected, previous, opened


class _Splice(list):
    """The children of a ``_rule``: spliced into the parent's children, as Lark does."""

    __slots__ = ()


class _Stuck(Exception):
    """The action table has no entry for this state and lookahead (turned into a ParseError)."""


def _stuck(children):
    raise _Stuck


def _innermost(opened: list, token: Token) -> Token | None:
    """The innermost bracket open at ``token`` (a bracket that ``token`` itself opened is not one)."""
    if opened and opened[-1] is token:
        return opened[-2] if len(opened) > 1 else None
    return opened[-1] if opened else None


def _first(children):
    return children[0]


def _one_class_repeated(regex: str) -> bool:
    """``[...]+`` with no ``]`` or ``\\`` inside (those are left to the general form)."""
    return regex.startswith("[") and regex.endswith("]+") and not any(c in regex[1:-2] for c in "[]\\")


def _passes_through(origin, size, expand1, keep, splice) -> bool:
    """A rule that hands its one child up as it is: ``?a: b``, or ``_a: _b`` (a splice stays one)."""
    if size != 1:
        return False
    if origin.startswith("_"):
        return splice[0]
    return expand1 and keep[0] and not splice[0]


_new = tuple.__new__

# ``(?![...])`` before a class that the excluded characters belong to: Lark's way to take them out of
# ``\w``; a negated class says the same without a lookahead at each character (a third faster names).
_LOOKAHEAD_CLASS = re.compile(r"\(\?!\[([^\]\\^]+)\]\)(\\w|\[\^\\W\\d\])")


def _without_lookaheads(regex: str) -> str:
    r"""``(?![π²])\w`` as ``[^\Wπ²]``, ``(?![π²])[^\W\d]`` as ``[^\W\dπ²]`` (the same characters)."""
    return _LOOKAHEAD_CLASS.sub(lambda m: "[^\\W" + ("\\d" if m[2] != "\\w" else "") + m[1] + "]", regex)

# What the lexer does with a terminal besides making it a token (bit flags).  A bracket is
# pushed (_OPEN) or popped (_CLOSE); a _BREAK (a newline token) is dropped while one is open.
_NEWLINES, _IGNORED, _BAD, _OPEN, _CLOSE, _BREAK = 1, 2, 4, 8, 16, 32


class _Later(tuple):
    """``(build, place, key)``: a part of the tables that no parse has needed yet.  On first use,
    ``build(key)`` makes it and it takes this stand-in's place at ``place[key]``.  (A tuple: made
    by ``tuple.__new__`` in C, the parser's start-up makes one per state.)"""

    __slots__ = ()

    def __getitem__(self, i: int):
        build, place, key = self
        part = place[key] = build(key)
        return part[i]


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
        alternatives = "|".join(f"(?P<{name}>{_without_lookaheads(regex)})" for name, regex in tables.TERMINALS)
        self.master = re.compile(f"{lead}(?:{alternatives}|(?P<_bad>[\\s\\S]))")
        groups = self.master.groupindex
        width = self.master.groups + 1
        self.names = names = ["$END"] * width  # terminal number -> name
        self.flags = flags = [0] * width
        for name, number in groups.items():
            names[number] = name
            flags[number] = ((_NEWLINES if name in newline_types else 0) | (_IGNORED if name in ignore else 0)
                             | (_BAD if name == "_bad" else 0))
        opening, closing, newline = getattr(tables, "CONTINUED", ((), (), None))
        for name, number in groups.items():
            flags[number] |= ((_OPEN if name in opening else 0) | (_CLOSE if name in closing else 0)
                              | (_BREAK if name == newline else 0))
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
        # Built state by state, when a parse first needs them: start-up and short parses stay short.
        # actions[n][k]: state n's action on terminal k: a shift to state m is m >= 0, a reduction by
        # rules[i] is -1 - i, no action is -1 - len(rules) (a pseudo-rule that raises _Stuck).
        # gotos[n][nonterminal][k]: (state, action) after the goto and any unit reductions, see _row.
        self.terminal, self.width, self.nonterminals = terminal, width, nonterminals
        self.actions: list = [None] * len(states)
        stand_ins = zip(repeat(self._actions), repeat(self.actions), range(len(states)))
        self.actions[:] = map(_new, repeat(_Later), stand_ins)
        self.gotos: list = [None] * len(states)  # each state's stand-in is placed with its actions
        # The driver's rules, indexed by the action itself (a negative index counts from the end).
        # A unit reduction never reaches the driver (the gotos follow it), but would stay correct.
        self.reductions = [(size, nonterminals[origin], _first if callback is None else callback)
                           for origin, size, callback in rules]
        self.reductions.append((0, 0, _stuck))
        self.reductions.reverse()
        # Per action -1 - i: the origin of rules[i] if it is a unit reduction, else "" (also for no action).
        self.units = [origin if callback is None else "" for origin, _, callback in rules] + [""]

    def _actions(self, n: int) -> list:
        """State n's row of the action table.  A goto from state n comes after a shift from it, so
        after this: its gotos' stand-in is placed here."""
        self.gotos[n] = _new(_Later, (self._gotos, self.gotos, n))
        terminal = self.terminal
        row = [-1 - len(self.rules)] * self.width
        for symbol, action in self.states[n].items():
            if symbol in terminal:
                row[terminal[symbol]] = action
        return row

    def _gotos(self, under: int) -> list:
        """State ``under``'s gotos: per nonterminal, the row of what follows for each lookahead."""
        state, nonterminals = self.states[under], self.nonterminals
        targets = {nonterminals[symbol]: target for symbol, target in state.items() if symbol in nonterminals}
        gotos = [None] * len(nonterminals)

        def row(origin):
            return self._row(state, targets[origin])

        for origin in targets:
            gotos[origin] = _new(_Later, (row, gotos, origin))
        return gotos

    def _row(self, state: dict, target: int) -> list:
        """Per lookahead: the state after the goto to ``target`` and the unit reductions that follow
        there (each to the goto from ``state`` on its nonterminal), with the action in the end."""
        actions, units = self.actions, self.units
        actions[target][0]  # built, if it was not yet
        own = actions[target]
        row = list(zip(repeat(target), own))
        for kind, action in enumerate(own):
            if action < 0 and units[-1 - action]:  # a unit reduction: follow the chain
                top = target
                while action < 0 and units[-1 - action]:
                    top = state[units[-1 - action]]
                    action = actions[top][kind]
                row[kind] = top, action
        return row

    @staticmethod
    def _callback(transformer, origin, alias, expand1, keep, splice):
        shaping = False in keep or True in splice
        spliced = origin[0] == "_"
        method = None if spliced else getattr(transformer, alias or origin, None)
        if not shaping and not expand1:  # most rules: straight to the transformer, or a splice
            if spliced:
                return _Splice
            if method is not None:
                return method
        return Parser._shaper(method, spliced, shaping, expand1, keep, splice)

    @staticmethod
    def _shaper(method, spliced, shaping, expand1, keep, splice):
        """A callback that shapes the children as Lark does (its own function: a closure's cells
        would cost every rule at start-up)."""
        # The children kept, in order, with whether each is a _Splice to open.
        plan = [(i, opened) for i, (kept, opened) in enumerate(zip(keep, splice)) if kept or opened]
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
        depth = 0  # brackets open: a newline inside them continues the statement
        for m in self.master.finditer(text):
            kind = m.lastindex
            pos = m.start(kind)
            token = Token(names[kind], m[kind], line, pos - line_start + 1, pos)
            flag = flags[kind]
            if flag:
                if flag & _BAD:
                    raise LexError(pos, line, token.column)
                if flag & _NEWLINES and "\n" in token.value:
                    line += token.value.count("\n")
                    line_start = pos + token.value.rindex("\n") + 1
                if flag & _IGNORED or (flag & _BREAK and depth):
                    continue
                if flag & _OPEN:
                    depth += 1
                elif flag & _CLOSE and depth:
                    depth -= 1
            yield token
        yield Token("$END", "", line, len(text) - line_start + 1, len(text))

    def parse(self, text: str, start: str):
        names, flags, actions, reductions, gotos = self.names, self.flags, self.actions, self.reductions, self.gotos
        state = self.start_states[start]
        below: list = []  # below[i]: the state under values[i]
        values: list = []
        top = -1  # the index of the last value (indexing from the end is slower)
        previous = token = None
        line, line_start, new = 1, 0, object.__new__
        opened: list = []  # the brackets open, innermost last: a newline inside them is no break
        try:
            for m in self.master.finditer(text):
                # The lexer, as in tokens() (inline: a generator costs a resumption per token).
                kind = m.lastindex
                pos = m.start(kind)
                token = new(Token)  # Token(...) without the call to __init__: a third cheaper
                token.type = names[kind]
                token.value = value = m[kind]
                token.line = line
                token.column = pos - line_start + 1
                token.pos = pos
                flag = flags[kind]
                if flag:
                    if flag & _BAD:
                        raise LexError(pos, line, token.column)
                    if flag & _NEWLINES and "\n" in value:
                        line += value.count("\n")
                        line_start = pos + value.rindex("\n") + 1
                    if flag & _IGNORED or (flag & _BREAK and opened):
                        continue
                    if flag & _OPEN:
                        opened.append(token)
                    elif flag & _CLOSE and opened:
                        opened.pop()
                action = actions[state][kind]
                while action < 0:
                    size, origin, reduce = reductions[action]
                    if size == 1:
                        under = below[top]
                        values[top] = reduce([values[top]])
                    elif size:
                        top = top + 1 - size
                        cut = top + 1
                        under = below[top]
                        del below[cut:]
                        children = values[top:]
                        del values[cut:]
                        values[top] = reduce(children)
                    else:
                        under = state
                        value = reduce([])
                        below.append(state)
                        values.append(value)
                        top += 1
                    state, action = gotos[under][origin][kind]
                below.append(state)
                values.append(token)
                state = action
                top += 1
                previous = token
        except _Stuck:
            raise ParseError(token, [s for s in self.states[state] if s.isupper()], previous,
                             _innermost(opened, token)) from None
        return self._finish(text, start, state, below, values, previous, line, line_start, opened)

    def _finish(self, text, start, state, below, values, previous, line, line_start, opened):
        """Feed ``$END``: reduce until the start rule's end state (plain gotos, unit rules one by one)."""
        states, rules, end_state = self.states, self.rules, self.end_states[start]
        token = Token("$END", "", line, len(text) - line_start + 1, len(text))
        while True:
            action = self.actions[state][_END]
            if action >= 0:  # the tables never shift $END; Lark would stop here too
                return None
            if -1 - action == len(rules):
                raise ParseError(token, [s for s in states[state] if s.isupper()], previous, _innermost(opened, token))
            origin, size, reduce = rules[-1 - action]
            if reduce is None:
                state = states[below[-1]][origin]
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
            state = states[under][origin]
            if state == end_state:
                return values[-1]
