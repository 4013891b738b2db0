"""`gradcli check`: the reverse sweep against central differences, the nudge, kinks, failures."""

import math

import pytest

from conftest import SAMPLES, assert_error, run, run_json

NG = "u = b*c; v = a + u; J = 3*v"


def check_json(*args, code=0):
    return run_json("check", *args, "--json", code=code)


def test_nudge_in_the_course_words():
    """Ng's nudge: a from 5 to 5.001 moves J from 33 to 33.003, slope 3."""
    result = run("check", NG, "a=5", "b=3", "c=2")
    assert result.code == 0, result.err
    assert "a: 5 -> 5.001 moves J: 33 -> 33.003, slope 3.000" in result.out
    nudge = check_json(NG, "a=5", "b=3", "c=2")["inputs"]["a"]["nudge"]
    assert (nudge["from"], nudge["to"], nudge["output_from"]) == (5.0, 5.001, 33.0)
    assert nudge["output_to"] == pytest.approx(33.003, abs=1e-12)
    assert nudge["slope"] == pytest.approx(3.0, rel=1e-9)


@pytest.mark.parametrize("sample, gradient", [
    ("ng_chain.grad", {"a": 3, "b": 6, "c": 9}),
    ("add_multiply.grad", {"x": -4, "y": -4, "z": 3}),
    ("forward_backward.grad", {"x": -3, "y": -3, "z": 4}),
    ("baydin_trace.grad", {"x1": 5.5, "x2": 1.7163378145367738}),
    ("sigmoid_neuron.grad", {"w0": -0.196612, "x0": 0.393224, "w1": -0.393224, "x1": -0.589836, "w2": 0.196612}),
    ("sigmoid_composite.grad", {"w0": -0.196612, "x0": 0.393224, "w1": -0.393224, "x1": -0.589836,
                                "w2": 0.196612}),
])
def test_passes_on_the_reference_programs(sample, gradient):
    data = check_json("-f", str(SAMPLES / sample))
    assert data["ok"] is True
    for name, expected in gradient.items():
        entry = data["inputs"][name]
        assert entry["ok"] and entry["status"] == "pass"
        assert entry["numeric"] == pytest.approx(expected, abs=5e-7)
        assert entry["abs_error"] == abs(entry["analytic"] - entry["numeric"])


def test_json_shape():
    entry = check_json("y = sin(x)", "x=1")["inputs"]["x"]
    assert {"analytic", "numeric", "abs_error", "rel_error", "ok"} <= set(entry)
    assert entry["analytic"] == math.cos(1)
    assert entry["rel_error"] == pytest.approx(entry["abs_error"] / abs(entry["numeric"]), rel=1e-9)
    # the default step is scaled to the input: cbrt(machine epsilon) * max(1, |x|)
    assert entry["step"] == pytest.approx(2.220446049250313e-16 ** (1 / 3), rel=1e-6)
    assert check_json("y = sin(x)", "x=1000")["inputs"]["x"]["step"] == pytest.approx(1000 * 6.055e-6, rel=1e-3)


def test_big_step_fails_naming_the_worst_input():
    """With h = 1 the central difference of x^3 is 3x^2 + h^2 = 13, of exp at 0 it is sinh(1)."""
    result = assert_error(["check", "y = x^3 + exp(z)", "x=2", "z=0", "--eps", "1"], 1, "worst: z", "numeric 1.1752")
    assert "FAIL" in result.out
    # z is further off relative to its slope: (sinh 1 - 1)/sinh 1 = 0.149 > 1/13 = 0.077
    data = check_json("y = x^3 + exp(z)", "x=2", "z=0", "--eps", "1", code=1)
    assert data["ok"] is False and data["error"]["worst"] == "z"
    assert data["inputs"]["x"]["numeric"] == 13.0
    assert data["inputs"]["z"]["numeric"] == pytest.approx(math.sinh(1), rel=1e-15)
    assert data["inputs"]["z"]["rel_error"] == pytest.approx((math.sinh(1) - 1) / math.sinh(1), rel=1e-12)


