"""Text to data: parse a program or a command-line binding with the grammar.

The grammar is ``grammar/gradcli.lark``; Lark compiles it to LALR tables
(``grammar/build_parser.py``) that ``lalr.py`` drives.  Each rule is reduced
straight into an ``Expr`` by ``_Build`` as the parser goes: no parse tree is
built and nothing recurses, however deep the nesting.
"""

from __future__ import annotations

import math
import re

from gradcli.lang.lalr import LexError, ParseError, Parser
from gradcli.support.errors import BindingError, ProgramError
from gradcli.support.gcpause import paused_gc
from gradcli.core.ops import FUNCTIONS
from gradcli.lang.program import ARRAY, CALL, KEYWORD, LIST, NAME, NUM, OP, Expr, Program, Statement, source_line

# Lark's terminal names, as a user would say them.
_WORDS = {
    "NUMBER": "a number", "NAME": "a name", "LPAR": "'('", "RPAR": "')'", "COMMA": "','",
    "PLUS": "'+'", "MINUS": "'-'", "STAR": "'*'", "SLASH": "'/'", "CARET": "'^'", "SUPERSCRIPT": "a superscript",
    "ROOT": "'√'", "PI": "'π'", "EQUALS": "'='", "OPERATOR": "an operator", "SEMI": "';'",
    "NEWLINE": "a new line", "$END": "the end of the input", "LSQB": "'['", "RSQB": "']'", "AT": "'@'",
}
_OPERAND_START = {"NUMBER", "NAME", "LPAR", "MINUS", "PLUS", "ROOT", "PI", "LSQB"}
_OPERATORS = {"PLUS", "MINUS", "STAR", "SLASH", "AT", "CARET", "SUPERSCRIPT"}
_FACTOR_START = {"NAME", "LPAR", "ROOT", "PI"}  # what may follow a number, as a product
_OPERAND_END = {"NUMBER", "NAME", "PI", "RPAR", "SUPERSCRIPT"}
_NONZERO_MANTISSA = re.compile(r"[0-9.]*[1-9]")
_SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
# Tokens by type, not spelling: × and · are STAR, − is MINUS, √ is ROOT.
_BINARY = {"PLUS": "add", "MINUS": "sub", "STAR": "mul", "SLASH": "div", "CARET": "pow", "AT": "matmul"}
_PREFIX = {"MINUS": "neg", "ROOT": "sqrt"}


