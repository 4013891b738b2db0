"""explain --trace: Baydin et al. (2018) Tables 2 and 3, value by value."""

import math

import pytest

from conftest import SAMPLES, assert_error, run, run_json

BAYDIN = "y = log(x1) + x1*x2 - sin(x2)"
X1, X2 = 2.0, 5.0


def primals():
    v1, v2, v4 = math.log(X1), X1 * X2, math.sin(X2)
    return [X1, X2, v1, v2, v1 + v2, v4, v1 + v2 - v4]


def tangents_x1():
    """Table 2, seeded at x1: each line's tangent rule by hand."""
    dm1, d0 = 1.0, 0.0
    d1 = dm1 / X1
    d2 = dm1 * X2 + X1 * d0
    d3 = d1 + d2
    d4 = math.cos(X2) * d0
    return [dm1, d0, d1, d2, d3, d4, d3 - d4]


def adjoints():
    """Table 3: the reverse sweep by hand, from y-bar = 1."""
    b5 = 1.0
    b4, b3 = -b5, b5
    b1, b2 = b3, b3
    b0 = b2 * X1 + b4 * math.cos(X2)
    bm1 = b1 / X1 + b2 * X2
    return [bm1, b0, b1, b2, b3, b4, b5]


def trace(*args):
    return run_json("explain", "--trace", BAYDIN, "x1=2", "x2=5", "--json", *args)


def test_layout_and_primals():
    data = trace()
    rows = data["trace"]
    assert [r["index"] for r in rows] == [-1, 0, 1, 2, 3, 4, 5]
    assert [r["name"] for r in rows] == ["x1", "x2", None, None, None, None, "y"]
    assert [r["definition"] for r in rows] == [None, None, "log(v_-1)", "v_-1*v_0", "v1+v2",
                                                "sin(v_0)", "v3-v4"]
    assert [r["value"] for r in rows] == pytest.approx(primals(), rel=1e-15)
    assert [round(r["value"], 4) for r in rows] == [2, 5, 0.6931, 10, 10.6931, -0.9589, 11.6521]
    assert (data["output"], data["value"]) == ("y", rows[-1]["value"])
    assert all("tangent" not in r and "adjoint" not in r for r in rows)


def test_table_2_tangent_column():
    rows = trace("--tangent", "x1")["trace"]
    assert [r["tangent"] for r in rows] == pytest.approx(tangents_x1(), rel=1e-15)
    assert rows[-1]["tangent"] == 5.5
    assert all("adjoint" not in r for r in rows)


def test_table_3_adjoint_column():
    rows = trace("--adjoint")["trace"]
    assert [r["adjoint"] for r in rows] == pytest.approx(adjoints(), rel=1e-15)
    assert rows[0]["adjoint"] == 5.5 and round(rows[1]["adjoint"], 4) == 1.7163


def test_both_columns_and_the_sample_file():
    rows = run_json("explain", "--trace", "-f", str(SAMPLES / "baydin_trace.grad"), "--tangent", "x2",
                    "--adjoint", "--json")["trace"]
    assert rows[-1]["tangent"] == rows[1]["adjoint"]  # dy/dx2, by one forward pass and by the sweep
    assert rows[-1]["tangent"] == pytest.approx(2 - math.cos(5), rel=1e-15)


def test_constants_are_inline():
    rows = run_json("explain", "--trace", "y = x*(-2) + 3", "x=1", "--json")["trace"]
    assert [r["name"] for r in rows] == ["x", None, "y"]
    assert rows[1]["definition"] == "v_0*(-2)" and rows[2]["definition"].endswith("+3")
    assert [r["value"] for r in rows] == [1.0, -2.0, 1.0]


def test_rich_output(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    out = run("explain", "--trace", BAYDIN, "x1=2", "x2=5", "--tangent", "x1", "--adjoint").out
    assert "v_-1" in out and "log(v_-1)" in out
    assert "dy/dx1 = 5.5" in out and "dy/dx2 = 1.71634" in out


@pytest.mark.parametrize("args, words", [
    (["--tangent", "x3"], "'x3' is not an input of the program (inputs: x1, x2)"),
    (["--tangent", "y"], "'y' is not an input"),
])
def test_tangent_must_be_an_input(args, words):
    assert_error(["explain", "--trace", BAYDIN, "x1=2", "x2=5", *args], 2, words)
    as_json = assert_error(["explain", "--trace", BAYDIN, "x1=2", "x2=5", "--json", *args], 2)
    assert as_json.json()["error"]["kind"] == "usage"


def test_adjoint_needs_trace():
    assert_error(["explain", "--graph", BAYDIN, "x1=2", "x2=5", "--adjoint"], 2)


def test_help():
    result = run("explain", "--help")
    assert result.code == 0 and "--tangent" in result.out
