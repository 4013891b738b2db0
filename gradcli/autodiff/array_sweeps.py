"""The sweeps for a program with arrays: the forward pass, the reverse sweep of VJPs, tangent passes.

A program with no arrays never comes here: it keeps the compiled scalar plan
(engine.py), its speed and its start-up.  Here every node's value is a float
or a numpy array (values.py), and each edge's rule comes from the op table:

* forward: ``op.array.forward`` (a scalar op on floats keeps its scalar
  function, so a scalar part of an array program gives the same doubles);
* reverse: the gradient arriving at a node, ``g``, goes to operand j as
  ``op.array.vjp(j, ...)``, summed back to the operand's shape in one place
  (``values.unbroadcast``); a node nothing reached holds the symbolic zero None;
* tangents: ``op.array.jvp`` pushes a tangent forward (forward mode).

Which edges carry gradient is decided by the graph, as in the scalar engine:
an infinite or undefined rule on such an edge stops with the same errors,
whatever the gradient arriving.  No n x n Jacobian is ever built: an
elementwise op's VJP is ``g * partial``.
"""

from __future__ import annotations

from gradcli.core.failures import element_error, partial_error, value_error
from gradcli.core.tape import CONST, OPERATION, Tape
from gradcli.core.values import add, all_finite, is_array, np, settle, shape, unbroadcast, zeros


def _scalar_call(op, args) -> bool:
    return op.scalar and not any(is_array(a) for a in args)


def initial_values(tape: Tape, inputs: dict) -> list:
    """The values known before a forward pass: the constants' and the inputs' (0.0 elsewhere)."""
    vals: list = [node.value if node.kind == CONST else 0.0 for node in tape.nodes]
    for index, value in inputs.items():
        vals[index] = value
    return vals


def forward(tape: Tape, inputs: dict) -> list:
    """Every node's value (floats and arrays), given each input node's value by index."""
    nodes = tape.nodes
    vals = initial_values(tape, inputs)
    with np.errstate(all="ignore"):
        for node in nodes:
            if node.kind != OPERATION:
                continue
            i, op = node.index, node.op
            args = [vals[a] for a in node.args]
            try:
                vals[i] = op.forward(*args) if _scalar_call(op, args) else settle(op.array.forward(node.params, *args))
            except (ArithmeticError, ValueError) as exc:
                raise value_error(tape, vals, i, exc) from None
            if not all_finite(vals[i]):
                raise element_error(tape, vals, i)
    return vals


def reverse(tape: Tape, vals: list, output: int, seed=None) -> list:
    """Every node's adjoint d(output . seed)/d(node): an array of the node's shape, or None (zero).

    ``seed`` is the gradient put on the output (1 for a scalar output; a one-hot
    array picks one element of an array output, as the Jacobian's rows do).
    """
    nodes = tape.nodes
    req = tape.requires_grad()
    cone = tape.cone([output])
    adj: list = [None] * len(nodes)
    adj[output] = 1.0 if seed is None else seed
    with np.errstate(all="ignore"):
        for i in range(output, -1, -1):
            node = nodes[i]
            g = adj[i]
            if node.kind != OPERATION or not cone[i] or not req[i] or g is None:
                continue
            for j, a in enumerate(node.args):
                if not req[a]:
                    continue
                try:
                    contribution = edge_vjp(node, j, g, vals)
                except (ArithmeticError, ValueError):
                    raise partial_error(tape, vals, i, j) from None
                if not all_finite(contribution):
                    raise partial_error(tape, vals, i, j)
                adj[a] = add(adj[a], contribution)
    return adj


def edge_vjp(node, j: int, g, vals: list):
    """What the gradient ``g`` at ``node`` hands operand ``j``, in that operand's shape.

    The one rule for an edge of an array program, used by the reverse sweep, the
    backward steps and the path contributions: a scalar op on numbers multiplies by
    its scalar partial (the same doubles as the scalar engine); anything else takes
    the op's VJP, summed back to the operand's shape (``values.unbroadcast``).
    """
    args = [vals[a] for a in node.args]
    if _scalar_call(node.op, args) and not is_array(g):
        return g * node.op.partial(j, args, vals[node.index])
    return unbroadcast(node.op.array.vjp(j, node.params, g, vals[node.index], args), shape(vals[node.args[j]]))


def tangents(tape: Tape, vals: list, seeds: dict, needed: list[bool] | None = None) -> list:
    """Every node's tangent, given the tangents of some inputs (forward mode; None is zero).

    Every edge that carries gradient is evaluated, with a zero tangent where
    nothing arrives yet, so that forward mode stops where the reverse sweep does.
    """
    nodes = tape.nodes
    req = tape.requires_grad()
    tan: list = [None] * len(nodes)
    for index, t in seeds.items():
        tan[index] = t
    with np.errstate(all="ignore"):
        for node in nodes:
            i = node.index
            if node.kind != OPERATION or not req[i] or (needed is not None and not needed[i]):
                continue
            op = node.op
            args = [vals[a] for a in node.args]
            incoming = [(tan[a] if tan[a] is not None else zeros(shape(vals[a]))) if req[a] else None
                        for a in node.args]
            j = 0
            try:
                if _scalar_call(op, args) and not any(is_array(t) for t in incoming if t is not None):
                    total = 0.0
                    for j, t in enumerate(incoming):
                        if t is not None:
                            total += op.partial(j, args, vals[i]) * t
                    t_out = total
                else:
                    t_out = settle(op.array.jvp(node.params, incoming, vals[i], *args))
            except (ArithmeticError, ValueError):
                raise partial_error(tape, vals, i, j) from None
            if t_out is not None and not all_finite(t_out):
                bad = next((k for k, a in enumerate(node.args) if req[a]), 0)
                raise partial_error(tape, vals, i, bad)
            tan[i] = t_out
    return tan
