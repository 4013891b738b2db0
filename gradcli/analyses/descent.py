"""Gradient descent on a program's output: forward pass, backward pass, ``w = w - lr * gradient``.

Each step is a forward pass to the loss, a backward pass to the gradient of
every variable being trained, then ``w = w - lr * gradient``.  The tape is built
once; every step (and every data row) reruns the sweeps (``sweeps.Plan``'s
values and reverse: the compiled scalar plan, or the array sweeps when the
program has arrays) on that same tape.  A variable may be an array: its
gradient has its shape and the update is elementwise.

With data (``--data FILE``, CSV with a header row or JSON lines), each column
binds the input of the same name row by row; the loss is the mean of the output
over the rows and the gradient the mean of the rows' gradients (full-batch
descent).

``Descent`` is iterated: it yields one ``DescentStep`` per step, step 0 being the start
and step k the point after k updates, so a caller can stream them; afterwards
``Descent.result`` holds the summary.  A loss or gradient that stops being
finite raises ``Diverged`` (exit 1) with the step, the last finite values and
the advice to lower the learning rate.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from gradcli.analyses import passes
from gradcli.autodiff.array_sweeps import Unbatched, batchable
from gradcli.autodiff.sweeps import Plan
from gradcli.support.data_rows import MISSING, DataReader
from gradcli.core.values import all_finite, brief, dense, norm_of, numpy_quiet
from gradcli.support.errors import BindingError, EvaluationError, ExitCode, GradError, UsageError
from gradcli.support.numbers import short
from gradcli.analyses.columns import ColumnRules
from gradcli.autodiff.loading import check_shapes
from gradcli.autodiff.problem import Problem, require_scalar_output


class Diverged(GradError):
    """The loss or the gradient became nan or infinite during descent: exit 1."""

    kind = "diverged"
    exit_code = ExitCode.FAILED


class DataError(UsageError):
    """The --data file cannot be read as rows of numbers for the program's inputs: exit 2."""

    kind = "data"


@dataclass
class DataSet:
    """The rows of --data: each column's values with the rows along axis 0 (``(n,) + shape`` for a
    column of JSON arrays), and each row's line in the file."""

    source: str  # the file name, for messages
    columns: list[str]
    values: list  # one array per column, the rows along axis 0
    lines: Sequence[int] = ()  # each row's line in the file (from 1)

    @property
    def n(self) -> int:
        """The number of rows."""
        return len(self.values[0]) if self.values else 0

    @property
    def rows(self) -> "_Rows":
        """Row by row (``rows[r]``, ``len(rows)``): each row's value of each column (a float, or an array)."""
        return _Rows(self)

    @staticmethod
    def from_rows(source: str, columns: list[str], rows: list[list], lines: Sequence[int] = ()) -> "DataSet":
        """A data set from its rows (each a list of the columns' values: numbers, or arrays)."""
        from gradcli.core.values import np

        return DataSet(source, columns, [np.array([row[k] for row in rows], dtype=float)
                                         for k in range(len(columns))], lines)

    def take(self, indices) -> "DataSet":
        """The rows at ``indices`` (an array of row numbers), in that order, with their lines."""
        from gradcli.core.values import np

        indices = np.asarray(indices, dtype=np.int64)
        lines = np.asarray(self.lines, dtype=np.int64)[indices].tolist() if len(self.lines) else ()
        return DataSet(self.source, self.columns, [column[indices] for column in self.values], lines)


@dataclass
class DescentStep:
    step: int
    loss: float
    values: dict  # the variables being trained: floats, or arrays
    gradient: dict  # of the same shapes

    @property
    def norm(self) -> float:
        """The Euclidean norm of the whole gradient, every element of every variable (scaled: squares
        of 1e200 overflow, the norm does not)."""
        return math.hypot(*[norm_of(g) for g in self.gradient.values()])


@dataclass
class DescentResult:
    output: str
    lr: float
    start: DescentStep
    final: DescentStep
    converged: bool  # stopped because the gradient's norm fell below ``until``
    until: float | None
    rows: int | None  # data rows, or None without data
    fixed: dict  # inputs held fixed (data columns excluded)
    interrupted: bool = False  # stopped by Ctrl-C: ``final`` is the last step reached

    @property
    def steps(self) -> int:
        return self.final.step


