"""Renderers made of the *_view.py ones, for results that are a stream, a file or a run that can fail.

A ``View``'s renderer is a function of its result; these adapt the results that
are not a finished value: --data's rows (a ``RowStream`` of chunks), descend's
steps (a ``Descent`` that runs as it is read), the graph drawn by Graphviz.  The
``*_outcome`` functions tell ``present`` how a run ended once its output is out:
(warnings, error or None).
"""

from __future__ import annotations

import sys
import time

from gradcli.support.errors import GradError

SHOWN = 5  # rows at each end of the --data table


class RowStream:
    """The chunks of a --data run, counted as they pass: rows, failed rows, the first failure."""

    def __init__(self, batch, results):
        self.batch, self._results = batch, results
        self.total, self.failed, self.first_failure = 0, 0, None
        self.started = time.perf_counter()
        self.seconds = 0.0

    def __iter__(self):
        for result in self._results:
            self.total += result.n
            bad = sorted(result.errors) + sorted(i for i, c in result.checks.items() if not c.ok)
            self.failed += len(bad)
            if bad and self.first_failure is None:
                i = bad[0]
                message = result.errors[i]["message"] if i in result.errors else result.checks[i].failure().message
                self.first_failure = f"row {result.start + i} (line {result.lines[i]}): {message}"
            yield result
        self.seconds = time.perf_counter() - self.started


def rows_json(rows: RowStream):
    """One JSON line per row, a chunk's lines at a time."""
    from gradcli.render.batch_view import JsonLines

    lines = JsonLines(rows.batch)
    for result in rows:
        yield "\n".join(lines.lines(result)) + "\n"


def rows_csv(rows: RowStream):
    """The header, then a chunk's rows at a time."""
    from gradcli.render.batch_view import csv_rows, csv_text, flat_header

    yield csv_text([flat_header(rows.batch)])
    for result in rows:
        yield csv_rows(rows.batch, result)


def rows_table(rows: RowStream):
    """The first and last ``SHOWN`` rows and a summary, once every row is done."""
    from gradcli.render.batch_view import flat_rows, rows_rich

    first: list = []
    last: list = []
    for result in rows:
        cells = flat_rows(rows.batch, result)
        first += cells[:SHOWN - len(first)]
        last = (last + cells[-SHOWN:])[-SHOWN:]
    return rows_rich(rows.batch, first, last, rows.total, rows.failed, rows.seconds)


def rows_outcome(rows: RowStream) -> tuple[list[str], GradError | None]:
    if not rows.failed:
        return [], None
    total = rows.total
    return [], GradError(f"{rows.failed:,} of {total:,} row{'s' if total != 1 else ''} failed "
                         f"(first: {rows.first_failure})", kind="rows-failed")


def check_outcome(result) -> tuple[list[str], GradError | None]:
    return [], None if result.ok else result.failure()


def descend_lines(descent):
    """One JSON object per step as it is taken, then {"done": true, ...}."""
    from gradcli.render.descend_view import done_json, step_json

    for step in descent:
        yield step_json(step)
    yield done_json(descent.result)


def descend_table(descent):
    """Run the descent (a progress bar on a terminal), then its summary; after Ctrl-C, the summary
    up to the last step reached."""
    from gradcli.render.descend_view import ProgressBar, descend_rich

    try:
        if sys.stdout.isatty():
            with ProgressBar(descent.steps) as bar:
                for step in descent:
                    bar.update(step)
        else:
            for _ in descent:
                pass
    except KeyboardInterrupt:
        if descent.interrupted() is None:
            raise
    return descend_rich(descent.result)


def descend_outcome(descent) -> tuple[list[str], BaseException | None]:
    """Ctrl-C shown as such (exit 130); --until not reached is a warning (the exit status stays 0)."""
    from gradcli.render.descend_view import stop_text

    result = descent.result
    if result.interrupted:
        return [], KeyboardInterrupt()
    if result.until is not None and not result.converged:
        return [stop_text(result)], None
    return [], None


def graph_svg(graph) -> str:
    """Drawn by gradcli from its own layout: no Graphviz needed."""
    from gradcli.render.graph_svg import to_svg

    return to_svg(graph)


def graph_png(graph) -> bytes:
    """gradcli's layout (the SVG's), drawn by Graphviz: no layout of Graphviz's own to wait for."""
    from gradcli.render.graph_png import to_png

    return to_png(graph)
