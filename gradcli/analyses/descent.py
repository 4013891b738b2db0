"""Gradient descent on a program's output: forward pass, backward pass, update.

Each step is a forward pass to the loss, a backward pass to the gradient of
every variable being trained, then an update: ``w = w - lr * gradient``, or
another rule of ``optimizers.py`` (momentum, Adam, ...) at a rate its schedule
sets.  The tape is built
once; every step (and every data row) reruns the sweeps (``sweeps.Plan``'s
values and reverse: the compiled scalar plan, or the array sweeps when the
program has arrays) on that same tape.  A variable may be an array: its
gradient has its shape and the update is elementwise.

With data (``--data FILE``, CSV with a header row or JSON lines), each column
binds the input of the same name row by row; the loss is the mean of the output
over the rows and the gradient the mean of the rows' gradients (full-batch
descent).  With minibatches (``minibatches.py``), each update sees the rows of
one batch: a --data file's, or those of inputs bound whole whose first axis
holds the examples (--examples).  Where an epoch ends the point is measured on
whole sets (``Evaluation``: the training rows' loss, the held-out rows', and the
--metric nodes on each).

``Descent`` is iterated: it yields one ``DescentStep`` per step, step 0 being the start
and step k the point after k updates, so a caller can stream them; afterwards
``Descent.result`` holds the summary.  A loss or gradient that stops being
finite raises ``Diverged`` (exit 1) with the step, the last finite values and
the advice to lower the learning rate.
"""

from __future__ import annotations

import contextlib
import functools
import math
from array import array
from collections.abc import Callable, Collection, Sequence

from gradcli.analyses import passes
from gradcli.autodiff.array_sweeps import Unbatched, batchable
from gradcli.autodiff.sweeps import Plan
from gradcli.support.data_rows import MISSING, DataReader, array_cell_hint
from gradcli.core.values import all_finite, all_finite_in, brief, dense, norm_of, numpy_quiet, shape_text
from gradcli.support.errors import BindingError, EvaluationError, ExitCode, GradError, UsageError
from gradcli.support.numbers import short
from gradcli.support.records import Frozen, Record
from gradcli.analyses.columns import ColumnRules
from gradcli.analyses.minibatches import Batches, Examples, examples_of, split
from gradcli.analyses.optimizers import Optimizer, Schedule, Settings
from gradcli.autodiff.loading import check_shapes
from gradcli.autodiff.problem import Problem, require_scalar_output


class Diverged(GradError):
    """The loss or the gradient became nan or infinite during descent: exit 1."""

    kind = "diverged"
    exit_code = ExitCode.FAILED


class DataError(UsageError):
    """The --data file cannot be read as rows of numbers for the program's inputs: exit 2."""

    kind = "data"


class DataSet(Record):
    """The rows of --data: each column's values with the rows along axis 0 (``(n,) + shape`` for a
    column of JSON arrays), and each row's line in the file."""

    _fields = ("source", "columns", "values", "lines", "format")

    def __init__(self, source: str, columns: list[str], values: list, lines: Sequence[int] = (),
                 format: str = "jsonl"):
        self.source = source  # the file name, for messages
        self.columns = columns
        self.values = values  # one array per column, the rows along axis 0
        self.lines = lines  # each row's line in the file (from 1)
        self.format = format  # csv, tsv or jsonl: a CSV's cells are numbers, never arrays

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

    def bind(self, inputs: dict, indices: list[int], r: int) -> dict:
        """``inputs`` with row ``r``'s cell of each column bound to its input node (``indices``, in the
        columns' order): a float, or an array."""
        for index, column in zip(indices, self.values):
            inputs[index] = _cell(column, r)
        return inputs

    @contextlib.contextmanager
    def row_named(self, r: int):
        """An evaluation that fails in here says so of row ``r``: ``FILE: data row 3 (line 4): ...``."""
        try:
            yield
        except EvaluationError as exc:
            line = f" (line {self.lines[r]})" if len(self.lines) else ""
            exc.message = f"{self.source}: data row {r + 1}{line}: {exc.message}"
            exc.args = (exc.message,)
            raise

    def take(self, indices) -> "DataSet":
        """The rows at ``indices`` (an array of row numbers), in that order, with their lines."""
        from gradcli.core.values import np

        indices = np.asarray(indices, dtype=np.int64)
        lines = np.asarray(self.lines, dtype=np.int64)[indices].tolist() if len(self.lines) else ()
        return DataSet(self.source, self.columns, [column[indices] for column in self.values], lines, self.format)