# ---------------------------------------------------------------- data files

def read_data(path: str, problem: Problem, bound: Collection[str] = (), fmt: str | None = None) -> DataSet:
    """Every row of ``--data FILE`` (CSV, TSV, JSON lines, or ``-`` for standard input), the
    columns that bind ``problem``'s inputs as arrays with the rows along axis 0.

    The same reader, column rules and cells as ``eval --data`` (a JSON-lines column of
    arrays, every row of one shape), the header checked before any row is read (a
    column the program does not use is skipped); descent needs every row at each
    step, so they are all held, and a bad row is an error here (exit 2) rather than a
    row's error.
    """
    from gradcli.analyses.batch import _numbers
    from gradcli.core.values import np

    reader = DataReader(str(path), fmt)
    name = reader.name
    rules = ColumnRules(problem, bound)
    try:
        columns, _ = rules.split(reader.header, name, reader.header_line)
    except UsageError as exc:
        raise DataError(exc.message) from None
    _require_values(problem, columns)
    reader.numbers(columns)
    known = set(reader.header)
    parts: list[list] = [[] for _ in columns]
    shapes: dict = {}
    lines = array("q")
    for chunk in reader.chunks():
        _late_keys(chunk, known, rules, name)
        lines.extend(chunk.lines)
        errors = dict(chunk.broken)
        for part, column in zip(parts, columns):
            part.append(_numbers(chunk.cells.get(column, [MISSING] * chunk.n), column, None, errors, set(), shapes))
        if errors:
            k = min(errors)
            raise DataError(f"{name}: data row {chunk.start + k + 1} (line {chunk.lines[k]}): {errors[k]['message']}")
    if not lines:
        raise DataError(f"{name}: no data rows")
    values = [part[0] if len(part) == 1 else np.concatenate(part) for part in parts]
    return DataSet(name, columns, values, lines)


def _late_keys(chunk, known: set, rules: ColumnRules, source: str) -> None:
    """JSON-lines keys met after the first line, by the header's rules: one that binds an input
    the first line has no column for is an error too (every row binds the same inputs here)."""
    for key in [c for c in chunk.cells if c not in known]:
        fault = rules.fault(key)
        if fault is None and key in rules.inputs:
            fault = (f"the key {key!r} binds an input, but the first line has no {key!r}: descend needs "
                     "the same input columns on every row")
        if fault is not None:
            k = next(k for k, cell in enumerate(chunk.cells[key]) if cell is not MISSING)
            raise DataError(f"{source}: data row {chunk.start + k + 1} (line {chunk.lines[k]}): {fault}")


class _Rows(Sequence):
    """A data set's rows as a sequence, each made when asked for."""

    def __init__(self, data: DataSet):
        self.data = data

    def __len__(self) -> int:
        return self.data.n

    def __getitem__(self, r: int) -> list:
        if not -self.data.n <= r < self.data.n:
            raise IndexError(r)
        return [_cell(column, r) for column in self.data.values]


def _cell(column, r: int):
    """Row ``r``'s value of a column: a float, or an array."""
    return float(column[r]) if column.ndim == 1 else column[r]


def _plain(v):
    """A gradient as the row loop gives it: a float for a number (not numpy's), else the array."""
    return float(v) if not getattr(v, "ndim", 0) else v


# ---------------------------------------------------------------- setting up

def prepare_descent(problem: Problem, data: DataSet | None, wrt_given: bool) -> Problem:
    """Check the data columns against the inputs; drop data columns from the default --wrt.

    ``problem`` was loaded without requiring values: inputs bound by the data
    need none, every other input does.
    """
    tape = problem.tape
    columns = data.columns if data else []
    if wrt_given:
        clash = [n for n in problem.wrt if n in columns]
        if clash:
            raise UsageError(f"--wrt {','.join(clash)}: {'these are' if len(clash) > 1 else 'this is'} "
                             f"a data column of {data.source}; descend over the other inputs")
        wrt = problem.wrt
    else:
        wrt = [n for n in problem.wrt if n not in columns]
    if not wrt:
        raise UsageError("nothing to train: every input is a data column (give the program a variable "
                         "that is not in the data)")
    _require_values(problem, columns)
    values = dict(problem.values)
    first_row = dict(zip(columns, data.rows[0])) if data else {}
    values.update(first_row)
    tape.differentiate([tape.names[n] for n in wrt])  # no gradient is taken along the data's edges
    prepared = Problem(tape, values, problem.output, wrt)
    if passes.has_arrays(prepared):  # every row is numbers, so the first row's shapes are every row's
        prepared.shapes = check_shapes(tape, tape, values, first_row, what="data column")
    return prepared


