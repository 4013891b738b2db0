"""The messages of a failed evaluation, naming the operation, its operands' values and its place.

Shared by the lowering (constant expressions), the forward pass and the sweeps.
"""

from __future__ import annotations

import math

from gradcli.core.tape import Tape
from gradcli.support.errors import EvaluationError
from gradcli.core.values import brief, shape


def operands_text(tape: Tape, vals: list[float], index: int) -> str:
    """``1e+200*1e+200``: the operation over its operands' values."""
    node = tape.nodes[index]
    return node.op.render([brief(vals[a]) for a in node.args], node.params)


def value_error(tape: Tape, vals: list[float], index: int, exc: Exception | None) -> EvaluationError:
    """The operation at ``index`` failed (``exc``) or gave a value that is not finite (``exc`` None)."""
    node = tape.nodes[index]
    text = operands_text(tape, vals, index)
    if isinstance(exc, ZeroDivisionError):
        problem = "divides by zero"
    elif exc is None and math.isnan(vals[index]):
        problem = "is not a number (nan)"
    elif exc is None or isinstance(exc, OverflowError):
        problem = "overflows"
    else:
        problem = "is undefined"
    where = node.name or node.label
    return EvaluationError(f"{text} {problem} (in {tape.definition(index)}, computing {where})",
                           node.line, node.column, tape.source_line(node.line), kind="domain")


def gradient_overflow(tape: Tape, vals: list[float], output: int, index: int, operand: int) -> EvaluationError:
    nodes = tape.nodes
    node = nodes[index]
    return EvaluationError(
        f"the gradient d{nodes[output].label}/d{nodes[operand].label} overflows going back through "
        f"{operands_text(tape, vals, index)} (in {tape.definition(index)}, computing {node.name or node.label})",
        node.line, node.column, tape.source_line(node.line), kind="derivative")


def partial_error(tape: Tape, vals: list[float], index: int, j: int) -> EvaluationError:
    """The local partial of the node at ``index`` with respect to operand ``j`` is infinite or undefined."""
    node = tape.nodes[index]
    operand = tape.nodes[node.args[j]].label
    labels = [tape.nodes[a].label for a in node.args]
    formula = (node.op.formula(j, labels, node.label) if node.op.scalar
               else node.op.tensor_formula(j, labels, node.label, f"d{node.label}", node.params,
                                           [shape(vals[a]) for a in node.args]))
    return EvaluationError(
        f"the derivative of {operands_text(tape, vals, index)} with respect to {operand} "
        f"({formula}) is infinite or undefined",
        node.line, node.column, tape.source_line(node.line), kind="derivative")
