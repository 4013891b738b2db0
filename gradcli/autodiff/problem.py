"""What every command starts from: a tape, its input values, the output, and the inputs to differentiate.

``autodiff.loading.load`` makes a ``Problem`` from the user's text; ``autodiff.gradient.evaluate``
sweeps it into a ``Gradient``.
"""

from __future__ import annotations

from collections.abc import Collection

from gradcli.core.values import is_array, shape, shape_text
from gradcli.support.errors import UsageError
from gradcli.core.tape import Tape
from gradcli.support.records import Record


class Problem(Record):
    _fields = ("tape", "values", "output", "wrt", "outputs", "program_names", "shapes", "intermediates", "integers")

    def __init__(self, tape: Tape, values: dict[str, float], output: str, wrt: list[str],
                 outputs: list[str] | None = None, program_names: Collection[str] = (), shapes: list | None = None,
                 intermediates: bool = True, integers: list[str] | None = None):
        self.tape = tape  # only what the outputs depend on (Tape.restrict)
        self.values = values  # every input's value: default or binding
        self.output = output
        self.wrt = wrt  # inputs to differentiate with respect to, in display order
        self.outputs = outputs or [output]  # several, for the Jacobian; else [output]
        self.program_names = program_names  # every name of the program, the outputs' cone or not
        # In a program with arrays, each tape node's shape, indexed like tape.nodes (() for a
        # number), checked by load; None for a node that reads an input without a value.
        # Empty for a program without arrays: every node is a number.
        self.shapes = [] if shapes is None else shapes
        # False when only the value and the gradient are wanted (eval without --all): the reverse
        # sweep of an array program then frees every other node's value and adjoint as it goes.
        self.intermediates = intermediates
        # The inputs that hold integers (indices, labels): never differentiated, so never in ``wrt``.
        self.integers = [] if integers is None else integers

    def replace(self, **changes) -> Problem:
        """A copy with the fields named in ``changes`` changed (``dataclasses.replace``): made anew by
        ``__init__``, every other field the same object as this problem's."""
        for name in self._fields:
            changes.setdefault(name, getattr(self, name))
        return self.__class__(**changes)

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
