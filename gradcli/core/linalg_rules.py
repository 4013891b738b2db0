"""Derivative rules of linear algebra: products (matmul on stacks, dot, inner, tensordot, kron,
einsum) and matrix functions (inv, pinv, solve, det, slogdet, cholesky, eigh, svd).

Every product is an einsum in disguise, so one small engine (``Spec``: the subscripts of each operand
and of the result, with the sizes the shapes give them) writes what the products share: the
tensor-level rule of operand j (the einsum of the gradient with the other operands, ``einsum('ik,jk->ij',
g, b)``), the element rule (each result element a sum of products), and einsum's own VJP.  The
products still compute with numpy's fastest routine for each (``np.matmul``, ``np.tensordot``): the
spec only writes text and element rules, where speed does not matter.

The matrix functions are on square matrices and on stacks of them (numpy's ``(..., n, n)``), with the
VJPs of Giles (2008) and, for the decompositions, of Murray (2016, Cholesky) and Townsend (2016, SVD).
Their element rules are not written: each element of ``inv(A)`` depends on every element of A through
the whole inverse, and the element-level views say that the op is explained at the tensor level.

``eigh`` and ``cholesky`` read the symmetric part of their operand, ``(A + A^T)/2``, as JAX does (numpy
reads one triangle): for a symmetric A the result is numpy's, and the gradient is symmetric.  Where
eigenvalues (singular values) tie, the eigenvectors (singular vectors) are not unique and have no
derivative: the gradient through them is infinite there (1/(w_j - w_i)), and the sweep stops at the op
as at any infinite partial; the eigenvalues' own gradient stays finite (one valid choice at the tie,
as max's), and ``check`` reports the tie as a kink.
"""

from __future__ import annotations

import itertools
from functools import reduce
from typing import Callable

from gradcli.core.array_rules import (ArrayRule, RuleNames, ShapeError, _bilinear, _of_tangent, _sum_terms, _text,
                                      summed_to)
from gradcli.core.values import np, shape_text

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _scalar(v):
    return float(v) if np.ndim(v) == 0 else v


def _mT(x):
    """The last two axes swapped: each matrix of a stack transposed."""
    return np.swapaxes(x, -1, -2)


# ---------------------------------------------------------------- einsum specs


class Spec:
    """An einsum's subscripts: ``inputs`` (one string per operand), ``output``, and each letter's size
    (the largest over the operands: an axis of length 1 broadcasts, as numpy's einsum lets it)."""

    __slots__ = ("inputs", "output", "sizes")

    def __init__(self, inputs: list[str], output: str, shapes: list[tuple]):
        self.inputs, self.output = inputs, output
        self.sizes: dict[str, int] = {}
        for subs, s in zip(inputs, shapes):
            for c, n in zip(subs, s):
                self.sizes[c] = max(self.sizes.get(c, 1), n)

    def text(self) -> str:
        return ",".join(self.inputs) + "->" + self.output


def parse_subscripts(subscripts, shapes: list[tuple]) -> Spec:
    """numpy's einsum subscripts (``'ij,jk->ik'``; without ``->``, the result's letters are those
    written once, sorted), checked against the operands' shapes; no ellipsis."""
    if not isinstance(subscripts, str):
        raise ShapeError(f"einsum's first argument is its subscripts, a string like 'ij,jk->ik', not {subscripts!r}")
    text = subscripts.replace(" ", "")
    if "." in text:
        raise ShapeError(f"einsum '{subscripts}': gradcli's einsum takes no ellipsis (...): name every axis")
    left, arrow, output = text.partition("->")
    inputs = left.split(",")
    bad = [c for c in left.replace(",", "") + output if c not in _LETTERS]
    if bad or "-" in output or ">" in output:
        raise ShapeError(f"einsum '{subscripts}': subscripts are letters a-z, A-Z, operands separated by ','")
    if len(inputs) != len(shapes):
        raise ShapeError(f"einsum '{subscripts}' names {len(inputs)} operand{'s' if len(inputs) != 1 else ''}, "
                         f"got {len(shapes)}")
    if not arrow:
        letters = "".join(inputs)
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    for c in output:
        if output.count(c) > 1:
            raise ShapeError(f"einsum '{subscripts}': the result names '{c}' twice")
        if c not in left:
            raise ShapeError(f"einsum '{subscripts}': the result's '{c}' is in no operand")
    sizes: dict[str, tuple[int, int]] = {}
    for j, (subs, s) in enumerate(zip(inputs, shapes)):
        if len(subs) != len(s):
            raise ShapeError(f"einsum '{subscripts}': operand {j} has shape {shape_text(s)}, {len(s)} axes, "
                             f"but '{subs}' names {len(subs)}")
        for c, n in zip(subs, s):
            m, k = sizes.setdefault(c, (n, j))
            if n != m and 1 not in (n, m):
                raise ShapeError(f"einsum '{subscripts}': '{c}' is {m} in operand {k} {shape_text(shapes[k])} "
                                 f"and {n} in operand {j} {shape_text(s)}")
    return Spec(inputs, output, shapes)


def _operand_text(label: str) -> str:
    """An operand in a rule: a label as it is, an expression in parentheses."""
    return label if label.replace("_", "").isalnum() else f"({label})"


