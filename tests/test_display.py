"""What people read: counted nouns agree, no line ends in spaces, one notation for derivatives."""

import re

import pytest

from conftest import SAMPLES, run

CHAIN13 = "y = " + "sin(" * 13 + "x" + ")" * 13  # one path of 13 edges: the tree elides one edge

CASES = [
    (["eval", "y = 2*x", "x=1", "--mode", "paths"], "(paths mode: 1 path product summed)"),
    (["eval", "y = 2*x", "x=1", "--mode", "forward"], "(forward mode, 1 pass)"),
    (["jacobian", "y = 2*x", "x=1"], "forward mode: 1 pass (one column per input); reverse mode: 1 pass"),
    (["jacobian", "y = 2*x", "x=1"], "the same cost for 1 output × 1 input"),
    (["explain", "--paths", "y = 2*x", "x=1"], "x = 1: 1 path to y"),
    (["explain", "--paths", "y = 2*x", "x=1"], "sum over 1 path: 2"),
    (["explain", "--paths", "y = x*x", "x=3", "--max-paths", "1"], "… 1 more path, not listed: it sums to 3"),
    (["explain", "--paths", CHAIN13, "x=1"], "… 1 more edge …"),
    (["explain", "--steps", "y = 2*x", "x=1"], "dy = 1 (seed)"),
    (["explain", "--trace", "y = 2*x", "x=1", "--adjoint"], "reverse mode, one sweep: dy/dx = 2"),
    (["explain", "--graph", "y = 2*x", "x=1"], "dy/dx = 2"),
    (["check", "y = 2*x", "x=1"], "x: 1 -> 1.001 moves y: 2 -> 2.002, slope 2.000"),
    (["descend", "L = (w*x - y)^2", "w=0", "--steps", "1", "--data", "ROW"], "1 step, mean over 1 data row"),
]
WRONG = re.compile(r"(?<![\d.])1 (paths|passes|steps|nodes|edges|rows|data rows|inputs|outputs|path products"
                   r"|more paths|more edges)\b|(?<![\d.])0 nodes\b")


@pytest.mark.parametrize("args, phrase", CASES, ids=lambda v: v if isinstance(v, str) else " ".join(v[:2]))
def test_counts_agree_and_no_line_ends_in_spaces(tmp_path, monkeypatch, args, phrase):
    monkeypatch.setenv("COLUMNS", "200")
    row = tmp_path / "row.csv"
    row.write_text("x,y\n2,6\n")  # L = (2w - 6)^2: dL/dw = -24 at w = 0
    result = run(*[str(row) if a == "ROW" else a for a in args])
    assert result.code == 0, result.err
    assert phrase in result.out
    assert not WRONG.search(result.out), WRONG.search(result.out)
    assert [line for line in result.out.splitlines() if line != line.rstrip()] == []


def test_a_long_path_shows_every_node_when_none_is_hidden():
    out = run("explain", "--paths", CHAIN13, "x=1").out
    assert "path 1: x → v1 → v2 → v3 → v4 → v5 → v6 → v7 → v8 → v9 → v10 → v11 → v12 → y" in out


def test_bauers_formula_is_one_line(monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    out = run("explain", "--paths", "-f", str(SAMPLES / "baydin_trace.grad")).out.splitlines()
    assert out[1] == "Bauer's formula: dy/dx = the sum over paths x → y of the product of the edge partials ∂v/∂u"
    assert out[2] == ""


def test_local_partials_are_partial_and_adjoints_total(monkeypatch):
    """The sigmoid neuron (cs231n): v1 = w0*x0 with w0 = 2, x0 = -1, and dv1 = 0.196612."""
    monkeypatch.setenv("COLUMNS", "200")
    out = run("explain", "--steps", "-f", str(SAMPLES / "sigmoid_neuron.grad")).out
    flat = " ".join(out.replace("│", " ").split())
    assert "∂v1/∂w0 = x0 = -1" in flat and "∂v1/∂x0 = w0 = 2" in flat and "dv1 = 0.196612" in flat
    assert not re.search(r"\bdv\d+/dv", out)  # no local partial written as a total
    assert "∂v/∂u: the local partial" in flat and "dX: df/dX, the total derivative" in flat
    jac = run("jacobian", "y1 = x1*x2; y2 = sin(x1) + x2", "x1=2", "x2=5").out
    assert "d·/dx1" in jac and "∂" not in jac.split("d·/dx: the total derivative")[0]
