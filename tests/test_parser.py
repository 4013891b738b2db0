"""The LALR driver (gradcli/lang/lalr.py) against Lark itself, on the same grammar and transformer."""

import random
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "grammar"))

from build_parser import GRAMMAR, TARGET, grammar_digest, lark_parser  # noqa: E402

from gradcli.lang.lalr import LexError, ParseError, Parser  # noqa: E402
from gradcli.lang.program import Expr, Statement  # noqa: E402
from gradcli.lang.syntax import _Build  # noqa: E402


def test_tables_match_the_grammar():
    header = TARGET.read_text().splitlines()[1]
    assert header == f"# grammar sha256: {grammar_digest(GRAMMAR.read_text())}", \
        "grammar/gradcli.lark changed: run python grammar/build_parser.py"


def shape(value):
    """A comparable form of what a parse returns (statements, expressions, tokens)."""
    out, stack = [], [value]
    while stack:
        v = stack.pop()
        if isinstance(v, Statement):
            out.append(("stmt", v.target, v.line, v.column, v.bare))
            stack.append(v.expr)
        elif isinstance(v, Expr):
            out.append(("expr", v.kind, v.text, v.value, v.line, v.column, len(v.args)))
            stack.extend(v.args)
        elif isinstance(v, str):
            out.append(("name", v))
        elif isinstance(v, (list, tuple)):
            out.append(("seq", len(v)))
            stack.extend(v)
        else:
            out.append(("token", v.type, v.value, v.line, v.column))
    return out


def token_error(token, expected):
    # Lark places the end of input at the last token; gradcli just past the text (for the caret).
    where = "end" if token.type == "$END" else (token.line, token.column)
    return "error", (where, sorted(expected))


def outcome(parse, text, start):
    try:
        return "ok", shape(parse(text, start))
    except (LexError, ParseError) as exc:
        token = getattr(exc, "token", None)
        return ("error", (exc.line, exc.column)) if token is None else token_error(token, exc.expected)
    except Exception as exc:  # the lark side raises its own exception types
        token = getattr(exc, "token", None)
        if token is not None:
            return token_error(token, exc.expected)
        if hasattr(exc, "column"):
            return "error", (exc.line, exc.column)
        if getattr(exc, "orig_exc", None) is not None:
            raise exc.orig_exc
        raise


PIECES = ["x", "y1", "_w", "2", ".5", "1e3", "3.25E-2", "pi", "+", "-", "*", "/", "^", "**", "(", ")",
          ",", "=", ";", "\n", " ", "\t", "sin(", "max(", "# note\n", "\r\n", "f", "y = ", "§",
          # paper's notation: implied products, superscripts, roots, other operator signs
          "2x", "3(", "e", "2e", "×", "·", "÷", "−", "²", "⁻¹", "³²", "√", "π", "2π", "é",
          # arrays: literals, @, indexing, keyword arguments
          "[", "]", "@", "[1, 2]", "W[1, 0]", "[0]", "[-1]", "axis=", "sum(S, axis=1)",
          # names beyond ASCII, ⋅, lines continued inside brackets
          "θ", "x₁", "w_ij", "⋅", "½", "λ²", "(\n", "[\n", "\n)", "\n]"]


