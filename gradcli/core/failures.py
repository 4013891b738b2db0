"""The messages of a failed evaluation, naming the operation, its operands' values and its place.

Shared by the lowering (constant expressions), the forward pass and the sweeps.
"""

from __future__ import annotations

import math

from gradcli.core.indexing_rules import BadIndex
from gradcli.core.tape import Tape
from gradcli.support.errors import EvaluationError
from gradcli.core.values import brief, first_not_finite, shape


def operands_text(tape: Tape, vals: list[float], index: int) -> str:
    """``1e+200*1e+200``: the operation over its operands' values."""
    node = tape.nodes[index]
    return node.op.render([brief(vals[a]) for a in node.args], node.params)


def value_error(tape: Tape, vals: list[float], index: int, exc: Exception | None) -> EvaluationError:
    """The operation at ``index`` failed (``exc``) or gave a value that is not finite (``exc`` None)."""
    node = tape.nodes[index]
    where = node.name or node.label
    if isinstance(exc, BadIndex):  # it says which index is wrong: x[y]: an index 5 ... is out of range
        return EvaluationError(f"{tape.definition(index)}: {exc} (computing {where})", node.line, node.column,
                               tape.source_line(node.line), kind="index")
    text = operands_text(tape, vals, index)
    if isinstance(exc, ZeroDivisionError):
        problem = "divides by zero"
    elif exc is None and math.isnan(vals[index]):
        problem = "is not a number (nan)"
    elif exc is None or isinstance(exc, OverflowError):
        problem = "overflows"
    else:
        problem = "is undefined"
    return EvaluationError(f"{text} {problem} (in {tape.definition(index)}, computing {where})",
                           node.line, node.column, tape.source_line(node.line), kind="domain")


def element_error(tape: Tape, vals: list, i: int) -> EvaluationError:
    """An array value that is not finite: name the operation and the first bad element.

    The words are the scalar form's (``value_error``): the op's scalar function is
    run on the bad element's operands, so ``1/x`` with a zero element "divides by
    zero" as ``1/0`` does, and ``log`` of 0 "is undefined".
    """
    where = first_not_finite(vals[i])
    if not where:
        return value_error(tape, vals, i, None)
    node = tape.nodes[i]
    out_shape = vals[i].shape
    labels, operands = [], []
    for a in node.args:
        v = vals[a]
        label = tape.nodes[a].label
        if shape(v) == out_shape:  # an operand of the result's shape: its element is shown
            label += f"[{','.join(str(k) for k in where)}] = {float(v[where]):g}"
        labels.append(label)
        operands.append(_element_of(v, out_shape, where))
    bad = float(vals[i][where])
    problem = _scalar_problem(node.op, operands) or ("is not a number (nan)" if bad != bad else "overflows")
    return EvaluationError(f"{tape.definition(i)} {problem} at element [{','.join(str(k) for k in where)}] "
                           f"({', '.join(labels)}; computing {node.name or node.label})",
                           node.line, node.column, tape.source_line(node.line), kind="domain")


def _element_of(v, out_shape: tuple, where: tuple):
    """The operand element that meets the result's element ``where`` (broadcasting undone); None if the
    operand is not broadcast elementwise (an op that is not elementwise); a number meets every element."""
    from gradcli.core.values import np

    try:
        return float(np.broadcast_to(v, out_shape)[where])
    except ValueError:
        return None


def _scalar_problem(op, operands: list) -> str | None:
    """What the scalar op says of these operands: the words of ``value_error``; None when it cannot tell."""
    if not op.scalar or any(x is None for x in operands):
        return None
    try:
        out = op.forward(*operands)
    except ZeroDivisionError:
        return "divides by zero"
    except OverflowError:
        return "overflows"
    except (ArithmeticError, ValueError):
        return "is undefined"
    if out != out:
        return "is not a number (nan)"
    return None if math.isfinite(out) else "overflows"


def gradient_overflow(tape: Tape, vals: list[float], output: int, index: int, operand: int) -> EvaluationError:
    nodes = tape.nodes
    return _overflow(tape, vals, index, f"gradient d{nodes[output].label}/d{nodes[operand].label}", "back")


def partial_error(tape: Tape, vals: list[float], index: int, j: int) -> EvaluationError:
    """The local partial of the node at ``index`` with respect to operand ``j`` is infinite or undefined."""
    from gradcli.core.formulas import partial_formula, tensor_formula  # simplifying is paid for only here

    node = tape.nodes[index]
    operand = tape.nodes[node.args[j]].label
    labels = [tape.nodes[a].label for a in node.args]
    formula = (partial_formula(node.op, j, labels, node.label) if node.op.scalar
               else tensor_formula(node.op, j, labels, node.label, f"{tape.adjoint_prefix()}{node.label}", node.params,
                                   [shape(vals[a]) for a in node.args]))
    return EvaluationError(
        f"the derivative of {operands_text(tape, vals, index)} with respect to {operand} "
        f"({formula}) is infinite or undefined",
        node.line, node.column, tape.source_line(node.line), kind="derivative")


def tangent_overflow(tape: Tape, vals: list[float], seed: int, index: int) -> EvaluationError:
    """Forward mode's counterpart of ``gradient_overflow``: the tangent at ``index`` is not finite."""
    nodes = tape.nodes
    return _overflow(tape, vals, index, f"derivative d{nodes[index].label}/d{nodes[seed].label}", "forward")


def _overflow(tape: Tape, vals: list[float], index: int, what: str, direction: str) -> EvaluationError:
    node = tape.nodes[index]
    return EvaluationError(
        f"the {what} overflows going {direction} through {operands_text(tape, vals, index)} "
        f"(in {tape.definition(index)}, computing {node.name or node.label})",
        node.line, node.column, tape.source_line(node.line), kind="derivative")
