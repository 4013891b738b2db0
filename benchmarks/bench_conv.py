"""A convolution layer forward and backward: gradcli's sweeps against PyTorch (CPU, float64), side by side.

    .venv/bin/python benchmarks/bench_conv.py [REPEATS]

x is a (64, 3, 32, 32) batch, w 16 filters of 3 x 3 (padding 1); two programs:

* conv:       ``f = sum(conv2d(x, w, padding=1) * c)``
* conv+pool:  ``f = sum(max_pool2d(relu(conv2d(x, w, padding=1)), 2) * c)``

Each row is the median of REPEATS (default 15) runs in this process, the two sides alternated:
gradcli's forward and reverse sweep (``evaluate`` on a problem loaded once, as `gradcli eval`
runs it) against ``torch`` computing the same value and calling ``backward()``.  The value and
the gradients must agree to 1e-10.  PyTorch is imported here only (not by gradcli or its tests).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from gradcli.autodiff.gradient import evaluate
from gradcli.autodiff.loading import load

PROGRAMS = {
    "conv": ("f = sum(conv2d(x, w, padding=1) * c)", lambda x, w: F.conv2d(x, w, padding=1)),
    "conv+pool": ("f = sum(max_pool2d(relu(conv2d(x, w, padding=1)), 2) * c)",
                  lambda x, w: F.max_pool2d(F.relu(F.conv2d(x, w, padding=1)), 2)),
}


def gradcli_side(problem):
    result = evaluate(problem)
    return result.value, result.gradient["x"], result.gradient["w"]


def torch_side(layer, x, w, c):
    X, W = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    f = (layer(X, W) * torch.tensor(c)).sum()
    f.backward()
    return f.item(), X.grad.numpy(), W.grad.numpy()


def timed(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def main(repeats: int = 15) -> None:
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((64, 3, 32, 32)), rng.standard_normal((16, 3, 3, 3))
    print(f"x {x.shape}, w {w.shape}, padding 1; medians of {repeats} runs, ms "
          f"(torch {torch.__version__}, {torch.get_num_threads()} threads)")
    print(f"{'program':<10} {'gradcli':>9} {'torch':>9} {'ratio':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, (program, layer) in PROGRAMS.items():
            shape = tuple(layer(torch.tensor(x), torch.tensor(w)).shape)
            c = rng.standard_normal(shape)
            for label, value in (("x", x), ("w", w), ("c", c)):
                np.save(Path(tmp) / f"{label}.npy", value)
            problem = load(program, [f"{label}=@{tmp}/{label}.npy" for label in "xwc"], wrt=["x", "w"])
            problem.intermediates = False  # as `gradcli eval` without --all
            ours, theirs = gradcli_side(problem), torch_side(layer, x, w, c)
            for a, b in zip(ours, theirs):
                np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)
            times: dict[str, list[float]] = {"gradcli": [], "torch": []}
            for _ in range(repeats):
                times["gradcli"].append(timed(lambda: gradcli_side(problem)))
                times["torch"].append(timed(lambda: torch_side(layer, x, w, c)))
            mine, base = (statistics.median(times[k]) * 1e3 for k in ("gradcli", "torch"))
            print(f"{name:<10} {mine:9.1f} {base:9.1f} {mine / base:6.2f}x")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
