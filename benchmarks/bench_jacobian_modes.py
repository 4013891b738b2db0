"""Forward vs reverse mode on a wide and a tall Jacobian, measured side by side in the same run.

Forward mode fills a column per pass, reverse mode a row per pass.  For one
output and n inputs (a gradient) reverse needs 1 pass and forward n; for n
outputs and one input it is the other way round.  This prints the median time
of each mode on each shape and the ratio, so the pass counts can be seen as time.

    python benchmarks/bench_jacobian_modes.py [N]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gradcli.analyses.jacobian import jacobian  # noqa: E402
from gradcli.autodiff.loading import load
from timing import median_time  # noqa: E402


def wide(n: int) -> tuple[str, list[str], list[str]]:
    """One output of n inputs: a chain of products and sines."""
    lines = ["s0 = x0"] + [f"s{i} = s{i - 1} * 0.9 + sin(x{i}) * x{i - 1}" for i in range(1, n)]
    return "\n".join(lines), [f"x{i}={0.1 * (i % 7) + 0.3}" for i in range(n)], [f"s{n - 1}"]


def tall(n: int) -> tuple[str, list[str], list[str]]:
    """n outputs of one input, each built on the one before."""
    lines = ["y0 = sin(x)"] + [f"y{i} = y{i - 1} * 0.9 + sin(x) * {i}" for i in range(1, n)]
    return "\n".join(lines), ["x=0.7"], [f"y{i}" for i in range(n)]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    print(f"{'shape':<22}{'forward':>12}{'reverse':>12}{'forward/reverse':>18}")
    for label, build in [(f"1 output x {n} inputs", wide), (f"{n} outputs x 1 input", tall)]:
        text, bindings, outputs = build(n)
        problem = load(text, bindings, of=outputs, several=True)
        fwd = median_time(lambda: jacobian(problem, "forward"))
        rev = median_time(lambda: jacobian(problem, "reverse"))
        print(f"{label:<22}{fwd * 1e3:>10.2f}ms{rev * 1e3:>10.2f}ms{fwd / rev:>18.2f}")


if __name__ == "__main__":
    main()
