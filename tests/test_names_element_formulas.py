"""--element partials are simplified the way the scalar views' are: ``2*x[1]``, not ``2*x[1]^(2-1)``."""

import math
import re

import pytest

from conftest import run_json

X = [0.3, 0.7]
# f(x) written in gradcli, and the same function in Python for the central difference
CASES = {
    "x^2": lambda x: x ** 2,
    "x^3": lambda x: x ** 3,
    "2^x": lambda x: 2 ** x,
    "x^0.5": lambda x: x ** 0.5,
    "x/3": lambda x: x / 3,
    "sqrt(x)": math.sqrt,
    "exp(x)": math.exp,
    "log(x)": math.log,
    "sin(x)": math.sin,
    "tanh(x)": math.tanh,
    "sigmoid(x)": lambda x: 1 / (1 + math.exp(-x)),
    "atan(x)": math.atan,
    "-x": lambda x: -x,
}


def element_edge(expression: str) -> tuple[str, float]:
    """The formula and number on the edge x[1] -> v1[1] of y = sum(f(x))."""
    data = run_json("explain", "--paths", "--element", "x[1]", f"y = sum({expression})", f"x={X}", "--json")
    (path,) = data["inputs"]["x[1]"]["paths"]
    return path["formulas"][0], path["partials"][0]


def scalar_edge(expression: str) -> str:
    data = run_json("explain", "--paths", f"y = {expression}", f"x={X[1]}", "--json")
    (path,) = data["inputs"]["x"]["paths"]
    return path["formulas"][0]


@pytest.mark.parametrize("expression", sorted(CASES))
def test_element_partials_are_the_scalar_partials_simplified(expression):
    formula, partial = element_edge(expression)
    assert not re.search(r"\(\d+ ?- ?\d+\)|\^1\b|\*1\b|\b1\*", formula), formula  # 2-1, ^1, *1 left in
    assert formula == re.sub(r"\bx\b", "x[1]", scalar_edge(expression)).replace("y", "v1[1]")
    h = 1e-6
    f = CASES[expression]
    assert partial == pytest.approx((f(X[1] + h) - f(X[1] - h)) / (2 * h), rel=1e-6)
    # the formula's text is an expression worth that number at x[1] = 0.7, v1[1] = f(0.7)
    text = formula.replace("x[1]", "x_1").replace("v1[1]", "v_1")
    value = run_json("eval", f"r = {text} + 0*x_1", f"x_1={X[1]}", *(["v_1=" + repr(f(X[1]))] if "v_1" in text else []),
                     "--json")["value"]
    assert value == pytest.approx(partial, rel=1e-9)


def test_an_element_of_an_array_constant_is_its_number():
    formula, partial = element_edge("x*[1, 2.5]")
    assert formula == "2.5" and partial == 2.5
