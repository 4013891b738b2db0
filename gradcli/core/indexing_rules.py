"""Indexing and integer arrays (``x[1:, None, y]``, ``take``, ``take_along_axis``, ``arange``, ``scatter_add``).

Each is an ``IndexingRule``: an ``ArrayRule`` (core/array_rules.py) that also says which of its
operands hold integers (``integer_operands``: the arrays of a subscript, take's indices, arange's
bounds) and what shape it has given the values known when the program is read
(``checked_shape``).  An operand that holds integers carries no gradient: its VJP is zero, an
input read there is not differentiated (autodiff/loading.py), and its values are checked (whole
numbers, in range) when the program is read if they are known then (an input's, a constant's:
exit 2), else when the subscript is evaluated (``BadIndex``: exit 1).  arange's result has a
length that depends on its operands' values: shapes.py asks ``checked_shape`` with them.

A float array of whole numbers is taken as integers where it is used as indices (a JSON list
``[2, 0, 1]`` is read as floats); an integer ``.npy`` file holds integers everywhere.

The VJP of indexing scatters the gradient back where the elements were read, adding up at a
repeated index (numpy's ``np.add.at``).  At the tensor level that is the op ``scatter_add(g,
x)[key]``: zeros shaped like x, with g added at ``x[key]``; its own VJP is the gather ``h[key]``.
"""

from __future__ import annotations

import math
from typing import Callable

from gradcli.core.array_rules import OPERAND, ArrayRule, ShapeError, _text, summed_to
from gradcli.core.values import np, shape_text, unbroadcast


class BadIndex(ValueError):
    """An array of indices with a value that is not a whole number, or out of range: the message says which."""


class IndexingRule(ArrayRule):
    """An ``ArrayRule`` with operands that hold integers.

    * ``integers(params, count)``: the positions of the operands that hold integers (of ``count``);
    * ``known_shape(params, shapes, values)``: the result's shape, given each operand's value where it
      is known when the program is read (None elsewhere); it checks those values.  None: ``shape``,
      with the integer operands' known values checked against the axes they index (``limits``).
    * ``limits(params, shapes)``: for each integer operand, the length of the axis it indexes.
    """

    __slots__ = ("integers", "known_shape", "limits")

    def __init__(self, *, integers: Callable, limits: Callable | None = None, known_shape: Callable | None = None,
                 **fields):
        super().__init__(**fields)
        self.integers, self.limits, self.known_shape = integers, limits, known_shape


def integer_operands(op, params: tuple, count: int) -> tuple:
    """The positions of a node's operands that hold integers (none for an op without such operands)."""
    rule = op.array
    return rule.integers(params, count) if isinstance(rule, IndexingRule) else ()


def checked_shape(op, params: tuple, shapes: list, values: list) -> tuple:
    """The node's shape from its operands' shapes, and from their values where the rule needs them
    (arange) or can check them (indices known when the program is read).  Raises ShapeError."""
    rule = op.array
    if not isinstance(rule, IndexingRule):
        return rule.shape(params, *shapes)
    if rule.known_shape is not None:
        return rule.known_shape(params, shapes, values)
    result = rule.shape(params, *shapes)
    for j, length in zip(rule.integers(params, len(shapes)), rule.limits(params, shapes)):
        if values[j] is not None:
            try:
                integers(values[j], length)
            except BadIndex as exc:
                raise ShapeError(str(exc)) from None
    return result


def integers(a, length: int | None = None, what: str = "an index"):
    """``a`` as integers (int64), each checked in range for an axis of ``length`` (-length to length - 1).

    An integer array is taken as it is; a float array must hold whole numbers.  Raises ``BadIndex``
    naming the first value that is not a whole number or out of range, and where it is.
    """
    a = np.asarray(a)
    if a.dtype.kind not in "iu":
        whole = np.isfinite(a) & (a == np.round(a)) if a.dtype.kind == "f" else np.zeros(a.shape, bool)
        if not whole.all():
            at = _first(~whole)
            raise BadIndex(f"{what} must be a whole number, not {_number(a[at])}{_at(at)}")
        a = a.astype(np.int64)
    if length is not None and a.size:
        bad = (a < -length) | (a >= length)
        if bad.any():
            at = _first(bad)
            raise BadIndex(f"{what} {int(a[at])}{_at(at)} is out of range for an axis of length {length} "
                           f"({-length} to {length - 1})")
    return a


