"""`gradcli eval` through click: exit codes, stdout JSON, stderr messages."""

import pytest

from conftest import assert_error, run, run_json

NG = "u = b*c; v = a + u; J = 3*v"


def test_table_output():
    result = run("eval", NG, "a=5", "b=3", "c=2")
    assert result.code == 0
    assert "J = 33" in result.out and "dJ/db = 6" in result.out
    assert "\x1b[" not in result.out  # not a terminal: no colour codes


def test_all_shows_intermediates():
    result = run("eval", NG, "a=5", "b=3", "c=2", "--all")
    assert "dv = 3" in result.out and "du = 3" in result.out


def test_json_floats_round_trip():
    data = run_json("eval", "y = log(x1) + x1*x2 - sin(x2)", "x1=2", "x2=5", "--json")
    assert data["value"] == 11.652071455223084
    assert data["gradient"]["x2"] == 1.7163378145367738


@pytest.mark.parametrize("args, gradient", [
    (["--wrt", "a,c"], {"a": 3.0, "c": 9.0}),
    (["--of", "u"], {"a": 0.0, "b": 2.0, "c": 3.0}),  # u reads only b and c: du/da is 0
    (["--of", "v", "--wrt", "b"], {"b": 2.0}),
])
def test_of_and_wrt(args, gradient):
    assert run_json("eval", NG, "a=5", "b=3", "c=2", "--json", *args)["gradient"] == gradient


def test_defaults_and_overrides():
    program = "a = 5; b = 3; c = 2; u = b*c; v = a + u; J = 3*v"
    assert run_json("eval", program, "--json")["value"] == 33.0
    assert run_json("eval", program, "a=6", "--json")["value"] == 36.0


def test_binding_is_a_constant_expression():
    data = run_json("eval", "y = sin(x)", "x=pi/6", "--json")
    assert data["value"] == pytest.approx(0.5, rel=1e-15)


def test_program_from_file_and_stdin(tmp_path):
    path = tmp_path / "p.grad"
    path.write_text("u = b*c\nv = a + u\nJ = 3*v\n")
    assert run_json("eval", "-f", str(path), "a=5", "b=3", "c=2", "--json")["value"] == 33.0
    assert run_json("eval", "-f", "-", "a=5", "b=3", "c=2", "--json", input=NG)["value"] == 33.0


def test_x_times_x_sums_both_edges():
    assert run_json("eval", "y = x*x", "x=3", "--json")["gradient"] == {"x": 6.0}


@pytest.mark.parametrize("args, code, kind, words", [
    (["u = b+", "b=1"], 2, "syntax", "expected a number, a name or '(' after '+'"),
    (["y = sni(x)", "x=1"], 2, "unknown-function", "did you mean sin?"),
    (["y = atan(x, x)", "x=1"], 2, "arity", "atan takes one argument, got 2"),
    (["y = max(x)", "x=1"], 2, "arity", "two or more"),
    (["y = True * x", "x=1"], 2, "fixed-argument", "True is a fixed argument (as in keepdims=True)"),
    (["y = where(x > 0, None, x)", "x=1"], 2, "fixed-argument", "None is a fixed argument (as in axis=None)"),
    (["y = a/(z, w)", "a=1", "z=1", "w=2"], 2, "fixed-argument", "a tuple like (0, 1) is a fixed argument"),
    (["y = x*a", "x=1", "a=(1, 2)"], 2, "binding", "a tuple like (0, 1) is a fixed argument"),
    (["y = a*b + c"], 2, "unbound", "no value for inputs a, b, c"),
    (["y = x", "x=1", "z=2"], 2, "unknown-binding", "no name 'z'"),
    (["u = 2*x; y = u", "x=1", "u=3"], 2, "binding", "'u' is computed by the program"),
    (["a = b + 1; b = a * 2"], 2, "cycle", "a -> b -> a"),
    (["y = x\ny = 2*x", "x=1"], 2, "duplicate", "'y' is assigned twice, at 1:1 and 2:1"),
    (["# nothing here\n"], 2, "empty", "the program is empty"),
    (["y = log(x)", "x=-1"], 1, "domain", "log(-1) is undefined"),
    (["y = 1/x", "x=0"], 1, "domain", "1/0 divides by zero"),
    (["y = exp(x)", "x=1000"], 1, "domain", "exp(1000) overflows"),
    (["y = x^y2", "x=0", "y2=-1"], 1, "domain", "0^(-1) is undefined"),
    (["y = sqrt(x)", "x=0"], 1, "derivative", "derivative of sqrt(0)"),
    (["y = x", "x=1", "--of", "q"], 2, "usage", "no name 'q'"),
    (["y = x", "x=1", "--wrt", "q"], 2, "usage", "'q' is not an input"),
    (["y = x", "x"], 2, "binding", "not a binding NAME=VALUE"),
    (["y = x", "x=y"], 2, "binding", "must be a constant expression"),
])
def test_errors(args, code, kind, words):
    assert_error(["eval", *args], code, words)
    error = run_json("eval", *args, "--json", code=code)["error"]
    assert error["kind"] == kind and words in error["message"]


def test_syntax_error_caret_under_the_column():
    result = assert_error(["eval", "u = b*c\nv = a +* u", "a=1", "b=1", "c=1"], 2)
    lines = result.err.splitlines()
    assert lines[0].startswith("gradcli: error: 2:8: ")
    assert lines[1].strip() == "v = a +* u"
    caret = lines[2]
    assert caret.strip() == "^"
    assert caret.index("^") - lines[1].index("v") == 7


def test_error_location_is_json():
    error = run_json("eval", "y = (a", "--json", code=2)["error"]
    assert (error["line"], error["column"]) == (1, 7)


def test_no_program():
    assert_error(["eval"], 2, "no program")


def test_help_has_examples():
    result = run("eval", "--help")
    assert result.code == 0 and "gradcli eval 'u = b*c" in result.out


def test_forward_mode_all_has_no_adjoints_for_intermediates():
    data = run_json("eval", NG, "a=5", "b=3", "c=2", "--mode", "forward", "--all", "--json")
    nodes = {n["node"]: n for n in data["nodes"]}
    assert nodes["u"]["adjoint"] is None and nodes["u"]["value"] == 6.0
    assert nodes["b"]["adjoint"] == 6.0


def test_program_starting_with_minus_after_double_dash():
    assert run_json("eval", "--json", "--", "-x^2", "x=3")["value"] == -9.0
    assert_error(["eval", "-x^2", "x=3"], 2, "goes after '--'")


def test_usage_errors_are_json_too():
    result = assert_error(["eval", "y = x", "x=1", "--json", "--mode", "sideways"], 2)
    assert result.json()["error"]["kind"] == "usage"


def test_unknown_command_suggests():
    assert_error(["evl"], 2, "Did you mean 'eval'?")
