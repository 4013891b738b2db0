"""hessian on array programs: the full matrix by element, H v with --vector, and the summary.

References: the blocks of ||W x||^2 known in closed form (d2f/dx2 = 2 W^T W, d2f/dW_ij dW_kl =
2 [i = k] x_j x_l) and the whole matrix by central differences of the sweep's gradient; random
array programs against central differences of the gradient; H v against the matrix times v.
"""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from conftest import assert_error, run, run_json
from test_rules_tensor import VALUES, random_program

from gradcli.analyses.hessian_arrays import array_hessian, hessian_vector
from gradcli.autodiff.gradient import evaluate
from gradcli.autodiff.loading import load
from gradcli.core.lower import lower_text

W = np.array([[0.1, 0.5], [-0.3, 0.8]])
X = np.array([0.2, 0.4])


def gradient_differences(problem) -> np.ndarray:
    """The Hessian by central differences of the reverse sweep's gradient, element by element."""
    names = problem.wrt
    flat = np.concatenate([np.ravel(problem.values[n]) for n in names]).astype(float)
    sizes = [int(np.size(problem.values[n])) for n in names]
    shapes = [np.shape(problem.values[n]) for n in names]

    def grad_at(point):
        values, start = dict(problem.values), 0
        for name, size, s in zip(names, sizes, shapes):
            values[name] = point[start:start + size].reshape(s) if s else float(point[start])
            start += size
        problem.values.update(values)
        g = evaluate(problem).gradient
        return np.concatenate([np.ravel(g[n]) for n in names])

    original = dict(problem.values)
    columns = []
    for k in range(flat.size):
        h = 1e-5 * max(1.0, abs(flat[k]))
        up, down = flat.copy(), flat.copy()
        up[k] += h
        down[k] -= h
        columns.append((grad_at(up) - grad_at(down)) / (2 * h))
    problem.values.update(original)
    return np.array(columns).T


def test_norm_wx_has_the_closed_form_blocks():
    result = array_hessian(load(open("samples/norm_wx.grad").read()))
    H = np.array(result.matrix)
    assert result.labels == ["W[0,0]", "W[0,1]", "W[1,0]", "W[1,1]", "x[0]", "x[1]"]
    np.testing.assert_allclose(H[4:, 4:], 2 * W.T @ W, rtol=1e-14)  # d2f/dx2 = 2 W^T W
    np.testing.assert_allclose(H[:4, :4], 2 * np.kron(np.eye(2), np.outer(X, X)), rtol=1e-14)
    np.testing.assert_allclose(H, gradient_differences(load(open("samples/norm_wx.grad").read())), atol=1e-8)
    assert result.asymmetry == 0.0
    eig = np.linalg.eigvalsh(H)
    assert result.summary == {"eigenvalue_min": pytest.approx(eig[0], rel=1e-12),
                              "eigenvalue_max": pytest.approx(eig[-1], rel=1e-12), "definiteness": "indefinite"}


@pytest.mark.parametrize("seed", range(12))
def test_random_array_programs_against_differences_of_the_gradient(seed):
    text = random_program(random.Random(seed))
    problem = load(text, [v for v in VALUES if v.split("=")[0] in lower_text(text).input_names()])
    H = np.array(array_hessian(problem).matrix)
    np.testing.assert_allclose(H, gradient_differences(problem), rtol=1e-5, atol=1e-6, err_msg=text)


@pytest.mark.parametrize("seed", range(6))
def test_a_hessian_vector_product_is_the_matrix_times_v(seed):
    text = random_program(random.Random(seed))
    problem = load(text, [v for v in VALUES if v.split("=")[0] in lower_text(text).input_names()])
    H = np.array(array_hessian(problem).matrix)
    rng = np.random.default_rng(seed)
    v = {name: rng.uniform(-1, 1, np.shape(problem.values[name])) for name in problem.wrt}
    flat_v = np.concatenate([np.ravel(v[n]) for n in problem.wrt])
    got = hessian_vector(problem, v).product
    np.testing.assert_allclose(np.concatenate([np.ravel(got[n]) for n in problem.wrt]), H @ flat_v,
                               rtol=1e-12, atol=1e-13, err_msg=text)


def test_the_command_line_and_json():
    data = run_json("hessian", "-f", "samples/norm_wx.grad", "--json")
    assert data["inputs"] == ["W", "x"] and data["labels"][4] == "x[0]"
    np.testing.assert_allclose(np.array(data["hessian"])[4:, 4:], 2 * W.T @ W, rtol=1e-14)
    assert data["summary"]["definiteness"] == "indefinite"
    hv = run_json("hessian", "-f", "samples/norm_wx.grad", "--vector", "x=[1, 0]", "--json")
    np.testing.assert_allclose(hv["hessian_vector_product"]["x"], (2 * W.T @ W)[:, 0], rtol=1e-14)
    shown = run("hessian", "-f", "samples/norm_wx.grad").out
    assert "∂f/∂W[0,1]" in shown and "indefinite" in shown


def test_a_scalar_programs_vector_product_is_its_matrix_times_v():
    program = ["y = log(x1) + x1*x2 - sin(x2)", "x1=2", "x2=5"]
    H = np.array(run_json("hessian", *program, "--json")["hessian"])
    hv = run_json("hessian", *program, "--vector", "x1=1", "--vector", "x2=-2", "--json")
    np.testing.assert_allclose([hv["hessian_vector_product"][n] for n in ("x1", "x2")], H @ [1, -2], rtol=1e-14)


@pytest.mark.parametrize("args, words", [
    (["--vector", "z=[1, 0]"], "z is not an input the Hessian is taken over"),
    (["--vector", "x=[1, 0, 0]"], "it has shape (3,), x has (2,)"),
    (["--closed-form"], "--closed-form is written for scalar programs"),
    (["--vector", "x=[1, 0]", "--closed-form"], "give one of them"),
])
def test_errors(args, words):
    assert_error(["hessian", "-f", "samples/norm_wx.grad", *args], 2, words)


def test_a_large_input_asks_for_a_vector_product():
    big = json.dumps(np.ones(4000).tolist())
    assert_error(["hessian", "f = sum(x*x)", f"x={big}"], 2, "--vector NAME=VALUE")
    hv = run_json("hessian", "f = sum(x*x)", f"x={big}", "--vector", f"x={big}", "--json")
    assert hv["hessian_vector_product"]["x"] == [2.0] * 4000  # d2/dx2 sum(x^2) = 2 I


def test_an_array_output_has_no_hessian():
    """A fuzzer finding: --of an array is the usage error every command gives, not a crash."""
    assert_error(["hessian", "--of", "x", "f = sum(take(x, [0, 0, 0]))", "x=[-1.505, 2.0]"], 2,
                 "the output x is an array of shape (2,)")
