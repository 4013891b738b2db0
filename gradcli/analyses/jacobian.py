"""The Jacobian of several outputs with respect to the inputs, by forward or reverse mode.

Forward mode fills one column per pass (a tangent pass seeded at one input,
n passes for n inputs); reverse mode fills one row per pass (a sweep from one
output, m passes for m outputs).  Which is cheaper depends only on the shape,
the point the course texts make: wide (few inputs) favours forward, tall
(few outputs) favours reverse.  With no mode asked for, the cheaper one is
used, reverse at a tie.

With arrays, every output and input is flattened in C order into elements
labelled ``q[0]``, ``W[1,0]``: a reverse pass seeds one output element (a
one-hot gradient), a forward pass one input element (a one-hot tangent), so
the cheaper mode is chosen from the element counts, n input elements against
m output elements.

Memory follows what is shown.  A Jacobian whose every block is diagonal (each
output element reads only the same element of each input, through elementwise
ops: ``q = sin(x) * z``) and that is larger than ``DENSE_SHOWN`` entries is
computed as its diagonals, one tangent pass per input seeded with ones, and
shown as such; a dense Jacobian above the element limit (support/limits.py) is
refused before any pass, with its size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gradcli.analyses import passes
from gradcli.autodiff.sweeps import Plan
from gradcli.autodiff.problem import Problem
from gradcli.core.values import element_labels, flatten, is_zero, joined_elements, one_hot, ones_like, shape, size
from gradcli.support.errors import UsageError
from gradcli.support.limits import LimitError, limit_text, over_limit, size_text

JACOBIAN_MODES = ("forward", "reverse")
DENSE_SHOWN = 10_000  # entries: a diagonal Jacobian larger than this is shown as its diagonals
ZERO, DIAGONAL, DENSE = "zero", "diagonal", "dense"


@dataclass
class JacobianResult:
    outputs: list[str]
    inputs: list[str]
    values: dict[str, float]  # each output's value (an array for an array output)
    matrix: list[list[float]]  # rows: output elements, columns: input elements
    mode: str
    passes: int
    shapes: dict[str, tuple] | None = None  # each output's and input's shape, in a program with arrays
    rows: list[str] | None = None  # the output elements' labels (``q[0]``); None: the outputs
    columns: list[str] | None = None  # the input elements' labels (``W[1,0]``); None: the inputs
    warnings: list[str] = field(default_factory=list)  # entries cut to 0 by underflow (as eval's)
    unread: list[tuple[str, str]] = field(default_factory=list)  # (output, input): the output does not read it
    # Diagonal: ``matrix`` has one row per output element and one column per input, the entry
    # d q[i]/d x[i] (every entry off the diagonals is 0); ``columns`` are then the inputs.
    diagonal: bool = False

    def __post_init__(self):
        self.rows = self.rows or list(self.outputs)
        self.columns = self.columns or list(self.inputs)

    @property
    def passes_forward(self) -> int:
        return len(self.columns)  # diagonal: the inputs, one pass each seeded with ones

    @property
    def passes_reverse(self) -> int:
        return len(self.outputs) if self.diagonal else len(self.rows)


def cheaper_mode(n_inputs: int, n_outputs: int) -> str:
    """Forward takes one pass per input, reverse one per output; reverse at a tie."""
    return "forward" if n_inputs < n_outputs else "reverse"


def jacobian(problem: Problem, mode: str | None = None) -> JacobianResult:
    """Every output's derivative (``problem.outputs``, rows) with respect to every input in ``wrt`` (columns).

    One body for numbers and arrays (a number is an array of one element, seeded with 1).
    """
    tape = problem.tape
    sweep = Plan.of(problem)
    vals = sweep.values(problem.input_values())
    outputs, inputs = list(problem.outputs), list(problem.wrt)
    rows = [tape.names[y] for y in outputs]
    cols = [tape.names[x] for x in inputs]
    n = sum(size(vals[x]) for x in cols)
    m = sum(size(vals[y]) for y in rows)
    mode_asked = mode
    if mode is None:
        mode = cheaper_mode(n, m)
    if mode not in JACOBIAN_MODES:
        raise UsageError(f"unknown mode {mode!r}: use forward or reverse")
    blocks = m * n > len(rows) * len(cols)  # some block has more than one entry: it may be diagonal
    structure = block_structure(tape, vals, rows, cols) if blocks and m * n > DENSE_SHOWN else {}
    if structure and all(s != DENSE for s in structure.values()):
        result = _diagonal_jacobian(problem, sweep, vals, outputs, inputs, structure, mode_asked)
    else:
        result = _dense_jacobian(problem, sweep, vals, outputs, inputs, mode, n, m)
    result.unread = [(y, x) for y in problem.outputs for x in problem.unread(y)]
    return result


def _dense_jacobian(problem: Problem, sweep: Plan, vals: list, outputs: list[str], inputs: list[str],
                    mode: str, n: int, m: int) -> JacobianResult:
    """Over the flattened elements of outputs and inputs: a forward pass per input element (a one-hot
    tangent), or a reverse pass per output element (a one-hot gradient)."""
    if over_limit(m * n):
        raise LimitError(f"the Jacobian would be {m:,} output elements × {n:,} input elements, "
                         f"{size_text(m * n)}, and it is not diagonal; {limit_text()}, or narrow it "
                         "with --of and --wrt")
    tape = problem.tape
    rows = [tape.names[y] for y in outputs]
    cols = [tape.names[x] for x in inputs]
    if mode == "forward":
        needed = tape.cone(rows)
        columns = []  # one per input element: every output element's derivative
        for x in cols:
            for k in range(size(vals[x])):
                if not needed[x]:  # no output reads it: zeros, no pass
                    columns.append([0.0] * m)
                    n -= 1
                    continue
                tan = sweep.tangents(vals, {x: one_hot(vals[x], k)}, needed)
                columns.append(joined_elements([tan[y] for y in rows], [vals[y] for y in rows]))
        matrix = [list(row) for row in zip(*columns)] if columns else [[] for _ in range(m)]
    else:
        matrix = []
        for y in rows:
            for k in range(size(vals[y])):
                adj = sweep.reverse(vals, y, one_hot(vals[y], k))
                matrix.append(joined_elements([adj[x] for x in cols], [vals[x] for x in cols]))
    warnings = [text for y, row in zip(rows, matrix)
                for text in sweep.underflow_warnings(vals, y, dict(zip(inputs, row)))]
    shapes = passes.shapes(problem, {name: vals[tape.names[name]] for name in [*outputs, *inputs]})
    return JacobianResult(outputs, inputs, {y: vals[tape.names[y]] for y in outputs}, matrix, mode,
                          n if mode == "forward" else m, shapes, _labels(outputs, shapes),
                          _labels(inputs, shapes), warnings)


def _labels(names: list[str], shapes: dict | None) -> list[str]:
    """Each element's label (``q[0]``), the names themselves for numbers."""
    return [label for name in names for label in element_labels(name, shapes[name] if shapes else ())]


