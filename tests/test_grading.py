"""check --against: a hand-written backward pass graded adjoint by adjoint, the slip named.

A two-layer network (affine, tanh, affine, softmax cross-entropy) with its correct backward pass,
and versions with one seeded slip each: the slip is caught at the adjoint where it is made, named,
and what depends on it is marked rather than reported again.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import assert_error, run, run_json

RNG = np.random.default_rng(5)
VALUES = {"X": RNG.uniform(-1, 1, (4, 3)), "W1": RNG.uniform(-1, 1, (3, 5)), "b1": RNG.uniform(-1, 1, 5),
          "W2": RNG.uniform(-1, 1, (5, 3)), "b2": RNG.uniform(-1, 1, 3), "Y": np.eye(3)[[0, 2, 1, 2]]}
BINDINGS = [f"{k}={json.dumps(v.tolist())}" for k, v in VALUES.items()]
NET = "h = X @ W1 + b1; a = tanh(h); s = a @ W2 + b2; L = mean(logsumexp(s, 1) - sum(s*Y, 1))"
CORRECT = {
    "d_s": "(softmax(s, 1) - Y)/4",
    "d_W2": "transpose(a) @ d_s",
    "d_b2": "sum(d_s, 0)",
    "d_a": "d_s @ transpose(W2)",
    "d_h": "d_a * (1 - a^2)",
    "d_W1": "transpose(X) @ d_h",
    "d_b1": "sum(d_h, 0)",
}


def backward(**slips) -> str:
    return "; ".join(f"{name} = {slips.get(name, text)}" for name, text in CORRECT.items())


def grade(text: str, code: int) -> dict:
    return run_json("check", NET, *BINDINGS, "--against", text, "--json", code=code)


def test_the_correct_backward_pass_passes_at_every_point():
    data = grade(backward(), 0)
    assert data["ok"] and data["first_wrong"] is None and data["points"] == 4
    names = [a["name"] for a in data["adjoints"]]
    assert names[:3] == ["d_s", "d_a", "d_h"] and sorted(names[3:]) == ["d_W1", "d_W2", "d_b1", "d_b2"]
    assert all(a["verdict"] == "good" and a["rel_error"] < 1e-12 for a in data["adjoints"])


@pytest.mark.parametrize("slips, first, slip", [
    ({"d_s": "softmax(s, 1) - Y"}, "d_s", "constant-factor"),  # the 1/N forgotten
    ({"d_s": "softmax(s, 1)/4"}, "d_s", "missing-fork-contribution"),  # s feeds logsumexp and s*Y
    ({"d_h": "-d_a * (1 - a^2)"}, "d_h", "sign"),
    ({"d_W2": "transpose(d_s) @ a"}, "d_W2", "missing-transpose"),  # (3, 5) for (5, 3)
    ({"d_b2": "d_s"}, "d_b2", "bias-not-summed"),  # (4, 3) for (3,)
    ({"d_a": "sum(d_s @ transpose(W2), 0)"}, "d_a", "wrong-shape"),  # (5,) for (4, 5)
    ({"d_h": "d_a * (1 - h^2)"}, "d_h", "wrong-local-derivative"),  # tanh's slope of the input, not the output
    ({"d_h": "d_a * (1 - tanh(a)^2)"}, "d_h", "no-known-slip"),
])
def test_each_seeded_slip_is_caught_where_it_is_made(slips, first, slip):
    data = grade(backward(**slips), 1)
    assert data["first_wrong"] == first
    wrong = {a["name"]: a for a in data["adjoints"]}
    assert wrong[first]["slip"] == slip and not wrong[first]["ok"]
    downstream = {"d_s": ["d_a", "d_W2", "d_b2"], "d_h": ["d_W1", "d_b1"]}.get(first, [])
    for name in downstream:
        assert wrong[name]["verdict"] == "depends-on-wrong"


def test_accumulation_at_a_fork():
    text = backward(d_s="softmax(s, 1)/4; d_s += -Y/4")  # staged: each consumer's share added in turn
    assert grade(text, 0)["ok"]
    late = backward(d_s="softmax(s, 1)/4") + "; d_s += -Y/4"  # added after d_a read it: d_a is wrong
    assert grade(late, 1)["first_wrong"] == "d_a"


def test_values_from_a_file(tmp_path):
    h = VALUES["X"] @ VALUES["W1"] + VALUES["b1"]
    a = np.tanh(h)
    s = a @ VALUES["W2"] + VALUES["b2"]
    p = np.exp(s - s.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    np.save(tmp_path / "dW2.npy", a.T @ (p - VALUES["Y"]) / 4)  # numpy's own backward pass, by hand
    data = run_json("check", NET, *BINDINGS, "--against", f"d_W2 = @{tmp_path / 'dW2.npy'}", "--json",
                    "--points", "0")
    assert data["ok"] and data["adjoints"][0]["rel_error"] < 1e-12


def test_a_one_statement_formula_and_the_table():
    out = run("check", "-f", "samples/norm_wx.grad", "--against", "d_W = 2*(W @ x) @ transpose([x])").out
    assert "every adjoint agrees" in out or "wrong" in out
    assert run("check", "-f", "samples/norm_wx.grad", "--against", "d_W = 2*outer(W @ x, x)").code == 0


@pytest.mark.parametrize("text, words", [
    ("d_zz = 1", "the program has no zz"),
    ("W = 1", "is not d_NAME = expression"),
    ("", "no statement"),
])
def test_a_backward_pass_that_does_not_read_is_exit_2(text, words):
    assert_error(["check", NET, *BINDINGS, "--against", text], 2, words)


def test_finite_difference_options_do_not_go_with_against():
    assert_error(["check", NET, *BINDINGS, "--against", backward(), "--eps", "0.1"], 2, "--eps does not go")


def test_the_samples_backward_passes():
    """samples/: CS231n's sigmoid gate and the two-layer network, each correct and with a slip."""
    ok = run_json("check", "-f", "samples/sigmoid_gate.grad", "--against", "@samples/sigmoid_gate.backward", "--json")
    assert ok["ok"] and len(ok["adjoints"]) == 6
    slip = run_json("check", "-f", "samples/sigmoid_gate.grad", "--against", "@samples/sigmoid_gate_slip.backward",
                    "--json", code=1)
    assert slip["first_wrong"] == "d_dot" and slip["adjoints"][0]["slip"] == "wrong-local-derivative"
    spirals = [f"{n}=@samples/spirals_{n}.npy" for n in ("X", "Y", "W1", "b1", "W2", "b2")]
    net = ["check", "-f", "samples/two_layer.grad", *spirals, "--wrt", "W1,b1,W2,b2", "--json"]
    assert run_json(*net, "--against", "@samples/two_layer.backward")["ok"]
    wrong = run_json(*net, "--against", "@samples/two_layer_slip.backward", code=1)
    d_b1 = next(a for a in wrong["adjoints"] if a["name"] == "d_b1")
    assert wrong["first_wrong"] == "d_b1" and d_b1["slip"] == "bias-not-summed"


