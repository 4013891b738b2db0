"""Properties over random programs: gradients agree with central differences and across modes,
``eval --json`` reads back to the same doubles, and pretty-printing loses nothing.

Programs come from ``strategies.programs()``, which covers the whole operator
table.  The seed is fixed and the number of examples bounded (``SETTINGS``);
the module prints how many examples ran.
"""

from __future__ import annotations

import math
import sys
from collections import Counter

import pytest
from hypothesis import given

from conftest import central_difference, run, run_json, write_counts
from gradcli.autodiff.scalar_plan import scalar_values, scalar_adjoints
from gradcli.support.errors import GradError
from gradcli.core.lower import build_tape
from gradcli.core.values import dense
from gradcli.analyses.modes import MODES, compute
from pretty import pretty
from gradcli.autodiff.gradient import evaluate
from gradcli.autodiff.loading import load
from gradcli.lang.syntax import parse_program
from strategies import SETTINGS, programs

# Every mode's gradient is checked against the reverse sweep and central differences.
CHECKED_MODES = list(MODES)  # reverse, forward, paths: every way gradcli computes a gradient

EPS = sys.float_info.epsilon
EXAMPLES = Counter()


@pytest.fixture(scope="module", autouse=True)
def report_examples(request):
    yield
    write_counts(request, "property examples run", EXAMPLES)


def load_generated(g):
    return load(g.text, g.bindings, of=g.output)


def numeric_gradient(problem, name: str) -> float:
    """d(output)/d(name) by a central difference over the engine's forward pass."""
    tape, out = problem.tape, problem.output_index
    index = tape.names[name]
    inputs = problem.input_values()

    def f(x):
        return scalar_values(tape, {**inputs, index: x})[out]

    return central_difference(f, [inputs[index]], 0)


def tolerance(result, name: str) -> float:
    """How far a central difference may be from the exact derivative, from the values' magnitudes.

    Rounding: every node k carries an error of about eps*|v_k|, which reaches the
    output scaled by its adjoint; a central difference with step h divides that
    by h.  Truncation: relative 1e-6 of the gradient (steps are 1e-6 relative,
    and the generator keeps operands away from kinks and domain edges); measured
    errors stay below 1e-8 relative, and a partial wrong by 1e-4 is caught.
    """
    x = result.values[result.tape.names[name]]
    h = 1e-6 * max(1.0, abs(x))
    noise = sum(abs(dense(a) * v) for a, v in zip(result.adjoints, result.values))
    return 1e-6 * abs(result.gradient[name]) + 50 * EPS * (noise + abs(result.value)) / h


def assert_matches_central_differences(result, reference=None):
    """``reference`` (a reverse-sweep result) supplies the adjoints for the noise estimate
    when ``result`` has none for intermediate nodes (forward mode)."""
    scale = reference or result
    for name, g in result.gradient.items():
        numeric = numeric_gradient(result.problem, name)
        assert abs(g - numeric) <= tolerance(scale, name), (name, g, numeric)


@SETTINGS
@given(programs())
def test_reverse_sweep_matches_central_differences(g):
    EXAMPLES["reverse vs central differences"] += 1
    problem = load_generated(g)
    tape = problem.tape
    values = scalar_values(tape, problem.input_values())
    adjoints = scalar_adjoints(tape, values, problem.output_index)
    assert_matches_central_differences(evaluate(problem))
    assert [adjoints[tape.names[n]] for n in problem.wrt] == list(evaluate(problem).gradient.values())


@pytest.mark.parametrize("mode", CHECKED_MODES)
@SETTINGS
@given(g=programs())
def test_modes_agree_with_reverse_and_central_differences(mode, g):
    EXAMPLES[f"mode {mode}"] += 1
    problem = load_generated(g)
    reference = evaluate(problem)
    result = compute(problem, mode)
    assert result.value == reference.value
    for name, expected in reference.gradient.items():
        scale = sum(abs(dense(a) * v) for a, v in zip(reference.adjoints, reference.values))
        assert result.gradient[name] == pytest.approx(expected, rel=1e-9, abs=1e-12 * max(1.0, scale))
    assert_matches_central_differences(result, reference)


