"""A gradient cut to 0 by underflow anywhere on its paths is always said, in every input's name.

The true derivatives come from mpmath, whose exponent range has no underflow: each case
checks that the true value is nonzero and what a double makes of it, then that gradcli
warns exactly for the inputs whose gradient is 0.0 only by underflow.
"""

from __future__ import annotations

import mpmath
import pytest

from conftest import run_json

mpmath.mp.dps = 30


def sech2(x):
    return 1 / mpmath.cosh(x) ** 2


def sig(x):
    return 1 / (1 + mpmath.exp(-x))


CASES = [
    # program, bindings, {input: its true derivative (mpmath)}
    ("y = exp(x)*w", {"x": -800, "w": 2}, {"x": lambda x, w: w * mpmath.exp(x), "w": lambda x, w: mpmath.exp(x)}),
    ("y = tanh(x)", {"x": 1000}, {"x": lambda x: sech2(x)}),
    ("y = tanh(x)", {"x": -1000}, {"x": lambda x: sech2(x)}),
    ("y = sigmoid(x)", {"x": 1000}, {"x": lambda x: sig(x) * sig(-x)}),
    ("y = sigmoid(x)", {"x": -1000}, {"x": lambda x: sig(x) * sig(-x)}),
    ("y = tanh(x)*w", {"x": 400, "w": 3}, {"x": lambda x, w: w * sech2(x), "w": lambda x, w: mpmath.tanh(x)}),
    ("u = exp(x); y = u*w + 1", {"x": -800, "w": 2},
     {"x": lambda x, w: w * mpmath.exp(x), "w": lambda x, w: mpmath.exp(x)}),
    ("y = x^2 + exp(w)", {"x": 0, "w": -800}, {"x": lambda x, w: 2 * x, "w": lambda x, w: mpmath.exp(w)}),
]


@pytest.mark.parametrize("program, values, derivatives", CASES, ids=[f"{c[0]} {c[1]}" for c in CASES])
def test_every_gradient_cut_by_underflow_is_said(program, values, derivatives):
    data = run_json("eval", program, *[f"{k}={v}" for k, v in values.items()], "--json")
    warned = {name for name in derivatives
              if any(w.startswith(f"dy/d{name} = 0 only because a number underflowed") for w in data.get("warnings", []))}
    for name, derivative in derivatives.items():
        true = derivative(*[mpmath.mpf(v) for v in values.values()])
        if true != 0 and float(true) == 0.0:
            # nonzero, but too small for a double: gradcli's 0 must be explained
            assert data["gradient"][name] == 0.0 and name in warned, (name, data)
        else:
            # representable (or truly 0): the double is right, and there is nothing to say
            assert data["gradient"][name] == pytest.approx(float(true), abs=1e-300) and name not in warned, (name, data)
