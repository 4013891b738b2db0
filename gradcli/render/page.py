"""The interactive page: one self-contained, offline HTML file of the forward and backward pass.

``page_data`` is a pure function of a ``Walkthrough`` (the annotated graph, the
backward steps, the paths) giving a JSON-ready dict: the steps of the forward
pass (tape order) and of the backward pass (from the output back), each with the
node, the edges it uses and its rule written out; each input's paths with their
products; every node's numbers.  ``graph_page`` writes the HTML: the SVG that
``graph --format svg`` draws (``render/graph_svg.py``), that dict as JSON, and
the static script and style shipped beside this module (``assets/page.js``,
``assets/page.css``, package data), all inline: no network, no CDN.

The JSON sits in a ``<script type="application/json">`` block with ``<``, ``>``,
``&`` and the line separators escaped as ``\\uXXXX``, so no name or formula can
close the block; everything in the HTML and the SVG is escaped for markup.
"""

from __future__ import annotations

import html
from importlib import resources

from gradcli.analyses.export import AnnotatedGraph, GraphEdge
from gradcli.analyses.walkthrough import Walkthrough
from gradcli.core.tape import CONST, INPUT
from gradcli.core.values import shape, shape_text, size, to_json
from gradcli.render.graph_svg import scene, svg_body, svg_open
from gradcli.render.graph_writers import SMALL, partial_text
from gradcli.support.numbers import json_text, short
from gradcli.support.text import printable

TIMES = "\u00d7"
PARTIAL = "\u2202"


def inline(v) -> str:
    """A value on one line: ``0.731059``; a small array ``[[1, 2], [3, 4]]``; a large one ``(20, 30) array``."""
    if v is None:
        return "0"
    if not shape(v):
        return short(float(v))
    if size(v) > SMALL:
        return f"{shape_text(shape(v))} array"
    items = v.tolist()

    def text(item):
        return "[" + ", ".join(text(x) for x in item) + "]" if isinstance(item, list) else short(float(item))

    return text(items) if isinstance(items, list) else short(float(items))


def _json(v):
    return None if v is None else to_json(v)


def page_data(w: Walkthrough) -> dict:
    """Everything the page's script reads (ids are the SVG's: ``n3`` a node, ``e5`` an edge)."""
    g = w.graph
    out = g.output
    by_index = {n.index: n for n in g.nodes}
    into: dict[int, list[int]] = {}
    leaving: dict[int, list[int]] = {}
    for k, e in enumerate(g.edges):
        into.setdefault(e.target, []).append(k)
        leaving.setdefault(e.source, []).append(k)
    handed = _contributions(w)
    nodes = {}
    for n in g.nodes:
        if n.kind == CONST:
            continue
        nodes[n.id] = {
            "label": printable(n.label), "title": printable(n.heading), "kind": n.kind,
            "definition": None if n.definition is None else printable(n.definition),
            "constant": n.constant, "output": n.index == g.output_index,
            "shape": None if n.shape is None else list(n.shape),
            "value": _json(n.value), "adjoint": None if n.constant else _json(n.adjoint if n.adjoint is not None else 0.0),
            "valueText": inline(n.value), "adjointText": None if n.constant else inline(n.adjoint),
            "gradName": f"d{printable(out)}/d{printable(n.label)}",
            "in": [f"e{k}" for k in into.get(n.index, [])], "out": [f"e{k}" for k in leaving.get(n.index, [])],
        }
    edges = {}
    for k, e in enumerate(g.edges):
        source = f"c{k}" if e.constant and by_index[e.source].kind == CONST else f"n{e.source}"
        edges[f"e{k}"] = {"from": source, "to": f"n{e.target}", "operand": e.operand, "constant": e.constant,
                          "partial": e.partial, "text": "" if e.constant else printable(partial_text(e)),
                          "formula": None if e.formula is None else printable(e.formula),
                          "handed": None if k not in handed else _json(handed[k])}
    forward = [_forward_step(g, n, into, by_index) for n in g.nodes if n.kind != CONST]
    backward = [_backward_step(g, n, leaving, handed, by_index) for n in reversed(g.nodes)
                if n.kind != CONST and not n.constant]
    return {
        "output": printable(out), "outputId": f"n{g.output_index}", "value": _json(g.value),
        "valueText": inline(g.value), "arrays": w.steps.tensor,
        "nodes": nodes, "edges": edges, "forward": forward, "backward": backward,
        "paths": _paths(w),
    }


