"""Renderers for `gradcli explain --paths`: every path's edge partials, products and their sum.

``paths_json`` gives scripts the exact path counts and every listed path;
``paths_rich`` gives a learner one tree per input: each path edge by edge
(``∂v1/∂x1 = 1/x1 = 0.5``), its product, the sum over the paths, and a check
of that sum against the reverse sweep.
"""

from __future__ import annotations

from gradcli.core.values import agrees, shape, shape_text, to_json
from gradcli.support.numbers import short
from gradcli.analyses.paths import InputPaths, Path, PathsResult, count_text
from gradcli.render.words import plural

# One line: the README explains the formula at length.
BAUER = "Bauer's formula: d{out}/dx = the sum over paths x → {out} of the product of the edge partials ∂v/∂u"
ARRAY_BAUER = ("With vectors and matrices: d{out}/dX = the sum over paths X → {out} of each path's contribution, the "
               "output's seed handed back through each edge's rule (its VJP) alone")
EDGES_SHOWN = 12  # a longer path shows its first and last EDGES_SHOWN // 2 edges


def paths_json(result: PathsResult) -> dict:
    graph = result.graph
    inputs = {}
    for item in result.inputs:
        inputs[item.name] = {
            "gradient": to_json(item.gradient),
            "path_count": item.path_count,
            "capped": item.capped,
            "paths": [{"nodes": [graph.label(v) for v in path.nodes],
                       "partials": path.partials,
                       "formulas": [graph.formula(e) for e in path.edges],
                       "product": to_json(path.product)} for path in item.paths],
            "listed_sum": to_json(item.listed_sum),
            "omitted": {"count": item.omitted_count, "sum": to_json(item.omitted_sum)},
        }
        if result.tensor:  # the rules are VJPs (no scalar partials); products are contributions
            inputs[item.name]["shape"] = list(shape(item.gradient))
    return {"output": result.sweep.output, "value": result.sweep.value, "max_paths": result.max_paths,
            "inputs": inputs}


def paths_rich(result: PathsResult):
    from rich.console import Group
    from rich.text import Text

    out = result.sweep.output
    parts = [Text(f"{out} = {short(result.sweep.value)}", style="bold"),
             Text((ARRAY_BAUER if result.tensor else BAUER).format(out=out), style="italic"), Text("")]
    for item in result.inputs:
        parts += [(_contribution_tree if result.tensor else _product_tree)(result, item), Text("")]
    if not result.inputs:
        parts.append(Text("(no inputs)"))
    return Group(*parts)


def _count_paths(head, item, out: str, listed: str) -> bool:
    """Add to an input's heading how many paths reach the output and which are listed; False when none does."""
    if item.path_count == 0:
        head.append(f": no path to {out}: gradient 0", style="not bold")
        return False
    head.append(f": {plural(item.path_count, 'path', number=count_text(item.path_count))} to {out}",
                style="not bold")
    if item.capped:
        head.append(f"; the {len(item.paths)} {listed}" if item.paths else "; none listed (--max-paths 0)",
                    style="not bold")
    return True


def _product_tree(result: PathsResult, item: InputPaths):
    """One input of a program of numbers: each path's partials and product, and their sum checked."""
    from rich.text import Text
    from rich.tree import Tree

    out = result.sweep.output
    derivative = f"d{out}/d{item.name}"
    head = Text(f"{item.name} = {short(result.sweep.values[item.index])}", style="bold")
    if not _count_paths(head, item, out, "with the largest |product|, largest first"):
        return Tree(head)
    tree = Tree(head)
    for number, path in enumerate(item.paths, 1):
        _add_path(tree, result.graph, number, path)
    if item.capped:
        more = "more " if item.paths else ""
        omitted = plural(item.omitted_count, f"{more}path", number=count_text(item.omitted_count))
        they = "it sums" if item.omitted_count == 1 else "they sum"
        tree.add(Text(f"… {omitted}, not listed: {they} to {short(item.omitted_sum)} "
                      f"(the reverse sweep's {derivative} minus the listed sum)"))
        tree.add(Text(f"all paths: listed {short(item.listed_sum)} + omitted {short(item.omitted_sum)} = "
                      f"{short(item.gradient)} = the reverse sweep's {derivative}", style="green"))
        return tree
    total = item.listed_sum
    terms = _sum_text([p.product for p in item.paths])
    tree.add(Text(f"sum over {plural(len(item.paths), 'path')}: {short(total)}"))
    tree.add(_check(terms, total, item.gradient, derivative))
    return tree


