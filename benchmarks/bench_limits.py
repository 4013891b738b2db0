"""Time and peak memory of gradcli on deep and large inputs, whole process.

Each input runs as ``gradcli eval --json -f FILE ...`` in a child process, so
start-up, parsing, the graph, both sweeps and the JSON are all measured; the
figures are medians of a few runs (see timing.py for how peak memory is read).
The baseline, measured side by side, is the same command on a one-line program:
the ratio says what the size costs beyond start-up.

    .venv/bin/python benchmarks/bench_limits.py            # 5 runs each
    .venv/bin/python benchmarks/bench_limits.py --runs 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import timing
from timing import gradcli_command

CASES = [
    # name, program text, bindings, expected exit code
    ("one line (baseline)", "y = x*x", ["x=3"], 0),
    *[(f"{n:,} statements, reverse order",
       "\n".join(f"t{i} = t{i - 1} + x" for i in range(n, 0, -1)) + "\nt0 = x\n",
       ["x=0.5", "--of", f"t{n}"], 0) for n in (25_000, 50_000, 100_000)],  # linear: time doubles
    ("20,000 nested parentheses", "y = " + "(" * 20_000 + "x" + " + 1)" * 20_000, ["x=1"], 0),
    ("50,000 terms in one sum", "y = " + " + ".join(["x"] * 50_000), ["x=1"], 0),
    ("5,000 minus signs", "y = " + "-" * 5_000 + "x", ["x=2"], 0),
    ("tower of 3,000 (overflows: exit 1)", "y = " + "^".join(["a"] * 3_000), ["a=2"], 1),
    ("tower of 3,000 (converges)", "y = " + "^".join(["a"] * 3_000), ["a=1.4142135623730951"], 0),
]


def run_once(path: str, bindings: list[str], expected: int) -> tuple[float, float]:
    """Seconds and peak MB of one whole-process run."""
    return timing.run_once(gradcli_command() + ["eval", "--json", "-f", path, *bindings], expect=expected)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, text, bindings, expected in CASES:
            path = os.path.join(tmp, "program.grad")
            Path(path).write_text(text)
            runs = [run_once(path, bindings, expected) for _ in range(args.runs)]
            seconds = statistics.median(t for t, _ in runs)
            megabytes = statistics.median(m for _, m in runs)
            rows.append((name, len(text), seconds, megabytes))
    base_t, base_m = rows[0][2], rows[0][3]
    print(f"gradcli eval --json, whole process, median of {args.runs} runs (Python {sys.version.split()[0]})")
    print(f"{'input':38} {'text':>9} {'time':>9} {'x base':>7} {'peak RSS':>9} {'x base':>7}")
    for name, size, seconds, megabytes in rows:
        print(f"{name:38} {size / 1024:8.0f}K {seconds * 1000:7.0f}ms {seconds / base_t:6.1f}x "
              f"{megabytes:7.1f}MB {megabytes / base_m:6.1f}x")


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"({time.perf_counter() - t0:.0f} s in all)")
