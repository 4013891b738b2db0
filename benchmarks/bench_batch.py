"""`eval --data --json` over many CSV rows, against the same program written by hand in numpy.

Whole process: ``gradcli eval PROGRAM --data FILE --json > /dev/null`` and a
hand-written numpy script that reads the same file (np.loadtxt), computes the
value and the gradient by hand, and writes the same JSON lines; time and peak
memory (ru_maxrss) of each.  The sweep alone: gradcli's vectorized forward pass and
reverse sweep over chunks of rows, against the hand-written numpy expressions
over the same chunks.

    python benchmarks/bench_batch.py            # 10^5 and 10^6 rows
    python benchmarks/bench_batch.py 10000000   # add 10^7 rows (minutes, ~1 GB of CSV)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PROGRAM = "f = x^2*y + sin(z)*x"

HAND = r"""
import sys, numpy as np
x, y, z = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1, unpack=True)
s = np.sin(z)
f = x**2*y + s*x
gx, gy, gz = 2*x*y + s, x**2, np.cos(z)*x
t = '{{"row": {}, "inputs": {{"x": {}, "y": {}, "z": {}}}, "value": {}, "gradient": {{"x": {}, "y": {}, "z": {}}}}}'
out = sys.stdout
for k in range(0, len(x), 8192):
    cols = [c[k:k + 8192].tolist() for c in (x, y, z, f, gx, gy, gz)]
    out.write("\n".join(map(t.format, range(k, k + len(cols[0])), *cols)) + "\n")
"""


WRITE = r"""
import sys, numpy as np
n = int(sys.argv[2])
rng = np.random.default_rng(1)
with open(sys.argv[1], "w") as out:
    out.write("x,y,z\n")
    for k in range(0, n, 1_000_000):
        block = rng.uniform(0.5, 3.0, (min(1_000_000, n - k), 3))
        out.write("\n".join(f"{a!r},{b!r},{c!r}" for a, b, c in block.tolist()) + "\n")
"""


def write_rows(path: Path, n: int) -> None:
    """In a process of its own: a child's peak memory starts from its parent's (fork), so this one stays small."""
    subprocess.run([sys.executable, "-c", WRITE, str(path), str(n)], check=True)


def measure(argv: list[str]) -> tuple[float, float]:
    """Seconds and peak MB of one process, its output thrown away."""
    started = time.perf_counter()
    with open(os.devnull, "w") as null:
        proc = subprocess.Popen(argv, stdout=null, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
    assert status == 0, argv
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def sweep_alone(n: int, chunk: int = 8192) -> tuple[float, float]:
    """Microseconds per row: gradcli's row sweeps vs hand-written numpy, over the same chunks."""
    import numpy as np

    from gradcli.autodiff.loading import load
    from gradcli.autodiff.sweeps import Plan

    problem = load(PROGRAM, require_values=False)
    tape = problem.tape
    rng = np.random.default_rng(2)
    cols = [rng.uniform(0.5, 3.0, chunk) for _ in range(3)]
    index = {tape.names[name]: c for name, c in zip("xyz", cols)}
    out = tape.names["f"]
    rounds = max(1, n // chunk)
    plan = Plan(tape)

    def ours():
        vals, bad = plan.row_values(index, chunk)
        plan.reverse(vals, out, bad=bad)

    def hand():
        x, y, z = cols
        s = np.sin(z)
        f = x ** 2 * y + s * x  # noqa: F841
        gx, gy, gz = 2 * x * y + s, x ** 2, np.cos(z) * x  # noqa: F841
        np.isfinite(f).all()

    times = []
    for fn in (ours, hand):
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            for _ in range(rounds):
                fn()
            best = min(best, time.perf_counter() - started)
        times.append(best / (rounds * chunk) * 1e6)
    return times[0], times[1]


def main() -> None:
    sizes = [100_000, 1_000_000] + [int(a) for a in sys.argv[1:]]
    print(f"program: {PROGRAM}; 3 inputs; whole process, output to /dev/null")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"rows_{n}.csv"
            write_rows(path, n)
            seconds, mb = measure([sys.executable, "-m", "gradcli", "eval", PROGRAM, "--data", str(path), "--json"])
            hand_s, hand_mb = measure([sys.executable, "-c", HAND, str(path)])
            print(f"{n:>10,} rows: gradcli {seconds:6.2f} s, {mb:5.0f} MB peak | hand-written numpy "
                  f"{hand_s:6.2f} s, {hand_mb:5.0f} MB peak | ratio {seconds / hand_s:.2f}x")
            path.unlink()
    ours, hand = sweep_alone(1_000_000)
    print(f"sweep alone (forward + reverse, chunks of 8192): gradcli {ours:.3f} us/row, "
          f"hand-written numpy {hand:.3f} us/row, ratio {ours / hand:.2f}x")


if __name__ == "__main__":
    main()
