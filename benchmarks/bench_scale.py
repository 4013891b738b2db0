"""Scale: generated chain programs, whole process (parse, forward, reverse), time and peak memory.

Sizes count operations (constants not counted): the chain has 3 operations a
statement.  Goals: 100,000 operations in at most 3 s; 1,000,000 operations in at
most 600 MB and within 2x of a floor that parses the same text with Python's own
compiler into a minimal tape and runs the two sweeps (benchmarks/floor_tape.py),
timed side by side in the same run.  Run it with the interpreter of a venv where
gradcli is installed:

    .venv/bin/python benchmarks/bench_scale.py [REPEATS]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # programs.py: the generators the tests use

from programs import chain_operations  # noqa: E402
from timing import gradcli_command, medians  # noqa: E402

HERE = Path(__file__).resolve().parent


def main(repeats: int = 3) -> None:
    gradcli = gradcli_command()
    with tempfile.TemporaryDirectory() as tmp:
        commands = {"python -c pass": [sys.executable, "-c", "pass"]}
        sizes = {}
        for ops in (100_000, 1_000_000):
            path = Path(tmp) / f"chain_{ops}.grad"
            path.write_text(chain_operations(ops))
            sizes[ops] = path.stat().st_size
            commands[f"{ops:,} ops"] = gradcli + ["eval", "-f", str(path), "x=0.5", "--json"]
            commands[f"{ops:,} ops floor"] = [sys.executable, str(HERE / "floor_tape.py"), str(path), "x=0.5"]
        results = medians(commands, repeats)
    print(f"chain programs (t_i = sin(t_i-1) * 0.999 + t_i-2: 3 operations a statement), "
          f"gradcli eval --json against the floor (Python's compiler, a minimal tape), median of {repeats}")
    for name, (seconds, peak) in results.items():
        size = next((f"{sizes[n] / 1e6:5.1f} MB text" for n in sizes if name.startswith(f"{n:,}")), "")
        print(f"  {name:<22} {seconds:8.2f} s   peak {peak:6.0f} MB   {size}")
    for ops in sizes:
        ratio = results[f"{ops:,} ops"][0] / results[f"{ops:,} ops floor"][0]
        print(f"  {ops:,} ops: {ratio:.2f}x the floor's time")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
