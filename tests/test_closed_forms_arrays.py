"""Closed forms of array programs' gradients: The Matrix Cookbook's identities, and random programs.

Each closed form (with its "where" definitions) is evaluated by gradcli as a program of its own
and compared with the reverse sweep's gradient; the Cookbook's first-order identities for the ops
gradcli has are also checked as written (the text a student reads).
"""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from conftest import run, run_json
from test_rules_tensor import VALUES, random_program

from gradcli.analyses.derive_arrays import closed_forms, derive_arrays
from gradcli.autodiff.gradient import evaluate
from gradcli.autodiff.loading import load
from gradcli.autodiff.sweeps import Plan
from gradcli.core.lower import lower_text

RNG = np.random.default_rng(11)


def binding(name, v) -> str:
    return f"{name}={json.dumps(np.asarray(v).tolist())}"


def closed_value(result, name: str, bindings: list[str]):
    """The closed form of d(output)/d(name), evaluated by gradcli with its "where" definitions."""
    lines = [f"{n} = {t}" for n, t in result.where.items()] + [f"closed_ = {result.closed_form[name]}"]
    problem = load("\n".join(lines), [b for b in bindings if b.split("=")[0] in lower_text("\n".join(lines)).names],
                   of="closed_")
    return Plan.of(problem).values(problem.input_values())[problem.output_index]


def assert_closed_forms_agree(problem, bindings):
    result = closed_forms(derive_arrays(problem))
    sweep = evaluate(problem).gradient
    for name, text in result.closed_form.items():
        if text is not None:
            got = closed_value(result, name, bindings)
            np.testing.assert_allclose(np.broadcast_to(got, np.shape(sweep[name])), sweep[name], rtol=1e-10,
                                       atol=1e-12, err_msg=f"d/d{name} = {text}")
    return result


A, B = RNG.uniform(-1, 1, (3, 3)), RNG.uniform(-1, 1, (3, 2))
X2, x3 = RNG.uniform(-1, 1, (3, 2)), RNG.uniform(-1, 1, 3)
SPD = A @ A.T + 3 * np.eye(3)
Y = np.eye(3)[[0, 2, 1]]

COOKBOOK = [  # (program, bindings, input, the closed form as written, "where" definitions)
    ("q = W @ x; f = sum(q*q)", {"W": A, "x": x3}, "W", "2*outer(q, x)", {"q": "W @ x"}),
    ("q = W @ x; f = sum(q*q)", {"W": A, "x": x3}, "x", "2*(transpose(W) @ q)", {"q": "W @ x"}),
    ("f = x @ A @ x", {"x": x3, "A": A}, "x", "x @ A + x @ transpose(A)", {}),  # (A + A^T) x
    ("f = x @ A @ x", {"x": x3, "A": A}, "A", "outer(x, x)", {}),  # x x^T
    ("f = a @ X @ b", {"a": x3, "X": B, "b": RNG.uniform(-1, 1, 2)}, "X", "outer(a, b)", {}),  # a b^T
    ("f = sum((A@X - B)^2)", {"A": A, "X": X2, "B": B}, "X", "2*(transpose(A) @ v2)", {"v2": "A @ X - B"}),
    ("f = log(det(X))", {"X": SPD}, "X", "transpose(inv(X))", {}),  # X^-T
    ("f = trace(A @ X)", {"A": A, "X": SPD}, "X", "transpose(A)", {}),
    ("S = X @ W + b; L = mean(logsumexp(S, 1) - sum(S*Y, 1))", {"X": X2, "W": RNG.uniform(-1, 1, (2, 3)),
                                                                "b": x3, "Y": Y},
     "W", "(transpose(X) @ (softmax(S, 1) - Y))/3", {"S": "X @ W + b"}),  # X^T (P - Y)/N
    ("S = X @ W + b; L = mean(logsumexp(S, 1) - sum(S*Y, 1))", {"X": X2, "W": RNG.uniform(-1, 1, (2, 3)),
                                                                "b": x3, "Y": Y},
     "b", "sum(softmax(S, 1) - Y, 0)/3", {"S": "X @ W + b"}),  # the bias: summed over the batch
]


@pytest.mark.parametrize("program, values, name, expected, where", COOKBOOK,
                         ids=[f"{c[0]}:d/d{c[2]}" for c in COOKBOOK])
def test_the_matrix_cookbook(program, values, name, expected, where):
    bindings = [binding(n, v) for n, v in values.items()]
    result = assert_closed_forms_agree(load(program, bindings), bindings)
    assert result.closed_form[name] == expected
    assert {n: result.where[n] for n in where} == where


