"""Text to data: parse a program or a command-line binding with the grammar.

The grammar is ``grammar/gradcli.lark``; Lark compiles it to LALR tables
(``grammar/build_parser.py``) that ``lalr.py`` drives.  Each rule is reduced
straight into an ``Expr`` by ``_Build`` as the parser goes: no parse tree is
built and nothing recurses, however deep the nesting.
"""

from __future__ import annotations

import keyword
import math
import re

from gradcli.lang import _tables
from gradcli.lang.lalr import LexError, ParseError, Parser
from gradcli.support.errors import BindingError, ProgramError
from gradcli.support.gcpause import paused_gc
from gradcli.support.nesting import MAX_DIMENSIONS
from gradcli.lang.program import (ARRAY, CALL, KEYWORD, LIST, NAME, NUM, OP, SLICE, STRING, SUBSCRIPT, TUPLE, Expr,
                                  Loop, Program, Statement, first_bad_character, is_name, source_line)

# The names of the functions, for the parser's hints only (`sin x`: write sin(x)).  The
# language does not fix them: the operator table in the core layer registers its own at
# import (``known_functions``), so this layer never imports the one above it.
FUNCTIONS: set[str] = set()


def known_functions(names) -> None:
    """Register the function names the hints may suggest (the operator table's spellings)."""
    FUNCTIONS.update(names)


# Lark's terminal names, as a user would say them.
_WORDS = {
    "NUMBER": "a number", "NAME": "a name", "LPAR": "'('", "RPAR": "')'", "COMMA": "','",
    "PLUS": "'+'", "MINUS": "'-'", "STAR": "'*'", "SLASH": "'/'", "CARET": "'^'", "SUPERSCRIPT": "a superscript",
    "ROOT": "'√'", "PI": "'π'", "EQUALS": "'='", "OPERATOR": "an operator", "SEMI": "';'",
    "NEWLINE": "a new line", "$END": "the end of the input", "LSQB": "'['", "RSQB": "']'", "AT": "'@'",
    "COMPARE": "a comparison", "STRING": "a string", "COLON": "':'", "DOT": "'.'", "LBRACE": "'{'",
    "RBRACE": "'}'", "FOR": "'for'", "IN": "'in'",
}
_OPERAND_START = {"NUMBER", "NAME", "LPAR", "MINUS", "PLUS", "ROOT", "PI", "LSQB", "STRING"}
_OPERATORS = {"PLUS", "MINUS", "STAR", "SLASH", "AT", "CARET", "SUPERSCRIPT"}
_FACTOR_START = {"NAME", "LPAR", "ROOT", "PI"}  # what may follow a number, as a product
_OPERAND_END = {"NUMBER", "NAME", "PI", "RPAR", "SUPERSCRIPT"}
_NONZERO_MANTISSA = re.compile(r"[0-9.]*[1-9]")
_SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
# Tokens by type, not spelling: × and · are STAR, − is MINUS, √ is ROOT.
_BINARY = {"PLUS": "add", "MINUS": "sub", "STAR": "mul", "SLASH": "div", "CARET": "pow", "AT": "matmul"}
# Comparisons are one token, COMPARE, told apart by spelling (numpy's names for the ops).
_COMPARISONS = {"<": "less", "<=": "less_equal", ">": "greater", ">=": "greater_equal", "==": "equal",
                "!=": "not_equal", "≤": "less_equal", "≥": "greater_equal", "≠": "not_equal"}
_PREFIX = {"MINUS": "neg", "ROOT": "sqrt"}


