"""Forward pass + reverse sweep per node: gradcli's engine against a hand-written flat-list baseline.

The baseline is the fastest plain-Python form of the same computation: the
tape as parallel lists of opcodes and operand indices, an if-chain per opcode,
partials written inline.  gradcli's engine reads every operation from the
operator table instead; the goal is to stay within 1.5x of the baseline.

    python benchmarks/bench_sweep.py [NODES]
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # programs.py: the generators the tests use

from programs import chain  # noqa: E402
from timing import median_time  # noqa: E402

from gradcli.autodiff.scalar_plan import scalar_values, scalar_adjoints  # noqa: E402
from gradcli.support.gcpause import paused_gc  # noqa: E402
from gradcli.core.lower import build_tape  # noqa: E402
from gradcli.lang.syntax import parse_program  # noqa: E402

CONST, INPUT, ADD, MUL, SIN = range(5)


def flat_lists(tape):
    """The same tape as parallel lists, for the baseline."""
    codes = {"add": ADD, "mul": MUL, "sin": SIN}
    code, a, b, const = [], [], [], []
    for node in tape.nodes:
        if node.kind == "op":
            code.append(codes[node.op.name])
            a.append(node.args[0])
            b.append(node.args[1] if len(node.args) > 1 else -1)
        else:
            code.append(CONST if node.kind == "const" else INPUT)
            a.append(-1)
            b.append(-1)
        const.append(node.value if node.kind == "const" else 0.0)
    return code, a, b, const


def baseline(code, a, b, const, x):
    n = len(code)
    v = [0.0] * n
    sin, cos = math.sin, math.cos
    for i in range(n):
        c = code[i]
        if c == ADD:
            v[i] = v[a[i]] + v[b[i]]
        elif c == MUL:
            v[i] = v[a[i]] * v[b[i]]
        elif c == SIN:
            v[i] = sin(v[a[i]])
        elif c == CONST:
            v[i] = const[i]
        else:
            v[i] = x
    adj = [0.0] * n
    adj[n - 1] = 1.0
    for i in range(n - 1, -1, -1):
        g = adj[i]
        if g == 0.0:
            continue
        c = code[i]
        if c == ADD:
            adj[a[i]] += g
            adj[b[i]] += g
        elif c == MUL:
            adj[a[i]] += g * v[b[i]]
            adj[b[i]] += g * v[a[i]]
        elif c == SIN:
            adj[a[i]] += g * cos(v[a[i]])
    return v, adj


def main(nodes: int = 200_000) -> None:
    with paused_gc():
        tape = build_tape(parse_program(chain(nodes)))
    n = len(tape.nodes)
    x_index = tape.names["x"]
    out = n - 1
    lists = flat_lists(tape)

    def ours():
        vals = scalar_values(tape, {x_index: 0.5})
        return vals, scalar_adjoints(tape, vals, out)

    vals, adj = ours()
    base_vals, base_adj = baseline(*lists, 0.5)
    assert math.isclose(adj[x_index], base_adj[x_index], rel_tol=1e-12), "engines disagree"

    t_base = median_time(lambda: baseline(*lists, 0.5))
    t_ours = median_time(ours)
    t_fwd = median_time(lambda: scalar_values(tape, {x_index: 0.5}))
    print(f"tape of {n:,} nodes (chain of sin, *, +), median of 7 runs, forward + reverse:")
    print(f"  hand-written flat lists : {1e6 * t_base / n:6.2f} us/node")
    print(f"  gradcli engine          : {1e6 * t_ours / n:6.2f} us/node"
          f"  (forward {1e6 * t_fwd / n:.2f}, reverse {1e6 * (t_ours - t_fwd) / n:.2f})")
    print(f"  ratio                   : {t_ours / t_base:6.2f}x  (goal: at most 1.5x)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
