"""An elementwise chain over one vector: time and peak memory against its size, and against numpy.

    .venv/bin/python benchmarks/bench_elementwise.py [REPEATS]

The program (10 elementwise operations, then a sum) runs on vectors of 10^4, 10^5
and 10^6 elements: a forward pass and a reverse sweep through gradcli's array
sweeps, each in a fresh process (peak resident memory of the whole process), side
by side with the same forward and backward written by hand in numpy.  Every VJP
of an elementwise op is ``g * partial``, so time and memory grow linearly; an
n x n Jacobian at 10^6 elements would be 8 TB.
"""

from __future__ import annotations

import sys
from pathlib import Path

from timing import medians

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = "a = sin(x); b = a*x; c = exp(-b*b); d = c + 0.5*x; e = tanh(d); L = sum(e*e)"

CHILD = """
import sys
sys.path.insert(0, {root!r})
import numpy as np
x = np.random.default_rng(0).uniform(-1, 1, {n})
{body}
"""

GRADCLI = """
from gradcli.autodiff.gradient import evaluate
from gradcli.autodiff.loading import load
p = load({program!r}, require_values=False)
p.values = {{"x": x}}
g = evaluate(p).gradient["x"]
assert g.shape == x.shape
"""

NUMPY = """
a = np.sin(x); b = a*x; bb = -b*b; c = np.exp(bb); d = c + 0.5*x; e = np.tanh(d); L = np.sum(e*e)
ge = 2*e; gd = ge*(1 - e*e); gc = gd; gx = 0.5*gd; gbb = gc*c; gb = -2*b*gbb
gx = gx + gb*a; ga = gb*x; gx = gx + ga*np.cos(x)
"""


def main(repeats: int = 3) -> None:
    commands = {}
    sizes = (10_000, 100_000, 1_000_000)
    for n in sizes:
        for name, body in (("gradcli", GRADCLI.format(program=PROGRAM)), ("numpy", NUMPY)):
            commands[f"{name} {n:,}"] = [sys.executable, "-c", CHILD.format(root=str(ROOT), n=n, body=body)]
    results = medians(commands, repeats)
    print(f"{PROGRAM}\nforward + reverse, whole process, median of {repeats}")
    for n in sizes:
        (t, m), (tn, mn) = results[f"gradcli {n:,}"], results[f"numpy {n:,}"]
        print(f"  {n:>9,} elements   gradcli {t:6.2f} s {m:6.0f} MB   numpy by hand {tn:6.2f} s {mn:6.0f} MB"
              f"   ratio {t / tn:.2f}x")
    small, large = results[f"gradcli {sizes[0]:,}"], results[f"gradcli {sizes[-1]:,}"]
    base = results[f"numpy {sizes[0]:,}"]
    print(f"  memory above the 10^4 run: gradcli {large[1] - small[1]:.0f} MB, "
          f"numpy {results[f'numpy {sizes[-1]:,}'][1] - base[1]:.0f} MB "
          f"(one 10^6 vector is 8 MB)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
