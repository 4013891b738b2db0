"""`--data` rows: every JSON-lines key by the header's rules, one bad row never ends the stream,
lines read in linear time with a cap, one set of column rules for eval and descend, file lines."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from conftest import ROOT, assert_error, run, run_json_lines

COMMANDS = {"eval": ["--json"], "jacobian": ["--json"], "check": ["--json"]}


def write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def good_value(kind: str, line: dict) -> float:
    """The row's f = x*y, read from the command's own JSON shape."""
    return line["value"] if kind != "jacobian" else line["values"]["f"]


# ------------------------------------------------ 1, 2: every JSON-lines row by the same rules

def test_a_later_key_bound_on_the_command_line_is_that_rows_error():
    result = run("eval", "f = x*y", "y=10", "--data", "-", "--json", input='{"x": 1}\n{"x": 3, "y": 2}\n{"x": 4}\n')
    got = result.json_lines()
    assert result.code == 1
    assert got[0]["value"] == 1 * 10 and got[2]["value"] == 4 * 10
    assert got[1]["error"]["column"] == "y" and "bound on the command line" in got[1]["error"]["message"]


def test_a_later_key_that_names_a_computed_value_is_that_rows_error():
    result = run("eval", "g = 2*x; f = g*y", "y=10", "--data", "-", "--json", input='{"x": 1}\n{"x": 3, "g": 2}\n')
    got = result.json_lines()
    assert result.code == 1 and got[0]["value"] == 2 * 1 * 10
    assert got[1]["error"]["column"] == "g" and "computes" in got[1]["error"]["message"]


def test_a_later_unused_key_is_carried_through_with_json():
    result = run("eval", "f = x*y", "y=10", "--data", "-", "--json", input='{"x": 1}\n{"x": 3, "id": "b"}\n')
    got = result.json_lines()
    assert result.code == 0 and "extra" not in got[0]
    assert got[1]["extra"] == {"id": "b"} and got[1]["value"] == 30


def test_a_later_unused_key_with_csv_output_is_that_rows_error_not_dropped():
    result = run("eval", "f = x*y", "y=10", "--data", "-", "--format", "csv",
                 input='{"x": 1}\n{"x": 3, "id": "b"}\n')
    rows = result.out.splitlines()
    assert result.code == 1 and rows[1].startswith("0,1.0,10.0,10.0")
    assert "'id' is not in the first line" in rows[2] and "--json" in rows[2]


@pytest.mark.parametrize("text, bad", [
    ('{"x": 1, "x": 5}\n{"x": 2}\n', 0),
    ('{"x": 2}\n{"x": 1, "x": 5}\n', 1),
    ('{"x": 2}\n{"x": 1, "id": {"a": 1, "a": 2}}\n', 1),
])
def test_a_key_given_twice_is_that_rows_error(text, bad):
    result = run("eval", "f = x*y", "y=10", "--data", "-", "--json", input=text)
    got = result.json_lines()
    assert result.code == 1 and "appears twice" in got[bad]["error"]["message"]
    assert got[1 - bad]["value"] == 2 * 10


# ------------------------------------------------ 3: a bad row gets its error, the rest go on

BIG_INT = "1" + "0" * 400
DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("name, text, program, bindings", [
    ("big.jsonl", '{"x": 1}\n{"x": %s}\n{"x": 3}\n' % BIG_INT, "f = x*y", ["y=10"]),
    ("deep.jsonl", '{"x": 1}\n{"x": %s}\n{"x": 3}\n' % DEEP, "f = x*y", ["y=10"]),
    ("deep-extra.jsonl", '{"x": 1}\n{"x": 2, "id": %s}\n{"x": 3}\n' % DEEP, "f = x*y", ["y=10"]),
    ("long.csv", "x\n1\n%s\n3\n" % ("9" * 200_000), "f = x*y", ["y=10"]),
    ("quote.csv", 'x\n1\n"2\n3\n', "f = x*y", ["y=10"]),
])
def test_one_bad_row_does_not_end_the_stream(tmp_path, command, name, text, program, bindings):
    path = write(tmp_path, name, text)
    result = run(command, program, *bindings, "--data", path, *COMMANDS[command])
    got = result.json_lines()
    assert result.code == 1 and "internal error" not in result.err
    assert [line["row"] for line in got] == [0, 1, 2]
    assert "error" in got[1] and got[1]["error"]["line"] == (2 if name.endswith(".jsonl") else 3)
    if command != "check":
        assert good_value(command, got[0]) == 10 and good_value(command, got[2]) == 30
    else:
        assert got[0]["ok"] and got[2]["ok"]


def test_a_long_csv_cell_in_a_column_the_program_does_not_use_is_carried_through(tmp_path):
    long = "a" * 200_000
    path = write(tmp_path, "long.csv", f"x,note\n1,{long}\n2,b\n")
    got = run_json_lines("eval", "f = x*y", "y=10", "--data", path, "--json")
    assert got[0]["extra"] == {"note": long} and [g["value"] for g in got] == [10, 20]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_data_dependent_index_error_is_that_rows_error(tmp_path, command):
    # x = 2 makes p*x of shape (1,): [1] is out of range, as eval at x=2 says; x = [2, 5] makes it (2,)
    path = write(tmp_path, "x.jsonl", '{"x": 2}\n{"x": [2, 5]}\n')
    assert_error(["eval", "f = (p*x)[1]", "p=[1.0]", "x=2"], 2)
    result = run(command, "f = (p*x)[1]", "p=[1.0]", "--data", path, "--json")
    got = result.json_lines()
    assert result.code == 1 and "internal error" not in result.err
    assert got[0]["error"]["kind"] == "shape" and "index 1 is out of range" in got[0]["error"]["message"]
    assert got[0]["error"]["message"].startswith("1:10: ")
    # every row of a column has the first row's shape: [2, 5] after 2 is that row's error
    assert got[1]["error"]["column"] == "x" and "the column's rows have shape ()" in got[1]["error"]["message"]
    alone = write(tmp_path, "x2.jsonl", '{"x": [2, 5]}\n')
    got = run(command, "f = (p*x)[1]", "p=[1.0]", "--data", alone, "--json").json_lines()
    if command == "eval":
        assert got[0]["value"] == 1.0 * 5 and got[0]["gradient"] == {"p": [5.0], "x": [0.0, 1.0]}
    else:
        assert "error" not in got[0] or command == "jacobian"


def test_explain_row_of_a_bad_row_is_a_clean_error_and_a_good_row_explains(tmp_path):
    path = write(tmp_path, "x.jsonl", '{"x": 2}\n{"x": %s}\n{"x": [2, 5]}\n' % BIG_INT)
    for row in ("0", "1"):
        result = run("explain", "f = (p*x)[1]", "p=[1.0]", "--data", path, "--row", row, "--paths")
        assert result.code == 2 and f"row {row} (line {int(row) + 1})" in result.err
        assert "internal error" not in result.err
    assert run("explain", "f = (p*x)[1]", "p=[1.0]", "--data", path, "--row", "2", "--paths").code == 0


@pytest.mark.parametrize("text, words", [
    ('{"x": 1, "y": 1}\n{"x": %s, "y": 2}\n' % BIG_INT, "data row 2 (line 2): column x"),
    ('{"x": 1, "y": 1}\n{"x": %s, "y": 2}\n' % DEEP, "data row 2 (line 2): not JSON"),
    ("x,y\n1,1\n%s,2\n" % ("9" * 200_000), "data row 2 (line 3): column x"),
])
def test_descend_stops_cleanly_at_a_bad_row(tmp_path, text, words):
    path = write(tmp_path, "d.txt", text)
    result = assert_error(["descend", "L = (w*x - y)^2", "w=0", "--data", path], 2, words)
    assert "internal error" not in result.err


def test_descend_checks_array_shapes_against_the_data(tmp_path):
    path = write(tmp_path, "x.csv", "x\n2\n")
    result = assert_error(["descend", "L = (p*x)[1]^2", "p=[1.0]", "--data", path], 2, "index 1 is out of range")
    assert "internal error" not in result.err


# ------------------------------------------------ 4: lines in linear time, and a cap

def _eval_one_long_line(tmp_path, size: int) -> float:
    note = "a" * size
    path = write(tmp_path, f"long{size}.jsonl", json.dumps({"x": 2, "note": note}) + "\n")
    started = time.perf_counter()
    result = run("eval", "f = x^2", "--data", path, "--json")
    elapsed = time.perf_counter() - started
    assert result.code == 0 and result.json()["extra"]["note"] == note
    return elapsed


def test_a_long_line_is_read_in_linear_time(tmp_path):
    small = min(_eval_one_long_line(tmp_path, 2 << 20) for _ in range(3))
    large = min(_eval_one_long_line(tmp_path, 16 << 20) for _ in range(2))
    assert large < 24 * max(small, 1e-3)  # 8 times longer: linear ~8, quadratic ~64


def test_a_line_over_the_cap_is_a_usage_error_naming_the_cap(tmp_path, monkeypatch):
    from gradcli.support import data_rows

    monkeypatch.setattr(data_rows, "MAX_LINE", 1000)
    path = write(tmp_path, "x.csv", "x\n1\n" + "2" * 5000 + "\n3\n")
    assert_error(["eval", "f = x*y", "y=10", "--data", path, "--json"], 2, "line 3 is longer than 1,000 bytes")


def test_data_from_dev_zero_ends_with_exit_2():
    proc = subprocess.run([sys.executable, "-m", "gradcli", "eval", "f = x", "--data", "/dev/zero"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "longer than 67,108,864 bytes" in proc.stderr


# ------------------------------------------------ 5: linear in the number of columns

def test_the_table_and_csv_rows_are_linear_in_the_columns():
    from gradcli.analyses.batch import Batch, RowsResult
    from gradcli.autodiff.loading import load
    from gradcli.render import batch_view

    n = 40_000
    extras = [f"c{k}" for k in range(n)]
    batch = Batch(load("f = x^2", require_values=False), None, "eval", ["x"], extras)
    result = RowsResult(0, 1, {"x": [2.0]}, {"f": [4.0]}, {("f", "x"): [4.0]}, {k: ["1"] for k in extras})
    started = time.perf_counter()
    rows = batch_view.flat_rows(batch, result)
    batch_view.rows_rich(batch, rows, [], 1, 0, 1.0)
    assert time.perf_counter() - started < 3  # quadratic: 1.6e9 steps
    assert rows[0][:3] == [0, "1", "1"] and rows[0][-4:] == [2.0, 4.0, 4.0, ""]


# ------------------------------------------------ 6: one set of column rules, on the header first

def test_descend_skips_a_column_the_program_does_not_use(tmp_path):
    # y = 3x - 2 exactly: the least-squares line is w = 3, b = -2
    path = write(tmp_path, "d.csv", "id,x,y\na,1,1\nb,2,4\nc,3,7\n")
    result = run("descend", "L = (w*x + b - y)^2", "w=0", "b=0", "--data", path, "--steps", "4000",
                 "--lr", "0.05", "--json")
    done = result.json_lines()[-1]
    assert result.code == 0
    assert done["values"]["w"] == pytest.approx(3, abs=1e-9) and done["values"]["b"] == pytest.approx(-2, abs=1e-9)


@pytest.mark.parametrize("header, args, words", [
    ("x,L", ["w=0"], "the column 'L' names a value the program computes"),
    ("x,y", ["w=0", "y=1"], "y is a column and also bound on the command line"),
])
@pytest.mark.parametrize("command", ["eval", "descend"])
def test_the_header_is_checked_before_any_row(tmp_path, header, args, words, command):
    # the first row is broken: the header's error comes first, without reading it
    path = write(tmp_path, "d.csv", f"{header}\n1,2,3,4\n" + "1,2\n" * 1000)
    result = assert_error([command, "L = (w*x - y)^2", *args, "--data", path], 2)
    assert "line 1: " + words in result.err


# ------------------------------------------------ 7: errors name the file line

def test_row_errors_name_the_file_line_counting_blank_lines(tmp_path):
    text = "\nx\n1\n\n0\n2\n\n-1\n"
    path = write(tmp_path, "x.csv", text)
    result = run("eval", "f = log(x)", "--data", path, "--json")
    got = result.json_lines()
    file_lines = [k for k, t in enumerate(text.split("\n"), start=1) if t.strip()][1:]  # after the header
    assert [g.get("error", {}).get("line") for g in got] == [None, file_lines[1], None, file_lines[3]]
    assert f"row 1 (line {file_lines[1]})" in result.err


def test_descend_names_the_file_line_of_a_domain_error(tmp_path):
    path = write(tmp_path, "x.csv", "x\n1\n\n-3\n")
    assert_error(["descend", "L = (w - log(x))^2 + sum([w, w])", "w=0", "--data", path], 1, "data row 2 (line 4)")
