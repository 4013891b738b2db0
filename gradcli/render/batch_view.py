"""Renderers for ``--data``: one JSON line per row, CSV rows, or a Rich table of the first and last rows.

A JSON line is ``{"row": 0, "inputs": {...}, "value": ..., "gradient": {...}}``
(jacobian: ``"values"`` and ``"jacobian"``; check: check's object for that
row), with ``"extra": {...}`` holding the columns the program does not use,
unchanged, and ``"error": {"kind", "message", "column"}`` in place of the
numbers for a row that failed.  Lines are built from a format template filled
column by column: a float's ``str`` is its shortest round-trip text, the same
digits ``json.dumps`` writes.
"""

from __future__ import annotations

import json

from gradcli.analyses.batch import CHECK, EVAL, JACOBIAN, Batch, RowsResult
from gradcli.support.data_rows import MISSING
from gradcli.support.numbers import json_text, short
from gradcli.support.text import printable


def _key(name: str) -> str:
    """A JSON key inside a format template (braces doubled)."""
    return json_text(name).replace("{", "{{").replace("}", "}}")


def _object(keys: list[str]) -> str:
    return "{{" + ", ".join(f"{_key(k)}: {{}}" for k in keys) + "}}"


def _extra_text(value) -> str:
    return json_text(value)


class JsonLines:
    def __init__(self, batch: Batch):
        self.batch = batch
        b = batch
        template = '{{"row": {}, "inputs": ' + _object(b.inputs)
        if b.kind == EVAL:
            template += ', "value": {}, "gradient": ' + _object(b.wrt)
        elif b.kind == JACOBIAN:
            template += ', "values": ' + _object(b.outputs)
            template += ', "jacobian": {{' + ", ".join(f"{_key(y)}: " + _object(b.wrt) for y in b.outputs) + "}}"
        template += '{}'
        self.template = template + "}}"

    def extras(self, result: RowsResult) -> list[str]:
        """Each row's ``, "extra": {"id": ...}``: the columns the program does not use, as they came
        (empty for a row without one when the header has none: a JSON-lines key met later)."""
        n = result.n
        if not result.extras:
            return [""] * n
        keys = [json_text(k) for k in result.extras]
        columns = list(result.extras.values())
        always = bool(self.batch.extras)
        out = []
        for cells in zip(*columns):
            present = [f"{k}: {_extra_text(v)}" for k, v in zip(keys, cells) if v is not MISSING]
            out.append(', "extra": {' + ", ".join(present) + "}" if present or always else "")
        return out

    def lines(self, result: RowsResult) -> list[str]:
        b, n = self.batch, result.n
        extras = self.extras(result)
        rows = range(result.start, result.start + n)
        if b.kind == CHECK:
            return [self._check_line(result, i, extras) for i in range(n)]
        missing = [None] * n
        columns = [result.inputs[x] for x in b.inputs]
        columns += [result.values.get(y, missing) for y in b.outputs]
        columns += [result.derivatives.get((y, x), missing) for y in b.outputs for x in b.wrt]
        columns.append(extras)
        lines = list(map(self.template.format, rows, *columns))
        for i, error in result.errors.items():
            lines[i] = self._error_line(result.start + i, error, extras[i])
        return lines

    @staticmethod
    def _error_line(row: int, error: dict, extra: str) -> str:
        return f'{{"row": {row}, "error": {json_text(error)}{extra}}}'

    def _check_line(self, result: RowsResult, i: int, extras: list[str]) -> str:
        from gradcli.render.check_view import check_json

        if i in result.errors:
            return self._error_line(result.start + i, result.errors[i], extras[i])
        data = check_json(result.checks[i])
        line = {"row": result.start + i, "inputs": {x: result.inputs[x][i] for x in self.batch.inputs},
                "ok": data.pop("ok"), "checks": data.pop("inputs"), **data}
        return json_text(line)[:-1] + extras[i] + "}"


def flat_header(batch: Batch) -> list[str]:
    """The CSV columns: row, the extra columns, the inputs, the numbers, error."""
    head = ["row", *batch.extras, *batch.inputs]
    if batch.kind == CHECK:
        head += ["ok", *(f"status {x}" for x in batch.wrt)]
    else:
        for y in batch.outputs:
            head.append(y)
        head += [f"d{y}/d{x}" for y in batch.outputs for x in batch.wrt]
    return head + ["error"]


def _cell(v):
    if v is MISSING or v is None:
        return ""
    return json.dumps(v) if isinstance(v, (list, dict, bool)) else v


def _cells(column: list) -> list:
    """A column's cells: a column of plain numbers as it is (the common case, no call per cell)."""
    return column if _plain(column) else list(map(_cell, column))


