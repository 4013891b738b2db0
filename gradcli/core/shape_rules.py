"""Rules of the ops that move elements without computing with them: reshape, concatenate, split, pad, ...

Each op here is numpy's function of the same name, argument order and keywords.
All are linear: the JVP is the op applied to the tangent (``_linear``), and the
VJP puts each element of ``g`` back where the forward took it from (the inverse
shape op: ``reshape(g, (2, 3))``, a slice of ``g``, ``pad(g, ...)``).  The rule
shown at the tensor level is that inverse written in gradcli.

Element rules: the result's element ``k`` is one operand element, with partial 1,
or a zero the op put there (pad, tril, diag).  Which one is found by running the
forward on the operands numbered 1, 2, 3, ... (``_gathered``): one rule for every
op, that cannot disagree with the forward.  trace, a sum, is the one exception.
"""

from __future__ import annotations

from typing import Callable

from gradcli.core.array_rules import ArrayRule, ShapeError, _linear, _scalar, _text, one_shape, summed_to
from gradcli.core.values import np, shape_text, unbroadcast


def _axis_of(axis, s: tuple, what: str) -> int:
    """``axis`` as a position in a shape ``s`` (counting from the end when negative)."""
    if not isinstance(axis, int) or isinstance(axis, bool):
        raise ShapeError(f"{what}: the axis is a whole number, not {axis!r}")
    if not -len(s) <= axis < len(s):
        where = f"shape {shape_text(s)} (axes 0 to {len(s) - 1})" if s else "a scalar"
        raise ShapeError(f"{what}: axis {axis} does not exist for {where}")
    return axis % len(s)


def _gathered(forward: Callable) -> Callable:
    """The element rule of an op that only moves elements: the result's element ``k`` is the operand
    element the forward puts there, found by running it on the operands numbered 1, 2, ... in
    order (exact in floats), with partial 1; none where the op puts a zero (numbered 0)."""

    def elements(params, k, ans, args, label=None):
        numbered, start = [], 1
        for a in args:
            numbered.append(np.arange(start, start + np.size(a), dtype=float).reshape(np.shape(a)))
            start += np.size(a)
        source = int(np.asarray(forward(params, *numbered))[tuple(k)]) - 1
        if source < 0:
            return []
        for j, a in enumerate(args):
            if source < np.size(a):
                index = tuple(int(i) for i in np.unravel_index(source, np.shape(a)))
                return [(j, index, 1.0, _text(label, j, (), "1"))]
            source -= np.size(a)
        raise AssertionError("a numbered element past the operands")

    return elements


def _moving(forward: Callable, vjp: Callable, shape: Callable, rule: Callable, variadic: bool = False) -> ArrayRule:
    """The rule of an op that moves elements: linear (JVP: the op on the tangent), elements gathered."""
    if variadic:
        def jvp(params, tangents, ans, *args):
            if all(t is None for t in tangents):
                return None
            return forward(params, *[np.zeros(np.shape(a)) if t is None else t for t, a in zip(tangents, args)])
    else:
        jvp = _linear(forward)
    return ArrayRule(forward=forward, vjps=(vjp,), jvp=jvp, shape=shape, rule=rule, variadic=variadic,
                     elements=_gathered(forward))


def _slice_text(start: int, stop: int, size: int) -> str:
    """``1:3`` in an index; ``:`` for the whole axis."""
    return ":" if (start, stop) == (0, size) else f"{start}:{stop}"


def _pairs_text(pairs) -> str:
    """pad's width as the program writes it: ``((0, 0), (2, 1))``."""
    return "(" + ", ".join(f"({b}, {a})" for b, a in pairs) + ("," if len(pairs) == 1 else "") + ")"


# ---------------------------------------------------------------- split


