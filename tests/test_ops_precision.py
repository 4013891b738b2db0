"""Every partial of every op against a 50-digit reference, at small, large and awkward arguments.

Central differences (tests/test_ops.py) only see a partial to six digits or so.  Here each
op's float partial must match the exact derivative, computed with mpmath from a closed form,
to 1e-13 relative (or 1e-300 absolute below that) wherever the op's value is a finite double:
a partial computed from the rounded output (``1 - tanh(x)^2``, ``o*(1 - o)``) or one that
overflows on the way (``1/(1 + x^2)`` at 1e200) fails.  Where the exact partial is infinite,
complex or undefined, the float partial must say so (raise, or give inf or nan).

The test iterates over OPS: a new op fails until REFERENCE gives its closed forms, which
``test_references_are_the_derivatives`` checks against mpmath's numerical derivative.
"""

import itertools
import math

import mpmath as mp
import pytest

from conftest import run
from gradcli.core.ops import SCALAR_OPS

MAGNITUDES = [0.0, 1e-300, 1e-8, 0.5, 0.9999999, 1.0000001, 1.5, 3.0, 20.0, 300.0, 700.0, 1e10, 1e300]
GRID = sorted({s * m for m in MAGNITUDES for s in (1.0, -1.0)})
RTOL, TINY = 1e-13, 1e-300


def _sigmoid(x):
    return 1 / (1 + mp.exp(-x))


def _pow_da(a, b):
    return mp.mpf(0) if b == 0 else b * mp.power(a, b - 1)


def _pow_db(a, b):
    if a == 0 and b > 0:
        return mp.mpf(0)  # 0^b is 0 for every b > 0
    return mp.power(a, b) * mp.log(a)


def _cbrt(x):
    return mp.sign(x) * mp.cbrt(abs(x))  # the real cube root (mpmath's is the principal complex one)


def _step(x):
    return mp.mpf(1 if x > 0 else 0)


def _sinc(x):
    return mp.sinpi(x) / (mp.pi * x) if x else mp.mpf(1)


def _sinc_slope(x):
    """(cos(pi x) - sinc(x))/x, with as many more digits as cos(pi x) and sinc(x) agree on (x^2's)."""
    if not x:
        return mp.mpf(0)
    with mp.workdps(mp.mp.dps + max(0, -2 * int(mp.log10(abs(x))))):
        return (mp.cospi(x) - _sinc(x)) / x


def _side(d):
    """(1 + sign(d))/2: max's share at a tie, 1/2."""
    return (1 + mp.sign(d)) / 2


def _share(d):
    """e^d/(1 + e^d): the weight of the operand ahead by d in log(e^a + e^b)."""
    return 1 / (1 + mp.exp(-d))


