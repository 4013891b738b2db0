"""Forward mode: tangents pushed through the tape from one input, one pass per input.

A node's tangent is d(node)/d(seed input), the sum over its operands of
``op.partial(j, operands, out) * tangent(operand_j)``.  The local partials come
from the same operator table as the reverse sweep, so there is no second set
of rules: forward and reverse mode differ only in the order the same products
are summed.  One pass gives one column of the Jacobian (every output's
derivative with respect to the seed), so a gradient of n inputs takes n passes.

Only nodes the requested outputs depend on are visited (``needed``), so a
statement the output does not use cannot stop the pass with an error that the
reverse sweep would never meet.
"""

from __future__ import annotations

import math

from gradcli.autodiff.engine import forward, plan_tangents
from gradcli.core.edges import local_partials
from gradcli.core.failures import tangent_overflow
from gradcli.core.tape import OPERATION, Tape
from gradcli.autodiff.problem import Gradient, Problem


def tangents(tape: Tape, values: list[float], seed_index: int,
             needed: list[bool] | None = None) -> list[float]:
    """Every node's derivative with respect to the node ``seed_index`` (tangent 1), in one pass.

    ``needed`` limits the pass to the nodes it flags (others keep tangent 0).  A
    local partial that is infinite or undefined on an edge that carries
    gradient raises ``EvaluationError``, whatever the tangent it multiplies,
    exactly where the reverse sweep stops (see engine's docstring).  The pass
    runs over the engine's compiled plan; only when it sees something that is not
    finite does ``checked_tangents`` run, to say where.
    """
    tan = plan_tangents(tape, values, seed_index, needed)
    return checked_tangents(tape, values, seed_index, needed) if tan is None else tan


def checked_tangents(tape: Tape, values: list[float], seed_index: int,
                     needed: list[bool] | None = None) -> list[float]:
    """The tangent pass edge by edge (``core/edges``): raises at the first bad partial."""
    nodes = tape.nodes
    req = tape.requires_grad()
    tan = [0.0] * len(nodes)
    tan[seed_index] = 1.0
    for node in nodes[seed_index + 1:]:
        i = node.index
        if node.kind != OPERATION or not req[i] or (needed is not None and not needed[i]):
            continue
        tan[i] = sum(local * tan[a] for _, a, local in local_partials(tape, values, i, req))
        if not math.isfinite(tan[i]):
            raise tangent_overflow(tape, values, seed_index, i)
    return tan


def forward_gradient(problem: Problem) -> Gradient:
    """The output's gradient by forward mode: one tangent pass per input in ``problem.wrt``.

    The result's adjoint list holds d(output)/d(input) for the inputs in
    ``wrt``; forward mode does not compute the adjoints of intermediates, so
    those entries are ``nan``.  ``extra["tangents"]`` keeps each pass's column.
    """
    if problem.arrays:
        return _array_forward_gradient(problem)
    tape = problem.tape
    values = forward(tape, problem.input_values())
    out = problem.output_index
    needed = tape.cone([out])
    adjoints = [math.nan] * len(tape.nodes)
    columns = {}
    for name in problem.wrt:
        seed = tape.names[name]
        if not needed[seed]:
            adjoints[seed] = 0.0  # the output does not read it: no pass
            continue
        column = tangents(tape, values, seed, needed)
        adjoints[seed] = column[out]
        columns[name] = column
    return Gradient(problem, values, adjoints, mode="forward", passes=len(columns),
                    extra={"tangents": columns})


def _array_forward_gradient(problem: Problem) -> Gradient:
    """Forward mode on arrays: one tangent pass per input element (a one-hot tangent), so the
    passes are the total number of input elements; each pass gives one element of the gradient."""
    from gradcli.autodiff import array_sweeps
    from gradcli.autodiff.problem import require_scalar_output
    from gradcli.core.values import is_array, np, shape

    tape = problem.tape
    values = array_sweeps.forward(tape, problem.input_values())
    require_scalar_output(problem, values)
    out = problem.output_index
    needed = tape.cone([out])
    adjoints: list = [math.nan] * len(tape.nodes)
    passes = 0
    for name in problem.wrt:
        seed = tape.names[name]
        value = values[seed]
        if not needed[seed]:  # the output does not read it: 0, and no pass
            adjoints[seed] = np.zeros(shape(value)) if is_array(value) else 0.0
            continue
        if not is_array(value):
            t = array_sweeps.tangents(tape, values, {seed: 1.0}, needed)[out]
            adjoints[seed] = 0.0 if t is None else float(t)
            passes += 1
            continue
        grad = np.zeros(shape(value))
        flat = grad.reshape(-1)
        for k in range(value.size):
            one_hot = np.zeros(value.size)
            one_hot[k] = 1.0
            t = array_sweeps.tangents(tape, values, {seed: one_hot.reshape(value.shape)}, needed)[out]
            flat[k] = 0.0 if t is None else float(t)
        adjoints[seed] = grad
        passes += value.size
    return Gradient(problem, values, adjoints, mode="forward", passes=passes)