def _require_values(problem: Problem, columns: list[str]) -> None:
    """Every input that is not a data column needs a starting value."""
    given = set(columns)
    missing = [n for n in problem.tape.input_names() if n not in problem.values and n not in given]
    if missing:
        example = " ".join(f"{n}=0" for n in missing[:3])
        raise BindingError(f"no starting value for {', '.join(missing)}: give it on the command line, "
                           f"like {example}", kind="unbound")


# ---------------------------------------------------------------- the loop

class Descent:
    """Iterate to run: yields a ``DescentStep`` per step, then ``result`` holds the summary."""

    def __init__(self, problem: Problem, lr: float, steps: int, until: float | None = None,
                 data: DataSet | None = None):
        if not (lr > 0 and math.isfinite(lr)):
            raise UsageError(f"--lr {lr}: the learning rate must be a positive number")
        if until is not None and not until >= 0:
            raise UsageError(f"--until {until}: the tolerance must be zero or more")
        self.problem = problem
        self.lr = lr
        self.steps = steps
        self.until = until
        self.data = data
        self.result: DescentResult | None = None
        self._start: DescentStep | None = None
        self._last: DescentStep | None = None
        tape = problem.tape
        self._out = problem.output_index
        self._wrt = [tape.names[n] for n in problem.wrt]
        self._columns = [tape.names[n] for n in data.columns] if data else []
        self._passes = Plan.of(problem)
        self._check_output = True
        # Each step's reverse sweep tests no edge; only when the loss or a gradient is not finite
        # is the step swept again, checked (``_checked_again``), to say where it failed.
        self._checked = False
        # Over data rows, when every op the data reaches has a batching rule: every row (or a
        # minibatch's rows) at once, one sweep per step; else a sweep per row.
        self._batch = data is not None and batchable(tape, self._columns)

    def _sweep(self, inputs: dict) -> tuple[float, list]:
        """The loss and the gradient of each variable at one point (one data row)."""
        vals = self._passes.values(inputs)
        if self._check_output:  # an array output is refused once, before the first sweep
            require_scalar_output(self.problem, vals)
            self._check_output = False
        adj = self._passes.reverse(vals, self._out, checked=self._checked)
        # a variable no gradient reaches holds the symbolic zero: zeros of its shape
        return float(vals[self._out]), [dense(adj[i]) for i in self._wrt]

    def _loss_and_gradient(self, inputs: dict, rows=None) -> tuple[float, list]:
        """The mean loss over the data rows (``rows``: None for all of them, or an array of row
        numbers, a minibatch, in that order) and the mean gradient of each variable (in ``_wrt``'s
        order); without data, the loss and gradient at the point."""
        if self.data is None:
            return self._sweep(inputs)
        if self._batch:
            at_once = self._rows_at_once(inputs, rows)
            if at_once is not None:
                return at_once  # else a row is bad: the row loop below finds it, and says which
        return self._row_by_row(inputs, rows)

    def _rows_at_once(self, inputs: dict, rows=None) -> tuple[float, list] | None:
        """The mean loss and gradient over the rows in one forward pass and one reverse sweep
        (None when a row is bad, or an op's batching rule does not take these shapes).

        Each data column is bound to its rows along a leading batch axis; the variables keep
        their shapes, so the sweep seeded with 1/n gives each variable the mean of the rows'
        gradients (summed over the batch axis where the gradient reaches it: ``Plan.row_values``'
        ``total``).
        """
        from gradcli.core.values import np

        batch = dict(inputs)
        for index, column in zip(self._columns, self.data.values):
            batch[index] = column if rows is None else column[rows]
        tape, out = self.problem.tape, self._out
        n = self.data.n if rows is None else len(rows)
        plan = Plan(tape)
        try:
            vals, bad = plan.row_values(batch, n, batched=self._columns, total=True)
        except Unbatched:
            self._batch = False
            return None
        if np.shape(vals[out]) != (n,):  # not one number a row: the row loop says why
            self._batch = False
            return None
        adj = plan.reverse(vals, out, seed=np.full(n, 1.0 / n), bad=bad)
        if bad.any():
            return None
        return float(np.mean(vals[out])), [_plain(dense(adj[i])) for i in self._wrt]

    def _row_by_row(self, inputs: dict, rows=None) -> tuple[float, list]:
        """The mean loss and gradient over the rows, a sweep per row."""
        loss = 0.0
        grad: list = [0.0] * len(self._wrt)
        columns, values = self._columns, self.data.values
        order = range(self.data.n) if rows is None else rows
        for r in order:
            for index, column in zip(columns, values):
                inputs[index] = _cell(column, r)
            try:
                value, g = self._sweep(inputs)
            except EvaluationError as exc:
                line = f" (line {self.data.lines[r]})" if len(self.data.lines) else ""
                exc.message = f"data row {r + 1}{line}: {exc.message}"
                exc.args = (exc.message,)
                raise
            loss += value
            grad = [a + b for a, b in zip(grad, g)]
        n = len(order)
        return loss / n, [g / n for g in grad]

    def __iter__(self):
        names = self.problem.wrt
        inputs = self.problem.input_values()
        x = [inputs[i] for i in self._wrt]
        last = None
        converged = False
        for k in range(self.steps + 1):
            for i, v in zip(self._wrt, x):
                inputs[i] = v
            try:
                loss, grad = self._loss_and_gradient(inputs)
                finite = math.isfinite(loss) and all(all_finite(g) for g in grad)
                if not finite:
                    self._checked_again(inputs)
            except EvaluationError as exc:
                if last is None:
                    raise
                raise self._diverged(k, exc.message, last) from None
            if not finite:
                if last is None:
                    raise EvaluationError(f"the loss {short(loss)} or its gradient is not finite "
                                          "at the starting point")
                raise self._diverged(k, f"the loss is {short(loss)}", last)
            step = DescentStep(k, loss, dict(zip(names, x)), dict(zip(names, grad)))
            self._start = self._start or step
            self._last = last = step
            yield step
            if self.until is not None and step.norm < self.until:
                converged = True
                break
            if k < self.steps:
                x = self._update(x, grad)
                self._require_finite(k + 1, x, last)
        self.result = self._summary(converged)

    def _checked_again(self, inputs: dict) -> None:
        """The step swept again, every edge tested: raises where a partial fails (else the caller
        says that the loss or its gradient is not finite)."""
        self._checked = True
        try:
            self._loss_and_gradient(inputs)
        finally:
            self._checked = False

    def _update(self, x: list, grad: list) -> list:
        """``w - lr * gradient`` for every variable; an overflow there is found by ``_require_finite``."""
        with numpy_quiet():
            return [v - self.lr * g for v, g in zip(x, grad)]

    def _require_finite(self, k: int, x: list, last: DescentStep) -> None:
        """A variable the update took past the largest double (inf, or nan) is divergence, whatever
        the loss there says (``-pow(z, -3)`` is 0 at z = -inf, with a gradient of 0)."""
        for name, v in zip(self.problem.wrt, x):
            if not all_finite(v):
                raise self._diverged(k, f"the update takes {name} to {brief(v)}", last)

    def _summary(self, converged: bool, interrupted: bool = False) -> DescentResult:
        names = self.problem.wrt
        fixed = {n: v for n, v in self.problem.values.items()
                 if n not in names and not (self.data and n in self.data.columns)}
        return DescentResult(self.problem.output, self.lr, self._start, self._last, converged, self.until,
                             len(self.data.rows) if self.data else None, fixed, interrupted)

    def interrupted(self) -> DescentResult | None:
        """The summary up to the last step reached, after Ctrl-C (None before step 0 was done)."""
        if self._last is None:
            return None
        self.result = self._summary(converged=False, interrupted=True)
        return self.result

    def _diverged(self, k: int, what: str, last: DescentStep) -> Diverged:
        values = ", ".join(f"{n}={brief(v)}" for n, v in last.values.items())
        return Diverged(f"descent diverged at step {k}: {what}; last finite values (step {last.step}, "
                        f"{self.problem.output}={short(last.loss)}): {values}; "
                        f"try a smaller --lr (now {short(self.lr)})")
