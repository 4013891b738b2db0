"""Table-test cases for the elementwise ops (merged into test_array_ops.ARRAY_CASES).

CASES: op name -> list of (operand shapes, params); VALUES: op name -> function(shapes, rng) giving
operands where random uniform(-2, 2) ones will not do (integer indices, symmetric positive definite
matrices, distinct singular values).

Every scalar op already runs on the shapes of test_array_ops.ELEMENTWISE_SHAPES; the three-operand
ones (clip, where) get their broadcasting cases here, and where a condition that is a mask of 0 and 1,
as a comparison makes it, so that both branches receive gradient.
"""

import numpy as np

_BROADCAST3 = [([(2, 3), (3,), ()], ()), ([(3, 1), (1, 2), (3, 2)], ()), ([(), (2,), (2, 2)], ())]

CASES: dict = {"clip": _BROADCAST3, "where": _BROADCAST3}


def _where_values(shapes, rng):
    """A mask with both 0 and 1 in it (when it has two elements or more), and two branches."""
    cond = (rng.uniform(-1, 1, shapes[0]) > 0) * 1.0 if shapes[0] else 1.0
    if np.ndim(cond) and cond.size > 1:
        cond.flat[0], cond.flat[1] = 0.0, 1.0
    return [cond] + [rng.uniform(-2, 2, s) if s else float(rng.uniform(-2, 2)) for s in shapes[1:]]


def _clip_values(shapes, rng):
    """x spread over +-2 around bounds lo in (-1, -0.2) and hi in (0.2, 1), away from them: some
    elements below, some inside and some above."""
    def draw(s, low, high):
        return rng.uniform(low, high, s) if s else float(rng.uniform(low, high))

    x = draw(shapes[0], -2, 2)
    x = np.where(np.abs(np.abs(x) - 0.6) < 0.45, 1.8 * np.sign(x), x) if np.ndim(x) else (x if abs(abs(x) - 0.6) >= 0.45 else 1.8)
    return [x, draw(shapes[1], -1, -0.2), draw(shapes[2], 0.2, 1)]


VALUES: dict = {"where": _where_values, "clip": _clip_values}
