"""The tape: order, numbering, edge multiplicity, and size without recursion."""

import sys

import pytest

from gradcli.autodiff.scalar_plan import scalar_values, scalar_adjoints
from gradcli.core.tape import INPUT, OPERATION
from gradcli.core.lower import build_tape
from gradcli.support.errors import UsageError
from gradcli.autodiff.gradient import evaluate
from gradcli.autodiff.loading import load
from gradcli.lang.syntax import parse_program


def gradient(text, **values):
    problem = load(text, [f"{k}={v!r}" for k, v in values.items()])
    result = evaluate(problem)
    return result.value, result.gradient


def test_tape_is_topological_and_numbered():
    tape = build_tape(parse_program("y = log(x1) + x1*x2 - sin(x2)"))
    assert [n.label for n in tape.nodes] == ["x1", "x2", "v1", "v2", "v3", "v4", "y"]
    assert [tape.definition(i) for i in range(2, 7)] == ["log(x1)", "x1*x2", "v1+v2", "sin(x2)", "v3-v4"]
    for node in tape.nodes:
        assert all(a < node.index for a in node.args)


def test_inputs_first_in_natural_order():
    tape = build_tape(parse_program("y = x10 + x2 + b"))
    assert tape.input_names() == ["b", "x2", "x10"]
    assert all(tape.nodes[i].kind == INPUT for i in range(3))


def test_edges_keep_multiplicity():
    tape = build_tape(parse_program("y = x*x"))
    y = tape.nodes[tape.names["y"]]
    assert y.args == (tape.names["x"], tape.names["x"])
    assert gradient("y = x*x*x", x=2.0) == (8.0, {"x": 12.0})


def test_shared_node_receives_the_sum():
    # u feeds v twice and w once: dJ/du = 2u*1 + 3.
    value, grad = gradient("u = 2*x; v = u*u; w = 3*u; J = v + w", x=1.5)
    assert grad["x"] == pytest.approx(2 * (2 * 3.0) + 2 * 3)


def test_several_outputs_must_be_chosen():
    """Two statements nothing uses: a single output is not guessed."""
    with pytest.raises(UsageError, match=r"2 outputs .*q, y.*--of"):
        gradient("q = a*2; y = b + 1", a=1.0, b=2.0)


def test_alias_statement():
    assert gradient("u = x; y = u*3", x=2.0) == (6.0, {"x": 3.0})


def test_nothing_recurses():
    """Deep and large programs stay well under Python's recursion limit."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)  # far below the sizes below
    try:
        depth = 20_000
        nested = "y = " + "(" * depth + "x" + ")" * depth + " + 1"
        assert gradient(nested, x=1.0) == (2.0, {"x": 1.0})
        terms = 50_000
        assert gradient("y = " + " + ".join(["x"] * terms), x=1.0) == (float(terms), {"x": float(terms)})
        assert gradient("y = " + "-" * 5_000 + "x", x=2.0) == (2.0, {"x": 1.0})
        n = 20_000
        chain = "\n".join(f"t{i} = t{i - 1} + 1" for i in range(n, 0, -1)) + "\nt0 = x"
        value, grad = gradient(chain + "\ny = t" + str(n), x=0.0)
        assert (value, grad) == (float(n), {"x": 1.0})
    finally:
        sys.setrecursionlimit(limit)


def test_tower_overflows_cleanly():
    from gradcli.support.errors import EvaluationError

    tower = "y = " + "^".join(["a"] * 3_000)
    with pytest.raises(EvaluationError, match="overflows"):
        evaluate(load(tower, ["a=2"]))


def test_reverse_equals_explicit_chain_rule():
    tape = build_tape(parse_program("y = sin(x) * exp(x)"))
    vals = scalar_values(tape, {tape.names["x"]: 0.7})
    adj = scalar_adjoints(tape, vals, tape.names["y"])
    import math

    expected = math.cos(0.7) * math.exp(0.7) + math.sin(0.7) * math.exp(0.7)
    assert adj[tape.names["x"]] == pytest.approx(expected, rel=1e-15)
    assert sum(1 for n in tape.nodes if n.kind == OPERATION) == 3
