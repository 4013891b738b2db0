"""The language: numbers, names, precedence, statements, and syntax errors that point at the text."""

import math

import pytest

from conftest import program_error
from gradcli.core.lower import build_tape
from gradcli.autodiff.scalar_plan import scalar_values
from gradcli.lang.syntax import parse_binding, parse_program

def value_of(text: str, **inputs) -> float:
    tape = build_tape(parse_program(text))
    vals = scalar_values(tape, {tape.names[k]: float(v) for k, v in inputs.items()})
    return vals[tape.names[(tape.outputs or list(tape.statements))[-1]]]


@pytest.mark.parametrize("text, expected", [
    ("f = 2^3^2", 512.0),
    ("f = 2**3**2", 512.0),
    ("f = -2^2", -4.0),
    ("f = 2^-1", 0.5),
    ("f = 1 - 2 - 3", -4.0),
    ("f = 12 / 3 / 2", 2.0),
    ("f = 2 + 3 * 4", 14.0),
    ("f = (2 + 3) * 4", 20.0),
    ("f = --3", 3.0),
    ("f = +3", 3.0),
    ("f = .5 + 1.5e-1 + 2.", 2.65),
    ("f = pi", math.pi),
    ("f = e", math.e),
    ("f = ln(e)", 1.0),
    ("f = pow(2, 10)", 1024.0),
    ("f = max(1, 7, 3) + min(4, -2)", 5.0),
])
def test_constant_expressions(text, expected):
    assert value_of(text + " + 0*x", x=0) == pytest.approx(expected, rel=1e-15)


def test_precedence_with_names():
    assert value_of("f = -x^2", x=3) == -9.0
    assert value_of("y = a - b*c^2", a=1, b=2, c=3) == -17.0


@pytest.mark.parametrize("text", [
    "u = b*c\nv = a + u\nJ = 3*v",
    "u = b*c; v = a + u; J = 3*v",
    "\n\n# the course's chain\nu = b*c   # product\n\nv = a + u;;\nJ = 3*v;\n",
    "u = b*c\r\nv = a + u\r\nJ = 3*v\r\n",
])
def test_separators_comments_blank_lines(text):
    assert value_of(text, a=5, b=3, c=2) == 33.0


def test_bare_expression_is_f():
    program = parse_program("x^2 + 1")
    assert [s.target for s in program.statements] == ["f"]


@pytest.mark.parametrize("text, line, column, words", [
    ("u = b+", 1, 7, "expected a number, a name or '(' after '+'"),
    ("u = b*c\nv = (a + u\nJ = 3*v", 3, 1, "the '(' at 2:5 is not closed"),
    ("y = a § b", 1, 7, "unexpected character '§'"),
    ("y = 3x y", 1, 8, "after 'x', found 'y': write x*y"),
    ("y = sin(x,)", 1, 11, "expected a number, a name or '('"),
    ("= 3", 1, 1, "found '='"),
    ("y = 1e999", 1, 5, "too large"),
    ("y = 1e-400", 1, 5, "too small"),
])
def test_syntax_errors_point_at_the_text(text, line, column, words):
    err = program_error(text)
    assert (err.line, err.column) == (line, column)
    assert words in err.message
    assert err.source == text.split("\n")[line - 1]


def test_binding_grammar():
    name, expr = parse_binding("t=-1e-3")
    assert name == "t"
    from gradcli.core.lower import constant_value

    assert constant_value(expr) == -1e-3
    assert constant_value(parse_binding("x=pi/4")[1]) == math.pi / 4


@pytest.mark.parametrize("literal", ["1e-320", "1.7e308", "4.9406564584124654e-324", "0.1"])
def test_tiny_and_huge_literals_are_exact(literal):
    assert value_of(f"f = {literal} + 0*x", x=0) == float(literal)
