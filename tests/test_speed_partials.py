"""The numpy partials that reuse the op's output (tanh, softplus) or one exp (sigmoid) stay exact:
against mpmath at small, middling and large |x|, where 1 - tanh(x)^2 from a rounded tanh would cancel."""

import mpmath as mp
import numpy as np
import pytest

from conftest import run_json
from gradcli.core.ops import OPS

mp.mp.dps = 50
POINTS = [0.0, 1e-8, 0.3, 0.9, 1.5, 1.8, 1.9, 3.0, 8.0, 19.0, 20.0, 40.0, 300.0, 700.0]
XS = np.array(sorted({s * x for x in POINTS for s in (1.0, -1.0)}))
EXACT = {
    "tanh": lambda x: mp.sech(x) ** 2,  # 1 - tanh(x)^2, without 50-digit cancellation
    "sigmoid": lambda x: mp.exp(-abs(x)) / (1 + mp.exp(-abs(x))) ** 2,
    "softplus": lambda x: 1 / (1 + mp.exp(-x)),
}


def _close(got: float, exact) -> bool:
    if exact < mp.mpf("1e-300"):
        return abs(got) <= 1e-300
    return abs((mp.mpf(got) - exact) / exact) <= 1e-14


@pytest.mark.parametrize("name", sorted(EXACT))
def test_array_partial_against_mpmath(name):
    rule = OPS[name].array
    with np.errstate(all="ignore"):
        out = rule.forward((), XS)
        partial = rule.vjp(0, (), np.ones_like(XS), out, [XS])
    bad = [(x, p, float(EXACT[name](mp.mpf(x)))) for x, p in zip(XS.tolist(), partial.tolist())
           if not _close(p, EXACT[name](mp.mpf(x)))]
    assert not bad


def test_tanh_gradient_of_an_array_program():
    x = [-20.0, -3.0, 0.5, 8.0, 19.0]
    r = run_json("eval", "--json", "f = sum(tanh(x))", f"x={x}")
    for xi, g in zip(x, r["gradient"]["x"]):
        assert _close(g, EXACT["tanh"](mp.mpf(xi)))