def spec_rule(spec: Spec, j: int, labels: list[str], g: str, shapes: list[tuple]) -> str:
    """The gradient handed to operand j as a gradcli expression: the einsum of ``g`` with the other
    operands onto operand j's letters.  A letter only operand j has (summed within it) or one it
    broadcasts (length 1) is put back by ``expand_dims``; a repeated letter (a diagonal, ``'ii'``)
    by a product with the identity."""
    subs, own = spec.inputs[j], shapes[j]
    unique = "".join(dict.fromkeys(subs))
    elsewhere = set(spec.output).union(*(set(s) for o, s in enumerate(spec.inputs) if o != j))
    size = {c: n for c, n in zip(subs, own)}
    kept = "".join(c for c in unique if c in elsewhere and not (size[c] == 1 and spec.sizes[c] > 1))
    terms = [(s, _operand_text(labels[o])) for o, s in enumerate(spec.inputs) if o != j]
    if spec.output:
        terms.insert(0, (spec.output, g))
    if not terms:  # einsum('ii', A): the gradient itself, on the diagonal below
        text = g
    elif len(terms) == 1 and terms[0][0] == kept:
        text = terms[0][1]
    else:
        text = f"einsum('{','.join(s for s, _ in terms)}->{kept}', {', '.join(t for _, t in terms)})"
    if not spec.output and terms:  # a number: it scales the rest
        text = f"{g} * {text}"
    for axis, c in enumerate(unique):
        if c not in kept:
            text = f"expand_dims({text}, {axis})"
    if len(unique) < len(subs):  # a diagonal: the gradient placed on it, times the identity
        fresh = iter(c for c in _LETTERS if c not in subs and c not in unique)
        seen, target, eyes = set(), "", []
        for c in subs:
            if c in seen:
                d = next(fresh)
                target += d
                eyes.append((c + d, _identity(size[c])))
            else:
                seen.add(c)
                target += c
        text = f"einsum('{','.join([unique] + [e for e, _ in eyes])}->{target}', {text}, " \
               f"{', '.join(t for _, t in eyes)})"
    return text


def _identity(n: int) -> str:
    return "[" + ", ".join("[" + ", ".join("1" if i == k else "0" for k in range(n)) + "]" for i in range(n)) + "]"


def spec_vjp(spec: Spec, j: int, g, args: list):
    """Operand j's VJP, computed as ``spec_rule`` writes it (with numpy's einsum), in operand j's shape."""
    subs, a = spec.inputs[j], args[j]
    own = np.shape(a)
    unique = "".join(dict.fromkeys(subs))
    elsewhere = set(spec.output).union(*(set(s) for o, s in enumerate(spec.inputs) if o != j))
    size = {c: n for c, n in zip(subs, own)}
    kept = "".join(c for c in unique if c in elsewhere and not (size[c] == 1 and spec.sizes[c] > 1))
    others = [(s, args[o]) for o, s in enumerate(spec.inputs) if o != j]
    operands = ([(spec.output, g)] if spec.output else []) + others
    if operands:
        part = np.einsum(",".join(s for s, _ in operands) + "->" + kept, *[v for _, v in operands],
                         optimize=len(operands) > 2 or max(np.size(v) for _, v in operands) > 4096)
    else:
        part = np.ones(())
    if not spec.output:
        part = part * g
    for axis, c in enumerate(unique):
        if c not in kept:
            part = np.expand_dims(part, axis)
    shape = tuple(size[c] for c in unique)
    if np.shape(part) != shape:
        part = np.array(np.broadcast_to(part, shape), dtype=float)
    if len(unique) == len(subs):
        return part
    out = np.zeros(own)
    np.einsum(f"{subs}->{unique}", out)[...] = part  # numpy's einsum gives the diagonal as a view
    return out


def spec_jvp(spec: Spec, tangents, args):
    """The tangent of an einsum: the sum over operands of the einsum with that operand's tangent."""
    text = spec.text()
    return _sum_terms([None if t is None else _scalar(np.einsum(text, *args[:j], t, *args[j + 1:]))
                       for j, t in enumerate(tangents)])


def spec_elements(spec: Spec, k: tuple, args: list, label=None) -> list:
    """The result's element ``k`` is a sum of products: the partial for an operand element is the sum,
    over the products it is in, of the other operands' elements (one entry per operand element)."""
    fixed = dict(zip(spec.output, k))
    summed = [c for c in dict.fromkeys("".join(spec.inputs)) if c not in fixed]
    found: dict = {}
    for values in itertools.product(*[range(spec.sizes[c]) for c in summed]):
        at = fixed | dict(zip(summed, values))
        indices = [tuple(at[c] if n > 1 else 0 for c, n in zip(subs, np.shape(a)))
                   for subs, a in zip(spec.inputs, args)]
        for j, index in enumerate(indices):
            others = [(o, indices[o]) for o in range(len(args)) if o != j]
            value = reduce(lambda p, o: p * float(np.asarray(args[o[0]])[o[1]]), others, 1.0)
            entry = found.setdefault((j, index), [0.0, []])
            entry[0] += value
            if label is not None:
                entry[1].append("*".join(label(o, i) for o, i in others) or "1")
    return [(j, index, value, " + ".join(terms) if label is not None else None)
            for (j, index), (value, terms) in found.items()]


def _spec_rule(spec_of: Callable) -> Callable:
    """A product's tensor-level rule from its einsum spec (``spec_of(params, shapes)``)."""
    return lambda j, n: spec_rule(spec_of(n.params, n.shapes), j, n.labels, n.g, n.shapes)


def _spec_elements(spec_of: Callable) -> Callable:
    def elements(params, k, ans, args, label=None):
        return spec_elements(spec_of(params, [np.shape(a) for a in args]), tuple(k), args, label)

    return elements


# ---------------------------------------------------------------- einsum


def _einsum_spec(params, shapes) -> Spec:
    return parse_subscripts(params[0], list(shapes))


def _einsum(params, *args):
    text = _einsum_spec(params, [np.shape(a) for a in args]).text()
    return _scalar(np.einsum(text, *args, optimize=len(args) > 2 or max(np.size(a) for a in args) > 4096))