def _first(mask) -> tuple:
    return tuple(int(i) for i in np.argwhere(mask)[0])


def _at(at: tuple) -> str:
    return f" (element [{','.join(map(str, at))}] of the indices)" if at else ""


def _number(v) -> str:
    v = float(v)
    return f"{v:g}" if math.isfinite(v) else str(v)


def _scalar(v):
    return float(v) if np.ndim(v) == 0 else v


def _no_gradient(j, n) -> str:
    """The rule of an operand that carries no gradient (indices; the array scatter_add takes its shape
    from): ``0*y``, zeros of its shape."""
    return f"0*{n.labels[j]}"


def _zero_vjp(j, params, g, ans, *args):
    """An integer operand's VJP: zero, in its shape."""
    return np.zeros(np.shape(args[j])) if np.ndim(args[j]) else 0.0


# ---------------------------------------------------------------- subscripts: x[1:, None, y]


def _axes(params) -> list:
    """The axis of x each subscript reads (None for a None, which reads none)."""
    out, axis = [], 0
    for p in params:
        out.append(None if p is None else axis)
        axis += p is not None
    return out


def _key(params, subscripts, shape_: tuple) -> tuple:
    """numpy's index from an ``index`` node's params, its arrays of integers put in at their places,
    each checked in range for the axis it reads."""
    given = iter(subscripts)
    return tuple(integers(next(given) if p == OPERAND else p, shape_[axis]) if p == OPERAND or type(p) is tuple
                 else p for p, axis in zip(params, _axes(params)))


def _index_shape(params, s, *subscripts):
    """The shape numpy's indexing gives, found on an array of no memory (every element one zero)."""
    consumed = [p for p in params if p is not None]
    if len(consumed) > len(s):
        raise ShapeError(f"{len(consumed)} indices for {'a scalar' if not s else 'shape ' + shape_text(s)}")
    for axis, (i, n) in enumerate(zip(consumed, s)):
        if type(i) is int and not -n <= i < n:
            raise ShapeError(f"index {i} is out of range for axis {axis} of shape {shape_text(s)} (0 to {n - 1})")
        if type(i) is tuple:
            try:
                integers(i, n)
            except BadIndex as exc:
                raise ShapeError(str(exc)) from None
    dummy = np.broadcast_to(np.zeros(()), s)
    given = iter(subscripts)
    key = tuple(np.zeros(next(given), dtype=np.int64) if p == OPERAND else np.asarray(p) if type(p) is tuple
                else p for p in params)
    try:
        return dummy[key].shape
    except IndexError as exc:
        where = f"shape {shape_text(s)}" if s else "a scalar"
        raise ShapeError(f"{str(exc).rstrip('.')} (indexing {where})") from None


def _operand_limits(params, shapes) -> list:
    """The length of the axis of x each array subscript reads."""
    return [shapes[0][axis] for p, axis in zip(params, _axes(params)) if p == OPERAND]


def _operand_positions(params, count) -> tuple:
    return tuple(range(1, count))


def subscript_text(params, labels: list[str]) -> str:
    """``1:, None, y, [0, 0, 1]``: a subscript as the program writes it (an array subscript's label
    from ``labels``, in order; a fixed array as a list)."""
    given = iter(labels)
    return ", ".join(next(given) if p == OPERAND else _fixed_text(p) for p in params)


