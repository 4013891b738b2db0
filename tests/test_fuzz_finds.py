"""What the fuzzer (tests/fuzzer.py) found in long runs, each kept as a case of its own."""

from __future__ import annotations

import pytest

from conftest import assert_error, run


@pytest.mark.parametrize("args", [
    ["eval", "-f", "a\x00b"],
    ["graph", "y = x", "x=1", "-o", "a\x00b"],
    ["eval", "y = sum(x)", "x=@a\x00b.npy"],
    ["descend", "--data", "\x00", "y = x^2", "x=1"],
])
def test_an_argument_with_a_nul_is_a_usage_error(args):
    result = assert_error(args, 2, "NUL")
    assert result.err.startswith("gradcli: error: argument")
    assert "internal error" not in result.err


def test_an_element_without_indices_of_an_array_says_how_to_name_one():
    assert_error(["explain", "--element", "W", "f = sum(abs(W - 1))", "W=[[1.0], [1.2], [-0.4]]"], 2,
                 "W has shape (3, 1): give 2 indices in range, like W[0,0]")


def test_a_split_binding_with_a_newline_is_hinted_on_one_line():
    """`x= 'c2<newline>2'`: the hint quotes the binding it suggests, so the error stays one line."""
    result = assert_error(["eval", "f = x", "x=", "c2\n2"], 2, "a binding is one argument", r"write 'x=c2\n2'")
    assert result.err.count("\n") == 1


def test_ctrl_c_in_a_finalizer_ends_the_run_quietly():
    """A Ctrl-C that lands in a ``__del__`` cannot reach the click layer; Python would print
    "Exception ignored in ..." and a traceback, and go on.  gradcli ends with 130 and one line."""
    import subprocess
    import sys

    code = ("from gradcli.support.interrupt import exit_on_interrupt\n"
            "exit_on_interrupt()\n"
            "class Finalized:\n"
            "    def __del__(self):\n"
            "        raise KeyboardInterrupt\n"
            "Finalized()\n"
            "print('went on')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (130, "", "gradcli: interrupted\n")


def test_csv_output_escapes_control_characters_from_the_data(tmp_path):
    """An extra column's cell holding an escape sequence is written escaped, never raw."""
    data = tmp_path / "rows.csv"
    data.write_text("x,note\n3,\x1b]0;PWNED\x07hi\n")
    result = run("eval", "f = x*x", "--data", str(data), "--format", "csv")
    assert result.code == 0 and "\x1b" not in result.out and "\x07" not in result.out
    assert "\\x1b]0;PWNED\\x07hi" in result.out and ",3.0,9.0,6.0," in result.out  # f = 9, df/dx = 6 at x = 3
