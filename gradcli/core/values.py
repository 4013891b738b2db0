"""What a value is: a Python float, or, only in a program that has arrays, a numpy array.

This is the one module that knows the difference.  Every sweep and view asks
it for zeros, sums, shapes, finiteness and text, so a scalar program never
imports numpy (start-up stays fast) and an array program needs no special
cases elsewhere.  A gradient or tangent that is known to be zero without
computing it (no path reaches the node) is a ``Zero`` of the node's shape: the
one symbolic zero of every sweep (as JAX's ``ad.Zero``), tested with ``is_zero``,
never with ``0.0 ==``.  ``None`` in a sweep's result means "not computed" (forward
mode's intermediates) or "let go" (a value or adjoint freed during the sweep).
An array of integers (labels, indices: an integer ``.npy`` file, ``arange``) is an int64
array (``holds_integers``); it carries no gradient.
"""

from __future__ import annotations

import math

Shape = tuple  # of ints; () for a scalar


class Zero:
    """No gradient (or tangent) reaches this node: zero by the graph alone, never computed.

    It knows the shape of the value it stands for, so ``dense`` can make the zeros a
    view or a sum needs; it has no arithmetic, so it cannot be mistaken for a number.
    """

    __slots__ = ("shape",)

    def __init__(self, shape_: Shape = ()):
        self.shape = shape_

    def __repr__(self) -> str:
        return f"Zero{self.shape}"


ZERO = Zero(())  # the scalar one: every number's symbolic zero is this object


def is_zero(v) -> bool:
    """True for the symbolic zero (no path reaches the node); a computed 0.0 is not one."""
    return type(v) is Zero


def dense(v):
    """A sweep's entry as a value: the symbolic zero becomes 0.0 or zeros of its shape."""
    return zeros(v.shape) if type(v) is Zero else v


class _LazyNumpy:
    """``np.sin`` that imports numpy on first use: scalar programs never pay for it."""

    def __getattr__(self, name):
        import numpy

        globals()["np"] = numpy
        value = getattr(numpy, name)
        setattr(self, name, value)  # modules that imported the proxy look it up once
        return value


np = _LazyNumpy()


def is_array(v) -> bool:
    """True for a numpy array (numpy's float64 scalars count as floats; None, a value not given, is none)."""
    return v is not None and not isinstance(v, (float, int))


def holds_integers(v) -> bool:
    """True for an array of integers (labels, indices: an integer ``.npy`` file, ``arange``): no gradient."""
    return is_array(v) and v.dtype.kind in "iu"


def shape(v) -> Shape:
    return tuple(v.shape) if is_array(v) else ()


def size(v) -> int:
    return int(v.size) if is_array(v) else 1


def as_value(x):
    """A float, or a float64 array for a nested list or array (a 0-d array becomes a float)."""
    if isinstance(x, (float, int)):
        return float(x)
    a = np.asarray(x, dtype=float)
    return float(a) if a.ndim == 0 else a


def settle(v):
    """A value as the sweeps keep it: numpy's scalars and 0-d arrays become Python floats.

    An array op on a scalar (``softmax(s)``, ``transpose(s)``) hands back a numpy
    scalar or a 0-d array; a scalar op's rules are written for floats (``(x > 0) -
    (x < 0)`` fails on numpy's booleans) and JSON takes no 0-d array, so every value,
    gradient and tangent an array rule produces passes through here.
    """
    if type(v) is float or v is None:
        return v
    if isinstance(v, (float, int)) or getattr(v, "ndim", None) == 0:
        return float(v)
    return v


def operation_value(op, params: tuple, args: list, rows: bool = False):
    """An operation's value from its operands': the op's scalar function on numbers (the same
    doubles as the compiled scalar plan), its numpy rule when an operand is an array.

    ``rows`` (a pass over data rows): always the numpy rule, so a bad row is a
    non-finite element rather than an exception.
    """
    if not rows and op.scalar and not any(is_array(a) for a in args):
        return op.forward(*args)
    return settle(op.array.forward(params, *args))