def _fixed_text(p) -> str:
    if isinstance(p, slice):
        text = ":".join("" if v is None else str(v) for v in (p.start, p.stop))
        return text + (f":{p.step}" if p.step is not None else "")
    if isinstance(p, tuple):
        return "[" + ", ".join(map(_fixed_text, p)) + "]"
    return str(p)


def _index_vjp(j, params, g, ans, x, *subscripts):
    """The gradient scattered back to where the elements were read; a repeated index adds up."""
    if j:
        return _zero_vjp(j - 1, params, g, ans, *subscripts)  # an array of integers carries no gradient
    return _scatter(params, g, np.shape(x), subscripts)


def _scatter(params, g, shape_: tuple, subscripts):
    """Zeros of ``shape_`` with g added at ``[key]``: numpy's ``np.add.at``, which adds at a repeated index;
    a key of whole numbers, slices and None reads each place once, and takes the faster ``+=``."""
    out = np.zeros(shape_)
    key = _key(params, subscripts, shape_)
    if subscripts or any(type(p) is tuple for p in params):
        np.add.at(out, key, g)
    else:
        out[key] += g
    return _scalar(out)


def _index(params, x, *subscripts):
    return _scalar(np.asarray(x)[_key(params, subscripts, np.shape(x))])


def _index_jvp(params, tangents, ans, x, *subscripts):
    return None if tangents[0] is None else _index(params, tangents[0], *subscripts)


def _sources(params, shape_: tuple, subscripts):
    """For each element of ``x[key]``, the flat position in x it reads (an array of x[key]'s shape)."""
    return np.arange(math.prod(shape_)).reshape(shape_)[_key(params, subscripts, shape_)]


def _index_elements(params, k, ans, args, label=None):
    """The result's element ``k`` is the x element numpy's indexing reads there, with partial 1."""
    x = args[0]
    flat = _sources(params, np.shape(x), args[1:])
    at = tuple(int(i) for i in np.unravel_index(int(flat[tuple(k)]), np.shape(x)))
    return [(0, at, 1.0, _text(label, 0, (), "1"))]


def _index_rule(j, n) -> str:
    """``scatter_add(g, x)[1:, y]``: the gradient placed where x[1:, y] read, 0 elsewhere."""
    if j:
        return _no_gradient(j, n)
    return f"scatter_add({n.g}, {n.x})[{subscript_text(n.params, n.labels[1:])}]"


INDEX = IndexingRule(forward=_index, vjps=(_index_vjp,), jvp=_index_jvp, shape=_index_shape, rule=_index_rule,
                     variadic=True, elements=_index_elements, integers=_operand_positions, limits=_operand_limits)


# ---------------------------------------------------------------- scatter_add(g, x)[key]: the rule of x[key]


def _scatter_shape(params, sg, sx, *subscripts):
    part = _index_shape(params, sx, *subscripts)
    try:
        fits = np.broadcast_shapes(sg, part) == part
    except ValueError:
        fits = False
    if not fits:
        raise ShapeError(f"scatter_add(g, x)[...] adds g at x[...], of shape {shape_text(part)}: g has shape "
                         f"{shape_text(sg)}, which does not broadcast to it")
    return sx


def _scatter_vjp(j, params, h, ans, g, x, *subscripts):
    """d/dg is the gather h[key] (summed back to g's shape by the sweep); x gives only its shape."""
    if j == 0:
        return unbroadcast(_index(params, h, *subscripts), np.shape(g))
    return _zero_vjp(j, params, h, ans, g, x, *subscripts)


def _scatter_forward(params, g, x, *subscripts):
    part = _index_shape(params, np.shape(x), *(np.shape(s) for s in subscripts))
    return _scatter(params, np.broadcast_to(g, part), np.shape(x), subscripts)


