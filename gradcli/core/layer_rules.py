"""The layers people write: 2-D convolution and pooling, in cs231n's layout and PyTorch's names.

An image batch ``x`` is (N, C, H, W), a kernel ``w`` is (F, C, HH, WW).  A convolution is
im2col (the windows as a view, ``sliding_window_view`` with the stride a slice of it, copied
once into a (C*HH*WW, N*Ho*Wo) matrix) and one matrix product: no Python loop over pixels.
Scattering back (col2im) and pooling loop over the HH * WW kernel offsets, each a strided slice.

The three convolution ops are one trilinear form read three ways,
``T(x, w, g) = sum x_pad[n, c, s*ho + i, s*wo + j] * w[f, c, i, j] * g[n, f, ho, wo]``:
``conv2d(x, w)`` is T's gradient with respect to g, ``conv_transpose2d(g, w)`` with respect
to x, ``conv2d_weight(x, g)`` with respect to w.  So each one's VJP is one of the others, and
the tensor-level rules stay exact for every stride and padding.

Max pooling routes the gradient to the first maximum of each window in row-major order, as
PyTorch does: ``max_pool2d_backward(g, x)`` scatters g to those places and
``max_pool2d_gather(t, x)`` reads t there (max pooling's JVP), each the other's VJP.
``avg_pool2d_backward(g, x)`` spreads g evenly over the windows (x gives only the shape).
x's gradient through these backward ops is 0: they are flat between ties, as a mask is.
"""

from __future__ import annotations

import functools

from gradcli.core.array_rules import ArrayRule, RuleNames, ShapeError
from gradcli.core.values import np, shape_text

# ---------------------------------------------------------------- fixed arguments


def _pair(value, what: str, least: int) -> tuple[int, int]:
    """A stride, padding or kernel size: a whole number, or a pair of them (height, width)."""
    values = value if isinstance(value, tuple) else (value, value)
    if len(values) != 2 or not all(type(v) is int and v >= least for v in values):
        raise ShapeError(f"{what} is a whole number of at least {least}, or a pair of them "
                         f"like (2, 1), not {value!r}")
    return values


def _four_axes(what: str, s: tuple, layout: str):
    if len(s) != 4:
        raise ShapeError(f"{what} has 4 axes {layout}, not shape {shape_text(s)}")


def _static(value) -> str:
    return f"({value[0]}, {value[1]})" if isinstance(value, tuple) else str(value)


def _keywords(**values) -> str:
    """``, stride=2, padding=1``: the fixed arguments of a rule that differ from their defaults
    (a stride's is 1, a padding's 0)."""
    default = {"stride": 1}
    return "".join(f", {name}={_static(v)}" for name, v in values.items() if v != default.get(name, 0))


def _same(pair: tuple[int, int]):
    """A pair written as one number when both are equal (as the program would write it)."""
    return pair[0] if pair[0] == pair[1] else pair


def _formula(label, j, index, text=None):
    if label is None:
        return None
    return text if text is not None else label(j, index)


# ---------------------------------------------------------------- the numpy kernels


def _windows(x, kernel, stride, padding):
    """x's windows, (N, C, Ho, Wo, HH, WW), a view of x (or of x padded with zeros): im2col, no copy."""
    ph, pw = padding
    if ph or pw:
        x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    view = np.lib.stride_tricks.sliding_window_view(x, kernel, axis=(2, 3))
    return view[:, :, ::stride[0], ::stride[1]]


def _columns(x, kernel, stride, padding):
    """im2col: the windows as a matrix (C*HH*WW, N*Ho*Wo), copied from the view in an order whose
    inner loop runs along x's rows; and (Ho, Wo)."""
    win = _windows(x, kernel, stride, padding)
    N, C, Ho, Wo, kh, kw = win.shape
    return win.transpose(1, 4, 5, 0, 2, 3).reshape(C * kh * kw, N * Ho * Wo), (Ho, Wo)


def _by_channel(g):
    """g (N, F, Ho, Wo) as a matrix (F, N*Ho*Wo), the columns' order."""
    return np.transpose(g, (1, 0, 2, 3)).reshape(g.shape[1], -1)