def _contributions(w: Walkthrough) -> dict[int, object]:
    """Edge k -> what it hands back to its source (upstream x local), as the backward steps computed it."""
    g = w.graph
    queue: dict[tuple[int, int], list] = {}
    for step in w.steps.steps:
        for op in step.operands:
            queue.setdefault((step.index, op.index), []).append(op.contribution)
    handed = {}
    for k, e in enumerate(g.edges):
        waiting = queue.get((e.target, e.source))
        if not e.constant and waiting:
            handed[k] = waiting.pop(0)
    return handed


def _forward_step(g: AnnotatedGraph, n, into, by_index) -> dict:
    if n.kind == INPUT:
        rule = [f"{printable(n.label)} = {inline(n.value)}   (an input: its value is given)"]
    else:
        operands = [by_index[g.edges[k].source] for k in into.get(n.index, [])]
        known = ", ".join(dict.fromkeys(f"{printable(o.label)} = {inline(o.value)}" for o in operands
                                        if o.kind != CONST))
        rule = [f"{printable(n.label)} = {printable(n.definition or '')}"]
        if known:
            rule.append(f"with {known}")
        rule.append(f"{printable(n.label)} = {inline(n.value)}")
    return {"node": n.id, "edges": [f"e{k}" for k in into.get(n.index, [])], "rule": rule}


def _backward_step(g: AnnotatedGraph, n, leaving, handed, by_index) -> dict:
    out = printable(g.output)
    name = f"d{out}/d{printable(n.label)}"
    if n.index == g.output_index:
        return {"node": n.id, "edges": [], "rule": [f"{name} = 1   (the seed: the output's gradient "
                                                    "with respect to itself)"]}
    used = [k for k in leaving.get(n.index, []) if not g.edges[k].constant]
    if not used:
        return {"node": n.id, "edges": [], "rule": [f"{name} = 0   ({out} does not read {printable(n.label)})"]}
    label = printable(n.label)
    targets = [printable(by_index[g.edges[k].target].label) for k in used]
    adjoints = [by_index[g.edges[k].target].adjoint for k in used]
    if g.edges[used[0]].tensor:
        rule = [f"{name} = " + " + ".join(printable(g.edges[k].formula or "") for k in used)
                + ("   (the sum of what each use hands back)" if len(used) > 1 else ""),
                f"{name} = {inline(n.adjoint)}"]
    else:
        products = [handed.get(k) for k in used]
        rule = [f"{name} = " + " + ".join(f"d{out}/d{t} {TIMES} {PARTIAL}{t}/{PARTIAL}{label}" for t in targets)
                + ("   (at a fork: the sum of what arrives)" if len(used) > 1 else "")
                + "   (upstream \u00d7 local = downstream)",
                "= " + " + ".join(f"{inline(a)} {TIMES} {_local(g.edges[k])}" for a, k in zip(adjoints, used)),
                "= " + " + ".join(inline(p) for p in products) + (f" = {inline(n.adjoint)}" if len(used) > 1 else "")]
    return {"node": n.id, "edges": [f"e{k}" for k in used], "rule": rule}


def _local(e: GraphEdge) -> str:
    text = partial_text(e)
    return f"({text})" if text.startswith("-") else text


