"""The one place that lists a node's incoming edges with their local partials.

The checked reverse sweep, forward mode, the path graph, the backward steps and
the graph export all walk edges the same way: operand by operand (an operand
used twice, ``x*x``, is two edges), only the edges that carry gradient when a
``req`` mask is given, and with one policy for a partial that is infinite or
undefined: an error where it is needed (``strict``), or None for a view that
shows every edge.  The compiled scalar passes (scalar_plan.py: the reverse sweep and
the tangent pass) inline the same rule for speed and come here only to say where
something failed; the array sweeps use the ops' VJPs instead.
"""

from __future__ import annotations

import math
from typing import Iterator

from gradcli.core.failures import partial_error
from gradcli.core.tape import Tape


def local_partials(tape: Tape, vals: list, index: int, req: list[bool] | None = None,
                   strict: bool = True) -> Iterator[tuple[int, int, float | None]]:
    """``(j, operand, partial)`` for each edge into node ``index`` (those from ``req`` nodes, if given)."""
    node = tape.nodes[index]
    operands = [vals[a] for a in node.args]
    out = vals[index]
    for j, a in enumerate(node.args):
        if req is not None and not req[a]:
            continue
        if not strict:
            yield j, a, node.op.defined_partial(j, operands, out)
            continue
        try:
            local = node.op.partial(j, operands, out)
        except (ArithmeticError, ValueError):
            raise partial_error(tape, vals, index, j) from None
        if not math.isfinite(local):
            raise partial_error(tape, vals, index, j)
        yield j, a, local
