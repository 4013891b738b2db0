"""Text to data: parse a program or a command-line binding with the Lark grammar.

The parser is Lark's standalone LALR parser generated from
``grammar/gradcli.lark`` into ``gradcli/_parser.py`` (run
``python grammar/build_parser.py`` after editing the grammar).  It is imported
instead of Lark itself because it starts in about a third of the time.

The transformer is handed to the parser, so each grammar rule is reduced
straight into an ``Expr`` as the LALR parser goes: no parse tree is built and
nothing recurses, however deep the nesting.
"""

from __future__ import annotations

import gc
import math
import re

from . import _parser
from .errors import BindingError, ProgramError
from .ops import CONSTANTS, INFIX_OPS
from .program import CALL, NAME, NUM, OP, Expr, Program, Statement

# Lark's terminal names, as a user would say them.
_WORDS = {
    "NUMBER": "a number", "NAME": "a name", "LPAR": "'('", "RPAR": "')'", "COMMA": "','",
    "PLUS": "'+'", "MINUS": "'-'", "STAR": "'*'", "SLASH": "'/'", "CARET": "'^'",
    "EQUALS": "'='", "OPERATOR": "an operator", "SEMI": "';'", "NEWLINE": "a new line", "$END": "the end of the input",
}
_OPERAND_START = {"NUMBER", "NAME", "LPAR", "MINUS", "PLUS"}
_OPERATORS = {"PLUS", "MINUS", "STAR", "SLASH", "CARET"}
_PREVIOUS_TOKEN = re.compile(r"(\*\*|[A-Za-z0-9_.]+|\S)\s*$")


class _Build(_parser.Transformer):
    """Grammar rule -> data, called by the parser at each reduction."""

    def number(self, c):
        tok = c[0]
        value = float(tok)
        if math.isinf(value):
            raise ProgramError(f"the number {tok} is too large for a double",
                               tok.line, tok.column, kind="number")
        if value == 0.0 and re.search(r"[1-9]", tok.split("e")[0].split("E")[0]):
            raise ProgramError(f"the number {tok} is too small for a double (it would be 0)",
                               tok.line, tok.column, kind="number")
        return Expr(NUM, str(tok), value=value, line=tok.line, column=tok.column)

    def name(self, c):
        tok = c[0]
        if tok in CONSTANTS:
            return Expr(NUM, str(tok), value=CONSTANTS[tok], line=tok.line, column=tok.column)
        return Expr(NAME, str(tok), line=tok.line, column=tok.column)

    def binary(self, c):
        left, tok, right = c
        return Expr(OP, INFIX_OPS[tok], (left, right), line=tok.line, column=tok.column)

    def unary(self, c):
        tok, operand = c
        if tok == "+":
            return operand
        return Expr(OP, "neg", (operand,), line=tok.line, column=tok.column)

    def call(self, c):
        tok = c[0]
        args = tuple(c[2]) if len(c) == 4 else ()
        return Expr(CALL, str(tok), args, line=tok.line, column=tok.column)

    def arguments(self, c):
        return c[::2]

    def group(self, c):
        return c[1]

    def assign(self, c):
        tok = c[0]
        return Statement(str(tok), c[2], tok.line, tok.column)

    def bare(self, c):
        expr = c[0]
        return Statement("f", expr, expr.line, expr.column, bare=True)

    def program(self, c):
        return [s for s in c if isinstance(s, Statement)]

    def binding(self, c):
        return str(c[0]), c[2]


_PARSER = None


def _parser_instance():
    global _PARSER
    if _PARSER is None:
        _PARSER = _parser.Lark_StandAlone(transformer=_Build())
    return _PARSER


def _parse(text: str, start: str):
    """Run the parser with the garbage collector paused (it doubles the cost of building nodes)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _parser_instance().parse(text, start=start)
    finally:
        if enabled:
            gc.enable()


def parse_program(text: str) -> Program:
    try:
        statements = _parse(text, "program")
    except _parser.UnexpectedInput as exc:
        raise _syntax_error(exc, text) from None
    except ProgramError as exc:  # raised by a rule as it was reduced: add the line of text
        exc.source = Program([], text).source_line(exc.line)
        raise
    if not statements:
        raise ProgramError("the program is empty: write an expression, or statements like 'y = x^2'",
                           kind="empty")
    return Program(statements, text)


def parse_binding(text: str) -> tuple[str, Expr]:
    """Parse ``NAME=VALUE`` from the command line; errors name the binding."""
    try:
        return _parse(text, "binding")
    except _parser.UnexpectedInput as exc:
        err = _syntax_error(exc, text)
    except ProgramError as exc:
        err = exc
    hint = " (a binding is NAME=VALUE, like x=2 or t=pi/4)" if "=" not in text else ""
    raise BindingError(f"binding {text!r}: {err.message}{hint}", kind="binding")


def _syntax_error(exc: Exception, text: str) -> ProgramError:
    lines = text.split("\n")
    if isinstance(exc, _parser.UnexpectedCharacters):
        ch = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else ""
        shown = repr(ch) if ch.isprintable() else repr(ch) + f" (U+{ord(ch):04X})"
        message = f"unexpected character {shown}"
        line, column = exc.line, exc.column
    else:
        token = getattr(exc, "token", None)
        found_end = token is None or token.type == "$END"
        if found_end:
            line, column = len(lines), len(lines[-1]) + 1
            pos = len(text)
        else:
            line, column, pos = token.line, token.column, token.start_pos
        expected = _describe_expected(set(getattr(exc, "expected", ()) or ()))
        previous = _PREVIOUS_TOKEN.search(text[:pos])
        after = f" after {previous.group(1)!r}" if previous else ""
        if found_end:
            found = "the end of the input"
        elif token.type == "NEWLINE":
            found = "the end of the line"
        else:
            found = repr(str(token))
        message = f"expected {expected}{after}, found {found}" if expected else f"unexpected {found}"
    source = lines[line - 1] if 0 < line <= len(lines) else None
    return ProgramError(message, line, column, source, kind="syntax")


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