class _Build:
    """Grammar rule -> data, called by the parser at each reduction.

    Names and number spellings are interned: a large program repeats a few many times.
    """

    def __init__(self):
        self.strings: dict[str, str] = {}  # names and number spellings, interned
        self.numbers: dict[str, float] = {}
        self.each = None  # set by read_statements: called with each statement as it is reduced

    def number(self, c):
        tok = c[0]
        return self._number(tok.value, tok)

    def _number(self, text, tok):
        text = self.strings.setdefault(text, text)
        value = self.numbers.get(text)
        if value is None:
            value = self.numbers[text] = float(text)
        if value == 0.0 and _NONZERO_MANTISSA.match(text):
            raise ProgramError(f"the number {text} is too small for a double (it would be 0)",
                               tok.line, tok.column, kind="number")
        if abs(value) == math.inf:
            raise ProgramError(f"the number {text} is too large for a double",
                               tok.line, tok.column, kind="number")
        return Expr(NUM, text, value=value, line=tok.line, column=tok.column)

    def name(self, c):
        # pi and e stay names here (π is pi): a program may assign them, and graph.py decides.
        tok = c[0]
        text = "pi" if tok.type == "PI" else tok.value
        name = self.strings.setdefault(text, text)
        return Expr(NAME, name, line=tok.line, column=tok.column)

    def binary(self, c):
        left, tok, right = c
        return Expr(OP, _BINARY[tok.type], (left, right), line=tok.line, column=tok.column)

    def unary(self, c):
        tok, operand = c
        if tok.type == "PLUS":
            return operand
        return Expr(OP, _PREFIX[tok.type], (operand,), line=tok.line, column=tok.column)

    def superscript(self, c):
        """x² is x^2: the exponent is a number at the superscript's place."""
        base, tok = c
        exponent = self._number(tok.value.translate(_SUPERSCRIPT_DIGITS), tok)
        return Expr(OP, "pow", (base, exponent), line=tok.line, column=tok.column)

    def implied(self, c):
        """2x, 2(x+1), 2sin(x), 2√x: a product, placed at the number.

        2e and 2E are refused: next to 2e3 and 2e-3 they read as a number's exponent."""
        tok, factor = c
        number = self.number([tok])
        if (factor.kind == NAME and factor.text in ("e", "E") and factor.line == tok.line
                and factor.column == tok.column + len(tok.value)):
            raise ProgramError(f"'{tok.value}{factor.text}' reads like a number with an exponent: "
                               f"write {tok.value}*{factor.text} for the product",
                               tok.line, tok.column, kind="syntax")
        return Expr(OP, "mul", (number, factor), line=tok.line, column=tok.column)

    def call(self, c):
        tok = c[0]
        args = tuple(c[2]) if len(c) == 4 else ()
        return Expr(CALL, tok.value, args, line=tok.line, column=tok.column)

    def arguments(self, c):
        return c[::2]

    def keyword(self, c):
        tok = c[0]
        return Expr(KEYWORD, tok.value, (c[2],), line=tok.line, column=tok.column)

    def literal(self, c):
        """``[a, b]``: an array literal, placed at its ``[`` (nested ones make a matrix).

        A literal of numbers is a constant (ARRAY): its elements must then all have
        one shape, checked here.  A literal with names is a LIST, stacked by the lowering.
        """
        tok, elements = c[0], c[1]
        values, texts, shapes = [], [], []
        for e in elements:
            if e.kind == KEYWORD:
                raise ProgramError(f"'{e.text}=' cannot be an element of an array literal",
                                   e.line, e.column, kind="syntax")
            if e.kind == NUM or e.kind == ARRAY:
                values.append(e.value)
                texts.append(e.text)
                shapes.append(e.params if e.kind == ARRAY else ())
            elif e.kind == OP and e.text == "neg" and e.args[0].kind == NUM:
                values.append(-e.args[0].value)
                texts.append("-" + e.args[0].text)
                shapes.append(())
        if len(values) < len(elements):
            return Expr(LIST, "[]", tuple(elements), line=tok.line, column=tok.column)
        for k, s in enumerate(shapes):
            if s != shapes[0]:
                e = elements[k]
                raise ProgramError(f"ragged array literal: element {k} has {_shape_words(s)} but element 0 "
                                   f"has {_shape_words(shapes[0])} (every row needs the same length)",
                                   e.line, e.column, kind="shape")
        return Expr(ARRAY, "[" + ", ".join(texts) + "]", value=values, line=tok.line, column=tok.column,
                    params=(len(values),) + shapes[0])

    def index(self, c):
        """``W[1, 0]``: the indices are fixed integers, kept as the node's params."""
        base, tok, indices, _ = c
        return Expr(OP, "index", (base,), line=tok.line, column=tok.column, params=tuple(indices))

    def indices(self, c):
        return c[::2]

    def integer(self, c):
        tok = c[-1]
        text = "".join(t.value for t in c)
        if not tok.value.isdigit():
            raise ProgramError(f"an index is a whole number (0-based), not {text}", c[0].line, c[0].column,
                               kind="syntax")
        return -int(tok.value) if len(c) == 2 else int(tok.value)

    def group(self, c):
        return c[1]

    def assign(self, c):
        tok = c[0]
        target = self.strings.setdefault(tok.value, tok.value)  # the same string as the name's uses
        return self._statement(Statement(target, c[2], tok.line, tok.column))

    def bare(self, c):
        expr = c[0]
        return self._statement(Statement("f", expr, expr.line, expr.column, bare=True))

    def _statement(self, st: Statement) -> Statement:
        if self.each is not None:
            self.each(st)
        return st

    def program(self, c):
        return [s for s in c if isinstance(s, Statement)]

    def binding(self, c):
        return c[0].value, c[2]


