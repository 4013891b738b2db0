"""gradcli descend: minimise the output by gradient descent over chosen inputs."""

from __future__ import annotations

import click

from gradcli.cli.commands.common import (NON_NEGATIVE, POSITIVE, Command, data_format_option, json_option_saying,
                                         load_problem, only_with_data, point_warnings, program_options)

HELP = """Minimise the output by gradient descent: forward pass, backward pass,
w = w - lr * gradient, repeat.

\b
--wrt chooses the inputs to train (default: every input that is not a data
column); the others stay fixed.  Step 0 is the start; --steps N makes N
updates; --until TOL stops early once the gradient's norm is below TOL.
With --data FILE (CSV or TSV with a header row, JSON lines, or - for
standard input) each column binds the input of the same name row by row;
the loss is the mean of the output over the rows, computed for every row
at once in one sweep per step.
--json writes JSON lines: one object per step, then {"done": true, ...}.
If the loss becomes nan or infinite, descent stops with exit status 1.

\b
Examples:
  gradcli descend 'L = (w - 3)^2' w=0 --lr 0.1 --steps 100
  gradcli descend -f samples/quadratic.grad --until 1e-9 --steps 1000
  gradcli descend -f samples/line_fit.grad --data samples/line_fit.csv --steps 500
  gradcli descend 'L = (w*x + b - y)^2' w=0 b=0 --data samples/line_fit.csv --json
"""


@click.command("descend", cls=Command, help=HELP)
@program_options
@click.option("--lr", type=POSITIVE, default=0.1, show_default=True, help="The learning rate.")
@click.option("--steps", type=click.IntRange(min=0, max=10_000_000), default=100, show_default=True,
              help="How many updates at most (up to 10,000,000).")
@click.option("--until", type=NON_NEGATIVE, metavar="TOL", help="Stop once the gradient's norm is below TOL.")
@click.option("--data", "data_file", metavar="FILE",
              help="Training data: CSV or TSV with a header row, or JSON lines ('-': standard input); "
                   "columns bind inputs.")
@data_format_option
@json_option_saying("Print JSON lines on stdout: one object per step, then {\"done\": true, ...}.")
@click.pass_context
def command(ctx, args, file, of, wrt, lr, steps, until, data_file, data_format, as_json):
    from gradcli.analyses.descent import Descent, prepare_descent, read_data
    from gradcli.cli.commands.data_run import bound_names
    from gradcli.cli.present import present
    from gradcli.render.views import view
    from gradcli.support.errors import UsageError

    only_with_data(data_file, ("--data-format", data_format))
    if data_file == "-" and file is not None and file.name == "<stdin>":
        raise UsageError("-f - and --data - both read standard input: give one of them a file")
    problem = load_problem(ctx, args, file, of, wrt, require_values=False)
    data = read_data(data_file, problem, bound_names(args, file), data_format) if data_file else None
    problem = prepare_descent(problem, data, wrt_given=bool(wrt))
    descent = Descent(problem, lr, steps, until, data)
    warnings = point_warnings(problem) if data is None else []  # the start's gradient, as eval says it
    # The view runs the descent as it writes: a JSON line per step, or a progress bar and the summary.
    present(ctx, view("descend"), descent, "json" if as_json else "table", warnings=warnings)