def _split_bounds(params, s: tuple) -> tuple[int, slice]:
    """The axis split and the slice of it that the picked array is, as numpy's split cuts it."""
    sections, axis, pick = params
    axis = _axis_of(axis, s, "split")
    n = s[axis]
    if isinstance(sections, int) and not isinstance(sections, bool):
        if sections < 1 or n % sections:
            raise ShapeError(f"split: axis {axis} of shape {shape_text(s)} has {n} elements, which do not "
                             f"divide into {sections} equal arrays")
        size = n // sections
        return axis, slice(pick * size, (pick + 1) * size)
    if not isinstance(sections, tuple) or not all(isinstance(i, int) and not isinstance(i, bool)
                                                  for i in sections):
        raise ShapeError(f"split: indices_or_sections is a whole number or a tuple of them, "
                         f"not {sections!r}")
    cuts = range(n)[slice(*((0,) + sections + (None,))[pick:pick + 2])]
    return axis, slice(cuts.start, max(cuts.start, cuts.stop))


def _split(params, x):
    axis, cut = _split_bounds(params, np.shape(x))
    return x[(slice(None),) * axis + (cut,)]


def _split_vjp(params, g, ans, x):
    axis, cut = _split_bounds(params, np.shape(x))
    out = np.zeros(np.shape(x))
    out[(slice(None),) * axis + (cut,)] = g
    return out


def _split_shape(params, s):
    axis, cut = _split_bounds(params, s)
    return s[:axis] + (len(range(s[axis])[cut]),) + s[axis + 1:]


def _split_rule(j, n) -> str:
    """The piece's gradient padded with zeros back to x's length along the axis split."""
    s = n.shapes[0]
    axis, cut = _split_bounds(n.params, s)
    pairs = [(0, 0)] * len(s)
    pairs[axis] = (cut.start, s[axis] - cut.stop) if cut.stop > cut.start else (0, s[axis])
    return f"pad({n.g}, {_pairs_text(pairs)})"


def split_count(params) -> int:
    """How many arrays ``split(x, indices_or_sections)`` returns."""
    sections = params[0]
    return len(sections) + 1 if isinstance(sections, tuple) else sections if isinstance(sections, int) else 1


SPLIT = _moving(_split, _split_vjp, _split_shape, _split_rule)


# ---------------------------------------------------------------- pad


def _pad_pairs(params, s: tuple) -> list[tuple[int, int]]:
    """pad_width as one (before, after) pair per axis, as numpy broadcasts it (an int, a pair, or a pair
    per axis); only mode 'constant' (zeros)."""
    width, mode = params
    if mode != "constant":
        raise ShapeError(f"pad: mode {mode!r} is not supported; only 'constant' (zeros)")
    if not s:
        raise ShapeError("pad takes an array, not a number")
    try:
        pairs = np.broadcast_to(np.asarray(width, dtype=object), (len(s), 2)).tolist()
    except ValueError:
        pairs = None
    if pairs is None or not all(isinstance(w, int) and not isinstance(w, bool) and w >= 0
                                for pair in pairs for w in pair):
        raise ShapeError(f"pad: pad_width {width!r} does not fit shape {shape_text(s)}: give a whole number "
                         "(0 or more), a pair (before, after), or a pair per axis")
    return [tuple(pair) for pair in pairs]


def _pad(params, x):
    return np.pad(x, _pad_pairs(params, np.shape(x)), mode="constant")


def _pad_vjp(params, g, ans, x):
    pairs = _pad_pairs(params, np.shape(x))
    return g[tuple(slice(b, b + n) for (b, _), n in zip(pairs, np.shape(x)))]


def _pad_rule(j, n) -> str:
    """The gradient with the padding cut off: ``g[1:3, :]``."""
    s = n.shapes[0]
    pairs = _pad_pairs(n.params, s)
    return f"{n.g}[{', '.join(_slice_text(b, b + size, size + b + a) for (b, a), size in zip(pairs, s))}]"


PAD = _moving(_pad, _pad_vjp,
              lambda params, s: tuple(size + b + a for size, (b, a) in zip(s, _pad_pairs(params, s))),
              _pad_rule)


def _tuple_text(t: tuple) -> str:
    return "(" + ", ".join(map(str, t)) + ("," if len(t) == 1 else "") + ")"


def _reshaped(g: str, s: tuple, order: str = "C") -> str:
    """``g`` given the shape ``s`` back: ``reshape(g, (2, 3))``; ``sum(g)`` for a number (one element)."""
    if not s:
        return f"sum({g})"
    return f"reshape({g}, {_tuple_text(s)}" + (", order='F')" if order == "F" else ")")


