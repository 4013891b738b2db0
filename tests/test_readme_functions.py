"""The README's table of numpy's functions tells the truth: each gradcli spelling runs, and its
gradient equals central differences of its own forward pass, element by element."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from conftest import ROOT
from gradcli.autodiff.gradient import evaluate
from gradcli.autodiff.loading import load
from gradcli.autodiff.sweeps import Plan

HEADING = "#### numpy's functions, beside autograd, JAX and PyTorch"
_rng = np.random.default_rng(3)
_M = _rng.uniform(-1, 1, (3, 3))
VALUES = {  # as the README's words above the table say
    "x": _rng.uniform(0.2, 0.9, (2, 3)), "v": _rng.uniform(0.2, 0.9, 3), "A": _M @ _M.T + 3 * np.eye(3),
    "B": _M, "img": _rng.uniform(-1, 1, (1, 2, 5, 5)), "k": _rng.uniform(-1, 1, (3, 2, 3, 3)),
}
LABELS = {"y": [2, 0]}


def rows():
    text = (ROOT / "README.md").read_text()
    table = text[text.index(HEADING):].split("\n\n")[2]
    for line in table.splitlines()[2:]:
        numpy_cell, gradcli_cell = (c.strip() for c in line.strip("|").split("|")[:2])
        yield pytest.param(gradcli_cell.strip("`"), id=numpy_cell.replace("`", "")[:40])


def test_the_table_is_there():
    assert len(list(rows())) >= 40


@pytest.mark.parametrize("expr", list(rows()))
def test_each_spelling_runs_with_the_right_gradient(expr):
    used = set(re.findall(r"[A-Za-z_]\w*", expr))
    bound = {n: v for n, v in VALUES.items() if n in used}
    bindings = [f"{n}={json.dumps(v.tolist())}" for n, v in bound.items()]
    bindings += [f"{n}={json.dumps(v)}" for n, v in LABELS.items() if n in used]
    result = evaluate(load(f"f = sum(sin({expr}))", bindings))
    if "stop_gradient(x)" in expr:  # differences see through the cut: difference x * c, c = x held fixed
        expr = expr.replace("stop_gradient(x)", "c")
        bindings.append(f"c={json.dumps(bound['x'].tolist())}")
    problem = load(f"f = sum(sin({expr}))", bindings)
    plan = Plan.of(problem)

    def f(name, value):
        return plan.values(problem.input_values({name: value}))[problem.output_index]

    assert np.isfinite(result.value)
    for name, value in bound.items():
        expected = np.empty(value.shape)
        for i in np.ndindex(value.shape):
            h = 1e-6 * max(1.0, abs(value[i]))
            up, down = value.copy(), value.copy()
            up[i] += h
            down[i] -= h
            expected[i] = (f(name, up) - f(name, down)) / (2 * h)
        np.testing.assert_allclose(result.gradient[name], expected, rtol=1e-5, atol=1e-6, err_msg=name)
