"""Closed forms written as a person writes them (core/canonical.py): the examples users reported.

Each expected form is the one a calculus student writes; each is also evaluated against the
reverse sweep's gradient at a point, so a simplification can never change the value.
"""

from __future__ import annotations

import pytest

from conftest import run, run_json

CASES = [  # program, point, input, the closed form
    ("c = a + b; d = b + 1; e = c*d", ["a=2", "b=1"], "b", "a + 2*b + 1"),  # Olah's de/db
    ("f = sqrt(x^2 + y^2)", ["x=3", "y=4"], "x", "x/sqrt(x^2 + y^2)"),
    ("z = w1*x1 + w2*x2 + b; L = -(y*log(sigmoid(z)) + (1 - y)*log(1 - sigmoid(z)))",
     ["w1=0.5", "x1=2", "w2=-1", "x2=0.3", "b=0.1", "y=1"], "w1", "(sigmoid(w1*x1 + w2*x2 + b) - y)*x1"),
    ("f = relu(w*x)", ["w=2", "x=3"], "w", "(w*x > 0)*x"),  # relu's slope as a mask
    ("f = x/(2*sqrt(u))*2", ["x=1.5", "u=4"], "u", "-x/(2*u^1.5)"),
    ("y = log(x1) + x1*x2 - sin(x2)", ["x1=2", "x2=5"], "x1", "x2 + 1/x1"),
]


@pytest.mark.parametrize("program, point, name, expected", CASES, ids=[c[3] for c in CASES])
def test_closed_forms_are_simplified(program, point, name, expected):
    forms = run_json("derive", program, "--json")["closed_form"]
    assert forms[name] == expected
    closed = run_json("eval", f"g = {expected}", *[p for p in point if p.split("=")[0] in expected], "--json")
    assert closed["value"] == pytest.approx(run_json("eval", program, *point, "--json")["gradient"][name], rel=1e-12)


def test_the_sigmoid_neurons_hessian_has_no_square_of_a_square():
    out = run("hessian", "-f", "samples/sigmoid_neuron.grad", "--closed-form").out
    assert ")^2)^2" not in out and "d²f/dx0²" in out


def test_numbers_leave_a_sum_that_is_a_base():
    """(2e + 2) e^2 / (e + 1)^4 is 2 e^2/(e + 1)^3: the 2 leaves the sum, then the powers of e + 1 merge."""
    forms = run_json("derive", "f = 1/(1 + exp(x))^2", "--json")["closed_form"]
    assert forms["x"] == "-2*exp(x)/(exp(x) + 1)^3"
