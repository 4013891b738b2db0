"""Text to data: parse a program or a command-line binding with the grammar.

The grammar is ``grammar/gradcli.lark``; Lark compiles it to LALR tables
(``grammar/build_parser.py``) that ``lalr.py`` drives.  Each rule is reduced
straight into an ``Expr`` by ``_Build`` as the parser goes: no parse tree is
built and nothing recurses, however deep the nesting.
"""

from __future__ import annotations

import math
import re

from .lalr import LexError, ParseError, Parser
from .errors import BindingError, ProgramError
from .gcpause import paused_gc
from .ops import CONSTANTS, INFIX_OPS
from .program import CALL, NAME, NUM, OP, Expr, Program, Statement, source_line

# Lark's terminal names, as a user would say them.
_WORDS = {
    "NUMBER": "a number", "NAME": "a name", "LPAR": "'('", "RPAR": "')'", "COMMA": "','",
    "PLUS": "'+'", "MINUS": "'-'", "STAR": "'*'", "SLASH": "'/'", "CARET": "'^'",
    "EQUALS": "'='", "OPERATOR": "an operator", "SEMI": "';'", "NEWLINE": "a new line", "$END": "the end of the input",
}
_OPERAND_START = {"NUMBER", "NAME", "LPAR", "MINUS", "PLUS"}
_OPERATORS = {"PLUS", "MINUS", "STAR", "SLASH", "CARET"}
_NONZERO_MANTISSA = re.compile(r"[0-9.]*[1-9]")


class _Build:
    """Grammar rule -> data, called by the parser at each reduction.

    Names and number spellings are interned: a large program repeats a few many times.
    """

    def __init__(self):
        self.strings: dict[str, str] = {}  # names and number spellings, interned
        self.numbers: dict[str, float] = {}

    def number(self, c):
        tok = c[0]
        text = self.strings.setdefault(tok.value, tok.value)
        value = self.numbers.get(text)
        if value is None:
            value = self.numbers[text] = float(text)
        if value == 0.0 and _NONZERO_MANTISSA.match(text):
            raise ProgramError(f"the number {text} is too small for a double (it would be 0)",
                               tok.line, tok.column, kind="number")
        if value == math.inf:
            raise ProgramError(f"the number {text} is too large for a double",
                               tok.line, tok.column, kind="number")
        return Expr(NUM, text, value=value, line=tok.line, column=tok.column)

    def name(self, c):
        tok = c[0]
        if tok.value in CONSTANTS:
            return Expr(NUM, tok.value, value=CONSTANTS[tok.value], line=tok.line, column=tok.column)
        name = self.strings.setdefault(tok.value, tok.value)
        return Expr(NAME, name, line=tok.line, column=tok.column)

    def binary(self, c):
        left, tok, right = c
        return Expr(OP, INFIX_OPS[tok.value], (left, right), line=tok.line, column=tok.column)

    def unary(self, c):
        tok, operand = c
        if tok.value == "+":
            return operand
        return Expr(OP, "neg", (operand,), line=tok.line, column=tok.column)

    def call(self, c):
        tok = c[0]
        args = tuple(c[2]) if len(c) == 4 else ()
        return Expr(CALL, tok.value, args, line=tok.line, column=tok.column)

    def arguments(self, c):
        return c[::2]

    def group(self, c):
        return c[1]

    def assign(self, c):
        tok = c[0]
        return Statement(tok.value, c[2], tok.line, tok.column)

    def bare(self, c):
        expr = c[0]
        return Statement("f", expr, expr.line, expr.column, bare=True)

    def program(self, c):
        return [s for s in c if isinstance(s, Statement)]

    def binding(self, c):
        return c[0].value, c[2]


_BUILD = _Build()
_PARSER = Parser(_BUILD)


def _parse(text: str, start: str):
    try:
        with paused_gc():
            return _PARSER.parse(text, start=start)
    finally:
        _BUILD.strings.clear()
        _BUILD.numbers.clear()


def parse_program(text: str) -> Program:
    try:
        statements = _parse(text, "program")
    except (LexError, ParseError) as exc:
        raise _syntax_error(exc, text) from None
    except ProgramError as exc:  # raised by a rule as it was reduced: add the line of text
        exc.source = source_line(text, exc.line)
        raise
    if not statements:
        raise ProgramError("the program is empty: write an expression, or statements like 'y = x^2'",
                           kind="empty")
    return Program(statements, text)


def parse_binding(text: str) -> tuple[str, Expr]:
    """Parse ``NAME=VALUE`` from the command line; errors name the binding."""
    try:
        return _parse(text, "binding")
    except (LexError, ParseError) as exc:
        err = _syntax_error(exc, text)
    except ProgramError as exc:
        err = exc
    hint = " (a binding is NAME=VALUE, like x=2 or t=pi/4)" if "=" not in text else ""
    raise BindingError(f"binding {text!r}: {err.message}{hint}", kind="binding")


def _syntax_error(exc: LexError | ParseError, text: str) -> ProgramError:
    if isinstance(exc, LexError):
        ch = text[exc.pos]
        shown = repr(ch) if ch.isprintable() else repr(ch) + f" (U+{ord(ch):04X})"
        message = f"unexpected character {shown}"
        line, column = exc.line, exc.column
    else:
        token = exc.token
        line, column = token.line, token.column
        expected = _describe_expected(set(exc.expected))
        after = f" after {exc.previous.value!r}" if exc.previous and exc.previous.type != "NEWLINE" else ""
        if token.type == "$END":
            found = "the end of the input"
        elif token.type == "NEWLINE":
            found = "the end of the line"
        else:
            found = repr(token.value)
        message = f"expected {expected}{after}, found {found}" if expected else f"unexpected {found}"
    return ProgramError(message, line, column, source_line(text, line), kind="syntax")


def _describe_expected(expected: set[str]) -> str:
    if _OPERAND_START <= expected:
        expected = (expected - _OPERAND_START) | {"NUMBER", "NAME", "LPAR"}
    elif _OPERATORS <= expected:
        expected = (expected - _OPERATORS) | {"OPERATOR"}
    order = ["NUMBER", "NAME", "LPAR", "RPAR", "COMMA", "EQUALS", "OPERATOR", "PLUS", "MINUS", "STAR",
             "SLASH", "CARET", "SEMI", "NEWLINE", "$END"]
    words = [_WORDS.get(t, t) for t in sorted(expected, key=lambda t: order.index(t) if t in order else 99)]
    if "a new line" in words and "';'" in words:
        words = [w for w in words if w not in ("a new line", "';'", "the end of the input")]
        words.append("the end of the statement")
    if len(words) > 1:
        return ", ".join(words[:-1]) + " or " + words[-1]
    return words[0] if words else ""


__all__ = ["parse_program", "parse_binding", "CALL", "NAME", "NUM", "OP"]
