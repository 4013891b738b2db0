"""A program with arrays compiled once for a training loop's sweeps: its forward pass and unchecked reverse sweep.

The generic sweeps (``core/evaluator.py``, ``array_sweeps.py``) ask at every node and
every step which rule applies: a scalar op's function on numbers or its numpy rule,
the scalar partial or the VJP, whether the operand needs its gradient summed back.
In a loop that sweeps one program thousands of times (``descend``) those questions
cost more than the numpy work of a small network.  Here they are asked once, from a
first pass's values: each operation's rule and each edge's VJP are bound, in tape
order, with the nodes outside the output's cone or carrying no gradient left out.
The rules are the op table's own functions, so the doubles are the generic sweeps'.

What is compiled depends on the kind of each value (float or array), which follows
from the inputs' kinds and ranks, the key of the compiled plan: a minibatch of
another length shares it.

Nothing here raises or tests an edge.  A pass that fails (a rule raises, a value is
not finite) gives None, and the caller runs the generic sweep, which says where and
why, as the compiled scalar plan does.
"""

from __future__ import annotations

from functools import partial

from gradcli.core.evaluator import tape_values
from gradcli.core.tape import CONST, OPERATION, Tape
from gradcli.core.values import all_finite_in, is_array, np, settle, unbroadcast

_PLANS = 8  # compiled plans kept per tape: one per kinds of inputs (a training loop needs one)
_SCALAR, _MANY = 0, 3  # how a step is called (else by its number of operands, 1 or 2)


def signature(tape: Tape, value) -> tuple:
    """What a compiled plan depends on: each input's rank (-1 for a number), ``value(index)`` its value."""
    return tuple(getattr(value(i), "ndim", -1) for i in tape.inputs)


class _Values(list):
    """A compiled forward pass's values, which say which plan computed them (the reverse sweep's)."""

    __slots__ = ("plan",)


class ArrayPlan:
    """A tape's operations with their rules bound, for inputs of one ``signature``.

    ``steps``: per operation in tape order, its index, its function, its params, its
    operands' indices and how it is called: ``_SCALAR`` (its scalar function, every operand
    a number), else its numpy rule with one operand, two, or any number (``_MANY``).
    The reverse sweep's edges are compiled per output, on first use (``_edges``).
    """

    def __init__(self, tape: Tape, arrays: bytes):
        self.tape = tape
        self.arrays = arrays  # per node, 1 when its value is an array
        self.initial = [node.value if node.kind == CONST else 0.0 for node in tape.nodes]
        self.steps = []
        for node in tape.nodes:
            if node.kind != OPERATION:
                continue
            op = node.op
            if op.scalar and not any(self.arrays[a] for a in node.args):
                self.steps.append((node.index, op.forward, node.params, node.args, _SCALAR))
            else:
                how = len(node.args) if len(node.args) in (1, 2) else _MANY
                self.steps.append((node.index, op.array.forward, node.params, node.args, how))
        self.checks = vanishing_checks(tape)
        self._reverse: dict[int, list] = {}

    def values(self, inputs: dict) -> list | None:
        """Every node's value, or None when an operation fails or a value is not finite."""
        vals = _Values(self.initial)
        vals.plan = self
        for index, value in inputs.items():
            vals[index] = value
        ndarray = np.ndarray
        try:
            with np.errstate(all="ignore"):
                for i, fn, params, args, how in self.steps:
                    if how == 1:
                        v = fn(params, vals[args[0]])
                    elif how == 2:
                        v = fn(params, vals[args[0]], vals[args[1]])
                    elif how == _MANY:
                        v = fn(params, *[vals[a] for a in args])
                    else:
                        operands = [vals[a] for a in args]
                        if any(not isinstance(x, (float, int)) for x in operands):
                            return None  # a kind the plan was not compiled for
                        vals[i] = fn(*operands)
                        continue
                    vals[i] = v if type(v) is ndarray and v.ndim else settle(v)  # a 0-d array: a float
            # every value finite: only those an infinity could vanish from need the test
            return vals if all_finite_in([vals[i] for i in self.checks]) else None
        except Exception:  # the generic pass says what went wrong, and where
            return None

    def adjoints(self, vals: list, output: int, seed=None) -> list | None:
        """Every node's adjoint d(output . seed)/d(node), None where nothing reached: what the generic
        unchecked sweep gives (``array_sweeps._adjoints``), or None when a rule raises."""
        edges = self._reverse.get(output)
        if edges is None:
            edges = self._reverse[output] = self._edges(output)
        adj: list = [None] * len(vals)
        adj[output] = 1.0 if seed is None else seed
        owned = [False] * len(vals)  # adj[a] is a sum this sweep made: add into it in place
        ndarray = np.ndarray
        try:
            with np.errstate(all="ignore"):
                for i, node, scalar, rules in edges:
                    g = adj[i]
                    if g is None:
                        continue
                    ans = vals[i]
                    operands = [vals[a] for a in node.args]
                    for j, a, rule in rules:
                        if scalar:
                            if not isinstance(g, float):
                                return None  # an array arriving at a scalar op: the generic sweep's case
                            c = g * rule(j, operands, ans)
                        else:
                            target = vals[a]
                            c = unbroadcast(rule(node.params, g, ans, *operands),
                                            target.shape if type(target) is ndarray else ())
                        if adj[a] is None:
                            adj[a] = c
                        else:
                            adj[a], owned[a] = accumulate(adj[a], owned[a], c, g, vals, node)
        except Exception:  # the checked sweep says which edge, and why
            return None
        return adj

    def _edges(self, output: int) -> list:
        """The reverse sweep's steps for ``output``: each node in its cone that carries gradient, from
        the output down, with the rule of each operand edge that carries gradient."""
        tape = self.tape
        req, cone = tape.requires_grad(), tape.cone([output])
        steps = []
        for i in range(output, -1, -1):
            node = tape.nodes[i]
            if node.kind != OPERATION or not (cone[i] and req[i]):
                continue
            op = node.op
            scalar = op.scalar and not any(self.arrays[a] for a in node.args)
            rules = []
            for j, a in enumerate(node.args):
                if not req[a]:
                    continue
                if scalar:
                    rule = op.partial
                elif op.array.variadic:
                    rule = partial(op.array.vjps[0], j)
                else:
                    rule = op.array.vjps[j]
                rules.append((j, a, rule))
            steps.append((i, node, scalar, rules))
        return steps


