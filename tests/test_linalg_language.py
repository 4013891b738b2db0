"""Linear algebra in the language: numpy's names and spellings, gradients against closed forms written
here in numpy, shape errors that name both shapes, and the views on a program of matrix functions."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import assert_error, run, run_json

RNG = np.random.default_rng(11)
A = RNG.uniform(-1, 1, (3, 3)) + 3 * np.eye(3)
STACK = RNG.uniform(-1, 1, (2, 3, 3)) + 3 * np.eye(3)
B = RNG.uniform(-1, 1, (3, 2))


def lit(a) -> str:
    return repr(np.asarray(a).tolist()).replace(" ", "")


def gradient(program: str, **values) -> tuple[float, dict]:
    out = run_json("eval", "--json", program, *(f"{k}={lit(v)}" for k, v in values.items()))
    return out["value"], {k: np.array(v) for k, v in out["gradient"].items()}


def _inv_T(a):
    return np.swapaxes(np.linalg.inv(a), -1, -2)


def _cofactors(a):
    """C[i, j] = (-1)^(i + j) times the determinant of a without row i and column j."""
    n = len(a)
    return np.array([[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(a, i, 0), j, 1)) for j in range(n)]
                     for i in range(n)])


SINGULAR = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])  # rank 2: det 0, cofactors not 0


@pytest.mark.parametrize("program, values, value, grads", [
    # d/dA sum(A @ B) for a stack against one matrix: ones @ B^T per matrix; B's summed over the stack
    ("f = sum(S @ B)", {"S": STACK, "B": B}, lambda S, B: (S @ B).sum(),
     {"S": lambda S, B: np.ones((2, 3, 2)) @ B.T, "B": lambda S, B: np.swapaxes(S, -1, -2).sum(0) @ np.ones((3, 2))}),
    ("f = log(abs(det(A)))", {"A": A}, lambda A: np.log(abs(np.linalg.det(A))), {"A": lambda A: _inv_T(A)}),
    ("f = det(A)", {"A": SINGULAR}, lambda A: 0.0, {"A": _cofactors}),  # no inverse in the gradient
    ("f = det(A)", {"A": A}, lambda A: np.linalg.det(A), {"A": _cofactors}),
    ("f = linalg.slogdet(A)[1]", {"A": A}, lambda A: np.linalg.slogdet(A)[1], {"A": lambda A: _inv_T(A)}),
    ("f = sum(linalg.inv(A))", {"A": A}, lambda A: np.linalg.inv(A).sum(),
     {"A": lambda A: -_inv_T(A) @ np.ones((3, 3)) @ _inv_T(A)}),
    ("f = sum(solve(A, B))", {"A": A, "B": B}, lambda A, B: np.linalg.solve(A, B).sum(),
     {"B": lambda A, B: np.linalg.solve(A.T, np.ones((3, 2))),
      "A": lambda A, B: -np.linalg.solve(A.T, np.ones((3, 2))) @ np.linalg.solve(A, B).T}),
    ("f = einsum('ii', A)", {"A": A}, lambda A: np.trace(A), {"A": lambda A: np.eye(3)}),
    ("f = sum(eigh(A @ transpose(A))[0])", {"A": A}, lambda A: np.trace(A @ A.T), {"A": lambda A: 2 * A}),
    ("f = sum(svd(A)[1]^2)", {"A": A}, lambda A: (A * A).sum(), {"A": lambda A: 2 * A}),  # Frobenius
    ("f = sum(tensordot(S, A))", {"S": STACK, "A": A}, lambda S, A: np.tensordot(S, A).sum(),
     {"S": lambda S, A: np.broadcast_to(A, (2, 3, 3)), "A": lambda S, A: S.sum(0)}),
    ("f = inner(a, b) + dot(a, b)", {"a": B[:, 0], "b": B[:, 1]}, lambda a, b: 2 * a @ b,
     {"a": lambda a, b: 2 * b, "b": lambda a, b: 2 * a}),
])
def test_gradients_match_closed_forms(program, values, value, grads):
    got, grad = gradient(program, **values)
    args = list(values.values())
    assert got == pytest.approx(value(*args), rel=1e-12)
    for name, closed in grads.items():
        np.testing.assert_allclose(grad[name], closed(*args), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("program, spelled", [
    ("f = sum(matmul(A, B))", "f = sum(A @ B)"),
    ("f = sum(linalg.matmul(A, B))", "f = sum(A @ B)"),
    ("f = sum(dot(A, B))", "f = sum(A @ B)"),
    ("f = sum(einsum('ij,jk', A, B))", "f = sum(A @ B)"),  # implicit: the letters written once, sorted
    ("f = sum(tensordot(A, B, axes=1))", "f = sum(A @ B)"),
    ("f = sum(tensordot(A, B, ((1,), (0,))))", "f = sum(A @ B)"),
    ("f = sum(inner(A, transpose(B)))", "f = sum(A @ B)"),
    ("f = linalg.det(A)", "f = det(A)"),
    ("f = sum(linalg.pinv(A))", "f = sum(inv(A))"),
    ("f = sum(linalg.cholesky(A @ transpose(A)))", "f = sum(cholesky(A @ transpose(A)))"),
])
def test_numpy_spellings_are_the_same_op(program, spelled):
    values = {"A": A, "B": B} if "B" in program else {"A": A}
    (v1, g1), (v2, g2) = gradient(program, **values), gradient(spelled, **values)
    assert v1 == pytest.approx(v2, rel=1e-12)
    for name in g1:
        np.testing.assert_allclose(g1[name], g2[name], rtol=1e-10, atol=1e-12)


D = "A = [[1,2,3],[4,5,6]]; C = [[1,2],[3,4]]; S = [[[1,2],[3,4]]]; T = [[[1,2,3],[3,4,5]]]; "


@pytest.mark.parametrize("program, words", [
    ("f = sum(T @ S)", "(1, 2, 3) @ (1, 2, 2): the inner sizes differ (3 and 2)"),
    ("f = sum([C, C] @ [C, C, C])", "(2, 2, 2) @ (3, 2, 2): the stacks (2,) and (3,) do not broadcast"),
    ("f = sum(dot(S, A))", "dot takes vectors and matrices, not (1, 2, 2) and (2, 3)"),
    ("f = sum(einsum('ij,jk->ik', A, A))", "'j' is 3 in operand 0 (2, 3) and 2 in operand 1 (2, 3)"),
    ("f = sum(einsum('ij,jk->ik', A))", "names 2 operands, got 1"),
    ("f = sum(einsum('ij...->i', A))", "no ellipsis"),
    ("f = sum(einsum('ij->k', A))", "the result's 'k' is in no operand"),
    ("f = sum(einsum('ij->ii', A))", "the result names 'i' twice"),
    ("f = sum(einsum('ijk->i', A))", "operand 0 has shape (2, 3), 2 axes, but 'ijk' names 3"),
    ("f = sum(tensordot(A, C, axes=1))", "tensordot of (2, 3) and (2, 2): axis 1 of a (3) and axis 0 of b (2)"),
    ("f = sum(inner(A, C))", "inner of (2, 3) and (2, 2): the last axes differ"),
    ("f = sum(inv(A))", "inv takes a square matrix (or a stack of them, shape (..., n, n)), not (2, 3)"),
    ("f = sum(solve(C, A[0]))", "solve(a, b) of (2, 2) and (3,)"),
    ("f = sum(solve(S, [1, 2]))", "solve(a, b) of (1, 2, 2) and (2,): a vector b goes with one matrix a"),
    ("f = sum(svd(A)[1])", "svd of (2, 3): write svd(A, full_matrices=False)"),
    ("f = sum(kron(A, 2))", "kron takes arrays, not a scalar ((2, 3) and ())"),
    # a call of several arrays is picked by a fixed index
    ("f = sum(eigh(C))", "eigh returns 2 arrays, as numpy's does: pick one by its index"),
    ("f = sum(svd(C)[3])", "svd(...) returns 3 arrays; pick one by a whole number from 0 to 2"),
    ("f = sum(slogdet(C)[0, 1])", "slogdet(...) returns 2 arrays"),
])
def test_shape_errors_name_the_shapes(program, words):
    assert_error(["eval", D + program], 2, words)


def test_einsum_takes_its_subscripts_first_as_numpy_does():
    assert_error(["eval", D + "f = sum(einsum(A, A))"], 2, "the subscripts of einsum(...) is fixed in the program")
    out = run("explain", "--steps", "A = [[1, 2], [3, 4]]; f = einsum('ij,ij', A, A)")
    assert "f = einsum('ij,ij', A, A)" in out.out and "dA += df * A" in out.out


def test_a_matrix_function_is_explained_at_the_tensor_level():
    """--element explains ops element by element; inv's elements each read the whole matrix."""
    assert_error(["explain", "--paths", "--element", "C[0,1]", "f = sum(inv(C))", "C=[[2,1],[1,3]]"], 2,
                 "inv is explained at the tensor level", "explain --steps")
    steps = run_json("explain", "--steps", "--json", "f = sum(inv(C))", "C=[[2,1],[1,3]]")
    assert "-transpose(v1) @ dv1 @ transpose(v1)" in str(steps)


