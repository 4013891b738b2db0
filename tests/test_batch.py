"""`--data FILE`: many points in one run, one JSON line (or CSV row) per data row."""

from __future__ import annotations

import csv
import io
import json
import math
import random
import subprocess
import sys
import time

import pytest

from conftest import ROOT, SAMPLES, assert_error, run, run_json, run_json_lines
from gradcli.autodiff.gradient import evaluate
from gradcli.autodiff.loading import load

PROGRAM = "f = x^2*y + log(x)"
ROWS = [(1.5, 2.0, "a"), (3.0, -4.0, "b"), (0.25, 7.0, "c")]


def single(program: str, **values) -> dict:
    return run_json("eval", program, *(f"{k}={v!r}" for k, v in values.items()), "--json")


def as_csv(sep=","):
    return "x{0}y{0}id\n".format(sep) + "".join(f"{x}{sep}{y}{sep}{i}\n" for x, y, i in ROWS)


def as_jsonl():
    return "".join(json.dumps({"x": x, "y": y, "id": i}) + "\n" for x, y, i in ROWS)


@pytest.mark.parametrize("text", [as_csv(), as_csv("\t"), as_jsonl()], ids=["csv", "tsv", "jsonl"])
@pytest.mark.parametrize("where", ["file", "stdin"])
def test_every_format_gives_single_point_numbers_and_carries_extra_columns(tmp_path, text, where):
    if where == "file":
        path = tmp_path / "rows.txt"
        path.write_text(text)
        result = run("eval", PROGRAM, "--data", str(path), "--json")
    else:
        result = run("eval", PROGRAM, "--data", "-", "--json", input=text)
    assert result.code == 0, result.err
    got = result.json_lines()
    assert [line["row"] for line in got] == [0, 1, 2]
    for line, (x, y, ident) in zip(got, ROWS):
        expected = single(PROGRAM, x=x, y=y)
        assert line["inputs"] == {"x": x, "y": y}
        assert line["value"] == expected["value"] and line["gradient"] == expected["gradient"]
        assert line["extra"] == {"id": ident}