def _add_path(tree, graph, number: int, path: Path) -> None:
    """One path under ``tree``, edge by edge, and its product (a tape's graph or an element graph)."""
    from rich.text import Text

    label = graph.label
    n = len(path.edges)
    hidden = n - EDGES_SHOWN - 1  # nodes between the first and the last EDGES_SHOWN // 2 edges
    if hidden > 0:
        half = EDGES_SHOWN // 2
        route = " → ".join([label(v) for v in path.nodes[:half + 1]] + [f"… {plural(hidden, 'node')} …"]
                           + [label(v) for v in path.nodes[n - half:]])
    else:
        route = " → ".join(label(v) for v in path.nodes)
    branch = tree.add(Text(f"path {number}: {route}"))
    if n == 0:
        branch.add(Text("the input is the output: no edges, product 1"))
        return
    shown = range(n)
    if n > EDGES_SHOWN:
        half = EDGES_SHOWN // 2
        shown = [*range(half), None, *range(n - half, n)]
    for k in shown:
        if k is None:
            branch.add(Text(f"… {plural(n - EDGES_SHOWN, 'more edge')} …", style="dim"))
            continue
        branch.add(_edge_text(graph, path.edges[k]))
    if n == 1:
        product = f"product {short(path.product)}"
    elif n <= EDGES_SHOWN:
        product = "product " + " × ".join(_factor(p) for p in path.partials) + f" = {short(path.product)}"
    else:
        product = f"product of the {n} partials = {short(path.product)}"
    branch.add(Text(product, style="bold"))


def _edge_text(graph, e: int):
    from rich.text import Text

    edge = graph.edges[e]
    value = short(edge.partial)
    formula = graph.formula(e)
    text = Text(f"∂{graph.label(edge.dst)}/∂{graph.label(edge.src)} = ")
    if formula != value:
        text.append(f"{formula} = ")
    text.append(value, style="bold")
    where = graph.where(e)
    text.append(f"   ({where})", style="dim")
    return text


def _factor(x: float) -> str:
    text = short(x)
    return f"({text})" if text.startswith("-") else text


def _sum_text(terms: list[float]) -> str:
    """``0.5 + 5``, ``2 - 0.283662``: the path products as a sum a person would write."""
    if not terms:
        return "0"
    text = short(terms[0])
    for t in terms[1:]:
        shown = short(t)
        text += f" - {shown[1:]}" if shown.startswith("-") else f" + {shown}"
    return text


def _check(terms: str, total: float, gradient: float, derivative: str):
    from rich.text import Text

    if total == gradient:
        return Text(f"check: {terms} = {short(total)} = the reverse sweep's {derivative} ✓", style="green")
    if agrees(total, gradient):
        return Text(f"check: {terms} = {short(total)} = the reverse sweep's {derivative} ✓ "
                    f"(to rounding: {total!r} vs {gradient!r})", style="green")
    return Text(f"check: {terms} = {short(total)}, but the reverse sweep's {derivative} = {short(gradient)}",
                style="red")


