"""Second derivatives of array programs: forward mode over the derived tensor-level backward pass.

``derive`` writes the backward pass of an array program as a program
(analyses/derive_arrays.py) whose statements ``d_W``, ``d_x`` are the gradient.
That program is lowered to a tape and evaluated once; then a tangent pass
(``array_tangents``, each op's JVP from the table) pushes a direction v of the
inputs through it, and the tangents of ``d_W``, ``d_x`` are H v: a
Hessian-vector product for the cost of about two gradients, whatever the size.
The full Hessian is one such pass per input element (a column each), for
inputs of up to ``FULL_LIMIT`` elements; rows and columns are labelled by
element in C order (``W[0,1]``).
"""

from __future__ import annotations

from dataclasses import dataclass

from gradcli.analyses.derive_arrays import ArrayDerived, derive_arrays
from gradcli.analyses.hessian import HessianResult
from gradcli.autodiff.array_sweeps import array_tangents, array_values
from gradcli.autodiff.problem import Problem
from gradcli.support.errors import EvaluationError, UsageError
from gradcli.core.lower import lower_text
from gradcli.core.values import element_labels, np, shape, shape_text

FULL_LIMIT = 3000  # input elements: past it, the full matrix is refused for --vector
SUMMARY_LIMIT = 2000  # input elements: up to it, the eigenvalues are computed for the summary


@dataclass
class DerivedPass:
    """The derived backward pass as a tape, evaluated: what each tangent pass runs over."""

    derived: ArrayDerived
    tape: object
    values: list
    inputs: dict[str, int]  # the problem's input name -> its node on the derived tape
    adjoints: dict[str, int]  # the problem's input name -> the node of its derivative
    needed: list[bool]

    def hvp(self, direction: dict) -> dict:
        """H v for the direction v (input name -> an array of its shape; a missing input: zero)."""
        # an input the derived pass does not read (the output reads no other, or is itself an input)
        # moves nothing: its seed has nowhere to go
        seeds = {self.inputs[name]: v for name, v in direction.items() if name in self.inputs}
        try:
            tan = array_tangents(self.tape, self.values, seeds, self.needed)
        except EvaluationError as exc:
            raise EvaluationError(f"in the derived backward pass (gradcli derive): {exc.message}",
                                  kind=exc.kind) from None
        return {name: _dense(tan[i], self.values[i]) for name, i in self.adjoints.items()}


@dataclass
class HvpResult:
    """``hessian --vector``: H v, by one tangent pass over the derived backward pass."""

    problem: Problem
    value: float
    gradient: dict
    vector: dict
    product: dict  # input name -> (H v) restricted to that input's elements, of its shape

    @property
    def output(self) -> str:
        return self.problem.output


def derived_pass(problem: Problem) -> DerivedPass:
    from gradcli.autodiff.gradient import array_output
    from gradcli.autodiff.problem import require_scalar_output

    if array_output(problem):  # second derivatives are of one number: the usage error says what to write
        require_scalar_output(problem, [None] * problem.output_index + [np.zeros(problem.shapes[problem.output_index])])
    derived = derive_arrays(problem)
    tape = lower_text(derived.program)
    renamed = derived.input_names
    inputs = {name: tape.names[renamed[name]] for name in problem.tape.input_names()
              if renamed[name] in tape.names}
    given = {i: tape.nodes[i].value for i in tape.inputs if tape.nodes[i].value is not None}  # d_f = 1, the seed
    given.update({inputs[name]: problem.values[name] for name in inputs if name in problem.values})
    try:
        values = array_values(tape, given)
    except EvaluationError as exc:
        raise EvaluationError(f"in the derived backward pass (gradcli derive): {exc.message}", kind=exc.kind) from None
    adjoints = {name: tape.names[derived.adjoints[name]] for name in problem.wrt}
    tape.differentiate([inputs[name] for name in problem.wrt if name in inputs])
    needed = tape.cone(list(adjoints.values()))
    return DerivedPass(derived, tape, values, inputs, adjoints, needed)


