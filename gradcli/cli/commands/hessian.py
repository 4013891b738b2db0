"""gradcli hessian: the matrix of second derivatives, by forward mode over the derived backward pass."""

from __future__ import annotations

import click

from gradcli.cli.commands.common import Command, json_option, load_problem, program_options
from gradcli.support.errors import UsageError

HELP = """The Hessian: every second derivative of the output.

\b
The backward pass is derived as a program (see 'gradcli derive'), and one
forward-mode pass per input over that program gives one column of the
matrix (forward over reverse).  --closed-form adds each second derivative
as a formula in the inputs, while it stays small.

\b
On arrays the rows and columns are the inputs' elements in C order (W[0,1]),
with the eigenvalue range and definiteness.  --vector NAME=VALUE gives the
Hessian-vector product H v instead, one tangent pass over the backward pass
whatever the size (an input left out of v is 0 there).

\b
Examples:
  gradcli hessian 'y = log(x1) + x1*x2 - sin(x2)' x1=2 x2=5
  gradcli hessian 'y = log(x1) + x1*x2 - sin(x2)' x1=2 x2=5 --closed-form
  gradcli hessian -f samples/quadratic.grad --json
  gradcli hessian -f samples/norm_wx.grad
  gradcli hessian -f samples/norm_wx.grad --vector 'x=[1, 0]'
"""


@click.command("hessian", cls=Command, help=HELP)
@program_options
@click.option("--closed-form", "closed_form", is_flag=True,
              help="Add each second derivative as a formula in the inputs (while it stays small).")
@click.option("--vector", "vector", metavar="NAME=VALUE", multiple=True,
              help="The Hessian-vector product H v for this v (repeat it for each input; VALUE as a binding's).")
@json_option
@click.pass_context
def command(ctx, args, file, of, wrt, closed_form, vector, as_json):
    from gradcli.analyses.hessian import hessian
    from gradcli.cli.present import present
    from gradcli.render.views import view

    from gradcli.analyses.passes import has_arrays

    problem = load_problem(ctx, args, file, of, wrt)
    output = "json" if as_json else "table"
    if vector:
        from gradcli.analyses.hessian_arrays import hessian_vector
        from gradcli.autodiff.loading import parse_bindings

        if closed_form:
            raise UsageError("--closed-form writes the matrix's entries; --vector asks for H v alone: give one of them")
        return present(ctx, view("hessian", "hvp"), hessian_vector(problem, parse_bindings(vector)), output)
    if has_arrays(problem):
        from gradcli.analyses.hessian_arrays import array_hessian

        if closed_form:
            raise UsageError("--closed-form is written for scalar programs for now; on arrays the matrix comes "
                             "by element (W[0,1]), or H v with --vector", kind="array-program")
        return present(ctx, view("hessian"), array_hessian(problem), output)
    present(ctx, view("hessian"), hessian(problem, closed_form=closed_form), output)
