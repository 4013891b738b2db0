"""How fast gradcli counts, lists and sums paths, beside a naive recursive enumerator.

Run from the repository root:  python benchmarks/bench_paths.py [--repeats N]

The graph is a ladder: each layer's two nodes both feed both nodes of the next
(``a{i+1} = a{i} + 0.5*b{i}; b{i+1} = 0.5*a{i} - b{i}``), so an input has 2^L
paths to ``y = aL + bL``.  Every figure is the median of several repeats.

What matters beyond this machine are the ratios, measured side by side in the
same run: the streamed sum against the naive enumerator (paths per second), the
k-best listing against enumerating and sorting every path, and how the count
and the listing grow with the number of layers (linearly: 10x the layers should
cost about 10x, though the number of paths grows by 2^(9L)).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # programs.py: the generators the tests use

from gradcli.autodiff.scalar_plan import scalar_values  # noqa: E402
from gradcli.core.tape import OPERATION  # noqa: E402
from gradcli.analyses.paths import PathGraph, explain_paths  # noqa: E402
from gradcli.autodiff.loading import load
from programs import ladder  # noqa: E402
from timing import median_time as _median_time  # noqa: E402


def median_time(fn, repeats: int) -> float:
    return _median_time(fn, repeats, pause_gc=True)


def setup(layers: int):
    problem = load(ladder(layers), ["a0=1", "b0=0.5"])
    values = scalar_values(problem.tape, problem.input_values())
    return problem, values


def naive_paths(tape, values, start: int, output: int) -> list[tuple[list[int], float]]:
    """The baseline: recursion over consumers, materialising every path with its product."""
    consumers = [[] for _ in tape.nodes]
    for node in tape.nodes:
        if node.kind == OPERATION:
            for j, a in enumerate(node.args):
                consumers[a].append((node.index, j))

    def walk(v):
        if v == output:
            return [([v], 1.0)]
        found = []
        for i, j in consumers[v]:
            node = tape.nodes[i]
            local = node.op.partial(j, [values[a] for a in node.args], values[i])
            for nodes, product in walk(i):
                found.append(([v] + nodes, local * product))
        return found

    return walk(start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats
    rows = []

    def row(what, seconds, note=""):
        rows.append((what, seconds, note))

    # 1. Exact counts by dynamic programming, and the count + top-20 listing (explain --paths).
    for layers in (100, 1000):
        problem, values = setup(layers)
        graph = PathGraph(problem.tape, values, problem.output_index)
        starts = [problem.tape.names["a0"], problem.tape.names["b0"]]
        assert graph.counts(starts)[starts[0]] == 2**layers
        row(f"DP count, {layers}-layer ladder (2^{layers} paths)",
            median_time(lambda: graph.counts(starts), repeats))
        row(f"count + top-20 listing, {layers} layers (all of explain_paths)",
            median_time(lambda: explain_paths(problem, 20), repeats), "goal < 0.5 s at 1,000")
    count_growth = rows[2][1] / rows[0][1]
    listing_growth = rows[3][1] / rows[1][1]

    # 2. Summing path products (eval --mode paths) against the naive enumerator, on the same graphs.
    ratios = []
    for layers in (12, 16):
        problem, values = setup(layers)
        tape, output, start = problem.tape, problem.output_index, problem.tape.names["a0"]
        graph = PathGraph(tape, values, output)
        graph.path_sum(start)  # warm the collapsed edge lists (built once per graph)
        n = 2**layers
        streamed = median_time(lambda: graph.path_sum(start), repeats)
        naive = median_time(lambda: sum(p for _, p in naive_paths(tape, values, start, output)), repeats)
        row(f"streamed path sum, {layers} layers ({n:,} paths)", streamed,
            f"{n / streamed / 1e6:.2f} M paths/s (goal >= 2)")
        row(f"naive recursive enumerate + sum, {layers} layers", naive, f"{n / naive / 1e6:.2f} M paths/s")
        ratios.append((f"streamed sum vs naive, {layers} layers", naive / streamed))
        kbest = median_time(lambda: explain_paths(problem, 20), repeats)
        naive_top = median_time(lambda: sorted(naive_paths(tape, values, start, output),
                                               key=lambda p: -abs(p[1]))[:20], repeats)
        row(f"k-best top 20, {layers} layers", kbest)
        row(f"naive enumerate + sort top 20, {layers} layers", naive_top)
        ratios.append((f"k-best listing vs naive sort, {layers} layers", naive_top / kbest))

    problem, values = setup(20)  # 1,048,576 paths: the throughput of a long streamed sum
    graph = PathGraph(problem.tape, values, problem.output_index)
    graph.path_sum(0)
    t = median_time(lambda: graph.path_sum(0), max(3, repeats // 2))
    row("streamed path sum, 20 layers (1,048,576 paths)", t, f"{2**20 / t / 1e6:.2f} M paths/s")

    width = max(len(r[0]) for r in rows)
    print(f"{'measurement (median of %d)' % repeats:<{width}}  {'seconds':>10}  note")
    for what, seconds, note in rows:
        print(f"{what:<{width}}  {seconds:>10.4f}  {note}")
    print()
    print("ratios (machine-independent; > 1 means gradcli is faster):")
    for what, ratio in ratios:
        print(f"  {what:<{width - 2}}  {ratio:>8.1f}x")
    print("growth from 100 to 1,000 layers (linear would be about 10x; the path count grows 2^900-fold):")
    print(f"  {'DP count':<{width - 2}}  {count_growth:>8.1f}x")
    print(f"  {'count + top-20 listing':<{width - 2}}  {listing_growth:>8.1f}x")


if __name__ == "__main__":
    main()
