"""Non-finite numbers: a check that cannot be made never passes; JSON never holds NaN or Infinity;
a result that is not finite is a failure (exit 1); a variable that is not finite is divergence."""

from __future__ import annotations

import json
import math
import sys

import pytest

from conftest import assert_error, run


def strict_json(text: str):
    """json.loads that refuses NaN and Infinity, as strict parsers do."""
    def refuse(token):
        raise ValueError(f"not JSON: {token}")
    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("args", [
    ("check", "f = b", "b=1/3", "--eps", "1e308"),
    ("check", "f = x^2", "x=1", "--eps", "1e-320"),
    ("check", "f = norm(x)", "x=[1,2]", "--eps", "1e-320"),
])
def test_a_step_the_doubles_cannot_take_is_a_usage_error(args):
    r = assert_error([*args, "--json"], 2)
    assert strict_json(r.out)["error"]["message"].startswith("--eps")
    assert "internal error" not in r.err


def test_json_text_writes_non_finite_floats_as_strings():
    from gradcli.support.numbers import json_text

    data = {"a": [math.inf, -math.inf, 1.5], "b": {"c": math.nan}, "d": (2.0, math.inf)}
    assert strict_json(json_text(data)) == {"a": ["inf", "-inf", 1.5], "b": {"c": "nan"}, "d": [2.0, "inf"]}
    assert float(strict_json(json_text([math.inf]))[0]) == math.inf


def test_a_difference_quotient_that_overflows_fails():
    """f(x+h) - f(x-h) overflows (the difference of +-1.6e308) though both values are finite."""
    r = assert_error(["check", "f = 1.6e308*sin(x)", "x=0", "--eps", "1.5", "--json"], 1)
    data = strict_json(r.out)
    assert data["ok"] is False
    assert data["inputs"]["x"]["status"] == "fail"


def test_hessian_that_overflows_is_a_failure():
    # d2/dx2 sin(x^3) = 6x cos(x^3) - 9x^4 sin(x^3): 9e320 at x = 1e80, past the largest double
    assert 4 * math.log10(1e80) + math.log10(9) > math.log10(sys.float_info.max)
    r = assert_error(["hessian", "f = sin(x^3)", "x=1e80", "--json"], 1)
    assert "overflows" in strict_json(r.out)["error"]["message"]


def test_hessian_finite_still_works():
    r = run("hessian", "f = sin(x^3)", "x=2", "--json")
    assert r.code == 0, r.err
    x = 2.0
    expected = 6 * x * math.cos(x**3) - 9 * x**4 * math.sin(x**3)
    assert strict_json(r.out)["hessian"][0][0] == pytest.approx(expected, rel=1e-12)


def test_forward_mode_tangent_that_overflows_is_a_failure():
    """eval --mode forward says what reverse mode says when the derivative overflows."""
    for mode in ("reverse", "forward"):
        r = run("eval", "f = sqrt(x)*1e300", "x=1e-300", "--mode", mode, "--json")
        assert r.code == 1, (mode, r.out)
        assert "overflows" in strict_json(r.out)["error"]["message"]


def test_descent_to_an_infinite_variable_diverges():
    r = assert_error(["descend", "f = -pow(z, -3)", "z=0.5", "--steps", "5", "--lr", "1e308", "--until", "1e-9",
                      "--json"], 1,
                     "diverged at step 1", "-inf")
    for line in r.out.splitlines():
        strict_json(line)


def test_descent_array_variable_to_infinity_diverges_without_warnings():
    r = assert_error(["descend", "f = sum(w*w)", "w=[1,2]", "--steps", "3", "--lr", "1e308"], 1, "diverged at step 1")
    assert "Warning" not in r.err


def test_gradient_norm_is_scaled():
    r = run("descend", "f = x*1e200 + y*1e200", "x=1", "y=1", "--steps", "0", "--json")
    assert r.code == 0, r.err
    summary = strict_json(r.out.splitlines()[-1])
    assert summary["gradient_norm"] == pytest.approx(math.hypot(1e200, 1e200), rel=1e-15)


def test_norm_op_is_scaled():
    r = run("eval", "f = norm(x)", "x=[1e200,1e200]", "--json")
    assert r.code == 0, r.err
    assert strict_json(r.out)["value"] == pytest.approx(math.hypot(1e200, 1e200), rel=1e-15)
