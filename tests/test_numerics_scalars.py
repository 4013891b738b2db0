"""A numpy scalar from an array op on a scalar (softmax(s), transpose(s)) is a number to every scalar op."""

from __future__ import annotations

import math

import pytest

from conftest import central_difference, run, run_json

# (program, the function by hand)
CASES = [
    ("f = abs(softmax(s))", lambda s: abs(math.exp(s) / math.exp(s))),
    ("f = sign(softmax(s))", lambda s: 1.0),
    ("f = abs(2*transpose(s))", lambda s: abs(2 * s)),
    ("f = abs(-3*transpose(s)) + sign(transpose(s))", lambda s: abs(-3 * s) + math.copysign(1.0, s)),
]


@pytest.mark.parametrize("program, by_hand", CASES)
@pytest.mark.parametrize("s", [3.0, -1.5])
def test_eval_and_jacobian(program, by_hand, s):
    expected = central_difference(by_hand, [s], 0)
    data = run_json("eval", program, f"s={s}", "--json")
    assert data["value"] == pytest.approx(by_hand(s))
    assert data["gradient"]["s"] == pytest.approx(expected, abs=1e-7)
    for mode in ("forward", "reverse"):
        jacobian = run_json("jacobian", program, f"s={s}", "--mode", mode, "--json")["jacobian"]
        assert jacobian[0][0] == pytest.approx(expected, abs=1e-7)


@pytest.mark.parametrize("program, by_hand", CASES)
def test_check_and_descend(program, by_hand):
    r = run_json("check", program, "s=3", "--json")
    assert r["ok"] is True
    r = run("descend", program, "s=3", "--steps", "2", "--json")
    assert r.code == 0, r.err


def test_gradient_of_a_zero_d_result_is_a_number_in_json():
    """transpose(sum(...)) of scalars: the gradient is 2, a JSON number (not a 0-d array)."""
    r = run_json("check", "f = transpose(sum([x, x], axis=0))", "x=1", "--json")
    assert r["inputs"]["x"]["analytic"] == pytest.approx(2.0)
