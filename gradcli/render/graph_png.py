"""The annotated graph as PNG: gradcli's own layout (the SVG's and the page's), drawn by Graphviz.

Graphviz's ``dot`` lays a graph out itself, which takes minutes when many edges cross many
columns (an unrolled recurrence, whose weights reach every step).  Here every box, edge and
label is placed by ``graph_svg.scene`` and written as DOT with every position given (edges as
the same curves as the SVG's); ``neato -n2`` then lays nothing out and only draws.  The PNG is
the SVG's picture; ``--format dot`` still hands the graph to Graphviz's own layout.
"""

from __future__ import annotations

import html

from gradcli.analyses.export import AnnotatedGraph
from gradcli.render.graph_svg import CHAR_W, FONT, FONT_SIZE, Scene, label_point, scene
from gradcli.render.graph_writers import ADJOINT_COLOUR, PARTIAL_COLOUR, render_graphviz

FACE = FONT.split(",")[0]  # the SVG's first choice: the boxes are sized for its advance
ARROW = 9.0  # an arrowhead's length: the edge's curve stops this far before the box
FILLS = {"input": "#eef5ff", "const": "#f4f4f4"}
BREAK = '<br align="left"/>'  # a line of a box, left-aligned as the SVG's


def to_png(g: AnnotatedGraph) -> bytes:
    return render_graphviz(positioned_dot(scene(g)), "png", program="neato", flags=("-n2",))


def positioned_dot(s: Scene) -> str:
    """The scene as DOT with every position given, in points (y up, as Graphviz has it)."""

    def at(x: float, y: float) -> str:
        return f"{x:.1f},{s.height - y:.1f}"

    lines = [
        "digraph gradcli {",
        f'  graph [bb="0,0,{s.width:.1f},{s.height:.1f}", dpi=72, pad=0.1, fontname="{FACE}", '
        f'fontsize={FONT_SIZE}, fontcolor="#5a5a5a", label=<{_x(s.legend)}>, '
        f'lp="{at(12 + len(s.legend) * CHAR_W / 2, s.height - 12)}"];',  # its centre, as the SVG's
        f'  node [shape=box, style="rounded,filled", fillcolor=white, color="#3a3a3a", fixedsize=true, '
        f'fontname="{FACE}", fontsize={FONT_SIZE}];',
        f'  edge [color="#5a5a5a", arrowsize=0.6, fontname="{FACE}", fontsize={FONT_SIZE}, '
        f'fontcolor="{PARTIAL_COLOUR}"];',
    ]
    for b in s.boxes:
        rows = ([f"<b>{_x(b.heading)}</b>"] if b.heading else []) + [_x(v) for v in b.value]
        rows += [f'<font color="{ADJOINT_COLOUR}">{_x(a)}</font>' for a in b.adjoint]
        style = {"use": ', style=dashed, color="#9a9a9a", fontcolor="#9a9a9a"',
                 "output": ", penwidth=2.5"}.get(b.kind, "")
        if b.kind in FILLS:
            style += f', fillcolor="{FILLS[b.kind]}"'
        label = "".join(row + BREAK for row in rows)
        lines.append(f'  {b.id} [pos="{at(b.x, b.y)}!", width={b.width / 72:.3f}, height={b.height / 72:.3f}, '
                     f"label=<{label}>{style}];")
    for line in s.lines:
        attrs = [f'pos="{_curve(line.points, at)}"']
        if line.label:
            attrs += [f"label=<{_x(line.label)}>", f'lp="{at(*label_point(line.points))}"']
        if line.formula:
            attrs.append(f'tooltip="{_x(line.formula)}"')
        if line.constant:
            attrs.append('style=dashed, color="#9a9a9a"')
        lines.append(f"  {line.source} -> {line.target} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _curve(points: list[tuple[float, float]], at) -> str:
    """The route as Graphviz's spline: the SVG's curves (each leaves and enters its points
    horizontally), ending short of the box for the arrowhead, whose tip is the route's end."""
    tip = points[-1]
    points = points[:-1] + [(tip[0] - ARROW, tip[1])]
    spline = [at(*points[0])]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        mid = (x0 + x1) / 2
        spline += [at(mid, y0), at(mid, y1), at(x1, y1)]
    return f"e,{at(*tip)} " + " ".join(spline)


def _x(text: str) -> str:
    return html.escape(text, quote=True)