def _conv(x, w, stride, padding):
    cols, (Ho, Wo) = _columns(x, w.shape[2:], stride, padding)
    out = (w.reshape(w.shape[0], -1) @ cols).reshape(w.shape[0], x.shape[0], Ho, Wo)
    return np.ascontiguousarray(out.transpose(1, 0, 2, 3))


def _conv_weight(x, g, kernel, stride, padding):
    cols, _ = _columns(x, kernel, stride, padding)
    return (_by_channel(g) @ cols.T).reshape((g.shape[1], x.shape[1]) + tuple(kernel))


def _col2im(cols, size, stride, padding):
    """Each kernel offset's columns (HH, WW, C, N, Ho, Wo) added back where their windows read,
    then the padding cut off: (N, C, H, W).  One slice per kernel offset, none per pixel."""
    kh, kw, C, N, Ho, Wo = cols.shape
    (sh, sw), (ph, pw) = stride, padding
    out = np.zeros((C, N, size[0] + 2 * ph, size[1] + 2 * pw))
    for i in range(kh):
        for j in range(kw):
            out[:, :, i:i + sh * (Ho - 1) + 1:sh, j:j + sw * (Wo - 1) + 1:sw] += cols[i, j]
    return np.ascontiguousarray(out[:, :, ph:ph + size[0], pw:pw + size[1]].transpose(1, 0, 2, 3))


def _conv_transpose(g, w, stride, padding, size):
    F, C, kh, kw = w.shape
    cols = (w.reshape(F, -1).T @ _by_channel(g)).reshape((C, kh, kw, g.shape[0]) + g.shape[2:])
    return _col2im(cols.transpose(1, 2, 0, 3, 4, 5), size, stride, padding)  # (HH, WW, C, N, Ho, Wo)


# ---------------------------------------------------------------- convolution: geometry


class _Conv:
    """One convolution's sizes, read from an op's params and its operands' shapes."""

    __slots__ = ("stride", "padding", "kernel", "x", "g")

    def __init__(self, stride, padding, kernel, x, g):
        self.stride, self.padding, self.kernel, self.x, self.g = stride, padding, kernel, x, g

    def remainder(self) -> tuple[int, int]:
        """What a stride leaves over at the bottom and right of x: conv_transpose2d's output_padding."""
        return tuple((self.x[2 + a] + 2 * self.padding[a] - self.kernel[a]) % self.stride[a] for a in (0, 1))

    def keywords(self, output_padding: bool = False) -> str:
        extra = {"output_padding": _same(self.remainder())} if output_padding else {}
        return _keywords(stride=_same(self.stride), padding=_same(self.padding), **extra)

    def terms(self, fixed: str, k: tuple):
        """The terms of T that the element ``k`` of x, w or g (``fixed``) sums: (x index, w index, g index),
        the padding's zeros left out."""
        (sh, sw), (ph, pw) = self.stride, self.padding
        (kh, kw), (N, C, H, W), (_, F, Ho, Wo) = self.kernel, self.x, self.g
        if fixed == "g":
            n, f, ho, wo = k
            for c in range(C):
                for i in range(kh):
                    for j in range(kw):
                        h, v = sh * ho + i - ph, sw * wo + j - pw
                        if 0 <= h < H and 0 <= v < W:
                            yield (n, c, h, v), (f, c, i, j), k
        elif fixed == "x":
            n, c, h, v = k
            for f in range(F):
                for i in range(kh):
                    for j in range(kw):
                        ho, rh = divmod(h + ph - i, sh)
                        wo, rw = divmod(v + pw - j, sw)
                        if rh == 0 and rw == 0 and 0 <= ho < Ho and 0 <= wo < Wo:
                            yield k, (f, c, i, j), (n, f, ho, wo)
        else:
            f, c, i, j = k
            for n in range(N):
                for ho in range(Ho):
                    for wo in range(Wo):
                        h, v = sh * ho + i - ph, sw * wo + j - pw
                        if 0 <= h < H and 0 <= v < W:
                            yield (n, c, h, v), k, (n, f, ho, wo)


