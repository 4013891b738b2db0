"""The Jacobian of several outputs with respect to the inputs, by forward or reverse mode.

Forward mode fills one column per pass (a tangent pass seeded at one input,
n passes for n inputs); reverse mode fills one row per pass (a sweep from one
output, m passes for m outputs).  Which is cheaper depends only on the shape,
the point the course texts make: wide (few inputs) favours forward, tall
(few outputs) favours reverse.  With no mode asked for, the cheaper one is
used, reverse at a tie.
"""

from __future__ import annotations

from dataclasses import dataclass

from gradcli.autodiff.engine import forward, reverse
from gradcli.support.errors import UsageError
from gradcli.autodiff.forward import tangents
from gradcli.autodiff.problem import Problem

JACOBIAN_MODES = ("forward", "reverse")


@dataclass
class JacobianResult:
    outputs: list[str]
    inputs: list[str]
    values: dict[str, float]  # each output's value
    matrix: list[list[float]]  # rows: outputs, columns: inputs
    mode: str
    passes: int

    @property
    def passes_forward(self) -> int:
        return len(self.inputs)

    @property
    def passes_reverse(self) -> int:
        return len(self.outputs)


def cheaper_mode(n_inputs: int, n_outputs: int) -> str:
    """Forward takes one pass per input, reverse one per output; reverse at a tie."""
    return "forward" if n_inputs < n_outputs else "reverse"


def jacobian(problem: Problem, mode: str | None = None) -> JacobianResult:
    """Every output's derivative (``problem.outputs``, rows) with respect to every input in ``wrt`` (columns)."""
    outputs = problem.outputs
    if mode is None:
        mode = cheaper_mode(len(problem.wrt), len(outputs))
    if mode not in JACOBIAN_MODES:
        raise UsageError(f"unknown mode {mode!r}: use forward or reverse")
    tape = problem.tape
    vals = forward(tape, problem.input_values())
    rows = [tape.names[y] for y in outputs]
    cols = [tape.names[x] for x in problem.wrt]
    if mode == "forward":
        needed = tape.cone(rows)
        columns = [tangents(tape, vals, x, needed) for x in cols]
        matrix = [[column[y] for column in columns] for y in rows]
        passes = len(cols)
    else:
        matrix = []
        for y in rows:
            adj = reverse(tape, vals, y)
            matrix.append([adj[x] for x in cols])
        passes = len(rows)
    return JacobianResult(list(outputs), list(problem.wrt), {y: vals[tape.names[y]] for y in outputs},
                          matrix, mode, passes)
