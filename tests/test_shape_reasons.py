"""Why an array rule has its form: the sentence explain --steps and derive write, and its element form.

The element form (``d_W[j,k] = Σ_i X[i,j]*d_v1[i,k]``) is read here as an einsum and evaluated
with numpy on the derived program's own values: it must equal the adjoint gradcli computed, on
the textbook cases and on random array programs.
"""

from __future__ import annotations

import random
import re

import numpy as np
import pytest

from conftest import run_json
from test_derive_arrays import every_adjoint
from test_rules_tensor import VALUES, random_program

from gradcli.analyses.derive_arrays import derive_arrays
from gradcli.autodiff.loading import load
from gradcli.core.lower import lower_text

FACTOR = re.compile(r"([A-Za-z_]\w*)(?:\[([^\]]*)\])?")


def element_value(form: str, values: dict, out_shape: tuple):
    """``d_W[j,k] = Σ_i X[i,j]*d_v1[i,k]`` (or ``.../3``) by numpy's einsum; a 0 on the left picks that index."""
    left, right = (side.strip() for side in form.split(" = "))
    right = re.sub(r"Σ_\w+ ", "", right)
    scale = 1.0
    if re.search(r"/\d+$", right):
        right, count = right.rsplit("/", 1)
        scale = 1.0 / int(count)
    operands, subscripts = [], []
    for factor in right.split("*"):
        factor = factor.strip()
        if factor.startswith("-"):
            scale, factor = -scale, factor[1:]
        name, index = FACTOR.fullmatch(factor).groups()
        operands.append(np.asarray(values[name], dtype=float))
        subscripts.append((index or "").replace(",", ""))
    name, index = FACTOR.fullmatch(left).groups()
    letters = [k for k in (index or "").split(",") if k]
    free = [k for k in letters if k != "0"]
    present = [k for k in free if any(k in sub for sub in subscripts)]
    got = np.einsum(",".join(subscripts) + "->" + "".join(present), *operands) * scale
    for position, k in enumerate(free):  # a letter only on the left: the value is copied along it
        if k not in present:
            got = np.expand_dims(got, position)
    return name, [k != "0" for k in letters], got


def assert_element_forms_hold(problem):
    result = derive_arrays(problem)
    values = every_adjoint(result)
    checked = 0
    for statement in result.backward:
        if len(statement.why) != 1 or len(statement.sources) != 1 or " + " in statement.text:
            continue  # the total of several terms: one term's element form is not the whole
        form = statement.why[0].rsplit("; ", 1)[1]
        if "∂" in form:
            continue  # a local partial named, not a value of the program
        name, free, got = element_value(form, values, statement.shape)
        want = np.asarray(values[name], dtype=float)
        want = want[tuple(slice(None) if f else 0 for f in free)] if free else want
        np.testing.assert_allclose(np.broadcast_to(got, np.shape(want)), want, rtol=1e-12, atol=1e-14,
                                   err_msg=statement.why[0])
        checked += 1
    return result, checked


def test_the_matrix_vector_product():
    result, checked = assert_element_forms_hold(load(open("samples/norm_wx.grad").read()))
    why = {s.name: s.why for s in result.backward}
    assert why["d_W"] == ["d_W is (2, 2) like W: from d_q (2,) and x (2,) only outer(d_q, x) is (2, 2); "
                          "d_W[i,j] = d_q[i]*x[j]"]
    assert why["d_x"] == ["d_x is (2,) like x: from d_q (2,) and W (2, 2) only transpose(W) @ d_q is (2,); "
                          "d_x[j] = Σ_i W[i,j]*d_q[i]"]
    assert checked == 3


def test_a_layer_with_a_bias():
    problem = load("h = X @ W + b; f = sum(h*h)", ["X=[[1,2],[3,4],[0.5,1],[2,1]]", "W=[[1,0,1],[0,1,1]]",
                                                  "b=[0.1,0.2,0.3]"])
    result, checked = assert_element_forms_hold(problem)
    why = {s.name: s.why for s in result.backward}
    assert why["d_b"] == ["b (3,) was broadcast to (4, 3) in h: each copy's gradient adds up, summed over "
                          "axis 0; d_b[j] = Σ_i d_h[i,j]"]
    assert why["d_W"][0].startswith("d_W is (2, 3) like W: from d_v1 (4, 3) and X (4, 2) only "
                                    "transpose(X) @ d_v1 is (2, 3)")
    assert checked == 4


@pytest.mark.parametrize("program, bindings", [
    ("f = sum(mean(S, 1))", ["S=[[1, 2, 3], [4, 5, 6]]"]),
    ("f = sum(outer(a, b) * C)", ["a=[1, 2]", "b=[3, 4, 5]", "C=[[1, 0, 2], [0.5, 1, 3]]"]),
    ("f = sum(a @ B * c)", ["a=[1, 2]", "B=[[1, 2, 3], [4, 5, 6]]", "c=[0.5, 1, 2]"]),
    ("f = sum((A @ B) * C)", ["A=[[1, 2], [3, 4]]", "B=[[1, 0, 2], [0, 1, 1]]", "C=[[1, 2, 3], [4, 5, 6]]"]),
    ("f = sum((x + c) * W)", ["x=[[1], [2]]", "c=[1, 2, 3]", "W=[[1, 2, 3], [4, 5, 6]]"]),
])
def test_textbook_cases(program, bindings):
    _, checked = assert_element_forms_hold(load(program, bindings))
    assert checked >= 1


@pytest.mark.parametrize("seed", range(30))
def test_random_array_programs(seed):
    text = random_program(random.Random(seed))
    assert_element_forms_hold(load(text, [v for v in VALUES if v.split("=")[0] in lower_text(text).input_names()]))


def test_steps_json_has_the_reason():
    data = run_json("explain", "--steps", "-f", "samples/norm_wx.grad", "--json")
    q = next(s for s in data["steps"] if s["node"] == "q")
    assert q["operands"][0]["why"].endswith("dW[i,j] = dq[i]*x[j]")