def numpy_quiet(numpy: bool | None = None):
    """numpy's floating-point warnings silenced while values are computed (they are tested after);
    nothing at all, and no numpy import, for a computation on numbers only (``numpy`` False; None:
    whenever numpy has not been imported, so no array has been made)."""
    if numpy is None:
        import sys

        numpy = "numpy" in sys.modules
    if not numpy:
        from contextlib import nullcontext

        return nullcontext()
    return np.errstate(all="ignore")


def zeros(shape_: Shape):
    return np.zeros(shape_) if shape_ else 0.0


def add(a, b):
    """a + b where either may be the symbolic zero."""
    if type(a) is Zero:
        return b
    if type(b) is Zero:
        return a
    return a + b


def all_finite(v) -> bool:
    if is_array(v):
        if v.dtype.kind == "f" and v.size >= 4096 and _finite_sum(v):
            return True  # one read, no mask: an inf or a nan anywhere makes the sum inf or nan
        return bool(np.isfinite(v).all())
    return math.isfinite(v)


def all_finite_in(vs) -> bool:
    """Whether every value in ``vs`` is finite: one sum per array and one test for all (a sum is
    finite only if every term is; one that overflows sends each value to ``all_finite``)."""
    total = 0.0
    for v in vs:
        total += float(np.add.reduce(v, axis=None)) if is_array(v) else v
    return math.isfinite(total) or all(all_finite(v) for v in vs)


def _finite_sum(v) -> bool:
    """Whether the sum of a float array is finite (an overflowing sum of finite elements is not:
    the caller then checks element by element)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return math.isfinite(np.add.reduce(v, axis=None))


def first_not_finite(v) -> tuple[int, ...] | None:
    """The index of the first element that is not finite (``()`` for a scalar), or None."""
    if not is_array(v):
        return None if math.isfinite(v) else ()
    bad = np.argwhere(~np.isfinite(v))
    return tuple(int(i) for i in bad[0]) if len(bad) else None


def unbroadcast(g, target: Shape, rows: bool = False):
    """Sum a gradient back to the shape of the operand it flows into (numpy broadcasting undone).

    Broadcasting prepends axes and stretches axes of length 1; the gradient of a
    stretched operand is the sum over what it was stretched to.  The one place
    this happens: the reverse sweep calls it for every edge.  Over data rows
    (``rows``: axis 0 of ``g`` and of ``target`` is the batch axis, never summed) the
    prepended axes are those after the batch axis; an operand without the batch
    axis (``rows`` False) has it summed with the other prepended axes.
    """
    if type(g) is np.ndarray and g.ndim:  # the common cases first: the shape already, or a bias's rows
        if g.shape == target:
            return g
        if not rows and target and g.shape[1:] == target:
            return np.add.reduce(g, axis=0)
    g = settle(g)
    if shape(g) == target:
        return g
    if not is_array(g):
        return g if not target else np.full(target, g)
    extra = g.ndim - len(target)
    if extra > 0:
        g = g.sum(axis=tuple(range(rows, extra + rows)))
    stretched = tuple(i for i, n in enumerate(target) if n == 1 and g.shape[i] != 1)
    if stretched:
        g = g.sum(axis=stretched, keepdims=True)
    if not target:
        return float(g)
    return g if g.shape == target else np.broadcast_to(g, target).copy()


def element(v, index: tuple[int, ...]):
    """The element at ``index``; a number is its only element, whatever the index."""
    return float(v[index]) if index and is_array(v) else float(v)


def flat_index(shape_: Shape, k: int) -> tuple[int, ...]:
    """The C-order index of the k-th element."""
    out = []
    for n in reversed(shape_):
        out.append(k % n)
        k //= n
    return tuple(reversed(out))


def element_label(name: str, index: tuple[int, ...]) -> str:
    """``q[0]``, ``W[1,0]``; the name alone for a scalar."""
    return f"{name}[{','.join(str(i) for i in index)}]" if index else name


def element_labels(name: str, shape_: Shape) -> list[str]:
    """Every element's label, flattened in C order."""
    count = 1
    for n in shape_:
        count *= n
    return [element_label(name, flat_index(shape_, k)) for k in range(count)] if shape_ else [name]