def _out_size(H, W, kernel, stride, padding, what="the kernel"):
    size = [H + 2 * padding[0], W + 2 * padding[1]]
    if size[0] < kernel[0] or size[1] < kernel[1]:
        padded = " padded" if padding != (0, 0) else ""
        raise ShapeError(f"{what} {kernel[0]} x {kernel[1]} is larger than the{padded} input "
                         f"{size[0]} x {size[1]}")
    return (size[0] - kernel[0]) // stride[0] + 1, (size[1] - kernel[1]) // stride[1] + 1


def _no_bias(op, bias):
    if bias is not None:
        raise ShapeError(f"the bias is added after the call: {op}(x, w) + b[:, None, None]")


# ---------------------------------------------------------------- conv2d(x, w)


def _conv2d_geometry(params, sx, sw) -> _Conv:
    bias, stride, padding = params
    _no_bias("conv2d", bias)
    stride, padding = _pair(stride, "the stride", 1), _pair(padding, "the padding", 0)
    _four_axes("x", sx, "(N, C, H, W)")
    _four_axes("w", sw, "(F, C, HH, WW)")
    if sx[1] != sw[1]:
        raise ShapeError(f"the channels differ: x {shape_text(sx)} has {sx[1]} (axis 1), w {shape_text(sw)} "
                         f"expects {sw[1]} (axis 1)")
    Ho, Wo = _out_size(sx[2], sx[3], sw[2:], stride, padding)
    return _Conv(stride, padding, tuple(sw[2:]), tuple(sx), (sx[0], sw[0], Ho, Wo))


def _conv2d_forward(params, x, w):
    return _conv(x, w, *_strides(_conv2d_geometry(params, x.shape, w.shape)))


def _conv2d_vjp_x(params, g, ans, x, w):
    c = _conv2d_geometry(params, x.shape, w.shape)
    return _conv_transpose(g, w, c.stride, c.padding, x.shape[2:])


def _conv2d_vjp_w(params, g, ans, x, w):
    c = _conv2d_geometry(params, x.shape, w.shape)
    return _conv_weight(x, g, c.kernel, c.stride, c.padding)


def _conv2d_rule(j, n: RuleNames) -> str:
    c = _conv2d_geometry(n.params, *n.shapes)
    x, w = n.labels
    if j == 0:
        return f"conv_transpose2d({n.g}, {w}{c.keywords(output_padding=True)})"
    return f"conv2d_weight({x}, {n.g}, {_static(_same(c.kernel))}{c.keywords()})"


def _pairs(op: str, reads: str):
    """The element rule of a convolution op whose result is T's ``reads`` tensor and whose operands are
    the other two: each operand element's partial is the value of the other operand's element in the term."""
    tensors = {"conv2d": ("x", "w"), "conv_transpose2d": ("g", "w"), "conv2d_weight": ("x", "g")}[op]
    slot = {"x": 0, "w": 1, "g": 2}

    def elements(params, k, ans, args, label=None):
        c = _GEOMETRY[op](params, *(np.shape(a) for a in args))
        a, b = args
        out = []
        for term in c.terms(reads, tuple(k)):
            ia, ib = term[slot[tensors[0]]], term[slot[tensors[1]]]
            out.append((0, ia, float(b[ib]), _formula(label, 1, ib)))
            out.append((1, ib, float(a[ia]), _formula(label, 0, ia)))
        return out

    return elements


def _product_jvp(product):
    """The JVP of an op linear in each operand: product(ta, b) + product(a, tb), with the op's params."""

    def jvp(params, tangents, ans, a, b):
        ta, tb = tangents
        terms = [product(params, ta, b) if ta is not None else None, product(params, a, tb) if tb is not None else None]
        terms = [t for t in terms if t is not None]
        return terms[0] + terms[1] if len(terms) == 2 else (terms[0] if terms else None)

    return jvp


CONV2D = ArrayRule(forward=_conv2d_forward,
                   vjps=(_conv2d_vjp_x, _conv2d_vjp_w),
                   jvp=_product_jvp(_conv2d_forward),
                   shape=lambda params, sx, sw: _conv2d_geometry(params, sx, sw).g,
                   rule=_conv2d_rule,
                   elements=_pairs("conv2d", "g"))


