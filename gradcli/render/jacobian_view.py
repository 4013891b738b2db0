"""Renderers for `gradcli jacobian`: the matrix, and what each mode would have cost."""

from __future__ import annotations

from gradcli.analyses.jacobian import JacobianResult, cheaper_mode
from gradcli.core.values import shape_text
from gradcli.support.numbers import short
from gradcli.render.tables import FitTable
from gradcli.render.words import plural


def element_values(result: JacobianResult) -> dict[str, float]:
    """Each row's value: an output's, or with arrays an output element's (``q[0]``)."""
    from gradcli.core.values import flatten

    return dict(zip(result.rows, (x for y in result.outputs for x in flatten(result.values[y]))))


def jacobian_json(result: JacobianResult) -> dict:
    """With arrays, outputs and inputs are the flattened element labels, and ``shapes`` says whose they are."""
    data = {"outputs": result.rows, "inputs": result.columns,
            "values": result.values if result.shapes is None else element_values(result),
            "jacobian": result.matrix, "mode": result.mode, "passes": result.passes,
            "passes_forward": result.passes_forward, "passes_reverse": result.passes_reverse}
    if result.diagonal:  # one entry per output element and input: d q[i]/d x[i]; no dense matrix
        data = {"structure": "diagonal", "diagonal": data.pop("jacobian"), **data}
    if result.shapes is not None:
        data["shapes"] = {name: list(s) for name, s in result.shapes.items()}
    return data


def cost_text(result: JacobianResult) -> str:
    """Both pass counts and which mode is cheaper for this shape (m outputs by n inputs)."""
    if result.diagonal:
        n, m = result.passes_forward, result.passes_reverse
        return (f"the Jacobian is diagonal: forward mode: {_passes(n)} (one per input, seeded with ones); "
                f"reverse mode: {_passes(m)} (one per output, seeded with ones)")
    n, m = result.passes_forward, result.passes_reverse
    each = " element" if result.shapes is not None else ""
    text = (f"forward mode: {_passes(n)} (one column per input{each}); "
            f"reverse mode: {_passes(m)} (one row per output{each})")
    shape = f"{plural(m, 'output' + each)} × {plural(n, 'input' + each)}"
    if n == m:
        return text + f"; the same cost for {shape}"
    return text + f"; {cheaper_mode(n, m)} is cheaper for {shape}"


def _passes(k: int) -> str:
    return plural(k, "pass")


def jacobian_rich(result: JacobianResult):
    from rich.console import Group
    from rich.text import Text

    kind = "diagonal Jacobian" if result.diagonal else "Jacobian"
    table = FitTable(title=f"{kind} ({result.mode} mode, {_passes(result.passes)})")
    table.add_column("output")
    table.add_column("value", justify="right")
    for x in result.columns:
        table.add_column(f"d·/d{x}\\[i]" if result.diagonal else f"d·/d{x}", justify="right")
    values = element_values(result)
    for y, row in zip(result.rows, result.matrix):
        table.add_row(y, short(values[y]), *[short(v) for v in row])
    legend = "d·/dx: the total derivative of each output with respect to the input x"
    if result.diagonal:
        legend = ("d·/dx[i]: the derivative of output element q[i] with respect to the same element x[i]; "
                  "every other entry of the Jacobian is 0")
    lines = [Text(legend, style="dim")]
    if result.shapes is not None:
        shapes = ", ".join(f"{name} {shape_text(s)}" for name, s in result.shapes.items() if s)
        lines.append(Text(f"arrays flattened in C order, one row or column per element: {shapes}", style="dim"))
    if result.unread:
        lines.append(Text("0 where an output does not read an input: "
                          + ", ".join(f"{y} does not read {x}" for y, x in result.unread), style="dim"))
    return Group(table, *lines, Text(cost_text(result), style="dim"))
