"""The health of a network's gradients at one point, over its rows: the figures a practitioner reads.

``health_report`` sweeps the program once over its rows (a forward pass and a reverse
sweep, ``sweeps.Plan``) and reports, each figure with the rule of thumb it is judged by
and where the rule comes from (``RULES``):

* per tanh or sigmoid node, the share of its (row, unit) entries that are saturated, and
  the units saturated for every row; per ReLU node, the units dead for every row;
* per trained input, its gradient's norm and the update/weight ratio |update| / |W|;
* the loss against its chance value -ln(1/C), when the loss reads a ``logsumexp``,
  ``log_softmax`` or ``softmax`` over C classes;
* the paths from the parameters to the loss along which the gradient shrinks or grows
  most: on the tape (the layer-level graph), each edge's gain is the norm of what it hands
  back over the norm of what it receives; the k-best program of ``paths.PathGraph`` ranks
  the paths by the product of their gains, largest first, and on the reciprocal gains the
  smallest.

What a row is: with data rows (``rows``: each data column's values, one per row), every
row of the file; with ``examples`` (inputs bound whole, one example along axis 0), the
first axis of every node computed from them; otherwise every element is a unit and there
is one row.  A node's other axes are its units.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from gradcli.analyses.batch import prepare_batch, run
from gradcli.analyses.paths import PathGraph
from gradcli.autodiff.array_sweeps import batchable, edge_vjp
from gradcli.autodiff.problem import Problem, require_scalar_output
from gradcli.autodiff.sweeps import Plan, row_total
from gradcli.core.tape import CONST, OPERATION
from gradcli.core.values import is_zero, norm_of, np, or_zeros, shape, unbroadcast
from gradcli.support.numbers import short
from gradcli.support.errors import EvaluationError, UsageError

TANH_SATURATED = 0.97  # |tanh| above this is saturated (Karpathy, makemore part 3)
# sigmoid(x) = (1 + tanh(x/2)) / 2: |2 s - 1| > 0.97 is the same saturation, s outside [0.015, 0.985]
SIGMOID_SATURATED = (0.015, 0.985)
SATURATED_SHARE = 0.05  # more than this share of saturated entries is flagged
DEAD_SHARE = 0.10  # no unit should be dead; this share or more is flagged as bad
RATIO_LOW, RATIO_HIGH = 1e-4, 1e-2  # the update/weight ratio: about 1e-3 is healthy
CHANCE_FACTOR = 1.5  # a loss above 1.5 times its chance value is far above it
VANISHING, EXPLODING = 1e-6, 1e6  # a path's product of gains below / above these

OK, WARN, NA = "ok", "warn", "n/a"


@dataclass(frozen=True)
class Rule:
    text: str
    source: str


RULES = {
    "tanh": Rule(f"a tanh unit is saturated where |tanh| > {TANH_SATURATED} (its local gradient 1 - t^2 is "
                 f"below 0.06); a few percent (at most {SATURATED_SHARE:.0%}) is healthy; a unit saturated "
                 "for every row never learns", "Karpathy, makemore part 3"),
    "sigmoid": Rule(f"a sigmoid unit is saturated outside [{SIGMOID_SATURATED[0]}, {SIGMOID_SATURATED[1]}], where "
                    f"tanh is: sigmoid(x) = (1 + tanh(x/2))/2; at most {SATURATED_SHARE:.0%} is healthy",
                    "Karpathy, makemore part 3; CS231n, Neural Networks 1"),
    "relu": Rule("a ReLU unit that outputs 0 for every row has a zero gradient for every row and never "
                 f"recovers: none should be dead; {DEAD_SHARE:.0%} or more is bad (too large a learning rate, "
                 "or a bad initialisation)", "CS231n, Neural Networks 1"),
    "gradient": Rule("a gradient norm of 0 means no gradient reaches the parameter; one that is not finite "
                     "has exploded", "Pascanu, Mikolov & Bengio 2013"),
    "ratio": Rule(f"the update/weight ratio |lr * gradient| / |W|: about 1e-3 is healthy; below {RATIO_LOW:g} "
                  f"the parameter learns too slowly, above {RATIO_HIGH:g} too fast", "CS231n, Neural Networks 3"),
    "chance": Rule(f"a cross-entropy over C classes starts at about its chance value -ln(1/C) (2.302 for 10); "
                   f"far above it (more than {CHANCE_FACTOR}x) at initialisation, the network is confidently "
                   "wrong: scale the last layer's weights down", "CS231n, Neural Networks 3; Karpathy, makemore "
                                                                  "part 3"),
    "paths": Rule("each edge's gain is |gradient it hands back| / |gradient it receives|; a path's product "
                  "(times the loss's seed) is about what it alone hands its parameter; below "
                  f"{VANISHING:g} the gradient vanishes along it, above {EXPLODING:g} it explodes",
                  "Bengio, Simard & Frasconi 1994; Pascanu, Mikolov & Bengio 2013"),
}

ACTIVATIONS = ("tanh", "sigmoid", "relu")
CLASS_OPS = ("logsumexp", "log_softmax", "softmax")


@dataclass
class Activation:
    """One tanh, sigmoid or ReLU node over the rows."""

    node: str  # its label
    kind: str  # "tanh", "sigmoid" or "relu"
    definition: str  # how it is computed: tanh(v2)
    rows: int
    units: int
    saturated: float | None  # tanh, sigmoid: the share of (row, unit) entries saturated
    always: int  # units saturated (tanh, sigmoid) or dead (relu: output 0) for every row
    verdict: str
    note: str

    @property
    def rule(self) -> Rule:
        return RULES[self.kind]


@dataclass
class ParameterHealth:
    name: str
    shape: tuple
    norm: float  # |W|
    gradient_norm: float
    update_norm: float  # |update|: lr * |gradient| unless the update is given
    ratio: float | None  # |update| / |W|; None when |W| = 0
    verdict: str
    note: str


@dataclass
class ChanceLoss:
    loss: float
    classes: int | None  # C, or None when it cannot be told
    chance: float | None  # -ln(1/C)
    logits: str | None  # the node whose axis holds the classes
    verdict: str
    note: str


@dataclass
class GradientPath:
    parameter: str
    nodes: list[str]  # labels: the parameter first, the loss last
    gains: list[float]  # one per edge
    product: float  # the seed's norm times the product of the gains
    which: str  # "largest" or "smallest"
    verdict: str


@dataclass
class HealthReport:
    output: str
    loss: float
    rows: int
    rows_from: str  # "data", "examples X,Y" or "elements"
    lr: float
    activations: list[Activation]
    parameters: list[ParameterHealth]
    chance: ChanceLoss
    paths: list[GradientPath]
    rules: dict = field(default_factory=lambda: dict(RULES))
    warnings: list[str] = field(default_factory=list)
    update_from: str = ""  # what the update is: "lr * gradient, lr = 0.1", or an optimizer's

    @property
    def flagged(self) -> int:
        """How many figures are flagged."""
        return sum(x.verdict == WARN for x in [*self.activations, *self.parameters, self.chance, *self.paths])


# ---------------------------------------------------------------- the report

def health_report(problem: Problem, values: dict | None = None, gradients: dict | None = None,
                  updates: dict | None = None, *, lr: float = 0.1, rows: dict | None = None,
                  examples: Sequence[str] = (), paths: int = 3, update_from: str | None = None) -> HealthReport:
    """The gradient-health report at a point (``values`` over ``problem.values``), over its rows.

    ``gradients``: each trained input's gradient (the mean over the rows), when the caller
    has it (descend); otherwise the sweep's.  ``updates``: the update each parameter is about
    to get (an optimizer's); by default ``lr`` times its gradient.  ``rows``: data columns,
    name -> its values, one per row (axis 0); ``examples``: the inputs bound whole whose axis
    0 holds the examples.  ``paths``: how many largest and smallest paths are listed.
    ``update_from``: what ``updates`` are, for the report's words (descend: "adam's next update").
    """
    point = {**problem.values, **(values or {})}
    if rows and examples:
        raise UsageError("--examples goes with arrays bound whole, not with --data rows: give one")
    sweep = _Sweep(problem, point, rows or {}, list(examples))
    grads = {name: sweep.gradient[name] for name in problem.wrt}
    if gradients:
        grads.update({name: g for name, g in gradients.items() if name in grads})
    report = HealthReport(problem.output, sweep.loss, sweep.n, sweep.rows_from, lr,
                          _activations(sweep), _parameters(problem, point, grads, updates, lr),
                          _chance(sweep), _paths(sweep, paths))
    report.update_from = update_from if updates else f"lr * gradient, lr = {short(lr)}"
    return report


class _Sweep:
    """The forward values and the adjoints over the rows, and each edge's gain."""

    def __init__(self, problem: Problem, point: dict, rows: dict, examples: list[str]):
        self.problem = problem
        tape = self.tape = problem.tape
        self.out = problem.output_index
        self.stacked: set[int] | None = None  # swept row by row: the nodes whose rows were stacked
        if rows:
            self.rows_from = "data"
            self.n = _row_count(rows)
            self.row_nodes = tape.depends_on([tape.names[name] for name in rows])
            self._over_rows(point, rows)
        else:
            self.rows_from = f"examples {','.join(examples)}" if examples else "elements"
            self.n = _example_count(point, examples)
            self.row_nodes = tape.depends_on([tape.names[name] for name in examples]) if examples \
                else [False] * len(tape.nodes)
            self._at_once(point)

    # ---- the sweeps

    def _at_once(self, point: dict) -> None:
        """One forward pass and one reverse sweep (arrays bound whole, or a single point)."""
        tape = self.tape
        plan = Plan.of(self.problem.replace(values=point))
        vals = plan.values({tape.names[k]: v for k, v in point.items() if k in tape.names})
        require_scalar_output(self.problem, vals)
        adj = plan.reverse(vals, self.out)
        self.loss = float(vals[self.out])
        self.vals = vals
        self.gradient = {name: or_zeros(adj[tape.names[name]], vals[tape.names[name]]) for name in self.problem.wrt}
        self.graph = PathGraph(tape, vals, self.out, tensor=True)
        self.seed = 1.0
        gains = _Gains(self.graph, self.row_nodes)
        gains.add(vals, adj)
        self.gains = gains.done()

    def _over_rows(self, point: dict, rows: dict) -> None:
        """Every row at once when every op is elementwise and every value a number; else row by row."""
        tape, n = self.tape, self.n
        inputs = {tape.names[k]: v for k, v in point.items() if k in tape.names and k not in rows}
        columns = {tape.names[k]: np.asarray(v, dtype=float) for k, v in rows.items()}
        if batchable(tape, list(columns)) and all(not shape(v) for v in inputs.values()) \
                and all(c.ndim == 1 for c in columns.values()):
            plan = Plan(tape)
            # total: the parameters keep one value each, and their gradients sum over the rows
            vals, bad = plan.row_values({**inputs, **columns}, n, batched=list(columns), total=True)
            if not bad.any():
                adj = plan.reverse(vals, self.out, seed=np.full(n, 1.0 / n), bad=bad)
                self.loss = float(np.mean(vals[self.out]))
                self.vals = vals
                self.gradient = {name: row_total(adj[tape.names[name]]) for name in self.problem.wrt}
                self.graph = PathGraph(tape, vals, self.out, tensor=True)
                self.seed = 1.0 / math.sqrt(n)
                gains = _Gains(self.graph, self.row_nodes)
                gains.add(vals, adj)
                self.gains = gains.done()
                return
        self._row_by_row(inputs, columns)

    def _row_by_row(self, inputs: dict, columns: dict) -> None:
        """A sweep per row (a program with array ops), each seeded with 1/n; the activations' values
        kept for every row (stacked, the rows on axis 0), the gains accumulated."""
        tape, n = self.tape, self.n
        plan = Plan(tape, True)
        stacks: dict[int, list] = {i: [] for i in range(len(tape.nodes))
                                   if self.row_nodes[i] and _activation_kind(tape, i)}
        loss = 0.0
        gradient: dict = {}
        gains = first = None
        for r in range(n):
            row = dict(inputs)
            for index, column in columns.items():
                row[index] = column[r] if column.ndim > 1 else float(column[r])
            try:
                vals = plan.values(row)
                if first is None:
                    require_scalar_output(self.problem, vals)
                adj = plan.reverse(vals, self.out, seed=1.0 / n)
            except EvaluationError as exc:
                exc.message = f"data row {r + 1}: {exc.message}"
                exc.args = (exc.message,)
                raise
            if first is None:
                first = vals
                self.graph = PathGraph(tape, vals, self.out, tensor=True)
                gains = _Gains(self.graph, self.row_nodes)
            loss += float(vals[self.out])
            for name in self.problem.wrt:
                i = tape.names[name]
                g = or_zeros(adj[i], vals[i])
                gradient[name] = g if name not in gradient else gradient[name] + g
            for i, stack in stacks.items():
                stack.append(vals[i])
            gains.add(vals, adj)
        self.loss = loss / n
        self.gradient = gradient
        # the activations' values with the rows on axis 0; every other node's value is the first row's
        self.vals = list(first)
        for i, stack in stacks.items():
            self.vals[i] = np.stack([np.asarray(v, dtype=float) for v in stack])
        self.stacked = set(stacks)
        self.seed = 1.0 / math.sqrt(n)
        self.gains = gains.done()

    # ---- rows and units

    def has_row_axis(self, i: int) -> bool:
        """Whether node ``i``'s value holds the rows on axis 0 (swept row by row: only the stacked
        activations do; the other values are one row's)."""
        if self.stacked is not None:
            return i in self.stacked
        s = shape(self.vals[i])
        return self.row_nodes[i] and len(s) >= 1 and s[0] == self.n

    def table(self, i: int):
        """Node ``i``'s value as a (rows, units) array."""
        v = np.asarray(self.vals[i], dtype=float)
        if self.has_row_axis(i):
            return v.reshape(self.n, -1)
        return v.reshape(1, -1)

    def unit_shape(self, i: int) -> tuple:
        s = shape(self.vals[i])
        return s[1:] if self.has_row_axis(i) else s


class _Gains:
    """Each edge's gain, |what it hands back| / |what its destination receives|, with norms over
    every row, summed over sweeps (one per row) as the batch sweep holds them: a node computed
    from the rows has one entry per row (their squares add up), any other node the sum over the
    rows (its values add up)."""

    def __init__(self, graph: PathGraph, row_nodes: list[bool]):
        self.graph, self.row_nodes = graph, row_nodes
        self.handed: list = [_Total() for _ in graph.edges]
        self.received: dict[int, _Total] = {edge.dst: _Total() for edge in graph.edges}

    def add(self, vals: list, adj: list) -> None:
        nodes, rows = self.graph.tape.nodes, self.row_nodes
        for e, edge in enumerate(self.graph.edges):
            g = adj[edge.dst]
            if g is not None and not is_zero(g):
                self.handed[e].add(edge_vjp(nodes[edge.dst], edge.operand, g, vals), rows[edge.src])
        for dst, total in self.received.items():
            g = adj[dst]
            if g is not None and not is_zero(g):
                total.add(g if rows[dst] else unbroadcast(g, shape(vals[dst])), rows[dst])

    def done(self) -> list[float]:
        gains = []
        for e, edge in enumerate(self.graph.edges):
            received = self.received[edge.dst].norm()
            gain = self.handed[e].norm() / received if received > 0 else 0.0
            gains.append(gain if math.isfinite(gain) else math.inf)
        return gains


class _Total:
    """A norm over sweeps: of entries kept per row (squares summed), or of a value summed over rows."""

    __slots__ = ("squares", "value")

    def __init__(self):
        self.squares, self.value = 0.0, None

    def add(self, v, per_row: bool) -> None:
        if per_row:
            self.squares += norm_of(v) ** 2
        else:
            self.value = v if self.value is None else self.value + v

    def norm(self) -> float:
        return math.sqrt(self.squares) if self.value is None else math.hypot(math.sqrt(self.squares),
                                                                             norm_of(self.value))


def _row_count(rows: dict) -> int:
    counts = {len(v) for v in rows.values()}
    if len(counts) != 1:
        raise UsageError(f"the data columns have different numbers of rows: {sorted(counts)}")
    n = counts.pop()
    if n == 0:
        raise UsageError("no data rows")
    return n


def _example_count(point: dict, examples: list[str]) -> int:
    """The number of examples: the common length of axis 0 of the ``examples`` inputs (1 without them)."""
    if not examples:
        return 1
    lengths = {}
    for name in examples:
        s = shape(point.get(name))
        if not s:
            raise UsageError(f"--examples {name}: {name} is a number, not an array with one example a row; "
                             "name the inputs whose axis 0 holds the examples")
        lengths[name] = s[0]
    if len(set(lengths.values())) != 1:
        said = ", ".join(f"{name} has {k}" for name, k in lengths.items())
        raise UsageError(f"--examples {','.join(examples)}: their first axes differ ({said}): the examples "
                         "are one per row of each")
    return next(iter(lengths.values()))


# ---------------------------------------------------------------- the figures

def _activation_kind(tape, i: int) -> str | None:
    """``tanh``, ``sigmoid`` or ``relu`` (also ``max(z, 0)``), or None."""
    node = tape.nodes[i]
    if node.kind != OPERATION:
        return None
    name = node.op.name
    if name in ACTIVATIONS:
        return name
    if name == "max" and len(node.args) == 2:
        for a in node.args:
            other = tape.nodes[a]
            if other.kind == CONST and not np.any(other.value):  # max(z, 0), or with zeros of any shape
                return "relu"
    return None


def _activations(sweep: _Sweep) -> list[Activation]:
    found = []
    tape = sweep.tape
    for i in range(len(tape.nodes)):
        kind = _activation_kind(tape, i)
        if kind is None:
            continue
        table = sweep.table(i)
        rows, units = table.shape
        if kind == "relu":
            dead = (table == 0.0).all(axis=0)
            always = int(dead.sum())
            share = always / units if units else 0.0
            verdict = OK if always == 0 else WARN
            note = "no dead unit" if always == 0 else \
                f"{always} of {units} units dead ({share:.0%}){': bad' if share >= DEAD_SHARE else ''}"
            found.append(Activation(tape.nodes[i].label, kind, tape.definition(i), rows, units, None, always,
                                    verdict, note))
            continue
        if kind == "tanh":
            saturated = np.abs(table) > TANH_SATURATED
        else:
            low, high = SIGMOID_SATURATED
            saturated = (table < low) | (table > high)
        share = float(saturated.mean()) if saturated.size else 0.0
        always = int(saturated.all(axis=0).sum()) if rows > 1 else 0
        problems = []
        if share > SATURATED_SHARE:
            problems.append(f"{share:.1%} saturated, more than {SATURATED_SHARE:.0%}")
        if always:
            problems.append(f"{always} of {units} units saturated for every row")
        verdict = WARN if problems else OK
        note = "; ".join(problems) if problems else f"{share:.1%} saturated"
        found.append(Activation(tape.nodes[i].label, kind, tape.definition(i), rows, units, share, always,
                                verdict, note))
    return found


def _parameters(problem: Problem, point: dict, grads: dict, updates: dict | None, lr: float) -> list:
    found = []
    for name in problem.wrt:
        w = point[name]
        g = grads[name]
        u = updates[name] if updates and name in updates else lr * g
        weight, gradient, update = norm_of(w), norm_of(g), norm_of(u)
        ratio = update / weight if weight > 0 else None
        if not math.isfinite(gradient):
            verdict, note = WARN, "the gradient is not finite: it exploded"
        elif gradient == 0.0:
            verdict, note = WARN, "no gradient reaches it"
        elif ratio is None:
            verdict, note = NA, "|W| = 0: no ratio"
        elif ratio < RATIO_LOW:
            verdict, note = WARN, f"too slow (below {RATIO_LOW:g})"
        elif ratio > RATIO_HIGH:
            verdict, note = WARN, f"too fast (above {RATIO_HIGH:g})"
        else:
            verdict, note = OK, "healthy (about 1e-3)"
        found.append(ParameterHealth(name, shape(w), weight, gradient, update, ratio, verdict, note))
    return found


def _chance(sweep: _Sweep) -> ChanceLoss:
    """The loss against -ln(1/C), C read from the shape of the logits a class op reads."""
    tape = sweep.tape
    loss = sweep.loss
    seen: dict[int, str] = {}  # C -> the logits' label
    reasons = []
    for i, node in enumerate(tape.nodes):
        if node.kind != OPERATION or node.op.name not in CLASS_OPS:
            continue
        logits = node.args[0]
        units = sweep.unit_shape(logits)
        axis = node.params[0] if node.params else None
        label = tape.nodes[logits].label
        if axis is None:
            if sweep.has_row_axis(logits):
                reasons.append(f"{node.op.name}({label}) runs over every example, not over classes")
                continue
            classes = int(np.prod(units)) if units else 1
        else:
            full = shape(sweep.vals[logits])
            axis = axis % len(full) if full else 0
            if sweep.has_row_axis(logits):
                if axis == 0:
                    reasons.append(f"{node.op.name}({label}, 0) runs over the examples, not over classes")
                    continue
                classes = full[axis]
            else:
                classes = units[axis] if units else 1
        if classes < 2:
            reasons.append(f"{node.op.name}({label}) runs over {classes} value")
            continue
        seen.setdefault(classes, label)
    if len(seen) == 1:
        (classes, label), = seen.items()
        chance = -math.log(1.0 / classes)
        if loss > CHANCE_FACTOR * chance:
            verdict, note = WARN, (f"{loss / chance:.3g}x chance: far above it (at initialisation: confidently "
                                   "wrong logits)")
        else:
            verdict, note = OK, f"{loss / chance:.3g}x chance"
        return ChanceLoss(loss, classes, chance, label, verdict, note)
    if len(seen) > 1:
        said = ", ".join(f"C = {c} ({label})" for c, label in seen.items())
        return ChanceLoss(loss, None, None, None, NA, f"cannot tell the classes: {said}")
    why = "; ".join(reasons) if reasons else \
        "the loss reads no logsumexp, log_softmax or softmax: not a cross-entropy over classes gradcli can see"
    return ChanceLoss(loss, None, None, None, NA, f"no chance value: {why}")


def _paths(sweep: _Sweep, k: int) -> list[GradientPath]:
    """The ``k`` paths with the largest products of gains, and the ``k`` with the smallest, over
    every parameter (a path listed once, with the largest when there are few)."""
    graph, gains = sweep.graph, sweep.gains
    tape = sweep.tape
    starts = [tape.names[name] for name in sweep.problem.wrt if graph.out[tape.names[name]]]
    if k <= 0 or not starts:
        return []
    largest = _ranked(_weighted(graph, gains), starts, k)
    inverse = [1.0 / g if g > 0 else math.inf for g in gains]
    smallest = _ranked(_weighted(graph, inverse), starts, k)
    found = []
    listed = set()
    for which, chosen in (("largest", largest), ("smallest", smallest)):
        for start, edges in chosen:
            key = (start, tuple(edges))
            if key in listed:
                continue
            listed.add(key)
            path_gains = [gains[e] for e in edges]
            product = sweep.seed * math.prod(path_gains)
            verdict = WARN if product < VANISHING or product > EXPLODING else OK
            found.append(GradientPath(tape.nodes[start].label,
                                      [tape.nodes[start].label] + [tape.nodes[graph.edges[e].dst].label for e in edges],
                                      path_gains, product, which, verdict))
    return found


def _weighted(graph: PathGraph, weights: list[float]) -> PathGraph:
    """The graph with ``weights`` as its edges' partials, for the k-best program."""
    import copy

    weighted = copy.copy(graph)
    weighted.edges = [edge._replace(partial=w) for edge, w in zip(graph.edges, weights)]
    weighted.tensor = False
    return weighted


def _ranked(graph: PathGraph, starts: list[int], k: int) -> list[tuple[int, list[int]]]:
    """The ``k`` paths of largest |product| over every start, largest first."""
    best = graph.best_paths(starts, k)
    scored = []
    for s in starts:
        for rank, edges in enumerate(best[s]):
            product = math.prod(graph.edges[e].partial for e in edges)
            scored.append((-product, starts.index(s), rank, s, edges))
    scored.sort(key=lambda t: t[:3])
    return [(s, edges) for *_, s, edges in scored[:k]]


# ---------------------------------------------------------------- data rows

def read_rows(problem: Problem, reader, bound: Sequence[str]) -> dict:
    """Every row of a data file: each column that binds an input, as an array with one row a row
    (the batch reader's rules: ``analyses/batch.py``); a row that cannot be read or evaluated stops."""
    batch = prepare_batch(problem, reader, list(bound))
    columns: dict[str, list] = {name: [] for name in batch.columns}
    for result in run(batch):
        if result.errors:
            i = min(result.errors)
            error = result.errors[i]
            line = f" (line {error['line']})" if error.get("line") else ""
            message = f"--data {reader.name}: data row {result.start + i + 1}{line}: {error['message']}"
            if error.get("kind") in ("missing", "not-a-number", "column"):
                raise UsageError(message, kind="data")
            raise EvaluationError(message, kind=error.get("kind") or "evaluation")
        for name in columns:
            columns[name].extend(result.inputs[name])
    if not columns or not next(iter(columns.values())):
        raise UsageError(f"--data {reader.name}: no data rows", kind="data")
    return {name: np.array(values, dtype=float) for name, values in columns.items()}
