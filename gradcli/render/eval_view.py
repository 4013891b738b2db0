"""Renderers for `gradcli eval`: the value and the gradient, for people (Rich) and scripts (JSON)."""

from __future__ import annotations

from gradcli.core.tape import CONST, INPUT
from gradcli.analyses import passes
from gradcli.core.values import dense, is_zero, shape, to_json
from gradcli.support.numbers import short
from gradcli.autodiff.gradient import Gradient
from gradcli.render.words import plural


NO_GRADIENT = "no gradient (integers)"  # an input that holds integers (indices, labels)


def derivative_label(output: str, wrt: str) -> str:
    return f"d{output}/d{wrt}"


def node_rows(result: Gradient) -> list[dict]:
    """Every input and operation node with its value and adjoint (constants left out).

    Forward mode computes no adjoints for intermediate nodes: those are None.
    In a program with arrays a row also has the node's ``shape``; values and
    adjoints stay floats or arrays (``eval_json`` writes arrays as nested lists).
    """
    tape = result.tape
    shaped = passes.has_arrays(result.problem)  # rows say their shape
    rows = []
    for node in tape.nodes:
        if node.kind == CONST:
            continue
        value = result.values[node.index]
        adjoint = result.adjoints[node.index]
        if is_zero(adjoint):
            adjoint = dense(adjoint)  # nothing reached it: the symbolic zero (None: forward mode did not compute it)
        row = {"node": node.label, "index": node.index,
               "kind": node.kind, "op": node.op.name if node.op else None,
               "definition": None if node.kind == INPUT else tape.definition(node.index),
               "value": value, "adjoint": adjoint}
        if shaped:
            row["shape"] = list(shape(value))
        rows.append(row)
    return rows


def eval_json(result: Gradient, all_nodes: bool = False) -> dict:
    """The value and gradient; with arrays, nested lists and ``"shapes"`` of the inputs and output.

    A program without arrays has no ``"shapes"`` key: its JSON is what it always was.
    """
    data = {"output": result.output, "value": to_json(result.value),
            "gradient": {name: to_json(g) for name, g in result.gradient.items()}}
    names = result.tape.names
    shapes = passes.shapes(result.problem, {name: result.values[names[name]]
                                            for name in [*result.problem.wrt, result.output]})
    if shapes is not None:
        data["shapes"] = {name: list(s) for name, s in shapes.items()}
    if result.mode != "reverse":
        data["mode"] = result.mode
        data["passes"] = result.passes
    if all_nodes:
        data["nodes"] = [{**row, "value": to_json(row["value"]),
                          "adjoint": None if row["adjoint"] is None else to_json(row["adjoint"])}
                         for row in node_rows(result)]
    return data


def eval_rich(result: Gradient, all_nodes: bool = False):
    from gradcli.render.array_text import heading as heading_of
    from gradcli.render.cells import Cell, value_cell
    from gradcli.render.tables import FitTable
    from rich.console import Group

    out = result.output
    shaped = passes.has_arrays(result.problem)  # a table too wide falls back to blocks
    # A heading line rather than the table's title, which would wrap to the table's width.
    note = ""
    if result.mode == "paths":
        note = f"   (paths mode: {plural(result.passes, 'path product', number=f'{result.passes:,}')} summed)"
    elif result.mode != "reverse":
        count = plural(result.passes, 'pass')
        if shaped:
            count += ", one per input element"
        note = f"   ({result.mode} mode, {count})"
    heading = Cell(f"{out} = ", result.value, note, style="bold")
    table = FitTable()
    table.add_column("input")
    table.add_column("value", justify="right")
    table.add_column("gradient", justify="right")
    unread = result.problem.unread()
    gradient, integers = result.gradient, result.problem.integers
    for name in result.tape.input_names():
        value = result.values[result.tape.names[name]]
        if name in integers:  # indices, labels: never differentiated
            table.add_row(heading_of(name, value), value_cell(value), NO_GRADIENT)
        elif name in gradient:
            note = f" ({out} does not read {name})" if name in unread else ""
            table.add_row(heading_of(name, value), value_cell(value),
                          _equals(derivative_label(out, name), gradient[name], note))
    if not result.gradient and not integers:
        table.add_row("(no inputs)", "", "")
    if shaped:
        table.fallback = blocks([(heading_of(name, result.values[result.tape.names[name]]),
                                  result.values[result.tape.names[name]],
                                  NO_GRADIENT if name in integers else derivative_label(out, name), gradient.get(name))
                                 for name in result.tape.input_names() if name in integers or name in gradient])
    if not all_nodes:
        return Group(heading, table)
    nodes = FitTable(title=f"every node (adjoint = d{out}/d node)", title_style=None)
    for col, justify in [("node", "left"), ("definition", "left"), ("value", "right"), ("adjoint", "right")]:
        nodes.add_column(col, justify=justify)
    rows = node_rows(result)
    d = result.tape.adjoint_prefix()
    for row in rows:
        adjoint = "—" if row["adjoint"] is None else _equals(f"{d}{row['node']}", row["adjoint"])
        nodes.add_row(heading_of(row["node"], row["value"]), row["definition"] or "input", value_cell(row["value"]),
                      adjoint)
    if shaped:
        nodes.fallback = Group(blocks([
            (heading_of(row["node"], row["value"]) + ("" if row["definition"] is None else f" = {row['definition']}"),
             row["value"], f"{d}{row['node']}", row["adjoint"]) for row in rows]))
    return Group(heading, table, "", nodes)


def blocks(items: list[tuple]):
    """(heading, value, derivative label, derivative) as lines one under another, for a table too
    wide for its terminal: a grid keeps its alignment and its rows stay whole."""
    from gradcli.render.cells import Cell
    from rich.console import Group
    from rich.text import Text

    parts = []
    for head, value, label, derivative in items:
        if not shape(value) and not shape(derivative):
            parts.append(Cell((head, "bold"), f" = {short(value)}   ",
                              _missing(label) if derivative is None else f"{label} = {short(derivative)}"))
            continue
        if parts:
            parts.append(Text(""))
        parts += [Cell((head, "bold"), " =" if not shape(value) else ""), Cell(value)]
        parts += [Cell(_missing(label) if derivative is None else f"{label} ="),
                  Text("") if derivative is None else Cell(derivative)]
    return Group(*parts)


def _missing(label: str) -> str:
    """What stands for a derivative not computed: a dash, or why there is none (an input of integers)."""
    return label if label == NO_GRADIENT else "—"


def _equals(label: str, value, note: str = ""):
    """``df/dx = 1.5``; an array's grid goes on the lines below its label."""
    from gradcli.render.cells import Cell

    return Cell(f"{label} ={note}\n", value) if shape(value) else f"{label} = {short(value)}{note}"


def value_note(result) -> str:
    name = result.output
    return (f"{name} is an array: its value alone (a gradient is of one number: take sum({name}), "
            f"norm({name}) or an element {name}[0], or use 'gradcli jacobian' for every element)")


def value_json(result) -> dict:
    return {"output": result.output, "value": to_json(result.value), "shape": list(shape(result.value)),
            "gradient": None, "note": value_note(result)}


def value_rich(result):
    from gradcli.render.array_text import heading as heading_of
    from gradcli.render.cells import Cell
    from rich.console import Group
    from rich.text import Text

    return Group(Cell((f"{heading_of(result.output, result.value)} =", "bold")), Cell(result.value),
                 Text(value_note(result), style="dim"))
