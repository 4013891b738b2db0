"""Every node's shape, from its operands' shapes, before any value is computed.

A program with arrays is checked when it is read: ``W @ x`` with W of shape
(2, 3) and x of shape (2,) stops there, with a caret under the ``@``, rather
than when numpy meets it.  Each op's ``array.shape`` rule says what fits
(core/arrays.py); a scalar op broadcasts.  Only programs with arrays come here.
"""

from __future__ import annotations

from gradcli.core.arrays import ShapeError
from gradcli.core.ops import INFIX
from gradcli.core.tape import CONST, OPERATION, Tape
from gradcli.core.values import shape
from gradcli.support.errors import ProgramError


def node_shapes(tape: Tape, inputs: dict) -> list:
    """Each node's shape, in tape order; ``inputs`` maps input node indices to values.

    An input without a value has an unknown shape (None), and so has every node
    that reads it.  A ShapeError becomes a ProgramError at the node's place.
    """
    shapes: list = [None] * len(tape.nodes)
    for node in tape.nodes:
        i = node.index
        if node.kind == CONST:
            shapes[i] = shape(node.value)
        elif node.kind != OPERATION:
            value = inputs.get(i, node.value)
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
                continue
            try:
                shapes[i] = tuple(op.array.shape(node.params, *operands))
            except ShapeError as exc:
                raise shape_error(tape, i, exc) from None
    return shapes


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
