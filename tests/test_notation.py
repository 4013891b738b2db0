"""Paper's notation (2x, x², √x, π, ×, −), the constants pi and e, and hints for unknown functions."""

import math

import pytest

from conftest import assert_error, program_error, run_json
from gradcli.autodiff.scalar_plan import scalar_values
from gradcli.core.lower import build_tape
from gradcli.lang.syntax import parse_program


def shape(text: str) -> list[str]:
    """How the tape computes, node by node (``x^2``, ``2*v1``): the same for two spellings of one program."""
    tape = build_tape(parse_program(text))
    return [f"{tape.nodes[i].kind}:{tape.definition(i)}" for i in range(len(tape.nodes))]


@pytest.mark.parametrize("written, meant", [
    ("y = 2x", "y = 2*x"),
    ("y = 2(x+1)", "y = 2*(x+1)"),
    ("y = 2x^2", "y = 2*(x^2)"),
    ("y = -2x", "y = -(2*x)"),
    ("y = 2x²", "y = 2*x^2"),
    ("y = x²", "y = x^2"),
    ("y = (x+1)³", "y = (x+1)^3"),
    ("y = x¹²", "y = x^12"),
    ("y = 3 × x · w", "y = 3*x*w"),
    ("y = x ÷ w", "y = x/w"),
    ("y = x − w", "y = x - w"),
    ("y = −x", "y = -x"),
    ("y = √x", "y = sqrt(x)"),
    ("y = √x^2", "y = sqrt(x^2)"),
    ("y = √x + 1", "y = sqrt(x) + 1"),
    ("y = 2√x", "y = 2*sqrt(x)"),
    ("y = 2π·x", "y = 2*pi*x"),
    ("y = π·x", "y = pi*x"),
    ("y = 2sin(x)", "y = 2*sin(x)"),
    ("y = 2e3x", "y = 2e3*x"),
    ("y = x2", "y = x2"),
])
def test_notation_means_the_usual_spelling(written, meant):
    assert shape(written) == shape(meant)


def test_a_negative_superscript_is_a_negative_exponent():
    assert shape("y = x⁻¹")[-1] == "op:x^(-1)"


def test_notation_values():
    tape = build_tape(parse_program("y = 2x² + 3(x − 1) + √w·π − x⁻¹"))
    vals = scalar_values(tape, {tape.names["x"]: 3.0, tape.names["w"]: 4.0})
    assert vals[tape.names["y"]] == 2 * 9 + 3 * 2 + 2 * math.pi - 1 / 3


@pytest.mark.parametrize("text, column, words", [
    ("y = x w", 7, "write x*w"),
    ("y = 2x w", 8, "write x*w"),
    ("y = (a)(b)", 8, "write (...)*(...)"),
    ("y = x² w", 8, "write x²*w"),
    ("y = π·r² s", 10, "write r²*s"),  # π, · and ² are one column each
    ("y = sin x", 9, "write sin(x)"),
    ("y = 2^2x", 8, "^(2*x)"),
    ("y = 2e", 5, "write 2*e"),
    ("y = x²^2", 7, "found '^'"),
])
def test_juxtaposed_operands_are_errors_with_the_spelling(text, column, words):
    error = program_error(text)
    assert (error.line, error.column) == (1, column)
    assert words in error.message


@pytest.mark.parametrize("text, column, words", [
    ("y = w(b+1) + w", 5, "w is not a function; to multiply, write w*(...)"),
    ("y = x(2)", 5, "to multiply, write x*(...)"),
])
def test_a_name_called_like_a_function(text, column, words):
    error = program_error(text, build=True)
    assert error.column == column and words in error.message


# Olah's "Calculus on Computational Graphs": e = (a + b)(b + 1) at a = 2, b = 1 is 6,
# de/da = b + 1 = 2 and de/db = (b + 1) + (a + b) = 5.
@pytest.mark.parametrize("args, value, gradient", [
    (["c = a + b; d = b + 1; e = c*d", "a=2", "b=1"], 6.0, {"a": 2.0, "b": 5.0}),
    (["f = e^x", "x=1"], math.e, {"x": math.e}),
    (["y = e*x; e = 2", "x=3", "--of", "y"], 6.0, {"e": 3.0, "x": 2.0}),  # assigned after its use: still the program's
    (["pi = 3; y = pi*x", "x=2"], 6.0, {"pi": 2.0, "x": 3.0}),
    (["y = pi*x + ln(e)", "x=2"], 2 * math.pi + 1, {"x": math.pi}),
    (["y = sin(x)", "x=pi/4"], math.sin(math.pi / 4), {"x": math.cos(math.pi / 4)}),
    (["y = x", "x=e^2"], math.e ** 2, {"x": 1.0}),
    (["y = π*x", "x=1"], math.pi, {"x": math.pi}),
])
def test_constants_unless_the_program_names_them(args, value, gradient):
    data = run_json("eval", "--json", *args)
    assert data["value"] == pytest.approx(value, rel=1e-15)
    assert data["gradient"] == pytest.approx(gradient, rel=1e-15)


def test_an_unassigned_constant_is_no_input():
    assert build_tape(parse_program("y = pi*x + e")).input_names() == ["x"]


@pytest.mark.parametrize("text, hint, misleading", [
    ("y = log3(x)", "(known: abs,", "did you mean"),  # log is natural, log2 is base 2: neither is meant
    ("y = lg(x)", "(known:", "did you mean"),
    ("y = sinn(x)", "(known:", "did you mean"),  # sin or sign?
    ("y = exp1(x)", "(known:", "did you mean"),
    ("y = cot(x)", "write cot(x) as 1/tan(x)", "did you mean"),  # not cos
    ("y = erfc(x)", "(known:", "did you mean"),  # erf is one letter away, and another function
    ("y = atn(x)", "gradcli calls it atan", None),
    ("y = arsinh(x)", "gradcli calls it asinh", None),
    ("y = sgn(x)", "gradcli calls it sign", None),
    ("y = logistic(x)", "gradcli calls it sigmoid", None),
    ("y = sqtr(x)", "did you mean sqrt?", None),
    ("y = sni(x)", "did you mean sin?", None),
    ("y = Tanh(x)", "did you mean tanh?", None),
])
def test_unknown_functions_get_only_hints_that_mean_the_same(text, hint, misleading):
    result = assert_error(["eval", text, "x=1"], 2, "unknown function", hint)
    assert misleading is None or misleading not in result.err


@pytest.mark.parametrize("text, x, value, slope", [
    ("y = log10(x)", 100.0, 2.0, 1 / (100 * math.log(10))),
    ("y = log2(x)", 8.0, 3.0, 1 / (8 * math.log(2))),
    ("y = exp2(x)", 3.0, 8.0, 8 * math.log(2)),
    ("y = cbrt(x)", -8.0, -2.0, 1 / 12),
    ("y = sign(x)", -3.0, -1.0, 0.0),
    ("y = atan2(x, 1)", 1.0, math.pi / 4, 0.5),
    ("y = atan2(1, x)", 1.0, math.pi / 4, -0.5),
    ("y = hypot(x, 4)", 3.0, 5.0, 0.6),
])
def test_new_functions(text, x, value, slope):
    data = run_json("eval", "--json", text, f"x={x!r}")
    assert data["value"] == pytest.approx(value, rel=1e-15)
    assert data["gradient"]["x"] == pytest.approx(slope, rel=1e-15, abs=0)