def operator_spellings(prefix: bool = False) -> dict[str, str]:
    """Every way the grammar spells an infix (or prefix) operator -> the op it makes:
    ``{"+": "add", "×": "mul", "**": "pow", ...}``, ``{"-": "neg", "−": "neg", "√": "sqrt"}``.

    Read from the lexer's own terminals (each an alternation of literal spellings), so the
    operator table's spellings, and the tests that write programs with them, are the parser's.
    """
    patterns = dict(_tables.TERMINALS)
    found = {} if prefix else {spelling: op for spelling, op in _COMPARISONS.items()
                               if spelling in patterns["COMPARE"]}
    for token, op in (_PREFIX if prefix else _BINARY).items():
        pattern = patterns[token]
        alternatives = pattern[3:-1] if pattern.startswith("(?:") else pattern
        for alternative in alternatives.split("|"):
            found[re.sub(r"\\(.)", r"\1", alternative)] = op
    return found


class _Build:
    """Grammar rule -> data, called by the parser at each reduction.

    Names and number spellings are interned: a large program repeats a few many times.
    """

    def __init__(self):
        self.strings: dict[str, str] = {}  # names and number spellings, interned
        self.numbers: dict[str, float] = {}
        self.each = None  # set by read_statements: called with each statement as it is reduced
        self.list_depths: dict[int, int] = {}  # id of a LIST literal -> how deep literals nest in it

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
        name = self.strings.setdefault("pi", "pi") if tok.type == "PI" else self._name(tok)
        return Expr(NAME, name, line=tok.line, column=tok.column)

    def _name(self, tok) -> str:
        """The NAME token's text, interned, once checked: the lexer's \\w takes a few characters
        no identifier has (½, ①); a name has letters, digits, subscript digits and _."""
        text = tok.value
        name = self.strings.get(text)
        if name is None:
            if not is_name(text):
                i = first_bad_character(text)
                raise ProgramError(f"unexpected character {text[i]!r} in the name {text!r}: a name is letters, "
                                   "digits (x1 or x₁) and _, not starting with a digit",
                                   tok.line, tok.column + i, kind="syntax")
            name = self.strings[text] = text
        return name

    def binary(self, c):
        left, tok, right = c
        op = _COMPARISONS[tok.value] if tok.type == "COMPARE" else _BINARY[tok.type]
        return Expr(OP, op, (left, right), line=tok.line, column=tok.column)

    def string(self, c):
        tok = c[0]
        return Expr(STRING, tok.value[1:-1], line=tok.line, column=tok.column)

    def tuple(self, c):
        tok = c[0]
        return Expr(TUPLE, "()", tuple(e for e in c[1:-1] if isinstance(e, Expr)), line=tok.line, column=tok.column)

    def dotted(self, c):
        """``linalg.inv``: numpy's submodule spelling of a function, one name with its dots."""
        tok = c[0]
        tok.value = ".".join(t.value for t in c[::2])
        return tok

    def slice(self, c):
        """``1:3``, ``::2``, ``:``: start, stop and step, a missing one the name None (as Python's slice)."""
        parts: list = [None]
        for item in c:  # expressions and the ':' tokens between them
            if isinstance(item, Expr):
                parts[-1] = item
            else:
                parts.append(None)
        line, column = c[0].line, c[0].column  # the slice is placed where it starts
        parts += [None] * (3 - len(parts))
        args = tuple(p if p is not None else Expr(NAME, "None", line=line, column=column) for p in parts)
        return Expr(SLICE, ":", args, line=line, column=column)

    def subscripts(self, c):
        return c[::2]

    def loop(self, c):
        """``for t in range(3) { ... }``: its statements were reduced first (``each`` never sees them:
        lowering a program with a loop parses it whole)."""
        tok, variable, iterable = c[0], c[1], c[3]
        body = [s for s in c[5:] if isinstance(s, (Statement, Loop))]
        return self._statement(Loop(self._name(variable), iterable, body, tok.line, tok.column))

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
        name = tok.value if "." in tok.value else self._name(tok)
        return Expr(CALL, name, args, line=tok.line, column=tok.column)

    def arguments(self, c):
        return c[::2]

    def keyword(self, c):
        tok = c[0]
        return Expr(KEYWORD, self._name(tok), (c[2],), line=tok.line, column=tok.column)

    def literal(self, c):
        """``[a, b]``: an array literal, placed at its ``[`` (nested ones make a matrix).

        A literal of numbers is a constant (ARRAY): its elements must then all have
        one shape, checked here.  A literal with names is a LIST, stacked by the lowering.
        """
        tok, elements = c[0], c[1]
        self._check_depth(tok, elements)
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
            listed = Expr(LIST, "[]", tuple(elements), line=tok.line, column=tok.column)
            self.list_depths[id(listed)] = 1 + max(self._depth(e) for e in elements)
            return listed
        for k, s in enumerate(shapes):
            if s != shapes[0]:
                e = elements[k]
                raise ProgramError(f"ragged array literal: element {k} has {_shape_words(s)} but element 0 "
                                   f"has {_shape_words(shapes[0])} (every row needs the same length)",
                                   e.line, e.column, kind="shape")
        return Expr(ARRAY, "[" + ", ".join(texts) + "]", value=values, line=tok.line, column=tok.column,
                    params=(len(values),) + shapes[0])

    def _depth(self, e: Expr) -> int:
        """How many literals nest in ``e``, a literal's element (0 for anything else)."""
        return len(e.params) if e.kind == ARRAY else self.list_depths.get(id(e), 0) if e.kind == LIST else 0

    def _check_depth(self, tok, elements) -> None:
        """Refused before the literal is built: each level of a constant literal copies the text and
        shape below it, so unbounded depth would cost its square in memory."""
        if 1 + max(map(self._depth, elements)) > MAX_DIMENSIONS:
            raise ProgramError(f"array literals nested more than {MAX_DIMENSIONS} deep (an array has at most "
                               f"{MAX_DIMENSIONS} dimensions)", tok.line, tok.column, kind="syntax")

    def index(self, c):
        """``W[1, 0]``, ``x[1:]``, ``S[arange(N), y]``: kept as written, placed at the ``[``; the
        lowering resolves each subscript once a loop's variable has its value (core/indexing.py)."""
        base, tok, subscripts, _ = c
        return Expr(SUBSCRIPT, "index", (base, *subscripts), line=tok.line, column=tok.column)

    def group(self, c):
        return c[1]

    def assign(self, c):
        """``y = ...``, or ``h[2] = ...`` (``h[t]`` in a loop): a statement named by an index."""
        left = c[0]
        if left.kind == NAME:
            return self._statement(Statement(left.text, c[2], left.line, left.column))
        if left.kind == SUBSCRIPT and left.args[0].kind == NAME:
            st = Statement(left.args[0].text, c[2], left.line, left.column)
            st.subscript = left.args[1:]
            return self._statement(st)
        raise ProgramError("the left of '=' is a name (y = ...), or a name and an index in a loop (h[t] = ...)",
                           left.line, left.column, kind="syntax")

    def bare(self, c):
        expr = c[0]
        return self._statement(Statement("f", expr, expr.line, expr.column, bare=True))

    def _statement(self, st: Statement) -> Statement:
        if self.each is not None:
            self.each(st)
        return st

    def program(self, c):
        return [s for s in c if isinstance(s, (Statement, Loop))]

    def binding(self, c):
        return self._name(c[0]), c[2]


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
        _BUILD.list_depths.clear()
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
        message = f"unexpected character {shown}" + _character_hint(text, exc.pos)
        line, column = exc.line, exc.column
    else:
        token = exc.token
        line, column = token.line, token.column
        dot = _attribute_dot(exc, text)
        if dot is not None:  # W.T, math.pi: an attribute, where gradcli has none
            line = text.count("\n", 0, dot) + 1
            column = dot - text.rfind("\n", 0, dot)
            message = "unexpected character '.'" + dotted_hint(text, dot)
            return ProgramError(message, line, column, source_line(text, line), kind="syntax")
        expected = _describe_expected(_in_context(set(exc.expected), exc, text))
        after = f" after {exc.previous.value!r}" if exc.previous and exc.previous.type != "NEWLINE" else ""
        if token.type == "$END":
            found = "the end of the input"
        elif token.type == "NEWLINE":
            found = "the end of the line"
        else:
            found = repr(token.value)
        message = f"expected {expected}{after}, found {found}" if expected else f"unexpected {found}"
        message += _parse_hint(exc, text) + _unclosed_hint(exc)
    return ProgramError(message, line, column, source_line(text, line), kind="syntax")


