"""Many points in one run: rows of data bind the inputs; each chunk of rows is one vectorized sweep.

The tape is built once.  Each chunk's columns become arrays with the rows along
a leading axis (a JSON-lines column of arrays has ``(rows,) + shape``) and go
through one forward pass and one reverse sweep per output (``autodiff/sweeps.py``:
rows are a batch axis; each op's batching rule, ``Op.batch``).  A row whose
numbers are not all finite there is re-run alone through the ordinary path
(``evaluate``), which gives it the exact error a single-point ``eval`` gives, or
its result.  A program with an op that has no batching rule (or none for these
shapes), and ``check``, is evaluated one row at a time, each row its own problem.

Every row of a column has one shape, the first row's: a row with another (a
number in a column of arrays, a ragged list) is that row's error.

A cell that is not a number, or missing, gives that row an error object and
the other rows go on.  What cannot work for any row (a header naming no input,
an input with neither a column nor a value) is a usage error before any work.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from gradcli.analyses import passes
from gradcli.autodiff.array_sweeps import Unbatched, batchable
from gradcli.autodiff.sweeps import Plan
from gradcli.analyses.columns import ColumnRules
from gradcli.autodiff.gradient import evaluate
from gradcli.autodiff.loading import check_shapes
from gradcli.autodiff.problem import Problem
from gradcli.core.array_rules import ShapeError
from gradcli.core.values import as_value, dense, np, shape, shape_text, to_json
from gradcli.support.data_rows import MISSING, Chunk, DataReader, array_cell_hint, row_error
from gradcli.support.errors import GradError, UsageError

EVAL, JACOBIAN, CHECK = "eval", "jacobian", "check"


@dataclass
class RowsResult:
    """One chunk's answers, column by column (lists of floats, or of nested lists for array rows)."""

    start: int
    n: int
    inputs: dict[str, list]  # every input's value per row
    values: dict[str, list]  # each output's value per row
    derivatives: dict[tuple[str, str], list]  # (output, input) -> d output / d input per row
    extras: dict[str, list]  # the columns the program does not use, raw
    errors: dict[int, dict] = field(default_factory=dict)  # row in chunk -> error object
    checks: dict[int, object] = field(default_factory=dict)  # row in chunk -> CheckResult (check only)
    lines: Sequence[int] = ()  # each row's line in the file (from 1)


@dataclass
class Batch:
    problem: Problem
    reader: DataReader
    kind: str = EVAL
    columns: list[str] = field(default_factory=list)  # the header's columns that bind inputs
    extras: list[str] = field(default_factory=list)  # the header's other columns, carried through
    check_options: dict = field(default_factory=dict)
    rules: ColumnRules | None = None
    shapes: dict = field(default_factory=dict)  # column -> the shape of its rows (its first row's)
    # Whether a JSON-lines key first met after the first line, that the program does not use,
    # can be carried through (one JSON line per row can; a CSV or table's columns are fixed).
    late_extras: bool = True

    @property
    def inputs(self) -> list[str]:
        return self.problem.tape.input_names()

    @property
    def outputs(self) -> list[str]:
        return list(self.problem.outputs)

    @property
    def wrt(self) -> list[str]:
        return list(self.problem.wrt)


def prepare_batch(problem: Problem, reader: DataReader, bound: list[str], kind: str = EVAL, **check_options) -> Batch:
    """Match the header to the program's inputs; a usage error if no row could be evaluated."""
    rules = ColumnRules(problem, bound)
    columns, extras = rules.split(reader.header, reader.name, reader.header_line)
    reader.numbers(columns)
    if kind == CHECK and check_options.get("sample") is not None and not passes.has_arrays(problem):
        raise UsageError("--sample applies to programs with arrays (it samples their elements); "
                         "a program of numbers checks every input")
    given = set(columns)
    missing = [n for n in rules.input_list if n not in given and n not in problem.values]
    if missing:
        raise UsageError(f"--data {reader.name}: no value for input{'s' if len(missing) > 1 else ''} "
                         f"{', '.join(missing)}: add a column, or give {missing[0]}=VALUE")
    return Batch(problem, reader, kind, columns, extras, check_options, rules)


