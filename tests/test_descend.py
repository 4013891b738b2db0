"""`gradcli descend`: convergence to known minima, the line fit, the JSON stream, divergence, data errors."""

import csv
import json

import pytest

from conftest import SAMPLES, assert_error, run, run_json_lines

LINE = str(SAMPLES / "line_fit.grad")
LINE_DATA = str(SAMPLES / "line_fit.csv")


def stream(*args, code=0):
    return run_json_lines("descend", *args, "--json", code=code)


def test_json_stream_follows_the_update_rule():
    """L = (w - 3)^2 from w = 0 with lr 0.1: w_k = 3 - 3 * 0.8^k, L_k = (3 * 0.8^k)^2."""
    lines = stream("L = (w - 3)^2", "w=0", "--lr", "0.1", "--steps", "5")
    assert [line.get("step") for line in lines[:-1]] == [0, 1, 2, 3, 4, 5]
    for k, line in enumerate(lines[:-1]):
        assert line["values"]["w"] == pytest.approx(3 - 3 * 0.8 ** k, rel=1e-12)
        assert line["loss"] == pytest.approx((3 * 0.8 ** k) ** 2, rel=1e-12)
        assert line["gradient"]["w"] == pytest.approx(-6 * 0.8 ** k, rel=1e-12)
    done = lines[-1]
    assert done["done"] is True and done["steps"] == 5 and done["converged"] is False
    assert done["values"] == lines[-2]["values"] and done["start"]["values"] == {"w": 0.0}


def test_quadratic_converges_to_its_analytic_minimum():
    """samples/quadratic.grad: the gradient (2(x - 2) + y, 6(y + 1) + x) vanishes at (30/11, -16/11)."""
    done = stream("-f", str(SAMPLES / "quadratic.grad"), "--until", "1e-10", "--steps", "1000")[-1]
    assert done["converged"] is True and done["steps"] < 1000
    assert done["values"]["x"] == pytest.approx(30 / 11, abs=1e-9)
    assert done["values"]["y"] == pytest.approx(-16 / 11, abs=1e-9)
    assert done["loss"] == pytest.approx(-31 / 11, abs=1e-12)
    assert done["gradient_norm"] < 1e-10


def test_line_fit_recovers_slope_and_intercept():
    """samples/line_fit.csv holds points on y = 3x - 2."""
    with open(LINE_DATA) as f:
        rows = [(float(r["x"]), float(r["y"])) for r in csv.DictReader(f)]
    assert all(y == 3 * x - 2 for x, y in rows)
    lines = stream("-f", LINE, "--data", LINE_DATA, "--steps", "300")
    # step 0 at w = b = 0: the loss is the mean of y^2, the gradient the mean of -2xy and -2y
    first = lines[0]
    assert first["loss"] == pytest.approx(sum(y * y for _, y in rows) / len(rows), rel=1e-12)
    assert first["gradient"]["w"] == pytest.approx(sum(-2 * x * y for x, y in rows) / len(rows), rel=1e-12)
    assert first["gradient"]["b"] == pytest.approx(sum(-2 * y for _, y in rows) / len(rows), rel=1e-12)
    assert set(first["values"]) == {"w", "b"}  # data columns are not trained
    done = lines[-1]
    assert done["values"]["w"] == pytest.approx(3, abs=1e-9)
    assert done["values"]["b"] == pytest.approx(-2, abs=1e-9)
    assert done["rows"] == len(rows)


def test_json_lines_data(tmp_path):
    """Points on y = -0.5x + 4, as JSON lines."""
    path = tmp_path / "points.jsonl"
    path.write_text("".join(json.dumps({"x": x, "y": -0.5 * x + 4}) + "\n" for x in (-1, 0, 1, 2)))
    done = stream("L = (w*x + b - y)^2", "w=0", "b=0", "--data", str(path), "--steps", "500", "--lr", "0.2")[-1]
    assert done["values"]["w"] == pytest.approx(-0.5, abs=1e-9)
    assert done["values"]["b"] == pytest.approx(4, abs=1e-9)


def test_table_output_without_a_progress_bar_when_piped():
    result = run("descend", "L = (w - 3)^2 + (b + 1)^2", "w=0", "b=0", "--steps", "100")
    assert result.code == 0, result.err
    assert "\x1b[" not in result.out and "\r" not in result.out
    rows = {line.split("│")[1].strip(): line for line in result.out.splitlines() if line.count("│") > 2}
    assert rows["w"].split("│")[2].strip() == "0" and rows["w"].split("│")[3].strip() == "3"
    assert rows["b"].split("│")[3].strip() == "-1"
    assert rows["L (loss)"].split("│")[2].strip() == "10"  # 3^2 + 1^2 at the start


def test_fixed_inputs_stay_fixed():
    done = stream("L = (w - a)^2", "w=0", "a=5", "--wrt", "w", "--steps", "200")[-1]
    assert done["values"] == {"w": pytest.approx(5, abs=1e-12)}


def test_divergence_stops_with_exit_1():
    """lr 10 on (w - 3)^2 multiplies the error by -19 each step until it overflows."""
    assert_error(["descend", "L = (w - 3)^2", "w=0", "--lr", "10", "--steps", "1000"], 1,
                 "descent diverged at step", "last finite values", "w=", "try a smaller --lr")
    lines = stream("L = (w - 3)^2", "w=0", "--lr", "10", "--steps", "1000", code=1)
    assert lines[-1]["error"]["kind"] == "diverged"
    last = lines[-2]
    assert last["values"]["w"] - 3 == pytest.approx(-3 * (-19.0) ** last["step"], rel=1e-9)