# What numpy and Python spell differently, as gradcli's functions (np.maximum(0, x) is max(0, x)).
_MODULES = {"np", "numpy", "math", "cmath", "torch", "jnp", "jax", "tf", "scipy", "F"}
_OTHER_SPELLINGS = {"maximum": "max", "minimum": "min", "amax": "max", "amin": "min", "power": "pow",
                    "arcsin": "asin", "arccos": "acos", "arctan": "atan", "arctan2": "atan2",
                    "absolute": "abs", "fabs": "abs", "vdot": "dot", "inner": "dot"}
# Patterns for hints only: compiled when an error needs them (re caches them), not at start-up.
_WORD_BEFORE = r"[^\W\d]\w*$"
_DOTTED_AFTER = r"\.([^\W\d]\w*(?:\.[^\W\d]\w*)*)[ \t]*(\()?"
_ARGUMENTS_SHOWN = 60  # characters of a call's arguments repeated in a hint, at most


def mentions_loop(text: str) -> bool:
    """The word ``for`` is in ``text`` (as the lexer's FOR token takes it): a loop may be there."""
    return re.search(r"(?<!\w)for(?!\w)", text) is not None


def _attribute_dot(exc: ParseError, text: str) -> int | None:
    """Where the '.' of ``W.T`` or ``math.pi`` is, when the parse stopped in a dotted name that no
    call followed (the parser then expects '(' or another '.'); None otherwise."""
    if not {"LPAR", "DOT"} <= set(exc.expected) or exc.previous is None or exc.previous.type != "NAME":
        return None
    dot = text.rfind(".", 0, exc.previous.pos)
    return dot if dot >= 0 else None