def _contribution_tree(result: PathsResult, item: InputPaths):
    """One input of an array program: each path's rules (VJPs) and contribution, and their sum."""
    from rich.text import Text
    from rich.tree import Tree

    from gradcli.render.cells import Cell

    out = result.sweep.output
    derivative = f"d{out}/d{item.name}"
    nodes = result.sweep.tape.nodes
    head = Text(f"{item.name} {shape_text(shape(item.gradient))}", style="bold")
    among = f" among the first {result.searched:,}" if item.path_count > result.searched else ""
    if not _count_paths(head, item, out, f"with the largest contribution (by norm){among}"):
        return Tree(head)
    tree = Tree(head)
    for number, path in enumerate(item.paths, 1):
        branch = tree.add(Text(f"path {number}: " + " → ".join(nodes[v].label for v in path.nodes)))
        for e in reversed(path.edges):
            edge = result.graph.edges[e]
            where = f"{nodes[edge.dst].label} = {result.sweep.tape.definition(edge.dst)}"
            if nodes[edge.dst].args.count(edge.src) > 1:
                where += f", operand {edge.operand + 1}"
            branch.add(Text(f"{result.sweep.tape.adjoint_prefix()}{nodes[edge.src].label} ← {result.graph.formula(e)}   ({where})"))
        branch.add(Cell("contribution ", path.product, style="bold"))
    total = item.listed_sum
    if item.capped:
        tree.add(Cell(f"… {plural(item.omitted_count, 'more path', number=count_text(item.omitted_count))}, "
                      "not listed: they sum to ", item.omitted_sum))
        total = item.gradient
    else:
        tree.add(Cell(f"sum over {plural(len(item.paths), 'path')}: ", total))
    same = agrees(total, item.gradient)
    tail = ["✓"] if same else ["✗ ", item.gradient]
    tree.add(Cell(f"check: = the reverse sweep's {derivative} ", *tail, style="green" if same else "red"))
    return tree


def element_paths_json(result) -> dict:
    """The scalar paths JSON, each input keyed by its element's label (``"W[0,1]"``)."""
    graph = result.graph
    inputs = {}
    for item in result.inputs:
        inputs[item.name] = {
            "gradient": item.gradient,
            "path_count": item.path_count,
            "capped": item.capped,
            "paths": [{"nodes": [graph.label(v) for v in path.nodes],
                       "partials": path.partials,
                       "formulas": [graph.formula(e) for e in path.edges],
                       "product": path.product} for path in item.paths],
            "listed_sum": item.listed_sum,
            "omitted": {"count": item.omitted_count, "sum": item.omitted_sum},
        }
    return {"output": result.output, "value": result.value, "max_paths": result.max_paths, "inputs": inputs}


def element_paths_rich(result):
    """One tree per input element: its paths through the element graph, edge by edge, and their sum."""
    from rich.console import Group
    from rich.text import Text
    from rich.tree import Tree

    graph, out = result.graph, result.output
    parts = [Text(f"{out} = {short(result.value)}", style="bold"),
             Text(BAUER.format(out=out) + ", on the graph of single elements", style="italic"), Text("")]
    for item in result.inputs:
        derivative = f"d{out}/d{item.name}"
        head = Text(item.name, style="bold")
        if not _count_paths(head, item, out, "with the largest |product|, largest first"):
            parts += [Tree(head), Text("")]
            continue
        tree = Tree(head)
        for number, path in enumerate(item.paths, 1):
            _add_path(tree, graph, number, path)
        if item.capped:
            omitted = plural(item.omitted_count, "more path" if item.paths else "path",
                             number=count_text(item.omitted_count))
            tree.add(Text(f"… {omitted}, not listed: they sum to {short(item.omitted_sum)} "
                          f"(the reverse sweep's {derivative} minus the listed sum)"))
            tree.add(Text(f"all paths: listed {short(item.listed_sum)} + omitted {short(item.omitted_sum)} = "
                          f"{short(item.gradient)} = the reverse sweep's {derivative}", style="green"))
        else:
            total = item.listed_sum
            tree.add(Text(f"sum over {plural(len(item.paths), 'path')}: {short(total)}"))
            tree.add(_check(_sum_text([p.product for p in item.paths]), total, item.gradient, derivative))
        parts += [tree, Text("")]
    return Group(*parts)
