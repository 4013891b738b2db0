"""How a gradient is computed: ``--mode reverse|forward|paths``, each giving the same numbers."""

from __future__ import annotations

from .errors import UsageError
from .problem import Gradient, Problem, evaluate

MODES = ("reverse", "forward", "paths")


def compute(problem: Problem, mode: str = "reverse") -> Gradient:
    if mode == "reverse":
        return evaluate(problem)
    if mode == "forward":
        from .forward import forward_gradient

        return forward_gradient(problem)
    if mode == "paths":
        from .paths import path_sum_gradient

        return path_sum_gradient(problem)
    raise UsageError(f"unknown mode {mode!r}")
