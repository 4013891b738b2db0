"""gradcli descend: minimise the output by gradient descent over chosen inputs."""

from __future__ import annotations

import click

from gradcli.analyses.optimizers import OPTIMIZERS, SCHEDULES
from gradcli.cli.commands.common import (NON_NEGATIVE, POSITIVE, Command, data_format_option, json_option_saying,
                                         load_problem, only_with_data, point_warnings, program_options,
                                         split_names)
from gradcli.support.errors import UsageError

HELP = """Minimise the output by gradient descent: forward pass, backward pass,
update, repeat.

\b
--wrt chooses the inputs to train (default: every input that is not a data
column); the others stay fixed.  Step 0 is the start; --steps N makes N
updates; --until TOL stops early once the gradient's norm is below TOL.
With --data FILE (CSV or TSV with a header row, JSON lines, or - for
standard input) each column binds the input of the same name row by row;
the loss is the mean of the output over the rows, computed for every row
at once in one sweep per step.

\b
--optimizer sgd (w -= lr*g), momentum, nesterov, rmsprop or adam, with
PyTorch's update rules and defaults (--momentum 0.9, --alpha 0.99,
--betas 0.9,0.999, --eps 1e-8); --weight-decay adds wd*w to the gradient.
--schedule step (--step-every N, --gamma 0.1) or cosine (--lr-min) counts
epochs when there are epochs, else updates.
--batch-size B and --epochs E split the rows into shuffled minibatches
(--seed S): the rows of --data, or with --examples X,Y the rows of inputs
bound whole (one example a row of X and of Y).  --validate holds rows out
(a fraction, or a file: --data's format, or an .npz keyed by the examples'
names) and reports their loss; --metric NAME reports a node of the
program (an accuracy) on the training and held-out rows at each epoch.
--save FILE.npz writes the trained variables (at the end, after Ctrl-C,
and every --save-every N steps); --load FILE.npz starts from them, as does
a binding W=@FILE.npz:W.
--health N adds a gradient-health report (saturated and dead units, update
to weight ratios, the loss against chance) every N steps; --chart draws the
loss and the gradient norms under the table, --plot and --plot-gradients
write them to FILE.svg (or .png).
--json writes JSON lines: one object per step (the loss, each gradient's
norm, scalar variables' values), then {"done": true, ...} with every value.
If the loss becomes nan or infinite, descent stops with exit status 1.

\b
Examples:
  gradcli descend 'L = (w - 3)^2' w=0 --lr 0.1 --steps 100
  gradcli descend -f samples/quadratic.grad --until 1e-9 --steps 1000
  gradcli descend -f samples/line_fit.grad --data samples/line_fit.csv --steps 500
  gradcli descend 'L = (w*x + b - y)^2' w=0 b=0 --data samples/line_fit.csv --json
  gradcli descend -f samples/spirals_net.grad --load samples/spirals.npz \\
      --examples X,Y --optimizer adam --lr 0.05 --batch-size 32 --epochs 100 \\
      --validate 0.2 --metric acc --save trained.npz --health 100 --plot loss.svg
"""


def _betas(ctx, param, value):
    if value is None:
        return None
    parts = value.split(",")
    try:
        betas = tuple(float(p) for p in parts)
    except ValueError:
        betas = ()
    if len(betas) != 2:
        raise click.BadParameter(f"{value!r}: give two numbers, like 0.9,0.999", ctx, param)
    return betas


@click.command("descend", cls=Command, help=HELP)
@program_options
@click.option("--lr", type=POSITIVE, default=0.1, show_default=True, help="The learning rate.")
@click.option("--steps", type=click.IntRange(min=0, max=10_000_000), default=100, show_default=True,
              help="How many updates at most (up to 10,000,000).")
@click.option("--until", type=NON_NEGATIVE, metavar="TOL", help="Stop once the gradient's norm is below TOL.")
@click.option("--data", "data_file", metavar="FILE",
              help="Training data: CSV or TSV with a header row, or JSON lines ('-': standard input); "
                   "columns bind inputs.")
