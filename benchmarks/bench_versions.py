"""Two versions of gradcli side by side: this tree against a git revision, on the workloads
whose speed a redesign of the core must keep (start-up, a chain of 10^6 operations, a scalar
Jacobian, 10^6 CSV rows, training the 784-256-10 network, one 4000 x 4000 array program).

    .venv/bin/python benchmarks/bench_versions.py BASE_REV [REPEATS] [--quick]

The base revision is checked out into a temporary git worktree; both versions run as whole
processes of this venv's interpreter (``python -m gradcli``), each with its own source tree
first on PYTHONPATH and its modules compiled beforehand, interleaved run by run so that the
machine's noise hits both alike.  It prints each workload's median time and peak memory for
both, and the ratio (this tree / base).  ``--quick`` shrinks the large workloads tenfold.
"""

from __future__ import annotations

import compileall
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from timing import run_once

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))  # programs.py: the generators the tests use

from bench_batch import write_rows  # noqa: E402
from bench_train import write_data as write_network  # noqa: E402
from programs import chain_operations  # noqa: E402


def jacobian_program(statements: int = 2000, inputs: int = 20) -> str:
    """Two outputs of 20 inputs, through a mesh of 2,000 statements."""
    lines = ["t0 = x0 * x1"]
    for i in range(1, statements):
        lines.append(f"t{i} = sin(t{i - 1}) * 0.5 + x{i % inputs} * t{max(0, i - 7)}")
    lines.append(f"y1 = t{statements - 1} + t{statements // 2}")
    lines.append(f"y2 = t{statements - 2} * x0")
    return "\n".join(lines)


def workloads(folder: Path, quick: bool) -> dict[str, tuple[list[str], int]]:
    """Each workload's gradcli arguments and how many times to run it."""
    scale = 10 if quick else 1
    (folder / "chain.grad").write_text(chain_operations(1_000_000 // scale))
    (folder / "jacobian.grad").write_text(jacobian_program())
    write_rows(folder / "rows.csv", 1_000_000 // scale)
    write_network(folder)
    rng = np.random.default_rng(0)
    n = 4000 // (3 if quick else 1)
    np.save(folder / "W.npy", rng.standard_normal((n, n)) / n)
    np.save(folder / "x.npy", rng.standard_normal(n))
    binding = [f"x{i}={0.1 * (i % 7) + 0.3}" for i in range(20)]
    network = [f"{name}=@{folder / name}.npy" for name in ("X", "Y", "W1", "b1", "W2", "b2")]
    return {
        "start-up: eval --json, one line": (["eval", "--json", "f = x*y + sin(x)", "x=2", "y=3"], 20),
        f"chain of {1_000_000 // scale:,} operations, eval --json": (["eval", "--json", "-f", str(folder / "chain.grad"), "x=0.5"], 3),
        "jacobian 2 x 20 over 2,000 statements": (["jacobian", "--json", "-f", str(folder / "jacobian.grad"), *binding], 7),
        f"eval --data --json, {1_000_000 // scale:,} CSV rows": (["eval", "f = x^2*y + sin(z)*x", "--data",
                                                                  str(folder / "rows.csv"), "--json"], 3),
        "descend 784-256-10, 50 steps": (["descend", "-f", str(ROOT / "samples" / "two_layer.grad"), *network,
                                          "--wrt", "W1,b1,W2,b2", "--lr", "0.1", "--steps", "50"], 3),
        f"eval sum(tanh(W) * W @ x), W {n} x {n}": (["eval", "f = sum(tanh(W) * W @ x)", f"W=@{folder}/W.npy",
                                                     f"x=@{folder}/x.npy"], 3),
    }


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    quick = "--quick" in sys.argv
    if not args:
        raise SystemExit(__doc__)
    base_rev, repeats_scale = args[0], int(args[1]) if len(args) > 1 else 1
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        base = tmp / "base"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(base), base_rev], check=True)
        try:
            trees = {"base": base, "this": ROOT}
            for tree in trees.values():
                compileall.compile_dir(str(tree / "gradcli"), quiet=1)
            data = tmp / "data"
            data.mkdir()
            results = {}
            for label, (argv, repeats) in workloads(data, quick).items():
                runs = {name: [] for name in trees}
                for _ in range(repeats * repeats_scale):
                    for name, tree in trees.items():
                        env = {**os.environ, "PYTHONPATH": str(tree)}
                        env.pop("PYTHONDONTWRITEBYTECODE", None)
                        runs[name].append(_run(argv, env))
                results[label] = {name: (statistics.median(t for t, _ in r), statistics.median(m for _, m in r))
                                  for name, r in runs.items()}
                _print(label, results[label])
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], check=False)


def _run(argv: list[str], env: dict) -> tuple[float, float]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        return run_once([sys.executable, "-m", "gradcli", *argv])
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _print(label: str, result: dict) -> None:
    (tb, mb), (tt, mt) = result["base"], result["this"]
    print(f"{label}\n    base {tb:8.3f} s {mb:6.0f} MB    this {tt:8.3f} s {mt:6.0f} MB    "
          f"ratio {tt / tb:.2f}x time, {mt / mb:.2f}x memory", flush=True)


if __name__ == "__main__":
    main()
