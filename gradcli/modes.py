"""How a gradient is computed: ``--mode reverse|forward|paths``, each giving the same numbers."""

from __future__ import annotations

from .errors import UsageError
from .problem import Gradient, Problem, evaluate

MODES = ("reverse", "forward", "paths")


def compute(problem: Problem, mode: str = "reverse") -> Gradient:
    if mode == "reverse":
        return evaluate(problem)
    raise UsageError(f"--mode {mode} is not available yet; use --mode reverse", kind="usage")
