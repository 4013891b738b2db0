"""Many points in one run: rows of data bind the inputs; each chunk of rows is one vectorized sweep.

The tape is built once.  For a program of scalar ops, each chunk's columns
become 1-D arrays and go through one forward pass and one reverse sweep per
output (``autodiff/row_sweeps.py``).  A row whose numbers are not all finite
there is re-run alone through the ordinary scalar path (``evaluate``), which
gives it the exact error a single-point ``eval`` gives, or its scalar result.
A program with array ops, and a row with an array cell (JSON lines), is
evaluated one row at a time, each row its own problem.

A cell that is not a number, or missing, gives that row an error object and
the other rows go on.  What cannot work for any row (a header naming no input,
an input with neither a column nor a value) is a usage error before any work.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from gradcli.autodiff import row_sweeps, sweeps
from gradcli.autodiff.problem import Problem, evaluate
from gradcli.core.arrays import ShapeError
from gradcli.core.values import as_value, is_array, np, to_json
from gradcli.support.data_rows import MISSING, Chunk, DataReader, row_error
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


@dataclass
class Batch:
    problem: Problem
    reader: DataReader
    kind: str = EVAL
    columns: list[str] = field(default_factory=list)  # the header's columns that bind inputs
    extras: list[str] = field(default_factory=list)  # the header's other columns, carried through
    check_options: dict = field(default_factory=dict)

    @property
    def inputs(self) -> list[str]:
        return self.problem.tape.input_names()

    @property
    def outputs(self) -> list[str]:
        return list(self.problem.outputs)

    @property
    def wrt(self) -> list[str]:
        return list(self.problem.wrt)


def prepare(problem: Problem, reader: DataReader, bound: list[str], kind: str = EVAL, **check_options) -> Batch:
    """Match the header to the program's inputs; a usage error if no row could be evaluated."""
    tape = problem.tape
    inputs = tape.input_names()
    source = reader.name
    columns, extras = [], []
    for name in reader.header:
        if name in inputs:
            if name in bound:
                raise UsageError(f"--data {source}: {name} is a column and also bound on the command line "
                                 f"({name}=...): give it one way")
            columns.append(name)
        elif name in tape.names:
            raise UsageError(f"--data {source}: the column {name!r} names a value the program computes, "
                             "not an input")
        else:
            extras.append(name)
    if not columns:
        raise UsageError(f"--data {source}: the header names no input of the program (header: "
                         f"{', '.join(reader.header)}; inputs: {', '.join(inputs) or 'none'})")
    if kind == CHECK and check_options.get("sample") is not None and not problem.arrays:
        raise UsageError("--sample applies to programs with arrays (it samples their elements); "
                         "a program of numbers checks every input")
    missing = [n for n in inputs if n not in columns and n not in problem.values]
    if missing:
        raise UsageError(f"--data {source}: no value for input{'s' if len(missing) > 1 else ''} "
                         f"{', '.join(missing)}: add a column, or give {missing[0]}=VALUE")
    return Batch(problem, reader, kind, columns, extras, check_options)


def run(batch: Batch):
    """Each chunk's ``RowsResult``, in row order."""
    vectorized = batch.kind != CHECK and row_sweeps.vectorizable(batch.problem.tape) and \
        not any(is_array(v) for v in batch.problem.values.values())
    for chunk in batch.reader.chunks():
        yield _chunk(batch, chunk, vectorized)


def _chunk(batch: Batch, chunk: Chunk, vectorized: bool) -> RowsResult:
    n = chunk.n
    errors = dict(chunk.broken)
    one_by_one: set[int] = set()  # rows with an array cell
    problem = batch.problem
    data: dict[str, object] = {}  # input -> its column (an array, or a list when a cell is an array)
    fixed: dict[str, object] = {}  # input -> its one value for every row (binding or default)
    for name in batch.inputs:
        if name in batch.columns or name in chunk.cells:
            data[name] = _numbers(chunk.cells.get(name, [MISSING] * n), name, problem.values.get(name),
                                  errors, one_by_one)
        else:
            fixed[name] = problem.values[name]
    extras = {name: chunk.cells.get(name, [MISSING] * n) for name in batch.extras}
    result = RowsResult(chunk.start, n, {}, {}, {}, extras, errors)
    rerun = [i for i in range(n) if i not in errors]
    if vectorized and not one_by_one:
        rerun = _sweep(batch, {**data, **fixed}, n, result)
    for name in batch.inputs:
        if name in fixed:
            result.inputs[name] = [to_json(fixed[name])] * n
        else:
            column = data[name]
            result.inputs[name] = column.tolist() if isinstance(column, np.ndarray) else [to_json(v) for v in column]
    for i in rerun:
        if i not in errors:
            row = {name: (column[i] if isinstance(column, list) else float(column[i])) for name, column in data.items()}
            _one_row(batch, result, i, row)
    return result


