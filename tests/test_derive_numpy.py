"""derive --numpy: the generated Python runs in a separate process and gives the sweep's numbers.

Every op of the table (the cases of test_array_ops.py) and random array programs are derived,
written as numpy code, and run by one ``python`` process over all of them; each function's
value and gradient are compared with gradcli's reverse sweep.  Ops with no short numpy form
are refused by name (and only those).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys

import numpy as np
import pytest

from test_array_ops import cases
from test_derive_arrays import op_problem
from test_rules_tensor import VALUES, random_program

from gradcli.analyses.derive import derive
from gradcli.analyses.derive_arrays import derive_arrays
from gradcli.autodiff.gradient import evaluate
from gradcli.autodiff.loading import load
from gradcli.core.lower import lower_text
from gradcli.render.derive_view import derive_numpy
from gradcli.render.numpy_code import _UNWRITTEN
from gradcli.support.errors import UsageError

RUNNER = """
import json, runpy, sys
import numpy as np
out = []
for path, args in json.load(open(sys.argv[1])):
    try:
        ns = runpy.run_path(path)
        f, grad = ns["forward_backward"](**{k: np.array(v) if isinstance(v, list)
                                            else np.float64(v) if isinstance(v, float) else v
                                            for k, v in args.items()})
        out.append([float(f), {k: np.asarray(g, dtype=float).tolist() for k, g in grad.items()}])
    except Exception as exc:
        out.append(["error", f"{path}: {type(exc).__name__}: {exc}"])
json.dump(out, open(sys.argv[2], "w"))
"""


def problems():
    for param in cases():
        op, shapes, params = param.values
        if op.name in _UNWRITTEN or params == ((), "C", None):
            continue
        yield pytest.param(("op", op, shapes, params), id=param.id)
    for seed in range(20):
        yield pytest.param(("random", seed), id=f"random-{seed}")


def build(spec):
    if spec[0] == "op":
        return op_problem(*spec[1:])
    text = random_program(random.Random(spec[1]))
    return load(text, [v for v in VALUES if v.split("=")[0] in lower_text(text).input_names()])


def run_all(problems_, tmp_path):
    jobs, expected = [], []
    for k, problem in enumerate(problems_):
        result = derive_arrays(problem) if problem.arrays else derive(problem)
        path = tmp_path / f"case{k}.py"
        path.write_text(derive_numpy(result))
        args = {name: np.asarray(v, dtype=int if name in problem.integers else float).tolist() if np.ndim(v)
                else int(v) if name in problem.integers else float(v) for name, v in problem.values.items()}
        jobs.append([str(path), args])
        expected.append(evaluate(problem))
    (tmp_path / "jobs.json").write_text(json.dumps(jobs))
    (tmp_path / "runner.py").write_text(RUNNER)
    subprocess.run([sys.executable, str(tmp_path / "runner.py"), str(tmp_path / "jobs.json"),
                    str(tmp_path / "out.json")], check=True, cwd=tmp_path)
    return expected, json.loads((tmp_path / "out.json").read_text())


def test_every_op_and_random_programs_in_numpy(tmp_path):
    specs = [p.values[0] for p in problems()]
    built = [(spec, problem) for spec in specs for problem in [_or_none(spec)] if problem is not None]
    expected, got = run_all([problem for _, problem in built], tmp_path)
    assert len(got) == len(built) > 380
    assert [r[1] for r in got if r[0] == "error"] == []
    for (spec, problem), sweep, (f, grad) in zip(built, expected, got):
        np.testing.assert_allclose(f, sweep.value, rtol=1e-12, atol=1e-14, err_msg=str(spec))
        for name, g in sweep.gradient.items():
            np.testing.assert_allclose(np.reshape(grad[name], np.shape(g)), g, rtol=1e-11, atol=1e-13,
                                       err_msg=f"{spec} {name}")


def _or_none(spec):
    try:
        return build(spec)
    except pytest.skip.Exception:
        return None


def test_scalar_programs_too(tmp_path):
    """The ng chain: J = 3(a + bc) at a=5, b=3, c=2 gives dJ/da = 3, dJ/db = 6, dJ/dc = 9."""
    problem = load("u = b*c; v = a + u; J = 3*v", ["a=5", "b=3", "c=2"])
    _, got = run_all([problem], tmp_path)
    assert got == [[33.0, {"a": 3.0, "b": 6.0, "c": 9.0}]]


def test_the_code_reads_like_the_derivation():
    code = derive_numpy(derive_arrays(load(open("samples/norm_wx.grad").read())))
    assert "def forward_backward(W, x):" in code
    assert "    d_W = np.outer(d_q, x)\n" in code and "    d_x = np.transpose(W) @ d_q\n" in code
    assert "    return f, {'W': d_W, 'x': d_x}\n" in code


def test_helpers_are_written_only_when_used():
    code = derive_numpy(derive_arrays(load("f = sum(sigmoid(W @ x))", ["W=[[1, 2], [3, 4]]", "x=[0.5, -1]"])))
    assert "def sigmoid(x):" in code and "def softmax" not in code


@pytest.mark.parametrize("program", ["f = sum(conv2d(X, K))"])
def test_ops_without_a_short_numpy_form_are_refused_by_name(program):
    problem = load(program, ["X=" + json.dumps(np.ones((1, 1, 3, 3)).tolist()),
                             "K=" + json.dumps(np.ones((1, 1, 2, 2)).tolist())])
    with pytest.raises(UsageError, match="does not write conv2d"):
        derive_numpy(derive_arrays(problem))
