"""descend --data: every row in one array sweep per step, against the row-by-row loop, side by side.

    python benchmarks/bench_descend_data.py [ROWS]

A line fit over ROWS data rows (default 100,000): the same Descent object's two ways of
computing the mean loss and gradient, timed in the same run (medians of 5), as steps per
second.  The row loop is what descend did before it swept the rows at once, and what it
still does for a program with arrays.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gradcli.analyses.descent import DataSet, Descent, prepare_descent  # noqa: E402
from gradcli.autodiff.loading import load  # noqa: E402

PROGRAM = "L = (w*x + b - y)^2"


def main(rows: int = 100_000, repeats: int = 5) -> None:
    rng = random.Random(1)
    data = DataSet.from_rows("generated", ["x", "y"], [[x, 3 * x - 2 + rng.gauss(0, 0.1)]
                                                       for x in (rng.uniform(-1, 1) for _ in range(rows))])
    problem = prepare_descent(load(PROGRAM, ["w=0", "b=0"], require_values=False), data, wrt_given=False)
    descent = Descent(problem, 0.1, 1, data=data)
    inputs = problem.input_values()
    ways = {"one sweep over every row": descent._rows_at_once, "a sweep per row": descent._row_by_row}
    times = {name: [] for name in ways}
    results = {}
    for _ in range(repeats):
        for name, step in ways.items():
            start = time.perf_counter()
            results[name] = step(dict(inputs))
            times[name].append(time.perf_counter() - start)
    loop, swept = (statistics.median(times[n]) for n in ("a sweep per row", "one sweep over every row"))
    print(f"descend --data, {rows:,} rows of {PROGRAM!r}, one step (median of {repeats}):")
    for name in ways:
        t = statistics.median(times[name])
        print(f"  {name:26}: {t * 1e3:9.2f} ms a step, {1 / t:9.1f} steps/s")
    print(f"  speed-up                  : {loop / swept:9.0f}x")
    a, b = results["one sweep over every row"], results["a sweep per row"]
    print(f"  same numbers              : loss {a[0]!r} vs {b[0]!r}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
