"""`gradcli graph`: DOT that Graphviz accepts, Mermaid, JSON, SVG/PNG, and the missing-Graphviz message."""

import json
import math
import re
import shutil
import subprocess

import pytest

from conftest import SAMPLES, assert_error, run, run_json
from gradcli.analyses import export
from gradcli.render import graph_writers
from gradcli.support.numbers import short

NG = ["u = b*c; v = a + u; J = 3*v", "a=5", "b=3", "c=2"]
BAYDIN = ["y = log(x1) + x1*x2 - sin(x2)", "x1=2", "x2=5"]
# Arrays are drawn as grids (tests/test_array_commands.py); two_layer.grad needs its data bound.
ARRAY_SAMPLES = {name for name, entry in json.loads((SAMPLES / "expected.json").read_text()).items()
                 if entry.get("arrays")}
SAMPLE_FILES = sorted(p.name for p in SAMPLES.glob("*.grad") if p.name not in ARRAY_SAMPLES)
needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed (apt-get install graphviz)")


def graph_json(*args):
    return run_json("graph", *args, "--format", "json")


def nodes_by_label(data):
    return {n["label"]: n for n in data["nodes"]}


def test_values_adjoints_and_edge_partials_of_the_ng_chain():
    """Ng's chain: u=6, v=11, J=33; dv=3, da=3, du=3, db=6, dc=9; b -> u -> v -> J is 2, 1, 3."""
    data = graph_json(*NG)
    nodes = nodes_by_label(data)
    assert {k: nodes[k]["value"] for k in "abcuvJ"} == {"a": 5, "b": 3, "c": 2, "u": 6, "v": 11, "J": 33}
    assert {k: nodes[k]["adjoint"] for k in "abcuvJ"} == {"a": 3, "b": 6, "c": 9, "u": 3, "v": 3, "J": 1}
    ids = {n["id"]: n["label"] for n in data["nodes"]}
    partial = {(ids[e["from"]], ids[e["to"]]): e["partial"] for e in data["edges"]}
    assert (partial[("b", "u")], partial[("u", "v")], partial[("v", "J")]) == (2, 1, 3)


def test_edge_partials_of_the_evaluation_trace():
    """Baydin et al.'s trace: dv1/dx1 = 0.5, dv2/dx1 = 5, dv2/dx2 = 2, dv4/dx2 = cos 5, dv5/dv4 = -1."""
    data = graph_json(*BAYDIN)
    ids = {n["id"]: n["label"] for n in data["nodes"]}
    defs = {n["label"]: n["definition"] for n in data["nodes"]}
    partial = {(ids[e["from"]], defs[ids[e["to"]]] or ids[e["to"]]): e["partial"] for e in data["edges"]}
    assert partial[("x1", "log(x1)")] == 0.5
    assert partial[("x1", "x1*x2")] == 5 and partial[("x2", "x1*x2")] == 2
    assert partial[("x2", "sin(x2)")] == math.cos(5)
    sine = next(label for label, d in defs.items() if d == "sin(x2)")
    assert partial[(sine, defs["y"])] == -1


def test_x_times_x_has_two_edges():
    data = graph_json("y = x*x", "x=3")
    assert [(e["from"], e["to"], e["operand"], e["partial"]) for e in data["edges"]] == [
        ("n0", "n1", 0, 3.0), ("n0", "n1", 1, 3.0)]
    assert run_json("graph", "y = x*x", "x=3", "--json") == data


def test_dot_structure():
    dot = run("graph", *NG).out
    assert dot.startswith("digraph gradcli {") and "rankdir=LR;" in dot
    assert "{rank=min; n0; n1; n2;}" in dot  # the inputs a, b, c on the left
    assert "{rank=max; n6;}" in dot  # J on the right
    assert '<font color="#d62728">dJ/du = 3</font>' in dot
    assert dot.count(" -> ") == 6


@needs_dot
@pytest.mark.parametrize("sample", SAMPLE_FILES)
def test_graphviz_renders_every_value_and_adjoint(sample):
    path = str(SAMPLES / sample)
    dot = run("graph", "-f", path)
    assert dot.code == 0, dot.err
    done = subprocess.run(["dot", "-Tsvg"], input=dot.out, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    svg = done.stdout
    texts = {t.replace("&#45;", "-") for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)}
    # the values and adjoints from `gradcli eval --all`, another computation of them
    nodes = run_json("eval", "-f", path, "--all", "--json")["nodes"]
    output = run_json("eval", "-f", path, "--json")["output"]
    for node in nodes:
        assert short(node["value"]) in texts, node
        assert f"d{output}/d{node['node']} = {short(node['adjoint'])}" in texts, node


@needs_dot
def test_png_through_graphviz(tmp_path):
    png = tmp_path / "ng.png"
    assert run("graph", *NG, "--format", "png", "-o", str(png)).code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@needs_dot