def _scatter_elements(params, k, ans, args, label=None):
    """The result's element ``k`` is the sum of the elements of g added there, each with partial 1."""
    g, x, subscripts = args[0], args[1], args[2:]
    flat = _sources(params, np.shape(x), subscripts)
    of_g = np.broadcast_to(np.arange(np.size(g)).reshape(np.shape(g)), flat.shape)  # which g element lands there
    target = int(np.ravel_multi_index(tuple(k), np.shape(x))) if np.ndim(x) else 0
    hits = sorted({int(e) for e in of_g[flat == target]})
    return [(0, tuple(int(i) for i in np.unravel_index(e, np.shape(g))), float(np.sum(of_g[flat == target] == e)),
             _text(label, 0, (), str(int(np.sum(of_g[flat == target] == e))))) for e in hits]


def _scatter_rule(j, n) -> str:
    if j:
        return _no_gradient(j, n)
    part = _index_shape(n.params, n.shapes[1], *n.shapes[2:])
    gathered = f"{n.g}[{subscript_text(n.params, n.labels[2:])}]" if n.params else n.g
    return summed_to(gathered, n.shapes[0], part)


SCATTER_ADD = IndexingRule(forward=_scatter_forward, vjps=(_scatter_vjp,),
                           jvp=lambda params, tangents, ans, g, x, *subscripts:
                           None if tangents[0] is None else _scatter_forward(params, tangents[0], x, *subscripts),
                           shape=_scatter_shape, rule=_scatter_rule, variadic=True, elements=_scatter_elements,
                           integers=lambda params, count: tuple(range(2, count)),
                           limits=lambda params, shapes: _operand_limits(params, shapes[1:]))


# ---------------------------------------------------------------- take(a, indices, axis=None)


def _axis_of(params, s, name: str) -> int | None:
    axis = params[0]
    if axis is None:
        return None
    if not isinstance(axis, int):
        raise ShapeError(f"{name}: the axis is a whole number, not {axis!r}")
    if not -len(s) <= axis < len(s):
        raise ShapeError(f"{name}: axis {axis} does not exist for shape {shape_text(s)}"
                         + (f" (axes 0 to {len(s) - 1})" if s else ""))
    return axis % len(s)


def _take_shape(params, sa, si):
    axis = _axis_of(params, sa, "take")
    return tuple(si) if axis is None else sa[:axis] + tuple(si) + sa[axis + 1:]


def _take_length(params, shapes) -> list:
    sa = shapes[0]
    axis = _axis_of(params, sa, "take")
    return [math.prod(sa) if axis is None else sa[axis]]


def _take_key(params, a, indices):
    """take as numpy's indexing of a (flattened for axis None): the key and the array it applies to."""
    axis = _axis_of(params, np.shape(a), "take")
    if axis is None:
        return np.reshape(a, -1), (integers(indices, np.size(a)),)
    return a, (slice(None),) * axis + (integers(indices, np.shape(a)[axis]),)


def _take(params, a, indices):
    flat, key = _take_key(params, np.asarray(a), indices)
    return _scalar(flat[key])


def _take_vjp(j, params, g, ans, a, indices):
    if j:
        return _zero_vjp(0, params, g, ans, indices)
    out = np.zeros(np.shape(a))
    flat, key = _take_key(params, out, indices)
    np.add.at(flat, key, g)  # flat is a view of out (fresh zeros are contiguous)
    return _scalar(out)


def _take_elements(params, k, ans, args, label=None):
    a, indices = args
    axis = _axis_of(params, np.shape(a), "take")
    idx = integers(indices)
    if axis is None:
        flat = int(idx[tuple(k)]) % np.size(a)
        at = tuple(int(i) for i in np.unravel_index(flat, np.shape(a)))
    else:
        n = np.ndim(idx)
        at = tuple(k[:axis]) + (int(idx[tuple(k[axis:axis + n])]) % np.shape(a)[axis],) + tuple(k[axis + n:])
    return [(0, at, 1.0, _text(label, 0, (), "1"))]


