"""gradcli eval: the output's value and its gradient with respect to every input."""

from __future__ import annotations

import click

from gradcli.analyses.modes import MODES
from gradcli.cli.commands.data_run import data_options, no_data_options
from gradcli.cli.commands.common import JSON_ROWS, Command, json_option_saying, load_problem, program_options

EXAMPLES = """Evaluate a program and compute its gradient by a reverse sweep.

\b
The program is statements separated by ';' or new lines ('#' starts a
comment); a bare expression is the output 'f'.  Inputs get values as
NAME=VALUE after it.

\b
Examples:
  gradcli eval 'u = b*c; v = a + u; J = 3*v' a=5 b=3 c=2
  gradcli eval 'log(x1) + x1*x2 - sin(x2)' x1=2 x2=5 --all
  gradcli eval -f samples/sigmoid_neuron.grad --wrt w0,w1,w2 --json
  gradcli eval -f samples/norm_wx.grad                      (vectors and matrices)
  gradcli eval 'f = sum(tanh(W @ x + b))' W=@W.npy 'x=[0.2, 0.4]' b=0.1
  echo 'y = x^2' | gradcli eval -f - x=3
  gradcli eval -- '-x^2' x=3        (use -- before a program that starts with '-')
  gradcli eval 'f = x^2*y' --data samples/points.csv --json   (one line per row)
"""


@click.command("eval", cls=Command, help=EXAMPLES)
@program_options
@click.option("--all", "all_nodes", is_flag=True, help="Show every node with its value and adjoint.")
@click.option("--mode", type=click.Choice(MODES), default="reverse", show_default=True,
              help="How the gradient is computed.")
@data_options
@json_option_saying(JSON_ROWS)
@click.pass_context
def command(ctx, args, file, of, wrt, all_nodes, mode, data, data_format, out_format, as_json):
    if data is not None:
        from gradcli.support.errors import UsageError

        if all_nodes or mode != "reverse":
            raise UsageError(f"{'--all' if all_nodes else '--mode ' + mode} does not go with --data: "
                             "each row gets its value and gradient by one reverse sweep")
        from gradcli.cli.commands.data_run import run_data

        return run_data(ctx, "eval", args, file, of, wrt, data, data_format, out_format, as_json)
    no_data_options(data_format, out_format)
    from gradcli.analyses.modes import compute
    from gradcli.cli.present import present
    from gradcli.render.views import view

    problem = load_problem(ctx, args, file, of, wrt)
    from gradcli.autodiff.gradient import array_output, output_value

    if array_output(problem) and wrt is None and not all_nodes and mode == "reverse":
        return present(ctx, view("eval", "value"), output_value(problem), "json" if as_json else "table")
    # Without --all, reverse mode's array sweep frees what is not shown (paths mode reads it all).
    problem.intermediates = all_nodes or mode != "reverse"
    present(ctx, view("eval"), compute(problem, mode), "json" if as_json else "table",
            options={"all_nodes": all_nodes})
