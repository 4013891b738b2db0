"""Table-test cases for the linalg ops (merged into test_array_ops.ARRAY_CASES).

CASES: op name -> list of (operand shapes, params); VALUES: op name -> function(shapes, rng) giving
operands where random uniform(-2, 2) ones will not do (integer indices, symmetric positive definite
matrices, distinct singular values).
"""

import numpy as np

CASES: dict = {
    "matmul": [([(2, 3), (3,)], ()), ([(3,), (3, 2)], ()), ([(2, 3), (3, 4)], ()), ([(3,), (3,)], ()),
               ([(2, 2, 3), (3, 2)], ()), ([(2, 3), (2, 3, 2)], ()), ([(2, 2, 3), (2, 3, 4)], ()),
               ([(2, 1, 2, 3), (3, 3, 2)], ()), ([(3,), (2, 3, 2)], ()), ([(2, 2, 3), (3,)], ())],
    "dot": [([(3,), (3,)], ()), ([(2, 3), (3,)], ()), ([(2, 3), (3, 2)], ()), ([(3,), (3, 2)], ())],
    "outer": [([(3,), (2,)], ())],
    "inner": [([(3,), (3,)], ()), ([(2, 3), (3,)], ()), ([(2, 3), (4, 3)], ())],
    "tensordot": [([(2, 3), (3, 2)], (1,)), ([(2, 3, 2), (3, 2, 2)], (2,)), ([(2, 3), (3, 2)], (((0,), (1,)),)),
                  ([(3,), (2,)], (0,)), ([(2, 3, 2), (2, 3)], (((0, 1), (0, 1)),))],
    "einsum": [([(2, 3), (3, 2)], ("ij,jk->ik",)), ([(3, 3)], ("ii",)), ([(3, 3)], ("ii->i",)),
               ([(2, 3)], ("ij->",)), ([(2, 3), (2, 3)], ("ij,ij->i",)), ([(2,), (3,), (2,)], ("i,j,k->ijk",)),
               ([(2, 3), (3, 2), (2, 2)], ("ij,jk,kl->il",)), ([(2, 3), (1,)], ("ij,j->i",)),
               ([(2, 3, 2)], ("ijk->kji",)), ([(2, 3), (2,)], ("ij,k->ik",)), ([(3,), (3,)], ("i,i->",)),
               ([(2, 2, 3), (2, 3, 2)], ("bij,bjk->bik",)), ([(2, 3), (3, 2)], ("ij,jk",)),
               ([(2, 2, 3)], ("iij->j",))],
    "kron": [([(2,), (3,)], ()), ([(2, 2), (2, 3)], ()), ([(3,), (2, 2)], ()), ([(2, 3), (2,)], ())],
    "inv": [([(3, 3)], ()), ([(2, 3, 3)], ())],
    "pinv": [([(3, 2)], ()), ([(2, 3)], ()), ([(3, 3)], ())],
    "solve": [([(3, 3), (3,)], ()), ([(3, 3), (3, 2)], ()), ([(2, 3, 3), (2, 3, 1)], ()), ([(2, 3, 3), (3, 2)], ())],
    "det": [([(3, 3)], ()), ([(2, 2, 2)], ())],
    "slogdet": [([(3, 3)], (0,)), ([(3, 3)], (1,)), ([(2, 3, 3)], (1,))],
    "cholesky": [([(3, 3)], ()), ([(2, 3, 3)], ())],
    "eigh": [([(3, 3)], (0,)), ([(3, 3)], (1,)), ([(2, 3, 3)], (1,))],
    "svd": [([(3, 3)], (True, 0)), ([(3, 3)], (True, 1)), ([(3, 3)], (True, 2)),
            ([(3, 2)], (False, 0)), ([(3, 2)], (False, 1)), ([(3, 2)], (False, 2)),
            ([(2, 3)], (False, 0)), ([(2, 3)], (False, 1)), ([(2, 3)], (False, 2)), ([(2, 3, 2)], (False, 0))],
}


def _well_conditioned(shape, rng):
    """A random matrix (or stack) plus n times the identity: far from singular."""
    n = shape[-1]
    return rng.uniform(-1, 1, shape) + n * np.eye(n)


def _orthogonal(n, rng, batch=()):
    q, _ = np.linalg.qr(rng.normal(size=batch + (n, n)))
    return q


def _spd(shape, rng):
    """Symmetric positive definite, with a small asymmetric part (the rules read the symmetric one)."""
    m = rng.uniform(-1, 1, shape)
    return m @ np.swapaxes(m, -1, -2) + shape[-1] * np.eye(shape[-1]) + 0.05 * rng.uniform(-1, 1, shape)


def _distinct_eigenvalues(shape, rng):
    n = shape[-1]
    q = _orthogonal(n, rng, shape[:-2])
    w = np.arange(1.0, n + 1) * 1.5 - 2.0
    return (q * w) @ np.swapaxes(q, -1, -2) + 0.05 * rng.uniform(-1, 1, shape)


def _distinct_singular_values(shape, rng):
    m, n = shape[-2:]
    k = min(m, n)
    u = _orthogonal(m, rng, shape[:-2])[..., :k]
    v = _orthogonal(n, rng, shape[:-2])[..., :k]
    s = 1.0 + np.arange(k, 0, -1.0)
    return (u * s) @ np.swapaxes(v, -1, -2)


VALUES: dict = {
    "inv": lambda shapes, rng: [_well_conditioned(shapes[0], rng)],
    "det": lambda shapes, rng: [_well_conditioned(shapes[0], rng)],
    "slogdet": lambda shapes, rng: [-_well_conditioned(shapes[0], rng)],  # 3 x 3: a negative determinant
    "solve": lambda shapes, rng: [_well_conditioned(shapes[0], rng), rng.uniform(-2, 2, shapes[1])],
    "pinv": lambda shapes, rng: [_distinct_singular_values(shapes[0], rng)],
    "cholesky": lambda shapes, rng: [_spd(shapes[0], rng)],
    "eigh": lambda shapes, rng: [_distinct_eigenvalues(shapes[0], rng)],
    "svd": lambda shapes, rng: [_distinct_singular_values(shapes[0], rng)],
}
