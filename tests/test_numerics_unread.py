"""An input with a value that the output does not read: its derivative is 0, listed in every mode."""

from __future__ import annotations

import math

import pytest

from conftest import run, run_json

PROGRAM = "L = cosh(tanh(theta)); z2 = d+L; t3 = L - a"
BINDINGS = ("a=1", "d=2", "theta=1")


def dz2_dtheta(theta: float) -> float:
    """d cosh(tanh(theta)) / d theta by hand: sinh(tanh) * (1 - tanh^2)."""
    t = math.tanh(theta)
    return math.sinh(t) * (1 - t * t)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_eval_lists_the_unread_input_as_zero(mode):
    r = run_json("eval", PROGRAM, *BINDINGS, "--of", "z2", "--mode", mode, "--json")
    gradient = r["gradient"]
    assert list(gradient) == ["a", "d", "theta"]
    assert gradient["a"] == 0.0 and gradient["d"] == 1.0
    assert gradient["theta"] == pytest.approx(dz2_dtheta(1.0))
    table = run("eval", PROGRAM, *BINDINGS, "--of", "z2", "--mode", mode)
    assert "dz2/da = 0 (z2 does not read a)" in table.out


def test_forward_mode_spends_no_pass_on_it():
    assert run_json("eval", PROGRAM, *BINDINGS, "--of", "z2", "--mode", "forward", "--json")["passes"] == 2


def test_wrt_the_unread_input():
    r = run_json("eval", PROGRAM, *BINDINGS, "--of", "z2", "--wrt", "a", "--json")
    assert r["gradient"] == {"a": 0.0}


@pytest.mark.parametrize("of", ["z2", "t3"])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_jacobian_has_the_same_columns_whichever_output(of, mode):
    r = run_json("jacobian", PROGRAM, *BINDINGS, "--of", of, "--mode", mode, "--json")
    assert r["inputs"] == ["a", "d", "theta"]
    row = r["jacobian"][0]
    expected = [0.0, 1.0, dz2_dtheta(1.0)] if of == "z2" else [-1.0, 0.0, dz2_dtheta(1.0)]
    assert row == pytest.approx(expected)


def test_array_input_unread_is_zeros():
    r = run_json("eval", "z2 = sum(d); t3 = -a", "a=[1,2]", "d=[2,3]", "--of", "z2", "--mode", "forward", "--json")
    assert r["gradient"]["a"] == [0.0, 0.0]
    assert r["passes"] == 2


def test_data_rows_list_it(tmp_path):
    data = tmp_path / "rows.csv"
    data.write_text("a,d,theta\n1,2,3\n4,5,6\n")
    r = run("eval", PROGRAM, "--of", "z2", "--data", str(data), "--json")
    assert r.code == 0, r.err
    for line, theta in zip(r.out.splitlines(), (3.0, 6.0)):
        row = __import__("json").loads(line)
        assert row["gradient"]["a"] == 0.0
        assert row["gradient"]["theta"] == pytest.approx(dz2_dtheta(theta))


def test_an_input_without_a_value_is_still_not_asked_for():
    r = run_json("eval", PROGRAM, "d=2", "theta=1", "--of", "z2", "--json")
    assert list(r["gradient"]) == ["d", "theta"]


def test_data_rows_table_says_so(tmp_path):
    data = tmp_path / "rows.csv"
    data.write_text("a,d,theta\n1,2,3\n")
    r = run("eval", PROGRAM, "--of", "z2", "--data", str(data))
    assert r.code == 0, r.err
    assert "dz2/da" in r.out and "z2 does not read a" in r.out