def block_structure(tape, vals: list, rows: list[int], cols: list[int]) -> dict[tuple[int, int], str]:
    """Each block (output y, input x) of the Jacobian: ZERO, DIAGONAL or DENSE, read from the graph.

    A node is diagonal in x when it has x's shape and is an elementwise op whose
    operands that read x are themselves diagonal in x and of its shape (no
    broadcasting of anything that reads x): then its element i reads x[i] only.
    One pass over the tape per input, in tape order.
    """
    from gradcli.core.tape import OPERATION

    structure = {}
    for x in cols:
        x_shape = shape(vals[x])
        status: list = [None] * len(tape.nodes)
        status[x] = DIAGONAL
        for node in tape.nodes[x + 1:]:
            if node.kind != OPERATION:
                continue
            reading = [a for a in node.args if status[a] is not None]
            if not reading:
                continue
            own = shape(vals[node.index])
            diagonal = (node.op.scalar and own == x_shape
                        and all(status[a] == DIAGONAL and shape(vals[a]) == own for a in reading))
            status[node.index] = DIAGONAL if diagonal else DENSE
        for y in rows:
            structure[(y, x)] = status[y] or ZERO
    return structure


def _diagonal_jacobian(problem: Problem, sweep: Plan, vals: list, outputs: list[str], inputs: list[str],
                       structure: dict, mode: str | None) -> JacobianResult:
    """A Jacobian of diagonal (or zero) blocks, d q[i]/d x[i] for each output q and input x: one forward
    pass per input seeded with ones (each output's tangent is then its diagonal), or one reverse pass
    per output seeded with ones (each input's adjoint is then its diagonal); the fewer passes without
    a mode asked for, reverse at a tie."""
    tape = problem.tape
    rows = [tape.names[y] for y in outputs]
    cols = [tape.names[x] for x in inputs]
    mode = mode or cheaper_mode(len(cols), len(rows))

    def entries(y, x, found) -> list[float]:
        """Block (y, x)'s diagonal: the pass's array, or zeros (one per element of y) for a zero block."""
        if structure[(y, x)] == ZERO or found is None or is_zero(found):
            return [0.0] * size(vals[y])
        return flatten(found)

    if mode == "forward":
        needed = tape.cone(rows)
        columns = []
        for x in cols:
            tan = sweep.tangents(vals, {x: ones_like(vals[x])}, needed)
            columns.append([d for y in rows for d in entries(y, x, tan[y])])
        matrix = [list(row) for row in zip(*columns)]
    else:
        blocks = []
        for y in rows:
            adj = sweep.reverse(vals, y, ones_like(vals[y]))
            blocks.append(list(zip(*[entries(y, x, adj[x]) for x in cols])))
        matrix = [list(row) for block in blocks for row in block]
    shapes = {name: shape(vals[tape.names[name]]) for name in [*outputs, *inputs]}
    return JacobianResult(outputs, inputs, {y: vals[tape.names[y]] for y in outputs}, matrix, mode,
                          len(cols) if mode == "forward" else len(rows), shapes,
                          [label for y in outputs for label in element_labels(y, shapes[y])],
                          list(inputs), diagonal=True)
