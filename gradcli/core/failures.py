"""The messages of a failed evaluation, naming the operation, its operands' values and its place.

Shared by the lowering (constant expressions), the forward pass and the sweeps.
"""

from __future__ import annotations

import math

from gradcli.core.indexing_rules import BadIndex
from gradcli.core.tape import CONST, Tape
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
    return EvaluationError(f"{text} {problem} (in {tape.definition(index)}, computing {where})"
                           + masked_branch(tape, vals, index, None, index),
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
                           f"({', '.join(labels)}; computing {node.name or node.label})"
                           + masked_branch(tape, vals, i, None, i),
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
        f"({formula}) is infinite or undefined" + masked_branch(tape, vals, index, j, len(tape.nodes)),
        node.line, node.column, tape.source_line(node.line), kind="derivative")


def masked_branch(tape: Tape, vals: list, index: int, j: int | None, known: int) -> str:
    """What to add when the failing node ``index`` feeds a branch that a ``where`` masks out here
    (the "NaN through where" question): where computes both branches, and its gradient reaches
    the masked one as 0, so 0 times the branch's infinite partial is nan.  The text names the
    path from the failing operand to the where, and the usual rewrite: a second where inside the
    branch, so that it stays defined where it is masked (``sqrt(where(x>0, x, 1))``).

    ``j``: the operand whose partial failed (None: the value failed); ``known``: the values below
    this index are computed (a forward pass stops at the failure).  "" when no where masks it.
    """
    nodes = tape.nodes
    parent = {index: None}
    for node in nodes[index + 1:]:
        hit = next((a for a in node.args if a in parent), None)
        if hit is None:
            continue
        parent[node.index] = hit
        if node.op is None or node.op.name != "where" or hit == node.args[0]:
            continue
        cond = node.args[0]
        if cond >= known and nodes[cond].op is not None:
            continue  # its condition is not computed yet
        side = 1 if hit == node.args[1] else 2
        masked = (vals[cond] == 0) if side == 1 else (vals[cond] != 0)
        if not bool(getattr(masked, "any", lambda: masked)()):
            continue
        path, k = [], node.index
        while k is not None:
            path.append(k)
            k = parent[k]
        failing = nodes[index]
        operand = j if j is not None else next((k for k, a in enumerate(failing.args) if nodes[a].kind != CONST), 0)
        path.append(failing.args[operand])
        route = " → ".join(nodes[k].name or nodes[k].label for k in reversed(path))
        what = ("its gradient still flows into the masked branch, as 0, and 0 times an infinite partial is nan"
                if j is not None else "both branches are computed, and the masked one's nan would reach the "
                "gradient as 0 times nan")
        return (f"; {node.name or node.label} = {tape.definition(node.index)} masks this branch out here, but {what} (path {route}); "
                f"keep the branch defined where it is masked: write {_rewrite(tape, vals, index, operand, cond, side)}")
    return ""


def _rewrite(tape: Tape, vals: list, index: int, j: int, cond: int, side: int) -> str:
    """The failing node with its operand j guarded by a second where on the same condition."""
    node = tape.nodes[index]
    c = tape.nodes[cond]
    cond_text = c.name or c.label if (c.name or c.op is None) else tape.definition(cond)
    labels = [tape.nodes[a].label for a in node.args]
    safe = _safe_value(node.op, j, [vals[a] for a in node.args])
    guarded = (labels[j], safe) if side == 1 else (safe, labels[j])
    labels[j] = f"where({cond_text}, {guarded[0]}, {guarded[1]})"
    return node.op.render(labels, node.params)


def _safe_value(op, j: int, operands: list) -> str:
    """A value for operand j at which the op and its partial are finite (1 for sqrt, log and 1/x)."""
    if op.scalar and all(isinstance(v, float) for k, v in enumerate(operands) if k != j):
        for candidate in (1.0, 2.0, 0.5):
            args = [candidate if k == j else v for k, v in enumerate(operands)]
            try:
                out = op.forward(*args)
                if math.isfinite(out) and math.isfinite(op.partial(j, args, out)):
                    return f"{candidate:g}"
            except (ArithmeticError, ValueError):
                continue
    return "1"


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
