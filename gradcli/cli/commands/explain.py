"""gradcli explain: the gradient explained as paths, backward steps, the evaluation trace, or the graph.

Each view is a ``View`` in ``gradcli.render.views`` (``VIEWS["explain"]``): the
analysis that computes its result from the problem, and its renderers.  Several
views are shown one after another, in the order they were asked for.
"""

from __future__ import annotations

import click

from gradcli.support.errors import UsageError
from gradcli.cli.commands.common import (Command, data_format_option, json_option, load_problem, only_with_data,
                                         program_options)
from gradcli.cli.present import check_view_options, present
from gradcli.render.views import VIEWS, view

VIEWS_ASKED = "gradcli.views"  # ctx.meta key: the views, in command-line order
DEFAULT_VIEW = "paths"  # with no view asked for: the sum over paths, what the gradient is made of
ASKED = [v for v in VIEWS["explain"] if v.compute is not None]  # each with its flag: --paths, --steps, ...


HELP = """Explain how the gradient comes about.

\b
  --paths  every input-to-output path, the local partial on each edge,
           their product, and the sum over paths (Bauer's formula);
           --element 'W[0,1]' on a matrix: one element's paths, element by element
  --steps  the backward pass node by node: upstream x local = downstream
  --trace  the evaluation trace (Wengert list); --tangent X adds the
           forward-mode column, --adjoint the reverse-mode one
  --graph  the computational graph as a tree, with values and adjoints
  --rules  the derivative of the formula worked by the textbook's rules
           (sum, product, quotient, chain, power), outside in, each step
           an equation, ending at the sweep's value

\b
  --html -o FILE  all of it in one interactive page (offline HTML): step
           the forward and backward pass, click a node for its numbers,
           an input for its paths and their sum

\b
With no view, --paths is shown.  Several views are shown one after
another, in the order given (with --json, ask for one).

\b
Examples:
  gradcli explain 'y = log(x1) + x1*x2 - sin(x2)' x1=2 x2=5     (--paths)
  gradcli explain --steps -f samples/sigmoid_neuron.grad
  gradcli explain --paths --element 'W[0,1]' -f samples/norm_wx.grad
  gradcli explain --trace -f samples/baydin_trace.grad --tangent x1 --adjoint
  gradcli explain --graph 'u = b*c; v = a + u; J = 3*v' a=5 b=3 c=2
  gradcli explain --rules 'f = x^2*sin(x)' x=2
  gradcli explain --html -f samples/sigmoid_neuron.grad -o neuron.html
"""


def _ask(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """Remember each view flag as it is met: click handles them in command-line order."""
    if value:
        ctx.meta.setdefault(VIEWS_ASKED, []).append(param.name)


def view_options(f):
    for each in reversed(ASKED):
        f = click.option(each.flag, each.name, is_flag=True, expose_value=False, callback=_ask, help=each.help)(f)
    return f


@click.command("explain", cls=Command, help=HELP)
@program_options
@view_options
@click.option("--max-paths", type=click.IntRange(min=0), default=20, show_default=True,
              help="With --paths: list at most N paths per input (the largest |product| first).")
@click.option("--tangent", metavar="INPUT", help="With --trace: add the forward-mode tangent column seeded at INPUT.")
@click.option("--adjoint", is_flag=True, help="With --trace: add the reverse-mode adjoint column.")
@click.option("--element", "elements", metavar="X[i,j]", multiple=True,
              help="With --paths: the paths of one element of the gradient, on the graph of single elements "
                   "(repeatable); --of q[0] picks an element of an array output.")
@click.option("--latex", is_flag=True, help="With --paths: Bauer's sum written out in LaTeX.")
@click.option("--data", "data", metavar="FILE", help="Take the inputs from one row of FILE (with --row).")
@data_format_option
@click.option("--row", type=click.IntRange(min=0), default=None, help="With --data: the row to explain (from 0).")
@click.option("--html", is_flag=True, help="Write the interactive page (the graph, the forward and backward pass step "
                                           "by step, the paths) as one offline HTML file; needs -o FILE on a terminal.")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), metavar="FILE",
              help="With --html: write the page to FILE.")
