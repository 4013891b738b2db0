"""explain --graph: the graph as a tree from the output, shared nodes drawn once, no recursion."""

import io
import sys

from conftest import assert_error, run, run_json
from gradcli.autodiff.gradient import evaluate
from gradcli.autodiff.loading import load
from gradcli.render.graph_view import MAX_DEPTH, graph_rich

NG = "u = b*c; v = a + u; J = 3*v"
SHARED = "u = 2*x; v = u*u; w = 3*u; J = v + w"


def graph(*args):
    return run_json("explain", "--graph", *args, "--json")


def render(renderable, width=200) -> str:
    from rich.console import Console

    console = Console(file=io.StringIO(), width=width)
    console.print(renderable)
    return console.file.getvalue()


def test_ng_chain_values_and_adjoints():
    """Ng's chain: u=6, v=11, J=33; dv=3, da=3, du=3, db=6, dc=9."""
    data = graph(NG, "a=5", "b=3", "c=2")
    nodes = {n["node"]: n for n in data["nodes"]}
    assert {k: (n["value"], n["adjoint"]) for k, n in nodes.items()} == {
        "a": (5.0, 3.0), "b": (3.0, 6.0), "c": (2.0, 9.0), "u": (6.0, 3.0), "v": (11.0, 3.0), "J": (33.0, 1.0)}
    assert (nodes["J"]["op"], nodes["J"]["args"]) == ("mul", ["3", "v"])
    assert (nodes["v"]["op"], nodes["v"]["args"]) == ("add", ["a", "u"])
    assert nodes["a"]["op"] is None and nodes["a"]["kind"] == "input"


def test_only_the_outputs_subgraph():
    data = graph("u = sqrt(x); y = 2*x", "x=4", "--of", "y")
    assert [n["node"] for n in data["nodes"]] == ["x", "y"]


def test_tree_from_the_output_down(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    lines = run("explain", "--graph", NG, "a=5", "b=3", "c=2").out.splitlines()
    assert lines[0].startswith("J = 3*v") and "value 33" in lines[0]
    depth = {name: next(line.index(name) for line in lines if f"{name} " in line and "=" in line)
             for name in ["v", "u", "b"]}
    assert depth["v"] < depth["u"] < depth["b"]  # each level one step further in
    assert any("u = b*c" in line and "value 6" in line and "dJ/du = 3" in line for line in lines)


def test_shared_node_drawn_once():
    # u feeds v twice and w once: drawn in full once, referenced twice; dJ/du = 2u + 3 = 9.
    text = render(graph_rich(evaluate(load(SHARED, ["x=1.5"]))))
    assert text.count("u = 2*x") == 1 and text.count("↑ u, shown above") == 2
    assert "dJ/du = 9" in text and "dJ/dx = 18" in text
    assert text.index("u = 2*x") < text.index("↑ u, shown above")


def test_deep_chain_without_recursion():
    """A chain far deeper than the recursion limit becomes a column of short trees, each node drawn once."""
    n = 1_000
    text = "t0 = x\n" + "\n".join(f"t{i} = t{i - 1} + 1" for i in range(1, n))
    result = evaluate(load(text, ["x=0.5"]))
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)
    try:
        tree = graph_rich(result)
    finally:
        sys.setrecursionlimit(limit)
    out = render(tree)
    assert out.count("t0 = x ") == 1  # an alias is a node of its own
    for i in (1, 2, n // 2, n - 1):
        assert out.count(f"t{i} = t{i - 1}+1 ") == 1
    assert out.count("continued below") == len(tree.renderables) - 1
    assert "dt999/dx = 1" in out
    assert max(len(line) - len(line.lstrip(" │├└─")) for line in out.splitlines()) <= 4 * MAX_DEPTH


def test_help_and_usage():
    assert run("explain", "--help").code == 0
    result = assert_error(["explain", "--graph", "--json", "y = q", "x=1"], 2)
    assert result.json()["error"]["kind"] == "unknown-binding"
