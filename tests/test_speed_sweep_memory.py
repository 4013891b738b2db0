"""The array reverse sweep frees intermediate values and adjoints as it passes their last use,
keeps what was asked for, and sums in place without touching an input or a shared gradient."""

import weakref

import numpy as np
import pytest

from conftest import run_json
from gradcli.autodiff import array_sweeps
from gradcli.autodiff.gradient import evaluate
from gradcli.autodiff.loading import load

CHAIN = "\n".join(["y1 = tanh(x)", *(f"y{k} = tanh(y{k - 1}) * 1.5" for k in range(2, 11)), "f = sum(y10)"])


def _chain_sweep(monkeypatch, keep_results: bool):
    """Run the reverse sweep of CHAIN, counting the live intermediate arrays at every edge."""
    problem = load(CHAIN, ["x=[0.1, -0.4, 2.0, 0.7]"])
    tape = problem.tape
    vals = array_sweeps.array_values(tape, problem.input_values())
    inputs = set(tape.inputs)
    refs = [weakref.ref(v) for i, v in enumerate(vals) if isinstance(v, np.ndarray) and i not in inputs
            and i != problem.output_index]
    live = []
    real_vjp = array_sweeps.edge_vjp

    def counting_vjp(node, j, g, values):
        live.append(sum(r() is not None for r in refs))
        return real_vjp(node, j, g, values)

    monkeypatch.setattr(array_sweeps, "edge_vjp", counting_vjp)
    keep = [*tape.inputs, problem.output_index] if keep_results else None
    adj = array_sweeps.array_adjoints(tape, vals, problem.output_index, keep=keep)
    return problem, vals, adj, refs, live


def test_intermediates_are_freed_during_the_sweep(monkeypatch):
    problem, vals, adj, refs, live = _chain_sweep(monkeypatch, keep_results=True)
    assert len(refs) >= 19  # every tanh and every product is an array
    assert live[0] == len(refs) and max(live[len(live) // 2:]) <= len(refs) // 2 + 2
    assert min(live) <= 2
    assert all(r() is None for r in refs)  # nothing but the results is left after it
    x = problem.tape.inputs[0]
    assert isinstance(vals[x], np.ndarray) and isinstance(adj[x], np.ndarray)
    assert vals[problem.output_index] is not None
    assert [i for i, a in enumerate(adj) if a is not None] == [x, problem.output_index]


def test_everything_is_kept_without_keep(monkeypatch):
    _, vals, adj, refs, live = _chain_sweep(monkeypatch, keep_results=False)
    assert min(live) == len(refs) and all(r() is not None for r in refs)


def _by_hand(x):
    a = 2 * x
    return (2 * a + 1) * 2 + (1 - np.tanh(a) ** 2) * 2 + 1


@pytest.mark.parametrize("intermediates", [True, False])
def test_in_place_sums_leave_inputs_and_results_right(intermediates):
    x = np.array([0.3, -1.2, 0.05, 2.5])
    problem = load("a = x + x\nb = a * a + a\nf = sum(b + tanh(a) + x + a)", [f"x={x.tolist()}"])
    given = problem.input_values()
    before = {k: np.array(v, copy=True) for k, v in given.items()}
    problem.intermediates = intermediates
    result = evaluate(problem)
    assert np.allclose(result.gradient["x"], _by_hand(x) + 2, rtol=1e-13)
    for k, v in given.items():
        assert np.array_equal(v, before[k])  # an input is never summed into


@pytest.mark.parametrize("options", [[], ["--all"], ["--mode", "paths"], ["--mode", "forward"]])
def test_eval_gradient_whatever_is_kept(options):
    args = ["f = sum(tanh(W) * W @ x)", "W=[[0.5, -1.0], [2.0, 0.25]]", "x=[1.5, -0.5]"]
    r = run_json("eval", "--json", *options, *args)
    W, x = np.array([[0.5, -1.0], [2.0, 0.25]]), np.array([1.5, -0.5])
    t = np.tanh(W)
    gv = np.outer(np.ones(2), x)
    gW = gv * t + gv * W * (1 - t * t)
    assert np.allclose(r["gradient"]["W"], gW, rtol=1e-13)
    assert np.allclose(r["gradient"]["x"], (t * W).T @ np.ones(2), rtol=1e-13)


@pytest.mark.parametrize("bad, expected", [(None, True), (np.nan, False), (np.inf, False), (-np.inf, False)])
def test_all_finite_by_sum_of_a_large_array(bad, expected):
    from gradcli.core.values import all_finite

    a = np.full((80, 80), 1e308)  # its sum overflows: the elements are still all finite
    a[::2] *= -1 if bad is None else 1
    if bad is not None:
        a[17, 3] = bad
    assert all_finite(a) is expected
    assert all_finite(np.full((80, 80), 1e308)) is True
