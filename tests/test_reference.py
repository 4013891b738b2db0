"""Every worked example of REFERENCE.md, with its numbers, through `gradcli eval --json`."""

import pytest

from conftest import SAMPLES, run

NG = "u = b*c; v = a + u; J = 3*v"
SIGMOID = "f = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))"
SIGMOID_BINDINGS = ["w0=2", "x0=-1", "w1=-3", "x1=-2", "w2=-3"]
SIGMOID_GRADIENT = {"w0": -0.196612, "x0": 0.393224, "w1": -0.393224, "x1": -0.589836, "w2": 0.196612}


def eval_json(*args):
    result = run("eval", *args, "--json")
    assert result.code == 0, result.err
    return result.json()


def test_ng_chain():
    data = eval_json(NG, "a=5", "b=3", "c=2")
    assert data == {"output": "J", "value": 33.0, "gradient": {"a": 3.0, "b": 6.0, "c": 9.0}}


def test_ng_chain_intermediates():
    data = eval_json(NG, "a=5", "b=3", "c=2", "--all")
    nodes = {n["node"]: n for n in data["nodes"]}
    assert (nodes["u"]["value"], nodes["v"]["value"]) == (6.0, 11.0)
    assert (nodes["v"]["adjoint"], nodes["u"]["adjoint"]) == (3.0, 3.0)


def test_ng_nudge():
    """a from 5 to 5.001 moves J from 33 to 33.003."""
    nudged = eval_json(NG, "a=5.001", "b=3", "c=2")["value"]
    assert nudged == pytest.approx(33.003, abs=1e-12)


def test_statements_in_any_order():
    data = eval_json("J = 3*v; v = a + u; u = b*c", "a=5", "b=3", "c=2", "--of", "J")
    assert data["gradient"] == {"a": 3.0, "b": 6.0, "c": 9.0}


@pytest.mark.parametrize("program, bindings, value, gradient", [
    ("f = (x + y) * z", ["x=-2", "y=5", "z=-4"], -12.0, {"x": -4.0, "y": -4.0, "z": 3.0}),
    ("g = (x + y) * z", ["x=1", "y=3", "z=-3"], -12.0, {"x": -3.0, "y": -3.0, "z": 4.0}),
])
def test_add_then_multiply(program, bindings, value, gradient):
    data = eval_json(program, *bindings)
    assert data["value"] == value
    assert data["gradient"] == gradient


def test_add_multiply_intermediate():
    nodes = {n["node"]: n for n in eval_json("q = x + y; f = q*z", "x=-2", "y=5", "z=-4", "--all")["nodes"]}
    assert (nodes["q"]["value"], nodes["q"]["adjoint"]) == (3.0, -4.0)


@pytest.mark.parametrize("program", [SIGMOID, "f = sigmoid(w0*x0 + w1*x1 + w2)"])
def test_sigmoid_neuron(program):
    data = eval_json(program, *SIGMOID_BINDINGS)
    assert data["value"] == pytest.approx(0.7311, abs=5e-5)
    assert data["gradient"] == pytest.approx(SIGMOID_GRADIENT, abs=5e-7)


def test_sigmoid_intermediates():
    nodes = eval_json(SIGMOID, *SIGMOID_BINDINGS, "--all")["nodes"]
    by_def = {n["definition"]: n for n in nodes}
    assert by_def["exp(v5)"]["value"] == pytest.approx(0.3679, abs=5e-5)
    assert by_def["1+v6"]["value"] == pytest.approx(1.3679, abs=5e-5)
    assert by_def["1/v7"]["adjoint"] == 1.0
    assert by_def["1+v6"]["adjoint"] == pytest.approx(-0.5344, abs=5e-5)  # the 1/x node's local
    assert by_def["exp(v5)"]["adjoint"] == pytest.approx(-0.5344, abs=5e-5)
    assert by_def["-v4"]["adjoint"] == pytest.approx(-0.1966, abs=5e-5)
    assert by_def["v3+w2"]["adjoint"] == pytest.approx(0.1966, abs=5e-5)


def test_baydin_trace():
    data = eval_json("y = log(x1) + x1*x2 - sin(x2)", "x1=2", "x2=5", "--all")
    values = {n["node"]: n["value"] for n in data["nodes"]}
    assert values["v1"] == pytest.approx(0.6931, abs=5e-5)
    assert values["v2"] == 10.0
    assert values["v3"] == pytest.approx(10.6931, abs=5e-5)
    assert values["v4"] == pytest.approx(-0.9589, abs=5e-5)
    assert data["value"] == pytest.approx(11.6521, abs=5e-5)
    assert data["gradient"]["x1"] == 5.5
    assert data["gradient"]["x2"] == pytest.approx(1.7163, abs=5e-5)


@pytest.mark.parametrize("sample, output, value, gradient", [
    ("ng_chain.grad", "J", 33.0, {"a": 3.0, "b": 6.0, "c": 9.0}),
    ("add_multiply.grad", "f", -12.0, {"x": -4.0, "y": -4.0, "z": 3.0}),
    ("forward_backward.grad", "g", -12.0, {"x": -3.0, "y": -3.0, "z": 4.0}),
    ("baydin_trace.grad", "y", 11.652071455223084, {"x1": 5.5, "x2": 1.7163378145367738}),
    ("sigmoid_neuron.grad", "f", 0.7310585786300049, SIGMOID_GRADIENT),
    ("sigmoid_composite.grad", "f", 0.7310585786300049, SIGMOID_GRADIENT),
])
def test_samples(sample, output, value, gradient):
    data = eval_json("-f", str(SAMPLES / sample))
    assert data["output"] == output
    assert data["value"] == pytest.approx(value, rel=1e-15)
    assert data["gradient"] == pytest.approx(gradient, abs=5e-7)


def test_ng_sample_table():
    result = run("eval", "-f", str(SAMPLES / "ng_chain.grad"))
    assert result.code == 0
    assert "J = 33" in result.out
    for text in ("dJ/da = 3", "dJ/db = 6", "dJ/dc = 9"):
        assert text in result.out
