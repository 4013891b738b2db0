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
from pathlib import Path

from gradcli.autodiff import sweeps
from gradcli.core.values import all_finite, brief, is_array, shape, zeros
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
        """The Euclidean norm of the whole gradient, every element of every variable."""
        return math.sqrt(sum(_squares(g) for g in self.gradient.values()))


def _squares(g) -> float:
    return float((g * g).sum()) if is_array(g) else g * g


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

def read_data(path: str | Path) -> DataSet:
    """A CSV file with a header row, or JSON lines (one object per line), as columns of floats."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read it ({exc.strerror})") from None
    first = text.lstrip()[:1]
    data = _read_json_lines(path, text) if first == "{" else _read_csv(path, text)
    if not data.rows:
        raise DataError(f"{path}: no data rows")
    return data


def _number(path: Path, line: int, column: str, cell) -> float:
    try:
        value = float(cell)
    except (TypeError, ValueError):
        value = math.nan
    if isinstance(cell, bool) or not math.isfinite(value):
        raise DataError(f"{path}:{line}: column {column}: {cell!r} is not a finite number")
    return value


def _read_csv(path: Path, text: str) -> DataSet:
    import csv

    reader = csv.reader(text.splitlines())
    header: list[str] | None = None
    rows: list[list[float]] = []
    for line, cells in enumerate(reader, start=1):
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        if header is None:
            header = cells
            if any(not c.isidentifier() for c in header):
                bad = next(c for c in header if not c.isidentifier())
                raise DataError(f"{path}:{line}: the first row must be a header of input names, "
                                f"but it has {bad!r}")
            _no_duplicates(path, line, header)
            continue
        if len(cells) != len(header):
            raise DataError(f"{path}:{line}: {len(cells)} value{'s' if len(cells) != 1 else ''} for "
                                f"{len(header)} column{'s' if len(header) != 1 else ''}")
        rows.append([_number(path, line, name, cell) for name, cell in zip(header, cells)])
    if header is None:
        raise DataError(f"{path}: empty: expected a header row of input names, then rows of numbers")
    return DataSet(str(path), header, rows)


def _read_json_lines(path: Path, text: str) -> DataSet:
    import json

    columns: list[str] | None = None
    rows: list[list[float]] = []
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}:{line}: not a JSON object ({exc.msg})") from None
        if not isinstance(obj, dict) or not obj:
            raise DataError(f"{path}:{line}: each line must be a JSON object like {{\"x\": 1, \"y\": 2}}")
        if columns is None:
            columns = list(obj)
        elif set(obj) != set(columns):
            raise DataError(f"{path}:{line}: the keys {', '.join(obj)} differ from the first line's "
                            f"{', '.join(columns)}")
        rows.append([_number(path, line, name, obj[name]) for name in columns])
    return DataSet(str(path), columns or [], rows)


def _no_duplicates(path: Path, line: int, header: list[str]) -> None:
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise DataError(f"{path}:{line}: column {name} appears twice")
        seen.add(name)


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
                x = [v - self.lr * g for v, g in zip(x, grad)]
        self.result = self._summary(converged)

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
