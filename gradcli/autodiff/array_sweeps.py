"""The sweeps for a program with arrays, or over data rows: the forward pass, the reverse sweep of VJPs, tangents.

A program with no arrays never comes here: it keeps the compiled scalar plan
(scalar_plan.py), its speed and its start-up.  Here every node's value is a float
or a numpy array (values.py), and each edge's rule comes from the op table:

* forward: the node evaluator (``core/evaluator.py``: a scalar op on floats
  keeps its scalar function, so a scalar part of an array program gives the
  same doubles);
* reverse: the gradient arriving at a node, ``g``, goes to operand j as
  ``op.array.vjp(j, ...)``, summed back to the operand's shape in one place
  (``values.unbroadcast``); a node nothing reached holds None here, and the
  plan (``sweeps.py``) hands callers the symbolic ``Zero``;
* tangents: ``op.array.jvp`` pushes a tangent forward (forward mode).

Data rows (``row_values``, ``array_adjoints(..., bad=)``) are a batch axis: for a
program of scalar ops, binding each input to the array of its rows makes one
forward pass compute every row and one reverse sweep every row's gradient,
never summed over rows; a bad row is masked instead of raising.

Which edges carry gradient is decided by the graph, as in the scalar engine:
an infinite or undefined rule on such an edge stops with the same errors,
whatever the gradient arriving.  No n x n Jacobian is ever built: an
elementwise op's VJP is ``g * partial``.
"""

from __future__ import annotations

from gradcli.autodiff import array_plan
from gradcli.autodiff.array_plan import accumulate, vanishing_checks
from gradcli.core.batch_rules import Unbatched
from gradcli.core.evaluator import tape_values
from gradcli.core.failures import partial_error
from gradcli.core.tape import OPERATION, Tape
from gradcli.core.values import all_finite, is_array, np, settle, shape, unbroadcast, zeros


def _scalar_call(op, args) -> bool:
    return op.scalar and not any(is_array(a) for a in args)


def array_values(tape: Tape, inputs: dict) -> list:
    """Every node's value (floats and arrays), given each input node's value by index: the one node
    evaluator (``core/evaluator.py``), raising at the first operation that fails; a tape swept
    again with inputs of the same kinds runs compiled (``array_plan.py``)."""
    return array_plan.array_values(tape, inputs)


def batchable(tape: Tape, batched_inputs) -> bool:
    """True when rows can be a batch axis: every operation that a batched input reaches has a batching
    rule (``Op.batch``).  A rule may still refuse the operands' shapes (``Unbatched``) when it runs."""
    batched = [False] * len(tape.nodes)
    for index in batched_inputs:
        batched[index] = True
    for node in tape.nodes:
        if node.kind == OPERATION and any(batched[a] for a in node.args):
            if node.op.batch is None:
                return False
            batched[node.index] = True
    return True


class RowValues(list):
    """Every node's value over data rows (``row_values``), with which carry the batch axis (``batched``)
    and whether the reverse sweep sums the rows' gradients of the inputs without it (``total``)."""

    __slots__ = ("batched", "total", "n")


def row_values(tape: Tape, inputs: dict, n: int, batched=None, total: bool = False):
    """Every node's value over ``n`` rows, and the rows that are bad: where any node's value is not finite.

    ``batched``: the input nodes whose values hold one row each along a leading axis
    (by default every input whose value is an array: columns of numbers).  Without
    ``total``, the reverse sweep gives every input one gradient per row, so an input
    that requires a gradient gets the batch axis here too (a broadcast view, no copy);
    with it, an input without the batch axis keeps one value, and its gradient is the
    sum over the rows.  Raises ``Unbatched`` when an op has no batching rule that fits.

    Nothing else raises: the node evaluator runs every op's numpy rule with numpy's errors
    ignored, and a bad row is masked, for the caller to re-run alone through the ordinary
    sweeps, which say exactly what went wrong.  Only the nodes an infinity could vanish
    from are tested (``array_plan.vanishing_checks``); their values are summed row by row (a sum stays
    finite only if every term is), and tested once.
    """
    flags = [False] * len(tape.nodes)
    if batched is None:
        batched = [index for index, v in inputs.items() if is_array(v)]
    for index in batched:
        flags[index] = True
    if not total:
        req = tape.requires_grad()
        inputs = dict(inputs)
        for index in tape.inputs:
            if req[index] and not flags[index] and index in inputs:
                inputs[index] = np.broadcast_to(inputs[index], (n, *np.shape(inputs[index])))
                flags[index] = True
    try:
        vals = RowValues(tape_values(tape, inputs, rows=True, batched=flags))
    except (ValueError, IndexError, TypeError) as exc:  # a rule that cannot take these shapes
        raise Unbatched from exc
    vals.batched, vals.total, vals.n = flags, total, n
    with np.errstate(all="ignore"):
        total_ = np.zeros(n)
        for i in vanishing_checks(tape):
            total_ += _row_sums(vals[i], flags[i], n)
    return vals, ~np.isfinite(total_)


