"""Batching rules: how an op acts when some of its operands carry a leading batch axis (data rows).

Over ``--data`` an array program runs once for a chunk of rows: an input bound by a
column holds every row's value stacked along a new leading axis (``(n,) + shape``),
an input with one value for every row keeps its own shape, and a node is batched
when any of its operands is.  Each op's ``Op.batch`` (a ``BatchRule``, one field of
its entry in the op table, as JAX's ``vmap`` has one rule per primitive) says what
it does there:

* ``forward(params, args, batched)``: the batched value, row r being the op at row r;
* ``vjp(j, params, g, ans, args, batched)``: what the gradient ``g`` (batched) hands
  operand j.  For a batched operand, an array that sums back to ``(n,) + its shape``
  over the axes after the batch axis (``values.unbroadcast(..., rows=True)``, the one
  place that sums); for an operand without the batch axis, the rows' contributions
  either still along a leading batch axis or already summed over it (a product does
  the sum inside its matrix product), which ``values.unbroadcast`` sums back to the
  operand's shape as it sums every broadcast.

The generic rules come from the entry's metadata: an elementwise op (every op with
scalar partials) aligns the batch axis in front of the operands' own axes and lets
unbatched operands broadcast; an op with an ``axis`` keyword shifts the axes it names
past the batch axis.  Products (``@``, ``dot``, ``outer``) are numpy's batched matrix
products; transpose, indexing and the literal ``[a, b]`` have rules of their own.  A
rule that meets operands it cannot batch (a matmul of stacks, indices split by a
slice) raises ``Unbatched``, and an op with no rule (``Op.batch`` None) makes the
program run one row at a time, as before: coverage may be partial, never wrong.
"""

from __future__ import annotations

from typing import Callable

from gradcli.core.values import np


class Unbatched(Exception):
    """The op cannot take these operands with a batch axis: the rows run one at a time."""


class BatchRule:
    """One op's rule over a batch axis: ``forward`` and ``vjp`` as in the module's docstring."""

    __slots__ = ("forward", "vjp")

    def __init__(self, forward: Callable, vjp: Callable):
        self.forward, self.vjp = forward, vjp


# ---------------------------------------------------------------- elementwise: align, broadcast


def _aligned(args, batched) -> list:
    """The batched operands with axes of length 1 put after the batch axis, so that every operand's
    own axes line up from the right (numpy's broadcasting) and the batch axis stays in front."""
    rank = max(np.ndim(a) - b for a, b in zip(args, batched))
    return [np.reshape(a, a.shape[:1] + (1,) * (rank + 1 - a.ndim) + a.shape[1:]) if b and a.ndim <= rank else a
            for a, b in zip(args, batched)]


def elementwise(rule) -> BatchRule:
    """An elementwise op's batching (``rule`` its ``ArrayRule``): the op on the aligned operands."""
    return BatchRule(lambda params, args, batched: rule.forward(params, *_aligned(args, batched)),
                     lambda j, params, g, ans, args, batched: rule.vjp(j, params, g, ans, _aligned(args, batched)))


# ---------------------------------------------------------------- an axis keyword: shift it


def _shifted_axis(axis, ndim: int):
    """``axis`` of one row, on the batched array of ``ndim`` axes: None (every axis of the row) names
    the row's axes; a non-negative axis moves past the batch axis; a negative one stays."""
    if axis is None:
        return tuple(range(1, ndim))
    if isinstance(axis, tuple):
        return tuple(a + 1 if a >= 0 else a for a in axis)
    return axis + 1 if axis >= 0 else axis


def along_axes(rule, at: tuple[int, ...]) -> BatchRule:
    """A one-operand op whose params hold axes at the positions ``at`` (its ``axis`` keyword): the
    op itself, its axes shifted past the batch axis."""

    def shift(params, x) -> tuple:
        params = list(params)
        for k in at:
            if k < len(params):
                params[k] = _shifted_axis(params[k], np.ndim(x))
        return tuple(params)

    return BatchRule(lambda params, args, batched: rule.forward(shift(params, args[0]), args[0]),
                     lambda j, params, g, ans, args, batched: rule.vjp(0, shift(params, args[0]), g, ans, args))


def from_keywords(rule, keywords: tuple) -> BatchRule:
    """The axis rule derived from an entry's keywords: the positions of those named ``axis``."""
    return along_axes(rule, tuple(k for k, (name, _default) in enumerate(keywords) if name == "axis"))


# ---------------------------------------------------------------- products: numpy's batched matmul


def _matrices(v, batched: bool, vector: str):
    """An operand as a (stack of) matrices: a row's vector as one row (``vector`` "row") or one column."""
    rank = np.ndim(v) - batched
    if rank == 2:
        return v
    if rank == 1:
        return v[..., None, :] if vector == "row" else v[..., :, None]
    raise Unbatched


def _mT(v):
    return np.swapaxes(v, -1, -2)


def _times(A, B, ba: bool, bb: bool):
    """``A @ B`` row by row: one matrix product over all the rows where one side has no batch axis."""
    if ba and not bb:
        n, i, k = A.shape
        return (A.reshape(n * i, k) @ B).reshape(n, i, B.shape[-1])
    if bb and not ba:
        n, k, m = B.shape
        return _mT((_mT(B).reshape(n * m, k) @ _mT(A)).reshape(n, m, A.shape[0]))
    return np.matmul(A, B)


