"""The annotated computational graph written out: Graphviz DOT, Mermaid, JSON, and SVG or PNG through Graphviz.

Pure functions of ``analyses.export.annotate``'s result.  Every node shows its
value (a grid when an array has at most ``SMALL`` elements, else its shape) and,
unless it is constant, its adjoint in a second colour; every edge its local
partial, or with arrays the rule at the tensor level.  Nothing recurses, so
graphs of 100,000 nodes work.
"""

from __future__ import annotations

import html
import shutil
import subprocess

from gradcli.analyses.export import AnnotatedGraph, GraphEdge, GraphNode
from gradcli.core.tape import CONST, INPUT
from gradcli.core.values import shape, shape_text, size, to_json as value_json
from gradcli.render.array_text import grid
from gradcli.support.errors import ExitCode, GradError, UsageError
from gradcli.support.numbers import short

ADJOINT_COLOUR = "#d62728"  # red, as cs231n draws gradients
PARTIAL_COLOUR = "#1f77b4"  # blue, the local partial on an edge
SMALL = 6  # an array with at most this many elements shows its values
INSTALL_HINT = ("install Graphviz: 'apt-get install graphviz' (Debian, Ubuntu), "
                "'brew install graphviz' (macOS), or see https://graphviz.org/download/")


class GraphvizError(GradError):
    """Graphviz's dot ran but failed: exit 1."""

    kind = "graphviz"
    exit_code = ExitCode.FAILED


def value_text(v) -> str:
    """A float's short form; an array's grid (lines) when small, else ``(20, 30) array``."""
    if v is None:
        return "0"  # the symbolic zero: nothing reaches the node
    return grid(v) if size(v) <= SMALL else f"{shape_text(shape(v))} array"


def adjoint_text(g: AnnotatedGraph, node: GraphNode) -> str:
    text = value_text(node.adjoint)
    return f"d{g.output}/d{node.label} =" + ("\n" if "\n" in text else " ") + text


def partial_text(edge: GraphEdge) -> str:
    if edge.tensor:
        return edge.formula
    return "undefined" if edge.partial is None else short(edge.partial)


# What a picture draws, in order (both writers walk it; only their syntax differs).
NODE, CONSTANT_USE, CONSTANT_EDGE, EDGE = "node", "constant use", "constant edge", "edge"


def drawn(g: AnnotatedGraph):
    """(what, k, item): each node but the constants (NODE, the node); then each edge: a constant
    drawn once per use, beside its edge (CONSTANT_USE, (edge, value)); an edge from an operation on
    constants, drawn once (CONSTANT_EDGE); or an edge with its partial (EDGE)."""
    constants = {n.index: n for n in g.nodes if n.kind == CONST}
    for n in g.nodes:
        if n.kind != CONST:
            yield NODE, n.index, n
    for k, e in enumerate(g.edges):
        if e.constant and e.source in constants:
            yield CONSTANT_USE, k, (e, constants[e.source].value)
        elif e.constant:
            yield CONSTANT_EDGE, k, e
        else:
            yield EDGE, k, e


def _picture(g: AnnotatedGraph, syntax: dict) -> list[str]:
    """The lines of a picture: each thing ``drawn`` yields, written by the writer's ``syntax[what]``."""
    return [line for what, k, item in drawn(g) for line in syntax[what](k, item)]


# ---------------------------------------------------------------- DOT

def _dot_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _html(text: str) -> str:
    return html.escape(text, quote=True)


def _lines_html(text: str) -> str:
    """Escaped, a grid's lines kept (left-aligned, so the columns stay lined up in a fixed font)."""
    return '<br align="left"/>'.join(_html(line.rstrip()) for line in text.split("\n"))


def edge_legend(g: AnnotatedGraph) -> str:
    if any(e.tensor for e in g.edges):
        return "on the edges in blue the rule handing dq, the gradient at node q, to each operand of q"
    return "local partials on the edges in blue"