def test_an_input_not_in_the_file_takes_its_binding(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("x\n2\n3\n")
    got = run_json_lines("eval", PROGRAM, "y=5", "--data", str(path), "--json")
    assert [line["gradient"] for line in got] == [single(PROGRAM, x=x, y=5.0)["gradient"] for x in (2.0, 3.0)]
    assert got[0]["inputs"] == {"x": 2.0, "y": 5.0}


@pytest.mark.parametrize("row, kind, column", [
    ("abc,2,z", "not-a-number", "x"),
    (",2,z", "missing", "x"),
    ("1,inf,z", "not-a-number", "y"),
    ("-1,2,z", "domain", None),  # log(-1)
    ("1,2", "cells", None),
])
def test_a_bad_row_gets_an_error_line_and_the_others_go_on(tmp_path, row, kind, column):
    path = tmp_path / "rows.csv"
    path.write_text("x,y,id\n2,3,a\n" + row + "\n4,5,c\n")
    result = run("eval", PROGRAM, "--data", str(path), "--json")
    got = result.json_lines()
    assert result.code == 1
    assert result.err.count("\n") == 1 and "1 of 3 rows failed" in result.err
    assert got[1]["row"] == 1 and got[1]["error"]["kind"] == kind and got[1]["error"]["column"] == column
    assert got[0]["value"] == single(PROGRAM, x=2.0, y=3.0)["value"]
    assert got[2]["gradient"] == single(PROGRAM, x=4.0, y=5.0)["gradient"]


def test_a_domain_error_has_the_single_point_message(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("x,y\n1,1\n2,2\n-1,2\n")
    got = run_json_lines("eval", PROGRAM, "--data", str(path), "--json", code=1)
    alone = run_json("eval", PROGRAM, "x=-1", "y=2", "--json", code=1)["error"]
    assert got[2]["error"]["message"] == f"{alone['line']}:{alone['column']}: {alone['message']}"


@pytest.mark.parametrize("header, bindings, message", [
    ("a,b", [], "names no input"),
    ("x", [], "no value for input y"),
    ("x,y", ["y=2"], "also bound"),
])
def test_what_no_row_could_use_is_exit_2_before_any_work(tmp_path, header, bindings, message):
    path = tmp_path / "rows.csv"
    path.write_text(header + "\n" + ",".join("1" for _ in header.split(",")) + "\n")
    result = assert_error(["eval", PROGRAM, *bindings, "--data", str(path), "--json"], 2, message)
    assert '"row"' not in result.out


@pytest.mark.parametrize("program, exact", [
    ("f = x*y - z/x + sin(z)*cos(y) + sqrt(x)", True),
    ("f = x^2*y + exp(z)*log(x) - tanh(y)*atan(z)", False),
])
def test_200_random_rows_equal_single_point_eval(tmp_path, program, exact):
    rng = random.Random(7)
    rows = [(rng.uniform(0.1, 5), rng.uniform(-3, 3), rng.uniform(-2, 2)) for _ in range(200)]
    path = tmp_path / "rows.csv"
    path.write_text("x,y,z\n" + "".join(f"{x!r},{y!r},{z!r}\n" for x, y, z in rows))
    got = run_json_lines("eval", program, "--data", str(path), "--json")
    assert len(got) == 200
    for line, (x, y, z) in zip(got, rows):
        one = evaluate(load(program, [f"x={x!r}", f"y={y!r}", f"z={z!r}"]))
        expected = [one.value, *one.gradient.values()]
        actual = [line["value"], *line["gradient"].values()]
        if exact:  # numpy's +, -, *, /, sin, cos, sqrt give math's doubles
            assert actual == expected
        else:  # numpy's exp, log, tanh, atan and pow may differ from libm's in the last bits
            assert all(math.isclose(a, e, rel_tol=1e-14, abs_tol=1e-300) for a, e in zip(actual, expected))


def test_format_csv_writes_inputs_value_and_derivative_columns(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text(as_csv())
    result = run("eval", PROGRAM, "--data", str(path), "--format", "csv")
    table = list(csv.DictReader(io.StringIO(result.out)))
    assert list(table[0]) == ["row", "id", "x", "y", "f", "df/dx", "df/dy", "error"]
    for row, (x, y, ident) in zip(table, ROWS):
        expected = single(PROGRAM, x=x, y=y)
        assert row["id"] == ident and float(row["f"]) == expected["value"]
        assert float(row["df/dx"]) == expected["gradient"]["x"] and float(row["df/dy"]) == expected["gradient"]["y"]


def test_the_table_shows_first_and_last_rows_and_a_summary(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("x,y\n" + "".join(f"{k + 1},2\n" for k in range(20)))
    result = run("eval", PROGRAM, "--data", str(path))
    assert result.code == 0 and "20 rows, 0 failed" in result.out
    assert "…" in result.out and "│  19 │" in result.out and "│   5 │" not in result.out


def test_jacobian_and_check_per_row(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("x1,x2\n2,5\n1,-3\n")
    got = run_json_lines("jacobian", "y1 = x1*x2; y2 = sin(x1) + x2", "--data", str(path), "--json")
    alone = run_json("jacobian", "y1 = x1*x2; y2 = sin(x1) + x2", "x1=1", "x2=-3", "--json")
    assert got[1]["values"] == alone["values"]
    assert [list(got[1]["jacobian"][y].values()) for y in ("y1", "y2")] == alone["jacobian"]
    path.write_text("x\n1\n2\n")
    result = assert_error(["check", "f = x^3", "--eps", "1", "--data", str(path), "--json"], 1)
    assert [line["ok"] for line in result.json_lines()] == [False, False]
    assert all(line["checks"]["x"]["analytic"] == 3 * x * x for line, x in zip(result.json_lines(), (1, 2)))
    assert run("check", "f = x^3", "--data", str(path), "--json").code == 0


def test_explain_picks_one_row(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text(as_csv())
    picked = run("explain", "--steps", PROGRAM, "--data", str(path), "--row", "1", "--json")
    direct = run("explain", "--steps", PROGRAM, "x=3.0", "y=-4.0", "--json")
    assert picked.code == 0 and picked.out == direct.out
    assert_error(["explain", "--steps", PROGRAM, "--data", str(path), "--row", "3"], 2)


def test_a_piped_row_is_answered_while_the_producer_waits():
    proc = subprocess.Popen([sys.executable, "-m", "gradcli", "eval", PROGRAM, "--data", "-", "--json"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT, text=True)
    try:
        for k, x in enumerate([2.0, 3.0]):
            proc.stdin.write(json.dumps({"x": x, "y": 1.0}) + "\n")
            proc.stdin.flush()
            started = time.monotonic()
            line = json.loads(proc.stdout.readline())  # arrives although stdin stays open
            assert line["row"] == k and line["value"] == single(PROGRAM, x=x, y=1.0)["value"]
            assert time.monotonic() - started < 10
        proc.stdin.close()
        assert proc.wait(timeout=10) == 0
    finally:
        proc.kill()


def test_readme_points_sample_exists():
    assert (SAMPLES / "points.csv").read_text().startswith("x,y")


@pytest.mark.parametrize("program, bad", [
    ("f = exp(log(x)) + y", "0"),  # log(0) = -inf vanishes in exp(-inf) = 0: still the row's error
    ("f = 1/(x/(x - 2) + 1) + y", "2"),  # 2/0 = inf vanishes in 1/inf = 0
    ("f = tanh(exp(x)) * y", "1000"),  # exp(1000) = inf vanishes in tanh(inf) = 1
    ("f = sqrt(x - 2) * y", "2"),  # the derivative of sqrt at 0 is infinite: found in the gradient
])
def test_a_bad_value_that_vanishes_downstream_is_still_found(tmp_path, program, bad):
    """Each row's verdict is the single-point one, even where an infinity disappears later."""
    path = tmp_path / "rows.csv"
    path.write_text(f"x,y\n3,3\n{bad},3\n")
    result = run("eval", program, "--data", str(path), "--json")
    got = result.json_lines()
    assert "error" not in got[0] and result.code == 1
    alone = assert_error(["eval", program, f"x={bad}", "y=3", "--json"], 1)
    assert got[1]["error"]["kind"] == alone.json()["error"]["kind"]
