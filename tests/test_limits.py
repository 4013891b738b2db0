"""Limits that hold, through the command line: deep and large programs, and numbers at the edges.

tests/test_graph.py checks the engine on deep inputs; here the whole command
(parse, graph, sweeps, JSON) runs them with Python's recursion limit far below
their depth.  Full sizes and their time and memory are in benchmarks/bench_limits.py.
"""

from __future__ import annotations

import math
import sys

import pytest

from conftest import assert_error, run, run_json
from gradcli.autodiff.gradient import evaluate
from gradcli.autodiff.loading import load


@pytest.fixture
def low_recursion_limit():
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(400)  # click and json need a little; the inputs are 20x deeper
    yield
    sys.setrecursionlimit(limit)


def eval_json(program: str, *bindings: str, input: str | None = None) -> dict:
    args = ["eval", "--json", *(["-f", "-"] if input is not None else ["--", program]), *bindings]
    return run_json(*args, input=input)


@pytest.mark.parametrize("program, x, value, slope", [
    ("y = " + "(" * 20_000 + "x" + ")" * 20_000 + "*2", 1.5, 3.0, 2.0),
    ("y = " + "(" * 20_000 + "x" + " + 1)" * 20_000, 0.5, 20_000.5, 1.0),
    ("y = " + " + ".join(["x"] * 50_000), 0.25, 12_500.0, 50_000.0),
    ("y = " + " - ".join(["x"] * 50_000), 1.0, -49_998.0, -49_998.0),
    ("y = " + "-" * 5_000 + "x", 2.0, 2.0, 1.0),
    ("y = " + "-" * 5_001 + "x", 2.0, -2.0, -1.0),
], ids=["parens-20000", "nested-sum-20000", "sum-50000", "difference-50000", "minus-5000", "minus-5001"])
def test_deep_and_wide_programs(low_recursion_limit, program, x, value, slope):
    data = eval_json(program, f"x={x}")
    assert data["value"] == value
    assert data["gradient"] == {"x": slope}


def test_statements_in_reverse_dependency_order(low_recursion_limit):
    n = 30_000  # the benchmark runs 100,000
    text = "\n".join(f"t{i} = t{i - 1} + x" for i in range(n, 0, -1)) + "\nt0 = x\n"
    data = eval_json("", "x=0.5", "--of", f"t{n}", input=text)
    assert data["value"] == 0.5 * (n + 1)
    assert data["gradient"] == {"x": float(n + 1)}


def test_tower_that_overflows_names_the_operation(low_recursion_limit):
    tower = "y = " + "^".join(["a"] * 3_000)
    result = assert_error(["eval", tower, "a=2"], 1)
    first, source, caret = result.err.splitlines()
    # 2^2^2^2^2 = 2^65536 is the first power too large; the tower is right-nested, so it is
    # the fifth ^ from the right, at column 4 + 2*(3000 - 5) + 2.
    assert first.startswith(f"gradcli: error: 1:{4 + 2 * 2995 + 2}: 2^65536 overflows")
    # the long line is shown as a window around the column, the caret under that ^
    assert len(source) < 100 and source.startswith("    ...") and source[len(caret) - 1] == "^"


def test_tower_that_converges(low_recursion_limit):
    """a^a^...^a at a = sqrt(2) tends to y = 2, the solution of y = a^y; implicit differentiation
    of y = a^y gives dy/da = (y/a) / (1/y - ln a)."""
    a = math.sqrt(2)
    data = eval_json("y = " + "^".join(["a"] * 3_000), f"a={a!r}")
    assert data["value"] == pytest.approx(2.0, rel=1e-15)
    assert data["gradient"]["a"] == pytest.approx((2 / a) / (0.5 - math.log(a)), rel=1e-12)


@pytest.mark.parametrize("program, binding, column, words", [
    ("y = exp(x)", "x=1000", 5, "exp(1000) overflows"),
    ("y = x*x", "x=1e200", 6, "1e+200*1e+200 overflows"),
    ("y = 1 + x^10", "x=1e31", 10, "1e+31^10 overflows"),
    ("y = (-8)^x", "x=1/3", 9, "(-8)^0.333333 is undefined"),
])
def test_an_intermediate_that_overflows_or_is_undefined_stops(program, binding, column, words):
    result = assert_error(["eval", program, binding], 1)
    first, source, caret = result.err.splitlines()
    assert first.startswith(f"gradcli: error: 1:{column}: {words}")
    assert caret.index("^") == column + 3  # four spaces of indent, columns from 1
    error = run_json("eval", program, binding, "--json", code=1)["error"]
    assert (error["kind"], error["line"], error["column"]) == ("domain", 1, column)


