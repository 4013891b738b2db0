"""The rules of numpy's elementwise functions and masks that need more than one line.

Each is written once for numbers (math) and, where arrays need other code (a branch
becomes ``np.where``), once for numpy; tests/test_array_ops.py holds each pair equal
element by element, and tests/test_ops_precision.py every scalar partial to a 50-digit
reference.  The formulations keep every digit where the obvious one loses them:

* ``sinc(x) = sin(pi x)/(pi x)`` reduces x to the nearest integer first (``sin(pi x)``
  of a rounded ``pi*x`` is noise for x = 1e10), and its slope near 0, where
  ``cos(pi x) - sinc(x)`` cancels, is its Taylor series;
* ``asinh``'s slope ``1/sqrt(1 + x^2)`` is written in ``1/x`` beyond 1 (x*x overflows),
  ``acosh``'s as ``1/(sqrt(x - 1)*sqrt(x + 1))``;
* ``logaddexp``'s slopes are sigmoids from ``exp(-|a - b|)``, never ``exp(a)/(exp(a) + exp(b))``;
* ``mod`` follows numpy's sign convention (the sign of b), and its slope in b,
  ``-floor(a/b)``, is the floor division numpy and Python pair with it.

clip and where take three operands: clip(x, lo, hi) is min(max(x, lo), hi), with max's and
min's convention at a tie (the gradient is split equally, as JAX does), and where's
condition is a mask that carries no gradient.

numpy is imported only when an array rule runs (``values.np`` is lazy).
"""

from __future__ import annotations

import math

from gradcli.core.values import np

_BIG = 4503599627370496.0  # 2^52: every double at least this large is a whole number


# ---------------------------------------------------------------- sinc


def _pi_reduced(x: float) -> tuple[float, bool]:
    """x = n + r with n the nearest whole number and |r| <= 1/2 (exact), and whether n is odd."""
    if abs(x) >= _BIG:
        return 0.0, math.fmod(x, 2.0) != 0.0
    n = float(round(x))
    return x - n, math.fmod(n, 2.0) != 0.0


def _sinpi_cospi(x: float) -> tuple[float, float]:
    """sin(pi x) and cos(pi x) with the argument reduced exactly: both keep their digits near their zeros."""
    r, odd = _pi_reduced(x)
    s = math.sin(math.pi * r)
    c = math.cos(math.pi * r) if abs(r) < 0.25 else math.sin(math.pi * (0.5 - abs(r)))
    return (-s, -c) if odd else (s, c)


# (t cos t - sin t)/t^2 = sum over k >= 1 of (-1)^k 2k t^(2k-1)/(2k+1)!: its coefficients, for |t| < pi/4
_SINC_SERIES = [(-1) ** k * 2 * k / math.factorial(2 * k + 1) for k in range(1, 11)]


def sinc(x: float) -> float:
    if x == 0.0:
        return 1.0
    s, _ = _sinpi_cospi(x)
    return s / (math.pi * x)


def _sinc_series(t):
    """pi*(t cos t - sin t)/t^2 by its Taylor series (Horner in t^2): sinc's slope near 0, t = pi*x."""
    t2 = t * t
    total = 0.0 * t
    for c in reversed(_SINC_SERIES):
        total = total * t2 + c
    return math.pi * total * t


def sinc_partial(x: float, out: float) -> float:
    """(cos(pi x) - sinc(x))/x, from its series where the two cancel (|x| < 1/4); 0 at 0."""
    if abs(x) < 0.25:
        return _sinc_series(math.pi * x)
    _, c = _sinpi_cospi(x)
    return (c - out) / x


def _np_pi_reduced(x):
    n = np.round(x)
    return x - n, np.fmod(n, 2.0) != 0.0


def np_sinc(x):
    r, odd = _np_pi_reduced(x)
    s = np.where(odd, -1.0, 1.0) * np.sin(np.pi * r)
    zero = x == 0
    return np.where(zero, 1.0, s / (np.pi * np.where(zero, 1.0, x)))


def np_sinc_partial(x, out):
    r, odd = _np_pi_reduced(x)
    near = np.abs(r) < 0.25
    c = np.where(near, np.cos(np.pi * r), np.sin(np.pi * (0.5 - np.abs(r)))) * np.where(odd, -1.0, 1.0)
    small = np.abs(x) < 0.25
    series = _sinc_series(np.pi * np.where(small, x, 0.0))
    return np.where(small, series, (c - out) / np.where(small, 1.0, x))


# ---------------------------------------------------------------- inverse hyperbolic functions


def asinh_partial(x: float, out: float) -> float:
    """1/sqrt(1 + x^2); beyond |x| = 1 as |t|/sqrt(1 + t^2) with t = 1/x (x*x would overflow)."""
    if abs(x) <= 1.0:
        return 1.0 / math.sqrt(1.0 + x * x)
    t = 1.0 / x
    return abs(t) / math.sqrt(1.0 + t * t)


def np_asinh_partial(x, out):
    big = np.abs(x) > 1.0
    t = np.where(big, 1.0 / np.where(big, x, 1.0), x)
    return np.where(big, np.abs(t), 1.0) / np.sqrt(1.0 + t * t)


