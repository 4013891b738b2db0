"""gradcli plot: f, its derivative f' (computed by the reverse sweep) and a tangent line over a range."""

from __future__ import annotations

import click

from gradcli.cli.commands.common import Command, FiniteFloat, json_option, load_problem, program_options
from gradcli.support.errors import UsageError

HELP = """Plot f and its derivative f' over a range of one input, and the tangent at a point.

\b
The x axis is the program's one input without a value (bind the others).
f' is computed by gradcli's reverse sweep at every sample point (all the
points at once, as data rows), not from a formula; a point outside the
domain is a gap.  --at X0 draws the tangent f(X0) + f'(X0) (x - X0).
The chart is drawn in the terminal; -o FILE.svg writes SVG (no
dependency), -o FILE.png writes PNG (needs matplotlib); --format svg
writes SVG to stdout.

\b
Examples:
  gradcli plot 'f = 3*x^2 - 4*x' --x 0:3 --at 1
  gradcli plot 'y = sin(a*x)' a=2 --x -3.14:3.14 -o sine.svg
  gradcli plot 'f = log(x)' --x 0.1:5 --samples 50 --json
"""


@click.command("plot", cls=Command, help=HELP)
@program_options(wrt=False)
@click.option("--x", "x_range", metavar="LOW:HIGH", default="-3:3", show_default=True,
              help="The range of the x axis, like -3:3 or -pi:pi.")
@click.option("--at", type=FiniteFloat(), metavar="X0", help="Draw the tangent line at x = X0.")
@click.option("--samples", type=click.IntRange(min=2, max=100_000), default=201, show_default=True,
              help="How many evenly spaced points to sample.")
@click.option("-o", "--output", metavar="FILE", help="Write the chart to FILE.svg or FILE.png instead.")
@click.option("--format", "out_format", type=click.Choice(["svg", "png"]), default=None,
              help="Write the chart as SVG or PNG (default: from -o's suffix; to stdout without -o).")
@json_option
@click.pass_context
def command(ctx, args, file, of, x_range, at, samples, output, out_format, as_json):
    from gradcli.analyses.plotting import free_input, function_plot
    from gradcli.cli.present import present
    from gradcli.render.charts import chart_format
    from gradcli.render.views import view

    if as_json and (output is not None or out_format is not None):
        raise UsageError(f"--json and {'-o' if output is not None else '--format'} ask for two outputs: give one")
    fmt = out_format or (chart_format(output) if output is not None else ("json" if as_json else "table"))
    low, high = parse_range(x_range)
    problem = load_problem(ctx, args, file, of, None, require_values=False)
    x = free_input(problem)
    if at is not None and not low <= at <= high:
        raise UsageError(f"--at {at:g} is outside --x {x_range}: the tangent is drawn within the range")
    result = function_plot(problem, x, low, high, samples, at)
    present(ctx, view("plot"), result, fmt, output=output)


def parse_range(text: str) -> tuple[float, float]:
    """``-3:3`` or ``-pi:pi`` as (low, high); a usage error naming the option otherwise."""
    from gradcli.autodiff.loading import parse_bindings
    from gradcli.support.errors import GradError

    parts = text.split(":")
    hint = f"--x {text}: write the range as LOW:HIGH, like --x -3:3"
    if len(parts) != 2 or not all(p.strip() for p in parts):
        raise UsageError(hint)
    try:
        bound = parse_bindings([f"low={parts[0].strip()}", f"high={parts[1].strip()}"])
        low, high = float(bound["low"]), float(bound["high"])
    except (GradError, TypeError, ValueError):
        raise UsageError(hint + " (two numbers)") from None
    import math

    if not (math.isfinite(low) and math.isfinite(high)):
        raise UsageError(f"--x {text}: the ends must be finite numbers")
    if low >= high:
        raise UsageError(f"--x {text}: the low end must be below the high end")
    return low, high