# op name -> (the op in mpmath, its partials in closed form), from calculus, not from ops.py.
REFERENCE = {
    "add": (lambda a, b: a + b, [lambda a, b: 1, lambda a, b: 1]),
    "sub": (lambda a, b: a - b, [lambda a, b: 1, lambda a, b: -1]),
    "mul": (lambda a, b: a * b, [lambda a, b: b, lambda a, b: a]),
    "div": (lambda a, b: a / b, [lambda a, b: 1 / b, lambda a, b: -a / b**2]),
    "neg": (lambda x: -x, [lambda x: -1]),
    "copy": (lambda x: x, [lambda x: 1]),
    "pow": (mp.power, [_pow_da, _pow_db]),
    "exp": (mp.exp, [mp.exp]),
    "exp2": (lambda x: mp.power(2, x), [lambda x: mp.power(2, x) * mp.log(2)]),
    "log": (mp.log, [lambda x: 1 / x]),
    "log10": (mp.log10, [lambda x: 1 / (x * mp.log(10))]),
    "log2": (lambda x: mp.log(x, 2), [lambda x: 1 / (x * mp.log(2))]),
    "sqrt": (mp.sqrt, [lambda x: 1 / (2 * mp.sqrt(x))]),
    "cbrt": (_cbrt, [lambda x: 1 / (3 * _cbrt(x) ** 2)]),
    "sin": (mp.sin, [mp.cos]),
    "cos": (mp.cos, [lambda x: -mp.sin(x)]),
    "tan": (mp.tan, [lambda x: 1 / mp.cos(x) ** 2]),
    "asin": (mp.asin, [lambda x: 1 / mp.sqrt(1 - x**2)]),
    "acos": (mp.acos, [lambda x: -1 / mp.sqrt(1 - x**2)]),
    "atan": (mp.atan, [lambda x: 1 / (1 + x**2)]),
    "atan2": (mp.atan2, [lambda y, x: x / (x**2 + y**2), lambda y, x: -y / (x**2 + y**2)]),
    "hypot": (mp.hypot, [lambda a, b: a / mp.hypot(a, b), lambda a, b: b / mp.hypot(a, b)]),
    "sinh": (mp.sinh, [mp.cosh]),
    "cosh": (mp.cosh, [mp.sinh]),
    "tanh": (mp.tanh, [lambda x: 1 / mp.cosh(x) ** 2]),
    "sigmoid": (_sigmoid, [lambda x: mp.exp(-x) / (1 + mp.exp(-x)) ** 2]),
    "relu": (lambda x: max(x, 0), [_step]),
    "softplus": (lambda x: mp.log(1 + mp.exp(x)), [_sigmoid]),
    "abs": (abs, [mp.sign]),
    "sign": (mp.sign, [lambda x: 0]),
    "max": (max, [lambda a, b: _step(a - b), lambda a, b: _step(b - a)]),
    "min": (min, [lambda a, b: _step(b - a), lambda a, b: _step(a - b)]),
    "expm1": (mp.expm1, [mp.exp]),
    "log1p": (mp.log1p, [lambda x: 1 / (1 + x)]),
    "asinh": (mp.asinh, [lambda x: 1 / mp.sqrt(1 + x**2)]),
    "acosh": (mp.acosh, [lambda x: 1 / mp.sqrt(x**2 - 1)]),
    "atanh": (mp.atanh, [lambda x: 1 / (1 - x**2)]),
    "sinc": (_sinc, [_sinc_slope]),
    "square": (lambda x: x**2, [lambda x: 2 * x]),
    "reciprocal": (lambda x: 1 / x, [lambda x: -1 / x**2]),
    "logaddexp": (lambda a, b: mp.log(mp.exp(a) + mp.exp(b)), [lambda a, b: _share(a - b), lambda a, b: _share(b - a)]),
    "logaddexp2": (lambda a, b: mp.log(mp.power(2, a) + mp.power(2, b), 2),
                   [lambda a, b: _share((a - b) * mp.log(2)), lambda a, b: _share((b - a) * mp.log(2))]),
    "floor": (mp.floor, [lambda x: 0]),
    "ceil": (mp.ceil, [lambda x: 0]),
    "round": (mp.nint, [lambda x: 0]),
    "mod": (lambda a, b: a - b * mp.floor(a / b), [lambda a, b: 1, lambda a, b: -mp.floor(a / b)]),
    "clip": (lambda x, lo, hi: min(max(x, lo), hi),
             [lambda x, lo, hi: _side(x - lo) * _side(hi - max(x, lo)),
              lambda x, lo, hi: _side(lo - x) * _side(hi - max(x, lo)),
              lambda x, lo, hi: _side(max(x, lo) - hi)]),
    "where": (lambda c, a, b: a if c else b, [lambda c, a, b: 0, lambda c, a, b: mp.mpf(c != 0),
                                              lambda c, a, b: mp.mpf(c == 0)]),
    "stop_gradient": (lambda x: x, [lambda x: 0]),  # its value is x; the gradient is cut by definition
    # comparisons: steps, flat away from a == b
    **{name: (compare, [lambda a, b: 0, lambda a, b: 0]) for name, compare in [
        ("less", lambda a, b: mp.mpf(a < b)), ("less_equal", lambda a, b: mp.mpf(a <= b)),
        ("greater", lambda a, b: mp.mpf(a > b)), ("greater_equal", lambda a, b: mp.mpf(a >= b)),
        ("equal", lambda a, b: mp.mpf(a == b)), ("not_equal", lambda a, b: mp.mpf(a != b))]},
}