def _take_rule(j, n) -> str:
    """``scatter_add(g, x)[:, y]`` (take along an axis is x[:, y]); flattened (axis None), a one-hot sum."""
    if j:
        return _no_gradient(j, n)
    sa, si = n.shapes
    axis = _axis_of(n.params, sa, "take")
    if axis is None and len(sa) != 1:
        return _one_hot_rule(n.g, n.labels[1], sa, len(si))
    return f"scatter_add({n.g}, {n.x})[{', '.join([':'] * (axis or 0) + [n.labels[1]])}]"


def _one_hot_rule(g: str, indices: str, s: tuple, m: int) -> str:
    """The gradient of x flattened and indexed, written without reshaping: for each x element, the
    sum of the g elements whose index is its flat position: ``sum(g[:, None, None] * (y[:, None, None]
    == P), 0)``, P the grid of flat positions ``expand_dims(arange(2), 1)*3 + arange(3)``."""
    d = len(s)
    strides = [math.prod(s[a + 1:]) for a in range(d)]
    terms = []
    for a in range(d):
        grid = f"arange({s[a]})" + (f"[{', '.join(':' if b == a else 'None' for b in range(d))}]" if d > 1 else "")
        terms.append(grid if strides[a] == 1 else f"{grid}*{strides[a]}")
    positions = " + ".join(terms) or "0"
    spread = "" if not d else f"[{', '.join([':'] * m + ['None'] * d)}]"
    wrapped = f"({indices} + {math.prod(s)}*({indices} < 0))"  # a negative index counts from the end
    text = f"{g}{spread} * ({wrapped}{spread} == {positions})"
    for _ in range(m):
        text = f"sum({text}, 0)"
    return text


TAKE = IndexingRule(forward=_take, vjps=(_take_vjp,), jvp=lambda params, tangents, ans, a, indices:
                    None if tangents[0] is None else _take(params, tangents[0], indices),
                    shape=_take_shape, rule=_take_rule, variadic=True, elements=_take_elements,
                    integers=lambda params, count: (1,), limits=_take_length)


# ---------------------------------------------------------------- take_along_axis(arr, indices, axis)


def _along_shape(params, sa, si):
    if params[0] is None:
        if len(si) != 1:
            raise ShapeError(f"take_along_axis with axis None takes indices of one axis, not {shape_text(si)}")
        return tuple(si)
    axis = _axis_of(params, sa, "take_along_axis")
    if len(si) != len(sa):
        raise ShapeError(f"take_along_axis: the indices {shape_text(si)} need as many axes as the array "
                         f"{shape_text(sa)}")
    out = []
    for b, (n, m) in enumerate(zip(sa, si)):
        if b != axis and n != m and 1 not in (n, m):
            raise ShapeError(f"take_along_axis: the indices {shape_text(si)} and the array {shape_text(sa)} "
                             f"differ in axis {b} ({m} and {n}); only the axis {axis} may differ")
        out.append(m if b == axis else max(n, m))
    return tuple(out)


def _along_key(params, shape_: tuple, indices) -> tuple:
    """numpy's indexing for take_along_axis: an arange along every other axis, the indices along the axis."""
    axis = params[0] % len(shape_)
    d = len(shape_)
    return tuple(integers(indices, n) if b == axis else np.arange(n).reshape([n if c == b else 1 for c in range(d)])
                 for b, n in enumerate(shape_))


def _along(params, a, indices):
    if params[0] is None:
        return _take((None,), a, indices)
    return np.asarray(a)[_along_key(params, np.shape(a), indices)]


def _along_vjp(j, params, g, ans, a, indices):
    if params[0] is None or j:
        return _take_vjp(j, (None,), g, ans, a, indices)
    out = np.zeros(np.shape(a))
    np.add.at(out, _along_key(params, np.shape(a), indices), g)
    return out


def _along_elements(params, k, ans, args, label=None):
    a, indices = args
    if params[0] is None:
        return _take_elements((None,), k, ans, args, label)
    axis = params[0] % np.ndim(a)
    idx = integers(indices)
    at = tuple((int(idx[tuple(kc if m > 1 else 0 for kc, m in zip(k, idx.shape))]) % n) if b == axis
               else (k[b] if n > 1 else 0) for b, n in enumerate(np.shape(a)))
    return [(0, at, 1.0, _text(label, 0, (), "1"))]