def run(batch: Batch):
    """Each chunk's ``RowsResult``, in row order."""
    tape = batch.problem.tape
    vectorized = batch.kind != CHECK and batchable(tape, [tape.names[name] for name in batch.inputs
                                                          if name not in batch.problem.values or name in batch.columns])
    for chunk in batch.reader.chunks():
        yield _chunk(batch, chunk, vectorized)


def _chunk(batch: Batch, chunk: Chunk, vectorized: bool) -> RowsResult:
    n = chunk.n
    errors = dict(chunk.broken)
    late = _late_keys(batch, chunk, errors)
    one_by_one: set[int] = set()  # rows evaluated alone (a default array of another shape than the column's)
    problem = batch.problem
    data: dict[str, object] = {}  # input -> its column (rows along axis 0; a list when a row is alone)
    fixed: dict[str, object] = {}  # input -> its one value for every row (binding or default)
    columns = set(batch.columns)
    for name in batch.inputs:
        if name in columns or name in chunk.cells:
            data[name] = _numbers(chunk.cells.get(name, [MISSING] * n), name, problem.values.get(name),
                                  errors, one_by_one, batch.shapes)
        else:
            fixed[name] = problem.values[name]
    extras = {name: chunk.cells.get(name, [MISSING] * n) for name in [*batch.extras, *late]}
    result = RowsResult(chunk.start, n, {}, {}, {}, extras, errors, lines=chunk.lines)
    rerun = [i for i in range(n) if i not in errors]
    if vectorized and not one_by_one and rerun:
        try:
            rerun = _sweep(batch, data, fixed, n, result)
        except Unbatched:  # an op's rule does not take these shapes: every row alone
            result.values, result.derivatives = {}, {}
    for name in batch.inputs:
        if name in fixed:
            result.inputs[name] = [to_json(fixed[name])] * n
        else:
            column = data[name]
            result.inputs[name] = column.tolist() if isinstance(column, np.ndarray) else [to_json(v) for v in column]
    for i in rerun:
        if i not in errors:
            _one_row(batch, result, i, {name: _cell(column, i) for name, column in data.items()})
    if chunk.lines:
        for i, error in errors.items():
            error["line"] = chunk.lines[i]
    return result


def _cell(column, i: int):
    """Row ``i``'s value of a column: a float, or an array."""
    if isinstance(column, list):
        return column[i]
    return float(column[i]) if column.ndim == 1 else column[i]


def _late_keys(batch: Batch, chunk: Chunk, errors: dict) -> list[str]:
    """The chunk's JSON-lines keys that the header does not have, by the header's rules.

    A key the rules refuse is an error for each row that has it; a key the program
    does not use is carried through (the list returned), or, where the output's
    columns are fixed, an error for each row that has it.
    """
    known = set(batch.columns) | set(batch.extras)
    late = [name for name in chunk.cells if name not in known]
    if not late:
        return []
    carried = []
    for name in late:
        fault = batch.rules.fault(name)
        if fault is None and name in batch.rules.inputs:
            continue  # binds its input in the rows that have it
        if fault is None:
            if batch.late_extras:
                carried.append(name)
                continue
            fault = (f"the key {name!r} is not in the first line (a column of "
                     f"{', '.join(batch.columns + batch.extras)}): this output's columns come from the "
                     "first line; --json carries every key through")
        for i, cell in enumerate(chunk.cells[name]):
            if cell is not MISSING and i not in errors:
                errors[i] = row_error("column", fault, name)
    return carried