def array_hessian(problem: Problem) -> HessianResult:
    """The full Hessian over every element of the inputs in ``wrt``, column by column."""
    sizes = {name: int(np.prod(shape(problem.values[name]))) for name in problem.wrt}
    n = sum(sizes.values())
    if n > FULL_LIMIT:
        raise UsageError(f"the Hessian over {n:,} elements is {n:,} x {n:,} numbers (gradcli writes it out up to "
                         f"{FULL_LIMIT:,} elements): ask for a Hessian-vector product, --vector NAME=VALUE, or "
                         "fewer inputs with --wrt", kind="too-large")
    run = derived_pass(problem)
    labels = [label for name in problem.wrt for label in _labels(name, problem.values[name])]
    matrix = np.zeros((n, n))
    column = 0
    for name in problem.wrt:
        s = shape(problem.values[name])
        for k in range(sizes[name]):
            seed = np.zeros(s)
            if s:
                seed.flat[k] = 1.0
            else:
                seed = 1.0
            product = run.hvp({name: seed})
            matrix[:, column] = np.concatenate([np.ravel(product[other]) for other in problem.wrt])
            column += 1
    scale = np.maximum(1.0, np.maximum(np.abs(matrix), np.abs(matrix.T)))
    asymmetry = float(np.max(np.abs(matrix - matrix.T) / scale)) if n else 0.0
    values = run.values
    gradient = {name: _dense(values[i], values[i]) for name, i in run.adjoints.items()}
    value = _output_value(run)
    result = HessianResult(problem, value, gradient, list(problem.wrt), matrix.tolist(), asymmetry, n)
    result.labels = labels
    if n <= SUMMARY_LIMIT and n:
        eigenvalues = np.linalg.eigvalsh(0.5 * (matrix + matrix.T))
        result.summary = _summary(eigenvalues)
    return result


def hessian_vector(problem: Problem, vector: dict) -> HvpResult:
    for name, v in vector.items():
        if name not in problem.wrt:
            raise UsageError(f"--vector {name}=...: {name} is not an input the Hessian is taken over "
                             f"({', '.join(problem.wrt)})", kind="unknown-binding")
        want = shape(problem.values[name])
        if shape(v) != want:
            raise UsageError(f"--vector {name}=...: it has shape {shape_text(shape(v))}, {name} has "
                             f"{shape_text(want)}", kind="shape")
    run = derived_pass(problem)
    direction = {name: (np.asarray(v, dtype=float) if shape(v) else float(v)) for name, v in vector.items()}
    product = run.hvp(direction)
    gradient = {name: _dense(run.values[i], run.values[i]) for name, i in run.adjoints.items()}
    return HvpResult(problem, _output_value(run), gradient, direction, product)


def _output_value(run: DerivedPass) -> float:
    return float(run.values[run.tape.names[run.derived.output_name]])


def _summary(eigenvalues) -> dict:
    low, high = float(eigenvalues[0]), float(eigenvalues[-1])
    tol = 1e-12 * max(1.0, abs(low), abs(high))
    if low > tol:
        kind = "positive definite"
    elif high < -tol:
        kind = "negative definite"
    elif low >= -tol and high <= tol:
        kind = "zero"
    elif low >= -tol:
        kind = "positive semidefinite"
    elif high <= tol:
        kind = "negative semidefinite"
    else:
        kind = "indefinite"
    return {"eigenvalue_min": low, "eigenvalue_max": high, "definiteness": kind}


def _labels(name: str, value) -> list[str]:
    s = shape(value)
    return element_labels(name, s) if s else [name]


def _dense(t, like):
    """A tangent (None is zero) as a value of ``like``'s shape."""
    if t is None:
        return np.zeros(shape(like)) if shape(like) else 0.0
    return np.asarray(t, dtype=float) if shape(like) else float(t)


__all__ = ["array_hessian", "hessian_vector", "HvpResult", "derived_pass", "FULL_LIMIT"]
