"""derive on array programs: the backward pass at the tensor level, a program that reproduces the sweep.

For every op of the table (the cases of test_array_ops.py) and for random array programs,
the derived program is read back by gradcli and each input's adjoint statement is
compared with the reverse sweep's gradient; every adjoint has its node's shape.
"""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from test_array_ops import RNG, cases, operand_values
from test_rules_tensor import VALUES, random_program

from gradcli.analyses.derive_arrays import derive_arrays
from gradcli.autodiff.gradient import evaluate
from gradcli.autodiff.loading import load
from gradcli.autodiff.sweeps import Plan
from gradcli.core.indexing_rules import checked_shape, integer_operands
from gradcli.core.lower import lower_text
from gradcli.core.ops import OPS


def binding(name: str, v) -> str:
    return f"{name}={json.dumps(np.asarray(v).tolist() if np.ndim(v) else float(v))}"


def derived_values(program: str, bindings: list[str] = (), of: str | None = None) -> dict:
    """The statements of a derived program that ``of`` reads, evaluated by gradcli (name -> value)."""
    problem = load(program, list(bindings), of=of)
    values = Plan.of(problem).values(problem.input_values())
    return {name: values[i] for name, i in problem.tape.names.items()}


def every_adjoint(result, bindings=()) -> dict:
    """Every adjoint statement's value, by one pass over the derived program."""
    problem = load(result.program, list(bindings), of=[s.name for s in result.backward], several=True)
    values = Plan.of(problem).values(problem.input_values())
    return {name: values[i] for name, i in problem.tape.names.items()}


def assert_reproduces(problem, bindings=()):
    result = derive_arrays(problem)
    got = every_adjoint(result, bindings)
    sweep = evaluate(problem)
    for statement in result.backward:  # every adjoint has its node's shape
        assert np.shape(got[statement.name]) == statement.shape, (statement.name, statement.text)
    for name, adjoint in result.adjoints.items():
        expected = sweep.gradient[name]
        assert np.shape(got[adjoint]) == np.shape(expected), (name, result.program)
        np.testing.assert_allclose(got[adjoint], expected, rtol=1e-12, atol=1e-14, err_msg=result.program)
    return result, got, sweep


def op_problem(op, shapes, params):
    """``y = op(x0, ...)``, ``f = sum(y * R)`` with random operands bound: a Problem and its bindings."""
    args = operand_values(op, shapes)
    out_shape = checked_shape(op, params, shapes, args)
    integers = integer_operands(op, params, len(shapes))
    names = [f"x{k}" for k in range(len(shapes))]
    r = RNG.uniform(-1, 1, out_shape) if out_shape else 0.7
    call = op.render(names, params)
    if params == ((), "C", None):
        pytest.skip("reshape to () has no spelling in gradcli's language: nobody can write it")
    text = f"y = {call}\nf = sum(y * {json.dumps(np.asarray(r).tolist() if out_shape else r)})"
    bindings = [binding(n, a) if k not in integers else f"{n}={json.dumps(np.asarray(a).tolist())}"
                for k, (n, a) in enumerate(zip(names, args))]
    problem = load(text, bindings)
    if not problem.wrt:
        pytest.skip("no operand takes a gradient")
    return problem


@pytest.mark.parametrize("op, shapes, params", list(cases()))
def test_every_ops_backward_pass_reads_back_to_the_sweep(op, shapes, params):
    assert_reproduces(op_problem(op, shapes, params))


@pytest.mark.parametrize("seed", range(30))
def test_random_array_programs(seed):
    text = random_program(random.Random(seed))
    problem = load(text, [v for v in VALUES if v.split("=")[0] in lower_text(text).input_names()])
    assert_reproduces(problem)