class Evaluation(Record):
    """The point measured on whole sets, at the start and at each epoch's end: the loss over every
    training row (not one minibatch's), the held-out rows' loss, and the --metric nodes on each."""

    _fields = ("train_loss", "validation_loss", "metrics", "validation_metrics")

    def __init__(self, train_loss: float, validation_loss: float | None = None, metrics: dict | None = None,
                 validation_metrics: dict | None = None):
        self.train_loss = train_loss
        self.validation_loss = validation_loss
        self.metrics = {} if metrics is None else metrics  # name -> value over the training rows
        self.validation_metrics = {} if validation_metrics is None else validation_metrics


class DescentStep(Record):
    _fields = ("step", "loss", "values", "gradient", "epoch", "lr", "evaluation", "health")

    # No __slots__: ``norms`` is cached in the instance's __dict__.
    def __init__(self, step: int, loss: float, values: dict, gradient: dict, epoch: int | None = None,
                 lr: float | None = None, evaluation: Evaluation | None = None, health: object = None):
        self.step = step
        self.loss = loss  # over the rows this step's gradient was taken on: a minibatch's, or every row's
        self.values = values  # the variables being trained: floats, or arrays
        self.gradient = gradient  # of the same shapes
        self.epoch = epoch  # with --epochs or --batch-size: the epoch the next update belongs to
        self.lr = lr  # the learning rate of the next update (with a schedule)
        self.evaluation = evaluation  # at the start and where an epoch ends
        self.health = health  # a health.HealthReport, every --health N steps and at the end

    @functools.cached_property
    def norms(self) -> dict:
        """Each variable's gradient norm, computed once for every reader (the step line, the charts)."""
        return {name: norm_of(g) for name, g in self.gradient.items()}

    @property
    def norm(self) -> float:
        """The Euclidean norm of the whole gradient, every element of every variable (scaled: squares
        of 1e200 overflow, the norm does not)."""
        return math.hypot(*self.norms.values())


class DescentResult(Record):
    _fields = ("output", "lr", "start", "final", "converged", "until", "rows", "fixed", "interrupted", "training",
               "start_evaluation", "final_evaluation", "epochs", "history", "health")

    def __init__(self, output: str, lr: float, start: DescentStep, final: DescentStep, converged: bool,
                 until: float | None, rows: int | None, fixed: dict, interrupted: bool = False,
                 training: Training | None = None, start_evaluation: Evaluation | None = None,
                 final_evaluation: Evaluation | None = None, epochs: int | None = None,
                 history: History | None = None, health: object = None):
        self.output = output
        self.lr = lr
        self.start = start
        self.final = final
        self.converged = converged  # stopped because the gradient's norm fell below ``until``
        self.until = until
        self.rows = rows  # data rows, or None without data
        self.fixed = fixed  # inputs held fixed (data columns excluded)
        self.interrupted = interrupted  # stopped by Ctrl-C: ``final`` is the last step reached
        self.training = training
        self.start_evaluation = start_evaluation
        self.final_evaluation = final_evaluation  # the last one made (the final point's, when an epoch ends there)
        self.epochs = epochs  # the epochs completed, with --epochs or --batch-size
        self.history = history  # with --plot or --chart
        self.health = health  # the last health.HealthReport, with --health

    @property
    def steps(self) -> int:
        return self.final.step


class History(Record):
    """What a chart of the run draws: each step's loss and gradient norms, and the evaluations."""

    _fields = ("losses", "norms", "evaluations")

    def __init__(self, losses: list | None = None, norms: dict | None = None, evaluations: list | None = None):
        self.losses = [] if losses is None else losses  # (step, loss)
        self.norms = {} if norms is None else norms  # variable -> [(step, |gradient|)]
        self.evaluations = [] if evaluations is None else evaluations  # (step, Evaluation)

    def add(self, step: "DescentStep", whole: bool = False) -> None:
        """``whole``: a minibatch run's last step, whose loss and gradient are every training row's, not
        a minibatch's: it joins the series of the whole rows (its evaluation), not the minibatches'."""
        if not whole:
            self.losses.append((step.step, step.loss))
            for name, norm in step.norms.items():
                self.norms.setdefault(name, []).append((step.step, norm))
        if step.evaluation is not None:
            self.evaluations.append((step.step, step.evaluation))


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
    return DataSet(name, columns, values, lines, reader.format)


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