def acosh_partial(x: float, out: float, m=math) -> float:
    """1/sqrt(x^2 - 1) as 1/(sqrt(x - 1)*sqrt(x + 1)): x - 1 is exact near 1, and nothing overflows."""
    return 1.0 / (m.sqrt(x - 1.0) * m.sqrt(x + 1.0))


def atanh_partial(x: float, out: float) -> float:
    """1/(1 - x^2) as 1/((1 - x)(1 + x)): exact near +-1."""
    return 1.0 / ((1.0 - x) * (1.0 + x))


# ---------------------------------------------------------------- logaddexp, logaddexp2


def logaddexp(a: float, b: float) -> float:
    """log(exp(a) + exp(b)) without overflow: the larger plus log1p of exp of minus the gap."""
    return max(a, b) + math.log1p(math.exp(-abs(a - b)))


def logaddexp2(a: float, b: float) -> float:
    """log2(2^a + 2^b) without overflow."""
    return max(a, b) + math.log1p(math.pow(2.0, -abs(a - b))) / math.log(2.0)


def _share(d: float, z: float) -> float:
    """1/(1 + z) for d >= 0, z/(1 + z) below, where z = base^-|d|: the weight of the operand d ahead."""
    return 1.0 / (1.0 + z) if d >= 0 else z / (1.0 + z)


def logaddexp_partial(j: int):
    def partial(a: float, b: float, out: float) -> float:
        d = a - b if j == 0 else b - a
        return _share(d, math.exp(-abs(d)))

    return partial


def logaddexp2_partial(j: int):
    def partial(a: float, b: float, out: float) -> float:
        d = a - b if j == 0 else b - a
        return _share(d, math.pow(2.0, -abs(d)))

    return partial


def np_share_partial(j: int, base2: bool):
    def partial(a, b, out):
        d = a - b if j == 0 else b - a
        z = np.exp2(-np.abs(d)) if base2 else np.exp(-np.abs(d))
        return np.where(d >= 0, 1.0, z) / (1.0 + z)

    return partial


# ---------------------------------------------------------------- steps: floor, ceil, round, mod


def floor(x: float) -> float:
    return float(math.floor(x))


def ceil(x: float) -> float:
    return float(math.ceil(x))


def rint(x: float) -> float:
    """numpy's round: to the nearest whole number, a half to the even one (as Python's round)."""
    return float(round(x))


def flat(*args) -> float:
    """The slope of a step (floor, a comparison) or of stop_gradient: 0 everywhere it is defined."""
    return 0.0


def at_whole(x: float) -> bool:
    """floor and ceil jump at the whole numbers."""
    return math.isfinite(x) and x == math.floor(x)


def at_half(x: float) -> bool:
    """round jumps halfway between whole numbers."""
    return math.isfinite(x) and x - math.floor(x) == 0.5


def mod(a: float, b: float) -> float:
    """numpy's mod (Python's %): the remainder with the sign of b."""
    return a % b


def mod_db(a: float, b: float, out: float) -> float:
    """-floor(a/b), as floor division: the quotient numpy and Python pair with their remainder."""
    return -(a // b)


def np_mod_db(a, b, out):
    return -np.floor_divide(a, b)


def mod_jumps(a: float, b: float) -> bool:
    """mod jumps where a is a multiple of b (the remainder falls back to 0)."""
    return b != 0 and math.isfinite(a) and a % b == 0


# ---------------------------------------------------------------- clip and where


def clip(x: float, lo: float, hi: float) -> float:
    return min(max(x, lo), hi)


def np_clip(x, lo, hi):
    return np.minimum(np.maximum(x, lo), hi)


def _side(d):
    """(1 + sign(d))/2: 1 above, 1/2 at a tie, 0 below (max's and min's convention)."""
    return (1.0 + ((d > 0) * 1.0 - (d < 0) * 1.0)) * 0.5


def clip_partial(j: int, larger=max):
    """clip = min(max(x, lo), hi): max's share for x (j = 0) or lo (j = 1), times min's for max(x, lo);
    min's other share for hi (j = 2).  ``larger`` is numpy's maximum on arrays."""

    def partial(x, lo, hi, out):
        inner = larger(x, lo)
        if j == 2:
            return _side(inner - hi)
        return _side(x - lo if j == 0 else lo - x) * _side(hi - inner)

    return partial


def np_clip_partial(j: int):
    return clip_partial(j, lambda a, b: np.maximum(a, b))


def clip_kinks(x: float, lo: float, hi: float) -> bool:
    return x == lo or max(x, lo) == hi


def where(c: float, a: float, b: float) -> float:
    """a where the condition is nonzero (a mask of 1), b where it is 0."""
    return a if c else b


def np_where(c, a, b):
    return np.where(c != 0, a, b)


def where_a(c: float, a: float, b: float, out: float) -> float:
    return 1.0 if c else 0.0


def where_b(c: float, a: float, b: float, out: float) -> float:
    return 0.0 if c else 1.0


def np_where_a(c, a, b, out):
    return (c != 0) * 1.0


def np_where_b(c, a, b, out):
    return (c == 0) * 1.0
