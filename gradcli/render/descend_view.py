"""Renderers for `gradcli descend`: JSON lines per step, a progress bar, and the summary table."""

from __future__ import annotations

from gradcli.analyses.descent import DescentResult, DescentStep, Evaluation, History
from gradcli.core.values import norm_of, shape, shape_text, to_json
from gradcli.support.numbers import short
from gradcli.render.tables import FitTable
from gradcli.render.words import plural


def _json(values: dict) -> dict:
    """Floats stay floats; arrays become nested lists."""
    return {n: to_json(v) for n, v in values.items()}


def _scalars(values: dict) -> dict:
    return {n: v for n, v in values.items() if not shape(v)}


def evaluation_json(e: Evaluation | None) -> dict:
    if e is None:
        return {}
    out = {"train_loss": e.train_loss}
    if e.metrics:
        out["metrics"] = e.metrics
    if e.validation_loss is not None:
        out["validation_loss"] = e.validation_loss
        if e.validation_metrics:
            out["validation_metrics"] = e.validation_metrics
    return out


def step_json(step: DescentStep) -> dict:
    """A step's line: the loss, the scalar variables' values and gradients, every variable's gradient norm
    (an array's values come once, on the done line: a line per step stays short)."""
    out = {"step": step.step, "loss": step.loss}
    if step.epoch is not None:
        out["epoch"] = step.epoch
    if step.lr is not None:
        out["lr"] = step.lr
    out.update({"values": _scalars(step.values), "gradient": _scalars(step.gradient),
                "gradient_norms": step.norms})
    out.update(evaluation_json(step.evaluation))
    if step.health is not None:
        from gradcli.render.health_view import health_json

        out["health"] = health_json(step.health)
    return out


IN_LINE = 10_000  # the done line writes an array's elements up to this many; a larger one goes to --save


def _written(values: dict, saved: str | None) -> dict:
    """The done line's values: numbers and arrays up to ``IN_LINE`` elements in full; a larger array by
    its shape and norm, and where its elements are (--save's file), or how to get them.  Writing 200,000
    doubles as JSON takes longer than 50 steps of a 784-256-10 network."""
    out = {}
    for name, v in values.items():
        if not shape(v) or v.size <= IN_LINE:
            out[name] = to_json(v)
            continue
        out[name] = {"shape": list(shape(v)), "norm": norm_of(v)}
        if saved:
            out[name]["saved"] = saved
        else:
            out[name]["omitted"] = (f"{v.size:,} elements, more than a JSON line holds here ({IN_LINE:,}): "
                                    "write them with --save FILE.npz")
    return out


def done_json(result: DescentResult) -> dict:
    final = result.final
    training = result.training
    saved = training.save_path if training is not None else None
    out = {"done": True, "steps": result.steps, "converged": result.converged,
           "loss": final.loss, "values": _written(final.values, saved), "gradient": _scalars(final.gradient),
           "gradient_norms": final.norms, "gradient_norm": final.norm, "lr": result.lr,
           "until": result.until, "rows": result.rows,
           "start": {"loss": result.start.loss, "values": _written(result.start.values, None)}}
    if training is not None:
        out["optimizer"] = training.optimizer.to_json()
        if training.schedule.kind != "constant":
            out["schedule"] = training.schedule.describe()
        if training.batched:
            out.update({"epochs": result.epochs, "batch_size": training.batch_size, "seed": training.seed})
    if result.final_evaluation is not None:
        out["evaluation"] = evaluation_json(result.final_evaluation)
        out["start"]["evaluation"] = evaluation_json(result.start_evaluation)
    return out


SHOWN = 4  # an array with at most this many elements is shown whole; a larger one by its norm


def cell(v):
    """A value in the table: a number, a small array's elements, or a large array's norm."""
    if not shape(v):
        return short(v)
    if v.size <= SHOWN:
        from gradcli.render.cells import Cell

        return Cell(*_nested(v.tolist()))
    return f"norm {short(float((v * v).sum()) ** 0.5)}"


def _nested(x) -> list:
    """``[[0.5, 0.5], [0.5, 0.5]]`` as pieces of a ``Cell``: a line may break between rows, never inside one."""
    from gradcli.render.cells import Whole

    if not isinstance(x, list):
        return [short(x)]
    if not x or not isinstance(x[0], list):
        return [Whole("[" + ", ".join(short(e) for e in x) + "]")]
    pieces = ["["]
    for k, row in enumerate(x):
        pieces += ([", "] if k else []) + _nested(row)
    return pieces + ["]"]


def stop_text(result: DescentResult) -> str:
    """Why descent stopped: converged, interrupted, or the steps ran out (before --until, if given)."""
    norm = f"|gradient| = {short(result.final.norm)}"
    if result.converged:
        return f"stopped at step {result.steps}: {norm} < {short(result.until)}"
    if result.interrupted:
        return f"interrupted after {plural(result.steps, 'step')}: {norm}"
    if result.until is not None:
        return f"--until {short(result.until)} not reached in {plural(result.steps, 'step')}: {norm}"
    return plural(result.steps, 'step')


