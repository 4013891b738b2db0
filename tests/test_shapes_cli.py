"""The shape ops from the command line, with numbers: each program's value and gradient against the
same computation written in numpy in the test (the gradient by hand: the inverse of the shape op)."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import run, run_json

A = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.5]])
B = np.array([[2.0, 1.0, -1.0], [3.0, 0.0, 1.0], [-2.0, 0.5, 1.0]])
ONES = np.ones_like(A)


def _scatter(shape, index, value):
    out = np.zeros(shape)
    np.add.at(out, index, value)
    return out


# (program over A, numpy value, numpy gradient dF/dA)
CASES = [
    ("f = sum(reshape(A, (3, 2)) * [[1, 2], [3, 4], [5, 6]])",
     np.sum(A.reshape(3, 2) * np.arange(1, 7).reshape(3, 2)), np.arange(1.0, 7).reshape(2, 3)),
    ("f = sum(ravel(A)^2) + flatten(A)[4]", np.sum(A ** 2) + A.ravel()[4], 2 * A + _scatter(A.shape, (1, 1), 1)),
    ("f = sum(transpose(expand_dims(A, 0), (2, 0, 1)) * [[[1, 2]], [[3, 4]], [[5, 6]]])",
     np.sum(np.transpose(A[None], (2, 0, 1)) * np.arange(1, 7).reshape(3, 1, 2)),
     np.arange(1.0, 7).reshape(3, 2).T),
    ("f = swapaxes(A, 0, 1)[2, 0] + moveaxis(A, 0, -1)[0, 1]", A[0, 2] + A[1, 0],
     _scatter(A.shape, (0, 2), 1) + _scatter(A.shape, (1, 0), 1)),
    ("f = sum(concatenate([A, 2*A], axis=1)^2)", 5 * np.sum(A ** 2), 10 * A),
    ("f = sum(stack([A, A^2], axis=1)[:, 1])", np.sum(A ** 2), 2 * A),
    ("f = sum(tile(A, (2, 2)) * A[0, 0])", 4 * np.sum(A) * A[0, 0], 4 * A[0, 0] * ONES + _scatter(A.shape, (0, 0), 4 * A.sum())),
    ("f = sum(repeat(A, (1, 0, 2), axis=1)^2)", np.sum(np.repeat(A, (1, 0, 2), axis=1) ** 2),
     2 * A * np.array([1, 0, 2])),
    ("f = sum(pad(A, ((1, 0), (0, 2)))^2)", np.sum(A ** 2), 2 * A),
    ("f = sum(flip(A, 1) * [1, 2, 3]) + roll(A, 1, axis=1)[0, 0]",
     np.sum(A[:, ::-1] * [1, 2, 3]) + A[0, 2], np.tile([3.0, 2, 1], (2, 1)) + _scatter(A.shape, (0, 2), 1)),
    ("f = sum(squeeze(reshape(A, (1, 6)))^3)", np.sum(A ** 3), 3 * A ** 2),
    ("f = sum(split(A, 3, axis=1)[1] * 5)", 5 * np.sum(A[:, 1]), np.tile([0.0, 5, 0], (2, 1))),
]
CASES_B = [
    ("f = sum(tril(B)^2) + sum(triu(B, 1))", np.sum(np.tril(B) ** 2) + np.sum(np.triu(B, 1)),
     2 * np.tril(B) + np.triu(np.ones((3, 3)), 1)),
    ("f = trace(B @ B)", np.trace(B @ B), 2 * B.T),
    ("f = sum(diag(diag(B)) @ B)", np.sum(np.diag(np.diag(B)) @ B),
     np.diag(B)[:, None] * np.ones((3, 3)) + np.diag(B.sum(axis=1))),
    ("f = sum(diagonal(B, 1)^2) + trace(B, -1)", np.sum(np.diagonal(B, 1) ** 2) + np.trace(B, -1),
     2 * np.triu(B, 1) * np.eye(3, k=1) + np.eye(3, k=-1)),
]


@pytest.mark.parametrize("text, value, grad", CASES)
def test_shape_ops_on_a_matrix(text, value, grad):
    out = run_json("eval", text, f"A={A.tolist()}", "--json")
    assert out["value"] == pytest.approx(value, rel=1e-13)
    np.testing.assert_allclose(out["gradient"]["A"], grad, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("text, value, grad", CASES_B)
def test_diagonal_ops_on_a_square_matrix(text, value, grad):
    for mode in ("reverse", "forward"):
        out = run_json("eval", text.replace("A", "B"), f"B={B.tolist()}", "--json", "--mode", mode)
        assert out["value"] == pytest.approx(value, rel=1e-13)
        np.testing.assert_allclose(out["gradient"]["B"], grad, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("command", [["check"], ["jacobian"], ["explain", "--steps"], ["graph"],
                                     ["explain", "--paths", "--element", "A[0, 1]"]])
def test_every_view_takes_the_shape_ops(command):
    text = "y = ravel(concatenate([split(A, 3, axis=1)[0], pad(A, ((0, 0), (1, 0)))], 1)); f = sum(y^2)"
    result = run(*command, text, f"A={A.tolist()}")
    assert result.code == 0, result.err
    if command[-1] in ("--steps", "graph"):
        assert "concatenate([" in result.out