def _einsum_shape(params, *shapes):
    spec = _einsum_spec(params, shapes)
    return tuple(spec.sizes[c] for c in spec.output)


EINSUM = ArrayRule(forward=_einsum,
                   vjps=(lambda j, params, g, ans, *args:
                         spec_vjp(_einsum_spec(params, [np.shape(a) for a in args]), j, g, list(args)),),
                   jvp=lambda params, tangents, ans, *args:
                   spec_jvp(_einsum_spec(params, [np.shape(a) for a in args]), tangents, list(args)),
                   shape=_einsum_shape,
                   rule=_spec_rule(_einsum_spec),
                   variadic=True,
                   elements=_spec_elements(_einsum_spec))


# ---------------------------------------------------------------- matmul, dot, inner


def _matmul_shape_named(name: str) -> Callable:
    """numpy's matmul: a vector is a matrix of one row (left) or one column (right), and the axes
    before the last two are a stack that broadcasts."""

    def shape(params, sa, sb):
        pair = f"{shape_text(sa)} {'@' if name == '@' else 'and'} {shape_text(sb)}"
        if not sa or not sb:
            raise ShapeError(f"{name} multiplies vectors and matrices, not a scalar ({pair}): use * for a scalar")
        if name == "dot" and (len(sa) > 2 or len(sb) > 2):
            raise ShapeError(f"dot takes vectors and matrices, not {pair}: use @ (matmul) for stacks "
                             "of matrices, or tensordot")
        inner_a, inner_b = sa[-1], sb[-2] if len(sb) > 1 else sb[0]
        if inner_a != inner_b:
            if name == "dot" and len(sa) == 1 and len(sb) == 1:
                raise ShapeError(f"dot of vectors of different lengths: {pair}")
            first = "first" if len(sb) <= 2 else "second-to-last"
            raise ShapeError(f"{pair}: the inner sizes differ ({inner_a} and {inner_b}); the left operand's "
                             f"last axis must match the right's {first}")
        try:
            batch = tuple(np.broadcast_shapes(sa[:-2], sb[:-2]))
        except ValueError:
            raise ShapeError(f"{pair}: the stacks {shape_text(sa[:-2])} and {shape_text(sb[:-2])} do not "
                             "broadcast (each axis must be equal, or 1)") from None
        return batch + sa[-2:-1] + sb[-1:] * (len(sb) > 1)

    return shape


def _matmul_spec(params, shapes) -> Spec:
    """``'zij,zjk->zik'``: a's rows i, the inner j, b's columns k; the stack's axes z, y, ... aligned
    from the right (an axis of length 1 broadcasts within the spec)."""
    sa, sb = shapes
    depth = max(len(sa), len(sb), 2) - 2
    batch = "zyxwvutsrqponm"[:depth][::-1]
    a = batch[depth - max(len(sa) - 2, 0):] + ("ij" if len(sa) > 1 else "j")
    b = batch[depth - max(len(sb) - 2, 0):] + ("jk" if len(sb) > 1 else "j")
    out = batch + ("i" if len(sa) > 1 else "") + ("k" if len(sb) > 1 else "")
    return Spec([a, b], out, list(shapes))


def _matmul(a, b):
    return _scalar(np.matmul(a, b))


def _stacked(a, b, g):
    """The operands as stacks of matrices (a vector as one row, or one column) and g to match."""
    A = a[None, :] if a.ndim == 1 else a
    B = b[:, None] if b.ndim == 1 else b
    G = np.asarray(g, dtype=float)
    if a.ndim == 1:
        G = G[..., None, :] if b.ndim > 1 else G[..., None]
    if b.ndim == 1:
        G = G[..., None]
    return A, B, G


def _sum_to_shape(x, shape: tuple):
    """A stack's gradient summed over the stack axes the operand broadcast along."""
    extra = x.ndim - len(shape)
    if extra > 0:
        x = x.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and x.shape[i] != 1)
    return x.sum(axis=stretched, keepdims=True) if stretched else x


def _matmul_vjp_a(params, g, ans, a, b):
    if a.ndim == 2 and b.ndim == 2:  # two matrices (a layer's weights), the common case
        return g @ b.T
    A, B, G = _stacked(a, b, g)
    if A.ndim == 2 and G.ndim > 2:  # one matrix against a stack: one product over the stack's rows
        axes = list(range(G.ndim - 2)) + [G.ndim - 1]
        ga = np.tensordot(G, np.broadcast_to(B, G.shape[:-2] + B.shape[-2:]), axes=(axes, axes))
    else:
        ga = _sum_to_shape(G @ _mT(B), A.shape)
    return ga[0] if a.ndim == 1 else ga


def _matmul_vjp_b(params, g, ans, a, b):
    if a.ndim == 2 and b.ndim == 2:
        return a.T @ g
    A, B, G = _stacked(a, b, g)
    if B.ndim == 2 and G.ndim > 2:  # (batch, n, k) @ (k, m): one product over all the stack's rows
        axes = list(range(G.ndim - 1))
        gb = np.tensordot(np.broadcast_to(A, G.shape[:-2] + A.shape[-2:]), G, axes=(axes, axes))
    else:
        gb = _sum_to_shape(_mT(A) @ G, B.shape)
    return gb[:, 0] if b.ndim == 1 else gb


