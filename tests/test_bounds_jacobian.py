"""The Jacobian's memory follows what is shown: diagonal blocks are computed and shown as diagonals,
and a dense Jacobian above --max-elements is refused before any pass."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import assert_error, run, run_json
from gradcli.analyses.jacobian import DENSE, DIAGONAL, ZERO, block_structure
from gradcli.autodiff import array_sweeps
from gradcli.autodiff.loading import load

N = 300  # 300 outputs x 600 input elements: 180,000 dense entries, above DENSE_SHOWN


@pytest.fixture
def vectors(tmp_path):
    x = np.linspace(-2.0, 2.0, N)
    z = np.cos(np.arange(N))
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "z.npy", z)
    return x, z, [f"x=@{tmp_path / 'x.npy'}", f"z=@{tmp_path / 'z.npy'}"]


def test_an_elementwise_program_gives_its_diagonals(vectors):
    x, z, bindings = vectors
    data = run_json("jacobian", "--json", "q = sin(x) * z + x", *bindings)
    assert data["structure"] == "diagonal" and "jacobian" not in data
    assert data["passes"] == 1 and data["inputs"] == ["x", "z"]  # one reverse pass, from q
    assert data["outputs"][:2] == ["q[0]", "q[1]"] and len(data["outputs"]) == N
    diagonal = np.array(data["diagonal"])
    assert diagonal.shape == (N, 2)
    np.testing.assert_allclose(diagonal[:, 0], np.cos(x) * z + 1, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(diagonal[:, 1], np.sin(x), rtol=1e-14, atol=1e-15)
    # the same numbers as central differences, element by element, at a few places
    for i in (0, 17, N - 1):
        h = 1e-6
        f = lambda t: np.sin(t) * z[i] + t  # noqa: E731
        assert diagonal[i, 0] == pytest.approx((f(x[i] + h) - f(x[i] - h)) / (2 * h), abs=1e-8)


def test_the_diagonal_table_says_so(vectors):
    _, _, bindings = vectors
    result = run("jacobian", "q = exp(x)", bindings[0])
    assert result.code == 0, result.err
    words = " ".join(result.out.split())
    assert words.startswith("diagonal Jacobian (reverse mode, 1 pass)")
    assert "d·/dx[i]" in words and "every other entry of the Jacobian is 0" in words


@pytest.mark.parametrize("program, expected", [
    ("q = sin(x) * z", {("q", "x"): DIAGONAL, ("q", "z"): DIAGONAL}),
    ("q = sin(x) + sum(z)", {("q", "x"): DIAGONAL, ("q", "z"): DENSE}),
    ("q = x * b", {("q", "x"): DIAGONAL, ("q", "b"): DENSE}),
    ("q = softmax(x) + z", {("q", "x"): DENSE, ("q", "z"): DIAGONAL}),
    ("q = 2 * x; r = z", {("q", "x"): DIAGONAL, ("q", "z"): ZERO, ("r", "x"): ZERO, ("r", "z"): DIAGONAL}),
])
def test_block_structure_is_read_from_the_graph(program, expected):
    bindings = [b for b in ("x=[1, 2, 3]", "z=[4, 5, 6]", "b=2") if b[0] in program.replace("exp", "")]
    problem = load(program, bindings, several=True)
    tape = problem.tape
    vals = array_sweeps.array_values(tape, problem.input_values())
    names = {i: n for n, i in tape.names.items()}
    rows = [tape.names[y] for y in problem.outputs]
    cols = [tape.names[x] for x in problem.wrt]
    found = {(names[y], names[x]): s for (y, x), s in block_structure(tape, vals, rows, cols).items()}
    assert found == expected


def test_a_dense_jacobian_above_the_limit_is_refused(vectors):
    _, _, bindings = vectors
    result = assert_error(["jacobian", "q = softmax(x)", bindings[0], "--max-elements", "50000"], 2)
    assert result.err.splitlines() == [
        f"gradcli: error: the Jacobian would be {N} output elements × {N} input elements, "
        f"{N * N:,} elements (703.1 KiB of float64), and it is not diagonal; the limit is 50,000 elements "
        "(--max-elements N raises it), or narrow it with --of and --wrt"]


def test_a_small_jacobian_keeps_its_dense_form():
    result = run_json("jacobian", "--json", "q = sin(x)", "x=[0, 1]")
    assert result["jacobian"] == [[1.0, 0.0], [0.0, np.cos(1.0)]]


@pytest.mark.parametrize("mode, passes", [("forward", 2), ("reverse", 1), (None, 1)])
def test_either_mode_gives_the_diagonals(vectors, mode, passes):
    x, z, bindings = vectors
    data = run_json("jacobian", "--json", "q = sin(x) * z", *bindings, *(["--mode", mode] if mode else []))
    assert (data["mode"], data["passes"], data["passes_forward"], data["passes_reverse"]) == \
        (mode or "reverse", passes, 2, 1)
    diagonal = np.array(data["diagonal"])
    np.testing.assert_allclose(diagonal[:, 0], np.cos(x) * z, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(diagonal[:, 1], np.sin(x), rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_zero_blocks_are_zeros(vectors, mode):
    x, z, bindings = vectors
    data = run_json("jacobian", "--json", "q = exp(x); r = 2 * z", *bindings, "--mode", mode)
    assert data["structure"] == "diagonal" and len(data["outputs"]) == 2 * N
    diagonal = np.array(data["diagonal"])  # rows q[0..N-1] then r[0..N-1]; columns x, z
    np.testing.assert_allclose(diagonal[:N, 0], np.exp(x), rtol=1e-15)
    assert (diagonal[:N, 1] == 0).all() and (diagonal[N:, 0] == 0).all() and (diagonal[N:, 1] == 2).all()
