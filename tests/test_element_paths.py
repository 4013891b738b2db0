"""explain --paths --element: the gradient of single elements as Bauer's sum on the graph of elements.

Reference (CS231n's f = ||W x||^2): W = [[0.1, 0.5], [-0.3, 0.8]], x = [0.2, 0.4], q = W x = [0.22, 0.26];
∂q[0]/∂W[0,1] = x[1] = 0.4 and df/dW[0,1] = 2 q[0] x[1] = 0.176, worked by hand.
"""


import numpy as np
import pytest

from conftest import SAMPLES, assert_error, run, run_json
from gradcli.analyses.element_paths import explain_element_paths
from gradcli.autodiff.loading import load

NORM_WX = str(SAMPLES / "norm_wx.grad")
REF = "W = [[0.1, 0.5], [-0.3, 0.8]]; x = [0.2, 0.4]; q = W @ x; f = norm(q)^2"


def element_json(*args):
    return run_json("explain", "--paths", *args, "--json")


@pytest.mark.parametrize("program, count", [(("-f", NORM_WX), 2), ((REF,), 1)])
def test_the_single_element_derivation(program, count):
    data = element_json("--element", "W[0,1]", *program)
    item = data["inputs"]["W[0,1]"]
    assert item["gradient"] == pytest.approx(0.176) and item["listed_sum"] == pytest.approx(0.176)
    assert item["path_count"] == count  # q*q reads q[0] twice; norm(q)^2 once
    first = item["paths"][0]
    assert first["nodes"][:2] == ["W[0,1]", "q[0]"]
    assert first["formulas"][0] == "x[1]" and first["partials"][0] == pytest.approx(0.4)
    text = run("explain", "--paths", "--element", "W[0,1]", *program).out
    assert "∂q[0]/∂W[0,1] = x[1] = 0.4" in text and "0.176" in text and "✓" in text


def test_an_output_element_with_of():
    data = element_json("--of", "q[1]", REF)
    assert data["output"] == "q[1]" and data["value"] == pytest.approx(0.26)
    # q[1] = W[1,0] x[0] + W[1,1] x[1]: it reads four elements, one path each
    grads = {k: v["gradient"] for k, v in data["inputs"].items()}
    assert grads == pytest.approx({"W[1,0]": 0.2, "W[1,1]": 0.4, "x[0]": -0.3, "x[1]": 0.8})
    assert all(v["path_count"] == 1 for v in data["inputs"].values())


def test_element_counts_match_a_count_by_hand():
    # h = B x (m of them), q = A h (p), f = sum(tanh(q) * q): x[j] reaches f through every h[i],
    # every q[k], then two ways (tanh(q[k]) and q[k] itself): 2 m p paths; B[i,j]: 2 p.
    rng = np.random.default_rng(1)
    p, m, n = 3, 4, 2
    A, B, x = rng.normal(size=(p, m)), rng.normal(size=(m, n)), rng.normal(size=n)
    problem = load("h = B @ x; q = A @ h; f = sum(tanh(q) * q)",
                   [f"A={A.tolist()}", f"B={B.tolist()}", f"x={x.tolist()}"])
    result = explain_element_paths(problem, ["x[1]", "B[2,0]"], None, max_paths=1000)
    counts = {item.name: item.path_count for item in result.inputs}
    assert counts == {"x[1]": 2 * m * p, "B[2,0]": 2 * p}
    for item in result.inputs:
        assert len(item.paths) == item.path_count and not item.capped


def f_np(name, A, x):
    """The programs below, in numpy (an independent computation for central differences)."""
    s = np.exp(A @ x - np.max(A @ x)); s = s / s.sum()
    return {"softmax": lambda: float(np.sum(s * np.arange(len(s)))),
            "logsumexp": lambda: float(np.log(np.sum(np.exp(A.T @ A @ x))) + np.mean(x)),
            "max": lambda: float(np.max(A, axis=0) @ x + np.dot(x, x) * A[1, 0]),
            "outer": lambda: float(np.sum(np.outer(x, A @ x) * A.T[: len(x), :] ** 2) + np.sum(np.sin(A + x))),
            "stack": lambda: float(np.linalg.norm(np.stack([A @ x, x[0] * (A @ x)])) ** 2),
            }[name]()