@pytest.mark.parametrize("program, x, value, gradient, cut", [
    # value and gradient: the doubles nearest the exact ones; cut: the gradient is 0 only by underflow
    ("y = 1 + exp(x)", -1000.0, 1.0, 0.0, True),
    ("y = x*x", 1e-200, 0.0, 2e-200, False),
    ("y = 3 + x/1e300", 1e-300, 3.0, 1e-300, False),
    ("y = sigmoid(x)", -1000.0, 0.0, 0.0, True),
    ("y = softplus(x)", -800.0, 0.0, 0.0, True),
    ("y = 2^x", -1100.0, 0.0, 0.0, True),
    ("y = 1e-200*(1e-200*x)", 1.0, 0.0, 0.0, True),  # the chain rule's product underflows
    ("y = relu(x) + 1", -1.0, 1.0, 0.0, False),  # a true 0: relu is flat there
])
def test_underflow_is_not_an_error_but_a_cut_gradient_is_said(program, x, value, gradient, cut):
    """As in numpy: a result too small for a double is 0.  A gradient that is 0 only for that
    reason comes with a warning naming where it underflowed."""
    result = evaluate(load(program, [f"x={x!r}"]))
    assert (result.value, result.gradient["x"]) == (value, gradient)
    assert bool(result.warnings) == cut
    if cut:
        assert "dy/dx = 0 only because a number underflowed" in result.warnings[0]


@pytest.mark.parametrize("program, binding, value", [
    ("y = relu(x)", "x=-1", 0.0),  # a true zero: relu is 0 for negatives
    ("y = x - x", "x=0.1", 0.0),  # exact cancellation is not an underflow
    ("y = sin(x)*x", "x=0", 0.0),  # a zero operand
    ("y = exp(x)", "x=-745", 5e-324),  # the smallest subnormal: tiny, not zero
    ("y = x*1e-300", "x=1e-20", 1e-320),  # subnormal results are kept
])
def test_true_zeros_and_subnormals_are_not_errors(program, binding, value):
    data = eval_json(program, binding)
    assert data["value"] == value


@pytest.mark.parametrize("program, binding, kind, words", [
    ("y = x*1e300*1e300", "x=1e-300", "derivative", "the gradient dy/dx overflows"),
    ("y = a^b", "a=-2", "derivative", "with respect to b"),  # d/db a^b = a^b log(a): undefined for a < 0
])
def test_a_gradient_that_overflows_or_is_undefined_stops(program, binding, kind, words):
    result = assert_error(["eval", program, binding, *(["b=2"] if "b" in program else []), "--json"], 1)
    error = result.json()["error"]
    assert error["kind"] == kind and words in error["message"]
    assert error["line"] == 1 and error["column"] is not None


# The documented behaviour at domain edges (README: "What gradcli guarantees").
@pytest.mark.parametrize("program, binding, kind, words", [
    ("y = x/0", "x=1", "domain", "1/0 divides by zero"),
    ("y = x/0", "x=0", "domain", "0/0 divides by zero"),
    ("y = 0^x", "x=-1", "domain", "0^(-1) is undefined"),
    ("y = x^-1", "x=0", "domain", "0^(-1) is undefined"),
    ("y = log(x)", "x=0", "domain", "log(0) is undefined"),
    ("y = sqrt(x)", "x=-0.0", "derivative", "the derivative of sqrt(0) with respect to x"),
    ("y = sqrt(x)", "x=0", "derivative", "the derivative of sqrt(0) with respect to x"),
])
def test_domain_edges_behave_as_documented(program, binding, kind, words):
    result = assert_error(["eval", program, binding, "--json"], 1)
    error = result.json()["error"]
    assert error["kind"] == kind and error["message"].startswith(words)
    assert (error["line"], error["column"]) == (1, 5 if program.startswith("y = sqrt") or "log" in program
                                                else program.index("/" if "/" in program else "^") + 1)


def test_sqrt_of_a_constant_zero_needs_no_derivative():
    assert eval_json("y = sqrt(-0.0) + x", "x=1") == {"output": "y", "value": 1.0, "gradient": {"x": 1.0}}


@pytest.mark.parametrize("literal", ["1e-320", "1.7e308", "4.9406564584124654e-324", "2.2250738585072014e-308",
                                     "1.7976931348623157e308", "0.1", "123456789.123456789"])
def test_tiny_and_huge_literals_read_back_exactly(literal):
    expected = float(literal)
    assert eval_json(f"y = {literal} + 0*x", "x=1")["value"] == expected
    data = eval_json("y = x", f"x={literal}")
    assert data["value"] == expected and data["gradient"] == {"x": 1.0}
    assert eval_json(f"y = x*{literal}", "x=1")["gradient"] == {"x": expected}


@pytest.mark.parametrize("binding, words", [("x=1e999", "too large"), ("x=1e-400", "too small")])
def test_literals_beyond_doubles_are_binding_errors(binding, words):
    assert_error(["eval", "y = x", binding], 2, words, f"binding '{binding}'")


@pytest.mark.parametrize("command", [["eval"], ["eval", "--mode", "forward"], ["explain", "--steps"], ["check"]])
def test_a_cut_gradient_is_said_on_stderr_and_in_json(command):
    text = run(*command, "y = 1 + exp(x)", "x=-1000")
    assert text.code == 0
    assert "gradcli: warning: dy/dx = 0 only because a number underflowed (at v1 = exp(x))" in text.err
    data = run_json(*command, "y = 1 + exp(x)", "x=-1000", "--json")
    assert any("underflowed" in w for w in data["warnings"])
