"""`gradcli explain --paths --latex`: Bauer's sum written out in LaTeX, one line per input.

Each listed path is the product of its edges' local partials, input side
first (``\\frac{1}{x_{1}} \\cdot 1 \\cdot 1``), and the derivative is their sum,
followed by its value.  The partials are the op table's formulas, simplified
as in every other view.
"""

from __future__ import annotations

from gradcli.support.numbers import short
from gradcli.analyses.paths import PathsResult
from gradcli.core.symbolic import PRODUCT_LEVEL, latex_symbols, simplified_formula
from gradcli.core.tape import CONST


def paths_latex(result: PathsResult) -> str:
    tape = result.sweep.tape
    symbols = latex_symbols(set(tape.own_names()) | {n.label for n in tape.nodes if n.kind != CONST})
    out = symbols[result.sweep.output]
    rows = []
    for item in result.inputs:
        lhs = rf"\frac{{\partial {out}}}{{\partial {symbols[item.name]}}}"
        terms = [_product(result, path.edges, symbols) for path in item.paths]
        text = " + ".join(terms) if terms else "0"
        if item.capped:
            more = item.omitted_count
            text += rf" + \ldots \quad \text{{({more} more paths, summing to {short(item.omitted_sum)})}}"
        rows.append(rf"{lhs} &= {text} = {short(item.gradient)}")
    return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}"


def _product(result: PathsResult, edges: list[int], symbols: dict[str, str]) -> str:
    if not edges:
        return "1"
    return r" \cdot ".join(_factor(result, e, symbols) for e in edges)


def _factor(result: PathsResult, e: int, symbols: dict[str, str]) -> str:
    graph = result.graph
    nodes = result.sweep.tape.nodes
    edge = graph.edges[e]
    node = nodes[edge.dst]
    labels = [nodes[a].label for a in node.args]
    text = simplified_formula(node.op, edge.operand, labels, node.label, latex=True,
                              minimum=PRODUCT_LEVEL + 1, symbols=symbols)
    if text is None:
        text = r"\text{" + graph.formula(e) + "}"
    return rf"\left({text}\right)" if text.startswith("-") else text
