"""eval, jacobian, check and graph on programs with arrays, through the command line.

The reference example: f = ||W x||^2 with W = [[0.1, 0.5], [-0.3, 0.8]], x = [0.2, 0.4]:
q = W x = [0.22, 0.26], f = 0.116, df/dW = 2 q x^T = [[0.088, 0.176], [0.104, 0.208]],
df/dx = 2 W^T q = [-0.112, 0.636] (worked by hand).

``arrays`` gives the inputs array values the way a binding will, by wrapping ``load``:
the program's ``dot(W, x)`` stands for ``W @ x`` (the matrix product).
"""

import json
import re

import numpy as np
import pytest

import gradcli.autodiff.problem as problem_module
from conftest import run
from gradcli.core.ops import OPS

W = [[0.1, 0.5], [-0.3, 0.8]]
X = [0.2, 0.4]
NORM = "q = dot(W, x); f = sum(q*q)"  # f = ||W x||^2
DF_DW = [[0.088, 0.176], [0.104, 0.208]]
DF_DX = [-0.112, 0.636]


@pytest.fixture
def arrays(monkeypatch):
    """``arrays(W=..., x=...)``: every program loaded from now on gets these values; dot is matmul."""

    def give(**values):
        original = problem_module.load

        def load(text, bindings=(), **options):
            options["require_values"] = False
            p = original(text, bindings, **options)
            for node in p.tape.nodes:
                if node.op is not None and node.op.name == "dot":
                    node.op = OPS["matmul"]
            p.values = {**p.values, **{k: (np.array(v, dtype=float) if isinstance(v, list) else v)
                                       for k, v in values.items() if k in p.values or k in p.tape.input_names()}}
            return p

        monkeypatch.setattr(problem_module, "load", load)

    return give


# ---------------------------------------------------------------- eval


@pytest.mark.parametrize("mode, passes", [("reverse", None), ("forward", 6)])
def test_eval_reference_example(arrays, mode, passes):
    arrays(W=W, x=X)
    data = run("eval", NORM, "--mode", mode, "--json").json()
    assert data["value"] == pytest.approx(0.116)
    assert data["gradient"]["W"] == [pytest.approx(row) for row in DF_DW]
    assert data["gradient"]["x"] == pytest.approx(DF_DX)
    assert data["shapes"] == {"W": [2, 2], "x": [2], "f": []}
    assert data.get("passes") == passes  # forward mode: one pass per input element


def test_forward_and_reverse_agree_element_by_element(arrays):
    x = np.linspace(-1.0, 1.3, 12).reshape(3, 4)
    arrays(x=x, b=1.5)
    program = "f = sum(tanh(x*b))"
    reverse = run("eval", program, "--json").json()
    forward = run("eval", program, "--mode", "forward", "--json").json()
    assert forward["passes"] == 13
    assert np.allclose(forward["gradient"]["x"], reverse["gradient"]["x"], rtol=1e-12)
    assert np.allclose(reverse["gradient"]["x"], 1.5 / np.cosh(1.5 * x) ** 2, rtol=1e-12)
    assert forward["gradient"]["b"] == pytest.approx(float(np.sum(x / np.cosh(1.5 * x) ** 2)))


def test_eval_shows_grids_with_shapes(arrays):
    arrays(W=W, x=X)
    out = run("eval", NORM, "--all").out
    assert "f = 0.116" in out
    for text in ["W (2, 2)", "x (2,)", "q (2,)", "[[0.088 0.176]", "[0.104 0.208]]", "[-0.112  0.636]",
                 "[0.22 0.26]"]:
        assert text in out, text


