"""Reductions on arrays, with numpy's ``axis`` and ``keepdims``: sum, mean, max and min (amax, amin),
prod, var and std (ddof), norm (ord), logsumexp, argmax and argmin; and the ops along an axis:
cumsum, cumprod, diff, softmax and log_softmax.

``axis`` is an int, a tuple of ints, or None (every axis), as numpy takes it; ``keepdims=True`` keeps
each reduced axis with length 1.  A node's params hold the op's keywords in numpy's order
(``ops.py``); a ``Layout`` says where the axis and keepdims are among them.  Most reductions hand
back the gradient spread over the reduced axes times a factor of the operand's shape
(``_factor_rule``): the VJP is ``spread(g) * factor``, the JVP the sum of ``t * factor`` over the
same axes, so the two are written once.

The tensor-level rules spread as numpy's users do: a gradient that arrives without the reduced axes
gets them back with ``expand_dims`` (``dS += expand_dims(dv, 1)``), and a reduction inside a rule
keeps its axes (``sum(dy * y, 1, keepdims=True)``) so that it broadcasts against the operand.

Where a derivative does not exist: a tied max or min (and an inf-norm's tie) splits the gradient
equally among the tied elements; ``norm(x, 1)`` takes abs'(0) = 0; the Euclidean norm at 0 and std
at zero spread have none (0/0: a ``derivative`` error, as for sqrt(0)); prod's and cumprod's
gradients are the products of the other factors, exact where an element is 0; argmax and argmin
carry no gradient (they are positions).
"""

from __future__ import annotations

import itertools
import math
from typing import Callable

from gradcli.core.array_rules import ArrayRule, RuleNames, ShapeError, _linear, _of_tangent, _scalar, _text
from gradcli.core.values import np, shape_text


class Layout:
    """Where an op's params hold its axis (and its keepdims: None when it has none), and the axis's default."""

    __slots__ = ("at", "keep_at", "default")

    def __init__(self, at: int, keep_at: int | None = None, default=None):
        self.at, self.keep_at, self.default = at, keep_at, default

    def axis(self, params):
        return params[self.at] if len(params) > self.at else self.default

    def keepdims(self, params) -> bool:
        return self.keep_at is not None and len(params) > self.keep_at and bool(params[self.keep_at])

    def axes(self, params, ndim: int) -> tuple:
        return _axes(self.axis(params), ndim)


_AK = Layout(0, 1)  # (axis, keepdims): sum, mean, amax, amin, prod, logsumexp, argmax, argmin
_VAR = Layout(0, 2)  # (axis, ddof, keepdims)
_NORM = Layout(1, 2)  # (ord, axis, keepdims)
_ALONG = Layout(0)  # (axis,): softmax, log_softmax, cumsum, cumprod
_DIFF = Layout(1, None, -1)  # (n, axis, prepend, append)


def _axes(axis, ndim: int) -> tuple:
    """The axes ``axis`` names on an array of ``ndim`` axes, as non-negative ints in order (None: all)."""
    if axis is None:
        return tuple(range(ndim))
    return tuple(sorted({a % ndim for a in (axis if isinstance(axis, tuple) else (axis,))}))


def _axis_text(axis) -> str:
    """An axis as the program writes it: ``1``, ``(0, 2)``, ``(1,)``."""
    if isinstance(axis, tuple):
        return "(" + ", ".join(map(str, axis)) + ("," if len(axis) == 1 else "") + ")"
    return str(axis)


def _checked_axes(axis, s: tuple) -> tuple:
    """The axes numpy reads for ``axis`` on shape ``s``, in order; a ShapeError naming the axis and the shape."""
    if axis is None:
        return tuple(range(len(s)))
    listed = axis if isinstance(axis, tuple) else (axis,)
    for a in listed:
        if not isinstance(a, int) or isinstance(a, bool):
            raise ShapeError(f"an axis is a whole number, not {a!r}")
        if not -len(s) <= a < len(s):
            raise ShapeError(f"axis {a} does not exist for shape {shape_text(s)} (axes 0 to {len(s) - 1})"
                             if s else f"axis {a} does not exist for a scalar")
    axes = [a % len(s) for a in listed]
    for a in axes:
        if axes.count(a) > 1:
            raise ShapeError(f"axis={_axis_text(axis)} names axis {a} twice (shape {shape_text(s)})")
    return tuple(sorted(axes))


def _one_axis(name: str, axis, s: tuple) -> int:
    """The one axis an op along an axis takes (``cumsum(x, 1)``); a tuple is an error that says so."""
    if isinstance(axis, tuple):
        raise ShapeError(f"{name} takes one axis, not axis={_axis_text(axis)}")
    return _checked_axes(axis, s)[0]


def _kept_shape(s: tuple, axes: tuple) -> tuple:
    return tuple(1 if i in axes else n for i, n in enumerate(s))


def _result_shape(s: tuple, axes: tuple, keepdims: bool) -> tuple:
    return _kept_shape(s, axes) if keepdims else tuple(n for i, n in enumerate(s) if i not in axes)


