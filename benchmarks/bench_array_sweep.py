"""One large array program: `f = sum(tanh(W) * W @ x)` with W 4000 x 4000, forward + reverse,
against the same function's forward and backward written by hand in numpy, side by side in one run.

    .venv/bin/python benchmarks/bench_array_sweep.py [REPEATS] [N]

Both read W and x from the same .npy files.  Two pairs of figures, each the
median of REPEATS runs (default 3) of a fresh process, time and peak RSS:

* whole process: `gradcli eval` (Rich output) against a script that loads,
  computes and prints the value and the gradient's sums;
* engine only: a script that imports gradcli, loads the problem and runs
  `evaluate` as `gradcli eval` does (no rendering), against the numpy script.

The value and both gradients must agree with numpy's to 1e-9.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from timing import gradcli_command, medians

PROGRAM = "f = sum(tanh(W) * W @ x)"

BY_HAND = """
import sys
import numpy as np
W = np.load(sys.argv[1] + "/W.npy")
x = np.load(sys.argv[1] + "/x.npy")
t = np.tanh(W)
v = t * W
y = v @ x
f = y.sum()
gy = np.ones_like(y)
gx = v.T @ gy
gv = np.outer(gy, x)
gW = gv * t + (gv * W) * (1 - t * t)
print(repr(float(f)), repr(float(gW.sum())), repr(float(gx.sum())))
"""

ENGINE = """
import sys
from gradcli.autodiff.gradient import evaluate
from gradcli.autodiff.loading import load
problem = load(sys.argv[2], [f"W=@{sys.argv[1]}/W.npy", f"x=@{sys.argv[1]}/x.npy"])
problem.intermediates = False  # as `gradcli eval` without --all
result = evaluate(problem)
g = result.gradient
print(repr(float(result.value)), repr(float(g["W"].sum())), repr(float(g["x"].sum())))
"""


def write_data(folder: Path, n: int) -> None:
    rng = np.random.default_rng(0)
    np.save(folder / "W.npy", rng.standard_normal((n, n)))
    np.save(folder / "x.npy", rng.standard_normal(n))


def _numbers(argv: list[str]) -> list[float]:
    return [float(v) for v in subprocess.run(argv, capture_output=True, text=True, check=True).stdout.split()]


def main(repeats: int = 3, n: int = 4000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_data(folder, n)
        by_hand = [sys.executable, "-c", BY_HAND, str(folder)]
        engine = [sys.executable, "-c", ENGINE, str(folder), PROGRAM]
        whole = gradcli_command() + ["eval", PROGRAM, f"W=@{folder}/W.npy", f"x=@{folder}/x.npy"]
        theirs, mine = _numbers(by_hand), _numbers(engine)
        for a, b in zip(theirs, mine):
            assert abs(a - b) <= 1e-9 * max(1.0, abs(a)), (theirs, mine)
        value = json.loads(subprocess.run(gradcli_command() + ["eval", "--json", "--wrt", "x", PROGRAM,
                                                               f"W=@{folder}/W.npy", f"x=@{folder}/x.npy"],
                                          capture_output=True, text=True, check=True).stdout)["value"]
        assert abs(value - theirs[0]) <= 1e-9 * abs(theirs[0]), (value, theirs[0])
        results = medians({"numpy by hand": by_hand, "gradcli engine": engine, "gradcli eval": whole}, repeats)
    print(f"{PROGRAM}, W {n} x {n}, forward + reverse, median of {repeats} fresh processes (time, peak RSS)")
    for name, (seconds, peak) in results.items():
        print(f"  {name:<15} {seconds:6.2f} s   peak {peak:6.0f} MB")
    base_t, base_m = results["numpy by hand"]
    for name in ("gradcli engine", "gradcli eval"):
        t, m = results[name]
        print(f"  {name}: {t / base_t:.2f}x the time, {m / base_m:.2f}x the memory of numpy by hand")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