@pytest.mark.parametrize("sample", ["sigmoid_neuron.grad", "rnn_bptt.grad"])
def test_png_is_gradcli_s_layout_drawn_by_graphviz_which_moves_nothing(tmp_path, sample):
    """Every box where the SVG's layout puts it: Graphviz (neato -n2) lays nothing out, so the
    unrolled RNN, whose long edges take dot's own layout minutes, is drawn at once."""
    from gradcli.autodiff.gradient import evaluate
    from gradcli.autodiff.loading import load
    from gradcli.render.graph_png import positioned_dot
    from gradcli.render.graph_svg import scene

    s = scene(export.annotate(evaluate(load((SAMPLES / sample).read_text()))))
    plain = subprocess.run(["neato", "-n2", "-Tplain"], input=positioned_dot(s), capture_output=True, text=True)
    assert plain.returncode == 0, plain.stderr
    placed = {f[1]: (float(f[2]), float(f[3]), float(f[4])) for f in map(str.split, plain.stdout.splitlines())
              if f[0] == "node"}
    assert len(placed) == len(s.boxes)
    first = s.boxes[0]
    x0, y0, _ = placed[first.id]
    for b in s.boxes:  # plain writes inches, y up, the drawing moved as a whole to its corner
        x, y, width = placed[b.id]
        assert ((x - x0) * 72, (y - y0) * 72, width * 72) == pytest.approx(
            (b.x - first.x, first.y - b.y, b.width), abs=0.5, rel=1e-4), b.id  # Graphviz rounds
    png = tmp_path / "g.png"
    assert run("graph", "-f", str(SAMPLES / sample), "--format", "png", "-o", str(png)).code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@needs_dot
def test_labels_are_escaped_for_graphviz():
    """Quotes, <, > and & in labels: Graphviz must still accept the DOT and show the text."""
    g = export.AnnotatedGraph("f", 1, 1.0, [
        export.GraphNode(0, "input", 'a<"b">&c', 'a<"b">&c', None, 2.0, 0.5),
        export.GraphNode(1, "op", "f", 'f = g("x") > 0', 'g("x") > 0', 1.0, 1.0),
    ], [export.GraphEdge(0, 1, 0, 0.5, 'say "hi" \\ <there>')], [0])
    done = subprocess.run(["dot", "-Tsvg"], input=graph_writers.to_dot(g), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "a&lt;&quot;b&quot;&gt;&amp;c" in done.stdout
    mermaid = graph_writers.to_mermaid(g)
    assert 'a#lt;#quot;b#quot;#gt;#amp;c' in mermaid and mermaid.count('"') % 2 == 0


def test_mermaid_structure():
    text = run("graph", *BAYDIN, "--format", "mermaid").out
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    node_lines = [line for line in lines if re.match(r"  n\d+[\[(]", line)]
    edge_lines = [line for line in lines if " -->|" in line]
    # inputs x1, x2 and five operations (log, *, +, sin, -): no constants here
    assert len(node_lines) == 7
    assert len(edge_lines) == 8  # log 1, * 2, + 2, sin 1, - 2
    assert '  n0["<b>x1</b><br/>2<br/><span style=\'color:#d62728\'>dy/dx1 = 5.5</span>"]' in lines
    assert any(line.endswith('-->|"0.5"| n2') for line in edge_lines)


def test_missing_graphviz_says_how_to_install(monkeypatch):
    monkeypatch.setattr(graph_writers.shutil, "which", lambda name: None)
    assert_error(["graph", *NG, "--format", "png", "-o", "never.png"], 2, "apt-get install graphviz",
                 "brew install graphviz")


def test_output_file(tmp_path):
    path = tmp_path / "g.mmd"
    result = run("graph", *NG, "--format", "mermaid", "-o", str(path))
    assert result.code == 0 and result.out == ""
    assert path.read_text().startswith("flowchart LR")


def test_deep_graph_does_not_recurse():
    """A chain of 5,000 operations (far past Python's recursion limit): every writer loops."""
    from gradcli.autodiff.gradient import evaluate
    from gradcli.autodiff.loading import load

    program = "x0 = 1\n" + "\n".join(f"x{i} = sin(x{i - 1})" for i in range(1, 5001))
    g = export.annotate(evaluate(load(program)))
    assert len(graph_writers.to_json_graph(g)["edges"]) == 5000
    assert graph_writers.to_mermaid(g).count("-->") == 5000
    assert graph_writers.to_dot(g).count(" -> ") == 5000
    assert g.nodes[0].adjoint == pytest.approx(
        math.prod(math.cos(n.value) for n in g.nodes[:-1]), rel=1e-9)  # chain rule: product of cosines


def test_json_and_format_disagree():
    assert_error(["graph", *NG, "--json", "--format", "mermaid"], 2)


def test_help():
    result = run("graph", "--help")
    assert result.code == 0 and "--format" in result.out and "gradcli graph 'u = b*c" in result.out