@pytest.mark.parametrize("seed", range(40))
def test_random_array_programs(seed):
    text = random_program(random.Random(seed))
    bindings = [v for v in VALUES if v.split("=")[0] in lower_text(text).input_names()]
    result = assert_closed_forms_agree(load(text, bindings), bindings)
    assert any(form is not None for form in result.closed_form.values())


def test_common_subexpressions_are_named_once():
    bindings = ["W=[[1, 2], [3, 4]]", "x=[1, -1]"]
    result = assert_closed_forms_agree(load("f = sum(sigmoid(W @ x))", bindings), bindings)
    assert result.where == {"v1": "W @ x", "v2": "sigmoid(v1)"}
    assert result.closed_form["W"] == "outer(v2*sigmoid(-v1), x)"


def test_relus_slope_is_a_mask():
    bindings = ["W=[[1, 2], [3, 4]]", "x=[1, -1]"]
    result = assert_closed_forms_agree(load("f = sum(relu(W @ x))", bindings), bindings)
    assert result.closed_form["x"] == "transpose(W) @ (v1 > 0)"


def test_a_long_program_says_its_closed_forms_are_too_large():
    done = run("derive", "-f", "samples/rnn_bptt.grad", "--closed-form")
    assert done.code == 0
    assert "dL/dWhh: more than 120 nodes written out; the program below computes it as d_Whh" in done.out
    assert "d_Whh = " in done.out  # the program follows
    tex = run("derive", "-f", "samples/rnn_bptt.grad", "--closed-form", "--latex")
    assert tex.code == 0 and "% dL/dWhh: more than 120 nodes written out" in tex.out
    assert r"\frac{\partial L}{\partial \mathit{Whh}} &= " in tex.out  # the statements follow


def test_the_command_line():
    out = run("derive", "-f", "samples/norm_wx.grad", "--closed-form").out
    assert out.splitlines() == ["df/dW = 2*outer(q, x)", "df/dx = 2*(transpose(W) @ q)", "where", "  q = W @ x"]
    tex = run("derive", "-f", "samples/norm_wx.grad", "--closed-form", "--latex").out
    assert r"\frac{\partial f}{\partial W} &= 2 q x^\top \\" in tex and r"q &= W x" in tex
    data = run_json("derive", "-f", "samples/norm_wx.grad", "--json")
    assert data["closed_form"] == {"W": "2*outer(q, x)", "x": "2*(transpose(W) @ q)"}
    assert data["where"] == {"q": "W @ x"}
    statements = {s["name"]: s for s in data["statements"]}
    assert statements["d_W"]["shape"] == [2, 2] and statements["d_W"]["from"] == ["q = W@x"]


@pytest.mark.parametrize("program, values, adjoint, rule", [
    ("S = X @ W + b; L = mean(logsumexp(S, 1) - sum(S*Y, 1))",
     {"X": X2, "W": RNG.uniform(-1, 1, (2, 3)), "b": x3, "Y": Y}, "d_S", "(softmax(S, 1) - Y)/3"),
    ("z = X @ w + b; p = sigmoid(z); L = mean(-(y*log(p) + (1 - y)*log(1 - p)))",
     {"X": X2, "w": RNG.uniform(-1, 1, 2), "b": 0.1, "y": [1.0, 0.0, 1.0]}, "d_z", "(sigmoid(z) - y)/3"),
])
def test_fused_rules_equal_the_staged_adjoints(program, values, adjoint, rule):
    """softmax with cross-entropy gives (p - y)/N, sigmoid with binary cross-entropy sigmoid(z) - y:
    the staged statements' closed form, shown beside them and checked equal at the point."""
    from gradcli.analyses.derive_arrays import check_fused

    bindings = [binding(n, v) for n, v in values.items()]
    result = check_fused(closed_forms(derive_arrays(load(program, bindings))))
    shown, difference = result.fused[adjoint]
    assert shown == rule and difference <= 1e-15
    assert f"#   fused: {adjoint} = {rule}" in run("derive", program, *bindings).out
    data = run_json("derive", program, *bindings, "--json")
    assert data["fused"][adjoint]["rule"] == rule


@pytest.mark.parametrize("program, bindings", [  # fuzzer findings: each derived and read back
    ("f = sum(where(W > 0, W, -2.0))", ["W=[[0.441]]"]),  # a comparison of a comparison, parenthesized
    ("f = sum(stop_gradient(W) * W)", ["W=[[0.7], [1.0], [-1.0]]"]),  # a coefficient of 0
    ("f = mean(exp(x) / sum(exp(x)))", ["x=[1.8, -0.016]"]),
    ("f = sum(W[1:, None])", ["W=[[-1.2, -1.0, -0.9]]"]),
])
def test_fuzzer_findings(program, bindings):
    assert_closed_forms_agree(load(program, bindings), bindings)
    assert run("derive", program, *bindings, "--closed-form").code == 0