def for_values(tape: Tape, vals: list) -> ArrayPlan | None:
    """The compiled plan that computed ``vals`` (they say so), if the tape still holds it: its reverse
    sweep is compiled for these values' kinds.  Values the generic pass computed get None."""
    plan = getattr(vals, "plan", None)
    plans = tape.__dict__.get("_array_plans")
    if plan is None or not plans or not any(plan is held for held in plans.values()):
        return None
    return plan


def array_values(tape: Tape, inputs: dict) -> list:
    """Every node's value: the compiled pass when the tape was swept before with inputs like these
    (compiled at the second sweep, from the kinds of the first one's values: a program evaluated
    once never pays for it), else, or when the compiled pass fails, the node evaluator's
    (``core/evaluator.py``), which raises what went wrong."""
    plans = tape.__dict__.setdefault("_array_plans", {})
    key = signature(tape, lambda i: inputs.get(i, 0.0))
    plan = plans.get(key)
    if type(plan) is bytes:  # the second sweep: compiled now
        plan = plans[key] = ArrayPlan(tape, plan)
    if plan is not None:
        vals = plan.values(inputs)
        if vals is not None:
            return vals
    vals = tape_values(tape, inputs)
    if plan is None:
        if len(plans) >= _PLANS:
            plans.clear()
        plans[key] = bytes(type(v) is np.ndarray for v in vals)  # seen once: each node's kind
    return vals


def vanishing_checks(tape: Tape) -> list[int]:
    """The nodes whose values the row pass must test: those an infinity could vanish from.

    A non-finite value that flows only through ops that keep it (``Op.keeps_nonfinite``:
    sums, products, sin, ...) reaches a node nothing uses, so only those nodes, and the
    operands of ops that can hide it (exp(-inf) = 0, 1/inf = 0), need a test.
    """
    checked = getattr(tape, "_row_checks", None)
    if checked is None:
        used = [False] * len(tape.nodes)
        flag = [False] * len(tape.nodes)
        for node in tape.nodes:
            if node.kind == OPERATION:
                for a in node.args:
                    used[a] = True
                    if not node.op.keeps_nonfinite:
                        flag[a] = True
        checked = [node.index for node in tape.nodes
                   if node.kind == OPERATION and (flag[node.index] or not used[node.index])]
        tape._row_checks = checked
    return checked


def accumulate(total, owned: bool, contribution, g, vals: list, node) -> tuple:
    """``total + contribution`` (None is zero) and whether the result is the sweep's own array.

    A sum the sweep made, or a fresh array the edge's rule made (not ``g``, not a
    value), is the sweep's own (``owned``) and is added into in place; any other
    term (``g`` passed on, a value) may be shared and is never written to.
    """
    if total is None:
        return contribution, _fresh(contribution, g, vals, node)
    if owned and _same_array_shape(total, contribution):
        np.add(total, contribution, out=total)
        return total, True
    if _fresh(contribution, g, vals, node) and _same_array_shape(contribution, total):
        np.add(contribution, total, out=contribution)
        return contribution, True
    result = total + contribution
    return result, is_array(result)


def _same_array_shape(into, other) -> bool:
    return (type(into) is np.ndarray and into.dtype == np.float64
            and (not is_array(other) or other.shape == into.shape))


def _fresh(v, g, vals: list, node) -> bool:
    """An array made by this edge's rule: its own memory, and not ``g``, an operand or the result."""
    return (type(v) is np.ndarray and v.base is None and v.flags.writeable and v is not g
            and v is not vals[node.index] and all(v is not vals[a] for a in node.args))
