"""Renderers for `gradcli jacobian`: the matrix, and what each mode would have cost."""

from __future__ import annotations

from gradcli.analyses.jacobian import JacobianResult, cheaper_mode
from gradcli.support.numbers import short
from gradcli.render.tables import FitTable
from gradcli.render.words import plural


def jacobian_json(result: JacobianResult) -> dict:
    return {"outputs": result.outputs, "inputs": result.inputs, "values": result.values,
            "jacobian": result.matrix, "mode": result.mode, "passes": result.passes,
            "passes_forward": result.passes_forward, "passes_reverse": result.passes_reverse}


def cost_text(result: JacobianResult) -> str:
    """Both pass counts and which mode is cheaper for this shape (m outputs by n inputs)."""
    n, m = result.passes_forward, result.passes_reverse
    text = (f"forward mode: {_passes(n)} (one column per input); "
            f"reverse mode: {_passes(m)} (one row per output)")
    shape = f"{plural(m, 'output')} × {plural(n, 'input')}"
    if n == m:
        return text + f"; the same cost for {shape}"
    return text + f"; {cheaper_mode(n, m)} is cheaper for {shape}"


def _passes(k: int) -> str:
    return plural(k, "pass")


def jacobian_rich(result: JacobianResult):
    from rich.console import Group
    from rich.text import Text

    table = FitTable(title=f"Jacobian ({result.mode} mode, {_passes(result.passes)})")
    table.add_column("output")
    table.add_column("value", justify="right")
    for x in result.inputs:
        table.add_column(f"d·/d{x}", justify="right")
    for y, row in zip(result.outputs, result.matrix):
        table.add_row(y, short(result.values[y]), *[short(v) for v in row])
    legend = "d·/dx: the total derivative of each output with respect to the input x"
    return Group(table, Text(legend, style="dim"), Text(cost_text(result), style="dim"))
