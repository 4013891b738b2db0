"""The gradient-health report over 10^4 rows: in process (``health_report``) beside the same figures
by hand in numpy, and whole process (``gradcli health --json``) beside ``gradcli eval --json`` of
the same program, in the same run.

    .venv/bin/python benchmarks/bench_health.py [REPEATS]

Two workloads: the spirals network (2-32-2, tanh, softmax cross-entropy) with 10^4 examples bound
whole (``--examples X,Y``), and a per-row program of scalar ops over a 10^4-row CSV (``--data``).
The goal: under a second, whole process.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from timing import gradcli_command, medians

ROOT = Path(__file__).resolve().parent.parent
N = 10_000
NETWORK = "H = tanh(X @ W1 + b1); S = H @ W2 + b2; L = mean(logsumexp(S, 1) - sum(S*Y, 1))"
PER_ROW = "h = tanh(w*x + b); r = relu(v*x - 1); L = (h + r - y)^2"


def by_hand(X, Y, W1, b1, W2, b2, lr=0.5):
    """The report's figures for the network, written out in numpy."""
    n = len(X)
    H = np.tanh(X @ W1 + b1)
    S = H @ W2 + b2
    top = S.max(1, keepdims=True)
    lse = top[:, 0] + np.log(np.exp(S - top).sum(1))
    loss = np.mean(lse - (S * Y).sum(1))
    dS = (np.exp(S - lse[:, None]) - Y) / n
    dH = dS @ W2.T
    dZ = dH * (1 - H * H)
    grads = [X.T @ dZ, dZ.sum(0), H.T @ dS, dS.sum(0)]
    saturated = np.abs(H) > 0.97
    figures = [saturated.mean(), saturated.all(0).sum(), loss, np.log(S.shape[1])]
    figures += [lr * np.linalg.norm(g) / max(np.linalg.norm(w), 1e-300) for g, w in zip(grads, (W1, b1, W2, b2))]
    return figures


def timed(f, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(repeats: int = 7) -> None:
    from gradcli.analyses.health import health_report
    from gradcli.autodiff.loading import load

    rng = np.random.default_rng(0)
    tmp = Path(tempfile.mkdtemp())
    X = rng.normal(size=(N, 2))
    Y = np.eye(2)[rng.integers(0, 2, size=N)]
    W1, b1 = rng.normal(size=(2, 32)), np.zeros(32)
    W2, b2 = 0.1 * rng.normal(size=(32, 2)), np.zeros(2)
    arrays = {"X": X, "Y": Y, "W1": W1, "b1": b1, "W2": W2, "b2": b2}
    for name, a in arrays.items():
        np.save(tmp / f"{name}.npy", a)
    bindings = [f"{name}=@{tmp / f'{name}.npy'}" for name in arrays]
    problem = load(NETWORK, bindings, wrt=["W1", "b1", "W2", "b2"])
    x = rng.normal(size=N)
    y = (x > 0).astype(float)
    csv = tmp / "rows.csv"
    csv.write_text("x,y\n" + "".join(f"{float(a)!r},{float(b)!r}\n" for a, b in zip(x, y)))
    rows_problem = load(PER_ROW, ["w=3", "b=0.1", "v=0.5"], wrt=["w", "b", "v"], require_values=False,
                        keep=["x", "y"])

    print(f"health report over {N:,} rows, medians of {repeats}")
    report = timed(lambda: health_report(problem, lr=0.5, examples=["X", "Y"]), repeats)
    hand = timed(lambda: by_hand(X, Y, W1, b1, W2, b2), repeats)
    print(f"  network, in process: health_report {report * 1e3:7.1f} ms; numpy by hand {hand * 1e3:6.1f} ms "
          f"({report / hand:.1f}x: the report also sweeps each edge once more for its gain)")
    rows = timed(lambda: health_report(rows_problem, rows={"x": x, "y": y}), repeats)
    print(f"  per-row program, in process: health_report {rows * 1e3:7.1f} ms")
    base = gradcli_command()
    results = medians({
        "gradcli eval --json (network)": [*base, "eval", NETWORK, *bindings, "--json"],
        "gradcli health --json (network)": [*base, "health", NETWORK, *bindings, "--examples", "X,Y", "--json"],
        "gradcli eval --data (per-row)": [*base, "eval", PER_ROW, "w=3", "b=0.1", "v=0.5", "--data", str(csv),
                                          "--json"],
        "gradcli health --data (per-row)": [*base, "health", PER_ROW, "w=3", "b=0.1", "v=0.5", "--data", str(csv),
                                            "--json"],
    }, repeats, memory=True)
    print("  whole process:")
    for name, (seconds, mb) in results.items():
        print(f"    {name:<36} {seconds:6.3f} s {mb:6.0f} MB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
