"""Which output, which inputs, which edges: the output rule, work limited to the output's cone,
aliases as nodes of their own, and the modes agreeing on where a derivative does not exist."""

from __future__ import annotations

import math

import pytest

from conftest import assert_error, central_difference, run, run_json

NG_BACKWARDS = "J = 3*v\nv = a + u\nu = b*c\n"  # the course writes J first


def eval_json(*args):
    return run_json("eval", *args, "--json")


# ---- the output is the statement nothing else uses ----

@pytest.mark.parametrize("command", ["eval", "jacobian", "check"])
def test_the_output_is_what_nothing_uses_whatever_the_order(command, tmp_path):
    path = tmp_path / "ng.grad"
    path.write_text(NG_BACKWARDS)
    data = run_json(command, "-f", str(path), "a=5", "b=3", "c=2", "--json")
    if command == "jacobian":
        assert data["outputs"] == ["J"] and data["jacobian"] == [[3.0, 6.0, 9.0]]
    else:
        assert data["output"] == "J" and data["value"] == 33.0


def test_several_outputs_stop_single_output_commands_and_are_listed():
    program = "y1 = x1*x2; y2 = sin(x1) + x2; t = y1 + 1; z = t*2"
    assert_error(["eval", program, "x1=2", "x2=5"], 2, "2 outputs", "y2, z", "--of")
    jac = run_json("jacobian", program, "x1=2", "x2=5", "--json")
    assert jac["outputs"] == ["y2", "z"]
    assert jac["jacobian"] == [[math.cos(2.0), 1.0], [10.0, 4.0]]  # d(2*(x1*x2 + 1)) = (2*x2, 2*x1)


def test_inputs_given_values_are_inputs_not_outputs():
    data = eval_json("a = 5\nb = 3\nu = a*b", "b=4")
    assert data["output"] == "u" and data["gradient"] == {"a": 4.0, "b": 5.0}
    assert_error(["eval", "a = 5; b = 2*pi"], 2, "computes nothing")


def test_a_bare_constant_expression_is_evaluated():
    data = eval_json("2*pi")
    assert data["value"] == 2 * math.pi and data["gradient"] == {}


# ---- --of and --wrt limit the work ----

def test_a_statement_the_output_does_not_use_is_never_evaluated():
    program = "y1 = log(x2); y2 = sin(x1)"
    data = eval_json(program, "x1=2", "x2=-1", "--of", "y2")  # log(-1) would fail
    # x2 has a value that y2 does not read: its derivative is 0, listed
    assert data["value"] == math.sin(2.0) and data["gradient"] == {"x1": math.cos(2.0), "x2": 0.0}
    assert eval_json(program, "x1=2", "--of", "y2")["gradient"] == {"x1": math.cos(2.0)}  # no x2 asked


def test_wrt_differentiates_only_along_edges_to_those_inputs():
    # d/dy x^y = x^y log(x) does not exist at x = -2; d/dx does: y*x^(y-1) = -4
    data = eval_json("x^y", "x=-2", "y=2", "--wrt", "x")
    assert data["gradient"] == {"x": -4.0}
    assert_error(["eval", "x^y", "x=-2", "y=2"], 1)  # all inputs: d/dy is asked for, and fails
    forward = eval_json("x^y", "x=-2", "y=2", "--wrt", "x", "--mode", "forward")
    assert forward["gradient"] == {"x": -4.0}


def test_wrt_an_input_the_output_does_not_read_is_zero():
    result = run("eval", "u = b*c; v = a + u; J = 3*v", "a=5", "b=3", "c=2", "--of", "u", "--wrt", "a")
    assert result.code == 0 and "du/da = 0 (u does not read a)" in result.out
    assert_error(["eval", "u = b*c; v = a + u; J = 3*v", "b=3", "c=2", "--of", "u", "--wrt", "a"], 2,
                 "u does not depend on a")


# ---- aliases keep their names and edges ----

@pytest.mark.parametrize("program, gradient", [
    ("y = x", 1.0),
    ("u = x; y = u*u", 2.0),  # two edges from u, one from x to u
])
def test_aliases_are_nodes_in_every_view(program, gradient):
    assert eval_json(program, "x=1")["gradient"] == {"x": gradient}
    steps = run_json("explain", "--steps", program, "x=1", "--json")
    assert steps["gradient"] == {"x": gradient}
    paths = run_json("explain", "--paths", program, "x=1", "--json")["inputs"]["x"]
    assert paths["gradient"] == gradient
    assert all(p["nodes"][0] == "x" and p["nodes"][-1] == "y" for p in paths["paths"])
    assert sum(p["product"] for p in paths["paths"]) == gradient
    for mode in ("forward", "paths"):
        assert eval_json(program, "x=1", "--mode", mode)["gradient"] == {"x": gradient}


# ---- where a derivative does not exist, every mode says so ----

@pytest.mark.parametrize("program, binding", [
    ("y = sqrt(x - x)", "x=2"),  # 0 x inf: the chain rule has no value
    ("y = relu(x)*sqrt(z)", "x=-1 z=0"),  # likewise: dz would be 0 x inf
])
@pytest.mark.parametrize("command", [
    ["eval"], ["eval", "--mode", "forward"], ["eval", "--mode", "paths"],
    ["explain", "--paths"], ["explain", "--steps"], ["jacobian"],
])
def test_modes_agree_where_a_partial_is_infinite(program, binding, command):
    result = assert_error([*command, program, *binding.split(), "--json"], 1)
    error = result.json()["error"]
    assert error["kind"] == "derivative" and "sqrt" in error["message"]


def test_a_partial_is_not_needed_on_an_edge_not_differentiated():
    data = eval_json("y = relu(x)*sqrt(z)", "x=2", "z=0", "--wrt", "x")
    assert data["gradient"] == {"x": 0.0}  # relu'(2) * sqrt(0)


def test_the_cone_values_match_central_differences():
    """A pruned tape computes the same function: check against a central difference."""
    program = "a1 = exp(x)*y; junk = log(-y); b = a1 + x^2"
    data = eval_json(program, "x=0.5", "y=2", "--of", "b")
    f = lambda x, y: math.exp(x) * y + x * x  # noqa: E731
    for i, name in enumerate(["x", "y"]):
        assert data["gradient"][name] == pytest.approx(central_difference(f, [0.5, 2.0], i), rel=1e-8)