def _matmul_rule(j, n: RuleNames) -> str:
    """``g @ transpose(b)`` and ``transpose(a) @ g`` for matrices; a vector operand makes one an outer
    product (W @ x: ``outer(g, x)``) or, for two vectors (a dot product), ``g * b`` and ``g * a``;
    a stack of matrices, the einsum of the same product."""
    (a, b), (sa, sb), g = n.labels, n.shapes, n.g
    if len(sa) > 2 or len(sb) > 2:
        return spec_rule(_matmul_spec(n.params, n.shapes), j, n.labels, g, n.shapes)
    if len(sa) == 1 and len(sb) == 1:
        return f"{g} * {b}" if j == 0 else f"{g} * {a}"
    if j == 0:
        return f"outer({g}, {b})" if len(sb) == 1 else f"{g} @ transpose({b})"
    return f"outer({a}, {g})" if len(sa) == 1 else f"transpose({a}) @ {g}"


def _matmul_elements(params, k, ans, args, label=None):
    """``out[z,i,c] = sum_t a[z,i,t] * b[z,t,c]``: ∂out/∂a[z,i,t] = b[z,t,c], ∂out/∂b[z,t,c] = a[z,i,t]."""
    return spec_elements(_matmul_spec(params, [np.shape(a) for a in args]), tuple(k), args, label)


MATMUL = ArrayRule(forward=lambda params, a, b: _matmul(a, b), vjps=(_matmul_vjp_a, _matmul_vjp_b),
                   jvp=_bilinear(_matmul), shape=_matmul_shape_named("@"), rule=_matmul_rule,
                   elements=_matmul_elements)

# numpy's dot is matmul for vectors and matrices (the only operands it takes here)
DOT = ArrayRule(forward=lambda params, a, b: _matmul(a, b), vjps=(_matmul_vjp_a, _matmul_vjp_b),
                jvp=_bilinear(_matmul), shape=_matmul_shape_named("dot"), rule=_matmul_rule,
                elements=_matmul_elements)


def _inner_spec(params, shapes) -> Spec:
    """``inner(a, b)``: the sum over the last axis of each, ``'ijz,kz->ijk'``."""
    sa, sb = shapes
    a = _LETTERS[:len(sa) - 1]
    b = _LETTERS[len(sa) - 1:len(sa) + len(sb) - 2]
    return Spec([a + "Z", b + "Z"], a + b, list(shapes))


def _inner_shape(params, sa, sb):
    if not sa or not sb:
        raise ShapeError(f"inner takes arrays, not a scalar ({shape_text(sa)} and {shape_text(sb)}): use *")
    if sa[-1] != sb[-1]:
        raise ShapeError(f"inner of {shape_text(sa)} and {shape_text(sb)}: the last axes differ "
                         f"({sa[-1]} and {sb[-1]})")
    return sa[:-1] + sb[:-1]


def _inner(a, b):
    return _scalar(np.inner(a, b))


INNER = ArrayRule(forward=lambda params, a, b: _inner(a, b),
                  vjps=(lambda params, g, ans, a, b: spec_vjp(_inner_spec(params, [a.shape, b.shape]), 0, g, [a, b]),
                        lambda params, g, ans, a, b: spec_vjp(_inner_spec(params, [a.shape, b.shape]), 1, g, [a, b])),
                  jvp=_bilinear(_inner), shape=_inner_shape, rule=_spec_rule(_inner_spec),
                  elements=_spec_elements(_inner_spec))


# ---------------------------------------------------------------- tensordot, kron


def _tensordot_axes(params, sa, sb) -> tuple[list[int], list[int]]:
    """numpy's ``axes``: an int N (a's last N with b's first N) or a pair of axes or tuples of axes."""
    axes = params[0]
    pair = f"{shape_text(sa)} and {shape_text(sb)}"
    if isinstance(axes, int) and not isinstance(axes, bool):
        if not 0 <= axes <= min(len(sa), len(sb)):
            raise ShapeError(f"tensordot of {pair}: axes={axes} is more axes than an operand has")
        axes = (tuple(range(len(sa) - axes, len(sa))), tuple(range(axes)))
    if not (isinstance(axes, tuple) and len(axes) == 2):
        raise ShapeError(f"tensordot's axes are a whole number or a pair like ((1, 0), (0, 1)), not {axes!r}")
    left, right = ([x] if isinstance(x, int) else list(x) for x in axes)
    if len(left) != len(right):
        raise ShapeError(f"tensordot of {pair}: {len(left)} of a's axes against {len(right)} of b's")
    for axs, s, which in ((left, sa, "a"), (right, sb, "b")):
        for x in axs:
            if not isinstance(x, int) or isinstance(x, bool) or not -len(s) <= x < len(s):
                raise ShapeError(f"tensordot of {pair}: {which} has no axis {x!r}")
    left, right = [x % len(sa) for x in left], [x % len(sb) for x in right]
    if len(set(left)) < len(left) or len(set(right)) < len(right):
        raise ShapeError(f"tensordot of {pair}: an axis is named twice")
    for x, y in zip(left, right):
        if sa[x] != sb[y]:
            raise ShapeError(f"tensordot of {pair}: axis {x} of a ({sa[x]}) and axis {y} of b ({sb[y]}) differ")
    return left, right


def _tensordot_spec(params, shapes) -> Spec:
    sa, sb = shapes
    left, right = _tensordot_axes(params, sa, sb)
    a = _LETTERS[:len(sa)]
    b = list(_LETTERS[len(sa):len(sa) + len(sb)])
    for x, y in zip(left, right):
        b[y] = a[x]
    b = "".join(b)
    out = "".join(c for i, c in enumerate(a) if i not in left) + "".join(c for i, c in enumerate(b) if i not in right)
    return Spec([a, b], out, list(shapes))


def _tensordot_shape(params, sa, sb):
    spec = _tensordot_spec(params, (sa, sb))
    return tuple(spec.sizes[c] for c in spec.output)


def _tensordot(params, a, b):
    return _scalar(np.tensordot(a, b, axes=_tensordot_axes(params, np.shape(a), np.shape(b))))


