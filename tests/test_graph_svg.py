"""`gradcli graph --format svg` drawn by gradcli (render/graph_svg.py): well-formed XML with every node's
value and adjoint as the JSON gives them, escaped text, and no Graphviz needed."""

import json
import math
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from conftest import ROOT, SAMPLES, assert_error, run, run_json
from gradcli.analyses import export
from gradcli.render import graph_svg, graph_writers

SVG = "{http://www.w3.org/2000/svg}"
ARRAY_SAMPLES = {name for name, entry in json.loads((SAMPLES / "expected.json").read_text()).items()
                 if entry.get("arrays")}
SCALAR_SAMPLES = sorted(p.name for p in SAMPLES.glob("*.grad") if p.name not in ARRAY_SAMPLES)


def numbers(text: str) -> list[float]:
    return [float(t) for t in re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]\d+)?", text)]


def shown(svg_text: str) -> dict[str, dict[str, str]]:
    """Each node's drawn text by class (head, val, adj), read from the parsed SVG."""
    root = ET.fromstring(svg_text.encode())
    found = {}
    for g in root.iter(f"{SVG}g"):
        if "node" in g.get("class", "").split():
            found[g.get("id")] = {t.get("class"): "\n".join("".join(s.itertext()) for s in t.findall(f"{SVG}tspan"))
                                  for t in g.findall(f"{SVG}text")}
    return found


def flat(value) -> list[float]:
    todo, out = [value], []
    while todo:
        item = todo.pop(0)
        if isinstance(item, list):
            todo = item + todo
        else:
            out.append(float(item))
    return out


def check_against_json(svg_text: str, data: dict) -> None:
    texts = shown(svg_text)
    output = data["output"]
    for node in data["nodes"]:
        if node["kind"] == "const":
            continue  # drawn once per use, beside its edge
        drawn = texts[node["id"]]
        if len(flat(node["value"])) <= graph_writers.SMALL:
            assert numbers(drawn["val"]) == pytest.approx(flat(node["value"]), rel=1e-5, abs=1e-12), drawn
        else:
            assert "array" in drawn["val"]
        if node["adjoint"] is None:
            assert "adj" not in drawn  # a constant carries no gradient
            continue
        heading, _, rest = drawn["adj"].partition("=")
        assert heading.strip() == f"d{output}/d{node['label']}"
        if len(flat(node["adjoint"])) <= graph_writers.SMALL:
            assert numbers(rest) == pytest.approx(flat(node["adjoint"]), rel=1e-5, abs=1e-12), drawn


@pytest.mark.parametrize("sample", SCALAR_SAMPLES)
def test_every_sample_is_well_formed_and_shows_the_json_numbers(sample):
    path = str(SAMPLES / sample)
    svg = run("graph", "-f", path, "--format", "svg")
    assert svg.code == 0, svg.err
    check_against_json(svg.out, run_json("graph", "-f", path, "--json"))


def test_the_sigmoid_neuron_against_the_chain_rule_by_hand():
    """f = sigmoid(w0*x0 + w1*x1 + w2) at (2, -1, -3, -2, -3): df/dwi = f(1-f) xi, df/dxi = f(1-f) wi."""
    svg = run("graph", "-f", str(SAMPLES / "sigmoid_neuron.grad"), "--format", "svg").out
    texts = {v["head"]: v for v in shown(svg).values() if "head" in v}
    f = 1 / (1 + math.exp(-(2 * -1 + -3 * -2 + -3)))
    local = f * (1 - f)
    expected = {"w0": local * -1, "x0": local * 2, "w1": local * -2, "x1": local * -3, "w2": local}
    for name, gradient in expected.items():
        assert numbers(texts[name]["adj"].split("=")[1]) == [pytest.approx(gradient, rel=1e-5)]
    assert numbers(texts["f = 1/v7"]["val"]) == [pytest.approx(f, rel=1e-5)]
    assert texts["f = 1/v7"]["adj"] == "df/df = 1"


def test_arrays_show_shapes_grids_and_tensor_rules():
    path = str(SAMPLES / "norm_wx.grad")
    svg = run("graph", "-f", path, "--format", "svg").out
    data = run_json("graph", "-f", path, "--json")
    check_against_json(svg, data)
    heads = [v["head"] for v in shown(svg).values() if "head" in v]
    assert any(h.startswith("W  (2, 2)") for h in heads)
    assert "transpose" in svg  # an edge's rule at the tensor level


def test_user_text_cannot_add_markup():
    g = export.AnnotatedGraph("f", 1, 1.0, [
        export.GraphNode(0, "input", 'a<"b">&c', 'a<"b">&c', None, 2.0, 0.5),
        export.GraphNode(1, "op", "f", 'f = g("x") > 0 <script>', 'g("x") > 0', 1.0, 1.0),
    ], [export.GraphEdge(0, 1, 0, 0.5, 'say "hi" \\ </text><text>')], [0])
    svg = graph_svg.to_svg(g)
    root = ET.fromstring(svg.encode())  # well-formed: the text stayed text
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert 'a<"b">&c' in texts and 'f = g("x") > 0 <script>' in texts
    assert not list(root.iter(f"{SVG}script"))
    assert [t.text for t in root.iter(f"{SVG}title")] == ['say "hi" \\ </text><text>']


def test_svg_needs_no_graphviz(tmp_path):
    """A real process whose PATH has no `dot`: SVG is written; PNG says how to install Graphviz."""
    env = {**os.environ, "PATH": str(tmp_path)}
    target = tmp_path / "neuron.svg"
    done = subprocess.run([sys.executable, "-m", "gradcli", "graph", "-f", str(SAMPLES / "sigmoid_neuron.grad"),
                           "--format", "svg", "-o", str(target)], env=env, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    ET.fromstring(target.read_bytes())
    png = subprocess.run([sys.executable, "-m", "gradcli", "graph", "y = x^2", "x=3", "--format", "png",
                          "-o", str(tmp_path / "y.png")], env=env, capture_output=True, text=True, cwd=ROOT)
    assert png.returncode == 2 and "apt-get install graphviz" in png.stderr


def test_help_says_png_needs_graphviz_and_svg_does_not():
    text = " ".join(run("graph", "--help").out.split())
    assert "png the svg's picture, drawn by Graphviz" in text and "svg drawn by gradcli itself" in text
    assert "no Graphviz" in text


def test_a_long_chain_draws_without_recursion():
    from gradcli.autodiff.gradient import evaluate
    from gradcli.autodiff.loading import load

    program = "x0 = 1\n" + "\n".join(f"x{i} = sin(x{i - 1})" for i in range(1, 2001))
    svg = graph_svg.to_svg(export.annotate(evaluate(load(program))))
    root = ET.fromstring(svg.encode())
    assert sum(1 for g in root.iter(f"{SVG}g") if g.get("class") == "edge") == 2000
