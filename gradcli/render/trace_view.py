"""Renderers for `gradcli explain --trace`: the evaluation trace as in Baydin et al. (2018), Tables 2 and 3."""

from __future__ import annotations

from gradcli.core.values import shape, to_json
from gradcli.support.numbers import short
from gradcli.analyses.trace import TraceResult
from gradcli.render.tables import FitTable


def trace_json(result: TraceResult) -> dict:
    rows = []
    for row in result.rows:
        item = {"index": row.index, "trace_name": row.trace_name, "name": row.name,
                "definition": row.definition, "value": to_json(row.value)}
        if shape(row.value):
            item["shape"] = list(shape(row.value))
        if result.tangent_seed is not None:
            item["tangent"] = row.tangent
        if result.adjoint:
            item["adjoint"] = to_json(row.adjoint)
        rows.append(item)
    data = {"output": result.output, "value": result.value, "trace": rows}
    if result.tangent_seed is not None:
        data["tangent_seed"] = result.tangent_seed
    return data


def trace_rich(result: TraceResult):
    from gradcli.render.cells import Cell, value_cell

    out = result.output
    seed = result.tangent_seed
    title = f"evaluation trace of {out} = {short(result.value)}"
    table = FitTable(title=title, keys=2)
    table.add_column(result.prefix)
    table.add_column("name")
    table.add_column("definition")
    table.add_column("value", justify="right")
    if seed is not None:
        table.add_column(f"tangent d·/d{seed}", justify="right")
    if result.adjoint:
        table.add_column(f"adjoint d{out}/d·", justify="right")
    output_row = result.output_row
    for row in result.rows:
        cells = [row.trace_name, row.name or "", row.definition or "input", value_cell(row.value)]
        if seed is not None:
            cells.append(short(row.tangent))
        if result.adjoint:
            cells.append(value_cell(row.adjoint))
        style = "bold" if row is output_row else None
        table.add_row(*cells, style=style)
        if row.index == 0 and len(result.rows) > 1:
            table.add_section()  # inputs above the line, operations below, as in the tables
    notes = [f"{out} = {output_row.trace_name}"]
    if seed is not None:
        notes.append(f"\nforward mode, one pass seeded at {seed}: d{out}/d{seed} = {short(output_row.tangent)}")
    if result.adjoint:
        notes.append("\nreverse mode, one sweep: ")
        inputs = [r for r in result.rows if r.index <= 0]
        for k, r in enumerate(inputs):
            notes += [f"d{out}/d{r.name} = ", r.adjoint, ", " if k < len(inputs) - 1 else ""]
    table.caption = Cell(*notes, style="table.caption")
    return table