@SETTINGS
@given(programs())
def test_eval_json_reads_back_the_same_doubles(g):
    EXAMPLES["eval --json round trip"] += 1
    expected = evaluate(load_generated(g))
    args = ["eval", g.text, *g.bindings, "--json", "--all"] + (["--of", g.output] if g.output else [])
    data = run_json(*args)
    assert data["output"] == expected.output
    assert data["value"] == expected.value
    assert data["gradient"] == expected.gradient
    assert list(data["gradient"]) == expected.problem.wrt
    for row in data["nodes"]:
        assert row["value"] == expected.values[row["index"]]
        assert row["adjoint"] == dense(expected.adjoints[row["index"]])


def graph_signature(tape):
    """Everything that makes two tapes the same graph."""
    return [(n.kind, n.op.name if n.op else None, n.args, n.name, n.label, n.number,
             None if n.value is None else repr(n.value)) for n in tape.nodes]


def assert_same_graph(text: str):
    tape = build_tape(parse_program(text))
    printed = pretty(tape)
    again = build_tape(parse_program(printed))
    assert graph_signature(again) == graph_signature(tape), printed
    assert sorted(again.names) == sorted(tape.names)
    assert all(tape.nodes[tape.names[n]].label == again.nodes[again.names[n]].label for n in tape.names)
    return tape, printed


@SETTINGS
@given(programs())
def test_pretty_then_parse_gives_the_same_graph(g):
    EXAMPLES["pretty round trip"] += 1
    assert_same_graph(g.text)


def _group_parentheses(text: str):
    """(open, close) positions of parentheses that group (not a call's)."""
    pairs, stack = [], []
    for i, ch in enumerate(text):
        if ch == "(":
            stack.append((i, i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_")))
        elif ch == ")":
            start, is_call = stack.pop()
            if not is_call:
                pairs.append((start, i))
    return pairs


@SETTINGS
@given(programs())
def test_pretty_parentheses_are_all_needed(g):
    """Removing any one pair of grouping parentheses changes the graph (or is not a program)."""
    EXAMPLES["pretty minimal parentheses"] += 1
    tape, printed = assert_same_graph(g.text)
    signature = graph_signature(tape)
    for start, end in _group_parentheses(printed):
        stripped = printed[:start] + printed[start + 1:end] + printed[end + 1:]
        try:
            changed = graph_signature(build_tape(parse_program(stripped))) != signature
        except GradError:
            changed = True
        assert changed, f"needless parentheses at {start} in {printed!r}"


@pytest.mark.parametrize("text", [
    "y = -x^2 + (-x)^2 - (a - b) - (a - (b - c)) + 2^3^2 + (2^3)^2 + 2^-1 + -(a*b) + (-a)*b",
    "y = a/(b*c) + a/b*c + a*(b/c) + max(a, b, -c) + --x + pi*e + x**-2 + pow(x, 2)",
    "J = 3*v; v = a + u; u = b*c",  # statements in reverse order
    "u = x; y = u*3; w = y",  # aliases
    "a = 5; b = -2.5; c = 1e-320; y = a*b + c + 1.7e308*0",  # defaults and literals
])
def test_pretty_examples(text):
    tape, printed = assert_same_graph(text)
    assert tape.outputs == build_tape(parse_program(printed)).outputs


def test_pretty_minimal_parentheses_text():
    tape = build_tape(parse_program("y = ((a + b)) * (c) - (-(x^(2)))"))
    assert pretty(tape) == "y = (a + b)*c - -x^2\n"


def test_pretty_deep_expressions_without_recursion():
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)
    try:
        for text in ["y = " + "(" * 20_000 + "x" + " + 1)" * 20_000,
                     "y = " + " + ".join(["x"] * 50_000),
                     "y = " + "-" * 5_000 + "x",
                     "y = " + "^".join(["x"] * 3_000)]:
            assert_same_graph(text)
    finally:
        sys.setrecursionlimit(limit)


def test_generator_covers_the_whole_table():
    """The strategy reaches every op of the table, so each property covers each op."""
    import random

    from gradcli.core.ops import SCALAR_OPS
    from strategies import generate

    seen = Counter()
    for seed in range(300):
        seen.update(generate(random.Random(seed)).ops_used)
    assert set(seen) == set(SCALAR_OPS)
    assert math.isfinite(sum(seen.values()))
