"""The one sweep interface every analysis calls, for numbers and arrays alike: a ``Plan`` per tape.

``Plan(tape, arrays)`` offers the forward pass (``values``, and ``row_values``
over data rows), ``reverse(vals, output, seed, wrt)`` (every node's adjoint) and
``tangents(vals, seeds)`` (forward mode).  Each returns one list per tape node,
with one meaning of "no gradient": the symbolic ``values.Zero`` of the node's
shape, where no path reaches it (decided by the graph, never by a value; a
computed 0.0 stays 0.0).  ``None`` means only "not computed" or "let go".

A program without arrays runs the compiled scalar loops (``scalar_plan.py``),
compiled once per tape and cached on it: its speed, and no numpy import.  A
program with arrays, or data rows, runs the array sweeps (``array_sweeps.py``).
Rows are a batch axis (arrays too: each op's batching rule, ``Op.batch``):
``reverse(..., bad=mask)`` gives each input one adjoint per row, or, when the
rows were asked for with ``total`` (descent's mean gradient), the inputs without
the batch axis get the sum over the rows (``row_total`` sums a per-row adjoint).
"""

from __future__ import annotations

from gradcli.autodiff import scalar_plan
from gradcli.core.tape import Tape
from gradcli.core.values import ZERO, Zero, is_array, shape


class Plan:
    """A tape's sweeps; ``arrays`` says whether any value may be an array (numpy runs only then)."""

    __slots__ = ("tape", "arrays")

    def __init__(self, tape: Tape, arrays: bool = False):
        self.tape = tape
        self.arrays = arrays

    @staticmethod
    def of(problem) -> "Plan":
        """A problem's plan: whether it holds arrays is asked here, once, not by the analysis."""
        return Plan(problem.tape, problem.arrays)

    def values(self, inputs: dict) -> list:
        """Every node's value, given each input node's value by index; raises at the first that fails."""
        if not self.arrays:
            return scalar_plan.scalar_values(self.tape, inputs)
        from gradcli.autodiff.array_sweeps import array_values

        return array_values(self.tape, inputs)

    def row_values(self, inputs: dict, n: int, batched=None, total: bool = False):
        """Every node's value over ``n`` data rows, and the mask of bad rows (nothing raises but
        ``Unbatched``, for an op without a batching rule that fits).  ``batched``: the input nodes
        whose values carry the rows along a leading axis (default: those whose values are arrays);
        ``total``: the reverse sweep sums the rows' gradients of the other inputs
        (``array_sweeps.row_values``)."""
        from gradcli.autodiff.array_sweeps import row_values

        return row_values(self.tape, inputs, n, batched, total)

    def reverse(self, vals: list, output: int, seed=None, wrt=None, bad=None, checked: bool = True) -> list:
        """Every node's adjoint d(output . seed)/d(node); ``Zero`` where no gradient reaches.

        ``seed``: the gradient put on the output (1 by default; a one-hot array picks an
        element of an array output).  ``wrt``: the nodes whose adjoints the caller reads;
        an array sweep then lets go of every other value and adjoint as it passes their
        last use (their entries are None).  ``bad``: the row mask of ``row_values``;
        the sweep is then per row, never summed, and a row whose gradient is not finite
        is marked instead of raising.  ``checked`` False: an array sweep tests no edge (the
        caller tests what it reads, and sweeps again, checked, to say where); the scalar
        plan always sweeps fast and checks only on failure.
        """
        tape = self.tape
        if bad is not None:
            from gradcli.autodiff.array_sweeps import array_adjoints
            from gradcli.core.values import np

            adj = array_adjoints(tape, vals, output, np.ones(len(bad)) if seed is None else seed, bad=bad)
            return _array_zeros(adj, vals)
        if not self.arrays:
            return _scalar_zeros(tape, scalar_plan.scalar_adjoints(tape, vals, output), output)
        from gradcli.autodiff.array_sweeps import array_adjoints

        keep = None if wrt is None else [*tape.inputs, *wrt, output]
        return _array_zeros(array_adjoints(tape, vals, output, seed, keep, checked=checked), vals)

    def tangents(self, vals: list, seeds: dict, needed: list[bool] | None = None) -> list:
        """Every node's tangent, given some inputs' tangents (``{index: tangent}``); ``Zero`` where none reaches.

        ``needed`` limits the pass to the nodes it flags (the outputs' cone), so a
        statement they do not use cannot stop it.  A program of numbers takes one seed
        of tangent 1 (a column of the Jacobian), on the compiled plan.
        """
        tape = self.tape
        if not self.arrays:
            (seed, _one), = seeds.items()
            return _scalar_tangent_zeros(tape, scalar_plan.tangent_column(tape, vals, seed, needed), seed, needed)
        from gradcli.autodiff.array_sweeps import array_tangents

        return _array_zeros(array_tangents(tape, vals, seeds, needed), vals)

    def underflow_warnings(self, vals: list, output: int, gradient: dict) -> list[str]:
        """Which gradients are 0 only because a number underflowed (``scalar_plan.underflow_warnings``);
        an array's zeros are element by element, and not looked into."""
        if self.arrays:
            return []
        return scalar_plan.underflow_warnings(self.tape, vals, output, gradient)


def row_total(v) -> float:
    """The sum over the rows of a per-row adjoint: what a caller that wants the total asks for."""
    if type(v) is Zero:
        return 0.0
    return float(v.sum()) if is_array(v) else float(v)


def _array_zeros(entries: list, vals: list) -> list:
    """The array sweeps' None (nothing reached) as ``Zero`` of the node's shape; a node whose value was
    let go (None too) stays None."""
    for i, g in enumerate(entries):
        if g is None and vals[i] is not None:
            entries[i] = Zero(shape(vals[i]))
    return entries


def _scalar_zeros(tape: Tape, adj: list[float], output: int) -> list:
    """The compiled reverse sweep's 0.0 where no gradient reaches, as ``ZERO``.

    At C speed where it can be: the nodes that carry no gradient (constants) and
    those after the output are known without looking; a node below the output that
    the output does not read holds 0.0, so the cone is computed only when a 0.0 is
    left there (rare: a million-node chain has none).
    """
    for i in scalar_plan.compiled(tape).dead:
        adj[i] = ZERO
    adj[output + 1:] = [ZERO] * (len(adj) - output - 1)
    try:
        adj.index(0.0, 0, output)
    except ValueError:
        return adj
    cone = tape.cone([output])
    for i in range(output):
        if not cone[i]:
            adj[i] = ZERO
    return adj


def _scalar_tangent_zeros(tape: Tape, tan: list[float], seed: int, needed: list[bool] | None) -> list:
    """The compiled tangent pass's 0.0 where no tangent reaches, as ``ZERO`` (as ``_scalar_zeros``)."""
    for i in scalar_plan.compiled(tape).dead:
        tan[i] = ZERO
    tan[:seed] = [ZERO] * seed
    try:
        tan.index(0.0, seed)
    except ValueError:
        return tan
    reach = tape.depends_on([seed])
    for i in range(seed, len(tan)):
        if not reach[i] or (needed is not None and not needed[i]):
            tan[i] = ZERO
    return tan

