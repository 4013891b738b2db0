"""The annotated graph drawn as SVG by gradcli itself, from its own layered layout (no Graphviz).

It shows what the DOT writer does: every node with its name or operation and its
value, its adjoint in red (not for a constant), every edge's local partial in
blue (with arrays, the rule at the tensor level), a constant drawn once per use on
a grey dashed edge.  ``scene`` places the boxes and routes the edges
(``render/layout.py``); ``to_svg`` writes them.  The HTML page
(``render/page.py``) embeds the same SVG and drives it by the ids and classes
written here: a node is ``<g class="node" id="n3">`` with ``text.val`` and
``text.adj``, an edge ``<g class="edge" id="e2" data-from="n1" data-to="n3">``.

All text is escaped for XML (a name or a formula cannot add markup) and its
control characters are shown as escapes.  Widths are measured in a monospace
font, so a box fits its text in any viewer.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from gradcli.analyses.export import AnnotatedGraph
from gradcli.render.graph_writers import (ADJOINT_COLOUR, CONSTANT_EDGE, CONSTANT_USE, NODE, PARTIAL_COLOUR,
                                          adjoint_text, drawn, edge_legend, partial_text, value_text)
from gradcli.render.layout import Layout, layout
from gradcli.support.text import printable

FONT = "DejaVu Sans Mono, Menlo, Consolas, monospace"
FONT_SIZE = 12
CHAR_W = 7.4  # a monospace character at 12px (DejaVu Sans Mono's advance is 0.602 em), with room
LINE_H = 15.0
PAD_X, PAD_Y = 8.0, 6.0
MIN_GAP, MAX_GAP = 48.0, 240.0  # between columns: room for the widest edge label, within these
PARALLEL = 14.0  # x*x: the two edges (and their labels) drawn this far apart


@dataclass
class Box:
    id: str  # n3 for a node, c5 for a constant drawn beside edge 5
    node: int | None  # the graph node's index (None for a constant's use)
    kind: str  # input, op, const, use (a constant's use), output
    heading: str
    value: list[str]  # lines
    adjoint: list[str]  # lines; empty for a constant
    width: float
    height: float
    x: float = 0.0  # centre
    y: float = 0.0


@dataclass
class Line:
    id: str  # e5: edge 5 of the graph
    index: int
    source: str  # a box id
    target: str
    label: str  # the local partial, the tensor-level rule, or "" on a constant's edge
    formula: str | None
    constant: bool
    points: list[tuple[float, float]]
    straight: bool = False  # across many columns without dummies (layout.MAX_SPAN): drawn faint


@dataclass
class Scene:
    boxes: list[Box]
    lines: list[Line]
    width: float
    height: float
    legend: str
    layout: Layout


def _clean(text: str) -> str:
    return printable(text)


def _lines(text: str) -> list[str]:
    return [_clean(line.rstrip()) for line in text.split("\n")]


def _box(id_: str, node, kind: str, heading: str, value: list[str], adjoint: list[str]) -> Box:
    lines = [heading, *value, *adjoint]
    width = max(len(line) for line in lines) * CHAR_W + 2 * PAD_X
    return Box(id_, node, kind, heading, value, adjoint, width, len(lines) * LINE_H + 2 * PAD_Y)


def scene(g: AnnotatedGraph) -> Scene:
    """Boxes placed and edges routed, left to right: inputs in the first column, the output last."""
    boxes: list[Box] = []
    lines: list[Line] = []
    where: dict[str, int] = {}
    for what, k, item in drawn(g):
        if what == NODE:
            n = item
            kind = "output" if n.index == g.output_index else n.kind
            if n.constant:
                kind = "const"
            adjoint = [] if n.constant else _lines(adjoint_text(g, n))
            where[n.id] = len(boxes)
            boxes.append(_box(n.id, n.index, kind, _clean(n.heading), _lines(value_text(n.value)), adjoint))
        elif what == CONSTANT_USE:
            edge, value = item
            where[f"c{k}"] = len(boxes)
            boxes.append(_box(f"c{k}", None, "use", "", _lines(value_text(value)), []))
            boxes[-1].height -= LINE_H  # no heading: the number is the constant
            lines.append(Line(f"e{k}", k, f"c{k}", f"n{edge.target}", "", None, True, []))
        else:
            e = item
            label = "" if what == CONSTANT_EDGE else _clean(partial_text(e))
            lines.append(Line(f"e{k}", k, f"n{e.source}", f"n{e.target}", label,
                              None if e.formula is None else _clean(e.formula), what == CONSTANT_EDGE, []))
    widest = max((len(line.label) for line in lines), default=0) * CHAR_W + 24
    pinned = {where[f"n{i}"] for i in g.inputs if f"n{i}" in where}
    placed = layout([(b.width, b.height) for b in boxes], [(where[ln.source], where[ln.target]) for ln in lines],
                    pinned=pinned, layer_gap=min(MAX_GAP, max(MIN_GAP, widest)))
    for b, x, y in zip(boxes, placed.x, placed.y):
        b.x, b.y = x, y
    twins: dict[tuple[str, str], list[Line]] = {}
    for line, route in zip(lines, placed.routes):
        line.points = list(route)
        line.straight = placed.layer[where[line.target]] - placed.layer[where[line.source]] > len(route) - 1
        twins.setdefault((line.source, line.target), []).append(line)
    for group in twins.values():  # x*x: parallel edges side by side, not on top of each other
        for j, line in enumerate(group):
            shift = (j - (len(group) - 1) / 2) * PARALLEL
            line.points = [(px, py + shift) for px, py in line.points]
    legend = f"values in black, d{_clean(g.output)}/d(node) in red, " + edge_legend(g)
    width = max(placed.width, len(legend) * CHAR_W + 24)
    return Scene(boxes, lines, width, placed.height + LINE_H + 8, legend, placed)


def _x(text: str) -> str:
    return html.escape(text, quote=True)


def _f(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def path_data(points: list[tuple[float, float]]) -> str:
    """Smooth curves through the route's points, leaving and entering each one horizontally."""
    (x0, y0), rest = points[0], points[1:]
    parts = [f"M{_f(x0)},{_f(y0)}"]
    for x1, y1 in rest:
        mid = (x0 + x1) / 2
        parts.append(f"C{_f(mid)},{_f(y0)} {_f(mid)},{_f(y1)} {_f(x1)},{_f(y1)}")
        x0, y0 = x1, y1
    return " ".join(parts)