def test_tolerances():
    """At h = 0.1, x^3 at 2 has numeric 12.01: a relative error of 8.3e-4."""
    assert_error(["check", "y = x^3", "x=2", "--eps", "0.1"], 1)
    assert run("check", "y = x^3", "x=2", "--eps", "0.1", "--rtol", "1e-3").code == 0
    assert run("check", "y = x^3", "x=2", "--eps", "0.1", "--atol", "0.011").code == 0


@pytest.mark.parametrize("program, bindings, name", [
    ("y = relu(x)", ["x=0"], "x"),
    ("y = abs(x) + 3*w", ["x=0", "w=1"], "x"),
    ("y = max(x, 2)", ["x=2"], "x"),
    ("y = min(a, b)*c", ["a=1", "b=1", "c=5"], "b"),
    ("y = relu(x)", ["x=1e-7"], "x"),  # the step straddles the kink
    ("y = sign(x) + x", ["x=0"], "x"),
    ("y = sign(x)", ["x=1e-7"], "x"),  # a jump in the value, not in the partial
    ("y = atan2(x, -1)", ["x=1e-7"], "x"),  # across the branch cut
])
def test_kinks_are_flagged_not_failed(program, bindings, name):
    result = run("check", program, *bindings)
    assert result.code == 0, result.err
    assert "kink: not a derivative" in result.out
    data = check_json(program, *bindings)
    assert data["ok"] is True
    assert data["inputs"][name]["status"] == "kink" and data["inputs"][name]["kink"]


def test_kink_flags_only_inputs_that_reach_it():
    inputs = check_json("y = abs(x) + 3*w", "x=0", "w=1")["inputs"]
    assert inputs["w"]["status"] == "pass" and inputs["w"]["numeric"] == pytest.approx(3, rel=1e-9)
    assert check_json("y = relu(x)", "x=0.5")["inputs"]["x"]["status"] == "pass"
    smooth = check_json("y = hypot(a, b) + atan2(a, b) + sign(a)", "a=3", "b=-4")["inputs"]
    assert [smooth[n]["status"] for n in "ab"] == ["pass", "pass"]


def test_domain_error_during_the_nudge():
    assert_error(["check", "y = log(x)", "x=1e-7"], 1, "checking x", "is undefined", "smaller --eps")


@pytest.mark.parametrize("args", [["--eps", "0"], ["--eps", "-1"], ["--rtol", "-1"]])
def test_bad_options(args):
    assert_error(["check", "y = x", "x=1", *args], 2)


def test_wrt_limits_the_inputs():
    assert list(check_json(NG, "a=5", "b=3", "c=2", "--wrt", "c")["inputs"]) == ["c"]


def test_help():
    result = run("check", "--help")
    assert result.code == 0 and "gradcli check 'u = b*c" in result.out and "--eps" in result.out


def test_rounding_noise_is_flagged_not_failed():
    """Beside 1e12 a step of 6e-6 drowns in rounding; a step of 1 is exact for a quadratic."""
    noisy = check_json("y = x^2 + 1e12", "x=3")
    assert noisy["ok"] is True and noisy["inputs"]["x"]["status"] == "noisy"
    assert noisy["inputs"]["x"]["abs_error"] <= noisy["inputs"]["x"]["rounding_floor"]
    exact = check_json("y = x^2 + 1e12", "x=3", "--eps", "1")["inputs"]["x"]
    assert exact["status"] == "pass" and exact["numeric"] == 6.0


def test_nudge_shows_enough_digits_to_see_the_move():
    result = run("check", "y = x + 1e12", "x=3")
    assert "x: 3 -> 3.001 moves y: 1000000000003 -> 1000000000003.001" in result.out


@pytest.mark.parametrize("option, value", [("--rtol", "1e999"), ("--atol", "nan"), ("--eps", "0"), ("--eps", "-1")])
def test_tolerances_must_be_finite(option, value):
    assert_error(["check", "y = x^2", "x=1", option, value], 2)
