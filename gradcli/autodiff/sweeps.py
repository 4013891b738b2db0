"""The sweeps of a problem, whatever its values: the compiled scalar plan, or the array sweeps.

Callers (evaluate, forward mode, the Jacobian, check, descent) ask here and
never look at whether a program has arrays; numpy is imported only when it has.
"""

from __future__ import annotations

from gradcli.autodiff import engine
from gradcli.core.tape import Tape


def forward(tape: Tape, inputs: dict, arrays: bool = False) -> list:
    """Every node's value."""
    if not arrays:
        return engine.forward(tape, inputs)
    from gradcli.autodiff import array_sweeps

    return array_sweeps.forward(tape, inputs)


def reverse(tape: Tape, vals: list, output: int, arrays: bool = False, seed=None, keep=None) -> list:
    """Every node's adjoint (scalar: floats, 0.0 where nothing arrives; arrays: None there).

    ``keep`` (arrays only): the nodes whose values and adjoints are wanted after the
    sweep; the others are freed as it goes (``array_sweeps.reverse``).
    """
    if not arrays:
        return engine.reverse(tape, vals, output)
    from gradcli.autodiff import array_sweeps

    return array_sweeps.reverse(tape, vals, output, seed, keep)