# ---------------------------------------------------------------- conv_transpose2d(g, w)


def _conv_transpose2d_geometry(params, sg, sw) -> _Conv:
    bias, stride, padding, output_padding = params
    _no_bias("conv_transpose2d", bias)
    stride = _pair(stride, "the stride", 1)
    padding = _pair(padding, "the padding", 0)
    extra = _pair(output_padding, "the output_padding", 0)
    _four_axes("g", sg, "(N, F, Ho, Wo)")
    _four_axes("w", sw, "(F, C, HH, WW)")
    if sg[1] != sw[0]:
        raise ShapeError(f"the channels differ: g {shape_text(sg)} has {sg[1]} (axis 1), w {shape_text(sw)} "
                         f"expects {sw[0]} (axis 0)")
    if extra[0] >= stride[0] or extra[1] >= stride[1]:
        raise ShapeError(f"the output_padding {_static(output_padding)} must be smaller "
                         f"than the stride {_static(params[1])}")
    H, W = ((sg[2 + a] - 1) * stride[a] - 2 * padding[a] + sw[2 + a] + extra[a] for a in (0, 1))
    if H < 1 or W < 1:
        raise ShapeError(f"the padding {_static(params[2])} leaves no output "
                         f"({H} x {W}) for g {shape_text(sg)} and w {shape_text(sw)}")
    return _Conv(stride, padding, tuple(sw[2:]), (sg[0], sw[1], H, W), tuple(sg))


def _conv_transpose2d_forward(params, g, w):
    c = _conv_transpose2d_geometry(params, g.shape, w.shape)
    return _conv_transpose(g, w, c.stride, c.padding, c.x[2:])


def _conv_transpose2d_rule(j, n: RuleNames) -> str:
    c = _conv_transpose2d_geometry(n.params, *n.shapes)
    g, w = n.labels
    if j == 0:
        return f"conv2d({n.g}, {w}{c.keywords()})"
    return f"conv2d_weight({n.g}, {g}, {_static(_same(c.kernel))}{c.keywords()})"


CONV_TRANSPOSE2D = ArrayRule(
    forward=_conv_transpose2d_forward,
    vjps=(lambda params, u, ans, g, w: _conv(u, w, *_strides(_conv_transpose2d_geometry(params, g.shape, w.shape))),
          lambda params, u, ans, g, w: _conv_weight(u, g, *_kernel_strides(
              _conv_transpose2d_geometry(params, g.shape, w.shape)))),
    jvp=_product_jvp(_conv_transpose2d_forward),
    shape=lambda params, sg, sw: _conv_transpose2d_geometry(params, sg, sw).x,
    rule=_conv_transpose2d_rule,
    elements=_pairs("conv_transpose2d", "x"))


def _strides(c: _Conv):
    return c.stride, c.padding


def _kernel_strides(c: _Conv):
    return c.kernel, c.stride, c.padding


# ---------------------------------------------------------------- conv2d_weight(x, g, kernel_size)


def _conv2d_weight_geometry(params, sx, sg) -> _Conv:
    kernel, stride, padding = params
    kernel = _pair(kernel, "the kernel_size", 1)
    stride = _pair(stride, "the stride", 1)
    padding = _pair(padding, "the padding", 0)
    _four_axes("x", sx, "(N, C, H, W)")
    _four_axes("g", sg, "(N, F, Ho, Wo)")
    Ho, Wo = _out_size(sx[2], sx[3], kernel, stride, padding, "the kernel_size")
    if sg[0] != sx[0] or sg[2:] != (Ho, Wo):
        raise ShapeError(f"g {shape_text(sg)} is not the shape of conv2d's output for x "
                         f"{shape_text(sx)}: (N, F, Ho, Wo) = ({sx[0]}, F, {Ho}, {Wo})")
    return _Conv(stride, padding, kernel, tuple(sx), tuple(sg))