@data_format_option
@click.option("--optimizer", type=click.Choice(list(OPTIMIZERS)), default="sgd", show_default=True,
              help="The update rule (PyTorch's).")
@click.option("--momentum", type=NON_NEGATIVE, default=None, help="momentum, nesterov: the momentum (0.9).")
@click.option("--betas", callback=_betas, metavar="B1,B2", help="adam: the moments' decay rates (0.9,0.999).")
@click.option("--alpha", type=NON_NEGATIVE, default=None, help="rmsprop: the smoothing constant (0.99).")
@click.option("--eps", type=POSITIVE, default=None, help="adam, rmsprop: added to the denominator (1e-8).")
@click.option("--weight-decay", type=NON_NEGATIVE, default=None, metavar="WD",
              help="Add WD*w to each gradient (an L2 penalty), as PyTorch's weight_decay.")
@click.option("--schedule", type=click.Choice(SCHEDULES), default="constant", show_default=True,
              help="The learning rate over the run: StepLR or CosineAnnealingLR.")
@click.option("--step-every", type=click.IntRange(min=1), default=None, metavar="N",
              help="--schedule step: decay every N epochs (updates without --epochs).")
@click.option("--gamma", type=POSITIVE, default=None, help="--schedule step: the decay factor (0.1).")
@click.option("--lr-min", type=NON_NEGATIVE, default=None, help="--schedule cosine: the last learning rate (0).")
@click.option("--batch-size", type=click.IntRange(min=1), default=None, metavar="B",
              help="Minibatches of B rows, shuffled each epoch.")
@click.option("--epochs", type=click.IntRange(min=1, max=10_000_000), default=None, metavar="E",
              help="Passes over the rows (instead of --steps).")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="The shuffle's seed (default 0).")
@click.option("--examples", metavar="NAMES",
              help="Inputs bound whole whose first axis holds one example a row (minibatches cut them).")
@click.option("--validate", metavar="FRACTION|FILE",
              help="Held-out rows: a fraction of the rows (0.2), or a file of them.")
@click.option("--metric", "metrics", multiple=True, metavar="NAME",
              help="A node of the program to report (an accuracy), per epoch; repeat or give a comma list.")
@click.option("--save", metavar="FILE.npz", help="Write the trained variables to FILE.npz.")
@click.option("--save-every", type=click.IntRange(min=1), default=None, metavar="N",
              help="With --save: write it every N steps too.")
@click.option("--load", metavar="FILE.npz", help="Start from the variables in FILE.npz.")
@click.option("--health", "health_every", type=click.IntRange(min=1), default=None, metavar="N",
              help="A gradient-health report every N steps and at the end (as gradcli health).")
@click.option("--chart", is_flag=True, help="Draw the loss and the gradient norms per step under the table.")
@click.option("--plot", metavar="FILE", help="Write the loss per step as a chart: FILE.svg, or FILE.png "
                                              "(PNG needs matplotlib).")
@click.option("--plot-gradients", metavar="FILE", help="Write each variable's gradient norm per step as a chart "
                                                        "(.svg or .png).")