def _in_context(expected: set[str], exc: ParseError, text: str) -> set[str]:
    """The terminals that can come here as the user sees it.  LALR merges the states of an
    expression in every context, so its lookaheads name the closers of all of them: keep the
    bracket that is open (or the statement's end when none is), and braces only near a loop."""
    opened = exc.opened
    if opened is not None:
        expected -= {"EQUALS", "SEMI", "NEWLINE", "$END", "LBRACE", "RBRACE"}
        expected -= {"RPAR"} if opened.type == "LSQB" else {"RSQB", "COLON"}
    else:
        expected -= {"RPAR", "RSQB", "COLON", "COMMA"}
        pos = exc.token.pos if exc.token.type != "$END" else len(text)
        if "{" not in text[:pos]:
            expected.discard("RBRACE")
        if not mentions_loop(text[text.rfind("\n", 0, pos) + 1:pos]):
            expected.discard("LBRACE")
    return expected


def _character_hint(text: str, pos: int) -> str:
    """What a character gradcli does not take usually means: np.dot(W, x), W.T, x.sum(), x > 0."""
    ch = text[pos]
    if ch == ".":
        return dotted_hint(text, pos)
    if ch == "!":
        return ": not equal is written !="
    return ""


def dotted_hint(text: str, pos: int) -> str:
    """``np.dot(W, x)``, ``math.pi``, ``W.T``, ``x.sum()``: gradcli has no modules, attributes or methods."""
    before = re.compile(_WORD_BEFORE).search(text, max(0, pos - 100), pos)
    after = re.compile(_DOTTED_AFTER).match(text, pos)
    if before is None or after is None:
        return ""
    owner, attribute = before.group(), after.group(1).split(".")[-1]
    name = _OTHER_SPELLINGS.get(attribute, attribute)
    arguments = _call_arguments(text, after.end()) if after.group(2) else None
    if owner in _MODULES:
        if attribute in ("pi", "e"):
            return f": gradcli has no modules; write {attribute}"
        if name in FUNCTIONS:
            call = f"{name}({'...' if arguments is None else arguments})"
            if name == "max" and arguments is not None and "0" in [a.strip() for a in arguments.split(",")]:
                call += f" or relu({next(a.strip() for a in arguments.split(',') if a.strip() != '0')})"
            return f": gradcli has no modules; write {call}"
        return f": gradcli has no modules; a function is called by its name, like sin(x), and '{attribute}' is not one"
    if attribute == "T":
        return f": write transpose({owner}) for the transpose"
    if name in FUNCTIONS:
        rest = f", {arguments}" if arguments and arguments.strip() else ""
        return f": gradcli has no methods; write {name}({owner}{rest})"
    return ": gradcli has no attributes or methods; a function takes the value as its argument, like sum(x)"


