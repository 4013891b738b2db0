"""The forward pass and the reverse sweep over a tape: loops, no recursion.

Both read the operator table only: ``op.forward`` for values, ``op.partials``
for the local partial on each edge.  A node's adjoint is the sum of
upstream x local over every edge leaving it, so a node used twice (``x*x``)
receives both contributions.

Values are IEEE doubles.  An operation that is undefined at its operands, or
whose result is not finite, stops evaluation with an ``EvaluationError`` naming
the operation and its place in the text; so does an infinite or undefined
local partial on an edge that carries gradient.
"""

from __future__ import annotations

import math

from .errors import EvaluationError
from .graph import CONST, INPUT, OPERATION, Tape
from .numbers import short

_isfinite = math.isfinite


def forward(tape: Tape, inputs: dict[int, float]) -> list[float]:
    """Every node's value, given each input node's value by index."""
    nodes = tape.nodes
    vals = [0.0] * len(nodes)
    i = -1
    try:
        for node in nodes:
            i = node.index
            kind = node.kind
            if kind == OPERATION:
                v = node.op.forward(*[vals[a] for a in node.args])
                if not _isfinite(v):
                    raise OverflowError
                vals[i] = v
            elif kind == INPUT:
                vals[i] = inputs[i]
            else:
                vals[i] = node.value
    except (ArithmeticError, ValueError) as exc:
        raise _value_error(tape, vals, i, exc) from None
    return vals


def reverse(tape: Tape, vals: list[float], output: int, req: list[bool] | None = None) -> list[float]:
    """Every node's adjoint d(output)/d(node), by one sweep over the reversed tape."""
    nodes = tape.nodes
    if req is None:
        req = tape.requires_grad()
    adj = [0.0] * len(nodes)
    adj[output] = 1.0
    i = j = -1
    try:
        for i in range(output, -1, -1):
            g = adj[i]
            node = nodes[i]
            if g == 0.0 or node.kind != OPERATION:
                continue
            args = node.args
            operands = [vals[a] for a in args]
            out = vals[i]
            op = node.op
            for j, a in enumerate(args):
                if req[a]:
                    local = op.partial(j, operands, out)
                    if not _isfinite(local):
                        raise ValueError
                    adj[a] += g * local
    except (ArithmeticError, ValueError):
        raise _partial_error(tape, vals, i, j) from None
    return adj


def _operands_text(tape: Tape, vals: list[float], index: int) -> str:
    node = tape.nodes[index]
    shown = [short(vals[a]) for a in node.args]
    if node.op.style != "call":
        shown = [f"({s})" if s.startswith("-") else s for s in shown]
    return node.op.render(shown)


def _value_error(tape: Tape, vals: list[float], index: int, exc: Exception) -> EvaluationError:
    node = tape.nodes[index]
    text = _operands_text(tape, vals, index)
    if isinstance(exc, ZeroDivisionError):
        problem = "divides by zero"
    elif isinstance(exc, OverflowError):
        problem = "overflows" if not _nan_result(node, vals) else "is not a number (nan)"
    else:
        problem = "is undefined"
    where = node.name or node.label
    return EvaluationError(f"{text} {problem} (in {tape.definition(index)}, computing {where})",
                           node.line, node.column, tape.source_line(node.line), kind="domain")


def _nan_result(node, vals) -> bool:
    try:
        return math.isnan(node.op.forward(*[vals[a] for a in node.args]))
    except (ArithmeticError, ValueError):
        return False


def _partial_error(tape: Tape, vals: list[float], index: int, j: int) -> EvaluationError:
    node = tape.nodes[index]
    operand = tape.nodes[node.args[j]].label
    formula = node.op.formula(j, [tape.nodes[a].label for a in node.args], node.label)
    return EvaluationError(
        f"the derivative of {_operands_text(tape, vals, index)} with respect to {operand} "
        f"({formula}) is infinite or undefined",
        node.line, node.column, tape.source_line(node.line), kind="derivative")


__all__ = ["forward", "reverse", "CONST", "INPUT", "OPERATION"]
