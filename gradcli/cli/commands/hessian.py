"""gradcli hessian: the matrix of second derivatives, by forward mode over the derived backward pass."""

from __future__ import annotations

import click

from gradcli.cli.commands.common import Command, json_option, load_problem, program_options, scalar_only

HELP = """The Hessian: every second derivative of the output.

\b
The backward pass is derived as a program (see 'gradcli derive'), and one
forward-mode pass per input over that program gives one column of the
matrix (forward over reverse).  --closed-form adds each second derivative
as a formula in the inputs, while it stays small.

\b
Examples:
  gradcli hessian 'y = log(x1) + x1*x2 - sin(x2)' x1=2 x2=5
  gradcli hessian 'y = log(x1) + x1*x2 - sin(x2)' x1=2 x2=5 --closed-form
  gradcli hessian -f samples/quadratic.grad --json
"""


@click.command("hessian", cls=Command, help=HELP)
@program_options
@click.option("--closed-form", "closed_form", is_flag=True,
              help="Add each second derivative as a formula in the inputs (while it stays small).")
@json_option
@click.pass_context
def command(ctx, args, file, of, wrt, closed_form, as_json):
    from gradcli.analyses.hessian import hessian
    from gradcli.cli.present import present
    from gradcli.render.views import view

    problem = load_problem(ctx, args, file, of, wrt)
    scalar_only(problem, "hessian")
    present(ctx, view("hessian"), hessian(problem, closed_form=closed_form), "json" if as_json else "table")
