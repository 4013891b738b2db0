"""gradcli quiz: reproducible exercises at four levels, their answers the reverse sweep's, graded."""

from __future__ import annotations

import pytest

from conftest import assert_error, central_difference, run, run_json


@pytest.mark.parametrize("level", [1, 2, 3, 4])
def test_a_quiz_is_reproducible_and_its_answers_pass(level):
    first = run_json("quiz", "--level", str(level), "--seed", "5", "--answers", "--json")
    assert first == run_json("quiz", "--level", str(level), "--seed", "5", "--answers", "--json")
    assert first["blanks"] == list(first["answers"])
    program = first["program"]
    inputs = {line.split(" = ")[0]: line.split(" = ")[1] for line in program.splitlines()
              if line.split(" = ")[1].lstrip("-").replace(".", "").isdigit()}
    for name, text in inputs.items():  # an input's answer, against central differences of the program
        x = float(text)
        f = lambda v: run_json("eval", program, f"{name}={v}", "--json")["value"]
        assert first["answers"][f"d_{name}"] == pytest.approx(central_difference(lambda v: f(v), [x], 0), rel=1e-6,
                                                                abs=1e-9)
    sheet = "; ".join(f"{d} = {value}" for d, value in first["answers"].items())
    graded = run_json("quiz", "--level", str(level), "--seed", "5", "--grade", sheet, "--json")
    assert graded["ok"] and graded["missing"] == []


def test_the_fork_exercise():
    """x = -3, y = -2, q = x + y, f = q*x: df/dq = x = -3, df/dy = -3, df/dx = q + x = -8 (both paths)."""
    quiz = run_json("quiz", "--level", "2", "--seed", "7", "--answers", "--json")
    assert quiz["program"] == "x = -3\ny = -2\nq = x + y\nf = q*x\n"
    assert quiz["answers"] == {"d_q": -3.0, "d_y": -3.0, "d_x": -8.0}
    one_path = run_json("quiz", "--level", "2", "--seed", "7", "--grade", "d_q = -3; d_y = -3; d_x = -5", "--json",
                        code=1)
    assert one_path["first_wrong"] == "d_x" and one_path["adjoints"][-1]["slip"] == "missing-fork-contribution"


def test_the_sheet_and_the_exercise():
    exercise = run("quiz", "--level", "3", "--seed", "1").out
    assert "d_dot = ?" in exercise and "dot = w0*x0 + w1*x1 + w2" in exercise
    latex = run("quiz", "--level", "3", "--seed", "1", "--answers", "--latex").out
    assert latex.startswith("\\begin{align*}") and r"\frac{\partial f}{\partial \mathit{dot}}" in latex


def test_a_missing_answer_fails():
    assert_error(["quiz", "--level", "2", "--seed", "7", "--grade", "d_q = -3"], 1, "no answer for d_y, d_x")


@pytest.mark.parametrize("args, words", [
    (["--latex"], "--latex writes the answer sheet"),
    (["--answers", "--grade", "d_x = 1"], "grade your answers first"),
    (["--level", "9"], "--level"),
])
def test_usage_errors(args, words):
    assert_error(["quiz", *args], 2, words)
