"""The forward pass and the reverse sweep over a tape: loops, no recursion.

Both read the operator table only: ``op.forward`` for values, ``op.partials``
for the local partial on each edge.  A node's adjoint is the sum of
upstream x local over every edge leaving it, so a node used twice (``x*x``)
receives both contributions.

Values are IEEE doubles.  An operation that is undefined at its operands or
whose result is not finite stops evaluation with an ``EvaluationError`` naming
the operation and its place in the text; so does an infinite or undefined
local partial on an edge that carries gradient, and a gradient that overflows
on its way back.  A result that underflows to 0 is not an error (sigmoid(-1000)
is 0, as in numpy); ``underflow_warnings`` says when it cut a gradient to 0.

An edge carries gradient when its operand depends on an input being
differentiated and its node is one the output depends on.  That is decided by
the graph alone, never by a value: a gradient of 0 arriving at a node does not
excuse an infinite partial there (``sqrt(x - x)`` fails in every mode, since
the chain rule's 0 x inf has no value).  Forward mode, the reverse sweep and
the path sum therefore stop at the same edges.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from itertools import compress, islice
from operator import not_

from gradcli.core.edges import local_partials
from gradcli.core.failures import gradient_overflow, tangent_overflow, value_error
from gradcli.core.tape import CONST, INPUT, OPERATION, Tape
from gradcli.core.values import all_finite_floats

_isfinite = math.isfinite


class _ScalarPlan:
    """A tape compiled once for fast sweeps (cached on the tape; tapes never change).

    Parallel lists, one entry per operation node in tape order: its index, its
    forward function, its operands ``a`` and ``b`` (``b`` is -1 for a unary op;
    for a variadic op, -2, and ``a`` holds all its operands), and the partial
    function for each operand that carries gradient (None for one that does not
    depend on an input, such as the constant in ``3*v``; a variadic op's Op).
    The sweeps zip them: plain loops with no attribute lookups or per-node
    dispatch, everything still from the operator table.  Lists rather than
    tuples per node keep a million-node plan to a few tens of MB: the ints and
    functions in them are the tape's own objects.
    """

    def __init__(self, tape: Tape):
        req = tape.requires_grad()
        self.req = req
        self.dead = list(compress(range(len(req)), map(not_, req)))  # nodes no gradient reaches
        self.initial = [node.value if node.kind == CONST else 0.0 for node in tape.nodes]
        self.index: list[int] = []
        self.fn: list = []
        self.a: list = []
        self.b: list[int] = []
        self.pa: list = []
        self.pb: list = []
        for node in tape.nodes:
            if node.kind != OPERATION:
                continue
            op, args = node.op, node.args
            self.index.append(node.index)
            self.fn.append(op.forward)
            if op.arity == 2:
                self.a.append(args[0])
                self.b.append(args[1])
                self.pa.append(op.partials[0] if req[args[0]] else None)
                self.pb.append(op.partials[1] if req[args[1]] else None)
            elif op.arity == 1:
                self.a.append(args[0])
                self.b.append(_UNARY)
                self.pa.append(op.partials[0] if req[args[0]] else None)
                self.pb.append(None)
            else:
                self.a.append(args)
                self.b.append(_VARIADIC)
                self.pa.append(op if req[node.index] else None)
                self.pb.append(None)


_UNARY, _VARIADIC = -1, -2


def compiled(tape: Tape) -> _ScalarPlan:
    """The tape's compiled plan, made on first use."""
    plan = getattr(tape, "_plan", None)
    if plan is None:
        plan = _ScalarPlan(tape)
        tape._plan = plan
    return plan


def scalar_values(tape: Tape, inputs: dict[int, float]) -> list[float]:
    """Every node's value, given each input node's value by index."""
    p = compiled(tape)
    vals = p.initial[:]
    for index, value in inputs.items():
        vals[index] = value
    i = -1
    try:
        for i, fn, a, b in zip(p.index, p.fn, p.a, p.b):
            if b >= 0:
                vals[i] = fn(vals[a], vals[b])
            elif b == _UNARY:
                vals[i] = fn(vals[a])
            else:
                vals[i] = fn(*[vals[j] for j in a])
    except (ArithmeticError, ValueError) as exc:
        _raise_first_bad_value(tape, p, vals, i)  # an earlier overflow or underflow is the cause
        raise value_error(tape, vals, i, exc) from None
    # One C-speed scan; only when it sees something is each node looked at.
    if not all_finite_floats(vals):
        _raise_first_bad_value(tape, p, vals, len(vals))
    return vals


def _raise_first_bad_value(tape: Tape, p: _ScalarPlan, vals: list[float], before: int) -> None:
    """Raise for the first node before ``before`` whose value is not finite."""
    for i in p.index:
        if i >= before:
            return
        v = vals[i]
        if not _isfinite(v):
            raise value_error(tape, vals, i, None)


def underflowed(node, vals: list[float]) -> bool:
    """True when the node's exact value is not 0 but its double is: an op marked ``never_zero``
    gave 0.0 from operands none of which is 0."""
    return (vals[node.index] == 0.0 and node.kind == OPERATION and node.op.never_zero
            and not any(vals[a] == 0.0 for a in node.args))


def underflow_warnings(tape: Tape, vals: list[float], output: int, gradient: dict[str, float]) -> list[str]:
    """Say which gradients are 0 only because a number underflowed somewhere on their paths.

    Only a gradient of exactly 0 is looked into (so this costs nothing
    otherwise).  Its true value is nonzero, but too small for a double, when a
    path from the input carries a nonzero product that rounded to 0: a value
    that underflowed (``exp(-800)``, and what it multiplies), a local partial
    that did (tanh's slope at 1000), or an upstream x local that did
    (``_cut_adjoints``).  A value that underflowed between the input and the
    output is said too, whatever the partials after it.
    """
    zeros = [name for name, g in gradient.items() if g == 0.0]
    if not zeros:
        return []
    nodes = tape.nodes
    cone = tape.cone([output])
    cut_values = [node.index for node in nodes if cone[node.index] and underflowed(node, vals)]
    cut = _cut_adjoints(tape, vals, output, tape.requires_grad())
    warnings = []
    for name in zeros:
        index = tape.names[name]
        culprit = cut.get(index)
        if culprit is None:
            region = tape.depends_on([index])
            culprit = next((i for i in cut_values if region[i]), None)
        if culprit is not None:
            node = nodes[culprit]
            where = node.name or node.label
            warnings.append(f"d{nodes[output].label}/d{name} = 0 only because a number underflowed "
                            f"(at {where} = {tape.definition(culprit)}): its true value is nonzero, "
                            "but too small for a double")
    return warnings


def _cut_values(tape: Tape, vals: list[float], cone: list[bool]) -> dict[int, int]:
    """Node -> where it underflowed, for each value that is 0.0 but not truly 0: an op that is never
    0 from nonzero operands gave 0.0 from operands that are nonzero or themselves cut."""
    cut: dict[int, int] = {}
    for node in tape.nodes:
        i = node.index
        if not cone[i] or node.kind != OPERATION or not node.op.never_zero or vals[i] != 0.0:
            continue
        zero_operands = [a for a in node.args if vals[a] == 0.0]
        if all(a in cut for a in zero_operands):
            cut[i] = cut[zero_operands[0]] if zero_operands else i
    return cut


def _cut_adjoints(tape: Tape, vals: list[float], output: int, req: list[bool]) -> dict[int, int]:
    """Node -> where the cut happened, for each adjoint that is 0.0 though its true value is not.

    One reverse sweep over the output's cone, checked as ``_checked_reverse``.  A
    contribution upstream x local is truly nonzero when both factors are: a factor
    is nonzero, or cut (an adjoint cut further up; a partial of 0.0 of an op whose
    partials never vanish at operands that are nonzero or cut).  When such a
    contribution is 0.0 and the adjoint it adds to stays 0.0, that adjoint is cut.
    """
    nodes = tape.nodes
    cone = tape.cone([output])
    cut_value = _cut_values(tape, vals, cone)
    adj = [0.0] * len(nodes)
    adj[output] = 1.0
    cut: dict[int, int] = {}  # adjoints that are 0.0 only by underflow
    lost: dict[int, int] = {}  # node -> where a truly nonzero contribution to it rounded to 0
    for i in range(output, -1, -1):
        node = nodes[i]
        if not cone[i] or not req[i] or node.kind != OPERATION:
            continue
        g = adj[i]
        if g == 0.0 and i in lost:
            cut[i] = lost[i]
        if g == 0.0 and i not in cut:
            _sweep_partials(tape, vals, output, i, adj, req)
            continue
        zero_operands = [a for a in node.args if vals[a] == 0.0]
        operands_nonzero = all(a in cut_value for a in zero_operands)
        for j, a, local in local_partials(tape, vals, i, req):
            product = g * local
            adj[a] += product
            if not _isfinite(adj[a]):
                raise gradient_overflow(tape, vals, output, i, a)
            if product != 0.0 or a in lost:
                continue
            if i in cut:
                lost[a] = cut[i]
            elif local != 0.0:
                lost[a] = i  # upstream x local rounded to 0
            elif node.op.slope_never_zero and operands_nonzero:
                lost[a] = cut_value[zero_operands[0]] if zero_operands else i
    for a, where in lost.items():
        if adj[a] == 0.0 and nodes[a].kind == INPUT:
            cut[a] = where
    return cut


def _sweep_partials(tape: Tape, vals: list[float], output: int, i: int, adj: list[float], req: list[bool]) -> None:
    """Node ``i``'s contributions, its adjoint being truly 0: every partial is still checked."""
    g = adj[i]
    for _, a, local in local_partials(tape, vals, i, req):
        adj[a] += g * local
        if not _isfinite(adj[a]):
            raise gradient_overflow(tape, vals, output, i, a)


def scalar_adjoints(tape: Tape, vals: list[float], output: int) -> list[float]:
    """Every node's adjoint d(output)/d(node), by one sweep over the reversed tape.

    An undefined or infinite local partial on an edge that carries gradient,
    or an adjoint that overflows, stops with an EvaluationError; the fast loop
    only notices that something is not finite, and ``_checked_reverse`` then
    finds where.
    """
    p = compiled(tape)
    adj = [0.0] * len(vals)
    adj[output] = 1.0
    after_output = len(p.index) - bisect_right(p.index, output)  # entries the sweep skips
    backwards = zip(reversed(p.index), reversed(p.a), reversed(p.b), reversed(p.pa), reversed(p.pb))
    try:
        for i, a, b, pa, pb in islice(backwards, after_output, None):
            g = adj[i]
            if b >= 0:
                if pa is not None:
                    adj[a] += g * pa(vals[a], vals[b], vals[i])
                if pb is not None:
                    adj[b] += g * pb(vals[a], vals[b], vals[i])
            elif b == _UNARY:
                if pa is not None:
                    adj[a] += g * pa(vals[a], vals[i])
            elif pa is not None:
                operands = [vals[j] for j in a]
                for j, arg in enumerate(a):
                    if p.req[arg]:
                        adj[arg] += g * pa.partial(j, operands, vals[i])
    except (ArithmeticError, ValueError):
        return _checked_reverse(tape, vals, output, p.req)
    if not all_finite_floats(adj):
        return _checked_reverse(tape, vals, output, p.req)
    return adj


def scalar_tangents(tape: Tape, vals: list[float], seed: int, needed: list[bool] | None = None) -> list[float] | None:
    """Forward mode over the compiled plan: every node's derivative with respect to node ``seed``.

    The same partial functions as the reverse sweep, on the same edges (those that
    carry gradient), each evaluated whatever the tangent it multiplies.  None when
    a partial fails or anything is not finite: the caller then runs the checked
    pass (``forward_mode.checked_tangent_column``), which says where.
    """
    p = compiled(tape)
    tan = [0.0] * len(vals)
    tan[seed] = 1.0
    after_seed = bisect_right(p.index, seed)
    steps = zip(p.index, p.a, p.b, p.pa, p.pb)
    try:
        for i, a, b, pa, pb in islice(steps, after_seed, None):
            if needed is not None and not needed[i]:
                continue
            if b >= 0:
                t = 0.0
                if pa is not None:
                    t += pa(vals[a], vals[b], vals[i]) * tan[a]
                if pb is not None:
                    t += pb(vals[a], vals[b], vals[i]) * tan[b]
                tan[i] = t
            elif b == _UNARY:
                if pa is not None:
                    tan[i] = 0.0 + pa(vals[a], vals[i]) * tan[a]
            elif pa is not None:
                operands = [vals[j] for j in a]
                t = 0.0
                for j, arg in enumerate(a):
                    if p.req[arg]:
                        t += pa.partial(j, operands, vals[i]) * tan[arg]
                tan[i] = t
    except (ArithmeticError, ValueError):
        return None
    return tan if all_finite_floats(tan) else None


def tangent_column(tape: Tape, values: list[float], seed_index: int,
             needed: list[bool] | None = None) -> list[float]:
    """Every node's derivative with respect to the node ``seed_index`` (tangent 1), in one pass.

    ``needed`` limits the pass to the nodes it flags (others keep tangent 0).  A
    local partial that is infinite or undefined on an edge that carries
    gradient raises ``EvaluationError``, whatever the tangent it multiplies,
    exactly where the reverse sweep stops (see scalar_plan's docstring).  The pass
    runs over the compiled scalar plan; only when it sees something that is not
    finite does ``checked_tangent_column`` run, to say where.
    """
    tan = scalar_tangents(tape, values, seed_index, needed)
    return checked_tangent_column(tape, values, seed_index, needed) if tan is None else tan


def checked_tangent_column(tape: Tape, values: list[float], seed_index: int,
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


def _checked_reverse(tape: Tape, vals: list[float], output: int, req: list[bool]) -> list[float]:
    """The reverse sweep checking every edge that carries gradient: raises an EvaluationError at the first bad one.

    It visits only the nodes the output depends on, and computes every partial
    there, whatever the gradient arriving (see the module's docstring).
    """
    nodes = tape.nodes
    cone = tape.cone([output])
    adj = [0.0] * len(nodes)
    adj[output] = 1.0
    for i in range(output, -1, -1):
        node = nodes[i]
        if not cone[i] or not req[i] or node.kind != OPERATION:
            continue
        g = adj[i]
        for j, a, local in local_partials(tape, vals, i, req):
            adj[a] += g * local
            if not _isfinite(adj[a]):
                raise gradient_overflow(tape, vals, output, i, a)
    return adj


__all__ = ["scalar_values", "scalar_adjoints", "scalar_tangents", "tangent_column", "checked_tangent_column", "CONST", "INPUT", "OPERATION"]