def _probe(what: str, call: Callable, s: tuple) -> tuple:
    """The shape numpy's function gives, found on an array of no memory; its complaint as a ShapeError."""
    try:
        return tuple(call(np.broadcast_to(np.zeros(()), s)).shape)
    except (ValueError, IndexError, TypeError) as exc:
        raise ShapeError(f"{what}: {str(exc).rstrip('.')} (shape {shape_text(s)})") from None


# ---------------------------------------------------------------- reshape, ravel, flatten, squeeze


def _order(order) -> str:
    if order not in ("C", "F"):
        raise ShapeError(f"the order is 'C' (rows first) or 'F' (columns first), not {order!r}")
    return order


def _target(params, s: tuple) -> tuple:
    """reshape's new shape (numpy 2's ``shape=``, or ``newshape=``), its -1 worked out."""
    shape, order, newshape = params
    _order(order)
    if (shape is None) == (newshape is None):
        raise ShapeError("reshape needs the new shape once: reshape(x, (2, 3)) or reshape(x, shape=(2, 3))")
    t = shape if shape is not None else newshape
    t = (t,) if isinstance(t, int) else t
    if not isinstance(t, tuple) or not all(isinstance(n, int) and not isinstance(n, bool) and n >= -1 for n in t) \
            or list(t).count(-1) > 1:
        raise ShapeError(f"reshape: the new shape is a tuple of whole numbers (one of them may be -1), not {t!r}")
    size = int(np.prod(s, dtype=np.int64))
    known = int(np.prod([n for n in t if n != -1], dtype=np.int64))
    if -1 in t:
        if known == 0 or size % known:
            raise ShapeError(f"reshape: {shape_text(s)} ({size} elements) does not fit {_tuple_text(t)}")
        t = tuple(size // known if n == -1 else n for n in t)
    if int(np.prod(t, dtype=np.int64)) != size:
        raise ShapeError(f"reshape: {shape_text(s)} has {size} elements, {_tuple_text(t)} holds "
                         f"{int(np.prod(t, dtype=np.int64))}")
    return t


RESHAPE = _moving(lambda params, x: np.reshape(x, _target(params, np.shape(x)), order=params[1]),
                  lambda params, g, ans, x: _scalar(np.reshape(g, np.shape(x), order=params[1])),
                  _target, lambda j, n: _reshaped(n.g, n.shapes[0], n.params[1]))

# ravel(x) and flatten(x): the elements in one row; flatten is numpy's method x.flatten(), as a function.
RAVEL = _moving(lambda params, x: np.ravel(x, order=params[0]),
                lambda params, g, ans, x: _scalar(np.reshape(g, np.shape(x), order=params[0])),
                lambda params, s: (_order(params[0]), (int(np.prod(s, dtype=np.int64)),))[1],
                lambda j, n: _reshaped(n.g, n.shapes[0], n.params[0]))

SQUEEZE = _moving(lambda params, x: _scalar(np.squeeze(x, axis=params[0])),
                  lambda params, g, ans, x: _scalar(np.reshape(g, np.shape(x))),
                  lambda params, s: _probe("squeeze", lambda d: np.squeeze(d, axis=params[0]), s),
                  lambda j, n: _reshaped(n.g, n.shapes[0]))


# ---------------------------------------------------------------- swapaxes, moveaxis, flip, roll, tril, triu


SWAPAXES = _moving(lambda params, x: np.swapaxes(x, *params),
                   lambda params, g, ans, x: np.swapaxes(g, *params),
                   lambda params, s: _probe("swapaxes", lambda d: np.swapaxes(d, *params), s),
                   lambda j, n: f"swapaxes({n.g}, {n.params[0]}, {n.params[1]})")

MOVEAXIS = _moving(lambda params, x: np.moveaxis(x, *params),
                   lambda params, g, ans, x: np.moveaxis(g, params[1], params[0]),
                   lambda params, s: _probe("moveaxis", lambda d: np.moveaxis(d, *params), s),
                   lambda j, n: f"moveaxis({n.g}, {_static(n.params[1])}, {_static(n.params[0])})")


def _static(v) -> str:
    return _tuple_text(v) if isinstance(v, tuple) else str(v)


def _with_axis(params) -> str:
    """``, 1`` when the op's last param, its axis, is given; nothing for None (every axis)."""
    return "" if params[-1] is None else f", {_static(params[-1])}"


FLIP = _moving(lambda params, x: np.flip(x, axis=params[0]),
               lambda params, g, ans, x: np.flip(g, axis=params[0]),
               lambda params, s: _probe("flip", lambda d: np.flip(d, axis=params[0]), s),
               lambda j, n: f"flip({n.g}{_with_axis(n.params)})")


def _negated(shift):
    return tuple(-v for v in shift) if isinstance(shift, tuple) else -shift


def _roll_shape(params, s):
    shift, axis = params
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (shift if isinstance(shift, tuple) else (shift,))):
        raise ShapeError(f"roll: the shift is a whole number or a tuple of them, not {shift!r}")
    return _probe("roll", lambda d: np.roll(d, shift, axis=axis), s)


