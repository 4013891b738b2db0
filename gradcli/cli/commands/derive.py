"""gradcli derive: the backward pass written out as a gradcli program, closed forms, LaTeX."""

from __future__ import annotations

import click

from gradcli.support.errors import UsageError
from gradcli.cli.commands.common import (Command, json_option, load_problem, point_warnings, program_options,
                                         scalar_only)

HELP = """Write the backward pass out as a gradcli program.

\b
The program's own statements come first, then one adjoint statement per
node in sweep order: d_X is d(output)/dX.  The text parses: pipe it into
'gradcli eval -f - --of d_a ...' to evaluate the gradient.  No values are
needed; NAME=VALUE bindings are written into the program as defaults.

\b
  --closed-form  each input's derivative as one expression in the inputs,
                 while it stays small
  --latex        the statements (or closed forms) as a LaTeX align* block

\b
Examples:
  gradcli derive 'u = b*c; v = a + u; J = 3*v'
  gradcli derive 'u = b*c; v = a + u; J = 3*v' --closed-form
  gradcli derive 'y = log(x1) + x1*x2 - sin(x2)' --closed-form --latex
  gradcli derive -f samples/ng_chain.grad | gradcli eval -f - --of d_a
"""


@click.command("derive", cls=Command, help=HELP)
@program_options
@click.option("--closed-form", "closed_form", is_flag=True,
              help="Each input's derivative as one expression in the inputs (while it stays small).")
@click.option("--latex", is_flag=True, help="Write LaTeX (an align* block) instead of gradcli text.")
@json_option
@click.pass_context
def command(ctx, args, file, of, wrt, closed_form, latex, as_json):
    from gradcli.analyses.derive import derive
    from gradcli.cli.present import present
    from gradcli.render.views import view

    if latex and as_json:
        raise UsageError("--latex and --json both choose the output format: give one of them")
    problem = load_problem(ctx, args, file, of, wrt, require_values=False)
    scalar_only(problem, "derive", " ('gradcli explain --steps' writes each array op's backward rule "
                                  "as a gradcli expression, like dW += outer(dv1, x))")
    result = derive(problem, closed_form=closed_form or as_json, latex=latex)
    warnings = point_warnings(problem)  # with every input bound, the gradient there, as eval says it
    present(ctx, view("derive"), result, "json" if as_json else "latex" if latex else "text",
            options={"closed_form": closed_form}, warnings=warnings)
