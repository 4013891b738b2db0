"""The sweeps as every analysis calls them: one signature, whatever the kind of value.

``autodiff/sweeps.py`` chooses the compiled scalar plan or the array sweeps
from a flag; the two take seeds and start forward mode differently.  Here the
problem gives the flag, asked once per ``Passes`` (``of(problem)``), a pass is
seeded with any value (``1.0``, a one-hot array, ones), and the analyses never
ask which kind of program they hold: this is the one place in analyses/ that
does, until the sweeps' own plan takes seeds and tangents itself.  A scalar
program still never imports numpy.
"""

from __future__ import annotations

from gradcli.autodiff import sweeps


def has_arrays(problem) -> bool:
    """Whether the program holds an array: its rules then act on whole arrays (VJPs and JVPs, no scalar
    local partial on an edge), which is where explanations differ (steps, paths, the graph, the
    trace's tangent), and its results report shapes."""
    return problem.arrays


def of(problem) -> "Passes":
    """The problem's passes, its kind asked once (a loop over steps, rows or elements calls them often)."""
    return Passes(problem.tape, problem, has_arrays(problem))


class Passes:
    """Forward evaluation, reverse sweeps and tangent passes over one tape, for numbers or arrays."""

    def __init__(self, tape, problem, holds_arrays: bool):
        self.tape = tape
        self.problem = problem
        self.holds_arrays = holds_arrays

    def forward(self, inputs: dict | None = None) -> list:
        """Every node's value, at the problem's inputs or at ``inputs`` (node index -> value)."""
        return sweeps.forward(self.tape, self.problem.input_values() if inputs is None else inputs,
                              self.holds_arrays)

    def reverse(self, vals: list, output: int, seed=None, keep=None) -> list:
        """Every node's adjoint of ``output`` seeded with ``seed`` (None: ones; a number's seed is 1).

        Where nothing arrives the adjoint is 0.0 (numbers) or None (arrays): ``values.elements``
        and ``values.or_zeros`` read both.
        """
        return sweeps.reverse(self.tape, vals, output, self.holds_arrays, seed, keep)

    def tangents(self, vals: list, seeds: dict, needed: list[bool] | None = None) -> list:
        """Every node's tangent given the seeded inputs' (forward mode; a number's seed is 1, one input)."""
        if self.holds_arrays:
            from gradcli.autodiff import array_sweeps

            return array_sweeps.tangents(self.tape, vals, seeds, needed)
        from gradcli.autodiff.forward import tangents as scalar_tangents

        (index,) = seeds
        return scalar_tangents(self.tape, vals, index, needed)

    def underflow_warnings(self, vals: list, output: int, gradient: dict) -> list[str]:
        """Gradients that are 0 only because a number underflowed (numbers only: an array's zeros are
        element by element, and not looked into)."""
        if self.holds_arrays:
            return []
        from gradcli.autodiff.engine import underflow_warnings as scalar_warnings

        return scalar_warnings(self.tape, vals, output, gradient)


def shapes(problem, named: dict) -> dict[str, tuple] | None:
    """Each named value's shape, as a program with arrays reports them; None for a program of numbers."""
    if not has_arrays(problem):
        return None
    from gradcli.core.values import shape

    return {name: shape(v) for name, v in named.items()}

