"""Table-test cases for the indexing ops (merged into test_array_ops.ARRAY_CASES).

CASES: op name -> list of (operand shapes, params); VALUES: op name -> function(shapes, rng) giving
operands where random uniform(-2, 2) ones will not do (integer indices, symmetric positive definite
matrices, distinct singular values).

An array of indices holds every index up to the smallest axis of the array it reads, repeated
(the gradient adds up there) and half of them negative (counted from the end): in range for any
axis, whichever it reads.
"""

from gradcli.core.ops import OPERAND

ALL = slice(None)

CASES: dict = {
    "index": [
        ([(4,)], (2,)), ([(2, 3)], (1, 0)), ([(2, 3)], (1,)), ([(2, 3)], (-1, -2)),
        ([(5,)], (slice(1, None),)), ([(2, 3)], (ALL, 0)), ([(3, 4)], (slice(0, 2), slice(None, None, 2))),  # x[1:] ...
        ([(3,)], (None, ALL)), ([(2, 3)], (ALL, None, 1)), ([()], (None,)),  # None: a new axis
        ([(5,)], (slice(None, None, -2),)), ([(4, 3)], (slice(-1, 0, -1), -1)),  # negative steps and bounds
        ([(3,)], ((0, 0, 2),)), ([(2, 3)], ((1, 0), (2, 2))), ([(3, 2)], (((0, 1), (2, 2)),)),  # fixed arrays
        ([(3, 4), (3,), (3,)], (OPERAND, OPERAND)),  # S[arange(N), y]
        ([(4,), (7,)], (OPERAND,)), ([(2, 3), (2, 2)], (ALL, OPERAND)),  # repeats; a matrix of indices
        ([(2, 3, 4), (5,)], (ALL, None, OPERAND)), ([(3, 4), (3,)], (OPERAND, slice(1, None))),
    ],
    "scatter_add": [
        ([(4,), (5,)], (slice(1, None),)), ([(3,), (3,)], ((0, 0, 2),)), ([(1,), (5,)], (slice(None, None, 2),)),
        ([(3,), (3, 4), (3,), (3,)], (OPERAND, OPERAND)), ([(2, 1, 2), (2, 3), (2,)], (ALL, None, OPERAND)),
        ([(3,), (2, 3)], ()),  # g broadcast over x
    ],
    "take": [
        ([(5,), (4,)], (None,)), ([(2, 3), (4,)], (None,)), ([(2, 3), (2, 2)], (1,)), ([(3, 2), (4,)], (0,)),
        ([(3,), ()], (None,)), ([(2, 3), ()], (-1,)), ([(2, 3), (2, 2)], (None,)),
    ],
    "take_along_axis": [
        ([(3, 4), (3, 1)], (1,)), ([(3, 4), (2, 4)], (0,)), ([(2, 3), (2, 5)], (-1,)), ([(4,), (6,)], (0,)),
        ([(2, 3), (4,)], (None,)), ([(3, 1), (3, 2)], (1,)),
    ],
    "arange": [([()], (None,)), ([(), ()], (None,)), ([(), (), ()], (None,)), ([(), ()], ("float",))],
}


def _indices(shape, limit, rng):
    """Every index below ``limit``, repeated to fill ``shape``, shuffled, half of them negative."""
    size = 1
    for n in shape:
        size *= n
    values = rng.permutation(size) % limit
    values = values - limit * (rng.random(size) < 0.5)
    return values.reshape(shape).astype(float) if shape else float(values[0])


def _reading(data: int):
    """Operands: ``data`` arrays of uniform numbers, then arrays of indices in range for the last of them."""

    def make(shapes, rng):
        arrays = [rng.uniform(-2, 2, s) if s else float(rng.uniform(-2, 2)) for s in shapes[:data]]
        limit = min(shapes[data - 1], default=1)
        return arrays + [_indices(s, limit, rng) for s in shapes[data:]]

    return make


_BOUNDS = {1: [4.0], 2: [1.0, 5.0], 3: [5.0, -1.0, -2.0]}

VALUES: dict = {
    "index": _reading(1), "scatter_add": _reading(2), "take": _reading(1), "take_along_axis": _reading(1),
    "arange": lambda shapes, rng: list(_BOUNDS[len(shapes)]),
}
