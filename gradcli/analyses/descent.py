"""Gradient descent on a program's output: forward pass, backward pass, ``w = w - lr * gradient``.

Each step is a forward pass to the loss, a backward pass to the gradient of
every variable being trained, then ``w = w - lr * gradient``.  The tape is built
once; every step (and every data row) reruns the sweeps (``sweeps.forward`` and
``sweeps.reverse``: the compiled scalar plan, or the array sweeps when the
program has arrays) on that same tape.  A variable may be an array: its
gradient has its shape and the update is elementwise.

With data (``--data FILE``, CSV with a header row or JSON lines), each column
binds the input of the same name row by row; the loss is the mean of the output
over the rows and the gradient the mean of the rows' gradients (full-batch
descent).

``Descent`` is iterated: it yields one ``Step`` per step, step 0 being the start
and step k the point after k updates, so a caller can stream them; afterwards
``Descent.result`` holds the summary.  A loss or gradient that stops being
finite raises ``Diverged`` (exit 1) with the step, the last finite values and
the advice to lower the learning rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gradcli.autodiff import sweeps
from gradcli.autodiff.row_sweeps import vectorizable
from gradcli.support.data_rows import MISSING, DataReader
from gradcli.core.values import all_finite, brief, norm_of, shape, zeros
from gradcli.support.errors import BindingError, EvaluationError, ExitCode, GradError, UsageError
from gradcli.support.numbers import short
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
    source: str  # the file name, for messages
    columns: list[str]
    rows: list[list[float]]


@dataclass
class Step:
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
    start: Step
    final: Step
    converged: bool  # stopped because the gradient's norm fell below ``until``
    until: float | None
    rows: int | None  # data rows, or None without data
    fixed: dict  # inputs held fixed (data columns excluded)
    interrupted: bool = False  # stopped by Ctrl-C: ``final`` is the last step reached

    @property
    def steps(self) -> int:
        return self.final.step


# ---------------------------------------------------------------- data files

def read_data(path: str, fmt: str | None = None) -> DataSet:
    """Every row of ``--data FILE`` (CSV, TSV, JSON lines, or ``-`` for standard input) as floats.

    The same reader as ``eval --data``; descent needs every row at each step, so
    they are all held, and a bad cell is an error here rather than a row's error.
    """
    reader = DataReader(str(path), fmt)
    name = reader.name
    header = reader.header
    if reader.format != "jsonl" and any(not c.isidentifier() for c in header):
        bad = next(c for c in header if not c.isidentifier())
        raise DataError(f"{name}: the first row must be a header of input names, but it has {bad!r}")
    rows: list[list[float]] = []
    for chunk in reader.chunks():
        for k in range(chunk.n):
            row = chunk.start + k + 1  # from 1, the header not counted
            if k in chunk.broken:
                raise DataError(f"{name}: data row {row}: {chunk.broken[k]['message']}")
            values = []
            for column in header:
                cell = chunk.cells[column][k]
                values.append(_number(name, row, column, cell))
            extra = [c for c in chunk.cells if c not in header and chunk.cells[c][k] is not MISSING]
            if extra:
                raise DataError(f"{name}: data row {row}: the keys {', '.join(extra)} are not in the first "
                                f"line's {', '.join(header)}")
            rows.append(values)
    if not rows:
        raise DataError(f"{name}: no data rows")
    return DataSet(name, header, rows)


def _number(source: str, row: int, column: str, cell) -> float:
    if cell is MISSING:
        raise DataError(f"{source}: data row {row}: no value for column {column}")
    try:
        value = float(cell.strip() if isinstance(cell, str) else cell)
    except (TypeError, ValueError):
        value = math.nan
    if isinstance(cell, bool) or not math.isfinite(value):
        raise DataError(f"{source}: data row {row}: column {column}: {cell!r} is not a finite number")
    return value


# ---------------------------------------------------------------- setting up

def prepare(problem: Problem, data: DataSet | None, wrt_given: bool) -> Problem:
    """Check the data columns against the inputs; drop data columns from the default --wrt.

    ``problem`` was loaded without requiring values: inputs bound by the data
    need none, every other input does.
    """
    tape = problem.tape
    inputs = tape.input_names()
    columns = data.columns if data else []
    for name in columns:
        if name not in inputs:
            what = ("computed by the program" if name in tape.names
                    else f"not read by {problem.output}" if name in problem.program_names
                    else "not a name in the program")
            raise DataError(f"{data.source}: column {name} is {what}; data columns must name inputs "
                            f"(inputs: {', '.join(inputs) or 'none'})")
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
    missing = [n for n in inputs if n not in problem.values and n not in columns]
    if missing:
        example = " ".join(f"{n}=0" for n in missing[:3])
        raise BindingError(f"no starting value for {', '.join(missing)}: give it on the command line, "
                           f"like {example}", kind="unbound")
    values = dict(problem.values)
    for name in columns:
        values.setdefault(name, data.rows[0][columns.index(name)])
    tape.differentiate([tape.names[n] for n in wrt])  # no gradient is taken along the data's edges
    return Problem(tape, values, problem.output, wrt)


# ---------------------------------------------------------------- the loop

class Descent:
    """Iterate to run: yields a ``Step`` per step, then ``result`` holds the summary."""

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
        self._start: Step | None = None
        self._last: Step | None = None
        tape = problem.tape
        self._out = problem.output_index
        self._wrt = [tape.names[n] for n in problem.wrt]
        self._columns = [tape.names[n] for n in data.columns] if data else []
        self._arrays = problem.arrays
        self._check_output = True  # an array output is refused once, before the first sweep
        # A program of scalar ops over data rows: every row at once, one sweep per step.
        self._batch = None
        if data is not None and not self._arrays and vectorizable(tape):
            from gradcli.core.values import np

            self._batch = [np.array([row[k] for row in data.rows]) for k in range(len(data.columns))]

    def _sweep(self, inputs: dict) -> tuple[float, list]:
        """The loss and the gradient of each variable at one point (one data row)."""
        tape, out, arrays = self.problem.tape, self._out, self._arrays
        vals = sweeps.forward(tape, inputs, arrays)
        if arrays:
            if self._check_output:
                require_scalar_output(self.problem, vals)
                self._check_output = False
            # a variable no gradient reaches holds the symbolic zero None: zeros of its shape
            adj = sweeps.reverse(tape, vals, out, arrays)
            return float(vals[out]), [zeros(shape(vals[i])) if adj[i] is None else adj[i] for i in self._wrt]
        adj = sweeps.reverse(tape, vals, out)
        return vals[out], [adj[i] for i in self._wrt]

    def _loss_and_gradient(self, inputs: dict) -> tuple[float, list]:
        if self.data is None:
            return self._sweep(inputs)
        if self._batch is not None:
            try:
                return self._rows_at_once(inputs)
            except EvaluationError:
                pass  # the row loop below finds the row, and says which
        return self._row_by_row(inputs)

    def _rows_at_once(self, inputs: dict) -> tuple[float, list]:
        """The mean loss and gradient over the rows in one forward pass and one reverse sweep.

        Each data column is bound to the array of its rows; every op is elementwise, so the
        rows do not mix, and seeding the output with 1/n gives the mean gradient (a variable,
        one number for every row, receives the sum over the rows: ``values.unbroadcast``).
        """
        from gradcli.autodiff import array_sweeps
        from gradcli.core.values import np

        batch = dict(inputs)
        for index, column in zip(self._columns, self._batch):
            batch[index] = column
        tape, out = self.problem.tape, self._out
        n = len(self.data.rows)
        vals = array_sweeps.forward(tape, batch)
        adj = array_sweeps.reverse(tape, vals, out, seed=np.full(n, 1.0 / n))
        return float(np.mean(vals[out])), [0.0 if adj[i] is None else float(adj[i]) for i in self._wrt]

    def _row_by_row(self, inputs: dict) -> tuple[float, list]:
        """The mean loss and gradient over the rows, a sweep per row (a program with arrays)."""
        loss = 0.0
        grad: list = [0.0] * len(self._wrt)
        columns = self._columns
        for r, row in enumerate(self.data.rows, start=1):
            for index, v in zip(columns, row):
                inputs[index] = v
            try:
                value, g = self._sweep(inputs)
            except EvaluationError as exc:
                exc.message = f"data row {r}: {exc.message}"
                exc.args = (exc.message,)
                raise
            loss += value
            grad = [a + b for a, b in zip(grad, g)]
        n = len(self.data.rows)
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
            except EvaluationError as exc:
                if last is None:
                    raise
                raise self._diverged(k, exc.message, last) from None
            if not (math.isfinite(loss) and all(all_finite(g) for g in grad)):
                if last is None:
                    raise EvaluationError(f"the loss {short(loss)} or its gradient is not finite "
                                          "at the starting point")
                raise self._diverged(k, f"the loss is {short(loss)}", last)
            step = Step(k, loss, dict(zip(names, x)), dict(zip(names, grad)))
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

    def _update(self, x: list, grad: list) -> list:
        """``w - lr * gradient`` for every variable; an overflow there is found by ``_require_finite``."""
        if not self._arrays:
            return [v - self.lr * g for v, g in zip(x, grad)]
        from gradcli.core.values import np

        with np.errstate(all="ignore"):
            return [v - self.lr * g for v, g in zip(x, grad)]

    def _require_finite(self, k: int, x: list, last: Step) -> None:
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

    def _diverged(self, k: int, what: str, last: Step) -> Diverged:
        values = ", ".join(f"{n}={brief(v)}" for n, v in last.values.items())
        return Diverged(f"descent diverged at step {k}: {what}; last finite values (step {last.step}, "
                        f"{self.problem.output}={short(last.loss)}): {values}; "
                        f"try a smaller --lr (now {short(self.lr)})")
