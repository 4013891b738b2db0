"""The backward pass node by node, as the cs231n notes walk the sigmoid neuron.

For every operation the output depends on, from the output back to the
inputs: the gradient arriving from above (the node's adjoint), and for each
operand the local partial (formula and value) and the product handed down,
upstream x local.  A node that feeds several others receives the sum of what
each of them hands down; ``received`` keeps those terms so the view can show
``dv = 3 = 1 (from J) + 2 (from w)``.

The numbers come from the engine's own sweep (``gradient.evaluate``), so an
undefined derivative stops this view with the same error as ``gradcli eval``;
this module only records, in sweep order, how each adjoint was assembled.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gradcli.analyses import passes
from gradcli.core.edges import local_partials
from gradcli.autodiff.array_sweeps import edge_vjp
from gradcli.core.tape import OPERATION
from gradcli.core.values import dense, norm_of, shape
from gradcli.autodiff.gradient import Gradient, evaluate
from gradcli.autodiff.problem import Problem
from gradcli.core.formulas import partial_formula, tensor_formula
from gradcli.core.shape_reasons import reason


@dataclass
class Operand:
    node: str  # the operand's label
    index: int
    formula: str  # the local partial, symbolic: "-1/v7^2"
    local: float | None  # its value (None: undefined where no gradient flows, or an array program's edge)
    contribution: float  # upstream x local, handed down to the operand
    why: str | None = None  # an array rule's form, from the shapes, and its element form (core/shape_reasons.py)


@dataclass
class Received:
    source: str  # the label of the node that handed it down
    contribution: float


@dataclass
class Step:
    node: str
    index: int
    op: str
    definition: str
    value: float
    upstream: float  # the node's adjoint d(output)/d(node)
    received: list[Received]  # the terms summed into upstream (empty for the output: seed 1)
    operands: list[Operand]


@dataclass
class StepsResult:
    output: str
    value: float
    steps: list[Step]
    gradient: dict[str, float]
    received: dict[str, list[Received]] = field(default_factory=dict)  # per input in wrt
    sweep: Gradient | None = None
    tensor: bool = False  # rules at the tensor level (VJPs): values, upstreams and contributions may be arrays
    adjoint: str = "d"  # the adjoint notation's prefix: dx, or d_x where the program has a name dx
    # Statements named by a loop's step (h[0], h[1], ...): each one's adjoint norm, in step order,
    # the gradient flowing back through time (backprop through time: it vanishes or explodes).
    through_steps: list[tuple[str, float]] = field(default_factory=list)


def backward_steps(problem: Problem) -> StepsResult:
    sweep = evaluate(problem)
    tensor = passes.has_arrays(problem)
    tape, vals, adj = problem.tape, sweep.values, sweep.adjoints
    out = problem.output_index
    req = tape.requires_grad()
    cone = tape.cone([out])
    received: list[list[Received] | None] = [None] * len(tape.nodes)
    steps: list[Step] = []
    for i in range(out, -1, -1):
        node = tape.nodes[i]
        if node.kind != OPERATION or not cone[i] or not req[i]:
            continue
        g = adj[i]
        labels = [tape.nodes[a].label for a in node.args]
        operands = []
        edges = (_tensor_edges(tape, vals, i, g, req) if tensor
                 else local_partials(tape, vals, i, req, strict=False))  # no gradient to a constant
        for j, a, local, *handed in edges:
            contribution = handed[0] if handed else (g * local if local is not None else 0.0)
            prefix = tape.adjoint_prefix()
            shapes = [shape(vals[a]) for a in node.args]
            formula = (tensor_formula(node.op, j, labels, node.label, f"{prefix}{node.label}", node.params, shapes)
                       if tensor else partial_formula(node.op, j, labels, node.label))
            why = (reason(node.op, j, labels, node.label, f"{prefix}{node.label}", node.params, shapes,
                          shape(vals[i]), formula, d=prefix) if tensor else None)
            operands.append(Operand(labels[j], a, formula, local, contribution, why))
            if received[a] is None:
                received[a] = []
            received[a].append(Received(node.label, contribution))
        steps.append(Step(node.label, i, node.op.name, tape.definition(i), vals[i], g,
                          received[i] or [], operands))
    names = tape.names
    return StepsResult(problem.output, sweep.value, steps, sweep.gradient,
                       {name: received[names[name]] or [] for name in problem.wrt}, sweep, tensor,
                       tape.adjoint_prefix(), _through_steps(tape, adj, cone))


def _through_steps(tape, adj, cone) -> list[tuple[str, float]]:
    """``(h[t], |dL/dh[t]|)`` for the statements named by an index that the output reads, by index."""
    family = []
    for name in tape.program_names:
        base, bracket, rest = name.partition("[")
        i = tape.names.get(name) if bracket else None
        if i is not None and cone[i]:
            family.append(((base, tuple(int(k) for k in rest[:-1].split(", "))), name, i))
    family.sort()
    return [(name, norm_of(0.0 if adj[i] is None else dense(adj[i]))) for _, name, i in family]


def _tensor_edges(tape, vals, i, g, req):
    """``(j, operand, None, downstream)`` for each edge into node i of an array program: the VJP
    at the tensor level, summed back to the operand's shape (no scalar local partial exists)."""
    node = tape.nodes[i]
    for j, a in enumerate(node.args):
        if req[a]:
            yield j, a, None, edge_vjp(node, j, g, vals)
