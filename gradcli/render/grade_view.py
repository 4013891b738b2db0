"""Renderers for ``check --against``: each hand-written adjoint beside the sweep's, the first wrong one
with the elements that differ and the slip that explains it."""

from __future__ import annotations

from gradcli.analyses.grading import SLIPS, GradeResult
from gradcli.core.values import shape, shape_text


def grade_json(result: GradeResult) -> dict:
    return {"ok": result.ok, "first_wrong": result.first_wrong, "points": result.points,
            "adjoints": [{"name": g.name, "ok": g.ok, "verdict": g.verdict, "rel_error": g.rel_error,
                          "max_abs_diff": g.max_abs_diff, "where": g.where, "slip": g.slip, "point": g.point}
                         for g in result.adjoints]}


def grade_rich(result: GradeResult):
    from rich.console import Group
    from rich.text import Text

    from gradcli.render.cells import Cell
    from gradcli.render.tables import FitTable

    table = FitTable(title=f"your backward pass against the reverse sweep's, in sweep order "
                           f"({result.points} point{'s' if result.points != 1 else ''})", title_style=None)
    for column in ("adjoint", "verdict", "relative error", "slip"):
        table.add_column(column)
    for g in result.adjoints:
        style = "green" if g.ok else "red"
        error = "—" if g.rel_error is None else f"{g.rel_error:.2g}"
        slip = "" if g.slip is None else f"{g.slip}: {SLIPS[g.slip]}"
        table.add_row(g.name, Text(g.verdict, style=style), error, slip)
    parts = [table]
    first = next((g for g in result.adjoints if g.name == result.first_wrong), None)
    if first is not None:
        where = f" (largest difference at {first.where})" if first.where else ""
        at = "the bound point" if first.point == 0 else f"random point {first.point}"
        parts += [Text(""), Text(f"first wrong: {first.name} at {at}{where}", style="bold red")]
        if first.expected is not None and shape(first.expected) != shape(first.got):
            parts.append(Text(f"{first.name} has shape {shape_text(shape(first.got))}, {first.of} has "
                              f"{shape_text(shape(first.expected))}"))
        parts += [Cell("expected (the sweep's) ="), Cell(first.expected), Cell("got (yours) ="), Cell(first.got)]
    elif result.ok:
        parts.append(Text("every adjoint agrees with the sweep's", style="green"))
    return Group(*parts)
