"""The compiled array plan (autodiff/array_plan.py) against the generic sweeps it stands in for.

Every op of the table (test_array_ops' cases): the compiled forward pass and unchecked reverse
sweep give the very same doubles as the generic node evaluator and reverse sweep.  A pass that
fails falls back to the generic one, which says what failed, with the same message; inputs of
other kinds get a plan of their own.
"""

from __future__ import annotations

import numpy as np
import pytest

from test_array_ops import RNG, build, cases, operand_values

from gradcli.autodiff import array_plan, array_sweeps
from gradcli.autodiff.loading import load
from gradcli.autodiff.sweeps import Plan
from gradcli.core.evaluator import tape_values
from gradcli.core.indexing_rules import checked_shape
from gradcli.core.values import is_zero
from gradcli.support.errors import EvaluationError


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return np.shape(a) == np.shape(b) and np.array_equal(a, b)


@pytest.mark.parametrize("op, shapes, params", list(cases()))
def test_the_compiled_sweeps_give_the_generic_sweeps_doubles(op, shapes, params):
    vals_in = operand_values(op, shapes)
    tape, loss = build(op, shapes, params, checked_shape(op, params, shapes, vals_in))
    inputs = dict(enumerate(vals_in))
    generic = tape_values(tape, inputs)
    array_sweeps.array_values(tape, inputs)  # seen once: compiled at the next pass
    compiled = array_sweeps.array_values(tape, inputs)
    assert getattr(compiled, "plan", None) is not None, "the second pass ran compiled"
    assert all(_same(a, b) for a, b in zip(compiled, generic))
    expected = array_sweeps._adjoints(tape, generic, loss, None, None, None, False)
    got = array_plan.for_values(tape, compiled).adjoints(compiled, loss)
    assert got is not None and all(_same(a, b) for a, b in zip(got, expected))


@pytest.mark.parametrize("program, good, bad", [
    ("y = sum(log(x))", [1.0, 2.0], [1.0, -2.0]),  # a value that is not finite
    ("y = sum(exp(x)*0)", [1.0, 2.0], [1.0, 1000.0]),  # an infinity that vanishes (inf*0 is nan, exp(...) checked)
    ("y = sum(tanh(x*1e308*10))", [0.0, 0.0], [0.0, 1.0]),  # an overflow tanh would hide
])
def test_a_compiled_pass_that_fails_says_what_the_generic_one_says(program, good, bad):
    def run(point):
        problem = load(program, [f"x={point}"], require_values=False)
        return problem, Plan.of(problem)

    def message(problem, plan, point):
        inputs = problem.input_values()
        inputs[problem.tape.names["x"]] = np.array(point)
        with pytest.raises(EvaluationError) as caught:
            plan.values(inputs)
        return caught.value.message

    fresh = message(*run(bad), bad)
    problem, plan = run(good)
    for _ in range(3):  # compiled from the second pass on
        plan.values(problem.input_values())
    assert message(problem, plan, bad) == fresh


def test_inputs_of_another_rank_get_a_plan_of_their_own():
    problem = load("y = sum(x*x) + sum(sin(x[0]))", ["x=[1, 2]"], require_values=False)
    tape, plan = problem.tape, Plan.of(problem)
    x = tape.names["x"]
    for value in ([1.0, 2.0], [[1.0, 2.0], [3.0, 4.0]], [1.0, 2.0], [[0.5, 1.5], [2.5, 3.5]]):
        for _ in range(2):
            vals = plan.values({x: np.array(value)})
            adj = plan.reverse(vals, problem.output_index, checked=False)
        a = np.array(value)
        first = np.zeros_like(a)
        first[0] = np.cos(a[0])
        assert vals[problem.output_index] == pytest.approx(np.sum(a * a) + np.sum(np.sin(a[0])), rel=1e-15)
        np.testing.assert_allclose(adj[x], 2 * a + first, rtol=1e-15)
    assert len(tape._array_plans) == 2  # one per rank of x


def test_a_tape_differentiated_again_drops_its_compiled_plans():
    problem = load("y = sum(a*b)", ["a=[1, 2]", "b=[3, 4]"], require_values=False)
    tape, plan = problem.tape, Plan.of(problem)
    inputs = problem.input_values()
    for _ in range(2):
        vals = plan.values(inputs)
    tape.differentiate([tape.names["a"]])
    adj = plan.reverse(vals, problem.output_index, checked=False)
    np.testing.assert_array_equal(adj[tape.names["a"]], [3.0, 4.0])
    assert is_zero(adj[tape.names["b"]])  # no gradient is taken for b now


def test_many_minibatch_lengths_share_one_plan():
    problem = load("L = mean(tanh(X @ W)[:, 0])", [f"X={RNG.normal(size=(8, 3)).tolist()}", "W=[[1, 2], [3, 4], [5, 6]]"],
                   require_values=False)
    tape, plan = problem.tape, Plan.of(problem)
    inputs = problem.input_values()
    X = tape.names["X"]
    for n in (8, 5, 8, 1):
        inputs[X] = RNG.normal(size=(n, 3))
        plan.values(inputs)
    assert len(tape._array_plans) == 1