def _numbers(cells: list, name: str, default, errors: dict, one_by_one: set):
    """The column as a float array; a bad cell marks its row's error (its number is then 1.0, unused).

    A JSON list (an array value) makes the column a plain list and its row one to evaluate alone.
    """
    try:
        if type(cells[0]) is str or not any(type(c) is bool for c in cells):  # CSV cells are all strings
            column = np.array(list(map(float, cells)))
            if np.isfinite(column).all():
                return column
    except (TypeError, ValueError):
        pass
    values: list = []
    for i, cell in enumerate(cells):
        values.append(1.0)
        if i in errors:
            continue
        if cell is MISSING and default is not None:  # a JSON line without the key: the input's value
            values[i] = default
            if is_array(default):
                one_by_one.add(i)
            continue
        if cell is MISSING or cell is None or (isinstance(cell, str) and not cell.strip()):
            errors[i] = row_error("missing", f"no value in column {name}", name)
            continue
        if isinstance(cell, list):
            try:
                values[i] = as_value(cell)
            except (ValueError, TypeError):
                errors[i] = row_error("not-a-number", f"column {name}: {_show(cell)} is not an array of numbers",
                                      name)
                continue
            if not np.isfinite(values[i]).all():
                errors[i] = row_error("not-a-number", f"column {name}: {_show(cell)} has a number that is "
                                                      "not finite", name)
            one_by_one.add(i)
            continue
        try:
            if isinstance(cell, bool):
                raise ValueError
            number = float(cell)
        except (TypeError, ValueError):
            errors[i] = row_error("not-a-number", f"column {name}: {_show(cell)} is not a number", name)
            continue
        if not math.isfinite(number):
            errors[i] = row_error("not-a-number", f"column {name}: {_show(cell)} is not a finite number", name)
            continue
        values[i] = number
    if one_by_one:
        return values
    return np.array(values)


def _show(cell) -> str:
    import json

    text = cell if isinstance(cell, str) else json.dumps(cell)
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _sweep(batch: Batch, columns: dict, n: int, result: RowsResult) -> list[int]:
    """One forward pass and a reverse sweep per output over the chunk; the rows to re-run alone."""
    problem = batch.problem
    tape = problem.tape
    inputs = {tape.names[name]: column for name, column in columns.items()}
    vals, bad = row_sweeps.forward_rows(tape, inputs, n)
    for y in batch.outputs:
        index = tape.names[y]
        result.values[y] = _per_row(vals[index], n)
        adj = row_sweeps.reverse_rows(tape, vals, index, n, bad)
        for x in batch.wrt:
            g = adj[tape.names[x]]
            result.derivatives[(y, x)] = _per_row(0.0 if g is None else g, n)
    for i in result.errors:
        bad[i] = False
    return np.flatnonzero(bad).tolist()


def _per_row(v, n: int) -> list:
    return v.tolist() if is_array(v) else [float(v)] * n


def _row_problem(problem: Problem, values: dict) -> Problem:
    return Problem(problem.tape, {**problem.values, **values}, problem.output, problem.wrt, problem.outputs,
                   problem.program_names)


def _one_row(batch: Batch, result: RowsResult, i: int, values: dict) -> None:
    """A row by the ordinary path: its numbers, or its error object."""
    problem = _row_problem(batch.problem, values)
    try:
        if batch.kind == CHECK:
            from gradcli.analyses.checking import check

            result.checks[i] = check(problem, **batch.check_options)
            return
        if batch.kind == EVAL:
            gradient = evaluate(problem)
            rows = {problem.output: (gradient.value, gradient.gradient)}
        else:
            if problem.arrays:
                raise UsageError("jacobian --data takes rows of numbers; an array row goes to 'gradcli jacobian' "
                                 "alone", kind="array-row")
            vals = sweeps.forward(problem.tape, problem.input_values())
            rows = {}
            for y in batch.outputs:
                adj = sweeps.reverse(problem.tape, vals, problem.tape.names[y])
                rows[y] = (vals[problem.tape.names[y]], {x: adj[problem.tape.names[x]] for x in batch.wrt})
    except GradError as err:
        where = f"{err.location()}: " if err.location() else ""
        result.errors[i] = row_error(err.kind, where + err.message)
        return
    except ShapeError as exc:  # an array row whose shapes do not fit
        result.errors[i] = row_error("shape", str(exc))
        return
    for y, (value, gradient) in rows.items():
        result.values.setdefault(y, [None] * result.n)[i] = to_json(value)
        for x, g in gradient.items():
            result.derivatives.setdefault((y, x), [None] * result.n)[i] = to_json(g)


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
                column = _numbers([chunk.cells[name][i]], name, batch.problem.values.get(name), errors, set())
                values[name] = column[0] if isinstance(column, list) else float(column[0])
        if errors:
            raise UsageError(f"--data {source}: row {row}: {errors[0]['message']}")
        return _row_problem(batch.problem, values)
    raise UsageError(f"--row {row}: {source} has only {batch.reader.row} data row"
                     f"{'s' if batch.reader.row != 1 else ''} (rows count from 0)")
