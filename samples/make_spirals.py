"""Write the two-spirals data set and a two-layer network's starting weights as .npy files.

    python samples/make_spirals.py [OUTDIR]     # default: beside this script

Two interleaved spirals of 100 points each (1.25 turns, a little noise), in
spirals_X.npy (200 x 2) and their one-hot labels in spirals_Y.npy (200 x 2);
the starting weights of a 2-32-2 tanh network in spirals_W1.npy, spirals_b1.npy,
spirals_W2.npy, spirals_b2.npy (normal, scaled by 1/sqrt(fan-in); biases 0); and all six
in one archive, spirals.npz (for `descend --load`).
Seeded: the files are the same at every run.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

POINTS, TURNS, NOISE, HIDDEN, SEED = 100, 1.25, 0.02, 32, 0


def spirals(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Class 0 winds out from the centre; class 1 is the same spiral turned by half a turn."""
    t = np.sqrt(rng.uniform(0, 1, POINTS)) * TURNS * 2 * np.pi
    radius = 2 * t / (TURNS * 2 * np.pi)
    arm = np.stack([radius * np.cos(t), radius * np.sin(t)], axis=1) + rng.normal(0, NOISE, (POINTS, 2))
    X = np.concatenate([arm, -arm])
    Y = np.eye(2)[np.repeat([0, 1], POINTS)]
    return X, Y


def main(out: Path) -> None:
    rng = np.random.default_rng(SEED)
    X, Y = spirals(rng)
    arrays = {
        "X": X, "Y": Y,
        "W1": rng.normal(0, 1 / np.sqrt(2), (2, HIDDEN)), "b1": np.zeros(HIDDEN),
        "W2": rng.normal(0, 1 / np.sqrt(HIDDEN), (HIDDEN, 2)), "b2": np.zeros(2),
    }
    out.mkdir(parents=True, exist_ok=True)
    for name, value in arrays.items():
        np.save(out / f"spirals_{name}.npy", value)
    np.savez(out / "spirals.npz", **arrays)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)