def programs(count=1200, seed=7):
    rng = random.Random(seed)
    fixed = ["u = b*c; v = a + u; J = 3*v", "y = log(x1) + x1*x2 - sin(x2)", "-x^2", "2^-3^2",
             "f = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))", "max(a, b, c)", "", "\n\n", "y =", "((x)",
             "y = 2x^2 - 3(x + 1)²", "-2x", "√x^2 + 2√y", "2π·r × h ÷ 3 − x⁻¹", "2x y", "2^2x", "x²^2",
             "a(b+1)", "(a)(b)", "2e", "2 e", "2e3x", "y = x²\nz = 3 § 2", "√", "2√", "x⁻",
             "y = W @ x + b", "W = [[0.1, 0.5], [-0.3, 0.8]]", "v = [x1*x2, sin(x1)]", "W[1, 0] + W[0][1]",
             "f(x)[0]", "(a + b)[-1]", "sum(S, 1) + max(S, axis=0)", "[[1, 2], [3]]", "x[1.5]", "[a=1]",
             "a @ b @ c * d", "x[]", "[]", "2[1, 2]", "x[0", "sum(S, axis=)",
             # blanks are lexed with the token after them: at line starts, the end, before errors
             "x = 1 \t\f\r\n  y = 2   ", "   ", "\t", "x   §", "x  y", "  # c\n x", "x\r", "x\r\n\r\n",
             "\f\fx", "x =\t\t", "x\n\n   \n", "1 +\n 2", "  \n  ", "x # trailing", "(  x  )", "sin (x)",
             "x\t§", "y = 2\r\n z", "# only a comment", "x\n   é", "  2  x  ", "x =  ;  y"]
    yield from fixed
    for _ in range(count):
        yield "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 14)))
    # Mostly well-formed expressions in paper's notation, so that the two agree on trees too.
    operands = ["x", "2x", "3(x+1)", "x²", "√y", "π", "2π", "(a−b)", "sin(x)", "2sin(x)", "x⁻¹", "e",
                ".5(y)", "2√x", "4x^2", "(x)³"]
    for _ in range(count // 4):
        terms = [rng.choice(["", "-", "−", "√", "+"]) + rng.choice(operands) for _ in range(rng.randint(1, 5))]
        yield "y = " + "".join(t + rng.choice(["+", "−", "×", "·", "÷", "*", "^", "-", " "]) for t in terms)[:-1]


@pytest.fixture(scope="module")
def parsers():
    ours = Parser(_Build())
    lark = lark_parser(transformer=_Build())

    def with_lark(text, start):
        return lark.parse(text, start=start)

    return ours.parse, with_lark


@pytest.mark.parametrize("start", ["program", "binding"])
def test_driver_agrees_with_lark(parsers, start):
    ours, lark = parsers
    agreed = 0
    for text in programs():
        try:
            theirs = outcome(lark, text, start)
        except Exception as exc:  # a ProgramError raised by a rule: ours must raise it too
            with pytest.raises(type(exc)):
                ours(text, start)
            continue
        assert outcome(ours, text, start) == theirs, repr(text)
        agreed += 1
    assert agreed > 1000


def lark_tokens(lexer, text):
    out = []
    try:
        for t in lexer.lex(text):
            out.append((t.type, t.value, t.line, t.column, t.start_pos))
    except Exception as exc:  # lark's UnexpectedCharacters
        return out, (exc.line, exc.column, exc.pos_in_stream)
    return out, None


def our_tokens(parser, text):
    out = []
    try:
        for t in parser.tokens(text):
            out.append((t.type, t.value, t.line, t.column, t.pos))
    except LexError as exc:
        return out, (exc.line, exc.column, exc.pos)
    assert out[-1][:2] == ("$END", "")
    return out[:-1], None


def test_tokens_agree_with_lark():
    """The lexer alone: every token's type, text and place, and where a lex error is."""
    ours, lexer = Parser(_Build()), lark_parser()
    for text in programs():
        assert our_tokens(ours, text) == lark_tokens(lexer, text), repr(text)


class _EveryToken:
    """A transformer whose every rule hands up the tokens under it, in order: the parse returns the
    tokens ``parse`` lexed itself (its lexer is inlined for speed, apart from ``tokens``)."""

    def __getattr__(self, name):
        return _tokens_under


def _tokens_under(children):
    out = []
    for child in children:
        out.extend(child if isinstance(child, list) else [child])
    return out


def test_the_parse_lexes_as_tokens_does():
    parser, lexer = Parser(_EveryToken()), Parser(_Build())
    parsed = 0
    for text in programs():
        try:
            seen = parser.parse(text, "program")
        except (LexError, ParseError):
            continue
        tokens = [(t.type, t.value, t.line, t.column, t.pos) for t in lexer.tokens(text)][:-1]
        assert [(t.type, t.value, t.line, t.column, t.pos) for t in seen] == tokens, repr(text)
        parsed += 1
    assert parsed > 300


def test_lookaheads_rewritten_take_the_same_characters():
    """The driver's negated classes (lalr._without_lookaheads) against the lookaheads of Lark's
    terminals, for every character: as a name's first character and as a later one."""
    import re

    from gradcli.lang import _tables
    from gradcli.lang.lalr import _without_lookaheads

    characters = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    rewritten = 0
    for _name, regex in _tables.TERMINALS:
        simpler = _without_lookaheads(regex)
        if simpler == regex:
            continue
        rewritten += 1
        for before in ("", "a"):
            theirs, ours = re.compile(before + regex), re.compile(before + simpler)
            assert ([c for c in characters if theirs.fullmatch(before + c)]
                    == [c for c in characters if ours.fullmatch(before + c)]), regex
    assert rewritten >= 1
