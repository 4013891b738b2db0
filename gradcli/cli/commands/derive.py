"""gradcli derive: the backward pass written out as a gradcli program, closed forms, LaTeX."""

from __future__ import annotations

import click

from gradcli.support.errors import UsageError
from gradcli.cli.commands.common import Command, json_option, load_problem, point_warnings, program_options

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
  --numpy        the backward pass as a Python function over numpy arrays

\b
An array program's backward pass is written at the tensor level, each
statement with its shape and each adjoint with the statement it comes from
(d_W = outer(d_q, x)); its rules' forms read the shapes, so every input needs
a value.

\b
Examples:
  gradcli derive 'u = b*c; v = a + u; J = 3*v'
  gradcli derive 'u = b*c; v = a + u; J = 3*v' --closed-form
  gradcli derive 'y = log(x1) + x1*x2 - sin(x2)' --closed-form --latex
  gradcli derive -f samples/ng_chain.grad | gradcli eval -f - --of d_a
  gradcli derive -f samples/norm_wx.grad
  gradcli derive -f samples/norm_wx.grad | gradcli eval -f - --of d_W
  gradcli derive -f samples/norm_wx.grad --numpy > norm_wx.py && python norm_wx.py
"""


@click.command("derive", cls=Command, help=HELP)
@program_options
@click.option("--closed-form", "closed_form", is_flag=True,
              help="Each input's derivative as one expression in the inputs (while it stays small).")
@click.option("--latex", is_flag=True, help="Write LaTeX (an align* block) instead of gradcli text.")
@click.option("--numpy", "as_numpy", is_flag=True,
              help="Write the backward pass as a Python function over numpy arrays.")
@json_option
@click.pass_context
def command(ctx, args, file, of, wrt, closed_form, latex, as_numpy, as_json):
    from gradcli.analyses.derive import derive
    from gradcli.cli.present import present
    from gradcli.render.views import view

    chosen = [flag for flag, given in (("--latex", latex), ("--numpy", as_numpy), ("--json", as_json)) if given]
    if len(chosen) > 1:
        raise UsageError(f"{' and '.join(chosen)} each choose the output format: give one of them")
    if as_numpy and closed_form:
        raise UsageError("--numpy writes the backward pass as code; --closed-form writes formulas: give one of them")
    problem = load_problem(ctx, args, file, of, wrt, require_values=False)
    from gradcli.analyses.passes import has_arrays

    output = "json" if as_json else "latex" if latex else "numpy" if as_numpy else "text"
    if has_arrays(problem):
        return _derive_arrays(ctx, problem, closed_form, latex, output)
    result = derive(problem, closed_form=closed_form or as_json, latex=latex)
    warnings = point_warnings(problem)  # with every input bound, the gradient there, as eval says it
    present(ctx, view("derive"), result, output,
            options={"closed_form": closed_form}, warnings=warnings)


def _derive_arrays(ctx, problem, closed_form: bool, latex: bool, output: str):
    """The backward pass of an array program at the tensor level: its rules' forms read the inputs' shapes."""
    from gradcli.analyses.derive_arrays import derive_arrays
    from gradcli.cli.present import present
    from gradcli.render.views import view

    unbound = [name for name in problem.tape.input_names() if name not in problem.values]
    if unbound:
        raise UsageError(f"derive writes an array program's rules for its shapes (outer(d_q, x) or "
                         f"d_q @ transpose(x)): give {', '.join(unbound)} a value, as NAME=VALUE or NAME=@FILE.npy",
                         kind="unbound")
    from gradcli.analyses.derive_arrays import check_fused, closed_forms, statements_latex

    result = derive_arrays(problem)
    if closed_form or output in ("json", "text"):
        closed_forms(result, latex=latex)
        check_fused(result)
    if latex and not closed_form:
        statements_latex(result)
    present(ctx, view("derive"), result, output, options={"closed_form": closed_form})
