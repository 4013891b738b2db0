"""Derivative rules for arrays (vector-Jacobian products, Jacobian-vector products, shape rules).

Every op of the table has an ``ArrayRule`` (``Op.array``):

* ``forward(params, *args)``: the value, with numpy;
* ``vjps[j](params, g, ans, *args)``: the gradient handed to operand j, given the
  gradient ``g`` arriving at the node (the shape of HIPS autograd's ``defvjp``);
  it may have the broadcast shape: the reverse sweep sums it back to the
  operand's shape in one place (``values.unbroadcast``);
* ``jvp(params, tangents, ans, *args)``: the node's tangent from its operands'
  (``None`` is a zero tangent), for forward mode (JAX's per-primitive jvp);
* ``shape(params, *shapes)``: the result's shape, checked before any value is
  computed; raises ``ShapeError`` saying what does not fit;
* ``rule(j, names)``: the rule handing ``g`` to operand j at the tensor level, as a
  gradcli expression (``g @ transpose(x)``, ``expand_dims(g, 1) * softmax(S, 1)``) that
  evaluates to that VJP, given the labels, params and operand shapes (``RuleNames``).

Each rule is an ``ArrayRule`` declared with these names as keywords, one line
per field where it fits (autograd's ``defvjp`` style); the helpers ``_linear``,
``_bilinear`` and ``_of_tangent`` write the JVPs that follow from the forward.

A scalar op applied to arrays is elementwise: its rule is built from its numpy
forward function and its scalar partials, the same functions (``elementwise``,
``on_arrays``), and its VJP is ``g * partial``: no Jacobian is ever built.
``params`` holds what is fixed in the text: an axis, the indices of ``x[1, 0]``.

numpy is imported only when one of these runs (``values.np`` is lazy).
"""

from __future__ import annotations

import functools
from functools import reduce
from typing import Callable

from gradcli.core.values import np, shape_text

OPERAND = "<operand>"  # in an index's params: this subscript is an array of integers, the next operand


class ShapeError(Exception):
    """Operands whose shapes do not fit the op: the message says how."""


class ArrayRule:
    """One op's rules on arrays (a plain class: start-up pays nothing to define it).

    * ``forward``, ``jvp``, ``shape``: as in this module's docstring;
    * ``vjps``: one per operand; a variadic op's single entry takes j first;
    * ``rule(j, names)``: the gradcli expression of operand j's VJP (None: an elementwise op,
      whose rule is g times its scalar partial, summed back to the operand's shape:
      ``formulas.tensor_formula``);
    * ``elements(params, k, ans, args, label)``: the rule element by element (None for an
      elementwise op: its scalar partials are the rule); for the result's element at index
      ``k``, each operand element it reads as (j, index, partial, formula).  ``label(j,
      index)`` writes operand j's element (j = -1: the result's); without it the formulas
      are None (not built);
    * ``kinks`` and ``pieces``: where an op that is not elementwise has no derivative, for the
      gradient check (an elementwise op's are its scalar ``Op.kinks``, element by element;
      None: nowhere).  ``kinks(params, ans, args, moved)`` is True when an operand element the
      check's step moves (``moved[j]``, a mask of operand j's shape) sits at a kink (a max tied
      with another); ``pieces(params, ans, args)`` says which piece the op is on (which element
      is the max): when it differs between x - h and x + h, the step straddles a kink.
    """

    __slots__ = ("forward", "vjps", "jvp", "shape", "rule", "variadic", "elements", "kinks", "pieces")

    def __init__(self, *, forward: Callable, vjps: tuple[Callable, ...], jvp: Callable, shape: Callable,
                 rule: Callable | None = None, variadic: bool = False, elements: Callable | None = None,
                 kinks: Callable | None = None, pieces: Callable | None = None):
        self.forward, self.vjps, self.jvp, self.shape = forward, vjps, jvp, shape
        self.rule, self.variadic, self.elements = rule, variadic, elements
        self.kinks, self.pieces = kinks, pieces

    def vjp(self, j: int, params, g, ans, args):
        if self.variadic:
            return self.vjps[0](j, params, g, ans, *args)
        return self.vjps[j](params, g, ans, *args)


def broadcast_shape(params, *shapes):
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise ShapeError(f"the shapes {' and '.join(shape_text(s) for s in shapes)} do not broadcast "
                         "(each axis must be equal, or 1)") from None


def _numpy_float(v):
    """A Python float as numpy's: 1/0 is then inf (a test finds it), not a ZeroDivisionError."""
    return np.float64(v) if type(v) is float else v


