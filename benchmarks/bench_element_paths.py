"""explain --paths --element on a chain of ten 100 x 100 matrix products: exact count + the top 20.

    python benchmarks/bench_element_paths.py

Goal: count and list in under a second (in process; the element graph is built for the
cone of one output element only).  Prints the median of 5 runs of the analysis alone, and
the whole process once, side by side with `gradcli eval` of the same program.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from gradcli.analyses.element_paths import explain_element_paths  # noqa: E402
from gradcli.autodiff.loading import load
from timing import gradcli_command  # noqa: E402


def main() -> None:
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        bindings = []
        for i in range(1, 11):
            np.save(f"{tmp}/W{i}.npy", rng.normal(size=(100, 100)) / 10)
            bindings.append(f"W{i}=@{tmp}/W{i}.npy")
        np.save(f"{tmp}/x.npy", rng.normal(size=100))
        bindings.append(f"x=@{tmp}/x.npy")
        program = "h1 = W1 @ x; " + "; ".join(f"h{i} = W{i} @ h{i - 1}" for i in range(2, 11)) + "; f = sum(h10)"
        problem = load(program, bindings)
        times = []
        for _ in range(5):
            start = time.perf_counter()
            result = explain_element_paths(problem, ["W1[0,1]"], None, max_paths=20)
            times.append(time.perf_counter() - start)
        item = result.inputs[0]
        print(f"W1[0,1]: {item.path_count:,} paths, {len(item.paths)} listed; "
              f"in process, median of 5: {statistics.median(times):.3f} s (goal: under 1 s)")
        for name, extra in (("explain --paths --element W1[0,1]", ["explain", "--paths", "--element", "W1[0,1]"]),
                            ("eval (baseline)", ["eval"])):
            start = time.perf_counter()
            subprocess.run([*gradcli_command(), *extra, program, *bindings, "--json"], capture_output=True, check=True)
            print(f"  whole process, {name}: {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
