"""The forward pass and the reverse sweep over a tape: loops, no recursion.

Both read the operator table only: ``op.forward`` for values, ``op.partials``
for the local partial on each edge.  A node's adjoint is the sum of
upstream x local over every edge leaving it, so a node used twice (``x*x``)
receives both contributions.

Values are IEEE doubles.  An operation that is undefined at its operands,
whose result is not finite, or whose result underflows to zero (0.0 from an op
the table marks ``never_zero``, with no zero operand) stops evaluation with an
``EvaluationError`` naming the operation and its place in the text; so does an
infinite or undefined local partial on an edge that carries gradient, and a
gradient that overflows on its way back.
"""

from __future__ import annotations

import math

from .errors import EvaluationError
from .graph import CONST, INPUT, OPERATION, Tape
from .numbers import short

_isfinite = math.isfinite


class _Underflow(ArithmeticError):
    """A nonzero result rounded to 0.0."""


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
                op = node.op
                operands = [vals[a] for a in node.args]
                v = op.forward(*operands)
                if not _isfinite(v):
                    raise OverflowError
                if v == 0.0 and op.never_zero and 0.0 not in operands:
                    raise _Underflow
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
    if not all(map(_isfinite, adj)):
        raise _gradient_overflow(tape, vals, output, req)
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
    elif isinstance(exc, _Underflow):
        problem = "underflows to 0"
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


def _gradient_overflow(tape: Tape, vals: list[float], output: int, req: list[bool]) -> EvaluationError:
    """Replay the sweep edge by edge (only after it failed) to find where a gradient stopped being finite."""
    nodes = tape.nodes
    adj = [0.0] * len(nodes)
    adj[output] = 1.0
    out_label = nodes[output].label
    for i in range(output, -1, -1):
        node = nodes[i]
        if adj[i] == 0.0 or node.kind != OPERATION:
            continue
        operands = [vals[a] for a in node.args]
        for j, a in enumerate(node.args):
            if req[a]:
                adj[a] += adj[i] * node.op.partial(j, operands, vals[i])
                if not _isfinite(adj[a]):
                    return EvaluationError(
                        f"the gradient d{out_label}/d{nodes[a].label} overflows going back through "
                        f"{_operands_text(tape, vals, i)} (in {tape.definition(i)}, computing "
                        f"{node.name or node.label})",
                        node.line, node.column, tape.source_line(node.line), kind="derivative")
    return EvaluationError(f"a gradient of {out_label} is infinite or undefined", kind="derivative")


__all__ = ["forward", "reverse", "CONST", "INPUT", "OPERATION"]
