"""Names as written on paper (Unicode letters, subscript digits), ⋅ for *, and lines continued inside brackets."""

import math

import pytest

from conftest import assert_error, run_json


def evaluate(program, *bindings):
    return run_json("eval", program, *bindings, "--json")


@pytest.mark.parametrize("name", ["σ", "λ", "θ", "x₁", "w_ij", "θ₁₂", "café", "Δx"])
def test_unicode_names(name):
    data = evaluate(f"y = {name}^2 + 3⋅{name}", f"{name}=2")
    assert data["value"] == 2**2 + 3 * 2
    assert data["gradient"][name] == 2 * 2 + 3


def test_columns_count_characters():
    assert_error(["eval", "y = θ₁ + λ ⋅ §", "θ₁=1", "λ=2"], 2, "1:14: unexpected character '§'")


@pytest.mark.parametrize("program, column, bad", [("y = x½ + 1", 6, "½"), ("y = ①", 5, "①")])
def test_characters_no_name_has(program, column, bad):
    assert_error(["eval", program, "x=1"], 2, f"1:{column}: unexpected character '{bad}'")


def test_superscripts_and_pi_stay_their_own_tokens():
    data = evaluate("y = x₁² + 2π", "x₁=3")
    assert data["value"] == pytest.approx(9 + 2 * math.pi) and data["gradient"]["x₁"] == 6.0


def test_matrix_literal_over_lines():
    # W @ x by hand: [[1, 2], [3, 4]] @ [1, 1] = [3, 7]; the sum is 10, d/dx = column sums [4, 6]
    program = "W = [[1, 2],\n     [3, 4]]\nf = sum(W @ x)  # the rows above are one statement\n"
    data = evaluate(program, "x=[1, 1]")
    assert data["value"] == 10.0 and data["gradient"]["x"] == [4.0, 6.0]


def test_call_over_lines():
    data = evaluate("y = max(x,\n        2*x,\n\n        3)\nz = y + 1", "x=2")
    assert data["value"] == 5.0


def test_errors_after_a_continued_line_keep_line_and_column():
    assert_error(["eval", "y = max(x,\n  2*x §)", "x=1"], 2, "2:7: unexpected character '§'")