def _title(result: DescentResult) -> str:
    training = result.training
    how = f"lr {short(result.lr)}"
    chosen = training.optimizer if training is not None else None
    if chosen is not None and (chosen.name != "sgd" or chosen.weight_decay):
        how = f"{chosen.describe()}, {how}"
    if training is not None and training.schedule.kind != "constant":
        how += f", {training.schedule.describe()} schedule"
    return f"gradient descent on {result.output}, {how}"


def _rows_text(result: DescentResult) -> str:
    training = result.training
    if not result.rows:
        return ""
    rows = plural(result.rows, "training row" if training and (training.examples or training.validation) else
                  "data row")
    if training is not None and training.batched:
        size = training.batch_size
        batches = f"minibatches of {size}" if size else "the full batch"
        return f"; {plural(result.epochs or 0, 'epoch', 'epochs')} of {batches} over {rows} (seed {training.seed})"
    return f", mean over {rows}"


def summary_rich(result: DescentResult):
    out = result.output
    why = stop_text(result)
    fixed = ", ".join(f"{n}={short(v)}" for n, v in result.fixed.items() if not shape(v))
    held = [n for n, v in result.fixed.items() if shape(v)]
    if held:
        fixed = ", ".join(([fixed] if fixed else []) + held)
    table = FitTable(title=_title(result), caption=why + _rows_text(result) + (f"; held fixed: {fixed}" if fixed else ""))
    shaped = any(shape(v) for v in result.final.values.values())
    columns = [("", "left")] + ([("shape", "left")] if shaped else [])
    columns += [("start", "right"), ("final", "right"), (f"d{out}/d· at the end", "right")]
    for col, justify in columns:
        table.add_column(col, justify=justify)
    for name, value in result.final.values.items():
        kind = [shape_text(shape(value)) if shape(value) else "scalar"] if shaped else []
        table.add_row(name, *kind, cell(result.start.values[name]), cell(value), cell(result.final.gradient[name]))
    table.add_section()
    blank = [""] if shaped else []
    first, last = result.start_evaluation, result.final_evaluation
    start_loss = first.train_loss if first else result.start.loss
    final_loss = last.train_loss if last else result.final.loss
    table.add_row(f"{out} (loss)", *blank, short(start_loss), short(final_loss), "", style="bold")
    if first is not None and last is not None:
        if last.validation_loss is not None:
            table.add_row(f"{out} (held out)", *blank, short(first.validation_loss), short(last.validation_loss), "")
        for name in last.metrics:
            table.add_row(name, *blank, short(first.metrics[name]), short(last.metrics[name]), "")
            if name in last.validation_metrics:
                table.add_row(f"{name} (held out)", *blank, short(first.validation_metrics[name]),
                              short(last.validation_metrics[name]), "")
    return table


def loss_series(history: History, minibatches: bool) -> dict:
    """The loss at each step (each minibatch's, with minibatches, and then where epochs end the loss
    over every training row too), and the held-out rows' loss."""
    if not minibatches:
        series = {"loss": history.losses}
    else:
        series = {"minibatch loss": history.losses,
                  "loss over the training rows": [(k, e.train_loss) for k, e in history.evaluations]}
    held = [(k, e.validation_loss) for k, e in history.evaluations if e.validation_loss is not None]
    if held:
        series["held-out loss"] = held
    return series


def norm_series(history: History) -> dict:
    return {f"|d/d{name}|": points for name, points in history.norms.items()}


def charts(result: DescentResult) -> list:
    """The loss and the gradient norms per variable as terminal charts (log scale)."""
    from gradcli.render.charts import line_chart

    history = result.history
    minibatches = result.training is not None and result.training.batch_size is not None
    return [line_chart(loss_series(history, minibatches), title=f"{result.output} per step", x_label="step", log_y=True),
            line_chart(norm_series(history), title="gradient norm per variable", x_label="step", log_y=True)]


def descend_rich(result: DescentResult):
    """The summary table, then the last health report (--health) and the charts (--chart)."""
    from rich.console import Group

    parts = [summary_rich(result)]
    if result.health is not None:
        from gradcli.render.health_view import health_rich

        parts.append(health_rich(result.health))
    if result.history is not None and result.training is not None and result.training.charts:
        parts.extend(charts(result))
    return parts[0] if len(parts) == 1 else Group(*parts)


class ProgressBar:
    """A Rich progress bar for a terminal: step and loss; gone once descent ends."""

    def __init__(self, total: int):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(TextColumn("descending"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("loss {task.fields[loss]}"), TimeElapsedColumn(), transient=True)
        self.task = self.progress.add_task("descend", total=total, loss="")

    def __enter__(self):
        self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        return self.progress.__exit__(*exc)

    def update(self, step: DescentStep) -> None:
        self.progress.update(self.task, completed=step.step, loss=short(step.loss))
