"""Lowering as the parser reads (lower_text) against lowering after ordering (build_tape): same tape, same errors."""

import random
from pathlib import Path

import pytest

from gradcli.core.lower import build_tape, lower_text
from gradcli.lang.syntax import parse_program
from gradcli.support.errors import GradError
from strategies import generate

SAMPLES = sorted((Path(__file__).resolve().parent.parent / "samples").glob("*.grad"))


def snapshot(tape) -> tuple:
    """Everything a tape holds, comparable."""
    nodes = [(n.index, n.kind, n.op.name if n.op else None, n.args, n.name, n.text, n.number, n.line, n.column,
              repr(n.value), n.params) for n in tape.nodes]
    statements = [(name, st.line, st.column, st.bare) for name, st in tape.statements.items()]
    return nodes, tape.inputs, tape.names, statements, tape.outputs, tape.arrays


def outcome(lower, text):
    try:
        return "tape", snapshot(lower(text))
    except GradError as exc:
        return "error", type(exc).__name__, exc.message, exc.line, exc.column


def by_ordering(text):
    return build_tape(parse_program(text))


IN_ORDER_AND_NOT = [
    "u = b*c; v = a + u; J = 3*v",  # in order: lowered as read
    "J = 3*v; v = a + u; u = b*c",  # every name used above its statement: ordered first
    "y = a*x; a = 5",  # a default below its use
    "y = x10 + x2 + b",  # inputs met out of order: moved to the front, sorted
    "y = 2*pi*r; z = pi + 1",  # pi read as a constant
    "y = 2*pi*r; pi = 3",  # pi assigned below its use as a constant
    "pi = 3; y = 2*pi*r",
    "y = 0.5*x + 0.5*z - .5",  # one constant node per spelling
    "q = W @ x; f = sum(q^2)",  # arrays
    "x = [0.2, 0.4]; W = [[0.1, 0.5], [-0.3, 0.8]]; f = norm(W @ x)^2",
    "v = [x1*x2, sin(x1)]; y = sum(v, axis=0)",
    "a = 2*pi; y = a*x",
    "x^2 + 1",
    "y = x",
]
ERRORS = [
    "y = x; y = 2",  # assigned twice
    "x^2; x + 1",  # two bare expressions
    "a = b + 1; b = a * 2",  # a cycle
    "x = x + 1",
    "y = foo(x)",
    "y = sin(x, 2)",
    "a = log(-1); y = a*x",
    "y = b(c+1); b = 2",
    "y = sum(x, axis=z)",
    "y = x +",
    "y = foo(x)\nz = ) ",  # a syntax error below a lowering error: the syntax error wins
]


@pytest.mark.parametrize("text", IN_ORDER_AND_NOT + ERRORS)
def test_both_ways_agree(text):
    assert outcome(lower_text, text) == outcome(by_ordering, text)


@pytest.mark.parametrize("text", ERRORS)
def test_errors_are_errors(text):
    assert outcome(lower_text, text)[0] == "error"


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_samples(path):
    text = path.read_text()
    assert outcome(lower_text, text) == outcome(by_ordering, text)


@pytest.mark.parametrize("seed", range(300))
def test_generated_programs(seed):
    """Random programs, their statements shuffled: in order or not, with defaults and constants."""
    text = generate(random.Random(seed)).text
    assert outcome(lower_text, text) == outcome(by_ordering, text)


def test_one_node_per_constant_spelling():
    tape = lower_text("y = 0.5*x + 0.5*z - .5")
    constants = [n.text for n in tape.nodes if n.kind == "const"]
    assert constants == ["0.5", ".5"]
    half = next(n.index for n in tape.nodes if n.text == "0.5")
    assert sum(a == half for n in tape.nodes for a in n.args) == 2


def test_inputs_move_to_the_front_in_natural_order():
    tape = lower_text("u = b*x10; y = u + x2")
    assert [tape.nodes[i].name for i in tape.inputs] == ["b", "x2", "x10"]
    assert tape.inputs == [0, 1, 2]
    assert all(a < n.index for n in tape.nodes for a in n.args)
