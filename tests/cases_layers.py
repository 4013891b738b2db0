"""Table-test cases for the layers ops (merged into test_array_ops.ARRAY_CASES).

CASES: op name -> list of (operand shapes, params); VALUES: op name -> function(shapes, rng) giving
operands where random uniform(-2, 2) ones will not do (integer indices, symmetric positive definite
matrices, distinct singular values).

Small sizes (every element is stepped): a stride, a padding, pairs of each, overlapping windows.
"""

_POOLS = [(2, None), ((3, 2), (2, 1))]

CASES: dict = {
    "conv2d": [([(2, 2, 4, 4), (3, 2, 3, 3)], (None, 1, 0)),
               ([(1, 2, 5, 4), (2, 2, 3, 2)], (None, 2, 1)),
               ([(1, 1, 5, 5), (2, 1, 2, 3)], (None, (2, 1), (0, 1)))],
    "conv_transpose2d": [([(2, 3, 2, 2), (3, 2, 3, 3)], (None, 1, 0, 0)),
                         ([(1, 2, 2, 3), (2, 2, 3, 2)], (None, 2, 1, 1)),
                         ([(1, 2, 3, 2), (2, 1, 2, 2)], (None, (2, 1), (1, 0), (1, 0)))],
    "conv2d_weight": [([(2, 2, 4, 4), (2, 3, 2, 2)], ((3, 3), 1, 0)),
                      ([(1, 2, 5, 4), (1, 2, 3, 3)], ((3, 2), 2, 1))],
    "max_pool2d": [([(2, 2, 4, 4)], _POOLS[0]), ([(1, 2, 5, 5)], _POOLS[1])],
    "max_pool2d_backward": [([(2, 2, 2, 2), (2, 2, 4, 4)], _POOLS[0]), ([(1, 2, 2, 4), (1, 2, 5, 5)], _POOLS[1])],
    "max_pool2d_gather": [([(2, 2, 4, 4), (2, 2, 4, 4)], _POOLS[0]), ([(1, 2, 5, 5), (1, 2, 5, 5)], _POOLS[1])],
    "avg_pool2d": [([(2, 2, 4, 4)], _POOLS[0]), ([(1, 2, 5, 5)], _POOLS[1])],
    "avg_pool2d_backward": [([(2, 2, 2, 2), (2, 2, 4, 4)], _POOLS[0]), ([(1, 2, 2, 4), (1, 2, 5, 5)], _POOLS[1])],
}
VALUES: dict = {}