def _plain(column) -> bool:
    """Every cell a number (a float, or the row's int): written as it is, never quoted."""
    return isinstance(column, range) or set(map(type, column)) <= {float, int}


def _flat_columns(batch: Batch, result: RowsResult) -> list:
    """The CSV's cells column by column (numbers stay numbers; arrays become JSON text): the list of
    columns is made once a chunk, not once a row."""
    n = result.n
    missing = [""] * n
    columns: list = [range(result.start, result.start + n)]
    columns += [_cells(result.extras.get(k, missing)) for k in batch.extras]
    columns += [_cells(result.inputs[x]) for x in batch.inputs]
    if batch.kind == CHECK:
        checks = [result.checks.get(i) for i in range(n)]
        columns.append([c.ok if c else "" for c in checks])
        columns += [[c.inputs[k].status if c else "" for c in checks] for k in range(len(batch.wrt))]
        columns.append(["" if c is None or c.ok else c.failure().message for c in checks])
    else:
        columns += [_cells(result.values.get(y, missing)) for y in batch.outputs]
        columns += [_cells(result.derivatives.get((y, x), missing)) for y in batch.outputs for x in batch.wrt]
        columns.append(missing)
    return columns


def _error_cells(batch: Batch, result: RowsResult, i: int, cells: list) -> list:
    """A failed row's cells: its row number and extra columns, then its error with its line."""
    error = result.errors[i]
    line = f"line {result.lines[i]}: " if result.lines else ""
    width = len(cells) - 2 - len(batch.extras)  # the inputs' and numbers' cells
    return [*cells[:1 + len(batch.extras)], *[""] * width, line + error["message"]]


def flat_rows(batch: Batch, result: RowsResult) -> list[list]:
    """Each row as the CSV's cells (numbers stay floats; arrays become JSON text)."""
    rows = [list(cells) for cells in zip(*_flat_columns(batch, result))]
    for i in result.errors:
        rows[i] = _error_cells(batch, result, i, rows[i])
    return rows


def csv_rows(batch: Batch, result: RowsResult) -> str:
    """A chunk's rows as CSV text, the same as ``csv_text(flat_rows(...))``, built column by column: a
    column of numbers goes into a line template as it is (a float's ``str`` is its shortest round-trip
    text, what the csv module writes), any other through ``_csv_field``."""
    columns = _flat_columns(batch, result)
    fields = [column if _plain(column) else list(map(_csv_field, column)) for column in columns]
    lines = list(map(",".join(["{}"] * len(fields)).format, *fields))
    for i in result.errors:
        lines[i] = csv_text([_error_cells(batch, result, i, [column[i] for column in columns])])[:-1]
    return "\n".join(lines) + "\n" if lines else ""


def _csv_field(v) -> str:
    """One cell as the csv module writes it, a control character written as an escape (``csv_text``):
    a text that may need quoting (a comma, a quote, a line end) is written by the csv module itself."""
    if v is None:
        return ""
    if not isinstance(v, str):
        return str(v)
    if "," in v or '"' in v or "\n" in v or "\r" in v:
        return csv_text([[v]])[:-1]
    return printable(v)


def csv_text(rows: list[list]) -> str:
    """Rows as CSV; a control character from the data (an escape sequence in a header or an extra
    column's cell) written as an escape, so that nothing raw reaches a terminal."""
    import csv
    import io

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return printable(buffer.getvalue())


def rows_rich(batch: Batch, first: list[list], last: list[list], total: int, failed: int, seconds: float):
    """The first and last rows as a table, then one summary line."""
    from rich.console import Group
    from rich.text import Text

    from gradcli.render.tables import FitTable

    head = flat_header(batch)
    if not failed:
        head = head[:-1]
    table = FitTable()
    left = {"error", *batch.extras}
    for name in head:
        table.add_column(name, justify="left" if name in left else "right")
    shown = first + [r for r in last if r[0] > (first[-1][0] if first else -1)]
    for k, cells in enumerate(shown):
        if k and cells[0] != shown[k - 1][0] + 1:
            table.add_row(*(["…"] + [""] * (len(head) - 1)))
        table.add_row(*(_text(c) for c in cells[:len(head)]))
    rate = f", {total / seconds:,.0f} rows/s" if seconds > 0 and total >= 1000 else ""
    summary = f"{total:,} row{'s' if total != 1 else ''}, {failed:,} failed{rate}"
    unread = [f"{y} does not read {x}" for y in batch.outputs for x in batch.problem.unread(y)]
    notes = [Text(f"0 where an output does not read an input: {', '.join(unread)}", style="dim")] if unread else []
    return Group(table, *notes, Text(summary))


def _text(v) -> str:
    if isinstance(v, float):
        return short(v)
    return str(v)