def _conv2d_weight_forward(params, x, g):
    return _conv_weight(x, g, *_kernel_strides(_conv2d_weight_geometry(params, x.shape, g.shape)))


def _conv2d_weight_rule(j, n: RuleNames) -> str:
    c = _conv2d_weight_geometry(n.params, *n.shapes)
    x, g = n.labels
    if j == 0:
        return f"conv_transpose2d({g}, {n.g}{c.keywords(output_padding=True)})"
    return f"conv2d({x}, {n.g}{c.keywords()})"


def _conv2d_weight_vjp_x(params, u, ans, x, g):
    c = _conv2d_weight_geometry(params, x.shape, g.shape)
    return _conv_transpose(g, u, c.stride, c.padding, x.shape[2:])


CONV2D_WEIGHT = ArrayRule(
    forward=_conv2d_weight_forward,
    vjps=(_conv2d_weight_vjp_x,
          lambda params, u, ans, x, g: _conv(x, u, *_strides(_conv2d_weight_geometry(params, x.shape, g.shape)))),
    jvp=_product_jvp(_conv2d_weight_forward),
    shape=lambda params, sx, sg: (sg[1], sx[1]) + _conv2d_weight_geometry(params, sx, sg).kernel,
    rule=_conv2d_weight_rule,
    elements=_pairs("conv2d_weight", "w"))

_GEOMETRY = {"conv2d": _conv2d_geometry, "conv_transpose2d": _conv_transpose2d_geometry,
             "conv2d_weight": _conv2d_weight_geometry}


# ---------------------------------------------------------------- pooling: geometry


def _pool_geometry(params, sx):
    """(kernel, stride, (Ho, Wo)) of a pooling op over x; ``params`` = (kernel_size, stride)."""
    kernel = _pair(params[0], "the kernel_size", 1)
    stride = kernel if params[1] is None else _pair(params[1], "the stride", 1)
    _four_axes("x", sx, "(N, C, H, W)")
    return kernel, stride, _out_size(sx[2], sx[3], kernel, stride, (0, 0), "the window")


def _pool_keywords(params) -> str:
    kernel, stride = params
    return f", {_static(kernel)}" + (f", stride={_static(stride)}" if stride is not None else "")


def _pooled_like(params, sg, sx):
    """The pooled shape of x, checked against g's (a backward op's operands)."""
    _, _, size = _pool_geometry(params, sx)
    pooled = tuple(sx[:2]) + size
    if tuple(sg) != pooled:
        raise ShapeError(f"g {shape_text(sg)} is not the shape of the pooled x {shape_text(sx)}: "
                         f"{shape_text(pooled)}")
    return pooled


def _window_of(params, x_shape, k):
    """The indices of x in the window that the pooled element ``k`` reads, in row-major order."""
    kernel, stride, _ = _pool_geometry(params, x_shape)
    n, c, ho, wo = k
    return [(n, c, ho * stride[0] + i, wo * stride[1] + j) for i in range(kernel[0]) for j in range(kernel[1])]


# ---------------------------------------------------------------- max pooling


def _flat_windows(params, x):
    kernel, stride, _ = _pool_geometry(params, x.shape)
    win = _windows(x, kernel, stride, (0, 0))
    return win.reshape(win.shape[:4] + (-1,))


def _offsets(x, params):
    """Each kernel offset k = i*WW + j, in row-major order, with the element at that offset of every
    window: a strided view (N, C, Ho, Wo) of x.  A pooling op loops over these, never over pixels."""
    (kh, kw), (sh, sw), (Ho, Wo) = _pool_geometry(params, np.shape(x))
    for i in range(kh):
        for j in range(kw):
            yield i * kw + j, x[:, :, i:i + sh * (Ho - 1) + 1:sh, j:j + sw * (Wo - 1) + 1:sw]


def _argmax(params, x):
    """Each window's first maximum in row-major order, as its offset in the window: PyTorch's choice
    at a tie (a later element wins only when larger, or nan, as in PyTorch's loop)."""
    best = arg = None
    for k, view in _offsets(x, params):
        if best is None:
            best, arg = view.copy(), np.zeros(view.shape, dtype=np.intp)
            continue
        better = (view > best) | np.isnan(view)
        np.copyto(best, view, where=better)
        arg[better] = k
    return arg


