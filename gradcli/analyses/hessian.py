"""Second derivatives: forward mode over the derived backward pass (forward over reverse).

``derive`` turns the output's backward pass into a program whose outputs are
the gradient's entries.  Its tape is built once, evaluated once, and then one
tangent pass per input (``forward.tangents``) differentiates every gradient
entry with respect to that input: pass j fills column j of the Hessian.  The
matrix is symmetric in exact arithmetic; ``asymmetry`` says how far the
doubles are from it.

``closed_forms`` does the same symbolically: tangents of the closed-form
gradient's DAG, giving each second derivative as an expression when it stays
small.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gradcli.analyses.derive import CLOSED_FORM_LIMIT, adjoint_tape, name_order, program_namer, simpler, sweep
from gradcli.autodiff.scalar_plan import scalar_values, tangent_column
from gradcli.support.errors import EvaluationError
from gradcli.autodiff.gradient import evaluate
from gradcli.autodiff.problem import Problem
from gradcli.core.symbolic import partial, render, sizes


@dataclass
class HessianResult:
    problem: Problem
    value: float
    gradient: dict[str, float]
    inputs: list[str]
    matrix: list[list[float]]  # matrix[i][j] = d2 output / d inputs[i] d inputs[j]
    asymmetry: float  # max |H_ij - H_ji| / max(1, |H_ij|, |H_ji|)
    passes: int
    closed_form: list[list[str | None]] | None = None
    warnings: list[str] = field(default_factory=list)  # the gradient's, as the reverse sweep finds them
    # An array program's: each row's and column's element (W[0,1]), in C order, inputs in order; and,
    # for a small matrix, its eigenvalue range and definiteness.  A scalar program's labels are its inputs.
    labels: list[str] | None = None
    summary: dict | None = None

    def __post_init__(self):
        if self.labels is None:
            self.labels = list(self.inputs)

    @property
    def output(self) -> str:
        return self.problem.output


def hessian(problem: Problem, closed_form: bool = False, limit: int = CLOSED_FORM_LIMIT) -> HessianResult:
    # The original program first, so that its own errors point at its text.
    point = evaluate(problem)
    value = point.value
    build = sweep(problem, closed=False, namer=program_namer(problem))
    adj_tape, inputs, grads = adjoint_tape(problem, build)
    names = problem.wrt
    n = len(names)
    matrix = [[0.0] * n for _ in range(n)]
    try:
        values = scalar_values(adj_tape, {inputs[name]: problem.values[name] for name in inputs})
        needed = adj_tape.cone(list(grads.values()))
        for j, name in enumerate(names):
            column = tangent_column(adj_tape, values, inputs[name], needed)
            for i, other in enumerate(names):
                matrix[i][j] = column[grads[other]] + 0.0
    except EvaluationError as exc:
        # The backward pass evaluates partials the sweep skips (see gradcli derive).
        raise EvaluationError(f"in the derived backward pass (gradcli derive): {exc.message}",
                              kind=exc.kind) from None
    asymmetry = 0.0
    for i in range(n):
        for j in range(i):
            a, b = matrix[i][j], matrix[j][i]
            asymmetry = max(asymmetry, abs(a - b) / max(1.0, abs(a), abs(b)))
    gradient = {name: values[grads[name]] for name in names}
    result = HessianResult(problem, value, gradient, names, matrix, asymmetry, n, warnings=point.warnings)
    if closed_form:
        result.closed_form = hessian_closed_forms(problem, limit)
    return result


def hessian_closed_forms(problem: Problem, limit: int = CLOSED_FORM_LIMIT) -> list[list[str | None]]:
    """Each second derivative as an expression in the inputs, or None past ``limit`` nodes.

    Symbolic forward mode over the closed-form gradient's DAG: one pass per
    input, each a loop over the node numbers (a topological order).
    """
    build = sweep(problem, closed=True)
    dag = build.dag
    names = problem.wrt
    roots = [build.adjoint[problem.tape.names[name]] for name in names]
    count = len(dag)
    needed = [False] * count
    for r in roots:
        needed[r] = True
    for i in range(count - 1, -1, -1):
        if needed[i]:
            for a in dag.args[i]:
                needed[a] = True
    zero = dag.const(0.0)
    one = dag.const(1.0)
    entries: list[list[int]] = [[zero] * len(names) for _ in names]
    for j, name in enumerate(names):
        seed = dag.sym(name)
        tan = [zero] * count
        for i in range(count):
            if not needed[i]:
                continue
            if i == seed:
                tan[i] = one
                continue
            op, args = dag.op[i], dag.args[i]
            if op is None:
                continue
            total = zero
            for k, a in enumerate(args):
                if tan[a] == zero:
                    continue
                total = dag.add(total, dag.mul(partial(dag, op, k, args, i), tan[a]))
            tan[i] = total
        for i, r in enumerate(roots):
            entries[i][j] = tan[r]
    rank = name_order(problem)
    entries = [[simpler(dag, e, limit, rank) for e in row] for row in entries]
    size = sizes(dag, limit)
    return [[render(dag, e) if size[e] <= limit else None for e in row] for row in entries]


__all__ = ["hessian", "hessian_closed_forms", "HessianResult"]
