"""The Hessian table never cuts a number: at 40 columns and wider every entry is shown whole.

The entries are checked against a Hessian by central differences of the same
function written in Python.
"""

import math
import re

import numpy as np
import pytest

from conftest import run

PROGRAM = "f = sin(x*y)*exp(z) + x^3*y^2/7 + z*w^2 - log(w)"
POINT = {"w": 1.7, "x": 1.3, "y": -0.7, "z": 0.3}
NUMBER = re.compile(r"(?<![\w.∂/])-?\d+(?:\.\d+)?(?:e[-+]\d+)?(?![\w.])")


def f(w, x, y, z):
    return math.sin(x * y) * math.exp(z) + x**3 * y**2 / 7 + z * w**2 - math.log(w)


def hessian_by_differences(h: float = 1e-4) -> np.ndarray:
    names = list(POINT)
    base = np.array([POINT[n] for n in names])
    H = np.zeros((4, 4))
    for i in range(4):
        for j in range(4):
            total = 0.0
            for si, sj in [(1, 1), (1, -1), (-1, 1), (-1, -1)]:
                p = base.copy()
                p[i] += si * h
                p[j] += sj * h
                total += si * sj * f(*p)
            H[i, j] = total / (4 * h * h)
    return H


@pytest.mark.parametrize("width", [40, 60, 80])
def test_every_hessian_entry_is_whole(monkeypatch, width):
    monkeypatch.setenv("COLUMNS", str(width))
    result = run("hessian", PROGRAM, *[f"{k}={v}" for k, v in POINT.items()])
    assert result.code == 0, result.err
    assert "…" not in result.out
    table = result.out.split("backward pass", 1)[1].split("symmetric", 1)[0]
    shown = [float(t) for t in NUMBER.findall(table)]
    for entry in hessian_by_differences().ravel():
        assert any(abs(s - entry) <= 1e-5 * abs(entry) + 1e-6 for s in shown), (entry, result.out)
    assert max(len(line) for line in result.out.splitlines()) <= width
