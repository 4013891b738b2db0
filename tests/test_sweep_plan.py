"""The one sweep interface (``sweeps.Plan``): one symbolic zero for numbers and arrays, rows a batch axis.

Every number here is checked against a central difference of the forward pass,
an independent computation of the same derivative.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from gradcli.autodiff.loading import load
from gradcli.autodiff.sweeps import Plan, row_total
from gradcli.core.values import Zero, dense, is_zero

H = 1e-6


def central(plan: Plan, inputs: dict, index: int, output: int) -> float:
    up, down = dict(inputs), dict(inputs)
    up[index] += H
    down[index] -= H
    return (plan.values(up)[output] - plan.values(down)[output]) / (2 * H)


def test_scalar_reverse_gives_zero_where_no_path_reaches_and_the_derivative_elsewhere():
    problem = load("u = x*y\nv = sin(y)\nf = u + 3", ["x=0.7", "y=1.3"], of=["f", "v"], several=True)
    tape = problem.tape
    plan = Plan(tape)
    inputs = problem.input_values()
    vals = plan.values(inputs)
    f = tape.names["f"]
    adj = plan.reverse(vals, f)
    for name in ("x", "y"):
        assert adj[tape.names[name]] == pytest.approx(central(plan, inputs, tape.names[name], f), rel=1e-7)
    assert is_zero(adj[tape.names["v"]]) and adj[tape.names["v"]].shape == ()  # f does not read v
    constant = next(node.index for node in tape.nodes if node.kind == "const")
    assert is_zero(adj[constant])  # no gradient flows into a constant
    assert not is_zero(adj[f]) and adj[f] == 1.0


def test_a_computed_zero_is_not_the_symbolic_zero():
    problem = load("f = x*y", ["x=2", "y=0"])
    plan = Plan(problem.tape)
    adj = plan.reverse(plan.values(problem.input_values()), problem.output_index)
    x = problem.tape.names["x"]
    assert adj[x] == 0.0 and not is_zero(adj[x])  # df/dx = y = 0, computed


def test_array_reverse_zero_knows_its_shape():
    problem = load("a = W @ x\nb = sum(W)\nf = sum(a)", ["W=[[1, 2], [3, 4]]", "x=[0.5, -1]"],
                   of=["f", "b"], several=True)
    tape = problem.tape
    plan = Plan(tape, True)
    vals = plan.values(problem.input_values())
    adj = plan.reverse(vals, tape.names["f"])
    b = adj[tape.names["b"]]
    assert is_zero(b) and b.shape == ()
    np.testing.assert_allclose(adj[tape.names["x"]], [1 + 3, 2 + 4])  # d sum(W @ x)/dx = column sums of W
    assert isinstance(dense(Zero((2, 3))), np.ndarray) and dense(Zero((2, 3))).shape == (2, 3)


def test_tangents_are_zero_where_the_seed_does_not_reach():
    problem = load("u = sin(x)\nv = y*y\nf = u + v", ["x=0.4", "y=1.5"])
    tape = problem.tape
    plan = Plan(tape)
    inputs = problem.input_values()
    vals = plan.values(inputs)
    x, f = tape.names["x"], tape.names["f"]
    tan = plan.tangents(vals, {x: 1.0})
    assert is_zero(tan[tape.names["v"]]) and is_zero(tan[tape.names["y"]])
    assert tan[f] == pytest.approx(central(plan, inputs, x, f), rel=1e-7)


def test_rows_are_a_batch_axis_never_summed_and_a_bad_row_is_masked():
    problem = load("f = w*log(x) + w*w", ["w=0.5"], require_values=False)
    tape = problem.tape
    plan = Plan(tape)
    xs = np.array([1.0, 2.0, -1.0, 4.0])  # log(-1): row 2 is bad, and nothing raises
    inputs = {tape.names["x"]: xs, tape.names["w"]: 0.5}
    vals, bad = plan.row_values(inputs, len(xs))
    adj = plan.reverse(vals, problem.output_index, bad=bad)
    assert bad.tolist() == [False, False, True, False]
    per_row = adj[tape.names["w"]]
    assert per_row.shape == (4,)  # one adjoint of w per row: the sweep did not sum them
    scalar = Plan(tape)
    for r in (0, 1, 3):
        point = {tape.names["x"]: float(xs[r]), tape.names["w"]: 0.5}
        assert per_row[r] == pytest.approx(central(scalar, point, tape.names["w"], problem.output_index), rel=1e-7)
    good = ~bad
    total = row_total(per_row[good])
    assert total == pytest.approx(math.fsum(math.log(v) + 1.0 for v in xs[good]), rel=1e-12)


def test_an_unchecked_array_sweep_gives_the_checked_sweeps_adjoints():
    problem = load("f = sum(tanh(a * v) * v)", ["a=0.7", "v=[0.3, -1.2, 2.0]"])
    plan, tape = Plan.of(problem), problem.tape
    inputs = problem.input_values()
    vals = plan.values(inputs)
    out, a = problem.output_index, tape.names["a"]
    fast = plan.reverse(list(vals), out, checked=False)
    slow = plan.reverse(list(vals), out)
    assert all(np.array_equal(dense(f), dense(s)) for f, s in zip(fast, slow) if s is not None)
    assert fast[a] == pytest.approx(central(plan, inputs, a, out), rel=1e-6)


def test_descent_says_where_a_partial_fails_as_the_checked_sweep_does():
    from gradcli.analyses.descent import Descent, prepare_descent
    from gradcli.support.errors import EvaluationError

    problem = load("L = sum(sqrt(w * w))", ["w=[0, 1]"], require_values=False)
    plan = Plan.of(problem)
    vals = plan.values(problem.input_values())
    with pytest.raises(EvaluationError) as checked:
        plan.reverse(vals, problem.output_index)
    with pytest.raises(EvaluationError) as descent:
        list(Descent(prepare_descent(problem, None, False), 0.1, 3))
    assert descent.value.message == checked.value.message
    assert "sqrt" in checked.value.message