def _numbers(cells: list, name: str, default, errors: dict, one_by_one: set, shapes: dict):
    """The column as a float array, the rows along axis 0 (``(rows,) + shape`` for a column of JSON
    arrays); a bad cell marks its row's error (its value is then ones, unused).

    The column's shape is its first row's (kept in ``shapes`` for the chunks after): a row of another
    shape is that row's error.  A row without the key whose input's value has another shape is
    evaluated alone (a list is returned, the row in ``one_by_one``).
    """
    want = shapes.get(name)
    if isinstance(cells, np.ndarray) and want in (None, ()):  # parsed by the reader: plain finite numbers
        shapes[name] = ()
        return cells
    try:
        if want in (None, ()) and (type(cells[0]) is str or not any(type(c) in (bool, list) for c in cells)):
            column = np.array(list(map(float, cells)))  # CSV cells are all strings
            if np.isfinite(column).all():
                shapes[name] = ()
                return column
        elif type(cells[0]) is list:
            column = np.array(cells, dtype=float)
            if column.ndim > 1 and want in (None, column.shape[1:]) and np.isfinite(column).all():
                shapes[name] = column.shape[1:]
                return column
    except (TypeError, ValueError, OverflowError):
        pass
    values: list = []
    for i, cell in enumerate(cells):
        values.append(None)
        if i in errors:
            continue
        if cell is MISSING and default is not None:  # a JSON line without the key: the input's value
            values[i] = default
            continue
        value = _cell_number(cell, name, errors, i)
        if value is None:
            continue
        want = shapes.setdefault(name, shape(value))
        if shape(value) != want:
            errors[i] = row_error("shape", f"column {name}: {_show(cell)} has shape {shape_text(shape(value))}, "
                                           f"the column's rows have shape {shape_text(want)} (its first row's)", name)
            continue
        values[i] = value
    want = shapes.get(name, ())
    for i, value in enumerate(values):
        if value is None:
            values[i] = np.ones(want) if want else 1.0
        elif shape(value) != want:
            one_by_one.add(i)
    if one_by_one:
        return values
    return np.array(values)


def _cell_number(cell, name: str, errors: dict, i: int):
    """One cell's value (a float, or an array for a JSON list), or None with its row's error set."""
    if cell is MISSING or cell is None or (isinstance(cell, str) and not cell.strip()):
        errors[i] = row_error("missing", f"no value in column {name}", name)
        return None
    if isinstance(cell, list):
        try:
            value = as_value(cell)
            if any(isinstance(c, bool) for c in _leaves(cell)):
                raise ValueError
        except (ValueError, TypeError, OverflowError, AttributeError):
            errors[i] = row_error("not-a-number", f"column {name}: {_show(cell)} is not an array of numbers "
                                                  "(every row's list has one shape; nested lists are of equal lengths)",
                                  name)
            return None
        if not np.isfinite(value).all():
            errors[i] = row_error("not-a-number", f"column {name}: {_show(cell)} has a number that is "
                                                  "not finite", name)
            return None
        return value
    try:
        if isinstance(cell, bool):
            raise ValueError
        number = float(cell)
    except (TypeError, ValueError):
        errors[i] = row_error("not-a-number", f"column {name}: {_show(cell)} is not a finite number", name)
        return None
    except OverflowError:  # a JSON integer beyond the doubles
        number = math.inf
    if not math.isfinite(number):
        errors[i] = row_error("not-a-number", f"column {name}: {_show(cell)} is not a finite number", name)
        return None
    return number


def _leaves(cell: list):
    """The numbers of a nested list, without recursion."""
    stack = [cell]
    while stack:
        for c in stack.pop():
            if isinstance(c, list):
                stack.append(c)
            else:
                yield c


def _show(cell) -> str:
    import json

    text = cell if isinstance(cell, str) else json.dumps(cell)
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _sweep(batch: Batch, data: dict, fixed: dict, n: int, result: RowsResult) -> list[int]:
    """One forward pass and a reverse sweep per output over the chunk, rows a batch axis: each
    input's gradient per row; the rows to re-run alone.  ``Unbatched`` when an op's batching rule
    does not take these shapes, or an output is not one number a row."""
    problem = batch.problem
    tape = problem.tape
    inputs = {tape.names[name]: column for name, column in {**data, **fixed}.items()}
    plan = Plan(tape)
    vals, bad = plan.row_values(inputs, n, batched=[tape.names[name] for name in data])
    for y in batch.outputs:
        index = tape.names[y]
        if np.shape(vals[index]) != (n,):
            raise Unbatched
        result.values[y] = vals[index].tolist()
        adj = plan.reverse(vals, index, bad=bad)
        for x in batch.wrt:
            result.derivatives[(y, x)] = _per_row(dense(adj[tape.names[x]]), n, vals.batched[tape.names[x]])
    for i in result.errors:
        bad[i] = False
    return np.flatnonzero(bad).tolist()