def _row_sums(v, batched: bool, n: int):
    """A value's sum in each row (an unbatched value's whole sum, the same for every row)."""
    if not batched:
        return np.sum(v)
    return v if np.ndim(v) == 1 else v.reshape(n, -1).sum(axis=1)


def array_adjoints(tape: Tape, vals: list, output: int, seed=None, keep=None, bad=None, checked=True) -> list:
    """Every node's adjoint d(output . seed)/d(node): an array of the node's shape, or None (zero).

    ``seed`` is the gradient put on the output (1 for a scalar output; a one-hot
    array picks one element of an array output, as the Jacobian's rows do).

    With ``bad`` (the mask of ``row_values``: a pass over data rows, ``seed`` an
    array of one number per row) rows are a batch axis the sweep never sums: an
    input that is one number for every row gets one adjoint per row (the caller
    sums them if it wants the total), and nothing raises: a row where an input's
    adjoint is not finite is marked in ``bad``.  Every edge that carries gradient
    is evaluated, so a row with an infinite partial is marked even where the
    gradient arriving is 0 (an infinity or nan in ``g * partial`` reaches an input's
    adjoint by every path, so only the inputs' adjoints are tested).

    With ``keep`` (node indices: the results asked for), every other node's value
    (in ``vals``) and adjoint is dropped, set to None, as soon as the sweep has
    passed its last use (``last_reads``), so that a large program's intermediates
    are given back during the sweep rather than all held to its end.  Without it
    every value and adjoint is kept (``eval --all``, the graph, the path analyses).

    With ``checked`` False (and no ``keep``: the values must stay for a second sweep),
    no contribution is tested: the caller tests the adjoints it reads once, and only
    when one is not finite runs the checked sweep, which says where (as the scalar
    plan does).  A rule that raises sends the sweep to the checked one at once.  A
    program where an infinity could vanish on its way to the inputs (a literal
    ``[x, 1]`` drops the gradient of its constant) is always checked.
    """
    if not checked:
        if keep is None and bad is None and not _drops_gradients(tape):
            plan = array_plan.for_values(tape, vals)
            adj = plan.adjoints(vals, output, seed) if plan else None
            if adj is not None:
                return adj
            try:
                return _adjoints(tape, vals, output, seed, None, None, False)
            except (ArithmeticError, ValueError):
                pass
    return _adjoints(tape, vals, output, seed, keep, bad, True)


def _drops_gradients(tape: Tape) -> bool:
    """True when a VJP may hand on less than all of the gradient arriving (a ``stack`` with an
    operand that carries none): an infinity there would not reach the inputs' adjoints."""
    drops = tape.__dict__.get("_drops_gradients")
    if drops is None:
        req = tape.requires_grad()
        drops = tape._drops_gradients = any(
            node.kind == OPERATION and node.op.name == "stack" and not all(req[a] for a in node.args)
            for node in tape.nodes)
    return drops


