"""What every command starts from: a tape, its input values, the output, and the inputs to differentiate.

``autodiff.loading.load`` makes a ``Problem`` from the user's text; ``autodiff.gradient.evaluate``
sweeps it into a ``Gradient``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from gradcli.core.values import is_array, shape, shape_text
from gradcli.support.errors import UsageError
from gradcli.core.tape import Tape


@dataclass
class Problem:
    tape: Tape  # only what the outputs depend on (Tape.restrict)
    values: dict[str, float]  # every input's value: default or binding
    output: str
    wrt: list[str]  # inputs to differentiate with respect to, in display order
    outputs: list[str] = field(default_factory=list)  # several, for the Jacobian; else [output]
    program_names: Collection[str] = ()  # every name of the program, the outputs' cone or not
    # In a program with arrays, each tape node's shape, indexed like tape.nodes (() for a
    # number), checked by load; None for a node that reads an input without a value.
    # Empty for a program without arrays: every node is a number.
    shapes: list = field(default_factory=list)
    # False when only the value and the gradient are wanted (eval without --all): the reverse
    # sweep of an array program then frees every other node's value and adjoint as it goes.
    intermediates: bool = True
    # The inputs that hold integers (indices, labels): never differentiated, so never in ``wrt``.
    integers: list[str] = field(default_factory=list)

    def __post_init__(self):
        if not self.outputs:
            self.outputs = [self.output]

    @property
    def arrays(self) -> bool:
        """True when the program has an array (a literal, an array op, an array default: ``tape.arrays``)
        or an input is bound to one: the array sweeps run, with numpy."""
        return self.tape.arrays or any(is_array(v) for v in self.values.values())

    @property
    def output_index(self) -> int:
        return self.tape.names[self.output]

    def unread(self, output: str | None = None) -> list[str]:
        """The inputs in ``wrt`` that ``output`` (the output by default) does not read: their derivative is 0,
        known without a pass."""
        cone = self.tape.cone([self.tape.names[output or self.output]])
        return [name for name in self.wrt if not cone[self.tape.names[name]]]

    def input_values(self, overrides: dict[str, float] | None = None) -> dict[int, float]:
        values = self.values if not overrides else {**self.values, **overrides}
        return {self.tape.names[name]: v for name, v in values.items()}


def require_scalar_output(problem: Problem, values: list) -> None:
    """A gradient is of one number: an array output is a usage error that says what to write."""
    s = shape(values[problem.output_index])
    if s:
        name = problem.output
        raise UsageError(f"the output {name} is an array of shape {shape_text(s)}: a gradient is of one "
                         f"number; take sum({name}), norm({name}) or an element {name}[0], or use "
                         "'gradcli jacobian' for every element", kind="array-output")