def _shape_words(s: tuple) -> str:
    """``3 elements``, ``shape (2, 2)``, or ``a number``: an element of a literal."""
    if not s:
        return "a number"
    return f"{s[0]} element{'s' if s[0] != 1 else ''}" if len(s) == 1 else f"shape {s}"


_BUILD = _Build()
_PARSER = Parser(_BUILD)


def _parse(text: str, start: str, each=None):
    _BUILD.each = each
    try:
        with paused_gc():
            return _PARSER.parse(text, start=start)
    finally:
        _BUILD.each = None
        _BUILD.strings.clear()
        _BUILD.numbers.clear()


def parse_program(text: str) -> Program:
    statements = _parse_statements(text)
    return Program(statements, text)


def read_statements(text: str, each) -> None:
    """Parse a program, calling ``each(statement)`` as each statement is reduced, in the order of the text.

    A caller that lowers each statement as it comes and lets go of its tree
    (``st.expr = None``) never holds the whole program's trees.  Errors are
    parse_program's; an exception raised by ``each`` stops the parse and propagates.
    """
    _parse_statements(text, each)


def _parse_statements(text: str, each=None) -> list[Statement]:
    try:
        statements = _parse(text, "program", each)
    except (LexError, ParseError) as exc:
        raise _syntax_error(exc, text) from None
    except ProgramError as exc:  # raised by a rule as it was reduced: add the line of text
        if exc.source is None:
            exc.source = source_line(text, exc.line)
        raise
    if not statements:
        raise ProgramError("the program is empty: write an expression, or statements like 'y = x^2'",
                           kind="empty")
    return statements


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
        message += _juxtaposed_hint(exc, text)
    return ProgramError(message, line, column, source_line(text, line), kind="syntax")


def _juxtaposed_hint(exc: ParseError, text: str) -> str:
    """Two operands side by side (x y, (a)(b), x² y, 2^2x): show the product spelled out."""
    token, previous = exc.token, exc.previous
    if previous is None or previous.type not in _OPERAND_END or token.type not in _OPERAND_START:
        return ""
    left = "(...)" if previous.type == "RPAR" else previous.value
    right = "(...)" if token.type == "LPAR" else token.value
    if previous.type == "NAME" and previous.value in FUNCTIONS:
        return f": write {left}({right})"
    if previous.type == "SUPERSCRIPT":
        base = re.search(r"(?:[A-Za-z0-9_.]+|π|\))$", text[:previous.pos])
        left = ("(...)" if base.group() == ")" else base.group()) + left if base else left
    if previous.type == "NUMBER" and text[:previous.pos].rstrip(" \t+-−").endswith(("^", "**")):
        return f": in an exponent, a product needs parentheses: ^({left}*{right})"
    return f": write {left}*{right}"


def _describe_expected(expected: set[str]) -> str:
    if _OPERATORS <= expected:  # after an operand, a number's implied product or an index is no news
        expected -= _FACTOR_START | {"LSQB"}
    if _OPERAND_START <= expected:
        expected = (expected - _OPERAND_START) | {"NUMBER", "NAME", "LPAR"}
    elif _OPERATORS <= expected:
        expected = (expected - _OPERATORS) | {"OPERATOR"}
    order = ["NUMBER", "NAME", "LPAR", "RPAR", "RSQB", "COMMA", "EQUALS", "OPERATOR", "PLUS", "MINUS", "STAR",
             "SLASH", "CARET", "SEMI", "NEWLINE", "$END"]
    words = [_WORDS.get(t, t) for t in sorted(expected, key=lambda t: order.index(t) if t in order else 99)]
    if "a new line" in words and "';'" in words:
        words = [w for w in words if w not in ("a new line", "';'", "the end of the input")]
        words.append("the end of the statement")
    if len(words) > 1:
        return ", ".join(words[:-1]) + " or " + words[-1]
    return words[0] if words else ""


__all__ = ["parse_program", "read_statements", "parse_binding", "CALL", "KEYWORD", "LIST", "NAME", "NUM", "OP"]
