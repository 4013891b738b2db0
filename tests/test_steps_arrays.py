"""explain --steps on vectors and matrices: the backward pass at the tensor level (CS231n's f = ||W x||^2).

Reference: W = [[0.1, 0.5], [-0.3, 0.8]], x = [0.2, 0.4]: q = W x = [0.22, 0.26], f = 0.116,
df/dq = 2q = [0.44, 0.52], df/dW = 2 q xᵀ = [[0.088, 0.176], [0.104, 0.208]], df/dx = 2 Wᵀ q =
[-0.112, 0.636] (worked by hand).
"""

import numpy as np
import pytest

from conftest import SAMPLES, assert_error, run, run_json

NORM_WX = str(SAMPLES / "norm_wx.grad")


def steps_json(*args):
    return run_json("explain", "--steps", *args, "--json")


def test_the_reference_derivation_step_by_step():
    data = steps_json("-f", NORM_WX)
    steps = {s["node"]: s for s in data["steps"]}
    q = steps["q"]
    assert q["upstream"] == pytest.approx([0.44, 0.52]) and q["shape"] == [2]  # dq = 2q
    rules = {o["node"]: o for o in q["operands"]}
    assert rules["W"]["formula"] == "outer(dq, x)" and rules["x"]["formula"] == "transpose(W) @ dq"
    assert np.allclose(rules["W"]["contribution"], [[0.088, 0.176], [0.104, 0.208]])  # W's shape
    assert rules["W"]["shape"] == [2, 2] and rules["x"]["shape"] == [2]
    assert np.allclose(rules["x"]["contribution"], [-0.112, 0.636])
    assert np.allclose(data["gradient"]["W"], [[0.088, 0.176], [0.104, 0.208]])


def test_the_table_reads_like_the_derivation():
    out = run("explain", "--steps", "-f", NORM_WX).out
    for text in ["q = W@x  (2,)", "dq = [0.44 0.52]", "dW += outer(dq, x)", "dx += transpose(W)", "[[0.088 0.176]",
                 "[0.104 0.208]]", "[-0.112  0.636]"]:
        assert text in out, text


@pytest.mark.parametrize("b", ["b=0.3", "b=[0.1, -0.2, 0.4]"])
def test_what_each_input_received_sums_to_its_gradient(b):
    """With broadcasting (b a scalar or a vector) and a node used twice, the downstream arrays add
    up to the gradient, and each node's upstream is the reverse sweep's adjoint."""
    program = "h = tanh(W @ x + b); f = sum(h*h) + mean(h)"
    bindings = ["W=[[0.5, -1.0], [0.25, 0.75], [-0.6, 0.2]]", "x=[0.3, -0.8]", b]
    data = steps_json(program, *bindings)
    gradient = run_json("eval", program, *bindings, "--json")["gradient"]
    for name, terms in data["received"].items():
        total = sum(np.asarray(t["contribution"]) for t in terms)
        assert np.allclose(total, gradient[name], rtol=1e-13), name
        assert np.shape(total) == np.shape(gradient[name])  # summed back to the input's shape
    nodes = {n["node"]: n for n in run_json("eval", program, *bindings, "--all", "--json")["nodes"]}
    for step in data["steps"]:
        assert np.allclose(step["upstream"], nodes[step["node"]]["adjoint"], rtol=1e-13), step["node"]


def test_the_graph_tree_shows_shapes_values_and_gradients():
    data = run_json("explain", "--graph", "-f", NORM_WX, "--json")
    nodes = {n["node"]: n for n in data["nodes"]}
    assert nodes["q"]["shape"] == [2] and nodes["q"]["adjoint"] == pytest.approx([0.44, 0.52])
    assert np.allclose(nodes["W"]["adjoint"], [[0.088, 0.176], [0.104, 0.208]])
    out = run("explain", "--graph", "-f", NORM_WX).out
    assert "q = W@x  matmul (2,)  value [0.22 0.26]  df/dq = [0.44 0.52]" in out


@pytest.mark.parametrize("b", ["b=0.3", "b=[0.1, -0.2, 0.4]"])
def test_path_contributions_sum_to_the_gradient(b):
    """At the array level each path's contribution has the input's shape, and they add up to the
    reverse sweep's gradient (h*h feeds h twice, so every path through it is doubled)."""
    program = "h = tanh(W @ x + b); f = sum(h*h) + mean(h)"
    bindings = ["W=[[0.5, -1.0], [0.25, 0.75], [-0.6, 0.2]]", "x=[0.3, -0.8]", b]
    data = run_json("explain", "--paths", program, *bindings, "--json")
    gradient = run_json("eval", program, *bindings, "--json")["gradient"]
    for name, item in data["inputs"].items():
        assert item["path_count"] == 3  # through h*h twice, and through mean(h)
        total = sum(np.asarray(p["product"]) for p in item["paths"])
        assert np.shape(total) == np.shape(gradient[name])
        assert np.allclose(total, gradient[name], rtol=1e-13) and np.allclose(item["listed_sum"], total)
    via_paths = run_json("eval", program, *bindings, "--mode", "paths", "--json")
    for name in gradient:
        assert np.allclose(via_paths["gradient"][name], gradient[name], rtol=1e-13)


def test_the_reference_paths_and_their_rules():
    data = run_json("explain", "--paths", "-f", NORM_WX, "--json")["inputs"]
    w = data["W"]
    assert w["path_count"] == 2 and w["shape"] == [2, 2]
    assert w["paths"][0]["formulas"] == ["outer(dq, x)", "dv2 * q", "df"]
    assert np.allclose(w["paths"][0]["product"], [[0.044, 0.088], [0.052, 0.104]])  # half of dW each
    out = run("explain", "--paths", "-f", NORM_WX).out
    assert "dW ← outer(dq, x)" in out and "check: = the reverse sweep's df/dW ✓" in out


