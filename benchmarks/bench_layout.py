"""The layered layout (gradcli/render/layout.py) on computational graphs of 1,000 to 10,000 nodes,
side by side with Graphviz's `dot` laying out the same graph (when it is installed).

    .venv/bin/python benchmarks/bench_layout.py [REPEATS]

First, random tapes: each graph is a random tape: every node reads one or two of the 20 nodes before it (an operand
from further back now and then), as programs do.  Figures: the median of REPEATS runs (default 3)
of `layout()` in this process, its crossings, and the median wall time of `dot -Tplain` on the
same graph written as DOT (a fresh process each run, so it includes dot's start-up, a few ms), up to
1,000 nodes: past that dot takes minutes.  Edges across more than 12 columns are drawn straight
(layout.MAX_SPAN); the others pass through dummies, counted.

Then gradcli's own pictures: the SVG of a program of N statements that reads its input y at every
step (`x{i} = sin(x{i-1})*y + x{i-1}`, every third a tanh), annotate and lay out and write, in process.
"""

from __future__ import annotations

import random
import shutil
import statistics
import subprocess
import sys
import time

from gradcli.render.layout import layout


def tape_graph(n: int, seed: int = 1):
    rng = random.Random(seed)
    inputs = max(2, n // 50)
    edges = []
    for t in range(inputs, n):
        for _ in range(rng.choice((1, 2, 2))):
            back = rng.randint(1, 20) if rng.random() < 0.9 else rng.randint(1, t)
            edges.append((max(0, t - back), t))
    sizes = [(rng.uniform(40, 140), 48.0) for _ in range(n)]
    return sizes, edges, set(range(inputs))


def dot_seconds(sizes, edges, repeats: int) -> float | None:
    exe = shutil.which("dot")
    if exe is None:
        return None
    text = "digraph g { rankdir=LR; node [shape=box, fixedsize=true];\n"
    text += "".join(f"n{i} [width={w / 72:.2f}, height={h / 72:.2f}];\n" for i, (w, h) in enumerate(sizes))
    text += "".join(f"n{s} -> n{t};\n" for s, t in edges) + "}\n"
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([exe, "-Tplain"], input=text.encode(), capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    print(f"{'nodes':>7} {'edges':>7} {'dummies':>8} {'layout s':>9} {'crossings':>10} {'dot -Tplain s':>14} "
          f"{'ratio':>6}")
    for n in (300, 1000, 3000, 10000):
        sizes, edges, inputs = tape_graph(n)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            result = layout(sizes, edges, pinned=inputs)
            times.append(time.perf_counter() - start)
        ours = statistics.median(times)
        theirs = dot_seconds(sizes, edges, repeats) if n <= 1000 else None  # dot takes minutes past that
        ratio = f"{theirs / ours:.1f}x" if theirs else "-"
        shown = f"{theirs:.2f}" if theirs else "-"
        dummies = sum(len(column) for column in result.order) - n  # points where long edges cross a column
        print(f"{n:>7,} {len(edges):>7,} {dummies:>8,} {ours:>9.2f} {result.crossings:>10,} {shown:>14} {ratio:>6}")
    pictures(repeats)


def svg_seconds(statements: int, repeats: int) -> tuple[float, int, int]:
    from gradcli.analyses.export import annotate
    from gradcli.autodiff.gradient import evaluate
    from gradcli.autodiff.loading import load
    from gradcli.render.graph_svg import to_svg

    lines = ["x0 = 0.5", "y = 1.5"] + [f"x{i} = sin(x{i - 1})*y + x{i - 1}" if i % 3 else f"x{i} = tanh(x{i - 1})"
                                       for i in range(1, statements + 1)]
    graph = annotate(evaluate(load("\n".join(lines))))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        svg = to_svg(graph)
        times.append(time.perf_counter() - start)
    return statistics.median(times), len(graph.nodes), len(svg)


def pictures(repeats: int) -> None:
    print(f"\n{'statements':>10} {'nodes':>7} {'svg s':>7} {'svg MB':>7}")
    for statements in (100, 1000, 3000):
        seconds, nodes, size = svg_seconds(statements, repeats)
        print(f"{statements:>10,} {nodes:>7,} {seconds:>7.2f} {size / 1e6:>7.2f}")


if __name__ == "__main__":
    main()
