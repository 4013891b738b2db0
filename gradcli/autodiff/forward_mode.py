"""Forward mode: tangents pushed through the tape from one input, one pass per input.

A node's tangent is d(node)/d(seed input), the sum over its operands of
``op.partial(j, operands, out) * tangent(operand_j)``.  The local partials come
from the same operator table as the reverse sweep, so there is no second set
of rules: forward and reverse mode differ only in the order the same products
are summed.  One pass gives one column of the Jacobian (every output's
derivative with respect to the seed), so a gradient of n inputs takes n passes.

Only nodes the requested outputs depend on are visited (``needed``), so a
statement the output does not use cannot stop the pass with an error that the
reverse sweep would never meet.  The passes are the plan's (``Plan.tangents``:
the compiled scalar loop, ``scalar_plan.tangent_column``, or the array JVPs).
"""

from __future__ import annotations

from gradcli.autodiff.gradient import Gradient
from gradcli.autodiff.problem import Problem, require_scalar_output
from gradcli.autodiff.sweeps import Plan
from gradcli.core.values import Zero, dense, is_array, shape


def forward_gradient(problem: Problem) -> Gradient:
    """The output's gradient by forward mode: one tangent pass per input element in ``problem.wrt``.

    The result's adjoint list holds d(output)/d(input) for the inputs in ``wrt``
    (``values.Zero`` for an input the output does not read: no pass); forward mode
    does not compute the adjoints of intermediates, so those entries are None.  An
    array input takes one pass per element (a one-hot tangent), each giving one
    element of its gradient, so the passes are the total number of input elements.
    """
    tape = problem.tape
    plan = Plan.of(problem)
    values = plan.values(problem.input_values())
    if plan.arrays:
        require_scalar_output(problem, values)
    out = problem.output_index
    needed = tape.cone([out])
    adjoints: list = [None] * len(tape.nodes)
    passes = 0
    for name in problem.wrt:
        seed = tape.names[name]
        value = values[seed]
        if not needed[seed]:
            adjoints[seed] = Zero(shape(value))
        elif not is_array(value):
            adjoints[seed] = plan.tangents(values, {seed: 1.0}, needed)[out]
            passes += 1
        else:
            adjoints[seed] = _element_passes(plan, values, seed, out, needed)
            passes += value.size
    return Gradient(problem, values, adjoints, mode="forward", passes=passes)


def _element_passes(plan, values: list, seed: int, out: int, needed: list[bool]):
    """An array input's gradient, one element per pass: a one-hot tangent on element k gives element k."""
    from gradcli.core.values import np

    value = values[seed]
    grad = np.zeros(value.shape)
    flat = grad.reshape(-1)
    for k in range(value.size):
        one_hot = np.zeros(value.size)
        one_hot[k] = 1.0
        flat[k] = dense(plan.tangents(values, {seed: one_hot.reshape(value.shape)}, needed)[out])
    return grad
