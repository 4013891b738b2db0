"""Linear algebra through gradcli's sweeps against numpy by hand doing the same products, side by side.

    .venv/bin/python benchmarks/bench_linalg.py [REPEATS]

Each row is one program, forward + reverse (``evaluate``, as ``gradcli eval`` runs it, without
rendering), against the same forward and backward written by hand in numpy: the same products,
the same routines (``np.matmul``, ``np.einsum`` with ``optimize=True``).  Runs alternate, in one
process, on the same arrays; the figures are medians of REPEATS (default 7).  The gradients must
agree with numpy's to 1e-9.  Target: gradcli within 1.2x numpy.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from gradcli.autodiff.gradient import evaluate
from gradcli.autodiff.loading import load


def _matmul_by_hand(A, B):
    C = A @ B
    f = C.sum()
    g = np.ones_like(C)
    gA = g @ np.swapaxes(B, -1, -2)
    gB = np.swapaxes(A, -1, -2) @ g
    return f, gA, gB


def _weight_by_hand(A, W):
    C = A @ W
    f = C.sum()
    g = np.ones_like(C)
    gA = g @ W.T
    gW = A.reshape(-1, A.shape[-1]).T @ g.reshape(-1, g.shape[-1])  # the stack's rows at once
    return f, gA, gW


def _einsum_by_hand(Q, K):
    S = np.einsum("bqd,bkd->bqk", Q, K, optimize=True)
    f = S.sum()
    g = np.ones_like(S)
    gQ = np.einsum("bqk,bkd->bqd", g, K, optimize=True)
    gK = np.einsum("bqk,bqd->bkd", g, Q, optimize=True)
    return f, gQ, gK


ROWS = [  # name, program, shapes of the two inputs, the numpy by hand
    ("stack @ stack (64, 128, 128) @ (64, 128, 128)", "f = sum(A @ B)", ((64, 128, 128), (64, 128, 128)),
     _matmul_by_hand),
    ("stack @ matrix (64, 128, 128) @ (128, 128)", "f = sum(A @ B)", ((64, 128, 128), (128, 128)), _weight_by_hand),
    ("einsum 'bqd,bkd->bqk' (64, 128, 64) x2", "f = sum(einsum('bqd,bkd->bqk', A, B))",
     ((64, 128, 64), (64, 128, 64)), _einsum_by_hand),
]


def _time(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def main(repeats: int = 7) -> None:
    rng = np.random.default_rng(0)
    print(f"{'program':<48} {'gradcli':>10} {'numpy':>10} {'ratio':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, program, shapes, by_hand in ROWS:
            A, B = (rng.standard_normal(s) for s in shapes)
            np.save(Path(tmp) / "A.npy", A)
            np.save(Path(tmp) / "B.npy", B)
            problem = load(program, [f"A=@{tmp}/A.npy", f"B=@{tmp}/B.npy"])
            problem.intermediates = False  # as `gradcli eval` without --all
            result = evaluate(problem)
            f, gA, gB = by_hand(A, B)
            assert abs(float(result.value) - f) <= 1e-9 * max(1.0, abs(f))
            np.testing.assert_allclose(result.gradient["A"], gA, rtol=1e-9, atol=1e-9)
            np.testing.assert_allclose(result.gradient["B"], gB, rtol=1e-9, atol=1e-9)
            ours, theirs = [], []
            for _ in range(repeats):
                ours.append(_time(lambda: evaluate(problem)))
                theirs.append(_time(lambda: by_hand(A, B)))
            a, b = statistics.median(ours), statistics.median(theirs)
            print(f"{name:<48} {a * 1e3:>8.1f}ms {b * 1e3:>8.1f}ms {a / b:>6.2f}x")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
