"""How a gradient is computed: ``--mode reverse|forward|paths``, each giving the same numbers."""

from __future__ import annotations

from .errors import UsageError
from .problem import Gradient, Problem, evaluate

MODES = ("reverse", "forward", "paths")


def compute(problem: Problem, mode: str = "reverse") -> Gradient:
    if mode == "reverse":
        return evaluate(problem)
    if mode == "forward":
        try:
            from .forward import forward_gradient
        except ImportError:
            raise UsageError("--mode forward is not available yet; use --mode reverse") from None
        return forward_gradient(problem)
    if mode == "paths":
        try:
            from .paths import path_sum_gradient
        except ImportError:
            raise UsageError("--mode paths is not available yet; use --mode reverse") from None
        return path_sum_gradient(problem)
    raise UsageError(f"unknown mode {mode!r}")
