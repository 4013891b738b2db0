"""The one node evaluator: the loop that fills a tape's values, one operation at a time.

Lowering folds constant expressions with it, the array forward pass runs it,
and so does the pass over data rows: one place decides which rule computes a
node (``values.operation_value``: the op's scalar function on numbers, the same
doubles as the compiled scalar plan; its numpy rule otherwise) and what a bad
value is.  The compiled
scalar plan (autodiff/scalar_plan.py) keeps its own loop: it is the fast path
for programs with no arrays, and calls the same ``op.forward`` functions.
"""

from __future__ import annotations

from gradcli.core.batch_rules import Unbatched
from gradcli.core.failures import element_error, value_error
from gradcli.core.tape import CONST, OPERATION, Tape
from gradcli.core.values import all_finite, numpy_quiet, operation_value


def _initial_values(tape: Tape, inputs: dict) -> list:
    """The values known before a forward pass: the constants' and the inputs' (0.0 elsewhere)."""
    vals: list = [node.value if node.kind == CONST else 0.0 for node in tape.nodes]
    for index, value in inputs.items():
        vals[index] = value
    return vals


def tape_values(tape: Tape, inputs: dict, numpy: bool = True, rows: bool = False, batched: list | None = None) -> list:
    """Every node's value, given each input node's value by index.

    An operation that fails, or gives a value that is not finite, raises an
    EvaluationError naming it (the first such element, for an array).  With
    ``rows`` nothing raises: a bad row is left to its non-finite elements, for the
    caller to mask.  ``batched`` (with ``rows``: one flag per node, set for the inputs
    that carry a leading batch axis) is filled in for the operations: a node is
    batched when an operand is, and its value is then its op's batching rule's
    (``Op.batch``, core/batch_rules.py; ``Unbatched`` when it has none that fits).
    ``numpy`` False (a constant expression of numbers) never
    imports numpy; otherwise numpy's warnings are silenced, the values tested instead.
    """
    vals = _initial_values(tape, inputs)
    with numpy_quiet(numpy or rows):
        for node in tape.nodes:
            if node.kind != OPERATION:
                continue
            i = node.index
            args = [vals[a] for a in node.args]
            if rows:
                flags = [batched[a] for a in node.args] if batched is not None else ()
                if True in flags:
                    if node.op.batch is None:
                        raise Unbatched
                    batched[i] = True
                    vals[i] = node.op.batch.forward(node.params, args, flags)
                else:
                    vals[i] = operation_value(node.op, node.params, args, True)
                continue
            try:
                vals[i] = operation_value(node.op, node.params, args)
            except (ArithmeticError, ValueError) as exc:
                raise value_error(tape, vals, i, exc) from None
            if not all_finite(vals[i]):
                raise element_error(tape, vals, i)
    return vals
