"""Every node's shape, from its operands' shapes, before any value is computed.

A program with arrays is checked when it is read: ``W @ x`` with W of shape
(2, 3) and x of shape (2,) stops there, with a caret under the ``@``, rather
than when numpy meets it.  Each op's ``array.shape`` rule says what fits
(core/array_rules.py); a scalar op broadcasts.  Only programs with arrays come here.
An op whose shape depends on its operands' values (``arange(N)``) reads them here, where they
are known (a constant's, an input's, arithmetic on such numbers), and indices known here are
checked here (core/indexing_rules.py).
"""

from __future__ import annotations

from gradcli.core.array_rules import ShapeError
from gradcli.core.indexing_rules import checked_shape
from gradcli.core.ops import INFIX
from gradcli.core.tape import CONST, OPERATION, Tape
from gradcli.core.values import operation_value, shape, shape_text
from gradcli.support.errors import ProgramError
from gradcli.support.limits import LimitError, count_elements, limit_text, over_limit, size_text


def node_shapes(tape: Tape, inputs: dict) -> list:
    """Each node's shape, in tape order; ``inputs`` maps input node indices to values.

    An input without a value has an unknown shape (None), and so has every node
    that reads it.  A ShapeError becomes a ProgramError at the node's place, and a
    result with more elements than the limit (support/limits.py) a LimitError there,
    before numpy is asked to allocate it.
    """
    shapes: list = [None] * len(tape.nodes)
    # Each number known before anything is computed: a constant, an input's value, arithmetic on them
    # (``arange(N - 1)`` reads it; indices known here are checked here).
    known: list = [None] * len(tape.nodes)
    for node in tape.nodes:
        i = node.index
        if node.kind == CONST:
            shapes[i] = shape(node.value)
            known[i] = node.value
        elif node.kind != OPERATION:
            value = known[i] = inputs.get(i, node.value)
            shapes[i] = None if value is None else shape(value)
        else:
            operands = [shapes[a] for a in node.args]
            if None in operands:
                continue
            op = node.op
            if op.name in ("amax", "amin") and not operands[0]:
                # max(x) of a number: most likely a max(a, b) with an argument missing
                raise ProgramError(f"{op.symbol} takes two or more numbers, or one array; "
                                   f"{tape.nodes[node.args[0]].label} is a number", node.line, node.column,
                                   tape.source_line(node.line), kind="arity")
            if op.scalar and not any(operands):
                shapes[i] = ()  # a scalar op on numbers: no rule to ask (and no numpy)
                known[i] = _folded(op, node.params, [known[a] for a in node.args])
                continue
            try:
                shapes[i] = tuple(checked_shape(op, node.params, operands, [known[a] for a in node.args]))
            except ShapeError as exc:
                raise shape_error(tape, i, exc) from None
            if over_limit(count_elements(shapes[i])):
                raise too_large(tape, i, shapes[i])
            if not any(operands):  # arange(5): a function of numbers, its values known (x[arange(5)] checked)
                known[i] = _folded(op, node.params, [known[a] for a in node.args])
    return shapes


def _folded(op, params: tuple, operands: list):
    """An op's value on numbers known before anything is computed (None if one is not, or it fails)."""
    if any(v is None for v in operands):
        return None
    try:
        return operation_value(op, params, operands)
    except (ArithmeticError, ValueError):
        return None


def too_large(tape: Tape, index: int, result_shape: tuple) -> LimitError:
    """``outer(x, z): the result would be (100000, 100000), 10,000,000,000 elements ...``, at the node."""
    error = shape_error(tape, index, f"the result would be {shape_text(result_shape)}, "
                                     f"{size_text(count_elements(result_shape))}; {limit_text()}")
    return LimitError(error.message, error.line, error.column, error.source)


def shape_error(tape: Tape, index: int, exc: Exception) -> ProgramError:
    """``W @ x: (2, 3) @ (2,): the inner sizes differ ...``, at the operator."""
    node = tape.nodes[index]
    op = node.op
    if op.style == INFIX:
        a, b = (tape.nodes[k].label for k in node.args)
        text = f"{a} {op.symbol} {b}"
    else:
        text = tape.definition(index)
    return ProgramError(f"{text}: {exc}", node.line, node.column, tape.source_line(node.line), kind="shape")