def to_json(v):
    """A float, or nested lists of floats."""
    return v.tolist() if is_array(v) else float(v)


def flatten(v) -> list[float]:
    return [float(x) for x in v.ravel()] if is_array(v) else [float(v)]


def shape_text(s: Shape) -> str:
    """``(2, 3)``, ``(2,)``, ``()``."""
    return f"({s[0]},)" if len(s) == 1 else f"({', '.join(str(n) for n in s)})"


def brief(v) -> str:
    """A value in a message: ``0.5``, ``[0.2, 0.4]``, or ``(2, 3) array`` when it has many elements."""
    from gradcli.support.numbers import short

    if not is_array(v):
        return short(v)
    if v.size <= 4 and v.ndim == 1:
        return "[" + ", ".join(short(float(x)) for x in v) + "]"
    return f"{shape_text(v.shape)} array"


def all_finite_floats(xs: list[float]) -> bool:
    """Every float finite, in one C-speed pass (a sum that overflows only sends callers to look closer)."""
    return math.isfinite(sum(xs))


def norm_of(v) -> float:
    """The Euclidean (Frobenius) norm of an array, the absolute value of a number.

    Scaled by the largest magnitude first, as ``math.hypot`` is: the squares of
    1e200 overflow, the norm of [1e200, 1e200] does not.
    """
    if not is_array(v):
        return abs(float(v))
    largest = float(np.max(np.abs(v))) if v.size else 0.0
    if largest == 0.0 or not math.isfinite(largest):
        return largest
    scaled = v / largest
    return largest * float(np.sqrt(np.sum(scaled * scaled)))


def agrees(a, b) -> bool:
    """Equal to rounding (every element, for arrays): a sum of path products against the reverse sweep."""
    if is_array(a) or is_array(b):
        return bool(np.allclose(a, b, rtol=1e-9, atol=1e-12))
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


# ---------------------------------------------------------------- one question, whatever the kind
# Analyses and views ask these instead of testing the kind of a value.


def one_hot(like, k: int):
    """A seed shaped like ``like`` with 1 at its k-th element (C order): 1.0 for a number."""
    if not is_array(like):
        return 1.0
    seed = np.zeros(like.size)
    seed[k] = 1.0
    return seed.reshape(like.shape)


def ones_like(like):
    """1.0 for a number, ones of its shape for an array: a seed that reads a diagonal."""
    return np.ones(like.shape) if is_array(like) else 1.0


def elements(v, like) -> list[float]:
    """A gradient or tangent flattened in C order; the symbolic zero as zeros of ``like``'s size."""
    return [0.0] * size(like) if type(v) is Zero else flatten(v)


def or_zeros(v, like):
    """A gradient, the symbolic zero (or None: not computed) written out as zeros shaped like ``like``."""
    return zeros(shape(like)) if v is None or type(v) is Zero else v


def with_element(v, index: tuple[int, ...], x: float):
    """``v`` with the element at ``index`` set to x (a copy); a number is its one element, so x itself."""
    if not is_array(v):
        return x
    copy = v.copy()
    copy[index] = x
    return copy






def joined_elements(vs: list, likes: list) -> list[float]:
    """``elements`` of each value, joined in order; numbers come back as they are, in one pass
    (the scalar Jacobian's row is its adjoints)."""
    if all(type(v) is float for v in vs):
        return list(vs)
    return [e for v, like in zip(vs, likes) for e in elements(v, like)]