@json_option
@click.pass_context
def command(ctx, args, file, of, wrt, max_paths, elements, tangent, adjoint, latex, data, data_format, row,
            html, output, as_json):
    if output is not None and not html:
        raise UsageError("-o FILE goes with --html (the page); the tables go to standard output: "
                         "redirect them with > FILE")
    if html:
        _check_html(ctx, as_json, latex, elements, of, tangent, adjoint)
    views = ctx.meta.get(VIEWS_ASKED) or [DEFAULT_VIEW]
    if as_json and len(views) > 1:
        raise UsageError(f"--json prints one object, but {len(views)} views were asked for "
                         f"({', '.join('--' + v for v in views)}): ask for one at a time")
    check_view_options(ctx, ASKED, views)
    if latex and (views != ["paths"] or as_json):
        raise UsageError("--latex goes with --paths alone, without --json")
    of_index = None
    if of is not None and "[" in of:
        from gradcli.analyses.element_paths import split_element

        of, of_index = split_element(of, "--of")
    if (elements or of_index is not None) and (views != ["paths"] or latex):
        what = f"--element {elements[0]}" if elements else f"--of {of}[...]"
        raise UsageError(f"{what} goes with --paths alone (the paths of single elements); for the other "
                         "views, name the element in the program, like 'f = q[0]'")
    only_with_data(data, ("--row", row), ("--data-format", data_format))
    if data is not None:
        from gradcli.cli.commands.data_run import data_row

        problem = data_row(ctx, args, file, of, wrt, data, data_format, row)
    else:
        problem = load_problem(ctx, args, file, of, wrt)
    if html:
        from gradcli.analyses.walkthrough import walkthrough

        page = walkthrough(problem, max_paths)
        return present(ctx, view("graph", "page"), page, "html", warnings=page.warnings, output=output)
    from gradcli.analyses.passes import has_arrays

    fmt = "json" if as_json else "latex" if latex else "table"
    if elements or of_index is not None:
        from gradcli.analyses.element_paths import explain_element_paths

        if not has_arrays(problem):
            raise UsageError("--element and --of X[i]: the program has no arrays; explain --paths already "
                             "shows it element by element")
        result = explain_element_paths(problem, list(elements), of_index, max_paths)
        return present(ctx, view("explain", "element"), result, fmt, warnings=[])
    if latex and has_arrays(problem):
        raise UsageError("--latex writes scalar path products; on a program with arrays use "
                         "--paths --element 'W[0,1]' for one element's products")
    options = {"max_paths": max_paths, "tangent": tangent, "adjoint": adjoint}
    # Every view is computed, its options checked, before any is printed: an error in the
    # last view must not come after the first one's output.
    shown = [(view("explain", name), view("explain", name).run(problem, options)) for name in views]
    # Every view evaluates the same problem: the first one's warnings, once.
    present(ctx, *shown[0], fmt, options=options, more=tuple(shown[1:]))


def _check_html(ctx: click.Context, as_json: bool, latex: bool, elements, of, tangent, adjoint) -> None:
    """--html is one page holding the graph, the steps and the paths: it takes no view and no other format.
    On a terminal it needs -o FILE (checked before the work, as PNG is)."""
    from gradcli.cli.present import check_format

    asked = ctx.meta.get(VIEWS_ASKED) or []
    others = [f"--{v}" for v in asked] + [flag for flag, given in (
        ("--json", as_json), ("--latex", latex), ("--element", elements), ("--tangent", tangent),
        ("--adjoint", adjoint), ("--of X[i]", of is not None and "[" in of)) if given]
    if others:
        raise UsageError(f"--html writes one page with the graph, the backward steps and the paths; "
                         f"it does not go with {', '.join(others)}: ask for the page alone")
    check_format(view("graph", "page"), "html", ctx.params.get("output"))