def _adjoints(tape: Tape, vals: list, output: int, seed, keep, bad, checked: bool) -> list:
    """The sweep of ``array_adjoints``; unchecked, a failing rule raises as it is."""
    nodes = tape.nodes
    req = tape.requires_grad()
    cone = tape.cone([output])
    adj: list = [None] * len(nodes)
    adj[output] = 1.0 if seed is None else seed
    drops = kept = None
    if keep is not None:
        drops, kept = drop_schedule(tape), [False] * len(nodes)
        for k in keep:
            kept[k] = True
    rows = bad is not None
    owned = [False] * len(nodes)  # adj[a] is a sum this sweep made: nothing else holds it, add into it in place
    with np.errstate(all="ignore"):
        for i in range(output, -1, -1):
            node = nodes[i]
            g = adj[i]
            if node.kind == OPERATION and cone[i] and req[i] and g is not None:
                for j, a in enumerate(node.args):
                    if not req[a]:
                        continue
                    if rows:
                        contribution = _row_vjp(node, j, g, vals)
                        adj[a], owned[a] = accumulate(adj[a], owned[a], contribution, g, vals, node)
                        continue
                    if not checked:
                        contribution = edge_vjp(node, j, g, vals)
                        adj[a], owned[a] = accumulate(adj[a], owned[a], contribution, g, vals, node)
                        continue
                    try:
                        contribution = edge_vjp(node, j, g, vals)
                    except (ArithmeticError, ValueError):
                        raise partial_error(tape, vals, i, j) from None
                    if not all_finite(contribution):
                        raise partial_error(tape, vals, i, j)
                    adj[a], owned[a] = accumulate(adj[a], owned[a], contribution, g, vals, node)
            if drops is not None:
                _drop(drops[i], kept, vals, adj, i)
        if rows:
            total = np.zeros(len(seed))
            for index in tape.inputs:
                if adj[index] is not None:
                    total += _row_sums(adj[index], vals.batched[index], len(seed))
            bad |= ~np.isfinite(total)
    return adj


def _row_vjp(node, j: int, g, vals: RowValues):
    """What the gradient at ``node`` hands operand ``j`` over data rows: the op's batching rule at a
    batched node, summed back to the operand's shape (with its batch axis, if it has one:
    ``values.unbroadcast``); the ordinary edge at a node without the batch axis."""
    if not vals.batched[node.index]:
        return edge_vjp(node, j, g, vals)
    a = node.args[j]
    flags = [vals.batched[k] for k in node.args]
    contribution = node.op.batch.vjp(j, node.params, g, vals[node.index], [vals[k] for k in node.args], flags)
    return unbroadcast(contribution, np.shape(vals[a]), rows=flags[j])


def _drop(dead: list, kept: list, vals: list, adj: list, i: int) -> None:
    """Let go of what the sweep no longer reads once node ``i`` is done: the values whose last
    reader it was, and its own adjoint (every contribution to it came from a later node)."""
    for k in dead:
        if not kept[k]:
            vals[k] = None
    if not kept[i]:
        adj[i] = None


def last_reads(tape: Tape) -> list[int]:
    """For each node, the last step of a reverse sweep that reads its value (steps go down the tape).

    An operation's own step may read its result (tanh's VJP does), and every
    reader comes later on the tape, so an operation's value is read last at its
    own step; an input's or a constant's at its first consumer's (its own index
    if nothing reads it).  Computed once per tape.
    """
    cached = getattr(tape, "_last_reads", None)
    if cached is not None and len(cached) == len(tape.nodes):
        return cached
    nodes = tape.nodes
    last = [node.index if node.kind == OPERATION else len(nodes) for node in nodes]
    for node in nodes:
        for a in node.args:
            if node.index < last[a]:
                last[a] = node.index
    last = [i if step == len(nodes) else step for i, step in enumerate(last)]
    tape._last_reads = last
    return last


def drop_schedule(tape: Tape) -> list[list[int]]:
    """``schedule[i]``: the nodes whose values the reverse sweep no longer reads once step i is done."""
    cached = getattr(tape, "_drop_schedule", None)
    if cached is not None and len(cached) == len(tape.nodes):
        return cached
    schedule: list[list[int]] = [[] for _ in tape.nodes]
    for k, step in enumerate(last_reads(tape)):
        schedule[step].append(k)
    tape._drop_schedule = schedule
    return schedule


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


def array_tangents(tape: Tape, vals: list, seeds: dict, needed: list[bool] | None = None) -> list:
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
