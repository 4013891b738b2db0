"""User text never sends a control character to the terminal, and is never read as Rich markup.

Every place that echoes user text (an error's message and the program line under
it, a table cell, a data header) shows ESC, BEL, C1 controls as escapes
(``\\x1b``).  Each case puts ``ESC ] 0 ; PWNED BEL`` (which sets a terminal's
title) or a C1 control where a user can put text.
"""

import re

import pytest

from conftest import run

EVIL = "\x1b]0;PWNED\x07"
C1 = "\x9b31m"  # CSI in its one-character C1 form
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def data_file(tmp_path, text: str) -> str:
    path = tmp_path / "d.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


CASES = {
    "program line": lambda t: ["eval", f"f = x {EVIL}", "x=1"],
    "comment": lambda t: ["eval", f"f = x + # {EVIL}\ng = )", "x=1"],
    "c1 in program": lambda t: ["eval", f"f = x {C1}", "x=1"],
    "-f file name": lambda t: ["eval", "-f", str(t / f"no{EVIL}such.grad")],
    "@FILE name": lambda t: ["eval", "f = sum(x)", f"x=@{t}/no{EVIL}.csv"],
    "--data file name": lambda t: ["eval", "f = x^2", "--data", str(t / f"no{EVIL}.csv")],
    "-o file name": lambda t: ["graph", "f = x^2", "x=1", "-o", str(t / f"no{EVIL}dir" / "g.dot")],
    "--of": lambda t: ["eval", "f = x^2", "x=1", "--of", f"y{EVIL}"],
    "--wrt": lambda t: ["eval", "f = x^2", "x=1", "--wrt", f"y{EVIL}"],
    "--tangent": lambda t: ["explain", "--trace", "f = x^2", "x=1", "--tangent", f"y{EVIL}"],
    "--element": lambda t: ["explain", "--paths", "f = sum(x*x)", "x=[1, 2]", "--element", f"x[{EVIL}]"],
    "binding name": lambda t: ["eval", "f = x^2", f"x{EVIL}=1"],
    "binding value": lambda t: ["eval", "f = x^2", f"x=1{EVIL}"],
    "unknown command": lambda t: [f"evil{EVIL}"],
    "unknown option": lambda t: ["eval", f"--evil{EVIL}"],
    "data header": lambda t: ["eval", "f = x^2", "--data", data_file(t, f"x,id{EVIL}\n1,a\n")],
    "data cell": lambda t: ["eval", "f = x^2", "--data", data_file(t, f"x,id\n1,a{EVIL}\n2,b{C1}\n")],
    "data bad number": lambda t: ["eval", "f = x^2", "--data", data_file(t, f"x\n1{EVIL}\n2\n")],
    "data bad number csv": lambda t: ["eval", "f = x^2", "--data", data_file(t, f"x\n1{EVIL}\n2\n"),
                                      "--format", "csv"],
}


@pytest.mark.parametrize("case", list(CASES))
def test_no_control_character_reaches_the_terminal(tmp_path, case):
    result = run(*CASES[case](tmp_path))
    assert "Traceback" not in result.err and "internal error" not in result.err, result.err
    for stream in (result.out, result.err):
        assert not CONTROL.search(stream), repr(stream)
    assert "PWNED" in result.out + result.err or "9b" in result.out + result.err, (result.out, result.err)


def test_an_undecodable_byte_in_an_argument_is_escaped_in_json():
    """A byte that is not UTF-8 (0xff) reaches Python as a lone surrogate: JSON writes it as \\udcff
    (strict UTF-8 output has no other way to hold it), not an internal error."""
    import json
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "gradcli", "graph", "--json", "--", 'x"\udcff"', "x=1"],
                          capture_output=True)
    assert done.returncode == 2, done.stderr
    error = json.loads(done.stdout)["error"]
    assert error["kind"] == "syntax" and "\udcff" in error["message"]
    assert b"\\udcff" in done.stdout and b"internal error" not in done.stderr
