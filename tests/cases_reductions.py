"""Table-test cases for the reductions ops (merged into test_array_ops.ARRAY_CASES).

CASES: op name -> list of (operand shapes, params); VALUES: op name -> function(shapes, rng) giving
operands where random uniform(-2, 2) ones will not do (integer indices, symmetric positive definite
matrices, distinct singular values).

Params are full tuples in the op's keyword order: (axis, keepdims) for sum, mean, amax, amin, prod,
logsumexp, argmax, argmin; (axis, ddof, keepdims) for var and std; (ord, axis, keepdims) for norm;
(axis,) for cumsum, cumprod, softmax, log_softmax; (n, axis, prepend, append) for diff.
"""

import math

INF = math.inf
_KEEPING = [([(2, 3)], (None, False)), ([(2, 3)], (0, False)), ([(2, 3)], (1, True)), ([(4,)], (-1, False)),
            ([(2, 3, 2)], ((0, 2), False)), ([(2, 3, 2)], ((2, 0), True)), ([(2, 3)], (None, True))]

CASES: dict = {
    "sum": _KEEPING,
    "mean": _KEEPING,
    "amax": [([(2, 3)], (None, False)), ([(2, 3)], (0, False)), ([(2, 3, 2)], ((1, 2), True)),
             ([(2, 3)], (-1, True))],
    "amin": [([(2, 3)], (None, False)), ([(3, 2)], (1, False)), ([(2, 3, 2)], ((0, 1), False))],
    "prod": _KEEPING,
    "var": [([(2, 3)], (None, 0, False)), ([(2, 3)], (1, 1, False)), ([(2, 3, 2)], ((0, 2), 1, True)),
            ([(5,)], (0, 1.5, False))],
    "std": [([(2, 3)], (None, 0, False)), ([(2, 3)], (0, 1, True)), ([(2, 3, 2)], ((1, 2), 0, False))],
    "norm": [([(3,)], (None, None, False)), ([(2, 3)], (None, None, False)), ([(2, 3)], (None, 1, False)),
             ([(2, 3)], (1, 1, False)), ([(4,)], (INF, None, False)), ([(2, 3)], (-INF, 0, True)),
             ([(2, 3)], ("fro", None, False)), ([(2, 3, 2)], (None, (0, 2), True)), ([(3, 2)], (3, 0, False)),
             ([(3,)], (2, 0, True))],
    "logsumexp": [([(4,)], (None, False)), ([(2, 3)], (1, False)), ([(2, 3)], (0, True)),
                  ([(2, 3, 2)], ((0, 2), False))],
    "softmax": [([(4,)], (None,)), ([(2, 3)], (1,)), ([(2, 3)], (0,)), ([(2, 3, 2)], ((0, 2),)), ([(2, 3)], (None,))],
    "log_softmax": [([(4,)], (None,)), ([(2, 3)], (1,)), ([(2, 3)], (-2,)), ([(2, 2, 3)], ((1, 2),))],
    "cumsum": [([(4,)], (None,)), ([(2, 3)], (0,)), ([(2, 3)], (1,)), ([(2, 3, 2)], (-1,))],
    "cumprod": [([(4,)], (None,)), ([(2, 3)], (0,)), ([(2, 3)], (1,)), ([(2, 3, 2)], (1,))],
    "diff": [([(4,)], (1, -1, None, None)), ([(5,)], (2, -1, None, None)), ([(2, 4)], (1, 0, None, None)),
             ([(3, 4)], (3, 1, None, None)), ([(4,)], (1, -1, 0.5, None)), ([(2, 3)], (2, 1, -1, 2)),
             ([(3,)], (0, -1, None, None))],
    "argmax": [([(2, 3)], (None, False)), ([(2, 3)], (1, False)), ([(2, 3)], (0, True))],
    "argmin": [([(4,)], (None, False)), ([(3, 2)], (1, True))],
}
VALUES: dict = {}