def _along_rule(j, n) -> str:
    """``scatter_add(g, x)[expand_dims(arange(2), 1), y]``: numpy's own indexing for take_along_axis."""
    if j:
        return _no_gradient(j, n)
    sa, si = n.shapes
    if n.params[0] is None:
        return _take_rule(j, type(n)(n.labels, n.out, n.g, (None,), n.shapes))
    axis = n.params[0] % len(sa)
    d = len(sa)
    key = [n.labels[1] if b == axis else f"arange({m})" if d == 1 else
           f"arange({m})[{', '.join(':' if c == b else 'None' for c in range(d))}]" for b, m in enumerate(sa)]
    return f"scatter_add({n.g}, {n.x})[{', '.join(key)}]"


def _along_limits(params, shapes) -> list:
    sa = shapes[0]
    return [math.prod(sa)] if params[0] is None else [sa[params[0] % len(sa)] if sa else 1]


TAKE_ALONG_AXIS = IndexingRule(forward=_along, vjps=(_along_vjp,),
                               jvp=lambda params, tangents, ans, a, indices:
                               None if tangents[0] is None else _along(params, tangents[0], indices),
                               shape=_along_shape, rule=_along_rule, variadic=True, elements=_along_elements,
                               integers=lambda params, count: (1,), limits=_along_limits)


# ---------------------------------------------------------------- arange([start,] stop[, step], dtype=None)

_DTYPES = {None: "int64", "int": "int64", "int64": "int64", "float": "float64", "float64": "float64"}


def _arange_bounds(params, values) -> tuple:
    """The whole numbers (start, stop, step) of ``arange`` from its operands' values; ShapeError if not."""
    if not 1 <= len(values) <= 3:
        raise ShapeError(f"arange takes 1 to 3 numbers, arange(stop) or arange(start, stop, step), not {len(values)}")
    if params[0] not in _DTYPES:
        raise ShapeError(f"arange's dtype is 'int' or 'float', not {params[0]!r}")
    bounds = []
    for v in values:
        if v is None:
            raise ShapeError("arange's arguments are numbers written in the program or inputs (their values "
                             "give its length before anything is computed), not computed values")
        if np.ndim(v):
            raise ShapeError(f"arange takes numbers, not an array of shape {shape_text(np.shape(v))}")
        try:
            bounds.append(int(integers(v, what="an argument of arange")))
        except BadIndex as exc:
            raise ShapeError(str(exc)) from None
    start, stop, step = (0, bounds[0], 1) if len(bounds) == 1 else (*bounds, 1)[:3]
    if step == 0:
        raise ShapeError("arange's step cannot be 0")
    return start, stop, step


def _arange_shape(params, shapes, values):
    start, stop, step = _arange_bounds(params, values)
    return (max(0, -((start - stop) // step)),)


def _arange(params, *args):
    try:
        start, stop, step = _arange_bounds(params, list(args))
    except ShapeError as exc:
        raise BadIndex(str(exc)) from None
    return np.arange(start, stop, step, dtype=_DTYPES[params[0]])


ARANGE = IndexingRule(forward=_arange, vjps=(_zero_vjp,), jvp=lambda params, tangents, ans, *args: None,
                      shape=lambda params, *shapes: _arange_shape(params, shapes, [None] * len(shapes)),
                      rule=_no_gradient, variadic=True, elements=lambda params, k, ans, args, label=None: [],
                      integers=lambda params, count: tuple(range(count)), known_shape=_arange_shape)


__all__ = ["ARANGE", "BadIndex", "INDEX", "IndexingRule", "SCATTER_ADD", "TAKE", "TAKE_ALONG_AXIS",
           "checked_shape", "integer_operands", "integers", "subscript_text"]