def _numpy_floats(args) -> list:
    return [np.float64(a) if type(a) is float else a for a in args]


def one(x, y=None, out=None) -> float:
    """The partial 1 (of a sum, with respect to either operand): its VJP passes ``g`` on unchanged.
    Fixed arguments, not ``*args``: the scalar sweep calls it as fast as a lambda."""
    return 1.0


def on_arrays(rule: Callable) -> Callable:
    """A scalar op's partial as the array sweeps call it: the same rule, written once.

    A rule of arithmetic alone (``1.0 / x``, ``0.5 / out``) serves numpy's arrays as written.
    One that calls math's functions takes them from its namespace argument ``m``
    (``lambda x, out, m=math: m.cos(x)``): the scalar sweep calls it as it is (``m`` is math,
    no slower than ``math.cos``), and on arrays it gets numpy, whose functions have the same names.
    """
    code = getattr(rule, "__code__", None)
    if code is not None and "m" in code.co_varnames[:code.co_argcount]:
        return functools.partial(rule, m=np)
    return rule


def elementwise(forward: str | Callable, partials: tuple[Callable, ...], numpy_partials: tuple[Callable, ...] = (),
                variadic: bool = False) -> ArrayRule:
    """The rule of a scalar op applied element by element (with numpy broadcasting).

    ``forward`` is numpy's function, by name (looked up when first called; a variadic
    op's is a binary function folded over the operands) or itself.  ``partials`` are
    the scalar op's own (``on_arrays``); ``numpy_partials`` replace them where arrays
    need other code (a branch that becomes ``np.where``).  A partial is called as
    ``partial(*args, ans)`` (a variadic op's as ``partial(j, args, ans)``).  The VJP is
    ``g * partial``: no Jacobian is ever built.  The tensor-level rule is ``g * (scalar
    formula)`` summed back to the operand's shape (core/formulas.py writes it).
    """
    if isinstance(forward, str):  # a numpy function's name: looked up when first called
        name = forward

        def forward(*args):
            return reduce(getattr(np, name), args) if variadic else getattr(np, name)(*args)

    partials = tuple(on_arrays(p) for p in (numpy_partials or partials))

    if variadic:
        part = partials[0]

        def jvp(params, tangents, ans, *args):
            args, ans = _numpy_floats(args), _numpy_float(ans)
            return _sum_terms([None if t is None else t * part(j, args, ans) for j, t in enumerate(tangents)])

        def vjp(j, params, g, ans, *args):
            return _times(g, part(j, _numpy_floats(args), _numpy_float(ans)), ans, args)

        return ArrayRule(forward=lambda params, *args: forward(*args), vjps=(vjp,), jvp=jvp, shape=broadcast_shape,
                         variadic=True)

    def make_vjp(p):
        if p is one:  # a partial of 1 (a sum's operands): the gradient passes through as it is
            return lambda params, g, ans, *args: g
        return lambda params, g, ans, *args: _times(g, p(*_numpy_floats(args), _numpy_float(ans)), ans, args)

    def jvp(params, tangents, ans, *args):
        args, ans = _numpy_floats(args), _numpy_float(ans)
        return _sum_terms([None if t is None else t * partials[j](*args, ans) for j, t in enumerate(tangents)])

    return ArrayRule(forward=lambda params, *args: forward(*args), vjps=tuple(make_vjp(p) for p in partials),
                     jvp=jvp, shape=broadcast_shape)


def _times(g, partial, ans, args):
    """``g * partial``, written into the partial's own memory when it is a fresh array of the
    result's shape (made by this call: not an operand, not the output): no second array."""
    if (type(partial) is np.ndarray and partial.base is None and partial.dtype == np.float64
            and partial.flags.writeable and np.ndim(g) <= partial.ndim and partial is not g
            and partial is not ans and all(partial is not a for a in args)
            and np.shape(g) == partial.shape[partial.ndim - np.ndim(g):]):
        return np.multiply(g, partial, out=partial)
    return g * partial


def _of_tangent(push: Callable) -> Callable:
    """A one-operand op's JVP from ``push(params, t, ans, x)``: no tangent in, none out."""
    return lambda params, tangents, ans, x: None if tangents[0] is None else push(params, tangents[0], ans, x)


def _linear(forward: Callable) -> Callable:
    """The JVP of an op linear in its operand (sum, transpose, x[1]): the op applied to the tangent."""
    return _of_tangent(lambda params, t, ans, x: forward(params, t))


