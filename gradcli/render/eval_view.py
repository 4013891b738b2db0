"""Renderers for `gradcli eval`: the value and the gradient, for people (Rich) and scripts (JSON)."""

from __future__ import annotations

from gradcli.core.tape import CONST, INPUT
from gradcli.support.numbers import short
from gradcli.autodiff.problem import Gradient
from gradcli.render.tables import FitTable
from gradcli.render.words import plural


def derivative_label(output: str, wrt: str) -> str:
    return f"d{output}/d{wrt}"


def node_rows(result: Gradient) -> list[dict]:
    """Every input and operation node with its value and adjoint (constants left out).

    Forward mode computes no adjoints for intermediate nodes: those are None.
    """
    tape = result.tape
    rows = []
    for node in tape.nodes:
        if node.kind == CONST:
            continue
        adjoint = result.adjoints[node.index]
        rows.append({"node": node.label, "index": node.index,
                     "kind": node.kind, "op": node.op.name if node.op else None,
                     "definition": None if node.kind == INPUT else tape.definition(node.index),
                     "value": result.values[node.index],
                     "adjoint": adjoint if adjoint == adjoint else None})
    return rows


def eval_json(result: Gradient, all_nodes: bool = False) -> dict:
    data = {"output": result.output, "value": result.value, "gradient": result.gradient}
    if result.mode != "reverse":
        data["mode"] = result.mode
        data["passes"] = result.passes
    if all_nodes:
        data["nodes"] = node_rows(result)
    return data


def eval_rich(result: Gradient, all_nodes: bool = False):
    from rich.console import Group
    from rich.text import Text

    out = result.output
    # A heading line rather than the table's title, which would wrap to the table's width.
    heading = Text(f"{out} = {short(result.value)}", style="bold")
    if result.mode == "paths":
        heading.append(f"   (paths mode: {plural(result.passes, 'path product', number=f'{result.passes:,}')} "
                       "summed)")
    elif result.mode != "reverse":
        heading.append(f"   ({result.mode} mode, {plural(result.passes, 'pass')})")
    table = FitTable()
    table.add_column("input")
    table.add_column("value", justify="right")
    table.add_column("gradient", justify="right")
    for name, grad in result.gradient.items():
        value = result.values[result.tape.names[name]]
        table.add_row(name, short(value), f"{derivative_label(out, name)} = {short(grad)}")
    if not result.gradient:
        table.add_row("(no inputs)", "", "")
    if not all_nodes:
        return Group(heading, table)
    nodes = FitTable(title=f"every node (adjoint = d{out}/d node)", title_style=None)
    for col, justify in [("node", "left"), ("definition", "left"), ("value", "right"), ("adjoint", "right")]:
        nodes.add_column(col, justify=justify)
    for row in node_rows(result):
        adjoint = "—" if row["adjoint"] is None else f"d{row['node']} = {short(row['adjoint'])}"
        nodes.add_row(row["node"], row["definition"] or "input", short(row["value"]), adjoint)
    return Group(heading, table, "", nodes)