def label_point(points: list[tuple[float, float]]) -> tuple[float, float]:
    """The middle of the route's middle curve (where a curve of ``path_data`` is at t = 1/2)."""
    k = (len(points) - 1) // 2
    (x0, y0), (x1, y1) = points[k], points[k + 1]
    return (x0 + x1) / 2, (y0 + y1) / 2 - 3


def _text(cls: str, x: float, top: float, lines: list[str], extra: str = "") -> str:
    spans = "".join(f'<tspan x="{_f(x)}" dy="{LINE_H if i else 0}">{_x(line) or " "}</tspan>'
                    for i, line in enumerate(lines))
    return f'<text class="{cls}" x="{_f(x)}" y="{_f(top)}"{extra} xml:space="preserve">{spans}</text>'


def svg_body(s: Scene) -> list[str]:
    """The SVG's elements (defs, edges, nodes, legend), for the file and for the page."""
    out = [
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" markerUnits="userSpaceOnUse" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#5a5a5a"/></marker></defs>',
        '<g class="edges">',
    ]
    for line in s.lines:
        dashed = ' stroke-dasharray="4 3" stroke="#9a9a9a"' if line.constant else ' stroke="#5a5a5a"'
        if line.straight:
            dashed += ' stroke-opacity="0.3"'
        out.append(f'<g class="edge{" constant" if line.constant else ""}" id="{line.id}" '
                   f'data-from="{line.source}" data-to="{line.target}">'
                   f'<path d="{path_data(line.points)}" fill="none"{dashed} stroke-width="1.3" '
                   f'marker-end="url(#arrow)"/>')
        if line.formula:
            out.append(f"<title>{_x(line.formula)}</title>")
        if line.label:
            lx, ly = label_point(line.points)
            out.append(f'<text class="partial" x="{_f(lx)}" y="{_f(ly)}" text-anchor="middle" '
                       f'fill="{PARTIAL_COLOUR}" stroke="white" stroke-width="3" paint-order="stroke">'
                       f"{_x(line.label)}</text>")
        out.append("</g>")
    out += ["</g>", '<g class="nodes">']
    for b in s.boxes:
        left, top = b.x - b.width / 2, b.y - b.height / 2
        style = {"use": 'fill="none" stroke="#9a9a9a" stroke-dasharray="3 3"',
                 "const": 'fill="#f4f4f4" stroke="#9a9a9a" stroke-dasharray="3 3"',
                 "input": 'fill="#eef5ff" stroke="#3a3a3a"',
                 "output": 'fill="#fff" stroke="black" stroke-width="2.5"'}.get(b.kind, 'fill="#fff" stroke="#3a3a3a"')
        out.append(f'<g class="node {b.kind}" id="{b.id}"'
                   + ("" if b.node is None else f' data-index="{b.node}"') + ">")
        out.append(f'<rect x="{_f(left)}" y="{_f(top)}" width="{_f(b.width)}" height="{_f(b.height)}" '
                   f'rx="6" {style}/>')
        x = left + PAD_X
        row = top + PAD_Y + FONT_SIZE
        if b.heading:
            out.append(_text("head", x, row, [b.heading], ' font-weight="bold"'))
            row += LINE_H
        out.append(_text("val", x, row, b.value, ' fill="#9a9a9a"' if b.kind == "use" else ""))
        row += LINE_H * len(b.value)
        if b.adjoint:
            out.append(_text("adj", x, row, b.adjoint, f' fill="{ADJOINT_COLOUR}"'))
        out.append("</g>")
    out.append("</g>")
    out.append(f'<text class="legend" x="12" y="{_f(s.height - 8)}" fill="#5a5a5a">{_x(s.legend)}</text>')
    return out


def svg_open(s: Scene, extra: str = "") -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{_f(s.width)}" height="{_f(s.height)}" '
            f'viewBox="0 0 {_f(s.width)} {_f(s.height)}" font-family="{FONT}" font-size="{FONT_SIZE}"{extra}>')


def to_svg(g: AnnotatedGraph) -> str:
    """A standalone SVG file: the picture the DOT writer describes, laid out by gradcli."""
    s = scene(g)
    return "\n".join(['<?xml version="1.0" encoding="UTF-8"?>', svg_open(s),
                      '<rect width="100%" height="100%" fill="white"/>', *svg_body(s), "</svg>"]) + "\n"

