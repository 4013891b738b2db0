"""Renderers for `gradcli hessian`: the matrix of second derivatives, and its formulas when asked."""

from __future__ import annotations

from gradcli.analyses.hessian import HessianResult
from gradcli.support.numbers import short


def hessian_json(result: HessianResult) -> dict:
    from gradcli.core.values import to_json

    data = {"output": result.output, "inputs": result.inputs, "value": result.value,
            "gradient": {name: to_json(g) for name, g in result.gradient.items()}, "hessian": result.matrix}
    if result.labels != result.inputs:
        data["labels"] = result.labels
    if result.summary is not None:
        data["asymmetry"] = result.asymmetry
        data["summary"] = result.summary
    if result.closed_form is not None:
        data["closed_form"] = result.closed_form
    return data


def hvp_json(result) -> dict:
    from gradcli.core.values import to_json

    return {"output": result.output, "value": result.value,
            "gradient": {name: to_json(g) for name, g in result.gradient.items()},
            "vector": {name: to_json(v) for name, v in result.vector.items()},
            "hessian_vector_product": {name: to_json(v) for name, v in result.product.items()}}


def hvp_rich(result):
    from rich.console import Group
    from rich.text import Text

    from gradcli.render.cells import Cell

    out = result.output
    parts = [Text(f"{out} = {short(result.value)}", style="bold"),
             Text(f"Hessian-vector product H v of {out}: one tangent pass over the backward pass, "
                  f"v given for {', '.join(result.vector)} (0 elsewhere)", style="bold")]
    for name, product in result.product.items():
        parts += [Cell(f"(H v) for {name} =" + ("" if _shape(product) else f" {short(product)}"))]
        if _shape(product):
            parts.append(Cell(product))
    return Group(*parts)


def _shape(v) -> tuple:
    from gradcli.core.values import shape

    return shape(v)


def second_derivative_name(out: str, a: str, b: str) -> str:
    """``d²y/dx1²``, ``d²y/dx1dx2``."""
    return f"d²{out}/d{a}²" if a == b else f"d²{out}/d{a}d{b}"


def closed_form_lines(result: HessianResult) -> list[str]:
    """The formulas of the upper triangle (the matrix is symmetric)."""
    lines = []
    names = result.inputs
    for i, a in enumerate(names):
        for j in range(i, len(names)):
            text = result.closed_form[i][j]
            shown = f" = {text}" if text is not None else ": too large to write out"
            lines.append(second_derivative_name(result.output, a, names[j]) + shown)
    return lines


def hessian_rich(result: HessianResult):
    from rich.console import Group
    from rich.text import Text

    from gradcli.render.tables import FitTable

    out = result.output
    passes = f"{result.passes} tangent pass{'es' if result.passes != 1 else ''}"
    parts = [Text(f"{out} = {short(result.value)}", style="bold")]
    if result.inputs and result.labels != result.inputs:  # labelled by element: each gradient as a grid
        from gradcli.render.cells import Cell

        for name, g in result.gradient.items():
            parts += [Cell(f"d{out}/d{name} =" + ("" if _shape(g) else f" {short(g)}"))]
            if _shape(g):
                parts.append(Cell(g))
    elif result.inputs:
        parts.append(Text("gradient: " + ", ".join(f"d{out}/d{name} = {short(g)}"
                                                   for name, g in result.gradient.items())))
    parts.append(Text(f"Hessian of {out}: forward over reverse, {passes} over the backward pass",
                      style="bold"))
    table = FitTable()
    table.add_column("")
    for name in result.labels:
        table.add_column(f"∂/∂{name}", justify="right")
    for name, row in zip(result.labels, result.matrix):
        table.add_row(f"∂{out}/∂{name}", *[short(v) for v in row])
    parts.append(table)
    if result.summary is not None:
        s = result.summary
        parts.append(Text(f"{s['definiteness']}: eigenvalues from {short(s['eigenvalue_min'])} "
                          f"to {short(s['eigenvalue_max'])}"))
    if result.asymmetry == 0:
        parts.append(Text("symmetric: H[i][j] = H[j][i] exactly", style="green"))
    elif result.asymmetry < 1e-9:
        parts.append(Text(f"symmetric to rounding (largest relative difference {result.asymmetry:.2g})",
                          style="green"))
    else:
        parts.append(Text(f"not symmetric: largest relative difference {result.asymmetry:.3g}", style="red"))
    if result.closed_form is not None:
        parts += [Text(""), *[Text(line) for line in closed_form_lines(result)]]
    return Group(*parts)
