"""Every command, listed from the CLI's own registry, shares the option checks, help and warnings."""

from __future__ import annotations

import mpmath
import pytest

from conftest import assert_error, commands, program_commands, run, run_json_lines, takes_one_output
from gradcli.cli.commands.common import Command


COMMANDS = program_commands()
SINGLE_OUTPUT = [name for name, command in COMMANDS.items() if takes_one_output(command)]
UNDERFLOW = ["y = exp(x)*w", "x=-800", "w=2"]  # dy/dx = w*exp(-800), dy/dw = exp(-800): both 0.0 in doubles


def test_the_registry_holds_every_command():
    assert {"eval", "explain", "jacobian", "check", "descend", "graph", "derive", "hessian"} <= set(COMMANDS)
    assert "jacobian" not in SINGLE_OUTPUT and "derive" in SINGLE_OUTPUT and "hessian" in SINGLE_OUTPUT


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_is_built_on_the_shared_command(name):
    assert isinstance(COMMANDS[name], Command)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_help_has_examples(name):
    result = run(name, "--help")
    assert result.code == 0 and "Examples:" in result.out and f"gradcli {name}" in result.out


@pytest.mark.parametrize("name", SINGLE_OUTPUT)
def test_a_second_of_is_refused(name):
    result = assert_error([name, "u = x*2; y = x^2", "--of", "y", "--of", "u", "x=1"], 2)
    assert result.out == "" and result.err.startswith("gradcli: error: --of given twice")


@pytest.mark.parametrize("name", COMMANDS)
def test_an_option_given_twice_is_refused(name):
    args = [name, "y = x^2", "x=1", "--of", "y", "--of", "y"]
    if name in SINGLE_OUTPUT:
        assert_error(args, 2, "given twice")
    else:  # jacobian: --of may repeat
        assert run(*args).code == 0


def _warned(result, name: str) -> bool:
    return any(line.startswith("gradcli: warning: ") and f"dy/d{name} = 0 only because" in line
               for line in result.err.splitlines())


# plot samples a range of its one free input: the point UNDERFLOW binds whole is not one it draws
@pytest.mark.parametrize("name", [n for n in COMMANDS if n not in ("check", "plot")])
def test_every_command_says_the_underflow(name):
    # The true gradient is nonzero (mpmath has the exponent range a double lacks) ...
    assert mpmath.exp(-800) * 2 != 0 and float(mpmath.exp(-800) * 2) == 0.0
    args = ["--steps", "1"] if name == "descend" else []
    result = run(name, *UNDERFLOW, *args)
    assert result.code == 0, result.err
    # ... and every command that computes it says it is 0 only by underflow.
    assert _warned(result, "x"), result.err


# check compares each partial with its difference quotient and descend streams its steps: neither JSON has warnings
@pytest.mark.parametrize("name", [n for n in COMMANDS if n not in ("check", "descend", "plot")])
def test_the_warning_is_in_the_json_too(name):
    result = run(name, *UNDERFLOW, "--json")
    data = result.json_lines()[-1] if name != "jacobian" else result.json()
    assert any("dy/dx = 0 only because" in w for w in data.get("warnings", [])), result.out


def test_explain_without_a_view_shows_the_paths():
    # dy/dx of y = x*x at 3 is 2*3: two paths, each of product 3
    plain = run("explain", "y = x*x", "x=3")
    paths = run("explain", "--paths", "y = x*x", "x=3")
    assert plain.code == 0 and plain.out == paths.out and "sum over 2 paths: 6" in plain.out
    assert "With no view, --paths is shown" in " ".join(run("explain", "--help").out.split())


def test_gradcli_alone_prints_the_help():
    result = run()
    assert result.code == 0 and result.err == ""
    assert result.out.startswith("Usage: ") and "error" not in result.out and "Commands:" in result.out


def test_descend_help_says_json_lines():
    text = " ".join(run("descend", "--help").out.split())
    assert "one JSON object" not in text and "one object per step" in text
    # w -> w - 0.1 * 2(w - 3): 0, 0.6, 1.08
    steps = run_json_lines("descend", "L = (w - 3)^2", "w=0", "--steps", "2", "--json")
    assert [s.get("step") for s in steps[:3]] == [0, 1, 2] and steps[-1]["done"] is True
    assert steps[2]["values"]["w"] == pytest.approx(0.6 + 0.1 * 2 * (3 - 0.6))


@pytest.mark.parametrize("name", COMMANDS)
@pytest.mark.parametrize("args, words", [
    (["-f", "samples/quadratic.grad", "-f", "samples/quadratic.grad"], "--file is given twice"),  # before -f opens
    (["y = x^2", "x=1", "--bogus"], "no such option '--bogus'"),
    ([], "no program"),
    (["y = x^2", "x=1", "q"], "'q' is not a binding NAME=VALUE"),
])
def test_every_usage_error_is_json_under_json(name, args, words):
    result = assert_error([name, *args, "--json"], 2, words)
    error = result.json()["error"]  # one object, the whole of stdout
    assert words in error["message"] and result.err.startswith(f"gradcli: error: ")


def test_explain_checks_every_view_before_printing_any():
    result = assert_error(["explain", "--paths", "--trace", "--tangent", "q", "y = x*x", "x=3"], 2,
                          "--tangent q: 'q' is not an input")
    assert result.out == ""
    both = run("explain", "--paths", "--trace", "--tangent", "x", "y = x*x", "x=3")
    assert both.code == 0 and "sum over 2 paths: 6" in both.out and "dy/dx = 6" in both.out