def _per_row(v, n: int, batched: bool) -> list:
    """Each row's entry: a batched value's rows, or one value (every row's)."""
    return (v if batched else np.broadcast_to(v, (n, *np.shape(v)))).tolist()


def _row_problem(problem: Problem, values: dict) -> Problem:
    """The problem at one row; with arrays, its shapes checked as ``load`` checks a single point's
    (a ``GradError`` at the place where they do not fit)."""
    row = Problem(problem.tape, {**problem.values, **values}, problem.output, problem.wrt, problem.outputs,
                  problem.program_names)
    if passes.has_arrays(row):
        row.shapes = check_shapes(problem.tape, problem.tape, row.values, values, what="column")
    return row


def _one_row(batch: Batch, result: RowsResult, i: int, values: dict) -> None:
    """A row by the ordinary path: its numbers, or its error object."""
    try:
        problem = _row_problem(batch.problem, values)
        if batch.kind == CHECK:
            from gradcli.analyses.checking import check

            result.checks[i] = check(problem, **batch.check_options)
            return
        if batch.kind == EVAL:
            gradient = evaluate(problem)
            rows = {problem.output: (gradient.value, gradient.gradient)}
        else:
            sweep = Plan.of(problem)
            vals = sweep.values(problem.input_values())
            if any(shape(vals[problem.tape.names[y]]) for y in batch.outputs):
                raise UsageError("jacobian --data takes outputs of one number a row; an array output goes to "
                                 "'gradcli jacobian' alone", kind="array-row")
            rows = {}
            for y in batch.outputs:
                adj = sweep.reverse(vals, problem.tape.names[y])
                rows[y] = (vals[problem.tape.names[y]], {x: dense(adj[problem.tape.names[x]]) for x in batch.wrt})
    except GradError as err:
        where = f"{err.location()}: " if err.location() else ""
        result.errors[i] = row_error(err.kind, where + err.message + _csv_hint(batch, err.kind))
        return
    except ShapeError as exc:  # an array row whose shapes do not fit
        result.errors[i] = row_error("shape", str(exc))
        return
    for y, (value, gradient) in rows.items():
        result.values.setdefault(y, [None] * result.n)[i] = to_json(value)
        for x, g in gradient.items():
            result.derivatives.setdefault((y, x), [None] * result.n)[i] = to_json(g)


def _csv_hint(batch: Batch, kind: str) -> str:
    """For shapes that do not fit over a CSV or TSV file: its cells are numbers, never arrays."""
    if kind != "shape" or not batch.columns:
        return ""
    return array_cell_hint(batch.reader.format, batch.columns[0])


def pick_row(batch: Batch, row: int) -> Problem:
    """The problem with row ``row`` of the data bound (for views of one point): a usage error if it cannot be."""
    source = batch.reader.name
    for chunk in batch.reader.chunks():
        if not chunk.start <= row < chunk.start + chunk.n:
            continue
        i = row - chunk.start
        errors = {0: chunk.broken[i]} if i in chunk.broken else {}
        values = {}
        for name in batch.inputs:
            if name in chunk.cells:
                column = _numbers([chunk.cells[name][i]], name, batch.problem.values.get(name), errors, set(), {})
                values[name] = _cell(column, 0)
        where = f"--data {source}: row {row} (line {chunk.lines[i]})"
        if errors:
            raise UsageError(f"{where}: {errors[0]['message']}")
        try:
            return _row_problem(batch.problem, values)
        except GradError as err:
            location = f"{err.location()}: " if err.location() else ""
            raise UsageError(f"{where}: {location}{err.message}", kind=err.kind) from None
    raise UsageError(f"--row {row}: {source} has only {batch.reader.row} data row"
                     f"{'s' if batch.reader.row != 1 else ''} (rows count from 0)")