def _tensordot_vjp(j):
    return lambda params, g, ans, a, b: spec_vjp(_tensordot_spec(params, [a.shape, b.shape]), j, g, [a, b])


TENSORDOT = ArrayRule(forward=_tensordot, vjps=(_tensordot_vjp(0), _tensordot_vjp(1)),
                      jvp=lambda params, tangents, ans, a, b: _bilinear(lambda x, y: _tensordot(params, x, y))(
                          params, tangents, ans, a, b),
                      shape=_tensordot_shape, rule=_spec_rule(_tensordot_spec),
                      elements=_spec_elements(_tensordot_spec))


def _kron_shapes(sa, sb) -> tuple[tuple, tuple]:
    """numpy pads the operand with fewer axes with leading 1s."""
    d = max(len(sa), len(sb))
    return (1,) * (d - len(sa)) + tuple(sa), (1,) * (d - len(sb)) + tuple(sb)


def _kron_shape(params, sa, sb):
    if not sa or not sb:
        raise ShapeError(f"kron takes arrays, not a scalar ({shape_text(sa)} and {shape_text(sb)}): use *")
    pa, pb = _kron_shapes(sa, sb)
    return tuple(m * p for m, p in zip(pa, pb))


def _kron_blocks(g, sa, sb):
    """g of kron's shape as blocks: axes (a0, b0, a1, b1, ...)."""
    pa, pb = _kron_shapes(sa, sb)
    return np.reshape(g, [n for pair in zip(pa, pb) for n in pair])


def _kron_vjp(j):
    def vjp(params, g, ans, a, b):
        d = max(a.ndim, b.ndim)
        blocks = _kron_blocks(g, a.shape, b.shape)
        la, lb = _LETTERS[:d], _LETTERS[d:2 * d]
        spec = "".join(x + y for x, y in zip(la, lb))
        other = np.reshape(b if j == 0 else a, _kron_shapes(a.shape, b.shape)[1 - j])
        out = np.einsum(f"{spec},{lb if j == 0 else la}->{la if j == 0 else lb}", blocks, other)
        return np.reshape(out, (a if j == 0 else b).shape)

    return vjp


def _kron_index(sa, sb) -> str:
    """The fixed integer arrays that read kron's result as blocks: ``g[I0, I1]`` has the axes
    (a0, b0, a1, b1): element (i, k, j, l) is g[i*p + k, j*q + l]."""
    pa, pb = _kron_shapes(sa, sb)
    d = len(pa)
    subscripts = []
    for axis, (m, p) in enumerate(zip(pa, pb)):
        shape = [1] * (2 * d)
        shape[2 * axis], shape[2 * axis + 1] = m, p
        idx = np.arange(m * p).reshape(shape)
        subscripts.append(str(idx.tolist()).replace(" ", ""))
    return ", ".join(subscripts)


def _kron_rule(j, n: RuleNames) -> str:
    sa, sb = n.shapes
    d = max(len(sa), len(sb))
    la, lb = _LETTERS[:d], _LETTERS[d:2 * d]
    spec = "".join(x + y for x, y in zip(la, lb))
    own, other = (la, lb) if j == 0 else (lb, la)
    other_label = n.labels[1 - j]
    if len(n.shapes[1 - j]) < d:  # the operand with fewer axes: its padded axes are gradcli's expand_dims
        for axis in range(d - len(n.shapes[1 - j])):
            other_label = f"expand_dims({other_label}, 0)"
    text = f"einsum('{spec},{other}->{own}', {_operand_text(n.g)}[{_kron_index(sa, sb)}], {other_label})"
    for _ in range(d - len(n.shapes[j])):
        text = f"sum({text}, 0)"
    return text