def _reduced_shape(layout: Layout) -> Callable:
    def shape(params, s):
        if layout.keep_at is not None and len(params) > layout.keep_at and type(params[layout.keep_at]) is not bool:
            raise ShapeError(f"keepdims is True or False, not {params[layout.keep_at]!r}")
        return _result_shape(s, _checked_axes(layout.axis(params), s), layout.keepdims(params))

    return shape


def _kept(v, x, axes: tuple):
    """A reduction's value (or gradient) with the reduced axes back, length 1: it broadcasts against x."""
    kept = _kept_shape(np.shape(x), axes)
    return v.reshape(kept) if type(v) is np.ndarray else np.reshape(v, kept)


def _spread(g, x, axes: tuple):
    """The gradient of a reduction, stretched back over the axes it reduced."""
    return np.broadcast_to(_kept(g, x, axes), np.shape(x))


def _numpy_reduction(name: str, layout: Layout) -> Callable:
    """The forward of numpy's reduction ``name`` (looked up when called: numpy is imported lazily).

    On an array of doubles, sum and mean call numpy's add.reduce themselves, as np.sum and
    np.mean do (the same doubles), without their wrappers' cost on a small array.
    """
    own = name in ("sum", "mean")

    def forward(params, x):
        axis, keepdims = layout.axis(params), layout.keepdims(params)
        if own and type(x) is np.ndarray and x.dtype.kind == "f":
            total = np.add.reduce(x, axis=axis, keepdims=keepdims)
            if name == "mean":  # np.mean: the sum divided by the count, in place for an array
                count = _count(x.shape, _axes(axis, x.ndim))
                total = np.true_divide(total, count, out=total) if type(total) is np.ndarray else total / count
            return _scalar(total)
        return _scalar(getattr(np, name)(x, axis=axis, keepdims=keepdims))

    return forward


def _factor_rule(layout: Layout, forward: Callable, factor: Callable, *, shape: Callable | None = None,
                 rule: Callable, elements: Callable, kinks: Callable | None = None,
                 pieces: Callable | None = None) -> ArrayRule:
    """A reduction whose VJP is ``g`` spread over the reduced axes times ``factor(params, ans, x, axes)``
    (of x's shape, or broadcasting to it), and whose JVP is the sum of ``t * factor`` over those axes."""

    def vjp(params, g, ans, x):
        axes = layout.axes(params, np.ndim(x))
        f = factor(params, ans, x, axes)
        if type(f) is float:  # sum's 1, mean's 1/n: g spread by the product itself, written once
            if type(g) is float:  # a reduction to one number
                return np.full(np.shape(x), g * f)
            return np.multiply(_kept(g, x, axes), f, out=np.empty(np.shape(x)))
        if np.shape(f) == np.shape(x):  # logsumexp's softmax: the product broadcasts g over the axes
            return _kept(g, x, axes) * f
        return _spread(g, x, axes) * f

    def jvp(params, tangents, ans, x):
        t = tangents[0]
        if t is None:
            return None
        axes = layout.axes(params, np.ndim(x))
        return _scalar(np.sum(t * factor(params, ans, x, axes), axis=axes, keepdims=layout.keepdims(params)))

    return ArrayRule(forward=forward, vjps=(vjp,), jvp=jvp, shape=shape or _reduced_shape(layout), rule=rule,
                     elements=elements, kinks=kinks, pieces=pieces)


# ---------------------------------------------------------------- rule texts


def _spread_text(n: RuleNames, layout: Layout, text: str) -> str:
    """``text``, of the reduction's result shape, with the reduced axes put back (length 1): it then
    broadcasts over them into the operand, as numpy's ``dS += ...`` does (``expand_dims(dv, 1)``)."""
    s, axis = n.shapes[0], layout.axis(n.params)
    if axis is None or layout.keepdims(n.params) or not s:
        return text
    if not isinstance(axis, tuple):
        return f"expand_dims({text}, {axis})"
    for a in _axes(axis, len(s)):
        text = f"expand_dims({text}, {a})"
    return text


def _call_text(name: str, n: RuleNames, layout: Layout, arg: str, keep: bool = False) -> str:
    """``sum(arg, 1)``: ``name`` over the op's axes; ``keep``: with keepdims=True, to broadcast against x."""
    axis = layout.axis(n.params)
    parts = [arg]
    if axis is not None:
        parts.append(_axis_text(axis))
        if keep and n.shapes[0]:
            parts.append("keepdims=True")
    return f"{name}({', '.join(parts)})"


def _number_text(v) -> str:
    """A number in a rule: ``3``, ``2.5``, ``(-0.25)``."""
    v = float(v)
    text = str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    return f"({text})" if v < 0 else text


# ---------------------------------------------------------------- element rules


def _line(axes: tuple, kept: tuple, shape: tuple) -> list[tuple]:
    """The indices of x on the line through ``kept`` (an index of x's rank) along ``axes``, in order."""
    ranges = [range(n) if i in axes else (kept[i],) for i, n in enumerate(shape)]
    return [tuple(int(v) for v in t) for t in itertools.product(*ranges)]


def _reading(layout: Layout, params, k: tuple, shape: tuple) -> list[tuple]:
    """The indices of x that a reduction's result element ``k`` reads: its line along the reduced axes."""
    axes = layout.axes(params, len(shape))
    if layout.keepdims(params):
        return _line(axes, tuple(k), shape)
    rest = iter(k)
    return _line(axes, tuple(0 if i in axes else next(rest) for i in range(len(shape))), shape)


