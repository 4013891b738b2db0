"""gradcli explain: the gradient explained as paths, backward steps, the evaluation trace, or the graph.

Each view is three functions named in ``VIEWS``: one that computes a result
object from the problem, and two pure renderers (JSON-ready dict, Rich
renderable).  They are imported only when their view is asked for.
"""

from __future__ import annotations

import importlib

import click

from ..errors import UsageError
from .common import emit_json, json_option, load_problem, print_rich, program_options

# view -> (compute, to_json, to_rich), as "module:function"
VIEWS = {
    "paths": ("gradcli.paths:explain_paths",
              "gradcli.render.paths_view:paths_json", "gradcli.render.paths_view:paths_rich"),
    "steps": ("gradcli.steps:backward_steps",
              "gradcli.render.steps_view:steps_json", "gradcli.render.steps_view:steps_rich"),
    "trace": ("gradcli.trace:evaluation_trace",
              "gradcli.render.trace_view:trace_json", "gradcli.render.trace_view:trace_rich"),
    "graph": ("gradcli.problem:evaluate",
              "gradcli.render.graph_view:graph_json", "gradcli.render.graph_view:graph_rich"),
}

HELP = """Explain how the gradient comes about.

\b
  --paths  every input-to-output path, the local partial on each edge,
           their product, and the sum over paths (Bauer's formula)
  --steps  the backward pass node by node: upstream x local = downstream
  --trace  the evaluation trace (Wengert list); --tangent X adds the
           forward-mode column, --adjoint the reverse-mode one
  --graph  the computational graph as a tree, with values and adjoints

\b
Examples:
  gradcli explain --paths 'y = log(x1) + x1*x2 - sin(x2)' x1=2 x2=5
  gradcli explain --steps -f samples/sigmoid_neuron.grad
  gradcli explain --trace -f samples/baydin_trace.grad --tangent x1 --adjoint
  gradcli explain --graph 'u = b*c; v = a + u; J = 3*v' a=5 b=3 c=2
"""


def _load(ref: str):
    module, name = ref.split(":")
    return getattr(importlib.import_module(module), name)


@click.command("explain", help=HELP)
@program_options
@click.option("--paths", "view", flag_value="paths", help="Every path from each input to the output.")
@click.option("--steps", "view", flag_value="steps", help="The backward pass, node by node.")
@click.option("--trace", "view", flag_value="trace", help="The evaluation trace (Wengert list).")
@click.option("--graph", "view", flag_value="graph", help="The graph as a tree with values and adjoints.")
@click.option("--max-paths", type=click.IntRange(min=0), default=20, show_default=True,
              help="With --paths: list at most N paths per input (the largest |product| first).")
@click.option("--tangent", metavar="INPUT", help="With --trace: add the forward-mode tangent column seeded at INPUT.")
@click.option("--adjoint", is_flag=True, help="With --trace: add the reverse-mode adjoint column.")
@click.option("--latex", is_flag=True, help="With --paths: Bauer's sum written out in LaTeX.")
@json_option
@click.pass_context
def command(ctx, args, file, of, wrt, view, max_paths, tangent, adjoint, latex, as_json):
    if view is None:
        raise UsageError("say what to explain: --paths, --steps, --trace or --graph")
    if view != "trace" and (tangent or adjoint):
        raise UsageError("--tangent and --adjoint go with --trace")
    if latex and (view != "paths" or as_json):
        raise UsageError("--latex goes with --paths, without --json")
    problem = load_problem(ctx, args, file, of, wrt)
    compute_ref, json_ref, rich_ref = VIEWS[view]
    if latex:
        rich_ref = "gradcli.render.paths_latex:paths_latex"
    compute = _load(compute_ref)
    render = _load(json_ref if as_json else rich_ref)
    options = {"paths": {"max_paths": max_paths}, "trace": {"tangent": tangent, "adjoint": adjoint}}
    result = compute(problem, **options.get(view, {}))
    if as_json:
        emit_json(render(result))
    elif latex:
        click.echo(render(result))
    else:
        print_rich(render(result))
