"""Bounded loops: unrolled when the program is read, so every view works on the flat tape.

The RNN sample's numbers come from backprop through time written by hand in numpy
(samples/make_rnn.py); the small cases are checked against numpy written here.
"""

from __future__ import annotations

import json
from decimal import Decimal

import numpy as np
import pytest

from conftest import SAMPLES, assert_error, run_json


def test_an_unrolled_recurrence_equals_numpy():
    text = "h[0] = h0; for t in range(3) { h[t+1] = tanh(W @ h[t] + x[t]) }; L = sum(h[3])"
    W, x, h0 = np.array([[0.5, -0.2], [0.1, 0.3]]), np.array([[1.0, 2.0], [0.5, -1.0], [2.0, 0.0]]), np.array([0.1, 0.2])
    data = run_json("eval", text, f"W={W.tolist()}", f"x={x.tolist()}", f"h0={h0.tolist()}", "--json")
    hs = [h0]
    for t in range(3):
        hs.append(np.tanh(W @ hs[-1] + x[t]))
    assert data["value"] == pytest.approx(hs[3].sum(), rel=1e-15)
    dh, dW = np.ones(2), np.zeros((2, 2))  # backprop through time by hand
    for t in range(2, -1, -1):
        dz = dh * (1 - hs[t + 1] ** 2)
        dW += np.outer(dz, hs[t])
        dh = W.T @ dz
    np.testing.assert_allclose(data["gradient"]["W"], dW, rtol=1e-13)
    np.testing.assert_allclose(data["gradient"]["h0"], dh, rtol=1e-13)


@pytest.mark.parametrize("text, value", [
    ("s[0] = x; for i in range(1, 5) { s[i] = s[i-1] * x }; f = s[4]", 2.0 ** 5),
    ("a[0] = x; for i in range(0, 6, 2) { a[i+2] = a[i] + 1 }; f = a[6]", 2.0 + 3),
    ("for i in range(2) { for j in range(3) { p[i, j] = x^(i + j) } }\n"
     "f = p[0, 0] + p[0, 1] + p[0, 2] + p[1, 0] + p[1, 1] + p[1, 2]", 1 + 2 + 4 + 2 + 4 + 8.0),
    ("for t in range(3) { y[t] = v[t] * x }; f = y[0] + y[1] + y[2]", 2.0 * (1 + 2 + 3)),
])
def test_loops_nest_step_and_index_arrays(text, value):
    data = run_json("eval", text, "x=2", "v=[1, 2, 3]", "--json") if "v[" in text else run_json("eval", text, "x=2", "--json")
    assert data["value"] == pytest.approx(value, rel=1e-15)


@pytest.mark.parametrize("text, words", [
    ("for t in range(3) { s = s + x }; f = s", "'s' would be assigned at every step"),
    ("h[0] = x; for t in range(3) { h[t+1] = h[t]*x }; f = h[5]", "h[5] is not assigned"),
    ("for t in range(n) { h[t] = x }; f = h[0]", "a loop runs over range(stop)"),
    ("for t in range(0, 3, 0) { h[t] = x }; f = h[0]", "range's step cannot be 0"),
    ("for t in [1, 2] { h[t] = x }; f = h[1]", "a loop runs over range(stop)"),
    ("for x in range(2) { h[x] = x }; f = h[1] * x", "the loop variable 'x' is already a name"),
])
def test_loop_errors_say_what_to_write(text, words):
    assert_error(["eval", text, "x=2"], 2, words)


def test_a_loop_in_a_sample_and_the_gradient_through_time():
    expected = json.loads((SAMPLES / "expected.json").read_text(), parse_float=Decimal)["rnn_bptt.grad"]
    data = run_json("explain", "--steps", "-f", str(SAMPLES / "rnn_bptt.grad"), "--json")
    norms = {s["node"]: s["gradient_norm"] for s in data["through_steps"]}
    assert [s["node"] for s in data["through_steps"]] == [f"h[{t}]" for t in range(51)]
    for name, norm in expected["through_steps"].items():
        assert norms[name] == pytest.approx(float(norm), rel=1e-5), name
