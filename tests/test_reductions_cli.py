"""Reductions from the command line, against numpy written here and closed forms: numpy's spellings,
axis as an int or a tuple, keepdims, prod with zeros, var/std with ddof, the norms, cumulative ops,
diff, argmax for accuracy, log_softmax; the errors name the shapes and axes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import assert_error, run_json

S = [[1.0, -2.0, 0.5], [0.3, 1.5, -0.7]]
T = np.arange(1.0, 13.0).reshape(2, 3, 2) / 7.0 - 0.8


def gradient(program: str, **values) -> tuple[float, dict]:
    bindings = [f"{name}={json.dumps(np.asarray(v).tolist())}" for name, v in values.items()]
    result = run_json("eval", program, *bindings, "--json")
    forward = run_json("eval", program, *bindings, "--json", "--mode", "forward")
    for name in result["gradient"]:
        np.testing.assert_allclose(forward["gradient"][name], result["gradient"][name], rtol=1e-12, atol=1e-14)
    return result["value"], {name: np.asarray(g) for name, g in result["gradient"].items()}


def numeric_gradient(f, x, h=1e-6):
    x = np.asarray(x, dtype=float)
    out = np.zeros_like(x)
    for index in np.ndindex(*x.shape):
        up, down = x.copy(), x.copy()
        up[index] += h
        down[index] -= h
        out[index] = (f(up) - f(down)) / (2 * h)
    return out


R = np.array([[0.3, -1.1], [0.7, 0.2], [-0.4, 0.9]])  # weights, so that no gradient is trivially uniform


@pytest.mark.parametrize("program, f", [
    ("y = sum(sum(T, axis=(0, 2)) * [1, -2, 3])", lambda T: np.sum(T.sum(axis=(0, 2)) * [1, -2, 3])),
    ("y = sum(mean(T, (2, 0), keepdims=True) * T)", lambda T: np.sum(T.mean(axis=(2, 0), keepdims=True) * T)),
    ("y = sum(amax(T, axis=(1, 2)) * [2, -1])", lambda T: np.sum(T.max(axis=(1, 2)) * [2, -1])),
    ("y = sum(max(T, axis=-1, keepdims=True) * T) + sum(amin(T, 1)^2)",
     lambda T: np.sum(T.max(axis=-1, keepdims=True) * T) + np.sum(T.min(axis=1) ** 2)),
    ("y = sum(prod(T, axis=(0, 1)) * [1, 3])", lambda T: np.sum(T.prod(axis=(0, 1)) * [1, 3])),
    ("y = sum(var(T, axis=(0, 2), ddof=1)^2) + std(T, ddof=2)",
     lambda T: np.sum(T.var(axis=(0, 2), ddof=1) ** 2) + T.std(ddof=2)),
    ("y = sum(std(T, 1, keepdims=True) * T)", lambda T: np.sum(T.std(axis=1, keepdims=True) * T)),
    ("y = sum(logsumexp(T, (0, 1)) * [1, -1])",
     lambda T: np.sum(np.log(np.exp(T).sum(axis=(0, 1))) * [1, -1])),
    ("y = sum(softmax(T, axis=(1, 2)) * T) + sum(log_softmax(T, 1) * T)",
     lambda T: np.sum(np.exp(T) / np.exp(T).sum(axis=(1, 2), keepdims=True) * T)
     + np.sum((T - np.log(np.exp(T).sum(axis=1, keepdims=True))) * T)),
    ("y = sum(cumsum(T, 1) * T) + sum(cumprod(T, axis=2)^2)",
     lambda T: np.sum(np.cumsum(T, 1) * T) + np.sum(np.cumprod(T, 2) ** 2)),
    ("y = sum(diff(T)^2) + sum(diff(T, 2, axis=1, prepend=1, append=-1) * T[:, :3, :])",
     lambda T: np.sum(np.diff(T) ** 2) + np.sum(np.diff(T, 2, axis=1, prepend=1, append=-1) * T[:, :3, :])),
    ("y = sum(norm(T, axis=1)) + norm(T, 1, axis=0, keepdims=True)[0, 1, 1] + linalg.norm(T, inf, 2)[1, 0]"
     " + sum(norm(T, axis=(0, 2))) + norm(T[0], 'fro') + norm(T, 3, 1)[0, 0] + norm(T, -inf, 1)[1, 1]",
     lambda T: np.sum(np.linalg.norm(T, axis=1)) + np.linalg.norm(T, 1, axis=0, keepdims=True)[0, 1, 1]
     + np.linalg.norm(T, np.inf, 2)[1, 0] + np.sum(np.linalg.norm(T, axis=(0, 2))) + np.linalg.norm(T[0], "fro")
     + np.linalg.norm(T, 3, 1)[0, 0] + np.linalg.norm(T, -np.inf, 1)[1, 1]),
])
def test_reductions_match_numpy_and_central_differences(program, f):
    value, grad = gradient(program, T=T)
    assert value == pytest.approx(f(T), rel=1e-12)
    np.testing.assert_allclose(grad["T"], numeric_gradient(f, T), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("x, expected", [
    ([2.0, 3.0, 4.0], [12.0, 8.0, 6.0]),  # no zero: prod / x
    ([2.0, 0.0, 4.0], [0.0, 8.0, 0.0]),  # one zero: the product of the others there, 0 elsewhere
    ([0.0, 3.0, 0.0], [0.0, 0.0, 0.0]),  # two zeros: every partial has a zero factor
    ([0.0], [1.0]),
])
def test_prod_is_exact_with_zeros(x, expected):
    value, grad = gradient("y = prod(x)", x=x)
    assert value == float(np.prod(x))
    assert grad["x"].tolist() == expected


def test_cumprod_with_zeros_is_the_product_of_the_other_factors():
    """out[j] = x[0]...x[j]; d(sum(w * out))/dx[i] = sum over j >= i of w[j] * prod of x[:j+1] but x[i]."""
    x, w = np.array([2.0, 0.0, 3.0, 0.0, 5.0]), np.array([1.0, -1.0, 2.0, 0.5, 3.0])
    expected = [sum(w[j] * np.prod(np.delete(x[:j + 1], i)) for j in range(i, len(x))) for i in range(len(x))]
    _, grad = gradient("y = sum(w * cumprod(x))", x=x, w=w)
    np.testing.assert_allclose(grad["x"], expected, rtol=1e-15)


def test_var_and_std_closed_forms():
    """var = sum((x - m)^2)/(N - ddof), d var/dx = 2(x - m)/(N - ddof); d std/dx = (x - m)/((N - ddof) std)."""
    x = np.array([1.0, 2.0, 4.0, 7.0])
    m = x.mean()
    value, grad = gradient("y = var(x, ddof=1)", x=x)
    assert value == pytest.approx(np.sum((x - m) ** 2) / 3, rel=1e-15)
    np.testing.assert_allclose(grad["x"], 2 * (x - m) / 3, rtol=1e-14)
    value, grad = gradient("y = std(x, ddof=1)", x=x)
    np.testing.assert_allclose(grad["x"], (x - m) / (3 * value), rtol=1e-14)


def test_std_at_zero_spread_has_no_derivative():
    """std = sqrt(var) at var = 0 is sqrt at 0: 0/0, a derivative error, as for sqrt(0) and norm(0)."""
    assert_error(["eval", "y = std(x)", "x=[2, 2, 2]"], 1, "derivative of std([2, 2, 2])", "undefined")
    value, grad = gradient("y = sqrt(var(x) + 1e-5)", x=[2, 2, 2])  # what batch norm writes
    assert value == pytest.approx(np.sqrt(1e-5)) and grad["x"].tolist() == [0.0, 0.0, 0.0]


def test_norm_at_kinks_follows_abs_and_splits_ties():
    """norm(x, 1): abs'(0) = 0; norm(x, inf) at a tie of |x|: split equally, with each element's sign."""
    _, grad = gradient("y = norm(x, 1)", x=[0.0, -2.0, 3.0])
    assert grad["x"].tolist() == [0.0, -1.0, 1.0]
    _, grad = gradient("y = norm(x, inf)", x=[-3.0, 1.0, 3.0])
    assert grad["x"].tolist() == [-0.5, 0.0, 0.5]
    result = run_json("check", "y = norm(x, inf)", "x=[-3, 1, 3]", "--json")
    assert result["inputs"]["x[0]"]["status"] == "kink" and result["inputs"]["x[1]"]["status"] == "pass"


def test_accuracy_from_argmax_carries_no_gradient():
    S_, y = np.array([[0.1, 2.0, -1.0], [3.0, 0.5, 0.2], [0.0, 0.1, 0.4]]), [1, 2, 2]
    value, grad = gradient("acc = mean(argmax(S, axis=1) == y)", S=S_, y=y)
    assert value == pytest.approx(np.mean(np.argmax(S_, axis=1) == y))
    assert grad["S"].tolist() == np.zeros((3, 3)).tolist()
    value, _ = gradient("k = sum(argmin(S, 0, keepdims=True) * [[1, 10, 100]])", S=S_)
    assert value == float(np.sum(np.argmin(S_, 0, keepdims=True) * [1, 10, 100]))


def test_log_softmax_is_stable_and_its_gradient_closed_form():
    """log_softmax(x) = x - logsumexp(x) with x of 1000s: no overflow; d sum(w * out)/dx = w - softmax(x) sum(w)."""
    x, w = np.array([1000.0, 1001.0, 999.0]), np.array([1.0, -2.0, 0.5])
    value, grad = gradient("y = sum(w * log_softmax(x))", x=x, w=w)
    shifted = x - x.max()
    p = np.exp(shifted) / np.exp(shifted).sum()
    assert value == pytest.approx(np.sum(w * (shifted - np.log(np.exp(shifted).sum()))), rel=1e-14)
    np.testing.assert_allclose(grad["x"], w - p * w.sum(), rtol=1e-13)


@pytest.mark.parametrize("program, binding, words", [
    ("y = sum(S, axis=2)", "S=[[1, 2]]", "sum(S, axis=2): axis 2 does not exist for shape (1, 2)"),
    ("y = sum(S, (0, -2))", "S=[[1, 2]]", "names axis 0 twice (shape (1, 2))"),
    ("y = sum(var(S, 1, ddof=2))", "S=[[1, 2]]", "var over 2 elements (axis=1 of shape (1, 2)) with ddof=2"),
    ("y = sum(cumsum(S))", "S=[[1, 2]]", "cumsum of shape (1, 2) needs its axis"),
    ("y = sum(cumsum(S, (0, 1)))", "S=[[1, 2]]", "cumsum takes one axis, not axis=(0, 1)"),
    ("y = norm(S, 2)", "S=[[1, 2]]", "norm of a matrix with ord=2 is not in gradcli"),
    ("y = norm(x, 0.5)", "x=[1, 2]", "a vector norm's ord is 1, 2, inf, -inf or a number above 1, not 0.5"),
    ("y = sum(diff(x, 3))", "x=[1, 2, 3]", "diff with n=3 along axis 0 of shape (3,) leaves no element"),
    ("y = argmax(S, (0, 1))", "S=[[1, 2]]", "argmax takes one axis or none"),
    ("y = sum(S, keepdims=1)", "S=[[1, 2]]", "keepdims is True or False, not 1"),
])
def test_errors_name_the_shapes_and_axes(program, binding, words):
    assert_error(["eval", program, binding], 2, words)


def test_views_write_the_rules_with_tuple_axes_and_keepdims():
    result = run_json("explain", "--steps", "y = sum(max(T, axis=(0, 2)) * [1, 2, 3])",
                      f"T={json.dumps(T.tolist())}", "--json")
    text = json.dumps(result)
    assert "expand_dims(expand_dims(" in text and "keepdims=True" in text


@pytest.mark.parametrize("program, binding, kinks, passing", [
    # argmax jumps at a tie: the central difference is no derivative there
    ("y = sum(argmax(S, 1) * [1, 2]) + sum(S)", "S=[[1, 1], [0, 2]]", ["S[0,0]", "S[0,1]"], ["S[1,0]", "S[1,1]"]),
    ("y = norm(x, 1) + diff(x)[0]", "x=[0, 2]", ["x[0]"], ["x[1]"]),  # abs at 0
    ("y = prod(x) + sum(cumprod(x))", "x=[2, 0, 0, 3]", [], ["x[0]", "x[1]", "x[2]", "x[3]"]),  # smooth at zeros
])
def test_check_flags_the_kinks_of_reductions(program, binding, kinks, passing):
    inputs = run_json("check", program, binding, "--json")["inputs"]
    assert [k for k in inputs if inputs[k]["status"] == "kink"] == kinks
    assert all(inputs[k]["status"] == "pass" for k in passing)