def _call_arguments(text: str, start: int) -> str | None:
    """The text between the '(' before ``start`` and its ')', or None if there is none close by."""
    depth = 1
    for end in range(start, min(len(text), start + _ARGUMENTS_SHOWN)):
        depth += {"(": 1, ")": -1}.get(text[end], 0)
        if depth == 0:
            return text[start:end]
        if text[end] == "\n":
            break
    return None


_PIECEWISE = " (x if x > 0 else 0 is relu(x))"


def _parse_hint(exc: ParseError, text: str) -> str:
    """The likeliest meaning of a token that cannot come where it stands, or "" when there is none to give."""
    token, previous, opened, expected = exc.token, exc.previous, exc.opened, set(exc.expected)
    for word in (token, previous):
        if word is not None and word.type == "NAME" and keyword.iskeyword(word.value):
            if word.value in ("if", "else"):
                return (": gradcli has no 'if ... else'; write pieces with max, min, relu, abs or sign"
                        + _PIECEWISE)
            return f": '{word.value}' is Python, not gradcli: a program is statements like y = x^2"
    if previous is None:
        return ""
    if (previous.type == "NUMBER" and token.type == "NUMBER" and token.value.startswith(".")
            and token.pos == previous.pos + len(previous.value) and "." in previous.value):
        return ": a number has one decimal point"
    in_brackets = opened is not None and opened.type == "LSQB"
    if "STAR" not in expected:
        return ""
    if in_brackets and previous.type in _OPERAND_END and token.type in _OPERAND_START - {"PLUS", "MINUS"}:
        if opened.pos and re.match(r"[\w)\]]", text[opened.pos - 1]):  # x[...]: a subscript
            return ": subscripts are separated by commas, like W[1, 0] or x[1:, 0]"
        return ": array elements are separated by commas, like [1, 2]"
    return _juxtaposed_hint(exc, text)


def _unclosed_hint(exc: ParseError) -> str:
    """A bracket left open lets the statement run on to the next line: say where it opened."""
    token, previous, opened = exc.token, exc.previous, exc.opened
    if opened is None:
        return ""
    ran_on = token.line > opened.line and (token.type == "EQUALS" or token.line > previous.line)  # y = (x\nz = 1
    if token.type == "$END" or ran_on:
        return f"; the '{opened.value}' at {opened.line}:{opened.column} is not closed"
    return ""


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
        base = re.search(r"(?:[\w.]+|π|\))$", text[max(0, previous.pos - 100):previous.pos])
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
        expected = (expected - _OPERATORS - {"COMPARE"}) | {"OPERATOR"}
    if {"FOR", "NUMBER"} <= expected:
        expected -= {"FOR"}  # a loop may start any statement: no news where an operand is expected
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
