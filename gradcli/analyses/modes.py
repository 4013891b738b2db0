"""How a gradient is computed: ``--mode reverse|forward|paths``, each giving the same numbers."""

from __future__ import annotations

from gradcli.support.errors import UsageError
from gradcli.autodiff.gradient import Gradient, evaluate
from gradcli.autodiff.problem import Problem

MODES = ("reverse", "forward", "paths")


def compute(problem: Problem, mode: str = "reverse") -> Gradient:
    if mode == "reverse":
        return evaluate(problem)
    if mode == "forward":
        from gradcli.autodiff.forward_mode import forward_gradient

        return forward_gradient(problem)
    if mode == "paths":
        from gradcli.analyses.paths import path_sum_gradient

        return path_sum_gradient(problem)
    raise UsageError(f"unknown mode {mode!r}")