ROLL = _moving(lambda params, x: np.roll(x, params[0], axis=params[1]),
               lambda params, g, ans, x: np.roll(g, _negated(params[0]), axis=params[1]),
               _roll_shape,
               lambda j, n: f"roll({n.g}, {_static(_negated(n.params[0]))}{_with_axis(n.params)})")


def _triangle(name: str) -> ArrayRule:
    """tril or triu: the triangle kept, zeros elsewhere; its own VJP (keep the same triangle of g)."""
    def take(x, k):  # numpy's function, looked up when first called: importing this module loads no numpy
        return getattr(np, name)(x, k)

    def shape(params, s):
        if len(s) < 2:
            raise ShapeError(f"{name} takes a matrix (or a stack of them), not {shape_text(s) if s else 'a number'}")
        if not isinstance(params[0], int) or isinstance(params[0], bool):
            raise ShapeError(f"{name}: k is a whole number, not {params[0]!r}")
        return s

    return _moving(lambda params, x: take(x, params[0]), lambda params, g, ans, x: take(g, params[0]), shape,
                   lambda j, n: f"{name}({n.g}" + (f", {n.params[0]})" if n.params[0] else ")"))


TRIL, TRIU = _triangle("tril"), _triangle("triu")


# ---------------------------------------------------------------- concatenate, stack


def _concatenate_shape(params, *shapes):
    axis = params[0]
    if axis is None:
        return (sum(int(np.prod(s, dtype=np.int64)) for s in shapes),)
    first = shapes[0]
    if not first:
        raise ShapeError("concatenate joins arrays, not numbers: use stack([a, b]) or [a, b]")
    axis = _axis_of(axis, first, "concatenate")
    for k, s in enumerate(shapes[1:], 1):
        if len(s) != len(first) or s[:axis] + s[axis + 1:] != first[:axis] + first[axis + 1:]:
            raise ShapeError(f"concatenate along axis {axis}: array 0 is {shape_text(first)}, array {k} is "
                             f"{shape_text(s)}; every axis but {axis} must match")
    return first[:axis] + (sum(s[axis] for s in shapes),) + first[axis + 1:]


def _concatenate_place(params, j, shapes) -> tuple[int | None, int, int]:
    """The axis (None: the flattened arrays) and where along it operand j lies in the result."""
    axis = params[0]
    if axis is None:
        sizes = [int(np.prod(s, dtype=np.int64)) for s in shapes]
    else:
        axis %= len(shapes[0])
        sizes = [s[axis] for s in shapes]
    start = sum(sizes[:j])
    return axis, start, start + sizes[j]


def _concatenate_vjp(j, params, g, ans, *args):
    shapes = [np.shape(a) for a in args]
    axis, start, stop = _concatenate_place(params, j, shapes)
    if axis is None:
        return _scalar(np.reshape(g[start:stop], shapes[j]))
    return g[(slice(None),) * axis + (slice(start, stop),)]


def _concatenate_rule(j, n) -> str:
    axis, start, stop = _concatenate_place(n.params, j, n.shapes)
    if axis is None:
        return _reshaped(f"{n.g}[{start}:{stop}]", n.shapes[j])
    return f"{n.g}[{', '.join([':'] * axis + [f'{start}:{stop}'])}]"


