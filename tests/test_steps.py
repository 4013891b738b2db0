"""explain --steps: the backward pass node by node (Ng's chain, the CS231n sigmoid neuron)."""

import math

import pytest

from conftest import assert_error, run, run_json
from gradcli.autodiff.loading import load
from gradcli.analyses.steps import backward_steps

SIGMOID = "f = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))"
SIGMOID_BINDINGS = ["w0=2", "x0=-1", "w1=-3", "x1=-2", "w2=-3"]
NG = "u = b*c; v = a + u; J = 3*v"


def steps_json(*args):
    return run_json("explain", "--steps", *args, "--json")


def by_op(data, op):
    (step,) = [s for s in data["steps"] if s["op"] == op]
    return step


def test_sigmoid_node_by_node():
    """cs231n's numbers: 1/x local -0.5344, gradient -0.53; exp -0.20; *-1 0.20; dw0 -0.20, dx0 0.39."""
    data = steps_json(SIGMOID, *SIGMOID_BINDINGS)
    x = 1 + math.exp(-1)  # the input of the 1/x node
    (inverse,) = by_op(data, "div")["operands"]
    assert inverse["formula"].startswith("-") and inverse["formula"].endswith("^2")
    assert inverse["local"] == pytest.approx(-1 / x**2, rel=1e-15)
    assert inverse["local"] == pytest.approx(-0.5344, abs=5e-5)
    assert inverse["contribution"] == pytest.approx(-0.53, abs=5e-3)
    plus_one = next(s for s in data["steps"] if s["definition"].startswith("1+"))
    (into_exp,) = plus_one["operands"]  # the +1 node: local 1, gradient -0.53
    assert (into_exp["local"], round(into_exp["contribution"], 2)) == (1.0, -0.53)
    (exp_operand,) = by_op(data, "exp")["operands"]
    assert exp_operand["local"] == pytest.approx(math.exp(-1), rel=1e-15)
    assert exp_operand["contribution"] == pytest.approx(-0.20, abs=5e-3)
    (negation,) = by_op(data, "neg")["operands"]
    assert (negation["local"], round(negation["contribution"], 2)) == (-1.0, 0.20)
    assert by_op(data, "neg")["upstream"] == pytest.approx(-0.20, abs=5e-3)
    assert round(data["gradient"]["w0"], 2) == -0.20 and round(data["gradient"]["x0"], 2) == 0.39
    exact = {"w0": -0.196612, "x0": 0.393224, "w1": -0.393224, "x1": -0.589836, "w2": 0.196612}
    assert data["gradient"] == pytest.approx(exact, abs=1e-6)


def test_sigmoid_multiply_gates_swap():
    """A multiply gate's local gradient is the other input's value."""
    data = steps_json(SIGMOID, *SIGMOID_BINDINGS)
    w0x0 = next(s for s in data["steps"] if s["definition"] == "w0*x0")
    assert [(o["node"], o["formula"], o["local"]) for o in w0x0["operands"]] == \
        [("w0", "x0", -1.0), ("x0", "w0", 2.0)]
    for o in w0x0["operands"]:
        assert o["contribution"] == w0x0["upstream"] * o["local"]


def test_ng_chain_steps():
    data = steps_json(NG, "a=5", "b=3", "c=2")
    steps = {s["node"]: s for s in data["steps"]}
    assert [s["node"] for s in data["steps"]] == ["J", "v", "u"]  # the sweep: output first
    assert (steps["J"]["upstream"], steps["v"]["upstream"], steps["u"]["upstream"]) == (1.0, 3.0, 3.0)
    assert [(o["node"], o["contribution"]) for o in steps["u"]["operands"]] == [("b", 6.0), ("c", 9.0)]
    assert data["gradient"] == {"a": 3.0, "b": 6.0, "c": 9.0}
    assert data["value"] == 33.0 and data["output"] == "J"


def test_a_shared_node_receives_the_sum(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # one table row per line
    # u feeds w = 3u once and v = u*u twice: du = 3*1 + u*1 + u*1 = 9 at u = 3.
    result = backward_steps(load("u = 2*x; v = u*u; w = 3*u; J = v + w", ["x=1.5"]))
    u = next(s for s in result.steps if s.node == "u")
    assert [(r.source, r.contribution) for r in u.received] == [("w", 3.0), ("v", 3.0), ("v", 3.0)]
    assert u.upstream == 9.0
    assert result.gradient == {"x": 18.0}
    out = run("explain", "--steps", "u = 2*x; v = u*u; w = 3*u; J = v + w", "x=1.5").out
    assert "du = 9 = 3 (from w) + 3 (from v) + 3 (from v)" in out


def test_sweep_order_and_sums_match_the_adjoints():
    """Every node appears after every node it feeds; what it received sums to its adjoint."""
    result = backward_steps(load(SIGMOID, SIGMOID_BINDINGS))
    position = {s.node: k for k, s in enumerate(result.steps)}
    for k, step in enumerate(result.steps):
        for operand in step.operands:
            assert position.get(operand.node, len(result.steps)) > k
        if step.received:
            assert sum(r.contribution for r in step.received) == step.upstream
    adjoints = result.sweep.adjoints
    assert [s.upstream for s in result.steps] == [adjoints[s.index] for s in result.steps]


def test_only_the_outputs_cone():
    result = backward_steps(load("u = sqrt(x); y = 2*x", ["x=0"], of="y"))
    assert [s.node for s in result.steps] == ["y"]


def test_constant_operands_get_no_step():
    data = steps_json("y = 3*x + 1", "x=2")
    assert [o["node"] for s in data["steps"] for o in s["operands"]] == ["v1", "x"]


def test_rich_output(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    result = run("explain", "--steps", SIGMOID, *SIGMOID_BINDINGS)
    assert result.code == 0
    text = result.out
    assert "-1/v7^2 = -0.534447" in text and "dx0 = 0.393224 (from v1)" in text


@pytest.mark.parametrize("args, words", [
    (["--steps", "y = x", "x=1", "--tangent", "x"], "--tangent and --adjoint go with --trace"),
])
def test_usage_errors(args, words):
    assert_error(["explain", *args], 2, words)
