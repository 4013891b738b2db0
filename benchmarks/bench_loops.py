"""A loop of 1,000 steps: lowering `for t in range(1000) { ... }` against the same statements written out.

    .venv/bin/python benchmarks/bench_loops.py [REPEATS]

The program is the RNN cell of samples/rnn_bptt.grad run for 1,000 steps (h[t+1] = tanh(Wxh @ X[t] +
Whh @ h[t] + b), the loss on the last state).  Two texts of it are loaded (parsed and lowered onto
the tape, as every command starts): the loop, and the 1,000 statements written out by hand.  Both
must give the same tape size and the same gradient.  Figures are medians of REPEATS (default 7)
in this process, the two alternated.  Target: the loop lowers in under a second.
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np

from gradcli.autodiff.gradient import evaluate
from gradcli.autodiff.loading import load

STEPS = 1000
HEAD = """Wxh = [[0.5, -0.3], [0.2, 0.4], [-0.1, 0.3]]
Whh = [[0.3, -0.2, 0.1], [0.1, 0.4, -0.2], [-0.2, 0.1, 0.3]]
b = [0.1, -0.1, 0.05]
y = [0.5, -0.2, 0.1]
h[0] = [0, 0, 0]
"""
TAIL = f"L = sum((h[{STEPS}] - y)^2)/2\n"
LOOP = HEAD + f"for t in range({STEPS}) {{ h[t+1] = tanh(Wxh @ X[t] + Whh @ h[t] + b) }}\n" + TAIL
WRITTEN_OUT = HEAD + "".join(f"h[{t + 1}] = tanh(Wxh @ X[{t}] + Whh @ h[{t}] + b)\n"
                             for t in range(STEPS)) + TAIL


def loaded(text: str, x: str):
    start = time.perf_counter()
    problem = load(text, [f"X={x}"])
    return time.perf_counter() - start, problem


def main(repeats: int = 7) -> None:
    rng = np.random.default_rng(0)
    x = str(np.round(rng.uniform(-1, 1, (STEPS, 2)), 3).tolist())
    loop, written = loaded(LOOP, x)[1], loaded(WRITTEN_OUT, x)[1]
    assert len(loop.tape.nodes) == len(written.tape.nodes), (len(loop.tape.nodes), len(written.tape.nodes))
    np.testing.assert_allclose(evaluate(loop).gradient["Whh"], evaluate(written).gradient["Whh"], rtol=1e-12)
    times: dict[str, list[float]] = {"loop": [], "written out": []}
    for _ in range(repeats):
        times["loop"].append(loaded(LOOP, x)[0])
        times["written out"].append(loaded(WRITTEN_OUT, x)[0])
    mine, base = (statistics.median(times[k]) for k in ("loop", "written out"))
    print(f"{STEPS}-step RNN loop, {len(loop.tape.nodes)} tape nodes; medians of {repeats} loads")
    print(f"  for t in range({STEPS})  : {mine:7.3f} s   (target < 1 s)")
    print(f"  the same, written out : {base:7.3f} s   ({mine / base:.2f}x)")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