def _reduce_elements(layout: Layout, partial: Callable, formula: Callable) -> Callable:
    """Element rule of a reduction: ``partial(params, x, out, t, line)`` and ``formula(params, label, x, out,
    t, k, line)`` for the element ``t`` of x on the ``line`` that the result's element ``k`` (value
    ``out``) reads."""

    def elements(params, k, ans, args, label=None):
        x = np.asarray(args[0])
        line = _reading(layout, params, tuple(k), np.shape(x))
        out = float(ans[tuple(k)]) if np.ndim(ans) else float(ans)
        return [(0, t, float(partial(params, x, out, t, line)),
                 formula(params, label, x, out, t, k, line) if label else None) for t in line]

    return elements


# ---------------------------------------------------------------- sum, mean, max, min, prod


def _count(s: tuple, axes: tuple) -> int:
    """How many elements each result element of a reduction reads."""
    return math.prod(s[a] for a in axes)


SUM = _factor_rule(_AK, _numpy_reduction("sum", _AK), lambda params, ans, x, axes: 1.0,
                   rule=lambda j, n: _spread_text(n, _AK, n.g),
                   elements=_reduce_elements(_AK, lambda *a: 1.0, lambda *a: "1"))

MEAN = _factor_rule(_AK, _numpy_reduction("mean", _AK),
                    lambda params, ans, x, axes: 1.0 / _count(np.shape(x), axes),
                    rule=lambda j, n: (f"{_spread_text(n, _AK, n.g)} / "
                                       f"{_count(n.shapes[0], _AK.axes(n.params, len(n.shapes[0])))}"),
                    elements=_reduce_elements(_AK, lambda params, x, out, t, line: 1.0 / len(line),
                                              lambda params, label, x, out, t, k, line: f"1/{len(line)}"))


def _extreme_rule(name: str) -> ArrayRule:
    """max or min over the axes: the gradient goes to the element(s) that are the result, split at ties."""

    def hits(params, ans, args):
        """Which elements of x are their line's result."""
        x = args[0]
        return x == _kept(ans, x, _AK.axes(params, np.ndim(x)))

    def factor(params, ans, x, axes):
        hit = (x == _kept(ans, x, axes)) * 1.0
        return hit / np.sum(hit, axis=axes, keepdims=True)

    def rule(j, n: RuleNames) -> str:
        """``(S == expand_dims(v, 1))`` marks each row's max; its sum over the row counts the ties."""
        hit = f"{n.x} == {_spread_text(n, _AK, n.out)}"
        return f"{_spread_text(n, _AK, n.g)} * ({hit}) / {_call_text('sum', n, _AK, hit, keep=True)}"

    def ties(x, out, line):
        return sum(1 for t in line if x[t] == out)

    def partial(params, x, out, t, line):
        return 1.0 / ties(x, out, line) if x[t] == out else 0.0

    def formula(params, label, x, out, t, k, line):
        count = ties(x, out, line)
        return "0" if x[t] != out else ("1" if count == 1 else f"1/{count}")

    def kinks(params, ans, args, moved):
        """A moved element that is its line's result, tied with another."""
        hit = hits(params, ans, args)
        count = np.sum(hit, axis=_AK.axes(params, np.ndim(args[0])), keepdims=True)
        return bool(np.any(moved[0] & hit & (count > 1)))

    return _factor_rule(_AK, _numpy_reduction(name, _AK), factor, rule=rule,
                        elements=_reduce_elements(_AK, partial, formula), kinks=kinks, pieces=hits)


AMAX = _extreme_rule("max")
AMIN = _extreme_rule("min")


def _prod_factor(params, ans, x, axes):
    """∂prod/∂x[t]: the product of the line's other elements, exact where elements are 0 (no 0/0).

    With z the zeros of the line and ``rest`` the product of its nonzero elements: no zero gives
    rest / x[t]; one zero gives ``rest`` at the zero and 0 elsewhere; two or more give 0 everywhere.
    """
    zero = x == 0
    zeros = np.sum(zero, axis=axes, keepdims=True)
    ones = np.where(zero, 1.0, x)
    rest = np.prod(ones, axis=axes, keepdims=True)
    return rest * np.where(zeros == 0, 1.0 / ones, np.where(zeros == 1, zero * 1.0, 0.0))


def _prod_rule(j, n: RuleNames) -> str:
    """The masks of ``_prod_factor`` written out: ``(x == 0)`` marks the zeros, ``x + (x == 0)`` is x with
    its zeros taken as 1."""
    zero = f"({n.x} == 0)"
    zeros = _call_text("sum", n, _AK, f"{n.x} == 0", keep=True)
    rest = _call_text("prod", n, _AK, f"{n.x} + {zero}", keep=True)
    return (f"{_spread_text(n, _AK, n.g)} * {rest} * (({zeros} == 0) / ({n.x} + {zero}) "
            f"+ ({zeros} == 1) * {zero})")


def _prod_partial(params, x, out, t, line):
    return math.prod(float(x[u]) for u in line if u != t)