CONCATENATE = _moving(lambda params, *args: np.concatenate([np.asarray(a, dtype=float) for a in args],
                                                           axis=params[0]),
                      _concatenate_vjp, _concatenate_shape, _concatenate_rule, variadic=True)


def _stack_shape(params, *shapes):
    first = one_shape(shapes, "stack: the arrays", "array")
    axis = params[0]
    if not isinstance(axis, int) or not -len(first) - 1 <= axis <= len(first):
        raise ShapeError(f"stack: axis {axis} is out of range for arrays of shape {shape_text(first)} "
                         f"(the new axis goes at {-len(first) - 1} to {len(first)})")
    axis %= len(first) + 1
    return first[:axis] + (len(shapes),) + first[axis:]


STACK = _moving(lambda params, *args: np.stack([np.asarray(a, dtype=float) for a in args], axis=params[0]),
                lambda j, params, g, ans, *args: _scalar(np.take(g, j, axis=params[0])),
                _stack_shape,
                lambda j, n: f"{n.g}[{', '.join([':'] * (n.params[0] % (len(n.shapes[0]) + 1)) + [str(j)])}]",
                variadic=True)


# ---------------------------------------------------------------- tile, repeat


def _tile_layout(params, s: tuple) -> tuple[tuple, tuple]:
    """x's shape and the reps, both padded with leading 1s to one length, as numpy's tile pads them."""
    reps = params[0] if isinstance(params[0], tuple) else (params[0],)
    if not all(isinstance(r, int) and not isinstance(r, bool) and r >= 0 for r in reps):
        raise ShapeError(f"tile: reps is a whole number (0 or more) or a tuple of them, not {params[0]!r}")
    d = max(len(reps), len(s))
    return (1,) * (d - len(s)) + tuple(s), (1,) * (d - len(reps)) + reps


def _tile_vjp(params, g, ans, x):
    s, reps = _tile_layout(params, np.shape(x))
    interleaved = np.reshape(g, [n for pair in zip(reps, s) for n in pair])
    return _scalar(np.reshape(np.sum(interleaved, axis=tuple(range(0, 2 * len(s), 2))), np.shape(x)))


def _tile_rule(j, n) -> str:
    """Each copy's gradient added up: g cut into (reps, size) pairs of axes, summed over the reps."""
    s, reps = _tile_layout(n.params, n.shapes[0])
    text = f"reshape({n.g}, {_tuple_text(tuple(k for pair in zip(reps, s) for k in pair))})"
    for axis in range(2 * len(s) - 2, -1, -2):
        text = f"sum({text}, {axis})"
    return text if s == tuple(n.shapes[0]) else _reshaped(text, n.shapes[0])


TILE = _moving(lambda params, x: np.tile(x, params[0]), _tile_vjp,
               lambda params, s: tuple(a * b for a, b in zip(*_tile_layout(params, s))), _tile_rule)


# broadcast_to(x, (2, 3)): numpy's broadcasting written out; each copy's gradient summed back (as the sweep does).
def _broadcast_target(params, s: tuple) -> tuple:
    target = params[0]
    target = (target,) if isinstance(target, int) and not isinstance(target, bool) else target
    if not isinstance(target, tuple) or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0
                                                for n in target):
        raise ShapeError(f"broadcast_to: the shape is a tuple of whole numbers, not {params[0]!r}")
    try:
        if tuple(np.broadcast_shapes(s, target)) == target:
            return target
    except ValueError:
        pass
    raise ShapeError(f"broadcast_to: {shape_text(s)} does not broadcast to {_tuple_text(target)} "
                     "(each axis of the array must be equal to the new one, or 1)")


BROADCAST_TO = _moving(lambda params, x: np.array(np.broadcast_to(x, _broadcast_target(params, np.shape(x)))),
                       lambda params, g, ans, x: unbroadcast(g, np.shape(x)), _broadcast_target,
                       lambda j, n: summed_to(n.g, tuple(n.shapes[0]), _broadcast_target(n.params, n.shapes[0])))


