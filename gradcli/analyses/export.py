"""The annotated computational graph (its writers, DOT, Mermaid, JSON, are in render/graph_writers.py).

This is the picture CS231n draws for the sigmoid neuron: every node with its
name or operation and its value, every edge with its local partial, and every
node's adjoint d(output)/d(node) in a second colour.  ``annotate`` computes it
once from a ``Gradient``; the writers are pure functions of that result.

The graph holds the output, every node it depends on, and every input (an input
the output does not use has adjoint 0).  ``x*x`` has two edges from x.  A
constant is no variable: it has no adjoint, and its edges carry no partial (no
gradient flows into a constant; a number on them would read as one).  The
pictures draw a constant once per use, plainly, on an unlabelled dashed edge.
Nothing recurses, so graphs of 100,000 nodes work.

With arrays a node shows its shape (``q = W@x  (2,)``) and its value as a grid
when it has at most ``SMALL`` elements; an edge shows the rule at the tensor
level (``g @ xᵀ``) instead of a number, since its local partial is a Jacobian.
"""

from __future__ import annotations

from dataclasses import dataclass

from gradcli.analyses import passes
from gradcli.core.edges import local_partials
from gradcli.core.tape import CONST, INPUT
from gradcli.core.values import dense, shape, shape_text
from gradcli.autodiff.gradient import Gradient
from gradcli.core.formulas import partial_formula, tensor_formula

@dataclass
class GraphNode:
    index: int
    kind: str  # input, const, op
    label: str  # a, u, v3, 3
    title: str  # what the node shows: a, u = b*c, 3
    definition: str | None  # b*c; None for inputs and constants
    value: float  # or an array
    adjoint: float | None  # None for constants (an array, in a program with arrays)
    shape: tuple | None = None  # in a program with arrays; None otherwise
    constant: bool = False  # a constant, or an operation on constants only (-2, 2^3): no adjoint

    @property
    def id(self) -> str:
        return f"n{self.index}"

    @property
    def heading(self) -> str:
        """The title, with the shape of an array: ``q = W@x  (2,)``."""
        return f"{self.title}  {shape_text(self.shape)}" if self.shape else self.title


@dataclass
class GraphEdge:
    source: int
    target: int
    operand: int  # which operand of the target (x*x: 0 and 1)
    partial: float | None  # None where the local partial is undefined, and in a program with arrays
    formula: str | None  # with arrays, the tensor-level rule handing dq to the operand: dq @ transpose(x)
    tensor: bool = False  # True where the rules are tensor-level (arrays): the formula is what the edge shows
    constant: bool = False  # from a constant (or a node on constants only): no partial, no formula


@dataclass
class AnnotatedGraph:
    output: str
    output_index: int
    value: float
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    inputs: list[int]  # node indices of the inputs


def annotate(result: Gradient) -> AnnotatedGraph:
    tape = result.tape
    out = result.problem.output_index
    keep = tape.cone([out])
    for i in tape.inputs:
        keep[i] = True
    vals, adj = result.values, result.adjoints
    tensor = passes.has_arrays(result.problem)  # edges show the rule, nodes their shape
    variable = tape.depends_on(tape.inputs)  # the rest is constant: no gradient flows into it
    nodes, edges = [], []
    for node in tape.nodes:
        i = node.index
        if not keep[i]:
            continue
        node_shape = shape(vals[i]) if tensor else None
        if node.kind == INPUT or node.kind == CONST:
            nodes.append(GraphNode(i, node.kind, node.label, node.label, None, vals[i],
                                   None if node.kind == CONST else dense(adj[i]), node_shape, node.kind == CONST))
            continue
        definition = tape.definition(i)
        nodes.append(GraphNode(i, node.kind, node.label, f"{node.label} = {definition}", definition,
                               vals[i], dense(adj[i]) if variable[i] else None, node_shape, not variable[i]))
        labels = [tape.nodes[a].label for a in node.args]
        if tensor:
            for j, a in enumerate(node.args):
                edges.append(_constant_edge(a, i, j) if not variable[a] else
                             GraphEdge(a, i, j, None, tensor_formula(node.op, j, labels, node.label, f"{tape.adjoint_prefix()}{node.label}", node.params,
                                 [shape(vals[b]) for b in node.args]), tensor=True))
        else:  # every edge with its partial (None where undefined), a constant's with none
            for j, a, local in local_partials(tape, vals, i, strict=False):
                edges.append(_constant_edge(a, i, j) if not variable[a] else
                             GraphEdge(a, i, j, local, partial_formula(node.op, j, labels, node.label)))
    return AnnotatedGraph(result.output, out, result.value, nodes, edges, list(tape.inputs))


def _constant_edge(source: int, target: int, operand: int) -> GraphEdge:
    return GraphEdge(source, target, operand, None, None, constant=True)