def _bilinear(product: Callable) -> Callable:
    """The JVP of a product linear in each operand (a @ b, dot, outer): product(ta, b) + product(a, tb)."""

    def jvp(params, tangents, ans, a, b):
        ta, tb = tangents
        return _sum_terms([None if ta is None else product(ta, b), None if tb is None else product(a, tb)])

    return jvp


def _text(label, j, index, text=None):
    """A formula's text when labels are asked for: ``label(j, index)``, or ``text`` as given."""
    if label is None:
        return None
    return text if text is not None else label(j, index)


class RuleNames:
    """What a tensor-level rule is written over: the operands' labels, the result's label ``out``,
    the name ``g`` of the gradient arriving, the op's params, and the operands' shapes (the
    spelling depends on them: ``outer(g, x)`` for a vector x, ``g @ transpose(x)`` for a matrix)."""

    __slots__ = ("labels", "out", "g", "params", "shapes")

    def __init__(self, labels: list[str], out: str, g: str, params: tuple, shapes: list[tuple]):
        self.labels, self.out, self.g, self.params, self.shapes = labels, out, g, params, shapes

    @property
    def x(self) -> str:
        return self.labels[0]



def summed_to(text: str, operand: tuple, result: tuple) -> str:
    """The rule ``text`` (the result's shape) summed back to the shape of the operand it flows into:
    over the axes broadcasting prepended (``sum(dout, 0)`` for the bias of ``X @ W + b``), and over
    the axes of length 1 it stretched, kept (``expand_dims(sum(g, 1), 1)``).  As ``values.unbroadcast``."""
    if tuple(operand) == tuple(result):
        return text
    if not operand:
        return f"sum({text})"
    lead = len(result) - len(operand)
    for axis in range(len(result) - 1, lead - 1, -1):
        if operand[axis - lead] == 1 and result[axis] != 1:
            text = f"expand_dims(sum({text}, {axis}), {axis})"
    for _ in range(lead):
        text = f"sum({text}, 0)"
    return text


def _fixed(*templates: str) -> Callable:
    """A rule whose spelling depends on no shape: one template per operand over {a}, {b}, {x}, {out}, {g}."""
    return lambda j, n: templates[j].format(x=n.labels[0], a=n.labels[0], b=n.labels[-1], out=n.out, g=n.g)


# ---------------------------------------------------------------- expand_dims


def _scalar(v):
    return float(v) if np.ndim(v) == 0 else v


def _new_axes(params, s) -> tuple:
    """The positions of expand_dims' new axes in the result (an int or a tuple of them, as numpy's)."""
    if not params:
        raise ShapeError("expand_dims needs the axis to insert: expand_dims(x, 0) or expand_dims(x, axis=1)")
    axes = params[0] if isinstance(params[0], tuple) else (params[0],)
    n = len(s) + len(axes)
    if any(not -n <= a < n for a in axes) or len({a % n for a in axes}) != len(axes):
        raise ShapeError(f"expand_dims: axis {params[0]} is out of range for shape {shape_text(s)} "
                         f"(a new axis goes at {-len(s) - 1} to {len(s)})" if len(axes) == 1 else
                         f"expand_dims: axes {params[0]} do not fit shape {shape_text(s)} "
                         f"({n} axes in the result, each new one once)")
    return tuple(sorted(a % n for a in axes))


def _expand_dims_shape(params, s):
    axes, rest = _new_axes(params, s), iter(s)
    return tuple(1 if a in axes else next(rest) for a in range(len(s) + len(axes)))


def _expand_dims(params, x):
    return np.expand_dims(x, params[0])


# ``expand_dims(x, 1)``: x with an axis of length 1 inserted, so that it broadcasts along that
# axis (a row's value against each of its elements).  The rules of the reductions are written with it.
def _expand_dims_elements(params, k, ans, args, label=None):
    """The result's element ``k`` is x's at ``k`` without the inserted axes, with partial 1."""
    axes = _new_axes(params, np.shape(args[0]))
    return [(0, tuple(i for a, i in enumerate(k) if a not in axes), 1.0, _text(label, 0, (), "1"))]


EXPAND_DIMS = ArrayRule(forward=_expand_dims,
                        vjps=(lambda params, g, ans, x: _scalar(np.reshape(g, np.shape(x))),),
                        jvp=_linear(_expand_dims),
                        shape=_expand_dims_shape,
                        rule=lambda j, n: (f"sum({n.g}, {n.params[0]})" if not isinstance(n.params[0], tuple)
                                           else f"squeeze({n.g}, {n.params[0]})"),
                        elements=_expand_dims_elements)


