"""gradcli jacobian: both modes against central differences, pass counts, outputs by default."""

import math

import pytest

from conftest import central_difference, run, run_json

TWO = "y1 = x1*x2 + sin(x1); y2 = exp(x2) / x1 - x1*x1*x3"
POINT = [1.3, -0.7, 2.1]


def y1(x1, x2, x3):
    return x1 * x2 + math.sin(x1)


def y2(x1, x2, x3):
    return math.exp(x2) / x1 - x1 * x1 * x3


def jacobian(*args):
    return run_json("jacobian", *args, "--json")


BINDINGS = [f"x{i + 1}={v!r}" for i, v in enumerate(POINT)]


@pytest.mark.parametrize("mode, passes", [("forward", 3), ("reverse", 2)])
def test_two_outputs_against_central_differences(mode, passes):
    data = jacobian(TWO, *BINDINGS, "--mode", mode)
    assert (data["outputs"], data["inputs"]) == (["y1", "y2"], ["x1", "x2", "x3"])
    assert (data["mode"], data["passes"]) == (mode, passes)
    assert (data["passes_forward"], data["passes_reverse"]) == (3, 2)
    assert data["values"] == pytest.approx({"y1": y1(*POINT), "y2": y2(*POINT)}, rel=1e-14)
    expected = [[central_difference(f, POINT, i) for i in range(3)] for f in (y1, y2)]
    for row, want in zip(data["jacobian"], expected):
        assert row == pytest.approx(want, rel=1e-7, abs=1e-8)


def test_modes_agree():
    forward = jacobian(TWO, *BINDINGS, "--mode", "forward")["jacobian"]
    reverse = jacobian(TWO, *BINDINGS, "--mode", "reverse")["jacobian"]
    for f_row, r_row in zip(forward, reverse):
        assert f_row == pytest.approx(r_row, rel=1e-12)


@pytest.mark.parametrize("program, mode, passes", [
    (TWO, "reverse", 2),                                         # 2 outputs, 3 inputs
    ("y1 = a*b; y2 = a+b; y3 = a-b", "forward", 2),             # 3 outputs, 2 inputs
    ("y1 = a*b; y2 = a+b", "reverse", 2),                        # a tie
])
def test_default_is_the_cheaper_mode(program, mode, passes):
    data = jacobian(program, *(BINDINGS if program == TWO else ["a=1", "b=2"]))
    assert (data["mode"], data["passes"]) == (mode, passes)


def test_default_outputs_are_unused_statements():
    # u feeds v and w: the outputs are w and v, in tape order (w's statement comes first).
    data = jacobian("w = u*c; u = a*b; v = u + c", "a=1", "b=2", "c=3")
    assert data["outputs"] == ["w", "v"]
    rows = dict(zip(data["outputs"], data["jacobian"]))
    assert rows["v"] == [2.0, 1.0, 1.0]  # dv/da = b, dv/db = a, dv/dc = 1
    assert rows["w"] == [6.0, 3.0, 2.0]  # dw/da = b*c, dw/db = a*c, dw/dc = u


@pytest.mark.parametrize("of", [["--of", "y2,y1"], ["--of", "y2", "--of", "y1"], ["--of", "y2, y1", "--of", "y2"]])
def test_of_repeated_or_comma_list(of):
    data = jacobian(TWO, *BINDINGS, *of)
    assert data["outputs"] == ["y2", "y1"]
    assert data["jacobian"][1][1] == POINT[0]  # dy1/dx2 = x1


def test_wrt_selects_columns():
    data = jacobian(TWO, *BINDINGS, "--wrt", "x3")
    assert data["inputs"] == ["x3"] and data["jacobian"] == [[0.0], [-POINT[0] ** 2]]


def test_rich_table_states_both_costs(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    result = run("jacobian", TWO, *BINDINGS)
    assert result.code == 0
    assert "forward mode: 3 passes" in result.out and "reverse mode: 2 passes" in result.out
    assert "reverse is cheaper" in result.out and "y2" in result.out


@pytest.mark.parametrize("args, code, words", [
    ([TWO, *BINDINGS, "--of", "yy2"], 2, "no name 'yy2': did you mean y2?"),
    ([TWO, *BINDINGS, "--mode", "paths"], 2, "gradcli: error: invalid value for '--mode'"),
    ([TWO, "x1=1"], 2, "no value for inputs x2, x3"),
    (["y = log(x)", "x=-1"], 1, "log(-1) is undefined"),
    (["y = sqrt(x)", "x=0", "--mode", "forward"], 1, "derivative of sqrt(0)"),
    (["y = sqrt(x)", "x=0", "--mode", "reverse"], 1, "derivative of sqrt(0)"),
])
def test_errors(args, code, words):
    result = run("jacobian", *args)
    assert result.code == code and words in result.err


def test_help():
    result = run("jacobian", "--help")
    assert result.code == 0 and "Examples:" in result.out and "--mode" in result.out
