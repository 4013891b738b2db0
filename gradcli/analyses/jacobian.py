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

from gradcli.autodiff.scalar_plan import scalar_adjoints, scalar_values, tangent_column, underflow_warnings
from gradcli.support.errors import UsageError
from gradcli.support.limits import LimitError, limit_text, over_limit, size_text
from gradcli.autodiff.problem import Problem

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
    """Every output's derivative (``problem.outputs``, rows) with respect to every input in ``wrt`` (columns)."""
    result = _array_jacobian(problem, mode) if problem.arrays else _scalar_jacobian(problem, mode)
    result.unread = [(y, x) for y in problem.outputs for x in problem.unread(y)]
    return result


def _scalar_jacobian(problem: Problem, mode: str | None) -> JacobianResult:
    outputs = problem.outputs
    if mode is None:
        mode = cheaper_mode(len(problem.wrt), len(outputs))
    if mode not in JACOBIAN_MODES:
        raise UsageError(f"unknown mode {mode!r}: use forward or reverse")
    tape = problem.tape
    vals = scalar_values(tape, problem.input_values())
    rows = [tape.names[y] for y in outputs]
    cols = [tape.names[x] for x in problem.wrt]
    if mode == "forward":
        needed = tape.cone(rows)  # an input no output reads: a column of zeros, no pass
        zero = [0.0] * len(tape.nodes)
        columns = [tangent_column(tape, vals, x, needed) if needed[x] else zero for x in cols]
        matrix = [[column[y] for column in columns] for y in rows]
        passes = sum(1 for x in cols if needed[x])
    else:
        matrix = []
        for y in rows:
            adj = scalar_adjoints(tape, vals, y)
            matrix.append([adj[x] for x in cols])
        passes = len(rows)
    warnings = [text for y, row in zip(rows, matrix)
                for text in underflow_warnings(tape, vals, y, dict(zip(problem.wrt, row)))]
    return JacobianResult(list(outputs), list(problem.wrt), {y: vals[tape.names[y]] for y in outputs},
                          matrix, mode, passes, warnings=warnings)


def _array_jacobian(problem: Problem, mode: str | None) -> JacobianResult:
    """The Jacobian of a program with arrays, over the flattened elements of outputs and inputs."""
    from gradcli.autodiff.sweeps import Plan
    from gradcli.core.values import element_labels, flatten, is_array, is_zero, np, shape, size

    tape = problem.tape
    plan = Plan(tape, True)
    vals = plan.values(problem.input_values())
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
    structure = block_structure(tape, vals, rows, cols) if m * n > DENSE_SHOWN else {}
    if structure and all(s != DENSE for s in structure.values()):
        return _diagonal_jacobian(problem, vals, outputs, inputs, structure, mode_asked)
    if over_limit(m * n):
        raise LimitError(f"the Jacobian would be {m:,} output elements × {n:,} input elements, "
                         f"{size_text(m * n)}, and it is not diagonal; {limit_text()}, or narrow it "
                         "with --of and --wrt")

    def one_hot(value, k):
        if not is_array(value):
            return 1.0
        seed = np.zeros(value.size)
        seed[k] = 1.0
        return seed.reshape(value.shape)

    def elements(v, like) -> list[float]:
        """A gradient or tangent flattened (the symbolic zero as zeros of ``like``'s size)."""
        return [0.0] * size(like) if is_zero(v) else flatten(v)

    if mode == "forward":
        needed = tape.cone(rows)
        columns = []  # one per input element: every output element's derivative
        for x in cols:
            for k in range(size(vals[x])):
                if not needed[x]:  # no output reads it: zeros, no pass
                    columns.append([0.0] * m)
                    n -= 1
                    continue
                tan = plan.tangents(vals, {x: one_hot(vals[x], k)}, needed)
                columns.append([t for y in rows for t in elements(tan[y], vals[y])])
        matrix = [list(row) for row in zip(*columns)] if columns else [[] for _ in range(m)]
    else:
        matrix = []
        for y in rows:
            for k in range(size(vals[y])):
                adj = plan.reverse(vals, y, one_hot(vals[y], k))
                matrix.append([g for x in cols for g in elements(adj[x], vals[x])])
    shapes = {name: shape(vals[tape.names[name]]) for name in [*outputs, *inputs]}
    return JacobianResult(outputs, inputs, {y: vals[tape.names[y]] for y in outputs}, matrix, mode,
                          n if mode == "forward" else m, shapes,
                          [label for y in outputs for label in element_labels(y, shapes[y])],
                          [label for x in inputs for label in element_labels(x, shapes[x])])


def block_structure(tape, vals: list, rows: list[int], cols: list[int]) -> dict[tuple[int, int], str]:
    """Each block (output y, input x) of the Jacobian: ZERO, DIAGONAL or DENSE, read from the graph.

    A node is diagonal in x when it has x's shape and is an elementwise op whose
    operands that read x are themselves diagonal in x and of its shape (no
    broadcasting of anything that reads x): then its element i reads x[i] only.
    One pass over the tape per input, in tape order.
    """
    from gradcli.core.tape import OPERATION
    from gradcli.core.values import shape

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


def _diagonal_jacobian(problem: Problem, vals: list, outputs: list[str], inputs: list[str], structure: dict,
                       mode: str | None) -> JacobianResult:
    """A Jacobian of diagonal (or zero) blocks, d q[i]/d x[i] for each output q and input x: one forward
    pass per input seeded with ones (each output's tangent is then its diagonal), or one reverse pass
    per output seeded with ones (each input's adjoint is then its diagonal); the fewer passes without
    a mode asked for, reverse at a tie."""
    from gradcli.autodiff.sweeps import Plan
    from gradcli.core.values import element_labels, flatten, is_zero, np, shape, size

    tape = problem.tape
    plan = Plan(tape, True)
    rows = [tape.names[y] for y in outputs]
    cols = [tape.names[x] for x in inputs]
    mode = mode or cheaper_mode(len(cols), len(rows))

    def ones(i):
        return np.ones(shape(vals[i])) if shape(vals[i]) else 1.0

    def entries(y, x, found) -> list[float]:
        """Block (y, x)'s diagonal: the pass's array, or zeros (one per element of y) for a zero block."""
        if structure[(y, x)] == ZERO or is_zero(found):
            return [0.0] * size(vals[y])
        return flatten(found)

    if mode == "forward":
        needed = tape.cone(rows)
        columns = []
        for x in cols:
            tan = plan.tangents(vals, {x: ones(x)}, needed)
            columns.append([d for y in rows for d in entries(y, x, tan[y])])
        matrix = [list(row) for row in zip(*columns)]
    else:
        blocks = []
        for y in rows:
            adj = plan.reverse(vals, y, ones(y))
            blocks.append(list(zip(*[entries(y, x, adj[x]) for x in cols])))
        matrix = [list(row) for block in blocks for row in block]
    shapes = {name: shape(vals[tape.names[name]]) for name in [*outputs, *inputs]}
    return JacobianResult(outputs, inputs, {y: vals[tape.names[y]] for y in outputs}, matrix, mode,
                          len(cols) if mode == "forward" else len(rows), shapes,
                          [label for y in outputs for label in element_labels(y, shapes[y])],
                          list(inputs), diagonal=True)
