"""Renderers for `gradcli descend`: JSON lines per step, a progress bar, and the summary table."""

from __future__ import annotations

from gradcli.analyses.descent import DescentResult, Step
from gradcli.support.numbers import short
from gradcli.render.tables import FitTable
from gradcli.render.words import plural


def step_json(step: Step) -> dict:
    return {"step": step.step, "loss": step.loss, "values": step.values, "gradient": step.gradient}


def done_json(result: DescentResult) -> dict:
    final = result.final
    return {"done": True, "steps": result.steps, "converged": result.converged,
            "loss": final.loss, "values": final.values, "gradient": final.gradient,
            "gradient_norm": final.norm, "lr": result.lr, "until": result.until, "rows": result.rows,
            "start": {"loss": result.start.loss, "values": result.start.values}}


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
    fixed = ", ".join(f"{n}={short(v)}" for n, v in result.fixed.items())
    table = FitTable(title=f"gradient descent on {out}, lr {short(result.lr)}",
                     caption=why + data + (f"; held fixed: {fixed}" if fixed else ""))
    for col, justify in [("", "left"), ("start", "right"), ("final", "right"), (f"d{out}/d· at the end", "right")]:
        table.add_column(col, justify=justify)
    for name, value in result.final.values.items():
        table.add_row(name, short(result.start.values[name]), short(value), short(result.final.gradient[name]))
    table.add_section()
    table.add_row(f"{out} (loss)", short(result.start.loss), short(result.final.loss), "", style="bold")
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

    def update(self, step: Step) -> None:
        self.progress.update(self.task, completed=step.step, loss=short(step.loss))
