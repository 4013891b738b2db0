"""The one place in analyses/ that asks which kind of program it holds.

The sweeps themselves are ``autodiff.sweeps.Plan.of(problem)`` (values, reverse, tangents, one
``values.Zero`` for "no gradient"), which asks the kind once per problem.  What is
left here is where an *explanation* differs with the kind: a program with arrays has
rules at the tensor level (VJPs, no scalar local partial on an edge: steps, paths, the
graph, the trace's tangent) and reports its values' shapes.
"""

from __future__ import annotations


def has_arrays(problem) -> bool:
    """Whether the program holds an array: its rules then act on whole arrays, which is where
    explanations differ, and its results report shapes."""
    return problem.arrays


def shapes(problem, named: dict) -> dict[str, tuple] | None:
    """Each named value's shape, as a program with arrays reports them; None for a program of numbers."""
    if not has_arrays(problem):
        return None
    from gradcli.core.values import shape

    return {name: shape(v) for name, v in named.items()}