MAKEMORE = open("samples/makemore_net.backward").read()


def slipped(old: str, new: str) -> str:
    assert old in MAKEMORE, old
    return MAKEMORE.replace(old, new)


@pytest.mark.parametrize("backward, first, slip", [
    (slipped("d_bndiff += 2 * bndiff * d_bndiff2\n", ""), "d_bndiff", "missing-fork-contribution"),  # = for +=
    (slipped("d_W1 = transpose(emb) @ d_hprebn", "d_W1 = transpose(d_hprebn) @ emb"), "d_W1", "missing-transpose"),
    (slipped("d_b2 = sum(d_logits, 0)", "d_b2 = d_logits"), "d_b2", "bias-not-summed"),
    (slipped("d_bnmeani = -sum(", "d_bnmeani = sum("), "d_bnmeani", "sign"),
    (slipped("d_logprobs = -Y / 4", "d_logprobs = -Y"), "d_logprobs", "constant-factor"),  # the 1/N
    (slipped("d_hpreact = d_h * (1 - h^2)", "d_hpreact = d_h * (1 - hpreact^2)"), "d_hpreact",
     "wrong-local-derivative"),
    (slipped("d_bngain = sum(bnraw * d_hpreact, 0, keepdims=True)", "d_bngain = sum(bnraw * d_hpreact, 0)"),
     "d_bngain", "wrong-shape"),  # (4,) for (1, 4)
    (slipped("d_h = d_logits @ transpose(W2)", "d_h = d_logits @ transpose(W2) * 2"), "d_h", "constant-factor"),
])
def test_a_makemore_network_each_slip_caught_where_it_is_made(backward, first, slip):
    """Karpathy's makemore exercise: each seeded slip is the first wrong adjoint, named; what reads it is
    marked as depending on it."""
    data = run_json("check", "-f", "samples/makemore_net.grad", "--against", backward, "--json", code=1)
    adjoints = {a["name"]: a for a in data["adjoints"]}
    assert data["first_wrong"] == first and adjoints[first]["slip"] == slip
    readers = [a for a in data["adjoints"] if a["verdict"] == "depends-on-wrong"]
    assert all(not a["ok"] for a in readers)


def test_the_makemore_backward_pass_passes():
    data = run_json("check", "-f", "samples/makemore_net.grad", "--against", "@samples/makemore_net.backward",
                    "--points", "4", "--json")
    assert data["ok"] and data["points"] == 5 and len(data["adjoints"]) == 19
    slip = run_json("check", "-f", "samples/makemore_net.grad", "--against", "@samples/makemore_net_slip.backward",
                    "--json", code=1)
    assert slip["first_wrong"] == "d_bndiff"
    assert next(a for a in slip["adjoints"] if a["name"] == "d_bndiff")["slip"] == "missing-fork-contribution"