def _paths(w: Walkthrough) -> dict:
    """Each input's paths: the listed ones (edge ids, partials, product) and the exact count and sum."""
    g, result = w.graph, w.paths
    key = {(e.source, e.target, e.operand): k for k, e in enumerate(g.edges)}
    pg = result.graph
    found = {}
    for ip in result.inputs:
        listed = []
        for path in ip.paths:
            ids = [f"e{key[(pg.edges[e].src, pg.edges[e].dst, pg.edges[e].operand)]}" for e in path.edges]
            if result.tensor:
                text = inline(path.product)  # a chain of VJPs: its contribution, no scalar partials
            else:
                text = f" {TIMES} ".join(f"({short(p)})" if short(p).startswith("-") else short(p)
                                         for p in path.partials) + f" = {inline(path.product)}"
            listed.append({"edges": ids, "product": _json(path.product), "text": text,
                           "nodes": [printable(pg.label(v)) for v in path.nodes]})
        found[f"n{ip.index}"] = {
            "input": printable(ip.name), "count": str(ip.path_count), "listed": listed, "capped": ip.capped,
            "omitted": str(ip.omitted_count), "omittedSum": _json(ip.omitted_sum) if ip.omitted_count else None,
            "omittedText": inline(ip.omitted_sum) if ip.omitted_count else None,
            "gradient": _json(ip.gradient), "gradientText": inline(ip.gradient),
            # Bauer's sum: the listed products added up (and, when some are not listed, their sum).
            "pathSumText": inline(ip.listed_sum + ip.omitted_sum) if listed else "0",
            "listedSumText": inline(ip.listed_sum) if listed else "0",
        }
    return found


def script_json(data: dict) -> str:
    """JSON that cannot end the ``<script>`` block it sits in, whatever names it holds."""
    text = json_text(data)
    for char in ("<", ">", "&", "\u2028", "\u2029"):
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


def _asset(name: str) -> str:
    return resources.files("gradcli.render").joinpath("assets", name).read_text(encoding="utf-8")


def graph_page(w: Walkthrough) -> str:
    """The whole page, one file, nothing fetched."""
    s = scene(w.graph)
    out_node = next(n for n in w.graph.nodes if n.index == w.graph.output_index)
    title = html.escape(f"gradcli: {printable(out_node.title)}", quote=True)
    script = _asset("page.js")
    assert "</script" not in script.lower()
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}</title>",
        f"<style>\n{_asset('page.css')}</style>",
        "</head><body>",
        f'<header><h1>{title}</h1><nav id="controls">'
        '<button id="reset" title="back to the start (Home)">&#xAB; start</button>'
        '<button id="back" title="one step back (&#x2190;)">&#x25C0; back</button>'
        '<button id="step" title="one step (&#x2192; or space)">step &#x25B6;</button>'
        '<button id="play" title="play or pause (p)">&#x25B6;&#x25B6; play</button>'
        '<button id="end" title="to the end (End)">end &#xBB;</button>'
        '<button id="collapse" title="collapse long chains (c)">collapse chains</button>'
        '<button id="fit" title="fit the graph (f)">fit</button>'
        '<span id="counter"></span></nav></header>',
        '<main><div id="stage">',
        svg_open(s, ' id="graph" preserveAspectRatio="xMidYMid meet"'),
        *svg_body(s),
        "</svg></div>",
        '<aside id="panel"><section id="rule"><h2>Step</h2><div id="rule-text"></div></section>'
        '<section id="detail"><h2>Click a node</h2><div id="detail-text">'
        "Click a node for its formula, value, gradient and local partials; click an input for its "
        "paths to the output, each with its product, and their sum.</div></section></aside></main>",
        '<footer>Keys: &#x2192; or space step, &#x2190; back, p play, Home start, End end, c collapse chains, '
        "f fit. Drag to pan, wheel to zoom. Forward pass: values in green, in tape order. Backward pass: "
        "gradients in red, from the output back. Made by gradcli.</footer>",
        f'<script type="application/json" id="gradcli-data">{script_json(page_data(w))}</script>',
        f"<script>\n{script}</script>",
        "</body></html>",
    ]) + "\n"