def prepare_descent(problem: Problem, data: DataSet | None, wrt_given: bool, examples: Collection[str] = ()) -> Problem:
    """Check the data columns against the inputs; drop data columns (and --examples) from the default --wrt.

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
        wrt = [n for n in problem.wrt if n not in columns and n not in examples]
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
        try:
            prepared.shapes = check_shapes(tape, tape, values, first_row, what="data column")
        except GradError as exc:
            if data is not None and data.format != "jsonl":  # as eval --data says it
                exc.message += array_cell_hint(data.format, data.columns[0])
                exc.args = (exc.message,)
            raise
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

class Training(Frozen):
    """How descend trains beyond ``w -= lr * g``: the optimizer, the schedule, minibatches and epochs,
    held-out rows, the --metric nodes, and the checkpoint hook (--save)."""

    __slots__ = _fields = ("optimizer", "schedule", "batch_size", "epochs", "seed", "examples", "validation",
                           "metrics", "checkpoint", "save_every", "health_every", "history", "charts", "finished",
                           "save_path", "every_epoch", "hold_out")

    def __init__(self, optimizer: Settings | None = None, schedule: Schedule | None = None,
                 batch_size: int | None = None, epochs: int | None = None, seed: int = 0,
                 examples: tuple[str, ...] = (), validation: DataSet | Examples | None = None,
                 metrics: tuple[str, ...] = (),
                 checkpoint: Callable | None = None, save_every: int | None = None, health_every: int | None = None,
                 history: bool = False, charts: bool = False, finished: Callable | None = None,
                 save_path: str | None = None, every_epoch: bool = True, hold_out: float | None = None):
        put = object.__setattr__
        put(self, "optimizer", Settings() if optimizer is None else optimizer)
        put(self, "schedule", Schedule() if schedule is None else schedule)
        put(self, "batch_size", batch_size)
        put(self, "epochs", epochs)
        put(self, "seed", seed)
        put(self, "examples", examples)  # inputs bound whole whose axis 0 holds the examples
        put(self, "validation", validation)  # held-out rows: a DataSet (--data) or Examples (--examples)
        put(self, "metrics", metrics)  # program nodes reported on the training and held-out rows
        # Called with (step, last) at every ``save_every``-th step and at the end (after Ctrl-C too).
        put(self, "checkpoint", checkpoint)
        put(self, "save_every", save_every)
        put(self, "health_every", health_every)  # a health report every N steps and at the end
        put(self, "history", history)  # keep each step's loss and gradient norms (for charts)
        put(self, "charts", charts)  # draw them under the table (--chart)
        put(self, "finished", finished)  # called with the result when the run ends (after Ctrl-C too)
        put(self, "save_path", save_path)  # where the checkpoint writes (--save), for the done line to say
        # Measure the point on whole sets where every epoch ends (the JSON lines and the charts show each);
        # False: at the start and the end alone, all the table shows.
        put(self, "every_epoch", every_epoch)
        put(self, "hold_out", hold_out)  # or the fraction of the training rows to hold out (seeded)

    @property
    def batched(self) -> bool:
        return self.batch_size is not None or self.epochs is not None


class Descent:
    """Iterate to run: yields a ``DescentStep`` per step, then ``result`` holds the summary."""

    def __init__(self, problem: Problem, lr: float, steps: int, until: float | None = None,
                 data: DataSet | None = None, training: Training | None = None):
        if not (lr > 0 and math.isfinite(lr)):
            raise UsageError(f"--lr {lr}: the learning rate must be a positive number")
        if until is not None and not until >= 0:
            raise UsageError(f"--until {until}: the tolerance must be zero or more")
        training = training or Training()
        self.problem = problem
        self.lr = lr
        self.until = until
        self.training = training
        self.optimizer = Optimizer(training.optimizer)
        self.result: DescentResult | None = None
        self._start: DescentStep | None = None
        self._last: DescentStep | None = None
        self._evaluations: list[Evaluation] = []
        self._history = History() if training.history else None
        tape = problem.tape
        self._out = problem.output_index
        self._wrt = [tape.names[n] for n in problem.wrt]
        self._metrics = [tape.names[n] for n in training.metrics]
        self._passes = Plan.of(problem)
        self._check_output = True
        # Each step's reverse sweep tests no edge; only when the loss or a gradient is not finite
        # is the step swept again, checked (``_checked_again``), to say where it failed.
        self._checked = False
        # The training rows: a --data file's, or the examples of inputs bound whole (--examples).
        self.examples = examples_of(problem.values, list(training.examples), problem.wrt) \
            if training.examples else None
        rows = data if data is not None else self.examples
        held_out = training.validation
        if training.hold_out is not None:
            if rows is None:
                raise UsageError(f"--validate {training.hold_out:g}: there are no rows to hold out (give --data "
                                 "FILE, or --examples for inputs bound whole)")
            rows, held_out = split(rows, training.hold_out, training.seed)
        if data is not None:
            data = rows
        else:
            self.examples = rows
        self.data = data
        self._held_out = held_out
        if training.batched and rows is None:
            raise UsageError("--batch-size and --epochs split rows: give --data FILE, or --examples X,Y for "
                             "inputs bound whole with one example a row")
        if training.batch_size is not None and until is not None:
            raise UsageError("--until stops on the gradient's norm, and with --batch-size each step's gradient "
                             "is one minibatch's: use --epochs (or --steps) instead")
        self.batches = Batches(rows.n if rows is not None else 0, training.batch_size, training.epochs,
                               training.seed) if training.batched else None
        self.steps = self.batches.updates(steps) if self.batches else steps
        self._columns = [tape.names[n] for n in data.columns] if data else []
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
        order = range(self.data.n) if rows is None else rows
        for r in order:
            with self.data.row_named(r):
                value, g = self._sweep(self.data.bind(inputs, self._columns, r))
            loss += value
            grad = [a + b for a, b in zip(grad, g)]
        n = len(order)
        return loss / n, [g / n for g in grad]

    def _rows_loss(self, inputs: dict, rows=None) -> tuple[float, list]:
        """The loss and gradient over training rows (None: all of them): data rows, or the examples'."""
        if self.examples is not None:
            names = self.problem.tape.names
            for name, a in self.examples.inputs.items():
                inputs[names[name]] = a if rows is None else a[rows]
        return self._loss_and_gradient(inputs, rows if self.examples is None else None)

    def _measured(self, inputs: dict, nodes: list[int], rows) -> list[float]:
        """Each node's value over a whole set of rows (the training rows, or the held-out ones): its
        mean over data rows, or its value with the examples bound whole (a forward pass, no gradient)."""
        if isinstance(rows, Examples):
            names = self.problem.tape.names
            for name, a in rows.inputs.items():
                inputs[names[name]] = a
            vals = self._passes.values(inputs)
            return [self._number(vals[i], i) for i in nodes]
        return self._row_means(inputs, nodes, rows)

    def _row_means(self, inputs: dict, nodes: list[int], data: DataSet) -> list[float]:
        """The mean of each node over the data rows: one batched forward pass when every op takes the
        rows (and no row is bad), else a pass per row, whose error names the row."""
        from gradcli.core.values import np

        n = data.n
        if self._batch:
            batch = dict(inputs)
            for index, column in zip(self._columns, data.values):
                batch[index] = column
            try:
                vals, bad = Plan(self.problem.tape).row_values(batch, n, batched=self._columns)
            except Unbatched:
                vals, bad = None, None
            if vals is not None and not bad.any() and all(np.shape(vals[i]) == (n,) for i in nodes):
                return [float(np.mean(vals[i])) for i in nodes]
        totals = [0.0] * len(nodes)
        for r in range(n):
            with data.row_named(r):
                vals = self._passes.values(data.bind(inputs, self._columns, r))
            totals = [t + self._number(vals[i], i) for t, i in zip(totals, nodes)]
        return [t / n for t in totals]

    def _number(self, v, index: int) -> float:
        from gradcli.core.values import shape

        if shape(v):
            name = self.problem.tape.nodes[index].name
            raise UsageError(f"--metric {name}: {name} is an array of shape {shape_text(shape(v))}; a metric is "
                             f"one number (take its mean, like 'acc = mean(...)')")
        return float(v)

    def _evaluate(self, inputs: dict, loss: float | None) -> Evaluation:
        """The point on whole sets: the training rows' loss (``loss`` when the step's gradient was
        already taken on every row) and metrics, and the held-out rows'."""
        nodes = self._metrics + ([] if loss is not None else [self._out])
        training = self.examples if self.examples is not None else self.data
        measured = self._measured(dict(inputs), nodes, training) if nodes else []
        train_loss = loss if loss is not None else measured[-1]
        names = list(self.training.metrics)
        evaluation = Evaluation(train_loss, metrics=dict(zip(names, measured)))
        if self._held_out is not None:
            values = self._measured(dict(inputs), self._metrics + [self._out], self._held_out)
            evaluation.validation_loss = values[-1]
            evaluation.validation_metrics = dict(zip(names, values))
        return evaluation

    def __iter__(self):
        names = self.problem.wrt
        inputs = self.problem.input_values()
        x = [inputs[i] for i in self._wrt]
        last = None
        converged = False
        batches = self.batches
        previous = None  # the point before the last update
        plan = batches.plan(self.steps) if batches else iter(())
        per_epoch = batches.per_epoch if batches else 1
        measure = self._measures()
        every_epoch = self.training.every_epoch
        for k in range(self.steps + 1):
            epoch, rows = next(plan, (None, None)) if k < self.steps else (None, None)
            for i, v in zip(self._wrt, x):
                inputs[i] = v
            try:
                loss, grad = self._rows_loss(inputs, rows)
                finite = math.isfinite(loss) and all_finite_in(grad)
                if not finite:
                    self._checked_again(inputs, rows)
            except EvaluationError as exc:
                if last is None:
                    raise
                raise self._diverged(k, exc.message, last) from None
            if not finite:
                if last is None:
                    raise EvaluationError(f"the loss {short(loss)} or its gradient is not finite "
                                          "at the starting point")
                raise self._diverged(k, f"the loss is {short(loss)}", last)
            lr = self._lr(k, per_epoch)
            step = DescentStep(k, loss, dict(zip(names, x)), dict(zip(names, grad)),
                               epoch=k // per_epoch if batches else None,
                               lr=lr if self.training.schedule.kind != "constant" and k < self.steps else None)
            if measure and (k == 0 or k == self.steps or (every_epoch and k % per_epoch == 0)):
                step.evaluation = self._evaluate(inputs, loss if rows is None else None)
                self._evaluations.append(step.evaluation)
            following = None
            if k < self.steps:
                with numpy_quiet():
                    following = self.optimizer.step(x, grad, lr)
            every = self.training.health_every
            if every and (k % every == 0 or k == self.steps):
                step.health = self._health(x, following, lr, previous)
            if self._history is not None:
                self._history.add(step, whole=bool(batches and batches.size) and rows is None)
            self._start = self._start or step
            self._last = last = step
            yield step
            if self.until is not None and step.norm < self.until:
                converged = True
                break
            if following is not None:
                previous, x = x, following
                self._require_finite(k + 1, x, last)
                self._save(k + 1, x)
        self._finish(self._summary(converged))

    def _measures(self) -> bool:
        """Whether the point is measured on whole sets: with minibatches, held-out rows or metrics."""
        return self.batches is not None or self._held_out is not None or bool(self._metrics)

    def _health(self, x: list, following: list | None, lr: float, previous: list | None):
        """The health report at the point ``x`` over every training row, with the update the
        optimizer is about to make (at the last step, the last one it made)."""
        from gradcli.analyses.health import health_report

        names = self.problem.wrt
        values = dict(zip(names, x))
        optimizer = self.training.optimizer.name
        if following is not None:
            updates, said = {n: a - b for n, a, b in zip(names, x, following)}, f"{optimizer}'s next update"
        elif previous is not None:
            updates, said = {n: a - b for n, a, b in zip(names, previous, x)}, f"{optimizer}'s last update"
        else:
            updates, said = None, None
        if self.examples is not None:
            values.update(self.examples.inputs)
            return health_report(self.problem, values, None, updates, lr=lr, examples=list(self.examples.inputs),
                                 paths=3, update_from=said)
        rows = dict(zip(self.data.columns, self.data.values)) if self.data is not None else None
        return health_report(self.problem, values, None, updates, lr=lr, rows=rows, paths=3, update_from=said)

    def _finish(self, result: DescentResult) -> None:
        """The summary set, --save's last write, and the caller's hook (charts)."""
        self.result = result
        self._checkpoint(self._last, True)
        if self.training.finished is not None:
            self.training.finished(result)

    def _lr(self, k: int, per_epoch: int) -> float:
        """The learning rate of update k + 1: the schedule counts epochs when there are any, else updates."""
        chosen = self.training.schedule
        if self.batches is not None:
            return chosen.lr(self.lr, k // per_epoch, math.ceil(self.steps / per_epoch))
        return chosen.lr(self.lr, k, self.steps)

    def _save(self, k: int, x: list) -> None:
        every = self.training.save_every
        if every and k % every == 0 and k < self.steps:
            self._checkpoint(DescentStep(k, math.nan, dict(zip(self.problem.wrt, x)), {}), False)

    def _checkpoint(self, step: DescentStep | None, last: bool) -> None:
        if self.training.checkpoint is not None and step is not None:
            self.training.checkpoint(step, last)

    def _checked_again(self, inputs: dict, rows=None) -> None:
        """The step swept again, every edge tested: raises where a partial fails (else the caller
        says that the loss or its gradient is not finite)."""
        self._checked = True
        try:
            self._rows_loss(inputs, rows)
        finally:
            self._checked = False

    def _require_finite(self, k: int, x: list, last: DescentStep) -> None:
        """A variable the update took past the largest double (inf, or nan) is divergence, whatever
        the loss there says (``-pow(z, -3)`` is 0 at z = -inf, with a gradient of 0)."""
        if all_finite_in(x):
            return
        for name, v in zip(self.problem.wrt, x):
            if not all_finite(v):
                raise self._diverged(k, f"the update takes {name} to {brief(v)}", last)

    def _summary(self, converged: bool, interrupted: bool = False) -> DescentResult:
        names = self.problem.wrt
        examples = self.examples.inputs if self.examples is not None else {}
        fixed = {n: v for n, v in self.problem.values.items()
                 if n not in names and n not in examples and not (self.data and n in self.data.columns)}
        rows = self.data.n if self.data else (self.examples.n if self.examples is not None else None)
        evaluations = self._evaluations
        epochs = self._last.epoch if self.batches is not None else None
        healthy = self._last.health if self._last is not None and self._last.health is not None else None
        return DescentResult(self.problem.output, self.lr, self._start, self._last, converged, self.until,
                             rows, fixed, interrupted, self.training,
                             evaluations[0] if evaluations else None, evaluations[-1] if evaluations else None,
                             epochs, self._history, healthy)

    def interrupted(self) -> DescentResult | None:
        """The summary up to the last step reached, after Ctrl-C (None before step 0 was done), with
        that step measured on whole sets; --save writes the last step's parameters."""
        if self._last is None:
            return None
        if self._measures() and self._last.evaluation is None:
            inputs = self.problem.input_values()
            for i, v in zip(self._wrt, self._last.values.values()):
                inputs[i] = v
            self._last.evaluation = self._evaluate(inputs, None)
            self._evaluations.append(self._last.evaluation)
        self._finish(self._summary(converged=False, interrupted=True))
        return self.result

    def _diverged(self, k: int, what: str, last: DescentStep) -> Diverged:
        values = ", ".join(f"{n}={brief(v)}" for n, v in last.values.items())
        return Diverged(f"descent diverged at step {k}: {what}; last finite values (step {last.step}, "
                        f"{self.problem.output}={short(last.loss)}): {values}; "
                        f"try a smaller --lr (now {short(self.lr)})")
