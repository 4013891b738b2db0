"""How numbers are shown: short for people, exact (round-trip) for machines."""

from __future__ import annotations

import math


def short(x: float, digits: int = 6) -> str:
    """``33``, ``0.731059``, ``-1.5e-07``: integers without a point, else ``digits`` significant."""
    if math.isfinite(x) and x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.{digits}g}"


def exact(x: float) -> str:
    """The shortest text that reads back to the same double."""
    return repr(float(x))