# ---------------------------------------------------------------- products, transpose


def _outer_shape(params, sa, sb):
    if len(sa) != 1 or len(sb) != 1:
        raise ShapeError(f"outer takes two vectors, not {shape_text(sa)} and {shape_text(sb)}")
    return sa[0], sb[0]


def _outer_elements(params, k, ans, args, label=None):
    """``out[i,c] = a[i] * b[c]``: ∂out[i,c]/∂a[i] = b[c], ∂out[i,c]/∂b[c] = a[i]."""
    a, b = args
    return [(0, k[:1], float(b[k[1]]), _text(label, 1, k[1:])), (1, k[1:], float(a[k[0]]), _text(label, 0, k[:1]))]


OUTER = ArrayRule(forward=lambda params, a, b: np.outer(a, b),
                  vjps=(lambda params, g, ans, a, b: g @ b, lambda params, g, ans, a, b: g.T @ a),
                  jvp=_bilinear(lambda a, b: np.outer(a, b)),
                  shape=_outer_shape,
                  rule=_fixed("{g} @ {b}", "transpose({g}) @ {a}"),
                  elements=_outer_elements)


def _axes(params):
    return params[0] if params else None


def _transpose_shape(params, s):
    axes = _axes(params)
    if axes is None:
        return tuple(reversed(s))
    if (not isinstance(axes, tuple) or len(axes) != len(s)
            or sorted(a % len(s) if isinstance(a, int) and -len(s) <= a < len(s) else -1 for a in axes)
            != list(range(len(s)))):
        raise ShapeError(f"transpose: axes {axes!r} are not an order of the {len(s)} axes of {shape_text(s)}")
    return tuple(s[a] for a in axes)


def _transpose(params, x):
    return np.transpose(x, _axes(params))


def _inverse_axes(params, ndim: int):
    axes = _axes(params)
    return None if axes is None else tuple(int(a) for a in np.argsort([a % ndim for a in axes]))


def _transpose_elements(params, k, ans, args, label=None):
    """The result's element ``k`` is x's with k's indices put back in x's order (reversed by default)."""
    inverse = _inverse_axes(params, len(k))
    return [(0, k[::-1] if inverse is None else tuple(k[a] for a in inverse), 1.0, _text(label, 0, (), "1"))]


def _transpose_rule(j, n) -> str:
    """``transpose(g)``, or g with the inverse order of axes: ``transpose(g, (1, 2, 0))``."""
    inverse = _inverse_axes(n.params, len(n.shapes[0]))
    return f"transpose({n.g})" if inverse is None else f"transpose({n.g}, {inverse})"


TRANSPOSE = ArrayRule(forward=_transpose,
                      vjps=(lambda params, g, ans, x: np.transpose(g, _inverse_axes(params, np.ndim(x))),),
                      jvp=_linear(_transpose),
                      shape=_transpose_shape,
                      rule=_transpose_rule,
                      elements=_transpose_elements)


def _sum_terms(terms):
    terms = [t for t in terms if t is not None]
    return reduce(lambda a, b: a + b, terms) if terms else None


# ---------------------------------------------------------------- literals (indexing: core/indexing_rules.py)


def one_shape(shapes, what: str, item: str) -> tuple:
    """The shape all of ``shapes`` share, or an error naming the first ``item`` that differs."""
    first = shapes[0]
    for k, s in enumerate(shapes[1:], 1):
        if s != first:
            raise ShapeError(f"{what} must have one shape: {item} 0 is {shape_text(first)}, "
                             f"{item} {k} is {shape_text(s)}")
    return first


def _stack_shape(params, *shapes):
    return (len(shapes),) + one_shape(shapes, "the elements of a literal", "element")


def _stack_jvp(params, tangents, ans, *args):
    if all(t is None for t in tangents):
        return None
    return np.stack([np.zeros(np.shape(a)) if t is None else t for t, a in zip(tangents, args)])


STACK = ArrayRule(forward=lambda params, *args: np.stack([np.asarray(a, dtype=float) for a in args]),
                  vjps=(lambda j, params, g, ans, *args: _scalar(g[j]),),
                  jvp=_stack_jvp,
                  shape=_stack_shape,
                  rule=lambda j, n: f"{n.g}[{j}]",
                  variadic=True,
                  elements=lambda params, k, ans, args, label=None: [(k[0], tuple(k[1:]), 1.0,
                                                                      _text(label, 0, (), "1"))])