def _repeat_layout(params, s: tuple) -> tuple[int | None, tuple]:
    """The axis (None: x flattened) and the count of each of its elements."""
    repeats, axis = params
    length = int(np.prod(s, dtype=np.int64)) if axis is None else s[_axis_of(axis, s, "repeat")]
    counts = repeats if isinstance(repeats, tuple) else (repeats,)
    if not all(isinstance(r, int) and not isinstance(r, bool) and r >= 0 for r in counts):
        raise ShapeError(f"repeat: repeats is a whole number (0 or more) or a tuple of them, not {repeats!r}")
    if len(counts) == 1:
        counts = counts * length
    if len(counts) != length:
        raise ShapeError(f"repeat: {len(counts)} repeats for {length} elements"
                         + ("" if axis is None else f" along axis {axis} of shape {shape_text(s)}"))
    return (None if axis is None else axis % len(s)), counts


def _repeat_vjp(params, g, ans, x):
    axis, counts = _repeat_layout(params, np.shape(x))
    if axis is None:
        g, axis = np.reshape(g, (-1,)), 0
    sums = np.add.reduceat(np.moveaxis(g, axis, 0), np.cumsum((0,) + counts[:-1]), axis=0) if len(g) else None
    out = np.zeros((len(counts),) + np.moveaxis(g, axis, 0).shape[1:])
    kept = np.array(counts) > 0
    if sums is not None:
        out[kept] = sums[kept]
    out = np.moveaxis(out, 0, axis)
    return _scalar(np.reshape(out, np.shape(x)))


def _repeat_rule(j, n) -> str:
    """Each element's copies added up: ``sum(reshape(g, (3, 2)), 1)`` for the same count everywhere."""
    s = n.shapes[0]
    axis, counts = _repeat_layout(n.params, s)
    lead = s[:axis] if axis is not None else ()
    if len(set(counts)) == 1 and counts[0] > 0:
        inner = (s[axis],) if axis is not None else (int(np.prod(s, dtype=np.int64)),)
        shape = lead + inner + (counts[0],) + (s[axis + 1:] if axis is not None else ())
        text = f"sum(reshape({n.g}, {_tuple_text(shape)}), {len(lead) + 1})"
        return text if axis is not None else _reshaped(text, s)
    at, pieces = len(lead), []
    start = 0
    for c in counts:
        cut = ", ".join([":"] * at + [f"{start}:{start + c}"])
        pieces.append(f"sum({n.g}[{cut}], {at})" if axis is not None else f"sum({n.g}[{cut}])")
        start += c
    if axis is None:
        return _reshaped(f"[{', '.join(pieces)}]", s) if len(pieces) > 1 else _reshaped(pieces[0], s)
    return f"stack([{', '.join(pieces)}], axis={axis})"


def _repeat_shape(params, s):
    axis, counts = _repeat_layout(params, s)
    return (sum(counts),) if axis is None else s[:axis] + (sum(counts),) + s[axis + 1:]


REPEAT = _moving(lambda params, x: np.repeat(x, params[0], axis=params[1]), _repeat_vjp, _repeat_shape,
                 _repeat_rule)


# ---------------------------------------------------------------- diag, diagonal, trace


def _diagonal_shape(params, s):
    offset, axis1, axis2 = params
    if len(s) < 2:
        raise ShapeError(f"diagonal takes a matrix (or a stack of them), not {shape_text(s) if s else 'a number'}")
    return _probe("diagonal", lambda d: np.diagonal(d, offset, axis1, axis2), s)


def _diagonal_place(params, s):
    """The axes, and the rows and columns of the diagonal's elements in them."""
    offset, axis1, axis2 = params
    a1, a2 = axis1 % len(s), axis2 % len(s)
    length = len(range(s[a1])[max(-offset, 0):][:max(s[a2] - max(offset, 0), 0)])
    return a1, a2, np.arange(length) + max(-offset, 0), np.arange(length) + max(offset, 0)


def _on_diagonal(params, g, x):
    """Zeros of x's shape with g (one value per diagonal element, on its last axis) on the diagonal."""
    a1, a2, rows, cols = _diagonal_place(params, np.shape(x))
    out = np.zeros(np.shape(x))
    np.moveaxis(out, (a1, a2), (-2, -1))[..., rows, cols] = g
    return out


