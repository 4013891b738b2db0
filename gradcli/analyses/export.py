"""The annotated computational graph, and its writers: Graphviz DOT, Mermaid, JSON.

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

import html
import shutil
import subprocess
from dataclasses import dataclass

from gradcli.support.errors import ExitCode, GradError, UsageError
from gradcli.core.array_text import grid
from gradcli.core.edges import local_partials
from gradcli.core.tape import CONST, INPUT
from gradcli.core.values import dense, is_array, shape, shape_text, size, to_json as value_json
from gradcli.support.numbers import short
from gradcli.autodiff.problem import Gradient
from gradcli.core.formulas import partial_formula, tensor_formula

ADJOINT_COLOUR = "#d62728"  # red, as cs231n draws gradients
PARTIAL_COLOUR = "#1f77b4"  # blue, the local partial on an edge
FORMATS = ("dot", "mermaid", "json", "svg", "png")
SMALL = 6  # an array with at most this many elements shows its values
INSTALL_HINT = ("install Graphviz: 'apt-get install graphviz' (Debian, Ubuntu), "
                "'brew install graphviz' (macOS), or see https://graphviz.org/download/")


class GraphvizError(GradError):
    """Graphviz's dot ran but failed: exit 1."""

    kind = "graphviz"
    exit_code = ExitCode.FAILED


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
    tensor: bool = False  # True in a program with arrays: the formula is what the edge shows
    constant: bool = False  # from a constant (or a node on constants only): no partial, no formula


@dataclass
class AnnotatedGraph:
    output: str
    output_index: int
    value: float
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    inputs: list[int]  # node indices of the inputs

    def adjoint_text(self, node: GraphNode) -> str:
        text = value_text(node.adjoint)
        return f"d{self.output}/d{node.label} =" + ("\n" if "\n" in text else " ") + text


def value_text(v) -> str:
    """A float's short form; an array's grid (lines) when small, else ``(20, 30) array``."""
    if v is None:
        return "0"  # the symbolic zero: nothing reaches the node
    if not is_array(v):
        return short(v)
    return grid(v) if size(v) <= SMALL else f"{shape_text(shape(v))} array"


def annotate(result: Gradient) -> AnnotatedGraph:
    tape = result.tape
    out = result.problem.output_index
    keep = tape.cone([out])
    for i in tape.inputs:
        keep[i] = True
    vals, adj = result.values, result.adjoints
    arrays = result.problem.arrays
    variable = tape.depends_on(tape.inputs)  # the rest is constant: no gradient flows into it
    nodes, edges = [], []
    for node in tape.nodes:
        i = node.index
        if not keep[i]:
            continue
        node_shape = shape(vals[i]) if arrays else None
        if node.kind == INPUT or node.kind == CONST:
            nodes.append(GraphNode(i, node.kind, node.label, node.label, None, vals[i],
                                   None if node.kind == CONST else dense(adj[i]), node_shape, node.kind == CONST))
            continue
        definition = tape.definition(i)
        nodes.append(GraphNode(i, node.kind, node.label, f"{node.label} = {definition}", definition,
                               vals[i], dense(adj[i]) if variable[i] else None, node_shape, not variable[i]))
        labels = [tape.nodes[a].label for a in node.args]
        if arrays:
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


def partial_text(edge: GraphEdge) -> str:
    if edge.tensor:
        return edge.formula
    return "undefined" if edge.partial is None else short(edge.partial)


# ---------------------------------------------------------------- DOT

def _dot_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _html(text: str) -> str:
    return html.escape(text, quote=True)


def _lines_html(text: str) -> str:
    """Escaped, a grid's lines kept (left-aligned, so the columns stay lined up in a fixed font)."""
    return '<br align="left"/>'.join(_html(line.rstrip()) for line in text.split("\n"))


def _edge_legend(g: AnnotatedGraph) -> str:
    if any(e.tensor for e in g.edges):
        return "on the edges in blue the rule handing dq, the gradient at node q, to each operand of q"
    return "local partials on the edges in blue"


