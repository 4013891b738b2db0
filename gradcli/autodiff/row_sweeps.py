"""Many points at once: one forward pass and one reverse sweep over columns of rows.

For a program of scalar operations every op is elementwise, so binding each
input to a 1-D array of rows (one element per row) makes one array forward
pass compute every row's value, and one reverse sweep seeded with ones compute
every row's gradient: rows never mix.  The rules are the op table's numpy ones
(``op.array``).

Nothing here raises for a bad row: values are computed with numpy's errors
ignored, and ``bad`` marks each row where any node's value or adjoint is not
finite.  The caller re-runs those rows one at a time through the ordinary
scalar sweeps, which say exactly what went wrong (or, where numpy and the
scalar functions disagree at an edge of the domain, give the scalar result).
"""

from __future__ import annotations

from gradcli.core.tape import CONST, OPERATION, Tape
from gradcli.core.values import is_array, np


def vectorizable(tape: Tape) -> bool:
    """True when every op is a scalar (elementwise) one and no constant is an array."""
    return all((node.kind != OPERATION or node.op.scalar) and not (node.kind == CONST and is_array(node.value))
               for node in tape.nodes)


def forward_rows(tape: Tape, inputs: dict[int, object], n: int):
    """Every node's value over ``n`` rows (an array, or a float where no input reaches), and the bad rows.

    A row is bad when any node's value is not finite there.  Rather than test every
    node, the values are summed row by row as they are made: a sum stays finite only
    if every term is (an infinity or a nan never cancels back to a finite number),
    so one test at the end finds the same rows.
    """
    nodes = tape.nodes
    vals: list = [node.value if node.kind == CONST else 0.0 for node in nodes]
    for index, value in inputs.items():
        vals[index] = value
    total = np.zeros(n)
    with np.errstate(all="ignore"):
        for node in nodes:
            if node.kind != OPERATION:
                continue
            v = node.op.array.forward(node.params, *[vals[a] for a in node.args])
            vals[node.index] = v
            total += v
        bad = ~np.isfinite(total)
    return vals, bad


def reverse_rows(tape: Tape, vals: list, output: int, n: int, bad):
    """Every node's adjoint d(output)/d(node) per row (None: zero), marking rows where one is not finite.

    Every edge that carries gradient is evaluated, as in the scalar sweep, so a
    row with an infinite partial there is marked even if the gradient arriving is 0.
    The adjoints are summed row by row as in ``forward_rows``, and tested once.
    """
    nodes = tape.nodes
    req = tape.requires_grad()
    cone = tape.cone([output])
    adj: list = [None] * len(nodes)
    adj[output] = np.ones(n)
    total = np.zeros(n)
    with np.errstate(all="ignore"):
        for i in range(output, -1, -1):
            node = nodes[i]
            if node.kind != OPERATION or not cone[i] or not req[i]:
                continue
            g = adj[i] if adj[i] is not None else np.zeros(n)
            total += g
            rule = node.op.array
            args = [vals[a] for a in node.args]
            for j, a in enumerate(node.args):
                if req[a]:
                    contribution = rule.vjp(j, node.params, g, vals[i], args)
                    adj[a] = contribution if adj[a] is None else adj[a] + contribution
        for index in tape.inputs:
            if adj[index] is not None:
                total += adj[index]
        bad |= ~np.isfinite(total)
    return adj
