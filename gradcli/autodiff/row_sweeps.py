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

from gradcli.autodiff.array_sweeps import initial_values
from gradcli.core.tape import CONST, OPERATION, Tape
from gradcli.core.values import is_array, np, settle


def vectorizable(tape: Tape) -> bool:
    """True when every op is a scalar (elementwise) one and no constant is an array."""
    return all((node.kind != OPERATION or node.op.scalar) and not (node.kind == CONST and is_array(node.value))
               for node in tape.nodes)


def _checked_nodes(tape: Tape) -> list[int]:
    """The nodes whose values the forward pass must test: those an infinity could vanish from.

    A non-finite value that flows only through ops that keep it (``Op.keeps_nonfinite``:
    sums, products, sin, ...) reaches a node nothing uses, so only those nodes, and the
    operands of ops that can hide it (exp(-inf) = 0, 1/inf = 0), need a test.
    """
    checked = getattr(tape, "_row_checks", None)
    if checked is None:
        used = [False] * len(tape.nodes)
        flag = [False] * len(tape.nodes)
        for node in tape.nodes:
            if node.kind == OPERATION:
                for a in node.args:
                    used[a] = True
                    if not node.op.keeps_nonfinite:
                        flag[a] = True
        checked = [node.index for node in tape.nodes
                   if node.kind == OPERATION and (flag[node.index] or not used[node.index])]
        tape._row_checks = checked
    return checked


def forward_rows(tape: Tape, inputs: dict[int, object], n: int):
    """Every node's value over ``n`` rows (an array, or a float where no input reaches), and the bad rows.

    A row is bad when any node's value is not finite there.  Only the nodes an
    infinity could vanish from are tested (``_checked_nodes``); their values are
    summed row by row (a sum stays finite only if every term is), and tested once.
    """
    nodes = tape.nodes
    vals = initial_values(tape, inputs)
    with np.errstate(all="ignore"):
        for node in nodes:
            if node.kind == OPERATION:
                vals[node.index] = settle(node.op.array.forward(node.params, *[vals[a] for a in node.args]))
        total = np.zeros(n)
        for i in _checked_nodes(tape):
            total += vals[i]
        bad = ~np.isfinite(total)
    return vals, bad


def reverse_rows(tape: Tape, vals: list, output: int, n: int, bad):
    """Every node's adjoint d(output)/d(node) per row (None: zero), marking rows where one is not finite.

    Every edge that carries gradient is evaluated, as in the scalar sweep, so a
    row with an infinite partial there is marked even if the gradient arriving is 0.
    Only the inputs' adjoints are tested: a contribution is ``g * partial``, and an
    infinity or nan there (inf * 0 is nan) reaches an input's adjoint by every path.
    """
    nodes = tape.nodes
    req = tape.requires_grad()
    cone = tape.cone([output])
    adj: list = [None] * len(nodes)
    adj[output] = np.ones(n)
    with np.errstate(all="ignore"):
        for i in range(output, -1, -1):
            node = nodes[i]
            if node.kind != OPERATION or not cone[i] or not req[i]:
                continue
            g = adj[i] if adj[i] is not None else np.zeros(n)
            rule = node.op.array
            args = [vals[a] for a in node.args]
            for j, a in enumerate(node.args):
                if req[a]:
                    contribution = rule.vjp(j, node.params, g, vals[i], args)
                    adj[a] = contribution if adj[a] is None else adj[a] + contribution
        total = np.zeros(n)
        for index in tape.inputs:
            if adj[index] is not None:
                total += adj[index]
        bad |= ~np.isfinite(total)
    return adj
