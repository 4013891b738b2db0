"""gradcli graph: write the annotated computational graph as DOT, Mermaid, JSON, SVG, PNG, or an HTML page."""

from __future__ import annotations

import click

from gradcli.support.errors import UsageError
from gradcli.cli.commands.common import Command, json_option, load_problem, program_options
from gradcli.render.views import view

HELP = """Write the annotated computational graph: every node with its name or
operation and its value, every edge with its local partial, and every
node's adjoint (the gradient of the output with respect to it) in red.

\b
  dot      Graphviz input, inputs on the left, the output on the right
  mermaid  a 'flowchart LR' for a ```mermaid block in Markdown
  json     {"output", "value", "nodes": [...], "edges": [...]}
  svg      drawn by gradcli itself from its own layout: no Graphviz
  png      the svg's picture, drawn by Graphviz (apt-get install
           graphviz, brew install graphviz)
  html     an interactive page, one offline file (needs -o FILE on
           a terminal): step the forward pass (values, green) and the
           backward pass (gradients, red) with its rules; click a node
           for its numbers, an input for its paths and their sum

\b
Examples:
  gradcli graph 'u = b*c; v = a + u; J = 3*v' a=5 b=3 c=2
  gradcli graph -f samples/sigmoid_neuron.grad --format svg -o neuron.svg
  gradcli graph -f samples/sigmoid_neuron.grad --format html -o neuron.html
  gradcli graph -f samples/baydin_trace.grad --format mermaid
  gradcli graph 'f = (x + y) * z' x=-2 y=5 z=-4 | dot -Tpng -o f.png
"""


@click.command("graph", cls=Command, help=HELP)
@program_options(wrt=False)
@click.option("--format", "fmt", type=click.Choice(view("graph").formats + view("graph", "page").formats), default="dot",
              show_default=True, help="What to write.")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write to FILE instead of standard output.")
@json_option
@click.pass_context
def command(ctx, args, file, of, fmt, output, as_json):
    from gradcli.analyses import export
    from gradcli.autodiff.gradient import evaluate
    from gradcli.cli.present import check_format, present

    if as_json:
        given = ctx.get_parameter_source("fmt") == click.core.ParameterSource.COMMANDLINE
        if given and fmt != "json":
            raise UsageError(f"--json and --format {fmt} disagree: --json means --format json")
        fmt = "json"
    if fmt == "html":
        from gradcli.analyses.walkthrough import walkthrough

        check_format(view("graph", "page"), fmt, output)
        page = walkthrough(load_problem(ctx, args, file, of))
        return present(ctx, view("graph", "page"), page, fmt, warnings=page.warnings, output=output)
    check_format(view("graph"), fmt, output)  # before the work: PNG needs somewhere to go
    result = evaluate(load_problem(ctx, args, file, of))
    present(ctx, view("graph"), export.annotate(result), fmt, warnings=result, output=output)
