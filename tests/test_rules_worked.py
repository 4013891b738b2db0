"""explain --rules: the derivative worked by named rules, outside in; every step's result and the
final derivative are evaluated by gradcli and compared with central differences of the formula."""

from __future__ import annotations

import math

import pytest

from conftest import assert_error, central_difference, run, run_json
from gradcli.core.ops import OPS


def value(formula: str, point: dict) -> float:
    try:
        return float(formula)  # a number alone: a step's slope of 0
    except ValueError:
        pass
    return run_json("eval", f"g_ = {formula}", *[f"{k}={v}" for k, v in point.items() if k in formula],
                    "--json")["value"]


def test_the_product_rule_then_its_parts():
    data = run_json("explain", "--rules", "f = x^2*sin(x)", "x=2", "--json")
    steps = data["derivatives"][0]["steps"]
    assert [(s["expression"], s["rule"]) for s in steps] == [
        ("x^2*sin(x)", "product rule"), ("x^2", "power rule"), ("sin(x)", "derivative of sin")]
    assert steps[0]["form"] == "d/dx[x^2]*sin(x) + x^2*d/dx[sin(x)]"
    exact = 2 * 2 * math.sin(2) + 4 * math.cos(2)
    assert data["derivatives"][0]["value"] == pytest.approx(exact, rel=1e-15)
    assert value(data["derivatives"][0]["result"], {"x": 2}) == pytest.approx(exact, rel=1e-12)


@pytest.mark.parametrize("program, point, rules", [
    ("f = 1/(1 + exp(-(w*x + b)))", {"w": 0.5, "x": 2.0, "b": -1.0},
     ["reciprocal rule", "sum rule (a constant's derivative is 0)", "chain rule (derivative of exp)",
      "constant multiple rule", "sum rule (a constant's derivative is 0)", "constant multiple rule"]),  # d/dw
    ("f = sin(x)/x", {"x": 0.7}, ["quotient rule", "derivative of sin"]),
    ("f = 2^x + x^x", {"x": 1.3}, ["sum rule", "exponential rule", "general power rule"]),
    ("f = log(x1) + x1*x2 - sin(x2)", {"x1": 2.0, "x2": 5.0},
     ["difference rule (a constant's derivative is 0)", "sum rule", "derivative of log", "constant multiple rule"]),
    ("f = atan2(y, x^2)", {"x": 0.4, "y": 1.1}, ["chain rule (atan2 of several arguments)", "power rule"]),
])
def test_each_step_is_right(program, point, rules):
    data = run_json("explain", "--rules", program, *[f"{k}={v}" for k, v in point.items()], "--json")
    first = next(d for d in data["derivatives"] if d["wrt"] in ("w", "x", "x1"))
    assert [s["rule"] for s in first["steps"]] == rules
    names = list(point)
    for derivation in data["derivatives"]:
        i = names.index(derivation["wrt"])
        f = lambda *v: run_json("eval", program, *[f"{k}={x}" for k, x in zip(names, v)], "--json")["value"]
        numeric = central_difference(f, list(point.values()), i)
        assert derivation["value"] == pytest.approx(numeric, rel=1e-6, abs=1e-9)
        assert value(derivation["result"], point) == pytest.approx(derivation["value"], rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("name", [n for n, op in OPS.items() if op.scalar and op.arity == 1 and not op.cuts
                                  and n not in ("copy",)])
def test_every_function_of_one_argument(name):
    op = OPS[name]
    x = next(v for v in (0.3, 0.6, 1.5, 2.5, -0.4) if (op.domain is None or op.domain(v))
             and (op.kinks is None or not op.kinks(v)))
    data = run_json("explain", "--rules", f"f = {op.symbol}(x^2 + 0.1)" if name != "neg" else "f = -(x^2)",
                    f"x={x}", "--json")
    derivation = data["derivatives"][0]
    assert value(derivation["result"], {"x": x}) == pytest.approx(derivation["value"], rel=1e-9, abs=1e-12)


def test_the_table_names_the_rules():
    out = run("explain", "--rules", "f = x^2*sin(x)", "x=2").out
    assert "product rule" in out and "d/dx[x^2] = 2*x^(2 - 1)" in out and "the reverse sweep's value" in out


@pytest.mark.parametrize("args, words", [
    (["f = sum(x*x)", "x=[1, 2]"], "--rules works a formula of numbers"),
    (["f = " + " + ".join(f"sin(x*{k})" for k in range(1, 30)), "x=1"], "too long to work by hand"),
])
def test_refusals(args, words):
    assert_error(["explain", "--rules", *args], 2, words)
