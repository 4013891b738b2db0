"""Nesting bounds: array literals and JSON value files refuse more than 32 levels, cleanly and in linear
memory; a JSON integer too large for a double is an error at its place, a large finite one its double."""

import tracemalloc

import pytest

from conftest import assert_error, run_json
from gradcli.lang.syntax import parse_program
from gradcli.support.errors import ProgramError


def nested(depth, inner="1"):
    return "[" * depth + inner + "]" * depth


@pytest.mark.parametrize("inner", ["1", "x"])
@pytest.mark.parametrize("depth", [33, 65, 10_000])
def test_deep_literal_is_a_clean_error(tmp_path, depth, inner):
    program = tmp_path / "deep.grad"
    program.write_text(f"f = sum({nested(depth, inner)})")
    result = assert_error(["eval", "-f", str(program), "x=1"], 2, "nested more than 32 deep")
    assert "internal" not in result.err


def test_deep_literal_memory_is_linear():
    text = f"f = sum({nested(20_000)})"
    tracemalloc.start()
    try:
        with pytest.raises(ProgramError):
            parse_program(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 40_000_000, peak  # a quadratic build would take gigabytes here


def test_thirty_two_levels_are_an_array():
    result = run_json("eval", "f = sum(x*" + nested(32, "2") + ")", "x=3", "--json")
    assert result["value"] == 6.0 and result["gradient"]["x"] == 2.0


@pytest.mark.parametrize("depth", [33, 65, 100_000])
def test_deep_json_is_a_clean_error(tmp_path, depth):
    path = tmp_path / "v.json"
    path.write_text(nested(depth))
    assert_error(["eval", "y = sum(x)", f"x=@{path}"], 2, "nested more than 32 deep")


def test_brackets_inside_json_strings_are_text(tmp_path):
    path = tmp_path / "v.json"
    path.write_text('["' + "[" * 100 + '"]')
    assert_error(["eval", "y = sum(x)", f"x=@{path}"], 2, "is not a finite number")


@pytest.mark.parametrize("digits", [400, 5000])
def test_json_integer_too_large(tmp_path, digits):
    path = tmp_path / "v.json"
    path.write_text("[1,\n 2" + "9" * (digits - 1) + "]")
    assert_error(["eval", "y = sum(x)", f"x=@{path}"], 2,
                 f"v.json:2:2: the number 299999999999...({digits} digits) is too large for a double")


def test_json_large_finite_integer_is_its_double(tmp_path):
    path = tmp_path / "v.json"
    digits = "7" * 300
    path.write_text(f"[{digits}, 1]")
    result = run_json("eval", "y = sum(x)", f"x=@{path}", "--json")
    assert result["value"] == float(int(digits)) + 1.0