def test_norm_wx_is_the_reference_derivation():
    """f = |W x|^2: df/dW = 2 q x^T, df/dx = 2 W^T q, written as the rules say, with shapes."""
    problem = load(open("samples/norm_wx.grad").read())
    result, got, _ = assert_reproduces(problem)
    W, x = np.array([[0.1, 0.5], [-0.3, 0.8]]), np.array([0.2, 0.4])
    q = W @ x
    texts = {s.name: s.text for s in result.backward}
    assert texts["d_W"] == "outer(d_q, x)" and texts["d_x"] == "transpose(W) @ d_q"
    assert texts["d_v2"] == "broadcast_to(d_f, (2,))"  # sum's gradient spread to its operand's shape
    np.testing.assert_array_equal(got["d_W"], np.outer(2 * q, x))  # the same doubles as numpy's
    np.testing.assert_allclose(got["d_x"], 2 * W.T @ q, rtol=1e-15)
    shapes = {s.name: s.shape for s in result.backward}
    assert shapes == {"d_f": (), "d_v2": (2,), "d_q": (2,), "d_W": (2, 2), "d_x": (2,)}
    sources = {s.name: s.sources for s in result.backward}
    assert sources["d_W"] == ["q = W@x"] and sources["d_q"] == ["v2 = q*q"]


def test_a_broadcast_bias_is_summed_over_the_batch():
    """cs231n: b (3,) added to X @ W (4, 3): its adjoint sums d_h over axis 0."""
    X, W, b = [[1, 2], [3, 4], [0.5, 1], [2, 1]], [[1, 0, 1], [0, 1, 1]], [0.1, 0.2, 0.3]
    bindings = [binding("X", X), binding("W", W), binding("b", b)]
    problem = load("h = X @ W + b; f = sum(h*h)", bindings)
    result, got, _ = assert_reproduces(problem)
    texts = {s.name: s.text for s in result.backward}
    assert texts["d_b"] == "sum(d_h, 0)" and texts["d_W"] == "transpose(X) @ d_v1"
    h = np.array(X) @ np.array(W) + np.array(b)
    np.testing.assert_allclose(got["d_b"], (2 * h).sum(axis=0), rtol=1e-15)


def test_large_inputs_are_bound_again():
    W = RNG.uniform(-1, 1, (40, 30))
    x = RNG.uniform(-1, 1, 30)
    problem = load("f = sum(tanh(W @ x))", [binding("W", W), binding("x", x)])
    result = derive_arrays(problem)
    assert result.unwritten == ["W"]
    assert "# W: bind it again ((40, 30), 1200 elements" in result.program
    got = derived_values(result.program, [binding("W", W)], of="d_x")
    np.testing.assert_allclose(got["d_x"], W.T @ (1 - np.tanh(W @ x) ** 2), rtol=1e-13)


def test_a_loop_names_its_steps_as_identifiers():
    problem = load(open("samples/rnn_bptt.grad").read())
    result, _, _ = assert_reproduces(problem)
    assert any(s.name.startswith("h_") for s in result.forward)


def test_broadcast_to_is_numpys():
    assert "broadcast_to" in OPS
    got = derived_values("y = broadcast_to(x, (2, 3))", ["x=[1, 2, 3]"], of="y")
    np.testing.assert_array_equal(got["y"], np.broadcast_to([1.0, 2, 3], (2, 3)))


@pytest.mark.parametrize("program, bindings", [
    ("f = sum(transpose(W) @ b)", ["W=2", "b=[1, 2]"]),  # the output W is an input; b is not read
    ("f = x^2 + sum([x, 1])", ["x=3"]),
])
def test_an_output_that_is_an_input_has_derivative_one(program, bindings):
    of = "W" if "W" in program else "x"
    problem = load(program, bindings, of=of)
    result, got, sweep = assert_reproduces(problem)  # the derived program writes the values it reads
    assert sweep.gradient[of] == 1.0 and got[result.adjoints[of]] == 1.0
    from conftest import run_json

    data = run_json("hessian", program, *bindings, "--of", of, "--json")
    assert data["gradient"][of] == 1.0 and np.all(np.array(data["hessian"]) == 0)
