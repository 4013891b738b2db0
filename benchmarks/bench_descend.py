"""Descent speed: the tape built once and reused (what gradcli descend does) against rebuilding
it from the program text at every step, side by side in the same run.

    python benchmarks/bench_descend.py

Prints the median time of 200 steps of the line fit (9 data rows) for each, and their ratio.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gradcli.analyses.descent import Descent, prepare_descent, read_data  # noqa: E402
from gradcli.autodiff.scalar_plan import scalar_values, scalar_adjoints  # noqa: E402
from gradcli.autodiff.loading import load  # noqa: E402
from timing import median_time  # noqa: E402

TEXT = (ROOT / "samples" / "line_fit.grad").read_text()
DATA = read_data(ROOT / "samples" / "line_fit.csv", load(TEXT, require_values=False))
STEPS, LR, REPEATS = 200, 0.1, 7


def reused() -> dict:
    problem = prepare_descent(load(TEXT, require_values=False), DATA, wrt_given=False)
    descent = Descent(problem, LR, STEPS, data=DATA)
    for _ in descent:
        pass
    return descent.result.final.values


def rebuilt() -> dict:
    w = b = 0.0
    for _ in range(STEPS + 1):
        loss = gw = gb = 0.0
        for x, y in DATA.rows:
            problem = load(TEXT, [f"w={w!r}", f"b={b!r}", f"x={x!r}", f"y={y!r}"])
            vals = scalar_values(problem.tape, problem.input_values())
            adj = scalar_adjoints(problem.tape, vals, problem.output_index)
            loss += vals[problem.output_index]
            gw += adj[problem.tape.names["w"]]
            gb += adj[problem.tape.names["b"]]
        n = len(DATA.rows)
        w, b = w - LR * gw / n, b - LR * gb / n
    return {"w": w, "b": b}


def main() -> None:
    a, r = reused(), rebuilt()
    assert abs(a["w"] - r["w"]) < 1e-9 and abs(a["b"] - r["b"]) < 1e-9, (a, r)
    t_reused, t_rebuilt = median_time(reused, REPEATS), median_time(rebuilt, REPEATS)
    print(f"{STEPS} steps x {len(DATA.rows)} rows, median of {REPEATS}")
    print(f"  tape built once (gradcli descend): {t_reused * 1e3:8.1f} ms")
    print(f"  tape rebuilt every evaluation:     {t_rebuilt * 1e3:8.1f} ms")
    print(f"  ratio: {t_rebuilt / t_reused:.1f}x")


if __name__ == "__main__":
    main()