@json_option_saying("Print JSON lines on stdout: one object per step, then {\"done\": true, ...}.")
@click.pass_context
def command(ctx, args, file, of, wrt, lr, steps, until, data_file, data_format, optimizer, momentum, betas,
            alpha, eps, weight_decay, schedule, step_every, gamma, lr_min, batch_size, epochs, seed, examples,
            validate, metrics, save, save_every, load, health_every, chart, plot, plot_gradients, as_json):
    from gradcli.analyses.descent import Descent, Training, prepare_descent, read_data
    from gradcli.analyses.optimizers import schedule as make_schedule, settings
    from gradcli.cli.commands.data_run import bound_names
    from gradcli.cli.present import present
    from gradcli.render.views import view

    only_with_data(data_file, ("--data-format", data_format))
    given = ctx.get_parameter_source("steps") == click.core.ParameterSource.COMMANDLINE
    if epochs is not None and given:
        raise UsageError("--steps and --epochs both say how long to train: give one")
    if seed is not None and batch_size is None and not _fraction(validate):
        raise UsageError("--seed shuffles minibatches (--batch-size) or picks held-out rows (--validate 0.2): "
                         "give one of those")
    if save_every is not None and save is None:
        raise UsageError("--save-every N goes with --save FILE.npz")
    if examples is not None and data_file is not None:
        raise UsageError("--examples names inputs bound whole; with --data the file's rows are the examples: "
                         "give one of them")
    if data_file == "-" and file is not None and file.name == "<stdin>":
        raise UsageError("-f - and --data - both read standard input: give one of them a file")
    chosen = settings(optimizer, {"momentum": momentum, "betas": betas, "alpha": alpha, "eps": eps}, weight_decay)
    plan = make_schedule(schedule, step_every, gamma, lr_min)
    metric_names = [n for text in metrics for n in (split_names(text) or [])]
    if metrics and not metric_names:
        raise UsageError("--metric needs a name of the program, like --metric acc")
    if save is not None:
        _output_file("--save", save, (".npz",))
    if chart and as_json:
        raise UsageError("--chart draws under the table; with --json write the chart to a file with --plot FILE.svg")
    for option, path in (("--plot", plot), ("--plot-gradients", plot_gradients)):
        if path is not None:
            from gradcli.render.charts import CHART_SUFFIXES

            _output_file(option, path, CHART_SUFFIXES)
    args = tuple(args) + _loaded(load, bound_names(args, file)) if load else args
    if metric_names:  # the metrics stay on the tape beside the loss
        problem = load_problem(ctx, args, file, None if of is None else [of, *metric_names], wrt,
                               require_values=False, several=True)
    else:
        problem = load_problem(ctx, args, file, of, wrt, require_values=False)
    if metric_names:
        problem = _with_loss(problem, of, metric_names)
    data = read_data(data_file, problem, bound_names(args, file), data_format) if data_file else None
    problem = prepare_descent(problem, data, wrt_given=bool(wrt), examples=split_names(examples) or ())
    fraction = _fraction(validate)
    held_out = None if validate is None or fraction is not None else \
        _held_out(validate, problem, data, examples, bound_names(args, file), data_format)
    training = Training(chosen, plan, batch_size, epochs, seed or 0, tuple(split_names(examples) or ()),
                        held_out, tuple(metric_names), _saver(save) if save else None, save_every,
                        health_every, history=bool(chart or plot or plot_gradients), charts=chart,
                        finished=_plotter(plot, plot_gradients) if plot or plot_gradients else None,
                        save_path=save, every_epoch=as_json or bool(chart or plot or plot_gradients),
                        hold_out=fraction)
    descent = Descent(problem, lr, steps, until, data, training)
    warnings = point_warnings(problem) if data is None and not examples else []
    # The view runs the descent as it writes: a JSON line per step, or a progress bar and the summary.
    present(ctx, view("descend"), descent, "json" if as_json else "table", warnings=warnings)


def _fraction(text: str | None) -> float | None:
    """``--validate 0.2``: the fraction, or None when the text names a file."""
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    if not 0 < value < 1:
        raise UsageError(f"--validate {text}: a fraction of the rows to hold out is between 0 and 1 (like 0.2), "
                         "or give a file")
    return value