def _prod_formula(params, label, x, out, t, k, line):
    if x[t] != 0:
        return f"{label(-1, k)}/{label(0, t)}"
    return "*".join(label(0, u) for u in line if u != t) or "1"


PROD = _factor_rule(_AK, _numpy_reduction("prod", _AK), _prod_factor, rule=_prod_rule,
                    elements=_reduce_elements(_AK, _prod_partial, _prod_formula))




# ---------------------------------------------------------------- var, std


def _ddof(params):
    return params[1] if len(params) > 1 else 0


def _divisor(params, s: tuple) -> float:
    """N - ddof: what var divides the sum of squared deviations by."""
    return _count(s, _VAR.axes(params, len(s))) - _ddof(params)


def _spread_shape(name: str) -> Callable:
    def shape(params, s):
        ddof = _ddof(params)
        if isinstance(ddof, bool) or not isinstance(ddof, (int, float)):
            raise ShapeError(f"{name}'s ddof is a number, not {ddof!r}")
        axis = _VAR.axis(params)
        axes = _checked_axes(axis, s)
        count = _count(s, axes)
        if count - ddof <= 0:
            where = f"axis={_axis_text(axis)} of shape {shape_text(s)}" if axis is not None else \
                f"shape {shape_text(s)}"
            raise ShapeError(f"{name} over {count} element{'s' if count != 1 else ''} ({where}) with ddof={ddof} "
                             f"divides by {count - ddof}: ddof must be below the number of elements")
        return _result_shape(s, axes, _VAR.keepdims(params))

    return shape


def _numpy_spread(name: str) -> Callable:
    return lambda params, x: _scalar(getattr(np, name)(x, axis=_VAR.axis(params), ddof=_ddof(params),
                                                       keepdims=_VAR.keepdims(params)))


def _deviation(x, axes):
    return x - np.mean(x, axis=axes, keepdims=True)


def _line_mean(x, line) -> float:
    return math.fsum(float(x[u]) for u in line) / len(line)


def _deviation_text(label, x, t, line) -> str:
    """``(x[0] - 0.25)``: the element's deviation from its line's mean (the mean as a number)."""
    return f"({label(0, t)} - {_number_text(_line_mean(x, line))})"


def _deviation_rule(n: RuleNames) -> str:
    return f"({n.x} - {_call_text('mean', n, _VAR, n.x, keep=True)})"


VAR = _factor_rule(_VAR, _numpy_spread("var"),
                   lambda params, ans, x, axes: 2.0 * _deviation(x, axes) / _divisor(params, np.shape(x)),
                   shape=_spread_shape("var"),
                   rule=lambda j, n: (f"{_spread_text(n, _VAR, n.g)} * 2 * {_deviation_rule(n)} / "
                                      f"{_number_text(_divisor(n.params, n.shapes[0]))}"),
                   elements=_reduce_elements(
                       _VAR, lambda params, x, out, t, line: (2.0 * (float(x[t]) - _line_mean(x, line))
                                                              / _divisor(params, np.shape(x))),
                       lambda params, label, x, out, t, k, line: (f"2*{_deviation_text(label, x, t, line)}/"
                                                                  f"{_number_text(_divisor(params, np.shape(x)))}")))

# std = sqrt(var): at zero spread its gradient is 0/0, undefined (a derivative error, as sqrt(0)'s).
STD = _factor_rule(_VAR, _numpy_spread("std"),
                   lambda params, ans, x, axes: (_deviation(x, axes)
                                                 / (_divisor(params, np.shape(x)) * _kept(ans, x, axes))),
                   shape=_spread_shape("std"),
                   rule=lambda j, n: (f"{_spread_text(n, _VAR, n.g)} * {_deviation_rule(n)} / "
                                      f"({_number_text(_divisor(n.params, n.shapes[0]))} * "
                                      f"{_spread_text(n, _VAR, n.out)})"),
                   elements=_reduce_elements(
                       _VAR, lambda params, x, out, t, line: ((float(x[t]) - _line_mean(x, line))
                                                              / (_divisor(params, np.shape(x)) * out)),
                       lambda params, label, x, out, t, k, line: (
                           f"{_deviation_text(label, x, t, line)}/"
                           f"({_number_text(_divisor(params, np.shape(x)))}*{label(-1, k)})")))


# ---------------------------------------------------------------- logsumexp, softmax, log_softmax


