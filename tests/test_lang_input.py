"""What is read as the program: a cap on -f's size, a window of a long line under an error, one program."""

import os

import pytest

from conftest import assert_error, run_json


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_endless_file_stops_at_the_cap():
    result = assert_error(["eval", "-f", "/dev/zero"], 2, "longer than 33,554,432 characters (32 MiB)")
    assert len(result.err) < 300  # nothing of the text echoed


@pytest.mark.parametrize("left, right", [(5000, 5000), (0, 20000), (20000, 0), (10, 10)])
def test_caret_window_on_a_long_line(tmp_path, left, right):
    program = tmp_path / "long.grad"
    line = "y = " + "x+" * left + "x § " + "+x" * right
    program.write_text(line + "\n")
    result = assert_error(["eval", "-f", str(program), "x=1"], 2)
    column = line.index("§") + 1
    message, shown, caret = result.err.splitlines()[:3]
    assert f":1:{column}: unexpected character '§'" in message
    assert len(shown) <= 4 + 3 + 81 + 3 and caret.endswith("^")
    assert shown[len(caret) - 1] == "§"  # the caret stands under the character
    if len(line) <= 81:
        assert shown == "    " + line


@pytest.mark.parametrize("args", [["y = x^2", "x=3"], ["y=x^2"], ["x^2 + 1", "x=2"]])
def test_file_and_program_argument(tmp_path, args):
    program = tmp_path / "p.grad"
    program.write_text("y = 2*x\n")
    assert_error(["eval", "-f", str(program), *args], 2, "two programs given")


def test_file_with_bindings_still_runs(tmp_path):
    program = tmp_path / "p.grad"
    program.write_text("y = a*x^2\n")
    result = run_json("eval", "-f", str(program), "a=pi", "x=3", "--json")
    assert result["gradient"]["x"] == pytest.approx(2 * 3.141592653589793 * 3, rel=1e-15)