def _summed(X, G, left: bool):
    """The rows' ``X^T @ G`` (``left`` False: ``G @ X^T``) summed over the batch axis, in one product."""
    if left:
        return np.tensordot(X, G, axes=([0, 1], [0, 1]))
    return np.tensordot(G, X, axes=([0, 2], [0, 2]))


def product(a_vector: str, b_vector: str, vectors: bool = False) -> BatchRule:
    """A product of two matrices or vectors, row by row: ``a @ b`` (``a_vector`` "row", ``b_vector``
    "col"; numpy's dot of vectors and matrices is the same) or ``outer`` (a column times a row, of
    ``vectors`` only)."""

    def back(v, M, batched: bool, vector: str):
        """A matrix-form gradient back to the operand's own form (a vector's axis of length 1 taken away)."""
        rank = np.ndim(v) - batched
        if rank == 2:
            return M
        return M[..., 0, :] if vector == "row" else M[..., :, 0]

    def forward(params, args, batched):
        a, b = args
        ba, bb = batched
        if vectors and (np.ndim(a) - ba != 1 or np.ndim(b) - bb != 1):
            raise Unbatched
        out = _times(_matrices(a, ba, a_vector), _matrices(b, bb, b_vector), ba, bb)
        ra, rb = np.ndim(a) - ba, np.ndim(b) - bb
        if ra == 1 and a_vector == "row":
            out = out[..., 0, :]
        if rb == 1 and b_vector == "col":
            out = out[..., 0]
        return out

    def vjp(j, params, g, ans, args, batched):
        a, b = args
        ba, bb = batched
        A, B = _matrices(a, ba, a_vector), _matrices(b, bb, b_vector)
        G = g
        if np.ndim(a) - ba == 1 and a_vector == "row":
            G = G[..., None, :] if np.ndim(b) - bb == 2 else G[..., None]
        if np.ndim(b) - bb == 1 and b_vector == "col":
            G = G[..., None]
        if j == 0:
            M = _summed(B, G, left=False) if not ba else _times(G, _mT(B), True, bb)
            return back(a, M, ba, a_vector)
        M = _summed(A, G, left=True) if not bb else _times(_mT(A), G, ba, True)
        return back(b, M, bb, b_vector)

    return BatchRule(forward, vjp)


# ---------------------------------------------------------------- transpose, the literal [a, b]


def _row_axes(params, ndim: int) -> tuple:
    """A row's transpose axes on the batched array: the batch axis first, the row's axes as given."""
    axes = params[0] if params else None
    rank = ndim - 1
    if axes is None:
        return (0, *range(rank, 0, -1))
    return (0, *(a % rank + 1 for a in axes))


TRANSPOSE = BatchRule(
    lambda params, args, batched: np.transpose(args[0], _row_axes(params, np.ndim(args[0]))),
    lambda j, params, g, ans, args, batched: np.transpose(g, tuple(np.argsort(_row_axes(params, np.ndim(g))))))


def _literal(params, args, batched):
    n = next(a.shape[0] for a, b in zip(args, batched) if b)
    shape = np.broadcast_shapes(*(np.shape(a)[b:] for a, b in zip(args, batched)))
    return np.stack([np.broadcast_to(a, (n, *shape)) for a in args], axis=1)


STACK = BatchRule(_literal, lambda j, params, g, ans, args, batched: g[:, j])


# ---------------------------------------------------------------- indexing: x[1:, None, y]


def indexing(rule, operand: str) -> BatchRule:
    """``x[key]`` row by row (``rule`` the index op's ``ArrayRule``, ``operand`` its marker for an array
    subscript in params).  A batched x reads each row with a full slice in front of the key; an array
    subscript with a batch axis is paired with the rows by ``arange(n)`` in front.  numpy moves the
    axes of array subscripts split by a slice to the front: such a key raises ``Unbatched``."""

    def key(params, args, batched):
        subs = list(args[1:])
        sub_batched = batched[1:]
        fancy = any(p == operand or type(p) is tuple for p in params)  # numpy's advanced indexing
        advanced = [k for k, p in enumerate(params) if p == operand or type(p) is tuple or (type(p) is int and fancy)]
        if advanced and advanced != list(range(advanced[0], advanced[-1] + 1)):
            raise Unbatched
        if not any(sub_batched):
            if not batched[0]:
                raise Unbatched  # cannot happen: the node would not be batched
            return (slice(None), *params), subs
        if advanced[0] != 0:
            raise Unbatched
        n = next(s.shape[0] for s, b in zip(subs, sub_batched) if b)
        depth = max(np.ndim(s) - b for s, b in zip(subs, sub_batched))
        subs = [np.broadcast_to(s.reshape(s.shape[:1] + (1,) * (depth + 1 - s.ndim) + s.shape[1:]) if b else s,
                                (n, *np.broadcast_shapes(*(np.shape(t)[c:] for t, c in zip(subs, sub_batched)))))
                for s, b in zip(subs, sub_batched)]
        if not batched[0]:
            return tuple(params), subs
        rows = np.arange(n).reshape((n,) + (1,) * depth)
        return (operand, *params), [rows, *subs]

    def forward(params, args, batched):
        params, subs = key(params, args, batched)
        return rule.forward(params, args[0], *subs)

    def vjp(j, params, g, ans, args, batched):
        if j:
            return np.zeros(np.shape(args[j]))
        params, subs = key(params, args, batched)
        return rule.vjp(0, params, g, ans, [args[0], *subs])

    return BatchRule(forward, vjp)
