"""Everything the interactive page shows, computed once: the annotated graph, the backward steps, the paths.

``gradcli graph --format html`` and ``gradcli explain --html`` write a page
(``render/page.py``) on which a student steps the forward pass (values in tape
order), the backward pass (adjoints from the output back, each one
upstream x local summed over the node's uses) and clicks an input to see its
paths summed (Bauer's formula).  The three results are the ones ``graph``,
``explain --steps`` and ``explain --paths`` compute, so the page shows the same
numbers as those commands.
"""

from __future__ import annotations

from dataclasses import dataclass

from gradcli.analyses.export import AnnotatedGraph, annotate
from gradcli.analyses.paths import PathsResult, explain_paths
from gradcli.analyses.steps import StepsResult, backward_steps
from gradcli.autodiff.problem import Problem


@dataclass
class Walkthrough:
    graph: AnnotatedGraph
    steps: StepsResult
    paths: PathsResult

    @property
    def warnings(self) -> list[str]:
        return self.steps.sweep.warnings if self.steps.sweep is not None else []


def walkthrough(problem: Problem, max_paths: int = 20) -> Walkthrough:
    """The page's content: ``max_paths`` is how many paths each input lists (the largest first)."""
    steps = backward_steps(problem)
    return Walkthrough(annotate(steps.sweep), steps, explain_paths(problem, max_paths))