def test_a_large_array_is_elided_in_the_middle_never_a_number_cut(arrays, monkeypatch):
    x = np.arange(1.0, 401.0).reshape(20, 20) / 7
    arrays(x=x, b=0.5)
    monkeypatch.setenv("COLUMNS", "200")
    out = run("eval", "f = sum(x*b)").out
    assert "…" in out and len(out.splitlines()) < 25
    shown = {float(t) for t in re.findall(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e[-+]\d+)?(?![\w.])", out)}
    corners = [x[0, 0], x[0, 2], x[0, -1], x[2, 2], x[-1, -1], x[-3, -3]]
    assert all(any(abs(s - c) < 1e-5 * c for s in shown) for c in corners)
    assert not any(abs(s - x[10, 10]) < 1e-9 for s in shown)  # the middle is elided


def test_a_scalar_program_has_no_shapes_in_its_json():
    data = run("eval", "y = x^2", "x=3", "--json").json()
    assert data == {"output": "y", "value": 9.0, "gradient": {"x": 6.0}}


# ---------------------------------------------------------------- jacobian


@pytest.mark.parametrize("mode", ["forward", "reverse", None])
def test_jacobian_of_q_equals_w_for_x(arrays, mode):
    arrays(W=W, x=X)
    data = run("jacobian", "q = dot(W, x)", *(["--mode", mode] if mode else []), "--json").json()
    assert data["outputs"] == ["q[0]", "q[1]"]
    assert data["inputs"] == ["W[0,0]", "W[0,1]", "W[1,0]", "W[1,1]", "x[0]", "x[1]"]
    assert data["values"] == {"q[0]": pytest.approx(0.22), "q[1]": pytest.approx(0.26)}
    jac = np.array(data["jacobian"])
    assert np.allclose(jac[:, 4:], W)  # dq/dx = W
    assert np.allclose(jac[:, :4], [[0.2, 0.4, 0, 0], [0, 0, 0.2, 0.4]])  # dq_i/dW_jk = [i=j] x_k
    assert (data["passes_forward"], data["passes_reverse"]) == (6, 2)
    assert data["mode"] == (mode or "reverse")  # 2 output elements against 6 input elements
    assert data["shapes"] == {"q": [2], "W": [2, 2], "x": [2]}


def test_jacobian_chooses_forward_for_more_output_than_input_elements(arrays):
    arrays(x=[0.5, -2.0])
    data = run("jacobian", "P = outer(x, x)", "--json").json()
    assert data["mode"] == "forward" and data["passes"] == 2
    x0, x1 = 0.5, -2.0
    assert np.allclose(data["jacobian"], [[2 * x0, 0], [x1, x0], [x1, x0], [0, 2 * x1]])
    out = run("jacobian", "P = outer(x, x)").out
    assert "P[1,0]" in out and "d·/dx[1]" in out and "forward is cheaper for 4 output elements × 2 input" in out


# ---------------------------------------------------------------- check


def test_check_passes_per_element_and_names_the_worst(arrays):
    arrays(W=W, x=X)
    result = run("check", NORM, "--json")
    assert result.code == 0, result.err
    data = result.json()
    assert data["ok"] and list(data["inputs"]) == ["W[0,0]", "W[0,1]", "W[1,0]", "W[1,1]", "x[0]", "x[1]"]
    assert [data["inputs"][k]["numeric"] for k in ["W[1,0]", "x[1]"]] == pytest.approx([0.104, 0.636])
    assert (data["elements"], data["checked"], data["sampled"]) == (6, 6, False)
    assert data["worst"] in data["inputs"]
    out = run("check", NORM).out
    assert "checked every input element (6)" in out and f"worst element: {data['worst']}:" in out


def test_check_failing_names_the_worst_element(arrays):
    arrays(x=[0.1, 2.0, -1.0])
    result = run("check", "f = sum(x*x*x)", "--eps", "0.5")
    assert result.code == 1
    # the central difference of x^3 is off by h^2 = 0.25 for every element: the relative error is worst
    # where 3x^2 is smallest, x[0]
    assert result.err.startswith("gradcli: error: gradient check failed for 3 of 3 elements; worst: x[0]")


def test_check_samples_a_fixed_thousand_beyond_a_thousand_elements(arrays):
    arrays(x=np.linspace(-1, 1, 1200).reshape(30, 40), b=1.5)
    first = run("check", "f = sum(tanh(x*b))", "--json").json()
    again = run("check", "f = sum(tanh(x*b))", "--json").json()
    assert (first["elements"], first["checked"], first["sampled"]) == (1201, 1000, True)
    assert list(first["inputs"]) == list(again["inputs"])  # the same sample every run
    assert first["ok"]
    out = run("check", "f = sum(tanh(x*b))").out
    assert "fixed random sample of 1,000 of the 1,201 input elements" in out


# ---------------------------------------------------------------- graph


def test_graph_nodes_show_shapes_values_and_tensor_rules(arrays):
    arrays(W=W, x=X)
    dot = run("graph", NORM).out
    assert "q = W@x  (2,)" in dot and "[0.22 0.26]" in dot and "W  (2, 2)" in dot
    assert 'n0 -> n2 [label="g @ xᵀ"' in dot and 'label="Wᵀ @ g"' in dot
    data = run("graph", NORM, "--format", "json").json()
    nodes = {n["label"]: n for n in data["nodes"]}
    assert nodes["W"]["shape"] == [2, 2] and nodes["f"]["shape"] == []
    assert nodes["q"]["value"] == pytest.approx([0.22, 0.26])
    assert nodes["q"]["adjoint"] == pytest.approx([0.44, 0.52])  # 2q
    assert nodes["x"]["adjoint"] == pytest.approx(DF_DX)
    assert "[0.22 0.26]" in run("graph", NORM, "--format", "mermaid").out


def test_graph_of_a_large_array_shows_its_shape_not_its_values(arrays):
    arrays(x=np.ones((10, 10)), b=2.0)
    dot = run("graph", "f = sum(x*b)").out
    assert "(10, 10) array" in dot and "[[" not in dot


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize("args, what", [
    (["eval", "--mode", "paths"], "eval --mode paths"),
    (["explain", "--paths"], "explain --paths"),
    (["explain", "--steps"], "explain --steps"),
    (["explain", "--trace"], "explain --trace"),
    (["explain", "--graph"], "explain --graph"),
    (["hessian"], "hessian"),
    (["derive"], "derive"),
])
def test_views_of_scalar_programs_refuse_arrays(arrays, args, what):
    arrays(W=W, x=X)
    result = run(*args, NORM)
    assert result.code == 2 and result.out == ""
    assert result.err == (f"gradcli: error: {what} works on scalar programs for now; eval, jacobian, check, "
                          "descend and graph take arrays\n")


def test_json_of_an_array_program_is_plain_json(arrays):
    arrays(W=W, x=X)
    for args in (["eval", "--all"], ["jacobian"], ["check"], ["graph"]):
        json.loads(run(*args, NORM, "--json").out)


@pytest.mark.parametrize("args", [["eval"], ["eval", "--mode", "forward"], ["check"], ["graph"]])
def test_an_array_output_is_a_usage_error_pointing_to_jacobian(arrays, args):
    arrays(W=W, x=X)
    result = run(*args, "q = dot(W, x)")
    assert result.code == 2 and "the output q is an array of shape (2,)" in result.err
    assert "gradcli jacobian" in result.err and len(result.err.splitlines()) == 1


def test_jacobian_of_an_array_and_a_scalar_output_together(arrays):
    arrays(W=W, x=X)
    data = run("jacobian", NORM, "--of", "q,f", "--wrt", "x", "--json").json()
    assert data["outputs"] == ["q[0]", "q[1]", "f"]
    assert np.allclose(data["jacobian"], [*W, DF_DX])
    assert data["values"]["f"] == pytest.approx(0.116)


def test_a_check_step_leaving_the_domain_names_the_element(arrays):
    arrays(x=[2.0, 0.1])
    result = run("check", "f = sum(log(x))", "--eps", "0.5")
    assert result.code == 1 and result.err.startswith("gradcli: error: 1:9: checking x[1]: at x[1] = -0.4 (a step of 0.5)")
