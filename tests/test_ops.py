"""Every op of the table: its partials against central differences, its formulas against its partials.

These tests iterate over OPS, so a new op is tested by adding it to the table.
"""

import random

import pytest

from conftest import central_difference
from gradcli.core.lower import build_tape
from gradcli.autodiff.scalar_plan import scalar_values
from gradcli.core.ops import ALIAS, FUNCTIONS, INFIX_OPS, OPS, PREFIX_OPS, SCALAR_OPS
from gradcli.lang.program import OP
from gradcli.lang.syntax import parse_program
from gradcli.core.formulas import partial_formula

FIXED = [op for op in SCALAR_OPS.values() if op.arity is not None]
SMOOTH = [op for op in FIXED if not op.cuts]  # stop_gradient's partial is 0 by definition, not its slope
VARIADIC = [op for op in SCALAR_OPS.values() if op.arity is None]
# Formulas that are words, not expressions of the language.
WORDED = {"relu", "max", "min"}


def sample_points(op, count=25, seed=0):
    rng = random.Random(f"{op.name}-{seed}")
    points = []
    while len(points) < count:
        x = [rng.uniform(-3, 3) for _ in range(op.arity)]
        if any(abs(v) < 1e-3 for v in x):
            continue  # keep away from kinks at 0
        if op.domain is None or op.domain(*x):
            points.append(x)
    return points


@pytest.mark.parametrize("op", SMOOTH, ids=lambda op: op.name)
def test_partials_match_central_differences(op):
    for x in sample_points(op):
        out = op.forward(*x)
        for j in range(op.arity):
            numeric = central_difference(op.forward, x, j)
            analytic = op.partial(j, x, out)
            assert analytic == pytest.approx(numeric, rel=1e-6, abs=1e-7), (op.name, x, j)


@pytest.mark.parametrize("op", VARIADIC, ids=lambda op: op.name)
@pytest.mark.parametrize("n", [2, 3, 5])
def test_variadic_partials_match_central_differences(op, n):
    rng = random.Random(n)
    for _ in range(20):
        x = rng.sample(range(-50, 50), n)  # distinct: no ties
        x = [v / 7 for v in x]
        out = op.forward(*x)
        for j in range(n):
            assert op.partial(j, x, out) == pytest.approx(central_difference(op.forward, x, j), abs=1e-7)


@pytest.mark.parametrize("op", VARIADIC, ids=lambda op: op.name)
def test_ties_split_the_gradient(op):
    x = [2.0, 2.0, -1.0] if op.name == "max" else [-1.0, -1.0, 2.0]
    out = op.forward(*x)
    assert [op.partial(j, x, out) for j in range(3)] == [0.5, 0.5, 0.0]


@pytest.mark.parametrize("name, x, expected", [
    ("abs", [0.0], [0.0]), ("relu", [0.0], [0.0]), ("sign", [0.0], [0.0]), ("hypot", [0.0, 0.0], [0.0, 0.0]),
    ("atan2", [0.0, -2.0], [-0.5, 0.0]),  # on the branch cut: the partials from above
])
def test_conventions_at_kinks(name, x, expected):
    op = OPS[name]
    assert [op.partial(j, x, op.forward(*x)) for j in range(len(x))] == expected
    assert op.kinks(*x)


@pytest.mark.parametrize("op", [op for op in FIXED if op.name not in WORDED], ids=lambda op: op.name)
def test_formula_evaluates_to_the_partial(op):
    """Each symbolic partial, parsed by gradcli's own grammar, gives the partial's value."""
    labels = ["p", "q", "s"][: op.arity]
    for x in sample_points(op, count=5):
        out = op.forward(*x)
        for j in range(op.arity):
            formula = partial_formula(op, j, labels, "r")
            program = "; ".join(f"{name} = {value!r}" for name, value in zip(labels, x))
            tape = build_tape(parse_program(f"{program}; result = {formula} + 0*({' + '.join(labels)})"))
            inputs = {tape.names[name]: value for name, value in zip(labels, x)}
            value = scalar_values(tape, inputs)[tape.names["result"]]
            assert value == pytest.approx(op.partial(j, x, out), rel=1e-12, abs=1e-12), formula


def test_every_op_is_reachable_from_the_language():
    spelled = set(FUNCTIONS.values()) | set(INFIX_OPS.values()) | set(PREFIX_OPS.values())
    aliases = {op.name for op in OPS.values() if op.style == ALIAS}  # y = x
    # max(x) and min(x) of one array, x[0] and [a, b] are written by the grammar's own rules
    by_grammar = {"amax", "amin", "index", "stack"}
    assert spelled | aliases | by_grammar == set(OPS)


@pytest.mark.parametrize("op", FIXED, ids=lambda op: op.name)
def test_render_round_trips_through_the_parser(op):
    labels = ["p", "q", "s"][: op.arity]
    text = op.render(labels)
    tape = build_tape(parse_program(f"y = {text}"))
    assert tape.nodes[tape.names["y"]].op is op


@pytest.mark.parametrize("text, name", [(f"p {s} q", name) for s, name in INFIX_OPS.items()]
                         + [(f"{s}p", name) for s, name in PREFIX_OPS.items()])
def test_each_operator_spelling_is_the_parsers(text, name):
    """INFIX_OPS and PREFIX_OPS (which the program generators write with) are read from the grammar's
    terminals: each spelling, paper's signs too, parses to the op the table says."""
    expr = parse_program(f"y = {text}").statements[0].expr
    assert (expr.kind, expr.text) == (OP, name)
