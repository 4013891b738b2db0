"""Grading a hand-written backward pass: `check --against` on the makemore-style network (19 adjoints)
at five points, whole process, beside `eval` of the same program in the same run.

    .venv/bin/python benchmarks/bench_grading.py [REPEATS]

The goal: under a second.
"""

from __future__ import annotations

import sys
from pathlib import Path

from timing import gradcli_command, medians

ROOT = Path(__file__).resolve().parent.parent


def main(repeats: int = 7) -> None:
    program = str(ROOT / "samples" / "makemore_net.grad")
    backward = "@" + str(ROOT / "samples" / "makemore_net.backward")
    base = gradcli_command()
    results = medians({"gradcli eval --json": [*base, "eval", "-f", program, "--json"],
                       "gradcli check --against (5 points)": [*base, "check", "-f", program, "--against", backward,
                                                              "--points", "4", "--json"]}, repeats, memory=False)
    print(f"makemore-style network, 19 hand-written adjoints, whole process, median of {repeats}")
    for name, (seconds, _) in results.items():
        print(f"  {name:<36} {seconds:6.3f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