PROGRAMS = {
    "softmax": "s = softmax(A @ x); f = sum(s * [0, 1, 2])",
    "logsumexp": "f = logsumexp(transpose(A) @ A @ x) + mean(x)",
    "max": "f = dot(max(A, axis=0), x) + dot(x, x) * A[1, 0]",
    "outer": "f = sum(outer(x, A @ x) * transpose(A)^2) + sum(sin(A + x))",
    "stack": "q = A @ x; f = norm([q, x[0] * q])^2",
}


@pytest.mark.parametrize("name", PROGRAMS)
@pytest.mark.parametrize("seed", [0, 1])
def test_element_path_sums_equal_the_gradient(name, seed):
    rng = np.random.default_rng(seed)
    A, x = rng.normal(size=(3, 3)), rng.normal(size=3)
    if name == "outer":
        A = rng.normal(size=(3, 3))
    problem = load(PROGRAMS[name], [f"A={A.tolist()}", f"x={x.tolist()}"])
    result = explain_element_paths(problem, ["A[1,0]", "x[2]"], None, max_paths=10_000)
    h = 1e-6
    for item, (arr, idx) in zip(result.inputs, [("A", (1, 0)), ("x", (2,))]):
        up = {"A": A.copy(), "x": x.copy()}
        down = {"A": A.copy(), "x": x.copy()}
        up[arr][idx] += h
        down[arr][idx] -= h
        numeric = (f_np(name, up["A"], up["x"]) - f_np(name, down["A"], down["x"])) / (2 * h)
        assert not item.capped
        assert item.listed_sum == pytest.approx(item.gradient, rel=1e-9, abs=1e-12)
        assert item.gradient == pytest.approx(numeric, rel=1e-5, abs=1e-7)


def test_a_deep_matmul_chain_counts_and_lists_the_top_20(tmp_path):
    """Exact counts and the k-best listing on 10^18 paths (benchmarks/bench_element_paths.py times it)."""
    rng = np.random.default_rng(0)
    bindings = []
    for i in range(1, 11):
        np.save(tmp_path / f"W{i}.npy", rng.normal(size=(100, 100)) / 10)
        bindings.append(f"W{i}=@{tmp_path / f'W{i}.npy'}")
    np.save(tmp_path / "x.npy", rng.normal(size=100))
    program = "h1 = W1 @ x; " + "; ".join(f"h{i} = W{i} @ h{i - 1}" for i in range(2, 11)) + "; f = sum(h10)"
    problem = load(program, bindings + [f"x=@{tmp_path / 'x.npy'}"])
    result = explain_element_paths(problem, ["W1[0,1]"], None, max_paths=20)
    item = result.inputs[0]
    assert item.path_count == 100 ** 9  # W1[0,1] -> h1[0] -> any of 100 elements in each of 9 layers -> f
    assert len(item.paths) == 20 and item.capped
    products = [abs(p.product) for p in item.paths]
    assert products == sorted(products, reverse=True)
    # without --element, h2[0]'s input elements (W2[0,:], all of W1, x: 100 + 10^4 + 100) are too many to list
    (tmp_path / "p.grad").write_text(program)
    assert_error(["explain", "--paths", "--of", "h2[0]", "-f", str(tmp_path / "p.grad"), *bindings,
                  f"x=@{tmp_path / 'x.npy'}"], 2,
                 "reads 10,200 input elements", "--element W1[0,0]")


@pytest.mark.parametrize("args, message", [
    (("--steps", "--element", "W[0,1]", REF), "goes with --paths alone"),
    (("--paths", "--element", "W[2,0]", REF), "W has shape (2, 2)"),
    (("--paths", "--element", "W[0", REF), "like W[0,1]"),
    (("--paths", "--element", "q[0]", REF), "not an input"),
    (("--paths", "--of", "f[0]", REF), "f is a number"),
    (("--paths", "--element", "x[0]", "y = x * x", "x=2"), "no arrays"),
    (("--paths", "--element", "x[0]", "--of", "q", REF), "pick one element with --of"),
    (("--paths", "--latex", REF), "--element 'W[0,1]'"),
])
def test_element_errors_are_one_line(args, message):
    result = assert_error(["explain", *args], 2, message)
    assert len(result.err.strip().splitlines()) == 1


def test_max_paths_0_lists_none_and_still_sums():
    text = run("explain", "--paths", "--element", "W[0,1]", "-f", NORM_WX, "--max-paths", "0").out
    assert "W[0,1]: 2 paths to f; none listed (--max-paths 0)" in text
    assert "omitted 0.176 = 0.176" in text  # 2 q[0] x[1], all of it in the omitted sum
