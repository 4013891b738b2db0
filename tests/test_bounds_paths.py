"""explain --paths: --max-paths is bounded, and the k largest paths are the k largest of every path."""

from __future__ import annotations

import pytest

from conftest import assert_error, run_json
from gradcli.analyses.paths import MAX_LISTED, PathGraph
from gradcli.autodiff.gradient import evaluate
from gradcli.autodiff.loading import load
from programs import ladder


@pytest.mark.parametrize("asked", [MAX_LISTED + 1, 10 ** 9])
@pytest.mark.parametrize("program, binding, extra, name", [
    (ladder(14), "a0=1", [], "a0"),  # 2^14 paths from a0
    (ladder(14) + "\nf = sum(y)", "a0=[1, 2]", ["--element", "a0[0]"], "a0[0]"),
])
def test_a_listing_above_the_cap_is_refused(asked, program, binding, extra, name):
    result = assert_error(["explain", "--paths", program, binding, "b0=0.5", "--max-paths", str(asked), *extra], 2)
    assert result.err.splitlines()[0] == (
        f"gradcli: error: --max-paths {asked:,}: {name} has more than {MAX_LISTED:,} paths, and at most "
        f"{MAX_LISTED:,} are listed per input; ask for fewer (the count and the sum of every path are shown "
        "whatever the listing)")


@pytest.mark.parametrize("asked", [MAX_LISTED, 10 ** 9])
def test_max_paths_above_the_count_lists_every_path_there_is(asked):
    result = run_json("explain", "--paths", "--json", "y = x*x*x", "x=2", "--max-paths", str(asked))
    paths = result["inputs"]["x"]["paths"]
    assert len(paths) == 3 and sum(p["product"] for p in paths) == 3 * 2.0 ** 2  # d(x^3)/dx = 3x^2


def graph_of(text: str, bindings: list[str]):
    problem = load(text, bindings)
    sweep = evaluate(problem)
    return problem, PathGraph(problem.tape, sweep.values, problem.output_index)


def every_path_ranked(graph: PathGraph, start: int) -> list[list[int]]:
    """Every path, by |product| descending, ties by the ranks of its edges at each node (first edge first)."""
    def ranks(path):
        return tuple(graph.out[graph.edges[e].src].index(e) for e in path)

    return sorted(graph.all_paths(start), key=lambda p: (-abs(graph.product(p)), ranks(p)))


@pytest.mark.parametrize("layers, k", [(3, 1), (6, 7), (8, 100), (9, 512), (9, 2000)])
def test_the_k_best_of_a_ladder_are_the_first_k_of_every_path_sorted(layers, k):
    # partials 1, 0.5, 0.5 and -1: every product is exact, so the order is exact too
    problem, graph = graph_of(ladder(layers), ["a0=1", "b0=0.5"])
    starts = [problem.tape.names["a0"], problem.tape.names["b0"]]
    best = graph.best_paths(starts, k)
    for s in starts:
        assert best[s] == every_path_ranked(graph, s)[:k]


@pytest.mark.parametrize("k", [1, 2, 4, 9, 50])
def test_the_k_best_products_on_a_program_with_shared_nodes(k):
    problem, graph = graph_of("u = x*y; v = u*x + sin(y); w = v*u*x; z = w + v*x + u*u", ["x=0.7", "y=-1.3"])
    for name in ("x", "y"):
        s = problem.tape.names[name]
        listed = [abs(graph.product(p)) for p in graph.best_paths([s], k)[s]]
        every = sorted((abs(graph.product(p)) for p in graph.all_paths(s)), reverse=True)
        assert listed == every[:k]


def test_a_deep_listing_is_bounded_by_its_edges():
    # a0's paths through a 600-layer ladder have 1,201 edges: 2,000,000 // 1,201 = 1,665 of them at most
    program = ladder(600)
    problem, graph = graph_of(program, ["a0=1", "b0=0.5"])
    assert graph.longest([problem.tape.names["a0"]]) == {problem.tape.names["a0"]: 2 * 600 + 1}
    result = assert_error(["explain", "--paths", program, "a0=1", "b0=0.5", "--max-paths", "1666"], 2)
    assert result.err.splitlines()[0] == (
        "gradcli: error: --max-paths 1,666: a0's paths are up to 1,201 edges long, and 1,666 of them would hold "
        "up to 2,000,866 edges, more than the 2,000,000 listed per input; ask for at most 1,665")


def test_array_contributions_held_are_bounded():
    # y = sum(x*x*x): three paths from x, each contribution an array of x's 1,000 elements
    x = "x=[" + ", ".join(str(k / 1000) for k in range(1000)) + "]"
    result = assert_error(["explain", "--paths", "y = sum(x*x*x)", x, "--max-elements", "2999"], 2)
    assert result.err.splitlines()[0] == (
        "gradcli: error: --max-paths: 3 contributions of x (1,000 elements each) would hold 3,000 elements "
        "(23.4 KiB of float64); the limit is 2,999 elements (--max-elements N raises it), or ask for fewer paths")
    listed = run_json("explain", "--paths", "--json", "y = sum(x*x*x)", x, "--max-paths", "2")["inputs"]["x"]
    assert listed["path_count"] == 3 and len(listed["paths"]) == 2


@pytest.mark.parametrize("program, column, where", [
    ("y = sum(outer(x, z))", 5, "y = sum(v1)"),  # the sum's one element reads 100 elements
    ("y = sum(outer(x, z) * 2)", 5, "y = sum(v2)"),
])
def test_the_element_graph_is_bounded(monkeypatch, program, column, where):
    from gradcli.analyses import element_paths

    monkeypatch.setattr(element_paths, "MAX_ELEMENT_EDGES", 50)
    vector = "[" + ", ".join(str(k) for k in range(10)) + "]"
    result = assert_error(["explain", "--paths", program, f"x={vector}", f"z={vector}", "--element", "x[0]"], 2)
    assert result.err.splitlines()[0] == (
        f"gradcli: error: 1:{column}: the paths of single elements: the element graph has more than 50 edges "
        f"by {where}, each held as Python objects; explain an element of a smaller array (--of q[i]), or use "
        "--paths without --element (its paths are of whole arrays)")