def test_the_largest_contributions_are_listed_and_the_rest_summed():
    program = "h = tanh(W @ x + b); f = sum(h*h) + mean(h)"
    bindings = ["W=[[0.5, -1.0], [0.25, 0.75], [-0.6, 0.2]]", "x=[0.3, -0.8]", "b=0.3"]
    item = run_json("explain", "--paths", program, *bindings, "--max-paths", "1", "--json")["inputs"]["W"]
    assert item["capped"] and len(item["paths"]) == 1 and item["omitted"]["count"] == 2
    gradient = run_json("eval", program, *bindings, "--json")["gradient"]["W"]
    assert np.allclose(np.asarray(item["listed_sum"]) + np.asarray(item["omitted"]["sum"]), gradient)



def test_the_trace_has_array_values_and_adjoints():
    data = run_json("explain", "--trace", "-f", NORM_WX, "--adjoint", "--json")
    rows = {r["name"] or r["trace_name"]: r for r in data["trace"]}
    assert rows["q"]["shape"] == [2] and rows["q"]["value"] == pytest.approx([0.22, 0.26])
    assert rows["q"]["adjoint"] == pytest.approx([0.44, 0.52])
    assert np.allclose(rows["W"]["adjoint"], [[0.088, 0.176], [0.104, 0.208]])
    assert rows["x"]["adjoint"] == pytest.approx([-0.112, 0.636])
    assert rows["q"]["definition"] == "v_-1@v_0"
    out = run("explain", "--trace", "-f", NORM_WX, "--adjoint").out
    assert "[0.22 0.26]" in out and "[0.44 0.52]" in out


def test_a_tangent_seed_on_arrays_points_to_the_jacobian():
    assert_error(["explain", "--trace", "-f", NORM_WX, "--tangent", "x"], 2, "gradcli jacobian --mode forward")


# ---- element level: one element's scalar paths ----


def test_one_element_of_w_written_out():
    """CS231n: write out one element's gradient.  q[0] = W[0,0] x[0] + W[0,1] x[1], so
    ∂q0/∂W01 = x1 = 0.4, and q[0] reaches f through q*q twice: df/dW[0,1] = 2 * 0.4 * 0.22 = 0.176."""
    data = run_json("explain", "--paths", "-f", NORM_WX, "--element", "W[0,1]", "--json")
    item = data["inputs"]["W[0,1]"]
    assert item["gradient"] == pytest.approx(0.176) and item["path_count"] == 2
    assert item["paths"][0]["nodes"] == ["W[0,1]", "q[0]", "v2[0]", "f"]
    assert item["paths"][0]["formulas"][0] == "x[1]" and item["paths"][0]["partials"][0] == pytest.approx(0.4)
    assert item["listed_sum"] == pytest.approx(0.176)
    out = run("explain", "--paths", "-f", NORM_WX, "--element", "W[0,1]").out
    assert "∂q[0]/∂W[0,1] = x[1] = 0.4" in out and "df/dW[0,1] ✓" in out


def brute_force_paths(shapes):
    """Element paths from x[0] to q_L[0] in q_l = W_l @ q_(l-1): every term W[i,k] q[k] of a matrix
    product is an edge q[k] -> q_l[i] (a zero weight too), so count by multiplying all-ones matrices."""
    reach = np.zeros(shapes[0][1], dtype=object)
    reach[0] = 1
    for rows, cols in shapes:
        reach = np.ones((rows, cols), dtype=object) @ reach
    return int(reach[0])


def test_element_counts_match_an_independent_count():
    """A 3-layer matmul chain: the element-level path count equals a count by matrix products,
    and the listed products (zero weights give zero products) sum to that element of the gradient."""
    w1 = [[1.0, 0.0, 2.0], [0.5, 1.0, 0.0], [0.0, 1.5, 1.0]]
    w2 = [[1.0, 1.0, 0.0], [0.0, 2.0, 1.0], [1.0, 0.0, 1.0]]
    program = "q1 = W1 @ x; q2 = W2 @ q1; q3 = W1 @ q2; f = sum(q3)"
    args = [f"W1={w1}", f"W2={w2}", "x=[1.0, 2.0, 3.0]"]
    data = run_json("explain", "--paths", program, *args, "--of", "q3[0]", "--element", "x[0]", "--json")
    item = data["inputs"]["x[0]"]
    assert item["path_count"] == brute_force_paths([(3, 3)] * 3) == 9
    expected = (np.array(w1) @ np.array(w2) @ np.array(w1))[0, 0]  # dq3[0]/dx[0]
    assert item["gradient"] == pytest.approx(expected) and item["listed_sum"] == pytest.approx(expected)


@pytest.mark.parametrize("args, words", [
    (["--element", "W[2,0]"], "W has shape (2, 2)"),
    (["--of", "q[5]"], "q has shape (2,)"),
    (["--element", "z[0]"], "not an input differentiated here"),
    (["--element", "W[0,1]", "--steps"], "goes with --paths alone"),
])
def test_element_errors(args, words):
    assert_error(["explain", "--paths", "-f", NORM_WX, *args], 2, words)


def test_latex_paths_are_for_numbers():
    assert_error(["explain", "--paths", "-f", NORM_WX, "--latex"], 2, "--latex writes scalar path products")
