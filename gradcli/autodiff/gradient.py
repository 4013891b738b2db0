"""The result of a forward pass and a reverse sweep (``Gradient``), and ``evaluate``, which makes it.

Renderers read a ``Gradient``; every analysis that needs the value and the gradient at the
problem's point starts from ``evaluate``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gradcli.autodiff.sweeps import Plan
from gradcli.core.values import dense
from gradcli.core.tape import Tape
from gradcli.autodiff.problem import Problem, require_scalar_output


@dataclass
class Gradient:
    """The result of a forward pass and a reverse sweep."""

    problem: Problem
    values: list[float]  # per tape node
    adjoints: list  # per tape node: d(output)/d(node); values.Zero where no gradient reaches, None if not computed
    mode: str = "reverse"
    passes: int = 1
    extra: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # gradients cut to 0 by underflow

    def __post_init__(self):
        self.warnings = Plan.of(self.problem).underflow_warnings(self.values, self.problem.output_index,
                                                                 self.gradient)

    @property
    def tape(self) -> Tape:
        return self.problem.tape

    @property
    def output(self) -> str:
        return self.problem.output

    @property
    def value(self) -> float:
        return self.values[self.problem.output_index]

    @property
    def gradient(self) -> dict:
        """d(output)/d(input) for each input in ``wrt``: a float, or an array of the input's shape."""
        names = self.tape.names
        return {name: dense(self.adjoints[names[name]]) for name in self.problem.wrt}


def evaluate(problem: Problem) -> Gradient:
    """The value and the gradient; with ``problem.intermediates`` False only the inputs' and the
    output's values and adjoints are kept (an array program's others are freed during the sweep)."""
    plan = Plan.of(problem)
    values = plan.values(problem.input_values())
    if plan.arrays:
        require_scalar_output(problem, values)
    wrt = None if problem.intermediates else problem.tape.inputs
    return Gradient(problem, values, plan.reverse(values, problem.output_index, wrt=wrt))


@dataclass
class OutputValue:
    """An array output's value alone: ``eval --of q`` of an array shows it; a gradient is of one number."""

    problem: Problem
    value: object

    @property
    def output(self) -> str:
        return self.problem.output


def array_output(problem: Problem) -> bool:
    """True when the output is an array (the shapes load checked say so, before any value is computed)."""
    return bool(problem.shapes) and problem.shapes[problem.output_index] not in (None, ())


def output_value(problem: Problem) -> OutputValue:
    values = Plan.of(problem).values(problem.input_values())
    return OutputValue(problem, values[problem.output_index])
