"""`gradcli check` on arrays flags kinks and ties element by element, as the scalar check does.

At a kink the central difference is not a derivative: relu at 0 gives (h - 0)/(2h) = 1/2
against the convention relu'(0) = 0, abs at 0 gives 0, a tied max gives each tied element
1/2.  Such an element is "kink" (exit 0); the elements whose step reaches no kink are
checked as usual, and a real disagreement still fails.
"""

from __future__ import annotations

import sys

import pytest

from conftest import run

H = sys.float_info.epsilon ** (1 / 3)  # check's default step for |x| <= 1


def check_json(*args):
    result = run("check", *args, "--json")
    return result.code, result.json()["inputs"]


@pytest.mark.parametrize("program, binding, kinks, numeric", [
    # relu at 0: (relu(h) - relu(-h)) / 2h = 1/2; at 1e-7 the step straddles 0
    ("y = sum(relu(x))", "x=[0, 1e-7, 1]", {"x[0]": 0.5, "x[1]": (1e-7 + H) / (2 * H)},
     {"x[2]": 1.0}),
    ("y = sum(abs(x))", "x=[0, 2, -1]", {"x[0]": 0.0}, {"x[1]": 1.0, "x[2]": -1.0}),
    ("y = max(x)", "x=[1, 1, 0.5]", {"x[0]": 0.5, "x[1]": 0.5}, {"x[2]": 0.0}),
    ("y = sum(max(S, axis=1))", "S=[[1, 1, 0], [0, 2, 3]]", {"S[0,0]": 0.5, "S[0,1]": 0.5},
     {"S[0,2]": 0.0, "S[1,1]": 0.0, "S[1,2]": 1.0}),
    ("y = sum(min(S, axis=0))", "S=[[1, 4], [1, 3]]", {"S[0,0]": 0.5, "S[1,0]": 0.5}, {"S[0,1]": 0.0, "S[1,1]": 1.0}),
    ("y = sum(max(x, [1, 0]))", "x=[1, 5]", {"x[0]": 0.5}, {"x[1]": 1.0}),  # an elementwise tie
])
def test_kinks_and_ties_are_flagged_element_by_element(program, binding, kinks, numeric):
    code, inputs = check_json(program, binding)
    assert code == 0
    for label, slope in kinks.items():
        assert inputs[label]["status"] == "kink" and inputs[label]["kink"], label
        assert inputs[label]["numeric"] == pytest.approx(slope, rel=1e-6, abs=1e-9), label
    for label, slope in numeric.items():
        assert inputs[label]["status"] == "pass" and inputs[label]["kink"] is None, label
        assert inputs[label]["numeric"] == pytest.approx(slope, rel=1e-6, abs=1e-9), label


def test_the_table_says_why():
    result = run("check", "y = sum(relu(x))", "x=[0, 1e-7, 1]")
    assert result.code == 0, result.err
    assert "kink: not a derivative (x[0]: relu(x) sits at a kink)" in result.out
    assert "kink: not a derivative (x[1]: relu(x) has a kink within the step)" in result.out


def test_only_elements_whose_step_reaches_the_kink_are_flagged():
    """w's step moves the product, not relu's operand: w[0] is checked (slope relu(0) = 0)."""
    code, inputs = check_json("y = sum(relu(x) * w)", "x=[0, 2]", "w=[3, 4]")
    assert code == 0
    assert inputs["x[0]"]["status"] == "kink"
    assert [inputs[k]["status"] for k in ("x[1]", "w[0]", "w[1]")] == ["pass"] * 3
    assert inputs["w[1]"]["numeric"] == pytest.approx(2.0, rel=1e-9)


def test_a_real_disagreement_still_fails():
    """x^3 at 2 with h = 0.1: (2.1^3 - 1.9^3)/0.2 = 12.01, not 12: no kink excuses it."""
    result = run("check", "y = sum(relu(x)^3)", "x=[2, 0]", "--eps", "0.1", "--json")
    assert result.code == 1
    inputs = result.json()["inputs"]
    assert inputs["x[0]"]["status"] == "fail" and inputs["x[0]"]["numeric"] == pytest.approx(12.01, rel=1e-9)
    assert inputs["x[1]"]["status"] == "kink"