def test_steps_zero_and_until_zero_gradient():
    lines = stream("L = (w - 3)^2", "w=0", "--steps", "0")
    assert len(lines) == 2 and lines[-1]["steps"] == 0 and lines[-1]["loss"] == 9.0
    done = stream("L = (w - 3)^2", "w=3", "--until", "1e-12")[-1]
    assert done["steps"] == 0 and done["converged"] is True


@pytest.mark.parametrize("content, args, words", [
    ("x,L\n1,2\n", [], "the column 'L' names a value the program computes"),
    ("x,y\n1,abc\n", [], "data row 1 (line 2): column y: 'abc' is not a finite number"),
    ("x,y\n1,2,3\n", [], "data row 1 (line 2): the row has 3 cells, the header 2"),
    ("1,2\n", [], "the header names no input"),
    ("x,y\n", [], "no data rows"),
    ("x,y\n1,2\n", ["--wrt", "w,x"], "--wrt x: this is a data column"),
])
def test_data_errors_exit_2(tmp_path, content, args, words):
    path = tmp_path / "data.csv"
    path.write_text(content)
    assert_error(["descend", "-f", LINE, "--data", str(path), *args], 2, words)


@pytest.mark.parametrize("args, words", [
    (["L = (w*x + b - y)^2", "w=0", "--data", LINE_DATA], "no starting value for b"),
    (["L = (w - 3)^2", "w=0", "--lr", "0"], "must be greater than 0"),
    (["L = (w - 3)^2", "w=0", "--lr", "1e999"], "not a finite number"),
    (["L = (w - 3)^2", "w=0", "--steps", "-1"], "-1"),
])
def test_usage_errors(args, words):
    assert_error(["descend", *args], 2, words)


def test_domain_error_at_the_start_is_the_program_error():
    assert_error(["descend", "L = log(w)", "w=-1"], 1, "log(-1) is undefined")


def test_help():
    result = run("descend", "--help")
    assert result.code == 0 and "--data FILE" in result.out and "gradcli descend 'L = (w - 3)^2'" in result.out


def test_until_not_reached_says_so():
    """(w - 3)^2 from 0 with lr 0.1: after 10 steps |gradient| = 6 * 0.8^10 = 0.644245, above 1e-9."""
    result = run("descend", "L = (w - 3)^2", "w=0", "--until", "1e-9", "--steps", "10")
    assert result.code == 0
    message = "--until 1e-09 not reached in 10 steps: |gradient| = 0.644245"
    assert " ".join(result.out.split()).endswith(message)
    assert result.err == f"gradcli: warning: {message}\n"
    lines = stream("L = (w - 3)^2", "w=0", "--until", "1e-9", "--steps", "10")
    assert lines[-1]["converged"] is False and lines[-1]["gradient_norm"] == pytest.approx(6 * 0.8 ** 10)


def test_data_rows_in_one_sweep_equal_the_row_loop():
    """Every row at once (one array sweep a step) gives the row-by-row loop's mean loss and gradient."""
    from gradcli.analyses.descent import Descent, prepare_descent, read_data
    from gradcli.autodiff.loading import load

    loaded = load(open(LINE).read(), ["w=0.5", "b=-1"], require_values=False)
    data = read_data(LINE_DATA, loaded, ["w", "b"])
    problem = prepare_descent(loaded, data, wrt_given=False)
    descent = Descent(problem, 0.1, 1, data=data)
    assert descent._batch is not None
    inputs = problem.input_values()
    at_once = descent._rows_at_once(dict(inputs))
    by_row = descent._row_by_row(dict(inputs))
    assert at_once[0] == pytest.approx(by_row[0], rel=1e-14)
    assert at_once[1] == pytest.approx(by_row[1], rel=1e-14)


@pytest.mark.parametrize("name, text, extra", [
    ("data.tsv", "x\ty\n1\t1\n2\t4\n3\t7\n", []),
    ("data.jsonl", '{"x": 1, "y": 1}\n{"x": 2, "y": 4}\n{"x": 3, "y": 7}\n', []),
    ("-", "x,y\n1,1\n2,4\n3,7\n", []),
])
def test_data_as_tsv_json_lines_or_standard_input(tmp_path, name, text, extra):
    """y = 3x - 2 exactly: descent recovers w = 3, b = -2 whatever the format."""
    if name != "-":
        (tmp_path / name).write_text(text)
    source = "-" if name == "-" else str(tmp_path / name)
    done = run_json_lines("descend", "L = (w*x + b - y)^2", "w=0", "b=0", "--data", source, "--steps", "3000",
                          "--lr", "0.1", "--json", input=text if name == "-" else None)[-1]
    assert done["values"]["w"] == pytest.approx(3.0, abs=1e-6)
    assert done["values"]["b"] == pytest.approx(-2.0, abs=1e-6)


def test_a_domain_error_names_its_data_row(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("x\n1\n2\n-3\n")
    assert_error(["descend", "L = (w - log(x))^2", "w=0", "--data", str(path)], 1, "data row 3", "log(-3)")


def test_steps_are_bounded():
    assert_error(["descend", "L = -w", "w=0", "--steps", "99999999999999999999"], 2, "gradcli: error:", "--steps")