def _place(params, x_shape, window, k) -> tuple:
    """The index in x of offset k of the window at (n, c, ho, wo)."""
    (_, kw), stride, _ = _pool_geometry(params, x_shape)
    n, c, ho, wo = window
    return n, c, ho * stride[0] + k // kw, wo * stride[1] + k % kw


def _max_pool(params, x):
    views = [view for _, view in _offsets(x, params)]
    return functools.reduce(np.maximum, views[1:], views[0].copy())


def _scatter(params, g, x):
    """max_pool2d_backward: each window's g added at its maximum, one kernel offset at a time."""
    arg, out = _argmax(params, x), np.zeros(np.shape(x))
    for k, view in _offsets(out, params):
        view += np.where(arg == k, g, 0.0)
    return out


def _gather(params, t, x):
    """max_pool2d_gather: t read at each window's maximum."""
    arg = _argmax(params, x)
    out = np.zeros(arg.shape)
    for k, view in _offsets(np.asarray(t), params):
        np.copyto(out, view, where=arg == k)
    return out


def _ties(params, ans, x, moved):
    """A moved element of x that is its window's maximum, tied with another in the window."""
    flat = _flat_windows(params, x)
    top = np.max(flat, axis=-1, keepdims=True)
    hit = flat == top
    tied = hit & (np.sum(hit, axis=-1, keepdims=True) > 1)
    return bool(np.any(tied & _flat_windows(params, moved)))


def _max_elements(params, k, ans, args, label=None):
    """The window's first maximum has partial 1, its other elements 0."""
    x = args[0]
    window = _window_of(params, x.shape, k)
    top = max(window, key=lambda t: (x[t], -window.index(t)))
    return [(0, t, 1.0 if t == top else 0.0, _formula(label, 0, t, "1" if t == top else "0")) for t in window]


MAX_POOL2D = ArrayRule(
    forward=_max_pool,
    vjps=(lambda params, g, ans, x: _scatter(params, g, x),),
    jvp=lambda params, tangents, ans, x: None if tangents[0] is None else _gather(params, tangents[0], x),
    shape=lambda params, s: tuple(s[:2]) + _pool_geometry(params, s)[2],
    rule=lambda j, n: f"max_pool2d_backward({n.g}, {n.x}{_pool_keywords(n.params)})",
    elements=_max_elements,
    kinks=lambda params, ans, args, moved: _ties(params, ans, args[0], moved[0]),
    pieces=lambda params, ans, args: _argmax(params, args[0]))


def _zero_for_x(linear):
    """The VJPs of an op linear in its first operand and flat in x (its second): x gets 0."""
    return (linear, lambda params, g, ans, t, x: np.zeros(np.shape(x)))


def _scatter_elements(params, k, ans, args, label=None):
    """x's element k takes g from every window whose maximum it is (partial 1 each)."""
    g, x = args
    _, _, (Ho, Wo) = _pool_geometry(params, x.shape)
    arg = _argmax(params, x)
    windows = [(k[0], k[1], ho, wo) for ho in range(Ho) for wo in range(Wo)]
    return [(0, at, 1.0, _formula(label, 0, at, "1")) for at in windows
            if _place(params, x.shape, at, int(arg[at])) == tuple(k)]


def _gather_elements(params, k, ans, args, label=None):
    """The pooled element k is t at its window's maximum (partial 1)."""
    t, x = args
    at = _place(params, x.shape, tuple(k), int(_argmax(params, x)[tuple(k)]))
    return [(0, at, 1.0, _formula(label, 0, at, "1"))]


def _backward_shape(params, sg, sx):
    _pooled_like(params, sg, sx)
    return tuple(sx)