def _shifted(x, axes):
    """x less its largest element over the axes (0 where that is not finite): exp of it cannot
    overflow; and that shift, kept over the axes."""
    m = np.maximum.reduce(x, axis=axes, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    return x - m, m


def _logsumexp(params, x):
    axes = _AK.axes(params, np.ndim(x))
    shifted, m = _shifted(x, axes)
    out = np.log(np.add.reduce(np.exp(shifted), axis=axes, keepdims=True))
    out += m
    return _scalar(out if _AK.keepdims(params) else out.reshape(_result_shape(np.shape(x), axes, False)))


LOGSUMEXP = _factor_rule(_AK, _logsumexp, lambda params, ans, x, axes: np.exp(x - _kept(ans, x, axes)),
                         rule=lambda j, n: f"{_spread_text(n, _AK, n.g)} * {_call_text('softmax', n, _AK, n.x)}",
                         elements=_reduce_elements(_AK, lambda params, x, out, t, line: math.exp(x[t] - out),
                                                   lambda params, label, x, out, t, k, line:
                                                   f"exp({label(0, t)} - {label(-1, k)})"))


def _along_shape(params, s):
    """softmax and log_softmax keep the shape; their axes are checked."""
    _checked_axes(_ALONG.axis(params), s)
    return s


def _softmax(params, x):
    z = np.exp(_shifted(x, _ALONG.axes(params, np.ndim(x)))[0])
    return _scalar(z / np.sum(z, axis=_ALONG.axes(params, np.ndim(x)), keepdims=True))


def _softmax_vjp(params, g, ans, x):
    return ans * (g - np.sum(g * ans, axis=_ALONG.axes(params, np.ndim(x)), keepdims=True))


def _line_elements(entry: Callable) -> Callable:
    """Element rule of an op along axes that keeps the shape: the result's element ``k`` reads the line
    through k; ``entry(k, t, ans, label)`` gives (partial, formula) for the line's element t."""

    def elements(params, k, ans, args, label=None):
        x = np.asarray(args[0])
        line = _line(_ALONG.axes(params, x.ndim), tuple(k), x.shape)
        ans = np.asarray(ans)
        return [(0, t, *entry(tuple(k), t, ans, label)) for t in line]

    return elements


def _softmax_entry(k, t, ans, label):
    """``out[k] = exp(x[k]) / sum exp(x[t])`` over k's line: ∂out[k]/∂x[t] = out[k] * ([k = t] - out[t])."""
    s, st = float(ans[k]), float(ans[t])
    if t == k:
        return s * (1.0 - st), label and f"{label(-1, k)}*(1 - {label(-1, k)})"
    return -s * st, label and f"-{label(-1, k)}*{label(-1, t)}"


SOFTMAX = ArrayRule(forward=_softmax,
                    vjps=(_softmax_vjp,),
                    jvp=_of_tangent(_softmax_vjp),  # the Jacobian is symmetric: the VJP is the JVP
                    shape=_along_shape,
                    rule=lambda j, n: (f"{n.out} * ({n.g} - "
                                       f"{_call_text('sum', n, _ALONG, f'{n.g} * {n.out}', keep=True)})"),
                    elements=_line_elements(_softmax_entry))


def _log_softmax(params, x):
    axes = _ALONG.axes(params, np.ndim(x))
    shifted = _shifted(x, axes)[0]
    return _scalar(shifted - np.log(np.sum(np.exp(shifted), axis=axes, keepdims=True)))


def _log_softmax_entry(k, t, ans, label):
    """``out[k] = x[k] - logsumexp(x)`` over k's line: ∂out[k]/∂x[t] = [k = t] - exp(out[t])."""
    p = math.exp(float(ans[t]))
    if t == k:
        return 1.0 - p, label and f"1 - exp({label(-1, t)})"
    return -p, label and f"-exp({label(-1, t)})"


LOG_SOFTMAX = ArrayRule(
    forward=_log_softmax,
    vjps=(lambda params, g, ans, x: g - np.exp(ans) * np.sum(g, axis=_ALONG.axes(params, np.ndim(x)), keepdims=True),),
    jvp=_of_tangent(lambda params, t, ans, x: t - np.sum(np.exp(ans) * t, axis=_ALONG.axes(params, np.ndim(x)),
                                                         keepdims=True)),
    shape=_along_shape,
    rule=lambda j, n: f"{n.g} - exp({n.out}) * {_call_text('sum', n, _ALONG, n.g, keep=True)}",
    elements=_line_elements(_log_softmax_entry))


# ---------------------------------------------------------------- norm


def _norm_order(params, s: tuple):
    """numpy.linalg.norm's reading of ord and axis on shape s, as the vector order gradcli reduces with:
    2 (Euclidean; Frobenius for a matrix), 1, inf, -inf, or a number p > 1.  What numpy would take as
    a matrix norm other than Frobenius is an error that says so."""
    order = params[0] if params else None
    axis = _NORM.axis(params)
    if not s:
        raise ShapeError("norm takes a vector or a matrix, not a scalar (use abs)")
    if axis is None:
        if order is None:
            return 2.0  # numpy: the 2-norm of every element
        if len(s) > 2:
            raise ShapeError(f"norm with ord={_order_text(order)} of shape {shape_text(s)} needs axis= "
                             "(one axis for vectors, two for matrices)")
        listed = tuple(range(len(s)))
    else:
        listed = axis if isinstance(axis, tuple) else (axis,)
        _checked_axes(axis, s)
    if len(listed) == 2:
        if order in (None, "fro"):
            return 2.0
        raise ShapeError(f"norm of a matrix with ord={_order_text(order)} is not in gradcli (it has 'fro'); "
                         "for the norm of each row or column give one axis: norm(X, ord, axis=1)")
    if len(listed) != 1:
        raise ShapeError(f"norm reduces one axis (vectors) or two (matrices), not axis={_axis_text(axis)}")
    if order is None:
        return 2.0
    if isinstance(order, bool) or not isinstance(order, (int, float)) or not (order >= 1 or order == -math.inf):
        raise ShapeError(f"a vector norm's ord is 1, 2, inf, -inf or a number above 1, not {_order_text(order)}")
    return float(order)


def _order_text(order) -> str:
    return repr(order) if isinstance(order, str) else str(order)


def _norm_shape(params, s):
    _norm_order(params, s)
    return _reduced_shape(_NORM)(params, s)


def _norm(params, x):
    """The norm over the axes; the Euclidean one and a p-norm scaled by the largest magnitude first,
    as ``math.hypot`` is: the squares of 1e200 overflow, the norm of [1e200, 1e200] does not."""
    p = _norm_order(params, np.shape(x))
    axes = _NORM.axes(params, np.ndim(x))
    a = np.abs(x)
    if p == math.inf or p == -math.inf:
        out = (np.max if p > 0 else np.min)(a, axis=axes, keepdims=True)
    elif p == 1.0:
        out = np.sum(a, axis=axes, keepdims=True)
    else:
        largest = np.max(a, axis=axes, keepdims=True)
        scale = np.where((largest > 0) & np.isfinite(largest), largest, 1.0)
        out = scale * np.sum((a / scale) ** p, axis=axes, keepdims=True) ** (1.0 / p)
    return _scalar(out if _NORM.keepdims(params) else np.reshape(out, _result_shape(np.shape(x), axes, False)))


def _norm_factor(params, ans, x, axes):
    p = _norm_order(params, np.shape(x))
    out = _kept(ans, x, axes)
    if p == 2.0:
        return x / out  # 0/0 at x = 0: no derivative there (a derivative error, as sqrt(0))
    if p == 1.0:
        return np.sign(x)
    if math.isinf(p):
        hit = (np.abs(x) == out) * 1.0
        return np.sign(x) * hit / np.sum(hit, axis=axes, keepdims=True)
    return np.sign(x) * (np.abs(x) / out) ** (p - 1.0)


def _norm_rule(j, n: RuleNames) -> str:
    p = _norm_order(n.params, n.shapes[0])
    g, out = _spread_text(n, _NORM, n.g), _spread_text(n, _NORM, n.out)
    if p == 2.0:
        return f"{g} * {n.x} / {out}"
    if p == 1.0:
        return f"{g} * sign({n.x})"
    if math.isinf(p):
        hit = f"abs({n.x}) == {out}"
        return f"{g} * sign({n.x}) * ({hit}) / {_call_text('sum', n, _NORM, hit, keep=True)}"
    return f"{g} * sign({n.x}) * (abs({n.x}) / {out})^{_number_text(p - 1.0)}"


def _norm_partial(params, x, out, t, line):
    p, v = _norm_order(params, np.shape(x)), float(x[t])
    if p == 2.0:
        return v / out
    if p == 1.0 or math.isinf(p):
        hit = 1.0 if p == 1.0 else (abs(v) == out) / sum(1 for u in line if abs(float(x[u])) == out)
        return math.copysign(hit, v) if v else 0.0
    return math.copysign((abs(v) / out) ** (p - 1.0), v) if v else 0.0


def _norm_formula(params, label, x, out, t, k, line):
    p, xt, o = _norm_order(params, np.shape(x)), label(0, t), label(-1, k)
    if p == 2.0:
        return f"{xt}/{o}"
    if p == 1.0:
        return f"sign({xt})"
    if math.isinf(p):
        count = sum(1 for u in line if abs(float(x[u])) == out)
        return "0" if abs(float(x[t])) != out else (f"sign({xt})" if count == 1 else f"sign({xt})/{count}")
    return f"sign({xt})*(abs({xt})/{o})^{_number_text(p - 1.0)}"


def _norm_pieces(params, ans, args):
    """The signs of x, and for an inf-norm which elements are the largest (or smallest) magnitude."""
    x = args[0]
    p = _norm_order(params, np.shape(x))
    if math.isinf(p):
        return np.sign(x) * (np.abs(x) == _kept(ans, x, _NORM.axes(params, np.ndim(x))))
    return np.sign(x) if p == 1.0 else np.zeros(np.shape(x))


def _norm_kinks(params, ans, args, moved):
    """norm(x, 1) at a zero element; an inf-norm's largest magnitude tied, or 0."""
    x = args[0]
    p = _norm_order(params, np.shape(x))
    if p == 1.0:
        return bool(np.any(moved[0] & (x == 0)))
    if math.isinf(p):
        axes = _NORM.axes(params, np.ndim(x))
        hit = np.abs(x) == _kept(ans, x, axes)
        return bool(np.any(moved[0] & hit & ((np.sum(hit, axis=axes, keepdims=True) > 1) | (x == 0))))
    return False


NORM = _factor_rule(_NORM, _norm, _norm_factor, shape=_norm_shape, rule=_norm_rule,
                    elements=_reduce_elements(_NORM, _norm_partial, _norm_formula),
                    kinks=_norm_kinks, pieces=_norm_pieces)


# ---------------------------------------------------------------- cumsum, cumprod


def _scan_axis(params, ndim: int) -> int:
    axis = _ALONG.axis(params)
    return 0 if axis is None else axis % ndim


def _scan_shape(name: str) -> Callable:
    def shape(params, s):
        axis = _ALONG.axis(params)
        if not s:
            raise ShapeError(f"{name} takes an array, not a scalar")
        if axis is None and len(s) > 1:
            raise ShapeError(f"{name} of shape {shape_text(s)} needs its axis: {name}(x, axis=0) runs down the "
                             f"columns, {name}(x, axis=1) along the rows (numpy would flatten x first)")
        if axis is not None:
            _one_axis(name, axis, s)
        return s

    return shape


def _reversed_cumsum(v, a: int):
    """The sums from each element to the end of its line along axis a (cumsum's VJP)."""
    return np.flip(np.cumsum(np.flip(v, a), axis=a), a)


def _flip_text(n: RuleNames, text: str) -> str:
    """``text[::-1]`` or ``text[:, ::-1]``: reversed along the op's axis."""
    a = _scan_axis(n.params, len(n.shapes[0]))
    return f"{text}[{':, ' * a}::-1]"


def _scan_call(n: RuleNames, arg: str) -> str:
    a = _ALONG.axis(n.params)
    return f"cumsum({arg})" if a is None else f"cumsum({arg}, {a})"


def _prefix(params, k, x) -> list[tuple]:
    """The indices of x that element k of a cumulative op reads: its line along the axis, up to k."""
    a = _scan_axis(params, np.ndim(x))
    return [k[:a] + (t,) + k[a + 1:] for t in range(k[a] + 1)]


CUMSUM = ArrayRule(forward=lambda params, x: np.cumsum(x, axis=_scan_axis(params, np.ndim(x))),
                   vjps=(lambda params, g, ans, x: _reversed_cumsum(g, _scan_axis(params, np.ndim(x))),),
                   jvp=_linear(lambda params, t: np.cumsum(t, axis=_scan_axis(params, np.ndim(t)))),
                   shape=_scan_shape("cumsum"),
                   rule=lambda j, n: _flip_text(n, _scan_call(n, _flip_text(n, n.g))),
                   elements=lambda params, k, ans, args, label=None: [
                       (0, t, 1.0, _text(label, 0, (), "1")) for t in _prefix(params, tuple(k), args[0])])


def _first_zero(x, a: int):
    """Along axis a: each line's first zero (the line's length where it has none), and the positions."""
    zero = x == 0
    n = x.shape[a]
    first = np.where(np.any(zero, axis=a, keepdims=True), np.argmax(zero, axis=a, keepdims=True), n)
    return first, np.arange(n).reshape([n if i == a else 1 for i in range(x.ndim)])


def _cumprod_vjp(params, g, ans, x):
    """∂out[j]/∂x[i] is the product of x[:j+1] but x[i].  Before a line's first zero that is out[j]/x[i];
    at the first zero it is the cumulative product with that zero taken as 1; after it, 0."""
    a = _scan_axis(params, np.ndim(x))
    first, position = _first_zero(x, a)
    before = position < first
    grad = _reversed_cumsum(g * ans, a) / np.where(before, x, 1.0)
    at = position == first
    if not np.any(at):
        return grad
    others = np.cumprod(np.where(at, 1.0, x), axis=a)
    return np.where(at, _reversed_cumsum(g * others, a), np.where(before, grad, 0.0))


def _cumprod_jvp(params, tangents, ans, x):
    t = tangents[0]
    if t is None:
        return None
    a = _scan_axis(params, np.ndim(x))
    first, position = _first_zero(x, a)
    before = position < first
    out = ans * np.cumsum(np.where(before, t / np.where(before, x, 1.0), 0.0), axis=a)
    at = position == first
    if not np.any(at):
        return out
    others = np.cumprod(np.where(at, 1.0, x), axis=a)
    return np.where(before, out, np.sum(np.where(at, t, 0.0), axis=a, keepdims=True) * others)


def _cumprod_elements(params, k, ans, args, label=None):
    """``out[k] = x[0] * ... * x[k]`` along the axis: ∂out[k]/∂x[t] is the product of the others, t <= k."""
    x, k = np.asarray(args[0]), tuple(k)
    prefix = _prefix(params, k, x)
    out = []
    for t in prefix:
        partial = math.prod(float(x[u]) for u in prefix if u != t)
        if label is None:
            formula = None
        elif x[t] != 0:
            formula = f"{label(-1, k)}/{label(0, t)}"
        else:
            formula = "*".join(label(0, u) for u in prefix if u != t) or "1"
        out.append((0, t, partial, formula))
    return out


# The rule as written divides by x (out/x): at a zero it has no value, where the sweep's VJP takes
# the products of the other factors (_cumprod_vjp).
CUMPROD = ArrayRule(forward=lambda params, x: np.cumprod(x, axis=_scan_axis(params, np.ndim(x))),
                    vjps=(_cumprod_vjp,),
                    jvp=_cumprod_jvp,
                    shape=_scan_shape("cumprod"),
                    rule=lambda j, n: f"{_flip_text(n, _scan_call(n, _flip_text(n, f'({n.g} * {n.out})')))} / {n.x}",
                    elements=_cumprod_elements)


# ---------------------------------------------------------------- diff


def _diff_params(params):
    """(n, axis, prepend, append), numpy's defaults filled in (prepend, append: None is none)."""
    full = tuple(params) + (1, -1, None, None)[len(params):]
    return full[:4]


def _diff_shape(params, s):
    n, axis, prepend, append = _diff_params(params)
    if not s:
        raise ShapeError("diff takes an array of one axis or more, not a scalar")
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ShapeError(f"diff's n is a whole number, 0 or more, not {n!r}")
    if axis is None:
        raise ShapeError("diff takes one axis (axis=-1 by default), not None")
    a = _one_axis("diff", axis, s)
    for name, value in (("prepend", prepend), ("append", append)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ShapeError(f"diff's {name} is a number written in the program, not {value!r}")
    if n == 0:
        return s  # numpy: diff(x, 0) is x, with nothing prepended or appended
    length = s[a] + (prepend is not None) + (append is not None)
    if n >= length:
        raise ShapeError(f"diff with n={n} along axis {a} of shape {shape_text(s)} leaves no element "
                         f"(the axis has {length})")
    return s[:a] + (length - n,) + s[a + 1:]


def _diff(params, x, zero_ends: bool = False):
    """numpy's diff; ``zero_ends``: with 0 for a prepend or append given (a tangent's: they are constants)."""
    n, axis, prepend, append = _diff_params(params)
    ends = {name: (0.0 if zero_ends else value) for name, value in (("prepend", prepend), ("append", append))
            if value is not None}
    return np.diff(x, n=n, axis=axis, **ends) if n else x


def _diff_vjp(params, g, ans, x):
    """diff's adjoint, n times: each step is -diff(g, prepend=0, append=0); then the prepended and
    appended elements (constants) are cut off."""
    n, axis, prepend, append = _diff_params(params)
    if n == 0:
        return g
    a = axis % np.ndim(x)
    for _ in range(n):
        g = -np.diff(g, axis=a, prepend=0.0, append=0.0)
    start = 1 if prepend is not None else 0
    return np.take(g, range(start, start + np.shape(x)[a]), axis=a)


def _diff_rule(j, n_: RuleNames) -> str:
    n, axis, prepend, append = _diff_params(n_.params)
    if n == 0:
        return n_.g
    a = axis % len(n_.shapes[0])
    text = n_.g
    for _ in range(n):
        text = f"diff({text}, axis={a}, prepend=0, append=0)"
    text = f"-{text}" if n % 2 else text
    if prepend is None and append is None:
        return text
    return f"({text})[{':, ' * a}{1 if prepend is not None else ''}:{-1 if append is not None else ''}]"


def _diff_elements(params, k, ans, args, label=None):
    """out[k] is the n-th difference at k along the axis: sum over i of (-1)^(n-i) C(n, i) times the
    (padded) element k + i; an element of x read there has that coefficient as its partial."""
    n, axis, prepend, append = _diff_params(params)
    x, k = np.asarray(args[0]), tuple(k)
    if n == 0:
        return [(0, k, 1.0, _text(label, 0, (), "1"))]
    a = axis % x.ndim
    start = 1 if prepend is not None else 0
    out = []
    for i in range(n + 1):
        at = k[a] + i - start
        if 0 <= at < x.shape[a]:
            c = float((-1) ** (n - i) * math.comb(n, i))
            out.append((0, k[:a] + (at,) + k[a + 1:], c, _text(label, 0, (), _number_text(c).strip("()"))))
    return out


DIFF = ArrayRule(forward=_diff,
                 vjps=(_diff_vjp,),
                 jvp=_of_tangent(lambda params, t, ans, x: _diff(params, t, zero_ends=True)),
                 shape=_diff_shape,
                 rule=_diff_rule,
                 elements=_diff_elements)


# ---------------------------------------------------------------- argmax, argmin


def _arg_rule(name: str) -> ArrayRule:
    """The position of the largest (smallest) element: a whole number, which carries no gradient.
    At a tie numpy's first position is taken; the value jumps there, so ``check`` calls it a kink."""
    pick = "max" if name == "argmax" else "min"

    def shape(params, s):
        axis = _AK.axis(params)
        if isinstance(axis, tuple):
            raise ShapeError(f"{name} takes one axis or none, not axis={_axis_text(axis)}")
        return _reduced_shape(_AK)(params, s)

    def forward(params, x):
        return _scalar(getattr(np, name)(x, axis=_AK.axis(params), keepdims=_AK.keepdims(params)) * 1.0)

    def kinks(params, ans, args, moved):
        x = args[0]
        axes = _AK.axes(params, np.ndim(x))
        hit = x == getattr(np, pick)(x, axis=axes, keepdims=True)
        return bool(np.any(moved[0] & hit & (np.sum(hit, axis=axes, keepdims=True) > 1)))

    return ArrayRule(forward=forward,
                     vjps=(lambda params, g, ans, x: np.zeros(np.shape(x)),),
                     jvp=lambda params, tangents, ans, x: None if tangents[0] is None else ans * 0.0,
                     shape=shape,
                     rule=lambda j, n: f"0 * {n.x}",  # zero, of the operand's shape
                     elements=_reduce_elements(_AK, lambda *a: 0.0, lambda *a: "0"),
                     kinks=kinks,
                     pieces=lambda params, ans, args: ans)


ARGMAX = _arg_rule("argmax")
ARGMIN = _arg_rule("argmin")