def _diagonal_rule(g: str, params, s) -> str:
    """``g`` (the diagonal's shape) put back on the diagonal: each g[..., i] times the row of a 0/1
    matrix E (E[i, col of i] = 1), padded with zero rows to x's rows, the two axes moved back."""
    a1, a2, rows, cols = _diagonal_place(params, s)
    length, m, p = len(rows), s[a1], s[a2]
    mask = "[" + ", ".join("[" + ", ".join("1" if c == cols[i] else "0" for c in range(p)) + "]"
                           for i in range(length)) + "]"
    top = int(rows[0]) if length else 0
    pairs = [(0, 0)] * (len(s) - 2) + [(top, m - length - top), (0, 0)]
    text = f"expand_dims({g}, -1) * {mask}"
    if pairs[-2] != (0, 0):
        text = f"pad({text}, {_pairs_text(pairs)})"
    if (a1, a2) != (len(s) - 2, len(s) - 1):
        text = f"moveaxis({text}, (-2, -1), ({a1}, {a2}))"
    return text


DIAGONAL = _moving(lambda params, x: np.diagonal(x, *params).copy(),
                   lambda params, g, ans, x: _on_diagonal(params, g, x),
                   _diagonal_shape, lambda j, n: _diagonal_rule(n.g, n.params, n.shapes[0]))


def _diag_shape(params, s):
    k = params[0]
    if not isinstance(k, int) or isinstance(k, bool):
        raise ShapeError(f"diag: k is a whole number, not {k!r}")
    if len(s) == 1:
        return (s[0] + abs(k),) * 2
    if len(s) == 2:
        return _diagonal_shape((k, 0, 1), s)
    raise ShapeError(f"diag takes a vector (to make a matrix) or a matrix (to take its diagonal), "
                     f"not {shape_text(s) if s else 'a number'}")


def _diag_vjp(params, g, ans, x):
    return np.diag(g, params[0]).copy() if np.ndim(x) == 1 else _on_diagonal((params[0], 0, 1), g, x)


def _diag_rule(j, n) -> str:
    """diag both ways: of a matrix's gradient, its diagonal; of a vector's, the matrix it makes."""
    k = n.params[0]
    if len(n.shapes[0]) == 1:
        return f"diag({n.g}" + (f", {k})" if k else ")")
    return _diagonal_rule(n.g, (k, 0, 1), n.shapes[0])


DIAG = _moving(lambda params, x: np.diag(x, params[0]).copy(), _diag_vjp, _diag_shape, _diag_rule)


def _trace_elements(params, k, ans, args, label=None):
    """The result's element k is the sum of one diagonal: partial 1 for each of its elements."""
    x = args[0]
    numbered = np.arange(np.size(x)).reshape(np.shape(x))
    line = np.diagonal(numbered, *params)[tuple(k)]
    return [(0, tuple(int(i) for i in np.unravel_index(int(t), np.shape(x))), 1.0, _text(label, 0, (), "1"))
            for t in line]


def _trace_rule(j, n) -> str:
    """Of a matrix: g times the 0/1 matrix of the diagonal summed, ``g * [[1, 0], [0, 1]]``.  Of a stack:
    each diagonal's gradient copied along it, then put back as diagonal's rule puts it."""
    s = n.shapes[0]
    a1, a2, rows, cols = _diagonal_place(n.params, s)
    if len(s) == 2 and (a1, a2) == (0, 1):
        on = set(zip(rows.tolist(), cols.tolist()))
        mask = "[" + ", ".join("[" + ", ".join("1" if (r, c) in on else "0" for c in range(s[1])) + "]"
                               for r in range(s[0])) + "]"
        return f"{n.g} * {mask}"
    ones = "[" + ", ".join(["1"] * len(rows)) + "]"
    g = f"{n.g} * {ones}" if len(s) == 2 else f"expand_dims({n.g}, -1) * {ones}"
    return _diagonal_rule(g if len(rows) != 1 else f"({g})", n.params, s)


TRACE = ArrayRule(forward=lambda params, x: _scalar(np.trace(x, *params)),
                  vjps=(lambda params, g, ans, x: _on_diagonal(params, np.expand_dims(g, -1), x),),
                  jvp=_linear(lambda params, x: _scalar(np.trace(x, *params))),
                  shape=lambda params, s: _diagonal_shape(params, s)[:-1],
                  rule=_trace_rule, elements=_trace_elements)
