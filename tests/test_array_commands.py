"""eval, jacobian, check and graph on programs with arrays, through the command line.

The reference example: f = ||W x||^2 with W = [[0.1, 0.5], [-0.3, 0.8]], x = [0.2, 0.4]:
q = W x = [0.22, 0.26], f = 0.116, df/dW = 2 q x^T = [[0.088, 0.176], [0.104, 0.208]],
df/dx = 2 W^T q = [-0.112, 0.636] (worked by hand).

``bindings(W=..., x=...)`` writes the values as command-line bindings (``W=[[0.1, 0.5], ...]``).
"""

import json
import re

import numpy as np
import pytest

from conftest import assert_error, run, run_json

W = [[0.1, 0.5], [-0.3, 0.8]]
X = [0.2, 0.4]
NORM = "q = W @ x; f = sum(q*q)"  # f = ||W x||^2
DF_DW = [[0.088, 0.176], [0.104, 0.208]]
DF_DX = [-0.112, 0.636]


def bindings(**values) -> list[str]:
    """NAME=VALUE texts for the command line: arrays as nested list literals."""
    return [f"{name}={np.asarray(v).tolist() if not isinstance(v, float) else v!r}" for name, v in values.items()]


# ---------------------------------------------------------------- eval


REF_BINDINGS = ["W=[[0.1, 0.5], [-0.3, 0.8]]", "x=[0.2, 0.4]"]
REF_DEFAULTS = "W = [[0.1, 0.5], [-0.3, 0.8]]; x = [0.2, 0.4]; "  # literals in the program as defaults


@pytest.mark.parametrize("program, B", [(NORM, REF_BINDINGS), (REF_DEFAULTS + NORM, [])], ids=["bindings", "defaults"])
@pytest.mark.parametrize("mode, passes", [("reverse", None), ("forward", 6)])
def test_eval_reference_example(program, B, mode, passes):
    data = run_json("eval", program, *B, "--mode", mode, "--json")
    assert data["value"] == pytest.approx(0.116)
    assert data["gradient"]["W"] == [pytest.approx(row) for row in DF_DW]
    assert data["gradient"]["x"] == pytest.approx(DF_DX)
    assert data["shapes"] == {"W": [2, 2], "x": [2], "f": []}
    assert data.get("passes") == passes  # forward mode: one pass per input element


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_indexing_and_an_axis_sum(mode):
    """f = (W x)[1] + sum(rowsums(W) * x) = 0.26 + 0.32; df/dx = W[1] + rowsums(W);
    df/dW[i,k] = [i=1] x_k + x_i (worked by hand)."""
    data = run_json("eval", "f = (W @ x)[1] + sum(sum(W, 1) * x)", *REF_BINDINGS, "--mode", mode, "--json")
    assert data["value"] == pytest.approx(0.58)
    assert data["gradient"]["x"] == pytest.approx([0.3, 1.3])
    assert data["gradient"]["W"] == [pytest.approx([0.2, 0.2]), pytest.approx([0.6, 0.8])]


def test_forward_and_reverse_agree_element_by_element():
    x = np.linspace(-1.0, 1.3, 12).reshape(3, 4)
    B = bindings(x=x, b=1.5)
    program = "f = sum(tanh(x*b))"
    reverse = run_json("eval", program, *B, "--json")
    forward = run_json("eval", program, *B, "--mode", "forward", "--json")
    assert forward["passes"] == 13
    assert np.allclose(forward["gradient"]["x"], reverse["gradient"]["x"], rtol=1e-12)
    assert np.allclose(reverse["gradient"]["x"], 1.5 / np.cosh(1.5 * x) ** 2, rtol=1e-12)
    assert forward["gradient"]["b"] == pytest.approx(float(np.sum(x / np.cosh(1.5 * x) ** 2)))