def to_dot(g: AnnotatedGraph) -> str:
    """Graphviz input: inputs ranked left, the output right; HTML labels give the adjoint its colour."""
    lines = [
        "digraph gradcli {",
        "  rankdir=LR;",
        '  graph [fontname="Helvetica", labelloc=b, label=' + _dot_string(
            f"values in black, d{g.output}/d(node) in red, " + _edge_legend(g)) + "];",
        '  node [shape=box, style=rounded, fontname="Helvetica"];',
        f'  edge [fontname="Helvetica", fontcolor="{PARTIAL_COLOUR}"];',
    ]
    constants = {n.index: n for n in g.nodes if n.kind == CONST}
    for n in g.nodes:
        if n.kind == CONST:
            continue  # drawn once per use, with its edge
        parts = [f"<b>{_html(n.heading)}</b>", _lines_html(value_text(n.value))]
        if not n.constant:
            parts.append(f'<font color="{ADJOINT_COLOUR}">{_lines_html(g.adjoint_text(n))}</font>')
        extra = ", penwidth=2" if n.index == g.output_index else ""
        lines.append(f"  {n.id} [label=<{'<br/>'.join(parts)}>{extra}];")
    for k, e in enumerate(g.edges):
        if e.constant and e.source not in constants:  # an operation on constants, drawn once
            lines.append(f'  n{e.source} -> n{e.target} [style=dashed, color=gray, tooltip="constant: no gradient"];')
            continue
        if e.constant:
            use = f"c{k}"
            lines.append(f'  {use} [shape=plaintext, tooltip="constant", '
                         f'label=<{_lines_html(value_text(constants[e.source].value))}>];')
            lines.append(f'  {use} -> n{e.target} [style=dashed, color=gray, tooltip="constant: no gradient"];')
            continue
        lines.append(f"  n{e.source} -> n{e.target} [label={_dot_string(partial_text(e))}, "
                     f"tooltip={_dot_string(e.formula)}];")
    inputs = [n.id for n in g.nodes if n.kind == INPUT]
    if inputs:
        lines.append(f"  {{rank=min; {'; '.join(inputs)};}}")
    if g.output_index not in g.inputs:
        lines.append(f"  {{rank=max; n{g.output_index};}}")
    lines.append("}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- Mermaid

def _mermaid(text: str) -> str:
    """Text inside a quoted Mermaid label: entity codes for the characters Mermaid would read."""
    return (text.replace("&", "#amp;").replace('"', "#quot;")
            .replace("<", "#lt;").replace(">", "#gt;"))


def _mermaid_lines(text: str) -> str:
    return "<br/>".join(_mermaid(line.rstrip()) for line in text.split("\n"))


def to_mermaid(g: AnnotatedGraph) -> str:
    """A ``flowchart LR`` that renders in Markdown (```mermaid blocks)."""
    lines = ["flowchart LR"]
    constants = {n.index: n for n in g.nodes if n.kind == CONST}
    for n in g.nodes:
        if n.kind == CONST:
            continue  # drawn once per use, with its edge
        text = f"<b>{_mermaid(n.heading)}</b><br/>{_mermaid_lines(value_text(n.value))}"
        if not n.constant:
            text += f"<br/><span style='color:{ADJOINT_COLOUR}'>{_mermaid_lines(g.adjoint_text(n))}</span>"
        lines.append(f'  {n.id}["{text}"]')
    for k, e in enumerate(g.edges):
        if e.constant and e.source not in constants:  # an operation on constants, drawn once
            lines.append(f"  n{e.source} -.-> n{e.target}")
            continue
        if e.constant:
            lines.append(f'  c{k}(["{_mermaid_lines(value_text(constants[e.source].value))}"])')
            lines.append(f"  c{k} -.-> n{e.target}")
            continue
        lines.append(f'  n{e.source} -->|"{_mermaid(partial_text(e))}"| n{e.target}')
    lines.append(f"  style n{g.output_index} stroke-width:3px")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- JSON

def to_json(g: AnnotatedGraph) -> dict:
    """Arrays as nested lists, each node with its ``shape`` (only in a program with arrays)."""
    nodes = []
    for n in g.nodes:
        item = {"id": n.id, "index": n.index, "kind": n.kind, "label": n.label,
                "definition": n.definition, "value": value_json(n.value),
                "adjoint": None if n.adjoint is None else value_json(n.adjoint)}
        if n.shape is not None:
            item["shape"] = list(n.shape)
        nodes.append(item)
    return {
        "output": g.output, "value": value_json(g.value), "nodes": nodes,
        "edges": [{"from": f"n{e.source}", "to": f"n{e.target}", "operand": e.operand,
                   "partial": e.partial, "formula": e.formula} for e in g.edges],
    }


# ---------------------------------------------------------------- Graphviz

def render_graphviz(dot_text: str, fmt: str) -> bytes:
    """SVG or PNG bytes from Graphviz's ``dot``; a clear error when it is not installed."""
    exe = shutil.which("dot")
    if exe is None:
        raise UsageError(f"--format {fmt} needs Graphviz's 'dot' program, which is not installed: "
                         f"{INSTALL_HINT}; or write --format dot and render it elsewhere", kind="graphviz")
    try:
        done = subprocess.run([exe, f"-T{fmt}"], input=dot_text.encode("utf-8"), capture_output=True,
                              check=False)
    except OSError as exc:
        raise GraphvizError(f"could not run {exe}: {exc.strerror}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GraphvizError(f"Graphviz's dot failed (exit {done.returncode})"
                            + (f": {message[0]}" if message else ""))
    return done.stdout
