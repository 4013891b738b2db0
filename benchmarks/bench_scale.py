"""Scale: generated chain programs, whole process (parse, forward, reverse), time and peak memory.

Goals: 100,000 nodes in at most 3 s; 1,000,000 nodes in at most 20 s
and 600 MB.  Run it with the interpreter of a venv where gradcli is installed:

    .venv/bin/python benchmarks/bench_scale.py [REPEATS]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from programs import chain
from timing import gradcli_command, medians


def main(repeats: int = 3) -> None:
    gradcli = gradcli_command()
    with tempfile.TemporaryDirectory() as tmp:
        commands = {"python -c pass": [sys.executable, "-c", "pass"]}
        sizes = {}
        for nodes in (100_000, 1_000_000):
            path = Path(tmp) / f"chain_{nodes}.grad"
            path.write_text(chain(nodes))
            sizes[nodes] = path.stat().st_size
            commands[f"{nodes:,} nodes"] = gradcli + ["eval", "-f", str(path), "x=0.5", "--json"]
        results = medians(commands, repeats)
    print(f"chain programs (t_i = sin(t_i-1) * 0.999 + t_i-2), gradcli eval --json, median of {repeats}")
    for name, (seconds, peak) in results.items():
        size = next((f"{sizes[n] / 1e6:5.1f} MB text" for n in sizes if name.startswith(f"{n:,}")), "")
        print(f"  {name:<18} {seconds:8.2f} s   peak {peak:6.0f} MB   {size}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