def _held_out(text, problem, data, examples, bound, data_format):
    """--validate FILE: a data file (with --data) or an .npz of the examples (with --examples)."""
    if data is not None:
        from gradcli.analyses.descent import read_data

        held = read_data(text, problem, bound, data_format)
        if held.columns != data.columns:
            raise UsageError(f"--validate {text}: its columns ({', '.join(held.columns)}) are not the training "
                             f"data's ({', '.join(data.columns)})")
        return held
    if examples is None:
        raise UsageError(f"--validate {text}: held-out rows go with --data FILE or --examples X,Y")
    from gradcli.analyses.minibatches import Examples
    from gradcli.support.files import read_archive

    names = split_names(examples) or []
    held = _archive(read_archive, text, "--validate")
    missing = [n for n in names if n not in held]
    if missing:
        raise UsageError(f"--validate {text}: no array named {', '.join(missing)} (it holds "
                         f"{', '.join(held) or 'none'}); it holds the held-out examples by input name")
    return Examples({n: held[n] for n in names})


def _archive(read, path: str, option: str):
    from gradcli.support.errors import BindingError

    try:
        return read(path)
    except BindingError as exc:
        raise UsageError(f"{option} {exc.message}") from None


def _loaded(path: str, bound: list[str]) -> tuple:
    """--load FILE.npz as bindings ``W=@FILE.npz:W``, one per array; one also bound on the command line
    is a conflict."""
    from gradcli.support.files import archive_names

    names = _archive(archive_names, path, "--load")
    clash = [n for n in names if n in bound]
    if clash:
        raise UsageError(f"{', '.join(clash)}: given on the command line and in --load {path}: give "
                         f"{'each' if len(clash) > 1 else 'it'} once")
    return tuple(f"{n}=@{path}:{n}" for n in names)


def _with_loss(problem, of: str | None, metrics: list[str]):
    """With --metric, the problem whose output is the loss: --of, or the one output that is not a metric."""
    from gradcli.autodiff.loading import did_you_mean

    names = problem.tape.names
    for name in metrics:
        if name not in names:
            raise UsageError(f"--metric {name}: the program has no name '{name}'" + did_you_mean(name, list(names)))
    if of is None:
        losses = [o for o in problem.outputs if o not in metrics] or problem.outputs  # a metric may be the loss
        if len(losses) != 1:
            raise UsageError(f"--metric: the program has {len(losses)} outputs besides the metrics "
                             f"({', '.join(losses) or 'none'}): say which is the loss with --of")
        return problem.replace(output=losses[0], outputs=[losses[0]])
    return problem.replace(outputs=[problem.output])


def _output_file(option: str, path: str, suffixes: tuple[str, ...]) -> None:
    """A file the run writes, checked before it starts: a suffix it takes, in a folder that exists."""
    import os

    if not path.lower().endswith(suffixes):
        raise UsageError(f"{option} {path}: the file is written as {' or '.join(suffixes)}: name it FILE{suffixes[0]}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError(f"{option} {path}: no folder {folder}")


def _plotter(loss_path: str | None, gradients_path: str | None):
    """Writes the charts when the run ends (after Ctrl-C too): the hook the descent calls."""

    def plot(result) -> None:
        from gradcli.render.charts import chart_file
        from gradcli.render.descend_view import loss_series, norm_series
        from gradcli.support.files import write_file

        minibatches = result.training.batch_size is not None
        charts = [(loss_path, "--plot", loss_series(result.history, minibatches), f"{result.output} per step"),
                  (gradients_path, "--plot-gradients", norm_series(result.history), "gradient norm per variable")]
        for path, option, series, title in charts:
            if path is None:
                continue
            content = chart_file(path, series, title=title, x_label="step", log_y=True)
            try:
                write_file(path, content.encode() if isinstance(content, str) else content)
            except OSError as exc:
                raise UsageError(f"{option} {path}: cannot write it ({exc.strerror or exc})") from None

    return plot


def _saver(path: str):
    """Writes the trained variables to ``path`` (an .npz keyed by name): the checkpoint hook."""

    def save(step, last: bool) -> None:
        from gradcli.support.files import write_archive

        try:
            write_archive(path, step.values)
        except OSError as exc:
            raise UsageError(f"--save {path}: cannot write it ({exc.strerror or exc})") from None

    return save