def _kron_elements(params, k, ans, args, label=None):
    """``out[i*p + k] = a[i] * b[k]`` on each axis: two operand elements, each the other's partial."""
    a, b = args
    pa, pb = _kron_shapes(np.shape(a), np.shape(b))
    ia = tuple(x // p for x, p in zip(k, pb))[len(pa) - np.ndim(a):]
    ib = tuple(x % p for x, p in zip(k, pb))[len(pb) - np.ndim(b):]
    return [(0, ia, float(b[ib]), _text(label, 1, ib)), (1, ib, float(a[ia]), _text(label, 0, ia))]


KRON = ArrayRule(forward=lambda params, a, b: np.kron(a, b), vjps=(_kron_vjp(0), _kron_vjp(1)),
                 jvp=_bilinear(lambda a, b: np.kron(a, b)), shape=_kron_shape, rule=_kron_rule,
                 elements=_kron_elements)


# ---------------------------------------------------------------- matrix functions


def _square(name: str) -> Callable:
    """The shape rule of a function of square matrices (or stacks of them): the shape kept."""

    def shape(params, s):
        if len(s) < 2 or s[-1] != s[-2]:
            raise ShapeError(f"{name} takes a square matrix (or a stack of them, shape (..., n, n)), "
                             f"not {'a scalar' if not s else shape_text(s)}")
        return s

    return shape


def _T(text: str, ndim: int) -> str:
    """Each matrix of ``text`` transposed: ``transpose(x)``, or an einsum over a stack."""
    if ndim <= 2:
        return f"transpose({text})"
    batch = "zyxwvutsrqponm"[:ndim - 2][::-1]
    return f"einsum('{batch}ij->{batch}ji', {text})"


def _per_matrix(text: str, ndim: int) -> str:
    """One number per matrix (det of a stack) stretched over each matrix: two axes appended."""
    return text if ndim <= 2 else f"expand_dims(expand_dims({text}, -1), -1)"


def _row(text: str, ndim: int) -> str:
    """A vector per matrix (eigenvalues) as a row that multiplies each column: ``M * row``."""
    return _operand_text(text) if ndim <= 2 else f"expand_dims({text}, -2)"


def _column(text: str) -> str:
    return f"expand_dims({text}, -1)"


def _sym(x):
    return 0.5 * (x + _mT(x))


def _tril_mask(n: int):
    """Cholesky's Φ: the lower triangle, the diagonal halved."""
    return np.tril(np.ones((n, n))) - 0.5 * np.eye(n)


def _mask_text(n: int) -> str:
    return "[" + ", ".join("[" + ", ".join("0.5" if i == k else ("1" if k < i else "0") for k in range(n)) + "]"
                           for i in range(n)) + "]"


def _inverse_gaps(v):
    """F[i, j] = 1/(v[j] - v[i]) off the diagonal, 0 on it.  Where two values tie, F is infinite: the
    vectors of a tied pair have no derivative, and the sweep stops there as at any infinite partial."""
    gaps = v[..., None, :] - v[..., :, None]
    gaps[..., np.arange(v.shape[-1]), np.arange(v.shape[-1])] = np.inf
    with np.errstate(divide="ignore"):
        return 1.0 / gaps


def _gaps_text(v: str, n: int, power: str = "") -> str:
    """``F`` as a gradcli expression (of ``v^2`` with ``power='^2'``), for values that do not tie."""
    eye = _identity(n)
    return f"(1 - {eye}) / (expand_dims({v}, -2){power} - expand_dims({v}, -1){power} + {eye})"


def _tied(values, tolerance: float = 1e-9) -> bool:
    """Two values (sorted along the last axis) within ``tolerance`` of each other, relative."""
    v = np.sort(values, axis=-1)
    scale = np.maximum(np.abs(v).max(axis=-1, keepdims=True), 1e-300)
    return bool(np.any(np.diff(v, axis=-1) <= tolerance * scale))


# inv: d(A^-1) = -A^-1 dA A^-1
INV = ArrayRule(forward=lambda params, x: np.linalg.inv(x),
                vjps=(lambda params, g, ans, x: -_mT(ans) @ g @ _mT(ans),),
                jvp=_of_tangent(lambda params, t, ans, x: -ans @ t @ ans),
                shape=_square("inv"),
                rule=lambda j, n: f"-{_T(n.out, len(n.shapes[0]))} @ {n.g} @ {_T(n.out, len(n.shapes[0]))}")


def _pinv_shape(params, s):
    if len(s) < 2:
        raise ShapeError(f"pinv takes a matrix (or a stack of them), not {'a scalar' if not s else shape_text(s)}")
    return s[:-2] + (s[-1], s[-2])


def _pinv_vjp(params, g, ans, x):
    """Golub and Pereyra (1973), for a matrix of full rank (the rank is the same nearby)."""
    P, PT, GT = ans, _mT(ans), _mT(g)
    return -PT @ g @ PT + (GT - x @ (P @ GT)) @ P @ PT + PT @ P @ (GT - (GT @ P) @ x)


def _pinv_jvp(params, t, ans, x):
    P, PT, tT = ans, _mT(ans), _mT(t)
    left, right = P @ PT @ tT, tT @ PT @ P
    return -P @ t @ P + left - left @ x @ P + right - P @ x @ right


def _pinv_rule(j, n: RuleNames) -> str:
    d, x, out, g = len(n.shapes[0]), n.x, n.out, n.g
    P_T, g_T = _T(out, d), _T(g, d)
    return (f"-{P_T} @ {g} @ {P_T} + ({g_T} - {x} @ ({out} @ {g_T})) @ {out} @ {P_T} "
            f"+ {P_T} @ {out} @ ({g_T} - {g_T} @ {out} @ {x})")


PINV = ArrayRule(forward=lambda params, x: np.linalg.pinv(x), vjps=(_pinv_vjp,), jvp=_of_tangent(_pinv_jvp),
                 shape=_pinv_shape, rule=_pinv_rule)


def _solve_shape(params, sa, sb):
    pair = f"{shape_text(sa)} and {shape_text(sb)}"
    if len(sa) < 2 or sa[-1] != sa[-2]:
        raise ShapeError(f"solve(a, b): a is a square matrix (or a stack of them), not {shape_text(sa)} "
                         f"(b is {shape_text(sb)})")
    if not sb:
        raise ShapeError(f"solve(a, b): b is a vector or a matrix, not a scalar ({pair})")
    if len(sb) == 1:
        if len(sa) > 2:
            raise ShapeError(f"solve(a, b) of {pair}: a vector b goes with one matrix a; for a stack, "
                             "give b the shape (..., n, 1)")
        if sb[0] != sa[-1]:
            raise ShapeError(f"solve(a, b) of {pair}: a is {sa[-2]} x {sa[-1]}, b has {sb[0]} elements")
        return sb
    if sb[-2] != sa[-1]:
        raise ShapeError(f"solve(a, b) of {pair}: a is {sa[-2]} x {sa[-1]}, b has {sb[-2]} rows")
    try:
        batch = tuple(np.broadcast_shapes(sa[:-2], sb[:-2]))
    except ValueError:
        raise ShapeError(f"solve(a, b) of {pair}: the stacks {shape_text(sa[:-2])} and {shape_text(sb[:-2])} "
                         "do not broadcast") from None
    return batch + sb[-2:]


def _solve_vjp_a(params, g, ans, a, b):
    gb = np.linalg.solve(_mT(a), g)
    return -np.outer(gb, ans) if b.ndim == 1 else _sum_to_shape(-(gb @ _mT(ans)), a.shape)


def _solve_vjp_b(params, g, ans, a, b):
    return _sum_to_shape(np.linalg.solve(_mT(a), g), b.shape)


def _solve_jvp(params, tangents, ans, a, b):
    ta, tb = tangents
    if ta is None and tb is None:
        return None
    rhs = (0.0 if tb is None else tb) - (0.0 if ta is None else ta @ ans)
    return np.linalg.solve(a, np.broadcast_to(rhs, np.shape(ans)))


def _solve_rule(j, n: RuleNames) -> str:
    a, (sa, sb), out = n.labels[0], n.shapes, n.out
    back = f"solve({_T(a, len(sa))}, {n.g})"
    result = _solve_shape(n.params, sa, sb)
    if j == 1:
        return summed_to(back, sb, result)
    if len(sb) == 1:
        return f"-outer({back}, {out})"
    return summed_to(f"-{back} @ {_T(out, len(result))}", sa, result)


SOLVE = ArrayRule(forward=lambda params, a, b: np.linalg.solve(a, b), vjps=(_solve_vjp_a, _solve_vjp_b),
                  jvp=_solve_jvp, shape=_solve_shape, rule=_solve_rule)


def _det_shape(params, s):
    return _square("det")(params, s)[:-2]


def _det(params, x):
    return _scalar(np.linalg.det(x))


def _cofactors(ans, x):
    """Jacobi's formula: d det(A) = tr(adj(A) dA), and adj(A)^T, the cofactor matrix, is det(A) A^-T.
    A singular matrix has no inverse but has cofactors: from its SVD A = U S Vh, they are
    det(U) det(Vh) U diag(p) Vh, where p[i] is the product of the singular values but the i-th."""
    if np.all(np.asarray(ans) != 0):
        return np.asarray(ans)[..., None, None] * _mT(np.linalg.inv(x))
    U, s, Vh = np.linalg.svd(x)
    others = np.prod(np.where(np.eye(s.shape[-1], dtype=bool), 1.0, s[..., None, :]), axis=-1)
    sign = np.linalg.det(U) * np.linalg.det(Vh)
    return sign[..., None, None] * ((U * others[..., None, :]) @ Vh)


DET = ArrayRule(forward=_det,
                vjps=(lambda params, g, ans, x: np.asarray(g)[..., None, None] * _cofactors(ans, x),),
                jvp=_of_tangent(lambda params, t, ans, x: _scalar(np.sum(_cofactors(ans, x) * t, axis=(-2, -1)))),
                shape=_det_shape,
                rule=lambda j, n: f"{_per_matrix(f'{n.g} * {n.out}', len(n.shapes[0]))} * "
                                  f"{_T(f'inv({n.x})', len(n.shapes[0]))}")


def _slogdet(params, x):
    return _scalar(np.linalg.slogdet(x)[params[-1]])


def _slogdet_vjp(params, g, ans, x):
    if params[-1] == 0:  # the sign is flat: no gradient
        return np.zeros(np.shape(x))
    return np.asarray(g)[..., None, None] * _mT(np.linalg.inv(x))


def _slogdet_jvp(params, t, ans, x):
    if params[-1] == 0:
        return _scalar(np.zeros(np.shape(ans)))
    return _scalar(np.sum(_mT(np.linalg.inv(x)) * t, axis=(-2, -1)))


def _slogdet_rule(j, n: RuleNames) -> str:
    if n.params[-1] == 0:
        return f"0 * {n.x}"
    d = len(n.shapes[0])
    return f"{_per_matrix(n.g, d)} * {_T(f'inv({n.x})', d)}"


SLOGDET = ArrayRule(forward=_slogdet, vjps=(_slogdet_vjp,), jvp=_of_tangent(_slogdet_jvp),
                    shape=_det_shape, rule=_slogdet_rule)


def _cholesky_vjp(params, g, ans, x):
    """Murray (2016): with P = Φ(L^T G), the gradient is the symmetric part of L^-T P L^-1."""
    Li = np.linalg.inv(ans)
    P = (_mT(ans) @ g) * _tril_mask(ans.shape[-1])
    return 0.5 * (_mT(Li) @ (P + _mT(P)) @ Li)


def _cholesky_jvp(params, t, ans, x):
    Li = np.linalg.inv(ans)
    return ans @ ((Li @ _sym(t) @ _mT(Li)) * _tril_mask(ans.shape[-1]))


def _cholesky_rule(j, n: RuleNames) -> str:
    d, out = len(n.shapes[0]), n.out
    P = f"({_T(out, d)} @ {n.g}) * {_mask_text(n.shapes[0][-1])}"
    return f"0.5 * {_T(f'inv({out})', d)} @ ({P} + {_T(f'({P})', d)}) @ inv({out})"


CHOLESKY = ArrayRule(forward=lambda params, x: np.linalg.cholesky(_sym(x)), vjps=(_cholesky_vjp,),
                     jvp=_of_tangent(_cholesky_jvp), shape=_square("cholesky"), rule=_cholesky_rule)


def _one_piece(params, ans, args):
    """A tie is found where it is (``kinks``), not by the pieces on either side of a step."""
    return 0.0


def _eigh_shape(params, s):
    _square("eigh")(params, s)
    return s[:-1] if params[-1] == 0 else s


def _eigh_vjp(params, g, ans, x):
    w, V = np.linalg.eigh(_sym(x))
    if params[-1] == 0:  # V diag(g) V^T
        return (V * np.asarray(g)[..., None, :]) @ _mT(V)
    K = _inverse_gaps(w) * (_mT(V) @ g)
    return 0.5 * (V @ (K + _mT(K)) @ _mT(V))


def _eigh_jvp(params, t, ans, x):
    w, V = np.linalg.eigh(_sym(x))
    M = _mT(V) @ _sym(t) @ V
    if params[-1] == 0:
        return np.einsum("...ii->...i", M)
    return V @ (_inverse_gaps(w) * M)


def _eigh_rule(j, n: RuleNames) -> str:
    d, x, out, g = len(n.shapes[0]), n.x, n.out, n.g
    if n.params[-1] == 0:
        V = f"eigh({x})[1]"
        return f"({V} * {_row(g, d)}) @ {_T(V, d)}"
    K = f"{_gaps_text(f'eigh({x})[0]', n.shapes[0][-1])} * ({_T(out, d)} @ {g})"
    return f"0.5 * {out} @ ({K} + {_T(f'({K})', d)}) @ {_T(out, d)}"


EIGH = ArrayRule(forward=lambda params, x: np.linalg.eigh(_sym(x))[params[-1]], vjps=(_eigh_vjp,),
                 jvp=_of_tangent(_eigh_jvp), shape=_eigh_shape, rule=_eigh_rule,
                 kinks=lambda params, ans, args, moved: bool(np.any(moved[0])) and
                 _tied(np.linalg.eigvalsh(_sym(args[0]))), pieces=_one_piece)


def _svd_shape(params, s):
    if len(s) < 2:
        raise ShapeError(f"svd takes a matrix (or a stack of them), not {'a scalar' if not s else shape_text(s)}")
    m, n = s[-2:]
    k = min(m, n)
    if params[0] and m != n:
        raise ShapeError(f"svd of {shape_text(s)}: write svd(A, full_matrices=False); gradcli gives the thin "
                         f"SVD of a matrix that is not square (U {shape_text(s[:-2] + (m, k))}, "
                         f"s {shape_text(s[:-2] + (k,))}, Vh {shape_text(s[:-2] + (k, n))})")
    return (s[:-2] + (m, k), s[:-2] + (k,), s[:-2] + (k, n))[params[-1]]


def _svd(x):
    return np.linalg.svd(x, full_matrices=False)


def _svd_vjp(params, g, ans, x):
    """Townsend (2016), one result at a time; F[i, j] = 1/(s_j^2 - s_i^2)."""
    U, s, Vh = _svd(x)
    m, n = x.shape[-2:]
    k = s.shape[-1]
    pick = params[-1]
    if pick == 1:
        return (U * g[..., None, :]) @ Vh
    F = _inverse_gaps(s * s)
    if pick == 0:
        J = _mT(U) @ g
        K = F * J
        out = U @ ((K + _mT(K)) * s[..., None, :]) @ Vh
        if m > k:
            out = out + ((g - U @ J) * (1.0 / s)[..., None, :]) @ Vh
        return out
    J = Vh @ _mT(g)
    K = F * J
    out = U @ (s[..., :, None] * (K + _mT(K))) @ Vh
    if n > k:
        out = out + (U * (1.0 / s)[..., None, :]) @ (g - (g @ _mT(Vh)) @ Vh)
    return out


def _svd_jvp(params, t, ans, x):
    U, s, Vh = _svd(x)
    m, n = x.shape[-2:]
    k = s.shape[-1]
    dP = _mT(U) @ t @ _mT(Vh)
    pick = params[-1]
    if pick == 1:
        return np.einsum("...ii->...i", dP)
    F = _inverse_gaps(s * s)
    row, column = s[..., None, :], s[..., :, None]
    if pick == 0:
        dU = U @ (F * (dP * row + column * _mT(dP)))
        if m > k:
            dU = dU + (t @ _mT(Vh) - U @ dP) * (1.0 / s)[..., None, :]
        return dU
    V = _mT(Vh)
    dV = V @ (F * (column * dP + _mT(dP) * row))
    if n > k:
        dV = dV + (_mT(t) @ U - V @ _mT(dP)) * (1.0 / s)[..., None, :]
    return _mT(dV)


def _svd_rule(j, n: RuleNames) -> str:
    d, x, out, g = len(n.shapes[0]), n.x, n.out, n.g
    m, cols = n.shapes[0][-2:]
    k = min(m, cols)
    call = f"svd({x})" if n.params[0] else f"svd({x}, full_matrices=False)"
    U, s, Vh = f"{call}[0]", f"{call}[1]", f"{call}[2]"
    pick = n.params[-1]
    if pick == 1:
        return f"({U} * {_row(g, d)}) @ {Vh}"
    F = _gaps_text(s, k, "^2")
    if pick == 0:
        J = f"{_T(out, d)} @ {g}"
        K = f"{F} * ({J})"
        text = f"{out} @ (({K} + {_T(f'({K})', d)}) * {_row(s, d)}) @ {Vh}"
        if m > k:
            text += f" + (({g} - {out} @ ({J})) / {_row(s, d)}) @ {Vh}"
        return text
    J = f"{out} @ {_T(g, d)}"
    K = f"{F} * ({J})"
    text = f"{U} @ ({_column(s)} * ({K} + {_T(f'({K})', d)})) @ {out}"
    if cols > k:
        text += f" + ({U} / {_row(s, d)}) @ ({g} - ({g} @ {_T(out, d)}) @ {out})"
    return text


def _svd_kinks(params, ans, args, moved):
    s = np.linalg.svd(args[0], compute_uv=False)
    return bool(np.any(moved[0])) and (_tied(s) or bool(np.any(s == 0)))


SVD = ArrayRule(forward=lambda params, x: _svd(x)[params[-1]], vjps=(_svd_vjp,), jvp=_of_tangent(_svd_jvp),
                shape=_svd_shape, rule=_svd_rule, kinks=_svd_kinks, pieces=_one_piece)