def test_eval_shows_grids_with_shapes():
    B = bindings(W=W, x=X)
    out = run("eval", NORM, *B, "--all").out
    assert "f = 0.116" in out
    for text in ["W (2, 2)", "x (2,)", "q (2,)", "[[0.088 0.176]", "[0.104 0.208]]", "[-0.112  0.636]",
                 "[0.22 0.26]"]:
        assert text in out, text


def test_a_large_array_is_elided_in_the_middle_never_a_number_cut(monkeypatch):
    x = np.arange(1.0, 401.0).reshape(20, 20) / 7
    B = bindings(x=x, b=0.5)
    monkeypatch.setenv("COLUMNS", "200")
    out = run("eval", "f = sum(x*b)", *B).out
    assert "…" in out and len(out.splitlines()) < 25
    shown = {float(t) for t in re.findall(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e[-+]\d+)?(?![\w.])", out)}
    corners = [x[0, 0], x[0, 2], x[0, -1], x[2, 2], x[-1, -1], x[-3, -3]]
    assert all(any(abs(s - c) < 1e-5 * c for s in shown) for c in corners)
    assert not any(abs(s - x[10, 10]) < 1e-9 for s in shown)  # the middle is elided


def test_a_scalar_program_has_no_shapes_in_its_json():
    data = run_json("eval", "y = x^2", "x=3", "--json")
    assert data == {"output": "y", "value": 9.0, "gradient": {"x": 6.0}}


# ---------------------------------------------------------------- jacobian


@pytest.mark.parametrize("mode", ["forward", "reverse", None])
def test_jacobian_of_q_equals_w_for_x(mode):
    B = bindings(W=W, x=X)
    data = run_json("jacobian", "q = W @ x", *B, *(["--mode", mode] if mode else []), "--json")
    assert data["outputs"] == ["q[0]", "q[1]"]
    assert data["inputs"] == ["W[0,0]", "W[0,1]", "W[1,0]", "W[1,1]", "x[0]", "x[1]"]
    assert data["values"] == {"q[0]": pytest.approx(0.22), "q[1]": pytest.approx(0.26)}
    jac = np.array(data["jacobian"])
    assert np.allclose(jac[:, 4:], W)  # dq/dx = W
    assert np.allclose(jac[:, :4], [[0.2, 0.4, 0, 0], [0, 0, 0.2, 0.4]])  # dq_i/dW_jk = [i=j] x_k
    assert (data["passes_forward"], data["passes_reverse"]) == (6, 2)
    assert data["mode"] == (mode or "reverse")  # 2 output elements against 6 input elements
    assert data["shapes"] == {"q": [2], "W": [2, 2], "x": [2]}


def test_jacobian_chooses_forward_for_more_output_than_input_elements():
    B = bindings(x=[0.5, -2.0])
    data = run_json("jacobian", "P = outer(x, x)", *B, "--json")
    assert data["mode"] == "forward" and data["passes"] == 2
    x0, x1 = 0.5, -2.0
    assert np.allclose(data["jacobian"], [[2 * x0, 0], [x1, x0], [x1, x0], [0, 2 * x1]])
    out = run("jacobian", "P = outer(x, x)", *B).out
    assert "P[1,0]" in out and "d·/dx[1]" in out and "forward is cheaper for 4 output elements × 2 input" in out


# ---------------------------------------------------------------- check


def test_check_passes_per_element_and_names_the_worst():
    B = bindings(W=W, x=X)
    data = run_json("check", NORM, *B, "--json")
    assert data["ok"] and list(data["inputs"]) == ["W[0,0]", "W[0,1]", "W[1,0]", "W[1,1]", "x[0]", "x[1]"]
    assert [data["inputs"][k]["numeric"] for k in ["W[1,0]", "x[1]"]] == pytest.approx([0.104, 0.636])
    assert (data["elements"], data["checked"], data["sampled"]) == (6, 6, False)
    assert data["worst"] in data["inputs"]
    out = run("check", NORM, *B).out
    assert "checked every input element (6)" in out and f"worst element: {data['worst']}:" in out


def test_check_failing_names_the_worst_element():
    B = bindings(x=[0.1, 2.0, -1.0])
    result = assert_error(["check", "f = sum(x*x*x)", *B, "--eps", "0.5"], 1)
    # the central difference of x^3 is off by h^2 = 0.25 for every element: the relative error is worst
    # where 3x^2 is smallest, x[0]
    assert result.err.startswith("gradcli: error: gradient check failed for 3 of 3 elements; worst: x[0]")


def test_check_samples_a_fixed_thousand_of_a_40_by_30_matrix():
    rng = np.random.default_rng(7)
    w, x = rng.uniform(-0.3, 0.3, (40, 30)), rng.uniform(-1, 1, 30)
    B, program = bindings(W=w, x=x), "f = sum(tanh(W @ x))"
    first = run_json("check", program, *B, "--json")
    again = run_json("check", program, *B, "--json")
    assert (first["elements"], first["checked"], first["sampled"]) == (1230, 1000, True)
    assert list(first["inputs"]) == list(again["inputs"])  # the same sample every run
    assert first["ok"]
    s = 1 - np.tanh(w @ x) ** 2  # d sum(tanh(q))/dq
    exact = {**{f"W[{i},{k}]": s[i] * x[k] for i, k in np.ndindex(w.shape)},
             **{f"x[{k}]": float(w[:, k] @ s) for k in range(30)}}
    for name, element in first["inputs"].items():
        assert element["numeric"] == pytest.approx(exact[name], rel=1e-6, abs=1e-9), name
    out = run("check", program, *B).out
    assert "fixed random sample of 1,000 of the 1,230 input elements" in out


# ---------------------------------------------------------------- graph


def test_graph_nodes_show_shapes_values_and_tensor_rules():
    B = bindings(W=W, x=X)
    dot = run("graph", NORM, *B).out
    assert "q = W@x  (2,)" in dot and "[0.22 0.26]" in dot and "W  (2, 2)" in dot
    assert 'n0 -> n2 [label="outer(dq, x)"' in dot and 'label="transpose(W) @ dq"' in dot
    data = run_json("graph", NORM, *B, "--format", "json")
    nodes = {n["label"]: n for n in data["nodes"]}
    assert nodes["W"]["shape"] == [2, 2] and nodes["f"]["shape"] == []
    assert nodes["q"]["value"] == pytest.approx([0.22, 0.26])
    assert nodes["q"]["adjoint"] == pytest.approx([0.44, 0.52])  # 2q
    assert nodes["x"]["adjoint"] == pytest.approx(DF_DX)
    assert "[0.22 0.26]" in run("graph", NORM, *B, "--format", "mermaid").out


def test_graph_of_a_large_array_shows_its_shape_not_its_values():
    B = bindings(x=np.ones((10, 10)), b=2.0)
    dot = run("graph", "f = sum(x*b)", *B).out
    assert "(10, 10) array" in dot and "[[" not in dot


# ---------------------------------------------------------------- refusals


def test_json_of_an_array_program_is_plain_json():
    B = bindings(W=W, x=X)
    for args in (["eval", "--all"], ["jacobian"], ["check"], ["graph"]):
        run_json(*args, NORM, *B, "--json")


@pytest.mark.parametrize("args", [["eval", "--wrt", "x"], ["eval", "--mode", "forward"], ["check"], ["graph"]])
def test_an_array_output_is_a_usage_error_pointing_to_jacobian(args):
    B = bindings(W=W, x=X)
    result = assert_error([*args, "q = W @ x", *B], 2, "the output q is an array of shape (2,)", "gradcli jacobian")
    assert len(result.err.splitlines()) == 1


def test_jacobian_of_an_array_and_a_scalar_output_together():
    B = bindings(W=W, x=X)
    data = run_json("jacobian", NORM, *B, "--of", "q,f", "--wrt", "x", "--json")
    assert data["outputs"] == ["q[0]", "q[1]", "f"]
    assert np.allclose(data["jacobian"], [*W, DF_DX])
    assert data["values"]["f"] == pytest.approx(0.116)


def test_a_check_step_leaving_the_domain_names_the_element():
    B = bindings(x=[2.0, 0.1])
    result = assert_error(["check", "f = sum(log(x))", *B, "--eps", "0.5"], 1)
    assert result.err.startswith("gradcli: error: 1:9: checking x[1]: at x[1] = -0.4 (a step of 0.5)")


# ---------------------------------------------------------------- files and broadcasting


def write(path, value):
    """Write an array as .npy, .csv (one number per cell, a vector as one column) or .json."""
    if path.suffix == ".npy":
        np.save(path, value)
    elif path.suffix == ".csv":
        rows = value.reshape(len(value), -1)
        path.write_text("".join(",".join(repr(float(v)) for v in row) + "\n" for row in rows))
    else:
        path.write_text(json.dumps(value.tolist()))


@pytest.mark.parametrize("w_file, x_file", [("W.npy", "x.csv"), ("W.csv", "x.npy"), ("W.json", "x.json")])
def test_bindings_from_files(tmp_path, w_file, x_file):
    rng = np.random.default_rng(3)
    w, x = rng.uniform(-1, 1, (3, 4)), rng.uniform(-1, 1, 4)
    write(tmp_path / w_file, w)
    write(tmp_path / x_file, x)
    data = run_json("eval", NORM, f"W=@{tmp_path / w_file}", f"x=@{tmp_path / x_file}", "--json")
    q = w @ x
    assert data["shapes"] == {"W": [3, 4], "x": [4], "f": []}
    assert data["value"] == pytest.approx(float(q @ q), rel=1e-14)
    assert np.allclose(data["gradient"]["W"], 2 * np.outer(q, x), rtol=1e-13)
    assert np.allclose(data["gradient"]["x"], 2 * w.T @ q, rtol=1e-13)


@pytest.mark.parametrize("b", [0.3, [0.1, -0.2, 0.4]])
def test_broadcasting_against_central_differences(b):
    """f = sum(tanh(W @ x + b)): b a scalar or a vector, summed back to its own shape."""
    w = np.array([[0.5, -1.0], [0.25, 0.75], [-0.6, 0.2]])
    x = np.array([0.3, -0.8])
    program = "f = sum(tanh(W @ x + b))"
    data = run_json("eval", program, *bindings(W=w, x=x, b=b), "--json")

    def f(w_, x_, b_):
        return float(np.sum(np.tanh(w_ @ x_ + b_)))

    for name, value in (("W", w), ("x", x), ("b", np.asarray(b, dtype=float))):
        numeric = np.zeros(value.shape)
        for index in np.ndindex(value.shape):
            up, down = value.copy(), value.copy()
            up[index] += 1e-6
            down[index] -= 1e-6
            args = {"W": w, "x": x, "b": np.asarray(b, dtype=float), name: up}
            args_down = {**args, name: down}
            numeric[index] = (f(args["W"], args["x"], args["b"]) - f(args_down["W"], args_down["x"],
                                                                       args_down["b"])) / 2e-6
        assert np.shape(data["gradient"][name]) == value.shape  # a gradient has its variable's shape
        assert np.allclose(data["gradient"][name], numeric, rtol=1e-7, atol=1e-9), name


def test_eval_of_an_array_output_shows_its_value():
    """The derived program's d_W is an array: eval --of d_W shows it, a gradient of it is asked as above."""
    B = bindings(W=W, x=X)
    data = run_json("eval", "q = W @ x", *B, "--json")
    assert data["shape"] == [2] and data["gradient"] is None
    np.testing.assert_allclose(data["value"], np.array(W) @ np.array(X), rtol=1e-15)
    shown = run("eval", "q = W @ x", *B).out
    assert "sum(q)" in shown and "gradcli jacobian" in shown