def _flat_in_x(linear, shape, rule, elements, ties: bool) -> ArrayRule:
    """An op linear in its first operand and flat in x, its second (a backward op of pooling):
    ``rule`` = (the first operand's rule text from the RuleNames, its VJP); x's rule is ``0 * x``."""
    return ArrayRule(forward=lambda params, t, x: linear(params, t, x),
                     vjps=_zero_for_x(rule[1]),
                     jvp=lambda params, tangents, ans, t, x: None if tangents[0] is None
                     else linear(params, tangents[0], x),
                     shape=shape,
                     rule=lambda j, n: rule[0](n) if j == 0 else f"0 * {n.labels[1]}",
                     elements=elements,
                     kinks=(lambda params, ans, args, moved: _ties(params, ans, args[1], moved[1])) if ties else None,
                     pieces=(lambda params, ans, args: _argmax(params, args[1])) if ties else None)


MAX_POOL2D_BACKWARD = _flat_in_x(
    _scatter, _backward_shape,
    (lambda n: f"max_pool2d_gather({n.g}, {n.labels[1]}{_pool_keywords(n.params)})",
     lambda params, u, ans, g, x: _gather(params, u, x)),
    _scatter_elements, ties=True)


def _gather_shape(params, st, sx):
    if tuple(st) != tuple(sx):
        raise ShapeError(f"t {shape_text(st)} and x {shape_text(sx)} differ")
    return tuple(sx[:2]) + _pool_geometry(params, sx)[2]


MAX_POOL2D_GATHER = _flat_in_x(
    _gather, _gather_shape,
    (lambda n: f"max_pool2d_backward({n.g}, {n.labels[1]}{_pool_keywords(n.params)})",
     lambda params, u, ans, t, x: _scatter(params, u, x)),
    _gather_elements, ties=True)


# ---------------------------------------------------------------- average pooling


def _avg_pool(params, x):
    kernel = _pool_geometry(params, x.shape)[0]
    views = [view for _, view in _offsets(x, params)]
    return functools.reduce(np.add, views[1:], views[0].copy()) / (kernel[0] * kernel[1])


def _avg_spread(params, g, x):
    """avg_pool2d_backward: each window's g / (HH * WW) added over the window, one kernel offset at a time."""
    kernel, stride, _ = _pool_geometry(params, np.shape(x))
    share = np.transpose(np.asarray(g) / (kernel[0] * kernel[1]), (1, 0, 2, 3))  # (C, N, Ho, Wo)
    cols = np.broadcast_to(share, kernel + share.shape)
    return _col2im(cols, np.shape(x)[2:], stride, (0, 0))


def _avg_elements(params, k, ans, args, label=None):
    kernel = _pool_geometry(params, args[0].shape)[0]
    count = kernel[0] * kernel[1]
    return [(0, t, 1.0 / count, _formula(label, 0, t, f"1/{count}"))
            for t in _window_of(params, args[0].shape, k)]


def _spread_elements(params, k, ans, args, label=None):
    """x's element k takes g / (HH * WW) from every window that holds it."""
    g, x = args
    kernel, stride, (Ho, Wo) = _pool_geometry(params, x.shape)
    count = kernel[0] * kernel[1]
    n, c, h, v = k
    return [(0, (n, c, ho, wo), 1.0 / count, _formula(label, 0, (), f"1/{count}"))
            for ho in range(Ho) for wo in range(Wo)
            if 0 <= h - ho * stride[0] < kernel[0] and 0 <= v - wo * stride[1] < kernel[1]]


AVG_POOL2D = ArrayRule(
    forward=_avg_pool,
    vjps=(lambda params, g, ans, x: _avg_spread(params, g, x),),
    jvp=lambda params, tangents, ans, x: None if tangents[0] is None else _avg_pool(params, tangents[0]),
    shape=lambda params, s: tuple(s[:2]) + _pool_geometry(params, s)[2],
    rule=lambda j, n: f"avg_pool2d_backward({n.g}, {n.x}{_pool_keywords(n.params)})",
    elements=_avg_elements)

AVG_POOL2D_BACKWARD = _flat_in_x(
    _avg_spread, _backward_shape,
    (lambda n: f"avg_pool2d({n.g}{_pool_keywords(n.params)})",
     lambda params, u, ans, g, x: _avg_pool(params, u)),
    _spread_elements, ties=False)
