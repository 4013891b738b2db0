"""The elementwise functions and masks from the command line: gradients against closed forms and
numpy written here, the conventions at kinks, check on steps and stop_gradient, the cut edge in the
views, and the "NaN through where" errors."""

import math

import numpy as np
import pytest

from conftest import assert_error, run, run_json


def _sinc_slope(x):
    return (math.cos(math.pi * x) - math.sin(math.pi * x) / (math.pi * x)) / x


@pytest.mark.parametrize("text, x, slope", [
    ("y = sinc(x)", 0.4, _sinc_slope(0.4)),
    ("y = sinc(x)", 0.0, 0.0),
    ("y = sinc(x)", 1e-3, -math.pi**2 * 1e-3 / 3 + math.pi**4 * 1e-9 / 30 - math.pi**6 * 1e-15 / 840),  # the series where the two cancel
    ("y = expm1(x)", 1e-9, math.exp(1e-9)),
    ("y = log1p(x)", -0.5, 2.0),
    ("y = arcsinh(x)", 3.0, 1 / math.sqrt(10)),
    ("y = acosh(x)", 2.0, 1 / math.sqrt(3)),
    ("y = arctanh(x)", 0.5, 1 / 0.75),
    ("y = square(x)", -1.5, -3.0),
    ("y = reciprocal(x)", 4.0, -1 / 16),
    ("y = logaddexp(x, 2)", 0.4, 1 / (1 + math.exp(2 - 0.4))),
    ("y = logaddexp2(x, 2)", 0.4, 2**0.4 / (2**0.4 + 4)),
    ("y = floor(x)*x", 2.5, 2.0),
    ("y = ceil(x) + round(x)", 2.3, 0.0),
    ("y = mod(x, -0.7)", 2.7, 1.0),
    ("y = clip(x, 0, 1)", 0.3, 1.0),
    ("y = clip(x, 0, 1)", 1.5, 0.0),
    ("y = clip(x, 0, 1)", 1.0, 0.5),  # at a bound, as max and min at a tie: shared equally
    ("y = clip(x, None, 1)", -5.0, 1.0),
    ("y = clip(x, -1, None)", -5.0, 0.0),
    ("y = where(x > 0, x^2, 3*x)", 0.5, 1.0),
    ("y = where(x > 0, x^2, 3*x)", -0.5, 3.0),
    ("y = stop_gradient(x)*x", 3.0, 3.0),
    ("y = maximum(x, 1) + minimum(x, 0)", 2.0, 1.0),
    ("y = arcsin(x) + arccos(x) + arctan(x)", 0.5, 0.8),
])
def test_gradients_are_the_closed_forms(text, x, slope):
    data = run_json("eval", "--json", text, f"x={x!r}")
    assert data["gradient"]["x"] == pytest.approx(slope, rel=1e-13, abs=1e-300), text


def test_mod_has_numpys_sign_and_partials():
    a, b = 2.7, -0.7
    data = run_json("eval", "--json", "y = mod(a, b)", f"a={a}", f"b={b}")
    assert data["value"] == np.mod(a, b) and data["value"] < 0
    assert data["gradient"] == {"a": 1.0, "b": -math.floor(a / b)}


def test_where_on_arrays_sends_the_gradient_by_the_mask():
    x = np.array([-1.5, 0.5, 2.0])
    data = run_json("eval", "--json", "y = sum(where(x > 0, x^2, -x))", f"x={x.tolist()}")
    assert data["value"] == pytest.approx(float(np.sum(np.where(x > 0, x**2, -x))))
    assert data["gradient"]["x"] == pytest.approx(np.where(x > 0, 2 * x, -1.0).tolist())


@pytest.mark.parametrize("mode", ["forward", "paths"])
def test_modes_agree(mode):
    text, binding = "y = clip(x, -1, 1)*sinc(x) + logaddexp(x, x^2)", "x=0.3"
    assert run_json("eval", "--json", "--mode", mode, text, binding)["gradient"] == \
        pytest.approx(run_json("eval", "--json", text, binding)["gradient"])


@pytest.mark.parametrize("text, binding, words", [
    ("y = floor(x)*3 + x", "x=2", ["floor(x) is piecewise constant, so its gradient is 0", "jumps at floor(2)"]),
    ("y = round(x)", "x=2.5000001", ["round(x) is piecewise constant", "jumps within the step"]),
    ("y = stop_gradient(x)*x", "x=2", ["stop_gradient(x) cuts the gradient"]),
])
def test_check_explains_steps_and_cuts_instead_of_failing(text, binding, words):
    data = run_json("check", "--json", text, binding)
    assert data["ok"] and data["inputs"]["x"]["status"] == "kink"
    for w in words:
        assert w in data["inputs"]["x"]["kink"]


def test_check_passes_a_step_away_from_its_jumps():
    data = run_json("check", "--json", "y = floor(x)*x", "x=2.5")
    assert data["inputs"]["x"]["status"] == "pass" and data["inputs"]["x"]["analytic"] == 2.0


@pytest.mark.parametrize("view", ["--paths", "--steps"])
def test_views_show_the_cut_edge(view):
    result = run("explain", view, "y = stop_gradient(x)*x", "x=3")
    assert result.code == 0 and "cut" in result.out and "stop_gradient" in result.out


@pytest.mark.parametrize("text, binding, fragments", [
    ("y = where(x > 0, sqrt(x), 0)", "x=0", ["derivative of sqrt(0)", "path x → v2 → y",
                                              "write sqrt(where(x>0, x, 1))"]),
    ("y = where(x > 0, sqrt(x), 0)", "x=-1", ["sqrt(-1) is undefined", "both branches are computed",
                                               "write sqrt(where(x>0, x, 1))"]),
    ("y = where(x != 0, 1/x, 0)", "x=0", ["1/0 divides by zero", "write 1/where(x!=0, x, 1)"]),
    ("y = sum(where(x > 0, sqrt(x), 0))", "x=[0, 1, 4]", ["0 times an infinite partial is nan",
                                                          "write sqrt(where(x>0, x, 1))"]),
])
def test_nan_through_where_names_the_path_and_the_rewrite(text, binding, fragments):
    assert_error(["eval", text, binding], 1, "masks this branch out here", *fragments)


def test_the_rewrite_works():
    data = run_json("eval", "--json", "y = where(x > 0, sqrt(where(x > 0, x, 1)), 0)", "x=0")
    assert (data["value"], data["gradient"]["x"]) == (0.0, 0.0)


def test_numpys_maximum_takes_two_arrays_not_one():
    assert_error(["eval", "y = maximum(x)", "x=1"], 2, "maximum takes two or more arguments")


def test_clip_needs_one_bound():
    assert_error(["eval", "y = clip(x, None, None)", "x=1"], 2, "clip needs a_min or a_max")
