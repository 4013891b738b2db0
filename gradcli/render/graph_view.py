"""Renderers for `gradcli explain --graph`: the computational graph as a tree, output at the root.

Every node shows its operation, value and adjoint.  A node that feeds several
others is drawn in full once, where the tree first reaches it, and as a
reference (``↑ u, shown above``) everywhere else, so a shared subgraph is not
drawn again and again.

The tree is built with an explicit stack.  A long chain would nest deeper than
any terminal is wide, so past ``MAX_DEPTH`` levels the rest of a branch is cut
(``↓ v5, continued below``) and drawn as a further tree after this one: a
100,000-node chain becomes a column of short trees, each node still drawn once.
"""

from __future__ import annotations

from collections import deque

from gradcli.core.tape import CONST, INPUT, OPERATION
from gradcli.core.values import or_zeros, shape, shape_text, to_json
from gradcli.support.numbers import short
from gradcli.autodiff.gradient import Gradient

MAX_DEPTH = 10  # tree levels before a branch continues as a tree of its own

_UNSEEN, _SHOWN, _DEFERRED = 0, 1, 2


def _cone(result: Gradient) -> list[bool]:
    return result.tape.cone([result.problem.output_index])


def graph_json(result: Gradient) -> dict:
    """The output's subgraph, flat and in tape order: each input and operation with its operands' labels."""
    tape = result.tape
    req = tape.requires_grad()
    nodes = []
    for node, needed in zip(tape.nodes, _cone(result)):
        if not needed or node.kind == CONST:
            continue
        i = node.index
        g = result.adjoints[i]
        item = {"node": node.label, "index": i, "kind": node.kind,
                "op": node.op.name if node.op else None,
                "definition": tape.definition(i) if node.kind == OPERATION else None,
                "args": [tape.nodes[a].label for a in node.args],
                "value": to_json(result.values[i]),
                "adjoint": to_json(or_zeros(g, result.values[i])) if req[i] else None}
        if shape(result.values[i]):
            item["shape"] = list(shape(result.values[i]))
        nodes.append(item)
    return {"output": result.output, "value": to_json(result.value), "nodes": nodes}


def node_text(result: Gradient, index: int, req: list[bool]):
    """One line: ``u = b*c  mul  value 6  dJ/du = 3``."""
    from rich.text import Text

    tape = result.tape
    node = tape.nodes[index]
    if node.kind == CONST:
        return Text.assemble((node.label, "bold"), ("  constant", "dim"))
    head = node.label if node.kind == INPUT else f"{node.label} = {tape.definition(index)}"
    kind = "input" if node.kind == INPUT else node.op.name
    value = result.values[index]
    if shape(value):
        kind += f" {shape_text(shape(value))}"
    else:
        text = Text.assemble((head, "bold"), (f"  {kind}", "dim"), f"  value {short(value)}")
        if req[index]:
            g = result.adjoints[index]
            text.append(f"  d{result.output}/d{node.label} = {short(or_zeros(g, value))}", style="cyan")
        return text
    from gradcli.render.cells import Cell

    pieces = [(head, "bold"), (f"  {kind}", "dim"), "  value ", value]  # an array stays an aligned block
    if req[index]:
        g = result.adjoints[index]
        joint = "\n" if value.ndim > 1 else "  "  # after a matrix, on a line of its own
        pieces += [(f"{joint}d{result.output}/d{node.label} = ", "cyan"), or_zeros(g, value)]
    return Cell(*pieces)


def graph_rich(result: Gradient):
    from rich.console import Group
    from rich.text import Text
    from rich.tree import Tree

    tape = result.tape
    req = tape.requires_grad()
    state = [_UNSEEN] * len(tape.nodes)
    roots = deque([result.problem.output_index])
    trees = []
    while roots:
        root = roots.popleft()
        state[root] = _SHOWN
        tree = Tree(node_text(result, root, req), guide_style="dim")
        trees.append(tree)
        stack = [(tree, a, 1) for a in reversed(tape.nodes[root].args)]
        while stack:  # pre-order: the order the tree is drawn in
            parent, i, depth = stack.pop()
            node = tape.nodes[i]
            if node.kind == CONST:
                parent.add(node_text(result, i, req))
            elif state[i] == _SHOWN:
                parent.add(Text(f"↑ {node.label}, shown above", style="dim italic"))
            elif state[i] == _DEFERRED or (node.kind == OPERATION and depth >= MAX_DEPTH):
                if state[i] == _UNSEEN:
                    state[i] = _DEFERRED
                    roots.append(i)
                parent.add(Text(f"↓ {node.label}, continued below", style="dim italic"))
            else:
                state[i] = _SHOWN
                branch = parent.add(node_text(result, i, req))
                stack.extend((branch, a, depth + 1) for a in reversed(node.args))
    if len(trees) == 1:
        return trees[0]
    return Group(*trees)
