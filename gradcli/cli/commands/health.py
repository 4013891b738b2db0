"""gradcli health: the gradient-health report of a network at a point, over its rows."""

from __future__ import annotations

import click

from gradcli.cli.commands.common import (POSITIVE, Command, data_format_option, json_option, load_problem,
                                         only_with_data, point_warnings, program_options, split_names)
from gradcli.support.errors import BindingError, UsageError

HELP = """The health of a network's gradients at the bound point, over its rows.

\b
Each figure comes with the rule of thumb it is judged by and its source:
  - per tanh/sigmoid node, the share of saturated units (|tanh| > 0.97;
    sigmoid outside [0.015, 0.985]) and the units saturated for every row;
  - per ReLU node (relu(z), max(z, 0)), the units dead for every row;
  - per trained input (--wrt; default: every input that is not data), the
    gradient's norm and the update/weight ratio lr*|gradient|/|W|
    (about 1e-3 is healthy);
  - the loss against its chance value -ln(1/C), C read from the logits a
    logsumexp, log_softmax or softmax reads;
  - the paths from the parameters to the loss along which the gradient
    shrinks or grows most (the product of each edge's gain).
Rows: with --data FILE, the file's rows (the loss is their mean); with
--examples X,Y, axis 0 of those inputs (bound whole) and of every node
computed from them; otherwise every element is one unit.

\b
Examples:
  gradcli health -f samples/two_layer.grad X=@samples/spirals_X.npy Y=@samples/spirals_Y.npy \\
    W1=@samples/spirals_W1.npy b1=@samples/spirals_b1.npy W2=@samples/spirals_W2.npy \\
    b2=@samples/spirals_b2.npy --examples X,Y --lr 0.5
  gradcli health 'L = (tanh(w*x + b) - y)^2' w=3 b=0 --data samples/points.csv --json
"""


@click.command("health", cls=Command, help=HELP)
@program_options
@click.option("--data", "data", metavar="FILE",
              help="Rows: CSV or TSV with a header, or JSON lines ('-': standard input); columns bind inputs.")
@data_format_option
@click.option("--examples", metavar="X,Y",
              help="The inputs bound whole whose axis 0 holds the examples (one a row).")
@click.option("--lr", type=POSITIVE, default=0.1, show_default=True,
              help="The learning rate of the update/weight ratio lr*|gradient|/|W|.")
@click.option("--paths", "paths", type=click.IntRange(min=0, max=100), default=3, show_default=True,
              help="How many largest and smallest paths to list (0: none).")
@json_option
@click.pass_context
def command(ctx, args, file, of, wrt, data, data_format, examples, lr, paths, as_json):
    from gradcli.analyses.health import health_report, read_rows
    from gradcli.autodiff.problem import Problem
    from gradcli.cli.commands.data_run import bound_names, open_data
    from gradcli.cli.present import present
    from gradcli.render.views import view

    only_with_data(data, ("--data-format", data_format))
    named = split_names(examples) if examples is not None else []
    if examples is not None and not named:
        raise UsageError("--examples needs input names, like --examples X,Y")
    if data is not None and named:
        raise UsageError("--examples and --data are two ways to give rows: --data binds a column row by row; "
                         "--examples names arrays bound whole, one example a row; give one")
    reader = open_data(ctx, data, data_format, file) if data is not None else None
    problem = load_problem(ctx, args, file, of, wrt, require_values=reader is None,
                           keep=reader.header if reader is not None else ())
    tape = problem.tape
    inputs = tape.input_names()
    columns = [c for c in reader.header if c in inputs] if reader is not None else []
    for name in named:
        if name not in inputs:
            raise UsageError(f"--examples {name}: '{name}' is not an input of the program "
                             f"(its inputs: {', '.join(inputs)})")
    fixed = [*columns, *named]
    if wrt:
        clash = [n for n in problem.wrt if n in fixed]
        if clash:
            what = "a data column" if clash[0] in columns else "named by --examples"
            raise UsageError(f"--wrt {','.join(clash)}: {clash[0]} is {what}, not a parameter; its gradient is "
                             "not trained")
        trained = list(problem.wrt)
    else:
        trained = [n for n in problem.wrt if n not in fixed]
    if not trained:
        raise UsageError("nothing to report on: every input is data (give the program a parameter that is "
                         "not in the data)")
    missing = [n for n in inputs if n not in problem.values and n not in columns]
    if missing:
        raise BindingError(f"no value for {', '.join(missing)}: give it on the command line, like {missing[0]}=1",
                           kind="unbound")
    tape.differentiate([tape.names[n] for n in trained])
    problem = Problem(tape, problem.values, problem.output, trained, program_names=problem.program_names,
                      shapes=problem.shapes, integers=problem.integers)
    rows = read_rows(problem, reader, bound_names(args, file)) if reader is not None else None
    report = health_report(problem, lr=lr, rows=rows, examples=named, paths=paths)
    warnings = point_warnings(problem) if reader is None else []
    present(ctx, view("health"), report, "json" if as_json else "table", warnings=warnings)
