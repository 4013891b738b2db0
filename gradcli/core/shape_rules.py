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

from gradcli.core.array_rules import ArrayRule, ShapeError, _linear, _scalar, _text
from gradcli.core.values import np, shape_text


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