def to_dot(g: AnnotatedGraph) -> str:
    """Graphviz input: inputs ranked left, the output right; HTML labels give the adjoint its colour."""
    lines = [
        "digraph gradcli {",
        "  rankdir=LR;",
        '  graph [fontname="Helvetica", labelloc=b, label=' + _dot_string(
            f"values in black, d{g.output}/d(node) in red, " + edge_legend(g)) + "];",
        '  node [shape=box, style=rounded, fontname="Helvetica"];',
        f'  edge [fontname="Helvetica", fontcolor="{PARTIAL_COLOUR}"];',
    ]
    dashed = 'style=dashed, color=gray, tooltip="constant: no gradient"'
    lines += _picture(g, {
        NODE: lambda k, n: [f"  {n.id} [label=<{'<br/>'.join(_dot_node(g, n))}>"
                            f"{', penwidth=2' if n.index == g.output_index else ''}];"],
        CONSTANT_USE: lambda k, use: [
            f'  c{k} [shape=plaintext, tooltip="constant", label=<{_lines_html(value_text(use[1]))}>];',
            f"  c{k} -> n{use[0].target} [{dashed}];"],
        CONSTANT_EDGE: lambda k, e: [f"  n{e.source} -> n{e.target} [{dashed}];"],
        EDGE: lambda k, e: [f"  n{e.source} -> n{e.target} [label={_dot_string(partial_text(e))}, "
                            f"tooltip={_dot_string(e.formula)}];"],
    })
    inputs = [n.id for n in g.nodes if n.kind == INPUT]
    if inputs:
        lines.append(f"  {{rank=min; {'; '.join(inputs)};}}")
    if g.output_index not in g.inputs:
        lines.append(f"  {{rank=max; n{g.output_index};}}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_node(g: AnnotatedGraph, n) -> list[str]:
    """A node's label lines: its heading, its value and (a variable's) adjoint in red."""
    parts = [f"<b>{_html(n.heading)}</b>", _lines_html(value_text(n.value))]
    if not n.constant:
        parts.append(f'<font color="{ADJOINT_COLOUR}">{_lines_html(adjoint_text(g, n))}</font>')
    return parts


# ---------------------------------------------------------------- Mermaid

def _mermaid(text: str) -> str:
    """Text inside a quoted Mermaid label: entity codes for the characters Mermaid would read."""
    return (text.replace("&", "#amp;").replace('"', "#quot;")
            .replace("<", "#lt;").replace(">", "#gt;"))


def _mermaid_lines(text: str) -> str:
    return "<br/>".join(_mermaid(line.rstrip()) for line in text.split("\n"))


def _mermaid_node(g: AnnotatedGraph, n) -> str:
    text = f"<b>{_mermaid(n.heading)}</b><br/>{_mermaid_lines(value_text(n.value))}"
    if not n.constant:
        text += f"<br/><span style='color:{ADJOINT_COLOUR}'>{_mermaid_lines(adjoint_text(g, n))}</span>"
    return text


def to_mermaid(g: AnnotatedGraph) -> str:
    """A ``flowchart LR`` that renders in Markdown (```mermaid blocks)."""
    lines = ["flowchart LR"]
    lines += _picture(g, {
        NODE: lambda k, n: [f'  {n.id}["{_mermaid_node(g, n)}"]'],
        CONSTANT_USE: lambda k, use: [f'  c{k}(["{_mermaid_lines(value_text(use[1]))}"])',
                                      f"  c{k} -.-> n{use[0].target}"],
        CONSTANT_EDGE: lambda k, e: [f"  n{e.source} -.-> n{e.target}"],
        EDGE: lambda k, e: [f'  n{e.source} -->|"{_mermaid(partial_text(e))}"| n{e.target}'],
    })
    lines.append(f"  style n{g.output_index} stroke-width:3px")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- JSON

def to_json_graph(g: AnnotatedGraph) -> dict:
    """Arrays as nested lists, each node with its ``shape`` (only in a program with arrays)."""
    nodes = []
    for n in g.nodes:
        item = {"id": n.id, "index": n.index, "kind": n.kind, "label": n.label,
                "definition": n.definition, "value": value_json(n.value),
                "adjoint": None if n.adjoint is None else value_json(n.adjoint)}
        if n.shape is not None:
            item["shape"] = list(n.shape)
            if not n.constant and n.adjoint is None:
                item["adjoint"] = value_json(n.value * 0.0)  # the symbolic zero, written out
        nodes.append(item)
    return {
        "output": g.output, "value": value_json(g.value), "nodes": nodes,
        "edges": [{"from": f"n{e.source}", "to": f"n{e.target}", "operand": e.operand,
                   "partial": e.partial, "formula": e.formula} for e in g.edges],
    }


# ---------------------------------------------------------------- Graphviz

def render_graphviz(dot_text: str, fmt: str, program: str = "dot", flags: tuple[str, ...] = ()) -> bytes:
    """SVG or PNG bytes from one of Graphviz's programs (``dot``; ``neato -n2`` draws positions given);
    a clear error when it is not installed."""
    exe = shutil.which(program)
    if exe is None:
        raise UsageError(f"--format {fmt} needs Graphviz's '{program}' program, which is not installed: "
                         f"{INSTALL_HINT}; or write --format svg (drawn by gradcli) or --format dot",
                         kind="graphviz")
    try:
        done = subprocess.run([exe, *flags, f"-T{fmt}"], input=dot_text.encode("utf-8"), capture_output=True,
                              check=False)
    except OSError as exc:
        raise GraphvizError(f"could not run {exe}: {exc.strerror}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GraphvizError(f"Graphviz's {program} failed (exit {done.returncode})"
                            + (f": {message[0]}" if message else ""))
    return done.stdout
