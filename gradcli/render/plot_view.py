"""Renderers for `gradcli plot`: the chart of f, f' and the tangent, in the terminal, as SVG or PNG, or JSON."""

from __future__ import annotations

from gradcli.analyses.plotting import FunctionPlot
from gradcli.render.charts import chart_png, chart_svg, line_chart
from gradcli.support.numbers import short


def _title(plot: FunctionPlot) -> str:
    return f"{plot.output} and d{plot.output}/d{plot.input} over {plot.input}"


def plot_rich(plot: FunctionPlot):
    from rich.console import Group

    from gradcli.render.cells import literal

    lines = [f"d{plot.output}/d{plot.input} computed by {plot.method}."]
    if plot.gaps:
        lines.append(f"{plot.gaps} of {len(plot.xs)} points are outside the domain: gaps in the curves.")
    t = plot.tangent
    if t is not None:
        lines.append(f"Tangent at {plot.input} = {short(t.at)}: {plot.output} = {short(t.value)}, slope "
                     f"d{plot.output}/d{plot.input} = {short(t.slope)}; y = {short(t.value)} + {short(t.slope)} * "
                     f"({plot.input} - {short(t.at)}).")
    return Group(line_chart(plot.series(), title=_title(plot), x_label=plot.input), literal("\n".join(lines)))


def plot_json(plot: FunctionPlot) -> dict:
    data = {"output": plot.output, "input": plot.input, "x": plot.xs, "f": plot.values, "df": plot.slopes,
            "method": plot.method, "tangent": None}
    if plot.tangent is not None:
        t = plot.tangent
        data["tangent"] = {"at": t.at, "value": t.value, "slope": t.slope}
    return data


def plot_svg(plot: FunctionPlot) -> str:
    return chart_svg(plot.series(), title=_title(plot), x_label=plot.input)


def plot_png(plot: FunctionPlot) -> bytes:
    return chart_png(plot.series(), title=_title(plot), x_label=plot.input)
