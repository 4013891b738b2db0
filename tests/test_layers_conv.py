"""conv2d, max_pool2d and avg_pool2d against plain loops written here, pixel by pixel (cs231n's naive
layers): the values, and the gradients of ``sum(layer(...) * R)`` through gradcli's language and
reverse sweep, which must be the loops' backward pass with upstream R.  PyTorch's conventions are
the reference: cross-correlation, zero padding, the first maximum of a window (row-major) wins a tie.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from conftest import run

from gradcli.autodiff.gradient import evaluate
from gradcli.autodiff.loading import load
from gradcli.core.ops import OPS

RNG = np.random.default_rng(20)


def binding(name: str, value) -> str:
    return f"{name}={json.dumps(np.asarray(value).tolist())}"


def gradcli_grad(program: str, **values):
    result = evaluate(load(program, [binding(k, v) for k, v in values.items()]))
    return result.value, result.gradient


def pair(v):
    return v if isinstance(v, tuple) else (v, v)


def naive_conv(x, w, stride, padding):
    """out[n, f, i, j] = sum over c, di, dj of x_pad[n, c, i*s + di, j*s + dj] * w[f, c, di, dj]."""
    (sh, sw), (ph, pw) = pair(stride), pair(padding)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    N, _, Hp, Wp = xp.shape
    F, _, HH, WW = w.shape
    out = np.zeros((N, F, (Hp - HH) // sh + 1, (Wp - WW) // sw + 1))
    for n in range(N):
        for f in range(F):
            for i in range(out.shape[2]):
                for j in range(out.shape[3]):
                    out[n, f, i, j] = np.sum(xp[n, :, i * sh:i * sh + HH, j * sw:j * sw + WW] * w[f])
    return out


def naive_conv_backward(x, w, g, stride, padding):
    (sh, sw), (ph, pw) = pair(stride), pair(padding)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    HH, WW = w.shape[2:]
    for n in range(g.shape[0]):
        for f in range(g.shape[1]):
            for i in range(g.shape[2]):
                for j in range(g.shape[3]):
                    window = (n, slice(None), slice(i * sh, i * sh + HH), slice(j * sw, j * sw + WW))
                    dxp[window] += g[n, f, i, j] * w[f]
                    dw[f] += g[n, f, i, j] * xp[window]
    return dxp[:, :, ph:ph + x.shape[2], pw:pw + x.shape[3]], dw


def naive_pool(x, kernel, stride, kind):
    """The pooled values, and each window's gradient weights: the first maximum (row-major), or 1/(kh*kw)."""
    (kh, kw) = pair(kernel)
    (sh, sw) = pair(stride if stride is not None else kernel)
    N, C, H, W = x.shape
    Ho, Wo = (H - kh) // sh + 1, (W - kw) // sw + 1
    out, weights = np.zeros((N, C, Ho, Wo)), []
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    window = x[n, c, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    weight = np.zeros((H, W))
                    if kind == "max":
                        best = (0, 0)
                        for a in range(kh):
                            for b in range(kw):
                                if window[a, b] > window[best]:
                                    best = (a, b)
                        out[n, c, i, j] = window[best]
                        weight[i * sh + best[0], j * sw + best[1]] = 1.0
                    else:
                        out[n, c, i, j] = window.mean()
                        weight[i * sh:i * sh + kh, j * sw:j * sw + kw] = 1.0 / (kh * kw)
                    weights.append(((n, c, i, j), weight))
    return out, weights


def pool_backward(x, g, weights):
    dx = np.zeros_like(x)
    for (n, c, i, j), weight in weights:
        dx[n, c] += g[n, c, i, j] * weight
    return dx


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", [
    ((2, 3, 5, 5), (4, 3, 3, 3), 1, 0),
    ((2, 3, 5, 5), (4, 3, 3, 3), 1, 1),
    ((1, 2, 7, 6), (3, 2, 3, 2), 2, 1),
    ((2, 1, 6, 7), (2, 1, 2, 3), (2, 3), (1, 0)),
    ((1, 2, 4, 4), (1, 2, 4, 4), 1, 0),  # the kernel covers the image: one output pixel
])
def test_conv2d_is_the_naive_loop_forward_and_backward(x_shape, w_shape, stride, padding):
    x, w = RNG.normal(size=x_shape), RNG.normal(size=w_shape)
    out = naive_conv(x, w, stride, padding)
    R = RNG.normal(size=out.shape)
    keywords = f"stride={stride}, padding={padding}"
    value, grad = gradcli_grad(f"f = sum(conv2d(x, w, {keywords}) * R)", x=x, w=w, R=R)
    dx, dw = naive_conv_backward(x, w, R, stride, padding)
    assert value == pytest.approx(np.sum(out * R), rel=1e-12)
    np.testing.assert_allclose(grad["x"], dx, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(grad["w"], dw, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(OPS["conv2d"].array.forward((None, stride, padding), x, w), out, rtol=1e-12, atol=1e-12)


def test_a_bias_is_added_after_the_call_and_gets_the_sum_over_batch_and_pixels():
    x, w, b = RNG.normal(size=(2, 3, 4, 4)), RNG.normal(size=(2, 3, 3, 3)), RNG.normal(size=2)
    R = RNG.normal(size=(2, 2, 4, 4))
    for spelled in ("b[:, None, None]", "expand_dims(expand_dims(b, 1), 2)"):
        value, grad = gradcli_grad(f"f = sum((conv2d(x, w, padding=1) + {spelled}) * R)", x=x, w=w, b=b, R=R)
        assert value == pytest.approx(np.sum((naive_conv(x, w, 1, 1) + b[:, None, None]) * R), rel=1e-12)
        np.testing.assert_allclose(grad["b"], R.sum(axis=(0, 2, 3)), rtol=1e-12)


@pytest.mark.parametrize("padding", [0, 1, 2])
def test_conv_transpose2d_at_stride_1_is_a_conv_with_the_flipped_transposed_kernel(padding):
    """The input gradient's closed form: conv2d(g, w flipped in both pixel axes, F and C swapped,
    padding HH - 1 - p)."""
    g, w = RNG.normal(size=(2, 4, 5, 5)), RNG.normal(size=(4, 3, 3, 3))
    flipped = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
    expected = naive_conv(g, flipped, 1, 2 - padding)
    got = OPS["conv_transpose2d"].array.forward((None, 1, padding, 0), g, w)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("x_shape, kernel, stride", [
    ((2, 3, 4, 4), 2, None), ((1, 2, 5, 5), 2, None), ((1, 2, 5, 6), 3, 1), ((2, 1, 6, 5), (3, 2), (2, 1)),
])
def test_pooling_is_the_naive_loop_forward_and_backward(kind, x_shape, kernel, stride):
    x = RNG.normal(size=x_shape)
    out, weights = naive_pool(x, kernel, stride, kind)
    R = RNG.normal(size=out.shape)
    call = f"{kind}_pool2d(x, {kernel}" + (f", stride={stride})" if stride is not None else ")")
    value, grad = gradcli_grad(f"f = sum({call} * R)", x=x, R=R)
    assert value == pytest.approx(np.sum(out * R), rel=1e-12)
    np.testing.assert_allclose(grad["x"], pool_backward(x, R, weights), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kernel, stride", [(2, None), (3, 1)])
def test_a_tie_in_a_window_sends_the_gradient_to_its_first_maximum_in_row_major_order(kernel, stride):
    """As PyTorch's max_pool2d: equal maxima do not share the gradient (max(x) over an array does)."""
    x = np.round(RNG.uniform(0, 2, size=(1, 2, 6, 6)))  # 0, 1 and 2 only: ties in most windows
    out, weights = naive_pool(x, kernel, stride, "max")
    R = RNG.normal(size=out.shape)
    call = f"max_pool2d(x, {kernel}" + (f", stride={stride})" if stride is not None else ")")
    _, grad = gradcli_grad(f"f = sum({call} * R)", x=x, R=R)
    np.testing.assert_allclose(grad["x"], pool_backward(x, R, weights), rtol=1e-12, atol=1e-14)


def test_check_flags_a_tied_maximum_as_a_kink_and_passes_the_rest():
    result = run("check", "f = sum(max_pool2d(x, 2) * [[[[1, 2]]]])", "x=[[[[1, 1, 0.5, 3], [0, 0.25, 2, 1]]]]",
                 "--json")
    assert result.code == 0, result.err
    inputs = result.json()["inputs"]
    assert inputs["x[0,0,0,0]"]["status"] == "kink" and inputs["x[0,0,0,1]"]["status"] == "kink"
    assert inputs["x[0,0,0,0]"]["analytic"] == 1.0 and inputs["x[0,0,0,1]"]["analytic"] == 0.0
    assert inputs["x[0,0,0,3]"]["status"] == "pass" and inputs["x[0,0,0,3]"]["analytic"] == 2.0


@pytest.mark.parametrize("program, words", [
    ("y = conv2d(x, w)", "the channels differ: x (1, 2, 4, 4) has 2 (axis 1), w (3, 1, 3, 3) expects 1"),
    ("y = conv2d(x, v)", "the kernel 7 x 7 is larger than the input 4 x 4"),
    ("y = conv2d(x, v, padding=1)", "the kernel 7 x 7 is larger than the padded input 6 x 6"),
    ("y = conv2d(x, w, b)", "the bias of conv2d(...) is added after the call"),
    ("y = conv2d(x, w, stride=0)", "the stride is a whole number of at least 1"),
    ("y = max_pool2d(x, 5)", "the window 5 x 5 is larger than the input 4 x 4"),
    ("y = max_pool2d(x)", "max_pool2d needs kernel_size="),
    ("y = avg_pool2d(b, 2)", "x has 4 axes (N, C, H, W), not shape (3,)"),
])
def test_shape_errors_name_the_shapes(program, words):
    values = {"x": np.zeros((1, 2, 4, 4)), "w": np.zeros((3, 1, 3, 3)), "v": np.zeros((3, 2, 7, 7)), "b": [1, 2, 3]}
    used = [binding(k, v) for k, v in values.items() if re.search(rf"\b{k}\b", program.split("=")[1])]
    result = run("eval", program, *used)
    assert result.code == 2
    assert words in result.err, result.err


@pytest.mark.parametrize("view", [["explain", "--steps", "--json"], ["graph"], ["eval", "--mode", "forward"],
                                  ["explain", "--paths", "--element", "w[0,0,1,1]"], ["check"]])
def test_every_view_runs_on_a_conv_and_pool_program(view):
    """The tensor-level rules are the conv and pooling backward ops, written as the program would call them."""
    program = "y = conv2d(x, w, stride=2, padding=1); p = max_pool2d(y, 2, stride=1); f = sum(p*p)"
    x, w = np.round(RNG.uniform(-1, 1, (1, 1, 5, 5)), 3), np.round(RNG.uniform(-1, 1, (2, 1, 3, 3)), 3)
    result = run(*view, program, binding("x", x), binding("w", w))
    assert result.code == 0, result.err
    if "--steps" in view:
        for rule in ("conv_transpose2d(dy, w, stride=2, padding=1)", "conv2d_weight(x, dy, 3, stride=2, padding=1)",
                     "max_pool2d_backward(dp, y, 2, stride=1)"):
            assert f'"formula": "{rule}"' in result.out, rule
