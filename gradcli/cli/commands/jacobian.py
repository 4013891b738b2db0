"""gradcli jacobian: every output's derivative with respect to every input, by forward or reverse mode."""

from __future__ import annotations

import click

from gradcli.support.errors import UsageError
from gradcli.cli.commands.data_run import data_options, no_data_options
from gradcli.cli.commands.common import (JSON_ROWS, Command, json_option_saying, load_problem, program_options,
                                         split_names)

HELP = """The Jacobian of several outputs: one row per output, one column per input.

\b
Forward mode fills a column per pass (n passes for n inputs); reverse mode
fills a row per pass (m passes for m outputs).  The output says both counts
and which mode is cheaper for this shape; without --mode the cheaper one is
used (reverse at a tie).  With no --of, the outputs are the statements that
no other statement uses.

\b
Examples:
  gradcli jacobian 'y1 = x1*x2; y2 = sin(x1) + x2' x1=2 x2=5
  gradcli jacobian 'u = a*b; v = u + c; w = u*c' --of v,w a=1 b=2 c=3
  gradcli jacobian -f samples/baydin_trace.grad --of y --mode forward --json
"""


@click.command("jacobian", cls=Command, help=HELP)
@program_options(outputs=True)
@click.option("--mode", type=click.Choice(["forward", "reverse"]), default=None,
              help="Forward: a column per pass; reverse: a row per pass (default: the cheaper).")
@data_options
@json_option_saying(JSON_ROWS)
@click.pass_context
def command(ctx, args, file, of, wrt, mode, data, data_format, out_format, as_json):
    from gradcli.analyses.jacobian import jacobian
    from gradcli.cli.present import present
    from gradcli.render.views import view

    outputs = [name for value in of for name in split_names(value) or []]
    if of and not outputs:
        raise UsageError("--of needs output names, like --of y1,y2")
    if data is not None:
        if mode == "forward":
            raise UsageError("--mode forward does not go with --data: each row's Jacobian is computed by "
                             "reverse sweeps over the whole chunk")
        from gradcli.cli.commands.data_run import run_data

        return run_data(ctx, "jacobian", args, file, outputs, wrt, data, data_format, out_format, as_json)
    no_data_options(data_format, out_format)
    result = jacobian(load_problem(ctx, args, file, outputs, wrt, several=True), mode)
    present(ctx, view("jacobian"), result, "json" if as_json else "table")