def test_batched_matmul_element_paths_agree_with_the_gradient():
    """A stack's element: out[1, 0, 1] reads row 0 of matrix 1 and column 1 of the weight."""
    program = "y = S @ W; f = y[1, 0, 1]"
    s, w = STACK[:, :2, :], B
    out = run_json("explain", "--paths", "--element", "S[1,0,2]", "--json", program, f"S={lit(s)}", f"W={lit(w)}")
    path = out["inputs"]["S[1,0,2]"]
    assert path["gradient"] == pytest.approx(w[2, 1], rel=1e-12)
    assert path["paths"][0]["formulas"] == ["W[2,1]", "1"]


def test_picked_arrays_index_further_and_render_as_written():
    out = run_json("eval", "--json", "--all", "f = svd(C)[1][0]", "C=[[3, 0], [0, 2]]")
    assert out["value"] == pytest.approx(3.0, rel=1e-14)
    np.testing.assert_allclose(out["gradient"]["C"], [[1, 0], [0, 0]], atol=1e-14)  # d s_max = u v^T
    steps = run("explain", "--steps", "f = svd(C)[1][0]", "C=[[3, 0], [0, 2]]")
    assert "svd(C)[1]" in steps.out


def test_eigenvectors_at_tied_eigenvalues_have_no_derivative():
    """The eigenvectors of a tied pair are not unique: the gradient stops at the op (exit 1); the
    eigenvalues' own gradient stays finite, exact for their sum of squares (2A), and check says kink."""
    tied = "A=[[1,0,0],[0,1,0],[0,0,2]]"
    assert_error(["eval", "f = sum(eigh(A)[1])", tied], 1, "is infinite or undefined")
    value, grad = gradient("f = sum(eigh(A)[0]^2)", A=np.diag([1.0, 1.0, 2.0]))
    np.testing.assert_allclose(grad["A"], 2 * np.diag([1.0, 1.0, 2.0]), atol=1e-12)
    assert "sits at a kink" in run("check", "f = sum(eigh(A)[0]^2)", tied).out
