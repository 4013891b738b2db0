"""Renderers for `gradcli descend`: JSON lines per step, a progress bar, and the summary table."""

from __future__ import annotations

from gradcli.analyses.descent import DescentResult, DescentStep
from gradcli.core.values import shape, shape_text, to_json
from gradcli.support.numbers import short
from gradcli.render.tables import FitTable
from gradcli.render.words import plural


def _json(values: dict) -> dict:
    """Floats stay floats; arrays become nested lists."""
    return {n: to_json(v) for n, v in values.items()}


def step_json(step: DescentStep) -> dict:
    return {"step": step.step, "loss": step.loss, "values": _json(step.values),
            "gradient": _json(step.gradient)}


def done_json(result: DescentResult) -> dict:
    final = result.final
    return {"done": True, "steps": result.steps, "converged": result.converged,
            "loss": final.loss, "values": _json(final.values), "gradient": _json(final.gradient),
            "gradient_norm": final.norm, "lr": result.lr, "until": result.until, "rows": result.rows,
            "start": {"loss": result.start.loss, "values": _json(result.start.values)}}


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


def summary_rich(result: DescentResult):
    out = result.output
    why = stop_text(result)
    data = f", mean over {plural(result.rows, 'data row')}" if result.rows else ""
    fixed = ", ".join(f"{n}={short(v)}" for n, v in result.fixed.items() if not shape(v))
    held = [n for n, v in result.fixed.items() if shape(v)]
    if held:
        fixed = ", ".join(([fixed] if fixed else []) + held)
    table = FitTable(title=f"gradient descent on {out}, lr {short(result.lr)}",
                     caption=why + data + (f"; held fixed: {fixed}" if fixed else ""))
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
    table.add_row(f"{out} (loss)", *blank, short(result.start.loss), short(result.final.loss), "", style="bold")
    return table


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
