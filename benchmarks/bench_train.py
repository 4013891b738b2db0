"""Training speed: 50 steps of `gradcli descend` on a 784-256-10 tanh network, 64-row minibatch,
with and without --json (a line per step: the loss and each gradient's norm), against the same
loop written by hand in numpy, whole process each, side by side in one run.

    .venv/bin/python benchmarks/bench_train.py [REPEATS]

Both read the same .npy files (random inputs and one-hot labels, seeded starting
weights), run 51 forward passes and 50 backward passes and updates of
W1, b1, W2, b2 with lr 0.1, and print the final loss; the two losses must agree.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from timing import gradcli_command, medians

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = ROOT / "samples" / "two_layer.grad"
ROWS, INPUTS, HIDDEN, CLASSES, STEPS, LR = 64, 784, 256, 10, 50, 0.1

BY_HAND = """
import sys
import numpy as np
d = {{n: np.load(f"{{sys.argv[1]}}/{{n}}.npy") for n in ("X", "Y", "W1", "b1", "W2", "b2")}}
X, Y, W1, b1, W2, b2 = (d[n] for n in ("X", "Y", "W1", "b1", "W2", "b2"))
n = len(X)
for k in range({steps} + 1):
    H = np.tanh(X @ W1 + b1)
    S = H @ W2 + b2
    m = S.max(axis=1, keepdims=True)
    E = np.exp(S - m)
    Z = E.sum(axis=1, keepdims=True)
    L = np.mean(np.log(Z[:, 0]) + m[:, 0] - (S * Y).sum(axis=1))
    if k == {steps}:
        break
    G = (E / Z - Y) / n
    GH = (G @ W2.T) * (1 - H * H)
    W2 = W2 - {lr} * (H.T @ G)
    b2 = b2 - {lr} * G.sum(axis=0)
    W1 = W1 - {lr} * (X.T @ GH)
    b1 = b1 - {lr} * GH.sum(axis=0)
print(repr(float(L)))
"""


def write_data(folder: Path) -> None:
    rng = np.random.default_rng(1)
    arrays = {"X": rng.uniform(0, 1, (ROWS, INPUTS)), "Y": np.eye(CLASSES)[rng.integers(0, CLASSES, ROWS)],
              "W1": rng.normal(0, INPUTS ** -0.5, (INPUTS, HIDDEN)), "b1": np.zeros(HIDDEN),
              "W2": rng.normal(0, HIDDEN ** -0.5, (HIDDEN, CLASSES)), "b2": np.zeros(CLASSES)}
    for name, value in arrays.items():
        np.save(folder / f"{name}.npy", value)


def main(repeats: int = 3) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_data(folder)
        gradcli = gradcli_command() + [
            "descend", "-f", str(PROGRAM), *(f"{n}=@{folder / n}.npy" for n in ("X", "Y", "W1", "b1", "W2", "b2")),
            "--wrt", "W1,b1,W2,b2", "--lr", str(LR), "--steps", str(STEPS)]
        by_hand = [sys.executable, "-c", BY_HAND.format(steps=STEPS, lr=LR), str(folder)]
        mine = subprocess.run(gradcli + ["--json"], capture_output=True, text=True, check=True).stdout
        import json

        final = json.loads(mine.splitlines()[-1])["loss"]
        theirs = float(subprocess.run(by_hand, capture_output=True, text=True, check=True).stdout)
        assert abs(final - theirs) <= 1e-9 * abs(theirs), (final, theirs)
        results = medians({"numpy by hand": by_hand, "gradcli descend": gradcli,
                           "gradcli --json": gradcli + ["--json"]}, repeats)
    print(f"{INPUTS}-{HIDDEN}-{CLASSES} tanh network, {ROWS}-row minibatch, {STEPS} steps, whole process, "
          f"median of {repeats} (final loss {final:.6g} in both)")
    for name, (seconds, peak) in results.items():
        print(f"  {name:<16} {seconds:6.2f} s   peak {peak:5.0f} MB")
    for name in ("gradcli descend", "gradcli --json"):
        print(f"  ratio {name} / numpy: {results[name][0] / results['numpy by hand'][0]:.2f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
