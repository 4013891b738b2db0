"""The pictures (gradcli graph, every format) give a constant no gradient: its edges carry no
number or rule, it is drawn once per use, and an operation on constants only has no adjoint."""

import math
import re

import pytest

from conftest import SAMPLES, run, run_json

NG = str(SAMPLES / "ng_chain.grad")
NEURON = str(SAMPLES / "sigmoid_neuron.grad")
DOT_EDGE = re.compile(r"^\s*(\w+) -> (\w+) \[(.*)\];$", re.M)
MERMAID_EDGE = re.compile(r"^\s*(\w+) (-->\|\"[^\"]*\"\||-\.->) (\w+)$", re.M)


def dot_edges(text: str) -> list[tuple[str, str, str | None]]:
    """(source id, target id, edge label or None)."""
    found = []
    for source, target, attributes in DOT_EDGE.findall(text):
        label = re.search(r'label="([^"]*)"', attributes)
        found.append((source, target, label.group(1) if label else None))
    return found


def dot_ids(text: str, pattern: str) -> list[str]:
    """The ids of the DOT nodes whose bold title matches ``pattern``."""
    return re.findall(r"^\s*(\w+) \[label=<<b>" + pattern + r"</b>", text, re.M)


def test_ngs_constant_three_has_no_partial_on_its_edge():
    data = run_json("graph", "-f", NG, "--format", "json")
    kinds = {n["id"]: n["kind"] for n in data["nodes"]}
    from_constants = [e for e in data["edges"] if kinds[e["from"]] == "const"]
    assert from_constants and all(e["partial"] is None and e["formula"] is None for e in from_constants)
    dot = run("graph", "-f", NG).out
    (j,) = dot_ids(dot, "J = 3\\*v")
    (v,) = dot_ids(dot, "v = a\\+u")
    into_j = {(s, label) for s, t, label in dot_edges(dot) if t == j}
    assert (v, "3") in into_j  # dJ/dv = 3: the one number on an edge into J
    assert [label for s, label in into_j if s != v] == [None]  # 3 -> J: no label (it was 11 = v)


def test_the_neurons_one_is_drawn_once_per_use_and_carries_nothing():
    dot = run("graph", "-f", NEURON).out
    ones = re.findall(r"^\s*(\w+) \[shape=plaintext[^\]]*label=<1>\];$", dot, re.M)
    assert len(ones) == 2 and len(set(ones)) == 2
    edges = dot_edges(dot)
    assert all(label is None for s, t, label in edges if s in ones)
    assert all(sum(1 for s, t, label in edges if s == one) == 1 for one in ones)
    v7 = 1 + math.exp(-(2 * -1 + -3 * -2 + -3))  # 1 + exp(-(w0*x0 + w1*x1 + w2))
    labels = [label for s, t, label in edges if label is not None]
    assert f"{1 / v7:.6g}" not in labels  # what the 1 -> f edge read: f's partial in its numerator
    assert f"{-1 / v7 ** 2:.6g}" in labels  # df/dv7 = -1/v7^2, the real edge into f
    mermaid = run("graph", "-f", NEURON, "--format", "mermaid").out
    plain = set(re.findall(r'^\s*(\w+)\(\["1"\]\)$', mermaid, re.M))
    assert len(plain) == 2
    assert all(arrow == "-.->" for s, arrow, t in MERMAID_EDGE.findall(mermaid) if s in plain)


def test_the_exponent_of_a_square_gets_no_rule_in_an_array_program():
    data = run_json("graph", "y = sum(x^2)", "x=[1, 2]", "--format", "json")
    constant = next(n for n in data["nodes"] if n["kind"] == "const")
    assert constant["adjoint"] is None
    (edge,) = [e for e in data["edges"] if e["from"] == constant["id"]]
    assert edge["formula"] is None and edge["partial"] is None
    x = next(n for n in data["nodes"] if n["label"] == "x")
    assert x["adjoint"] == [2.0, 4.0]  # 2*x by hand
    dot = run("graph", "y = sum(x^2)", "x=[1, 2]").out
    assert "log" not in dot


@pytest.mark.parametrize("fmt", ["dot", "mermaid", "json"])
def test_an_operation_on_constants_only_shows_no_adjoint(fmt):
    text = "y = x*(-2) + 2^3"
    shown = run("graph", text, "x=3", "--format", fmt).out
    if fmt == "json":
        data = run_json("graph", text, "x=3", "--format", "json")
        by_def = {n["definition"]: n for n in data["nodes"]}
        assert by_def["-2"]["adjoint"] is None and by_def["2^3"]["adjoint"] is None
        ids = {by_def["-2"]["id"], by_def["2^3"]["id"]}
        assert all(e["partial"] is None for e in data["edges"] if e["from"] in ids)
        assert by_def["x*v1"]["adjoint"] == 1
    else:
        assert "dy/dv1" not in shown and "dy/dv3" not in shown
        assert "dy/dx = -2" in shown  # d(x*(-2) + 8)/dx = -2