def _exact(f, args):
    """f at the exact doubles ``args``, to 50 digits; None where it is infinite, complex or undefined."""
    with mp.workdps(50):
        try:
            v = f(*[mp.mpf(a) for a in args])
        except (ZeroDivisionError, ValueError):
            return None
        if isinstance(v, mp.mpc):
            if v.imag != 0:
                return None
            v = v.real
        v = mp.mpf(v)
        return v if mp.isfinite(v) else None


def _float_partial(op, j, args, out):
    try:
        return op.partial(j, list(args), out)
    except (ArithmeticError, ValueError):
        return math.nan


@pytest.mark.parametrize("op", SCALAR_OPS.values(), ids=lambda op: op.name)
def test_partials_are_correctly_rounded_to_a_few_ulps(op):
    assert op.name in REFERENCE, f"give {op.name}'s closed-form partials in REFERENCE"
    _, partials = REFERENCE[op.name]
    arity = op.arity or 2
    checked = 0
    for args in itertools.product(GRID, repeat=arity):
        try:
            out = op.forward(*args)
        except (ArithmeticError, ValueError):
            continue
        if not math.isfinite(out) or (op.kinks is not None and op.kinks(*args)):
            continue
        for j in range(arity):
            exact = _exact(partials[j], args)
            ours = _float_partial(op, j, args, out)
            where = f"{op.name}{args} d/d#{j}: ours {ours!r}, exact {exact}"
            if exact is None or abs(exact) > 1.7976931348623157e308:
                assert not math.isfinite(ours), where
                continue
            error = abs(mp.mpf(ours) - exact) if math.isfinite(ours) else mp.inf
            assert error <= max(RTOL * abs(exact), TINY), where
            checked += 1
    assert checked >= 8  # asin and acos have the fewest points in their domain


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_references_are_the_derivatives(name):
    """The closed forms above against mpmath's numerical derivative of the op, at ordinary points."""
    forward, partials = REFERENCE[name]
    if name == "stop_gradient":  # its partial is 0 by definition (the gradient is cut), not its slope
        assert REFERENCE[name][1][0](mp.mpf(0.3)) == 0
        return
    for args in [(0.3, 1.7, 0.9), (-1.3, 0.45, 2.2), (2.45, -0.6, 1.1)]:
        args = args[: len(partials)]
        with mp.workdps(30):
            for j, partial in enumerate(partials):
                numeric = mp.diff(lambda *v: forward(*v), [mp.mpf(a) for a in args],
                                  tuple(int(i == j) for i in range(len(args))))
                if isinstance(numeric, mp.mpc):  # outside the real domain (log(-1.3))
                    continue
                assert abs(numeric - partial(*map(mp.mpf, args))) < 1e-20 * max(1, abs(numeric)), (name, args, j)


@pytest.mark.parametrize("text, binding, exact", [
    ("y = 1e9*sigmoid(x)", "x=20", lambda: 1e9 * mp.exp(-20) / (1 + mp.exp(-20)) ** 2),
    ("y = tanh(x)", "x=10", lambda: 1 / mp.cosh(10) ** 2),
    ("y = 1e-30*tanh(x)", "x=20", lambda: mp.mpf(1e-30) / mp.cosh(20) ** 2),
    ("y = asin(x)", "x=0.9999999", lambda: 1 / mp.sqrt(1 - mp.mpf(0.9999999) ** 2)),
    ("y = x^0", "x=0", lambda: 0),
])
def test_reported_gradients_keep_their_digits(text, binding, exact):
    result = run("eval", "--json", text, binding)
    assert result.code == 0, result.err
    with mp.workdps(50):
        want = mp.mpf(exact())
    got = result.json()["gradient"]["x"]
    assert abs(mp.mpf(got) - want) <= RTOL * abs(want) + TINY, (text, got, want)


def test_a_constant_exponent_of_zero_is_constant():
    data = run("eval", "--json", "y = x^0", "x=0").json()
    assert (data["value"], data["gradient"]["x"]) == (0.0 ** 0, 0.0)
