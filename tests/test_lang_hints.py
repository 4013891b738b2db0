"""Syntax and binding errors that say how gradcli spells what numpy and Python habits write."""

import pytest

from conftest import assert_error, run_json


def error_line(*args):
    first = assert_error(args, 2).err.splitlines()[0]
    assert "internal" not in first, first
    return first


@pytest.mark.parametrize("program, where, words", [
    ("f = np.dot(W,x)", "1:7", "write dot(W,x)"),
    ("f = W.T", "1:6", "write transpose(W)"),
    ("f = x.sum()", "1:6", "write sum(x)"),
    ("f = x.sum(axis=0)", "1:6", "write sum(x, axis=0)"),
    ("f = np.maximum(0,x)", "1:7", "write max(0,x) or relu(x)"),
    ("f = 2*math.pi", "1:11", "write pi"),
    ("f = x if x > 0 else 0", "1:7", "no 'if ... else'"),
    ("f = [1 2]", "1:8", "array elements are separated by commas"),
    ("f = x[1.5]", "1:7", "an index is a whole number"),
    ("f = x[0 1]", "1:9", "subscripts are separated by commas"),
    ("f = x[1:y]", "1:9", "a slice's bounds are whole numbers"),
    ("f = x[::0]", "1:7", "a slice's step cannot be 0"),
    ("f = 3.4.5", "1:8", "a number has one decimal point"),
    ("f = (x + 1\ng = 2", "2:3", "the '(' at 1:5 is not closed"),
])
def test_program_hints(program, where, words):
    first = error_line("eval", program, "x=3", "W=2")
    assert f"error: {where}: " in first and words in first, first


@pytest.mark.parametrize("program", ["f = x[1,,2]", "f = x[0 1]", "f = 3.4.5", "f = x if x > 0 else 0"])
def test_no_product_hint_where_a_product_cannot_stand(program):
    first = error_line("eval", program, "x=3")
    assert "*" not in first.split("found", 1)[1], first  # no "write 1*+", "write 3.4*.5", "write x*if"


@pytest.mark.parametrize("args, words", [
    (["x=[1 2]"], "array elements are separated by commas"),
    (["x", "=", "3"], "write x=3 (no spaces)"),
    (["x", "=3"], "write x=3 (no spaces)"),
    (["x=", "3"], "write x=3 (no spaces)"),
    (["-json", "x=3"], "did you mean --json?"),
    (["X=3"], "did you mean x?"),
])
def test_binding_hints(args, words):
    assert words in error_line("eval", "y = x^2", *args)


def test_e_bound_where_the_program_uses_eulers_number():
    first = error_line("eval", "f = e^2", "e=3")
    assert "Euler's number" in first and "e = 1" in first
    # and the way it names works: e^2 at e = 3 is 9, df/de = 2e = 6
    data = run_json("eval", "e = 1; f = e^2", "e=3", "--json")
    assert data["value"] == 9.0 and data["gradient"]["e"] == 6.0
