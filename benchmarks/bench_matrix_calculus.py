"""Matrix calculus speed: derive of the 784-256-10 network's backward pass, and a Hessian-vector product
against one gradient, side by side in one run.

    .venv/bin/python benchmarks/bench_matrix_calculus.py [REPEATS]

* whole process: `gradcli derive` (the tensor-level backward pass, written out) and
  `gradcli hessian --vector` (H v) beside `gradcli eval` (value and gradient), same bindings
  (the network of bench_train.py, a 64-row batch);
* in this process, start-up left out: ``hessian_vector`` (derive, lower, evaluate the derived
  pass, one tangent pass) against ``evaluate`` (one forward pass and one reverse sweep).

The goals: derive in under a second; H v within 4x one gradient.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

from bench_train import PROGRAM, write_data
from timing import gradcli_command, median_time, medians

NAMES = ("X", "Y", "W1", "b1", "W2", "b2")
PARAMS = ("W1", "b1", "W2", "b2")


def main(repeats: int = 5) -> None:
    from gradcli.analyses.hessian_arrays import hessian_vector
    from gradcli.autodiff.gradient import evaluate
    from gradcli.autodiff.loading import load

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_data(folder)
        rng = np.random.default_rng(2)
        for name in PARAMS:
            np.save(folder / f"v_{name}.npy", rng.uniform(-1, 1, np.load(folder / f"{name}.npy").shape))
        bindings = [f"{n}=@{folder / n}.npy" for n in NAMES]
        vector = [arg for n in PARAMS for arg in ("--vector", f"{n}=@{folder / f'v_{n}'}.npy")]
        base = gradcli_command()
        common = ["-f", str(PROGRAM), *bindings, "--wrt", ",".join(PARAMS)]
        results = medians({"gradcli eval": [*base, "eval", *common, "--json"],
                           "gradcli derive": [*base, "derive", *common],
                           "gradcli hessian --vector": [*base, "hessian", *common, *vector, "--json"]}, repeats,
                          memory=False)
        print(f"784-256-10 tanh network, 64-row batch, whole process, median of {repeats}")
        for name, (seconds, _) in results.items():
            print(f"  {name:<26} {seconds:6.3f} s")
        print(f"  derive / eval: {results['gradcli derive'][0] / results['gradcli eval'][0]:.2f}x")
        print("in process (start-up and reading the files left out): one gradient (evaluate), H v (hessian_vector)")
        for rows in (64, 1024):
            np.save(folder / "X.npy", rng.uniform(0, 1, (rows, 784)))
            np.save(folder / "Y.npy", np.eye(10)[rng.integers(0, 10, rows)])
            problem = load(PROGRAM.read_text(), bindings, wrt=list(PARAMS))
            v = {n: np.load(folder / f"v_{n}.npy") for n in PARAMS}
            gradient = median_time(lambda: evaluate(problem), repeats)
            hvp = median_time(lambda: hessian_vector(problem, v), repeats)
            print(f"  {rows:>5} rows: gradient {gradient * 1e3:7.1f} ms   H v {hvp * 1e3:7.1f} ms   "
                  f"ratio {hvp / gradient:.2f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
