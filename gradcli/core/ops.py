"""The operator table: the single source of truth for every operation.

Each entry gives an operation's name, arity, forward function, one local
partial derivative per operand, a symbolic formula for each partial, and how it
is displayed, then its traits (domain, kinks, never_zero, slope_never_zero,
keeps_nonfinite) by name.  The forward pass, the reverse sweep, forward mode, the
path explainer and the tests all read this table, so adding an operation is
adding one entry (the tests iterate over ``OPS``).

Each scalar rule is written once and serves numbers and arrays alike.  On
arrays a scalar op is elementwise: its forward is numpy's function of the op's
name (or ``numpy=``), and its partials are the scalar ones themselves.  A
partial of arithmetic alone (``1.0 / x``) works on arrays as written; one that
calls math's functions takes them as ``m=math`` (``lambda x, o, m=math:
m.cos(x)``) and gets numpy's on arrays (``array_rules.on_arrays``).  Only where
arrays need other code (a branch becomes ``np.where``; tanh's cheaper square)
does an entry give ``numpy_partials``; tests/test_array_ops.py holds each such
pair equal, element by element.  The compiled scalar sweep (autodiff/scalar_plan.py)
calls ``op.forward`` and ``op.partials`` as they are, and a scalar program never
imports numpy (``values.np`` is lazy).

Partials are called as ``partial(*operand_values, out)`` where ``out`` is the
node's own value (``exp``'s partial is its output).  Formulas are templates over
the operand placeholders ``{x}`` (unary) or ``{a}``, ``{b}`` (binary; ``{c}`` the third of
clip and where, which the compiled scalar plan runs as it runs a variadic op) and
``{out}`` for the node's output label; variadic ops (max, min) use ``{i}`` for the
operand in question, ``{args}`` for all of them, and ``{sum}`` for the sum over
the operands ``{j}`` of a second template.  Every formula is an expression of
gradcli's language, so a derived program parses and can be differentiated again.

Conventions at points where a derivative does not exist (stated in the README):
abs'(0) = 0, relu'(0) = 0, sign'(0) = 0, hypot's partials at (0, 0) are 0, atan2
on its branch cut (y = 0, x < 0) takes the one-sided partials, max/min split
the gradient equally among tied arguments, and so does clip at a bound; the steps
(floor, ceil, round, mod's jumps, comparisons) have partial 0 on each side.

Partials are written so that they keep every digit where the output alone would
lose them: ``sigmoid(x)*sigmoid(-x)`` (as ``z/(1 + z)^2``) rather than ``o*(1 - o)``, ``tanh``'s from
``exp(-2|x|)`` rather than ``1 - o*o``, ``(1 - x)*(1 + x)`` rather than ``1 - x*x``
(tests/test_ops_precision.py holds every partial to a high-precision reference).
"""

from __future__ import annotations

import math
from typing import Callable

from gradcli.core import array_rules, batch_rules, indexing_rules, layer_rules, linalg_rules, reduction_rules, shape_rules
from gradcli.core import elementwise_rules as ew
from gradcli.core.array_rules import ArrayRule, ShapeError, elementwise, one
from gradcli.core.values import np
from gradcli.lang.syntax import known_functions, operator_spellings
from gradcli.support.records import Frozen

INFIX, PREFIX, CALL = "infix", "prefix", "call"
REQUIRED = "<required>"  # a keyword with no default: the call must give it
UNPICKED = "<unpicked>"  # the last param of an op returning several arrays, until ``[k]`` picks one
OPERAND = array_rules.OPERAND  # in an index's params: this subscript is an array of integers, an operand
ALIAS = "alias"  # ``y = x``: a statement that names another value
INDEX, LITERAL = "index", "literal"  # ``x[1, 0]`` and ``[a, b]``
NAN = float("nan")
_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


class Op(Frozen):
    __slots__ = _fields = ("name", "arity", "forward", "partials", "formulas", "symbol", "style", "precedence",
                           "domain", "kinks", "never_zero", "slope_never_zero", "array", "keeps_nonfinite",
                           "keywords", "spellings", "cuts", "results", "sequence", "batch")

    def __init__(self, name: str, arity: int | None, forward: Callable[..., float],
                 partials: tuple[Callable[..., float], ...], formulas: tuple[str, ...], symbol: str,
                 style: str = CALL, precedence: int = 100, domain: Callable[..., bool] | None = None,
                 kinks: Callable[..., bool] | None = None, never_zero: bool = False,
                 slope_never_zero: bool = False, array: ArrayRule | None = None, keeps_nonfinite: bool = False,
                 keywords: tuple = (), spellings: tuple = (), cuts: bool = False,
                 results: Callable | int | None = None, sequence: bool = False,
                 batch: batch_rules.BatchRule | None = None):
        put = object.__setattr__
        put(self, "name", name)
        put(self, "arity", arity)  # None: variadic, two or more operands
        put(self, "forward", forward)
        put(self, "partials", partials)
        put(self, "formulas", formulas)
        put(self, "symbol", symbol)  # "+" for infix, "-" for prefix, the function name for calls
        put(self, "style", style)  # INFIX, PREFIX or CALL
        put(self, "precedence", precedence)  # for printing: higher binds tighter
        put(self, "domain", domain)  # which operand values the tests may use
        put(self, "kinks", kinks)  # True where a partial is a convention, not a derivative
        # True when the exact result is never zero unless an operand is: a 0.0 from
        # nonzero operands is then an underflow, which the forward pass reports.
        put(self, "never_zero", never_zero)
        # True when each local partial is nonzero wherever every operand is (``b`` for a*b,
        # sech^2 for tanh): a partial of 0.0 there is an underflow or a rounding, and the
        # gradient through it is cut to 0 though its true value is not.
        put(self, "slope_never_zero", slope_never_zero)
        # The rule on arrays (VJPs, JVP, shape: core/array_rules.py).  A scalar op is elementwise.
        put(self, "array", array)
        # True when a non-finite operand always gives a non-finite result (inf + 1, sin(inf)):
        # an infinity cannot vanish through this op (as exp(-inf) = 0 or 1/inf = 0 make it vanish).
        put(self, "keeps_nonfinite", keeps_nonfinite)
        # The arguments fixed in the text, after the operands, as numpy orders them: (name, default)
        # pairs (``(("axis", None), ("keepdims", False))``; REQUIRED: no default).  A node's ``params``
        # holds their values in this order, defaults filled in (core/lower.check_call reads them).
        put(self, "keywords", keywords)
        # Other names the language takes for it: numpy's (``maximum``), numpy's submodules' (``linalg.inv``).
        put(self, "spellings", spellings)
        # True for stop_gradient: the value passes, the gradient does not.  Its partial is 0 by
        # definition, not a derivative; the views say no gradient flows there, and check does not fail on it.
        put(self, "cuts", cuts)
        # How many arrays it returns as numpy's tuple does (split, slogdet, svd): an int, or a function of
        # the keywords' values; None: one array.  The program picks one by a fixed index, ``split(x, 2)[0]``,
        # and the node's params then end with that index, after the keywords' values (core/arguments.py).
        put(self, "results", results)
        # True when the operands are written as one list, numpy's sequence of arrays, as in ``concatenate([a, b])``.
        put(self, "sequence", sequence)
        # The rule over data rows, a leading batch axis on some operands (core/batch_rules.py): derived for an
        # elementwise op and an op along ``axis``; None: a program using it runs its rows one at a time.
        put(self, "batch", batch)

    @property
    def scalar(self) -> bool:
        """True for an op with scalar partials (every op but the array ones: @, sum, ...)."""
        return bool(self.partials)

    def result_count(self, params: tuple) -> int:
        """How many arrays an op with several results returns, for the keywords' values ``params``."""
        return self.results(params) if callable(self.results) else self.results

    def partial(self, j: int, vals, out: float) -> float:
        """The local partial of this op's output with respect to operand ``j``."""
        if self.arity is None:
            return self.partials[0](j, vals, out)
        return self.partials[j](*vals, out)

    def formula_text(self, j: int, labels: list[str], out_label: str = "") -> str:
        """The formula template filled in, as written in the table (a gradcli expression).

        A variadic op's second template is one term of ``{sum}``, written once per operand ``{j}``.
        """
        if self.arity is None:
            terms = " + ".join(f"({self.formulas[1].format(j=label, out=out_label)})" for label in labels) \
                if len(self.formulas) > 1 else ""
            return self.formulas[0].format(i=labels[j], args=", ".join(labels), out=out_label, sum=terms)
        names = {"x": labels[0]} if self.arity == 1 else dict(zip("abc", labels))
        return self.formulas[j].format(out=out_label, **names)

    def defined_partial(self, j: int, vals, out: float) -> float | None:
        """``partial``, or None where it is undefined or infinite (for views that show every edge)."""
        try:
            local = self.partial(j, vals, out)
        except (ArithmeticError, ValueError):
            return None
        return local if math.isfinite(local) else None

    def render(self, labels: list[str], params: tuple = ()) -> str:
        """The op applied to operand texts, as the user would write it: ``a*b``, ``sin(x)``, ``v1*(-2)``.

        A negative operand of an operator is parenthesised (``(-1)/0``, ``-(-2)``).
        ``params`` are the fixed indices or axis: ``W[1,0]``, ``sum(S, 1)``.
        """
        if self.style == INDEX:  # x[1:, None, y]; scatter_add(g, x)[1:]: the arrays of integers come last
            lead = self.arity
            base = labels[0] if lead == 1 else f"{self.symbol}({', '.join(labels[:lead])})"
            return f"{base}[{indexing_rules.subscript_text(params, labels[lead:])}]" if params else base
        if self.style == LITERAL:
            return f"[{', '.join(labels)}]"
        picked = ""
        if self.results is not None:  # split(x, 2)[1]: the last param is the index of the array picked
            picked = "" if params[-1] is UNPICKED else f"[{params[-1]}]"
            params = params[:-1]
        if self.sequence:
            labels = [f"[{', '.join(labels)}]"]
        if self.keywords:  # the arguments fixed in the text that differ from their defaults, by name
            labels = [*labels, *(f"{name}={static_text(value)}" for (name, default), value
                                 in zip(self.keywords, params) if value != default or value is REQUIRED)]
        if self.keywords[:1] == (("subscripts", REQUIRED),):  # numpy's einsum: its subscripts come first
            labels = [static_text(params[0]), *labels[:-1]]
        if self.style in (INFIX, PREFIX):
            labels = [f"({s})" if s.startswith("-") else s for s in labels]
        if self.style == INFIX:
            return f"{labels[0]}{self.symbol}{labels[1]}"
        if self.style == PREFIX:
            return f"{self.symbol}{labels[0]}"
        if self.style == ALIAS:
            return labels[0]
        return f"{self.symbol}({', '.join(labels)}){picked}"


def static_text(value) -> str:
    """A fixed argument as the program writes it: 1, (0, 1), True, None, 'ij,jk->ik', 1:3."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, tuple):
        return "(" + ", ".join(map(static_text, value)) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, slice):
        text = ":".join("" if v is None else str(v) for v in (value.start, value.stop))
        return text + (f":{value.step}" if value.step is not None else "")
    return str(value)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _softplus(x: float) -> float:
    # log(1 + e^x) without overflow for large x
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _pow(a: float, b: float) -> float:
    # math.pow raises ValueError for 0**negative and negative**fraction: both domain errors
    return math.pow(a, b)


def _pow_da(a: float, b: float, out: float) -> float:
    # A constant exponent of 0 makes a^0 = 1 constant: its slope is 0 even at a = 0.
    if b == 0:
        return 0.0
    return b * math.pow(a, b - 1)


def _pow_db(a: float, b: float, out: float) -> float:
    if a > 0:
        return out * math.log(a)
    if a == 0 and b > 0:
        return 0.0
    return NAN  # undefined; an error only if the exponent depends on an input


def _div_db(a: float, b: float, out: float) -> float:
    # -(a/b)/b, not -a/(b*b): b*b overflows or underflows long before the result does.
    return -(a / b) / b


def _sigmoid_partial(x: float, out: float, m=math) -> float:
    # sigmoid(x) * sigmoid(-x) = z/(1+z)^2 with z = exp(-|x|): one exp, no cancellation
    # (out * (1 - out) would lose every digit as out nears 1).
    z = m.exp(-abs(x))
    return z / ((1.0 + z) * (1.0 + z))


def _softplus_partial(x: float, out: float, m=math) -> float:
    # sigmoid(x) from the output: softplus = log(1 + e^x), so sigmoid(x) = 1 - e^-out, as
    # -expm1(-out): one call, well conditioned everywhere (out is never negative).
    return -m.expm1(-out)


def _tanh_partial(x: float, out: float) -> float:
    # 1 - tanh(x)^2 = 4z/(1+z)^2 with z = exp(-2|x|): no cancellation as tanh(x) nears +-1,
    # and no overflow (cosh(x)^2 would overflow long before the result underflows).
    z = math.exp(-2.0 * abs(x))
    return 4.0 * z / ((1.0 + z) * (1.0 + z))


def _asin_partial(x: float, out: float, m=math) -> float:
    # 1 - x^2 as (1 - x)(1 + x): exact near +-1, where x*x rounds away the digits that matter.
    return 1.0 / m.sqrt((1.0 - x) * (1.0 + x))


def _atan_partial(x: float, out: float) -> float:
    if abs(x) <= 1.0:
        return 1.0 / (1.0 + x * x)
    t = 1.0 / x  # x*x would overflow for |x| > 1e154
    return t * t / (1.0 + t * t)


def _cbrt(x: float) -> float:
    if hasattr(math, "cbrt"):  # Python 3.11+
        return math.cbrt(x)
    if x == 0.0 or not math.isfinite(x):
        return x
    y = math.copysign(abs(x) ** (1.0 / 3.0), x)
    return y - (y * y * y - x) / (3.0 * y * y)  # one Newton step: the last bits


def _hypot_partial(j: int):
    def partial(a: float, b: float, out: float) -> float:
        # a/|(a, b)|; at (0, 0), where hypot has a cone point like abs at 0, 0 by convention.
        return (a, b)[j] / out if out else 0.0

    return partial


def _atan2_partial(j: int):
    def partial(y: float, x: float, out: float, m=math) -> float:
        # d/dy = x/(x^2 + y^2), d/dx = -y/(x^2 + y^2), divided by the hypotenuse twice:
        # x^2 + y^2 would overflow or underflow first.  Undefined at (0, 0).
        h = m.hypot(y, x)
        return (x / h) / h if j == 0 else (-y / h) / h

    return partial


def _extreme_partial(j: int, vals, out: float) -> float:
    """max and min: 1 for the operand that is the result, shared equally at a tie."""
    if vals[j] != out:
        return 0.0
    return 1.0 / sum(1 for v in vals if v == out)


def _mask(name: str) -> Callable:
    """numpy's comparison as a mask of 0.0 and 1.0 (values are floats, never booleans)."""
    return lambda a, b: getattr(np, name)(a, b).astype(float)


def _flat(a: float, b: float, out: float) -> float:
    """The partial of a step (a comparison): 0 on either side."""
    return 0.0


def _itself(x: float) -> float:
    return x


# The numpy forms of the rules above, only where arrays need other code than numbers: a branch
# becomes np.where, and a few take a cheaper road over a whole array.  Every other partial is the
# scalar one itself (array_rules.on_arrays); tests/test_array_ops.py holds each pair equal element by element.

def _np_sigmoid(x):
    with np.errstate(over="ignore"):
        z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


_SMALL = 4096  # elements: below this, numpy's per-call cost outweighs its per-element cost


def _np_tanh_partial(x, out):
    """1 - tanh(x)^2 from the output: one square, no exp over the whole array (a small array takes the
    scalar rule, 4z/(1+z)^2, everywhere: a few calls cost more than its exp).

    Where 1 - t^2 < 0.1 (|x| > 1.8) the rounding of t would cancel in it (to
    nothing once t rounds to +-1): those elements alone, gathered by index, take
    the scalar rule's 4z/(1+z)^2, z = exp(-2|x|).  Elsewhere 1 - t^2 is good to
    a few ulps (the error of t, at most 10x over).
    """
    if np.ndim(out) == 0:
        return _tanh_partial(float(x), float(out))
    if out.size <= _SMALL and np.shape(x) == out.shape:  # the scalar rule everywhere: fewer calls than the gather
        z = np.abs(x)
        z *= -2.0
        np.exp(z, out=z)
        w = z + 1.0
        w *= w
        z *= 4.0
        z /= w
        return z
    partial = np.multiply(out, out)
    np.subtract(1.0, partial, out=partial)
    far = (partial < 0.1).ravel().nonzero()[0]
    if len(far):
        if np.shape(x) != partial.shape:
            x = np.broadcast_to(x, partial.shape)
        z = np.exp(-2.0 * np.abs(x.take(far)))
        w = 1.0 + z
        partial.put(far, 4.0 * z / (w * w))
    return partial


def _np_atan_partial(x, out):
    big = np.abs(x) > 1.0
    t = np.where(big, 1.0 / np.where(big, x, 1.0), x)
    return np.where(big, t * t / (1.0 + t * t), 1.0 / (1.0 + x * x))


def _np_pow(a, b):
    if isinstance(b, float) and b == 2.0:  # the common square, without the general power
        return a * a
    return np.power(a, b)


def _np_pow_da(a, b, out):
    if isinstance(b, float):  # a constant exponent: no elementwise test for b = 0
        return 0.0 * a if b == 0.0 else (2.0 * a if b == 2.0 else b * np.power(a, b - 1.0))
    return np.where(b == 0, 0.0, b * np.power(a, b - 1.0))


def _np_pow_db(a, b, out):
    safe = np.where(a > 0, a, 1.0)
    return np.where(a > 0, out * np.log(safe), np.where((a == 0) & (b > 0), 0.0, np.nan))


def _np_extreme_partial(j, vals, out):
    hits = [(v == out) * 1.0 for v in vals]
    return hits[j] / sum(hits)


def _np_hypot_partial(j):
    def partial(a, b, out):
        safe = np.where(out != 0, out, 1.0)
        return np.where(out != 0, (a, b)[j] / safe, 0.0)

    return partial


def _np_softplus(x):
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _positive(x):
    return x > 0


def _unit_open(x):
    return -1 < x < 1


def _scalar_op(name: str, arity: int | None, forward: Callable, partials: tuple, formulas: tuple,
               symbol: str | None = None, style: str = CALL, precedence: int = 100, *,
               numpy: str | Callable | None = None, numpy_partials: tuple = (), **traits) -> Op:
    """An op on numbers, applied to arrays element by element (``array_rules.elementwise``).

    On arrays its forward is numpy's function ``numpy`` (by default the op's own name) and
    its partials are the scalar ``partials`` themselves, written once (a rule that calls
    math's functions takes them as ``m=math``); ``numpy_partials`` replace them only where
    arrays need other code.  ``traits`` are Op's remaining fields (domain, kinks, ...).
    """
    array = elementwise(numpy or name, partials, numpy_partials, variadic=arity is None)
    return Op(name, arity, forward, partials, formulas, symbol or name, style, precedence, array=array,
              batch=batch_rules.elementwise(array), **traits)


def _unary(name: str, forward: Callable, partial: Callable, formula: str, **keywords) -> Op:
    return _scalar_op(name, 1, forward, (partial,), (formula,), **keywords)


def _array_op(name: str, arity: int | None, array: ArrayRule, symbol: str | None = None, style: str = CALL,
              precedence: int = 100, keywords: tuple = (), spellings: tuple = (), results=None,
              sequence: bool = False, batch: batch_rules.BatchRule | str | None = None) -> Op:
    """An array op, with no scalar partials (``partials`` is empty); its rules are VJPs and JVPs at
    the tensor level (core/array_rules.py).  ``params`` (an axis, indices) is fixed in the text; the
    element-level views explain it element by element (``ArrayRule.elements``).  An op with several
    ``results`` has its shape rule first refuse a call that picks none of them.  ``batch``: its rule over
    data rows, or ``AXIS`` to derive it from the ``axis`` keyword (``batch_rules.from_keywords``)."""
    if batch == AXIS:
        batch = batch_rules.from_keywords(array, keywords)
    op = Op(name, arity, None, (), (), symbol or name, style, precedence, array=array, keywords=keywords,
            spellings=spellings, results=results, sequence=sequence, batch=batch)
    if results is not None:
        array.shape = _picking(op, array.shape)
    return op


def _picking(op: Op, shape: Callable) -> Callable:
    """``shape``, after a check that the call picks one of the op's arrays (``s = split(x, 2)`` alone
    stops where the shapes are checked, with the spelling that picks one)."""

    def checked(params, *shapes):
        if params and params[-1] is UNPICKED:
            count = op.result_count(params[:-1])
            raise ShapeError(f"{op.symbol} returns {count} arrays, as numpy's does: pick one by its index, "
                             f"[0] to [{count - 1}]")
        return shape(params, *shapes)

    return checked


AXIS = "axis"  # an op's ``batch``: shift its axis keyword past the batch axis
_AXIS = (("axis", None),)
_AXIS_KEEPDIMS = (("axis", None), ("keepdims", False))
_POOL = (("kernel_size", REQUIRED), ("stride", None))

# Each entry declares its traits after its rules: keeps_nonfinite (an infinity or a nan always
# survives it: the row sweeps test only where one could vanish) and slope_never_zero (not pow:
# d(a^b)/db is 0 at a = 1; not sin or cos: their slopes vanish at nonzero points).
OPS: dict[str, Op] = {op.name: op for op in [
    _scalar_op("add", 2, lambda a, b: a + b, (one, one), ("1", "1"), "+", INFIX, 10,
               keeps_nonfinite=True, slope_never_zero=True),
    _scalar_op("sub", 2, lambda a, b: a - b, (one, lambda a, b, o: -1.0), ("1", "-1"), "-", INFIX, 10,
               numpy="subtract", keeps_nonfinite=True, slope_never_zero=True),
    _scalar_op("mul", 2, lambda a, b: a * b, (lambda a, b, o: b, lambda a, b, o: a), ("{b}", "{a}"), "*", INFIX, 20,
               numpy="multiply", never_zero=True, keeps_nonfinite=True, slope_never_zero=True),
    _scalar_op("div", 2, lambda a, b: a / b, (lambda a, b, o: 1.0 / b, _div_db), ("1/{b}", "-{a}/{b}^2"), "/", INFIX,
               20, numpy="divide", domain=lambda a, b: abs(b) > 0.1, never_zero=True, slope_never_zero=True),
    _scalar_op("neg", 1, lambda x: -x, (lambda x, o: -1.0,), ("-1",), "-", PREFIX, 30,
               numpy="negative", keeps_nonfinite=True, slope_never_zero=True),
    _scalar_op("pow", 2, _pow, (_pow_da, _pow_db), ("{b}*{a}^({b}-1)", "{a}^{b}*log({a})"), "^", INFIX, 40,
               numpy=_np_pow, numpy_partials=(_np_pow_da, _np_pow_db), domain=lambda a, b: a > 0.1, never_zero=True),
    _unary("exp", math.exp, lambda x, o: o, "exp({x})",
           never_zero=True, slope_never_zero=True),
    _unary("exp2", lambda x: math.pow(2.0, x), lambda x, o: o * _LN2, "exp2({x})*log(2)",
           never_zero=True, slope_never_zero=True),
    _unary("log", math.log, lambda x, o: 1.0 / x, "1/{x}",
           domain=_positive, keeps_nonfinite=True, slope_never_zero=True),
    _unary("log10", math.log10, lambda x, o: 1.0 / (x * _LN10), "1/({x}*log(10))",
           domain=_positive, keeps_nonfinite=True, slope_never_zero=True),
    _unary("log2", math.log2, lambda x, o: 1.0 / (x * _LN2), "1/({x}*log(2))",
           domain=_positive, keeps_nonfinite=True, slope_never_zero=True),
    _unary("sqrt", math.sqrt, lambda x, o: 0.5 / o, "1/(2*sqrt({x}))",
           domain=_positive, keeps_nonfinite=True, slope_never_zero=True),
    _unary("cbrt", _cbrt, lambda x, o: 1.0 / (3.0 * o * o), "1/(3*cbrt({x})^2)",
           domain=lambda x: abs(x) > 0.1, never_zero=True, keeps_nonfinite=True, slope_never_zero=True),
    _unary("sin", math.sin, lambda x, o, m=math: m.cos(x), "cos({x})",
           keeps_nonfinite=True),
    _unary("cos", math.cos, lambda x, o, m=math: -m.sin(x), "-sin({x})",
           keeps_nonfinite=True),
    _unary("tan", math.tan, lambda x, o: 1.0 + o * o, "1 + tan({x})^2",
           domain=lambda x: abs(x) < 1.4, keeps_nonfinite=True, slope_never_zero=True),
    _unary("asin", math.asin, _asin_partial, "1/sqrt(1 - {x}^2)", numpy="arcsin", spellings=("arcsin",),
           domain=_unit_open, keeps_nonfinite=True, slope_never_zero=True),
    _unary("acos", math.acos, lambda x, o, m=math: -_asin_partial(x, o, m), "-1/sqrt(1 - {x}^2)", numpy="arccos",
           spellings=("arccos",),
           domain=_unit_open, keeps_nonfinite=True, slope_never_zero=True),
    _unary("atan", math.atan, _atan_partial, "1/(1 + {x}^2)", numpy="arctan", numpy_partials=(_np_atan_partial,),
           spellings=("arctan",),
           slope_never_zero=True),
    _scalar_op("atan2", 2, math.atan2, (_atan2_partial(0), _atan2_partial(1)),
               ("{b}/({a}^2 + {b}^2)", "-{a}/({a}^2 + {b}^2)"), numpy="arctan2", spellings=("arctan2",),
               domain=lambda y, x: x > 0.1 or abs(y) > 0.1, kinks=lambda y, x: y == 0 and x < 0,
               slope_never_zero=True),
    _scalar_op("hypot", 2, math.hypot, (_hypot_partial(0), _hypot_partial(1)),
               ("{a}/hypot({a}, {b})", "{b}/hypot({a}, {b})"),
               numpy_partials=(_np_hypot_partial(0), _np_hypot_partial(1)),
               domain=lambda a, b: math.hypot(a, b) > 0.1, kinks=lambda a, b: a == 0 and b == 0,
               never_zero=True, slope_never_zero=True),
    _unary("sinh", math.sinh, lambda x, o, m=math: m.cosh(x), "cosh({x})",
           keeps_nonfinite=True, slope_never_zero=True),
    _unary("cosh", math.cosh, lambda x, o, m=math: m.sinh(x), "sinh({x})",
           keeps_nonfinite=True, slope_never_zero=True),
    _unary("tanh", math.tanh, _tanh_partial, "1 - tanh({x})^2", numpy_partials=(_np_tanh_partial,),
           slope_never_zero=True),
    _unary("sigmoid", _sigmoid, _sigmoid_partial, "sigmoid({x})*sigmoid(-{x})", numpy=_np_sigmoid,
           never_zero=True, slope_never_zero=True),
    _unary("relu", lambda x: x if x > 0 else 0.0, lambda x, o: 1.0 if x > 0 else 0.0, "relu(sign({x}))",
           numpy=lambda x: np.maximum(x, 0.0), numpy_partials=(lambda x, o: (x > 0) * 1.0,),
           kinks=lambda x: x == 0),
    _unary("softplus", _softplus, _softplus_partial, "sigmoid({x})", numpy=_np_softplus,
           never_zero=True, slope_never_zero=True),
    _unary("abs", abs, lambda x, o: (x > 0) - (x < 0) + 0.0, "sign({x})", numpy_partials=(lambda x, o: np.sign(x),),
           kinks=lambda x: x == 0, keeps_nonfinite=True),
    _unary("sign", lambda x: (x > 0) - (x < 0) + 0.0, lambda x, o: 0.0, "0",
           kinks=lambda x: x == 0),
    _scalar_op("max", None, lambda *v: max(v), (_extreme_partial,),
               ("(1 - sign({out} - {i}))/({sum})", "1 - sign({out} - {j})"), numpy="maximum", spellings=("maximum",),
               numpy_partials=(_np_extreme_partial,), kinks=lambda *v: sum(1 for x in v if x == max(v)) > 1),
    _scalar_op("min", None, lambda *v: min(v), (_extreme_partial,),
               ("(1 - sign({i} - {out}))/({sum})", "1 - sign({j} - {out})"), numpy="minimum", spellings=("minimum",),
               numpy_partials=(_np_extreme_partial,), kinks=lambda *v: sum(1 for x in v if x == min(v)) > 1),
    # Comparisons make masks of 0 and 1 (``where``'s condition): a step, flat but where the sides meet.
    *(_scalar_op(name, 2, compare, (_flat, _flat), ("0", "0"), symbol, INFIX, 5, numpy=_mask(name),
                 kinks=lambda a, b: a == b)
      for name, symbol, compare in [
          ("less", "<", lambda a, b: float(a < b)), ("less_equal", "<=", lambda a, b: float(a <= b)),
          ("greater", ">", lambda a, b: float(a > b)), ("greater_equal", ">=", lambda a, b: float(a >= b)),
          ("equal", "==", lambda a, b: float(a == b)), ("not_equal", "!=", lambda a, b: float(a != b))]),
    # ``y = x`` or ``u = v``: a new name for a value.  It is a node of its own, so the
    # name keeps its place in every view (paths to y end at y) with a partial of 1.
    _scalar_op("copy", 1, _itself, (one,), ("1",), "", ALIAS, numpy=_itself,
               keeps_nonfinite=True, slope_never_zero=True),
    # Ops on arrays only.
    _array_op("matmul", 2, linalg_rules.MATMUL, "@", INFIX, 20, spellings=("matmul", "linalg.matmul"),
              batch=batch_rules.product("row", "col")),
    _array_op("dot", 2, linalg_rules.DOT, batch=batch_rules.product("row", "col")),
    _array_op("outer", 2, array_rules.OUTER, spellings=("linalg.outer",),
              batch=batch_rules.product("col", "row", vectors=True)),
    _array_op("transpose", 1, array_rules.TRANSPOSE, keywords=(("axes", None),), batch=batch_rules.TRANSPOSE),
    _array_op("expand_dims", 1, array_rules.EXPAND_DIMS, keywords=(("axis", REQUIRED),), batch=AXIS),  # expand_dims(v, 1)
    _array_op("index", 1, indexing_rules.INDEX, "[]", INDEX,
              batch=batch_rules.indexing(indexing_rules.INDEX, OPERAND)),  # x[1, 0]
    _array_op("stack", None, array_rules.STACK, "[]", LITERAL, batch=batch_rules.STACK),  # [x1*x2, sin(x1)]
    # -- indexing and integer arrays
    _array_op("arange", None, indexing_rules.ARANGE, keywords=(("dtype", None),)),  # arange(N): integers
    _array_op("take", 2, indexing_rules.TAKE, keywords=_AXIS),  # take(x, y, axis=1) is x[:, y]
    _array_op("take_along_axis", 2, indexing_rules.TAKE_ALONG_AXIS, keywords=(("axis", REQUIRED),)),
    _array_op("scatter_add", 2, indexing_rules.SCATTER_ADD, style=INDEX, spellings=("scatter_add",)),  # x[key]'s rule

    # -- shapes
    _array_op("split", 1, shape_rules.SPLIT, keywords=(("indices_or_sections", REQUIRED), ("axis", 0)),
              results=shape_rules.split_count),  # split(x, 2)[0]
    _array_op("pad", 1, shape_rules.PAD, keywords=(("pad_width", REQUIRED), ("mode", "constant"))),
    _array_op("reshape", 1, shape_rules.RESHAPE, keywords=(("shape", None), ("order", "C"), ("newshape", None))),
    _array_op("ravel", 1, shape_rules.RAVEL, keywords=(("order", "C"),)),
    _array_op("flatten", 1, shape_rules.RAVEL, keywords=(("order", "C"),)),  # numpy's x.flatten()
    _array_op("squeeze", 1, shape_rules.SQUEEZE, keywords=_AXIS),
    _array_op("swapaxes", 1, shape_rules.SWAPAXES, keywords=(("axis1", REQUIRED), ("axis2", REQUIRED))),
    _array_op("moveaxis", 1, shape_rules.MOVEAXIS, keywords=(("source", REQUIRED), ("destination", REQUIRED))),
    _array_op("flip", 1, shape_rules.FLIP, keywords=_AXIS),
    _array_op("roll", 1, shape_rules.ROLL, keywords=(("shift", REQUIRED), ("axis", None))),
    _array_op("tril", 1, shape_rules.TRIL, keywords=(("k", 0),)),
    _array_op("triu", 1, shape_rules.TRIU, keywords=(("k", 0),)),
    _array_op("concatenate", None, shape_rules.CONCATENATE, keywords=(("axis", 0),), sequence=True),
    # numpy's stack(arrays, axis): "stack" in the table is the literal [a, b] (np.array's)
    _array_op("stack_axis", None, shape_rules.STACK, "stack", keywords=(("axis", 0),), spellings=("stack",),
              sequence=True),
    _array_op("tile", 1, shape_rules.TILE, keywords=(("reps", REQUIRED),)),
    _array_op("broadcast_to", 1, shape_rules.BROADCAST_TO, keywords=(("shape", REQUIRED),)),
    _array_op("repeat", 1, shape_rules.REPEAT, keywords=(("repeats", REQUIRED), ("axis", None))),
    _array_op("diag", 1, shape_rules.DIAG, keywords=(("k", 0),)),
    _array_op("diagonal", 1, shape_rules.DIAGONAL, keywords=(("offset", 0), ("axis1", 0), ("axis2", 1))),
    _array_op("trace", 1, shape_rules.TRACE, keywords=(("offset", 0), ("axis1", 0), ("axis2", 1))),

    # -- reductions
    _array_op("sum", 1, reduction_rules.SUM, keywords=_AXIS_KEEPDIMS, batch=AXIS),
    _array_op("mean", 1, reduction_rules.MEAN, keywords=_AXIS_KEEPDIMS, batch=AXIS),
    _array_op("amax", 1, reduction_rules.AMAX, "max", keywords=_AXIS_KEEPDIMS, spellings=("amax",), batch=AXIS),  # max(x)
    _array_op("amin", 1, reduction_rules.AMIN, "min", keywords=_AXIS_KEEPDIMS, spellings=("amin",), batch=AXIS),
    _array_op("prod", 1, reduction_rules.PROD, keywords=_AXIS_KEEPDIMS, batch=AXIS),
    _array_op("var", 1, reduction_rules.VAR, keywords=(("axis", None), ("ddof", 0), ("keepdims", False)), batch=AXIS),
    _array_op("std", 1, reduction_rules.STD, keywords=(("axis", None), ("ddof", 0), ("keepdims", False)), batch=AXIS),
    _array_op("norm", 1, reduction_rules.NORM, keywords=(("ord", None), ("axis", None), ("keepdims", False)),
              spellings=("linalg.norm",)),
    _array_op("logsumexp", 1, reduction_rules.LOGSUMEXP, keywords=_AXIS_KEEPDIMS, batch=AXIS),  # scipy.special's
    _array_op("argmax", 1, reduction_rules.ARGMAX, keywords=_AXIS_KEEPDIMS),  # positions: no gradient
    _array_op("argmin", 1, reduction_rules.ARGMIN, keywords=_AXIS_KEEPDIMS),
    _array_op("cumsum", 1, reduction_rules.CUMSUM, keywords=_AXIS),
    _array_op("cumprod", 1, reduction_rules.CUMPROD, keywords=_AXIS),
    _array_op("diff", 1, reduction_rules.DIFF,
              keywords=(("n", 1), ("axis", -1), ("prepend", None), ("append", None))),
    _array_op("softmax", 1, reduction_rules.SOFTMAX, keywords=_AXIS, batch=AXIS),  # scipy.special's softmax(x, axis=None)
    _array_op("log_softmax", 1, reduction_rules.LOG_SOFTMAX, keywords=_AXIS, batch=AXIS),

    # -- elementwise functions and masks
    _unary("expm1", math.expm1, lambda x, o, m=math: m.exp(x), "exp({x})",
           never_zero=True, slope_never_zero=True),
    _unary("log1p", math.log1p, lambda x, o: 1.0 / (1.0 + x), "1/(1 + {x})",
           domain=lambda x: x > -0.9, never_zero=True, keeps_nonfinite=True, slope_never_zero=True),
    _unary("asinh", math.asinh, ew.asinh_partial, "1/sqrt(1 + {x}^2)", numpy="arcsinh",
           numpy_partials=(ew.np_asinh_partial,), spellings=("arcsinh",),
           never_zero=True, keeps_nonfinite=True, slope_never_zero=True),
    _unary("acosh", math.acosh, ew.acosh_partial, "1/sqrt({x}^2 - 1)", numpy="arccosh", spellings=("arccosh",),
           domain=lambda x: x > 1.1, keeps_nonfinite=True, slope_never_zero=True),
    _unary("atanh", math.atanh, ew.atanh_partial, "1/(1 - {x}^2)", numpy="arctanh", spellings=("arctanh",),
           domain=lambda x: abs(x) < 0.9, never_zero=True, keeps_nonfinite=True, slope_never_zero=True),
    _unary("sinc", ew.sinc, ew.sinc_partial, "where({x} != 0, (cos(pi*{x}) - sinc({x}))/where({x} != 0, {x}, 1), -pi^2/3*{x})", numpy=ew.np_sinc,
           numpy_partials=(ew.np_sinc_partial,), keeps_nonfinite=True),
    _unary("square", lambda x: x * x, lambda x, o: 2.0 * x, "2*{x}",
           never_zero=True, keeps_nonfinite=True, slope_never_zero=True),
    _unary("reciprocal", lambda x: 1.0 / x, lambda x, o: -(o / x), "-1/{x}^2", numpy=lambda x: 1.0 / x,
           domain=lambda x: abs(x) > 0.1, never_zero=True, slope_never_zero=True),
    _scalar_op("logaddexp", 2, ew.logaddexp, (ew.logaddexp_partial(0), ew.logaddexp_partial(1)),
               ("sigmoid({a} - {b})", "sigmoid({b} - {a})"),
               numpy_partials=(ew.np_share_partial(0, False), ew.np_share_partial(1, False)), slope_never_zero=True),
    _scalar_op("logaddexp2", 2, ew.logaddexp2, (ew.logaddexp2_partial(0), ew.logaddexp2_partial(1)),
               ("sigmoid(({a} - {b})*log(2))", "sigmoid(({b} - {a})*log(2))"),
               numpy_partials=(ew.np_share_partial(0, True), ew.np_share_partial(1, True)), slope_never_zero=True),
    _unary("floor", ew.floor, ew.flat, "0", kinks=ew.at_whole, keeps_nonfinite=True),
    _unary("ceil", ew.ceil, ew.flat, "0", kinks=ew.at_whole, keeps_nonfinite=True),
    _unary("round", ew.rint, ew.flat, "0", kinks=ew.at_half, keeps_nonfinite=True),
    _scalar_op("mod", 2, ew.mod, (one, ew.mod_db), ("1", "-floor({a}/{b})"), numpy_partials=(one, ew.np_mod_db),
               domain=lambda a, b: abs(b) > 0.1, kinks=ew.mod_jumps),
    _scalar_op("clip", 3, ew.clip, tuple(ew.clip_partial(j) for j in range(3)),
               ("(1 + sign({a} - {b}))*(1 + sign({c} - max({a}, {b})))/4",
                "(1 + sign({b} - {a}))*(1 + sign({c} - max({a}, {b})))/4", "(1 + sign(max({a}, {b}) - {c}))/2"),
               numpy=ew.np_clip, numpy_partials=tuple(ew.np_clip_partial(j) for j in range(3)), kinks=ew.clip_kinks),
    # where(cond, a, b): cond is a mask (a comparison's 0 or 1) and carries no gradient.
    _scalar_op("where", 3, ew.where, (ew.flat, ew.where_a, ew.where_b), ("0", "{a} != 0", "{a} == 0"),
               numpy=ew.np_where, numpy_partials=(ew.flat, ew.np_where_a, ew.np_where_b)),
    # stop_gradient(x) is x, and no gradient flows back through it (JAX's name).
    _unary("stop_gradient", _itself, ew.flat, "0", numpy=_itself, keeps_nonfinite=True, cuts=True),

    # -- linear algebra
    _array_op("inner", 2, linalg_rules.INNER),
    _array_op("tensordot", 2, linalg_rules.TENSORDOT, keywords=(("axes", 2),), spellings=("linalg.tensordot",)),
    _array_op("einsum", None, linalg_rules.EINSUM, keywords=(("subscripts", REQUIRED),)),  # einsum('ij,jk', A, B)
    _array_op("kron", 2, linalg_rules.KRON),
    _array_op("inv", 1, linalg_rules.INV, spellings=("linalg.inv",)),
    _array_op("pinv", 1, linalg_rules.PINV, spellings=("linalg.pinv",)),
    _array_op("solve", 2, linalg_rules.SOLVE, spellings=("linalg.solve",)),
    _array_op("det", 1, linalg_rules.DET, spellings=("linalg.det",)),
    _array_op("cholesky", 1, linalg_rules.CHOLESKY, spellings=("linalg.cholesky",)),
    _array_op("slogdet", 1, linalg_rules.SLOGDET, spellings=("linalg.slogdet",), results=2),  # slogdet(A)[1]
    _array_op("eigh", 1, linalg_rules.EIGH, spellings=("linalg.eigh",), results=2),  # eigh(A)[0]: eigenvalues
    _array_op("svd", 1, linalg_rules.SVD, keywords=(("full_matrices", True),), spellings=("linalg.svd",),
              results=3),  # svd(A)[1]: the singular values

    # -- layers
    _array_op("conv2d", 2, layer_rules.CONV2D, keywords=(("bias", None), ("stride", 1), ("padding", 0))),
    _array_op("conv_transpose2d", 2, layer_rules.CONV_TRANSPOSE2D,
              keywords=(("bias", None), ("stride", 1), ("padding", 0), ("output_padding", 0))),
    _array_op("conv2d_weight", 2, layer_rules.CONV2D_WEIGHT,
              keywords=(("kernel_size", REQUIRED), ("stride", 1), ("padding", 0))),
    _array_op("max_pool2d", 1, layer_rules.MAX_POOL2D, keywords=_POOL),
    _array_op("max_pool2d_backward", 2, layer_rules.MAX_POOL2D_BACKWARD, keywords=_POOL),
    _array_op("max_pool2d_gather", 2, layer_rules.MAX_POOL2D_GATHER, keywords=_POOL),
    _array_op("avg_pool2d", 1, layer_rules.AVG_POOL2D, keywords=_POOL),
    _array_op("avg_pool2d_backward", 2, layer_rules.AVG_POOL2D_BACKWARD, keywords=_POOL),

]}

# The ops with scalar partials: every op the element-level views and the scalar sweeps know.
SCALAR_OPS = {name: op for name, op in OPS.items() if op.scalar}

# What the user may write, mapped to table entries.  The operators are the parser's own
# spellings, paper's signs too (× · ÷ − √; superscript powers are numbers, not operators).
# `ln` and `pow(a, b)` are other spellings of `log` and `^`, not other operations.
INFIX_OPS = operator_spellings()
PREFIX_OPS = operator_spellings(prefix=True)
FUNCTIONS = {name: name for name, op in OPS.items() if op.style == CALL and op.symbol == name}
FUNCTIONS.update({"ln": "log", "pow": "pow"})
# numpy's names for the operators (np.power(a, b) is a ^ b), so a numpy line works without its np.
FUNCTIONS.update({"power": "pow", "absolute": "abs", "fabs": "abs", "negative": "neg", "add": "add",
                  "subtract": "sub", "multiply": "mul", "divide": "div", "true_divide": "div"})
FUNCTIONS.update({spelling: name for name, op in OPS.items() for spelling in op.spellings})
known_functions(FUNCTIONS)  # the parser's hints name these (the lang layer cannot import this one)
CONSTANTS = {"pi": math.pi, "e": math.e}

# Other calculators' and libraries' names for functions gradcli has, and for a few it
# writes another way.  An unknown function gets only a hint that means the same thing:
# a near miss like log10 -> log (natural) or sign -> sin would give a wrong answer.
SYNONYMS = {  # None: the name means different things to different people (lg: log10 or log2?)
    "atn": "atan", "arsinh": "asinh", "arcosh": "acosh", "artanh": "atanh",
    "logistic": "sigmoid", "expit": "sigmoid",
    "sgn": "sign", "signum": "sign", "log_10": "log10", "log_2": "log2", "tg": "tan",
    "fmax": "max", "fmin": "min", "sqroot": "sqrt",
    "cuberoot": "cbrt", "sine": "sin", "cosine": "cos", "tangent": "tan", "lg": None,
}
REWRITES = {  # functions gradcli does not have, and how to write them
    "cot": "1/tan(x)", "sec": "1/cos(x)", "csc": "1/sin(x)", "coth": "1/tanh(x)",
    "sech": "1/cosh(x)", "csch": "1/sinh(x)", "sqr": "x^2", "cube": "x^3",
    "exp10": "10^x", "logit": "log(x/(1 - x))",
}
# Real functions elsewhere: never "corrected" to a name one letter away (cot is not cos).
_OTHER_FUNCTIONS = {"acot", "asec", "acsc", "erf", "erfc", "gamma", "lgamma", "trunc", "fmod", "frac",
                    "ln1p", "heaviside", "step", "clamp", "gelu", "selu", "elu", "swish", "silu",
                    "sind", "cosd", "tand"}


def function_hint(name: str) -> str:
    """What to tell a user who called an unknown function ``name``: the same function's
    spelling here, how to write it, a one-letter typo's only possible meaning, or the list."""
    if SYNONYMS.get(name):
        return f": gradcli calls it {SYNONYMS[name]}"
    if name.lower() in FUNCTIONS:
        return f": did you mean {name.lower()}?"
    if name in REWRITES:
        return f": write {name}(x) as {REWRITES[name]}"
    if name not in _OTHER_FUNCTIONS and name not in SYNONYMS and not any(c.isdigit() for c in name):
        close = [f for f in FUNCTIONS if _one_edit(name, f) and not any(c.isdigit() for c in f)]
        if len(close) == 1:
            return f": did you mean {close[0]}?"
    return f" (known: {', '.join(sorted(FUNCTIONS))})"


def _one_edit(a: str, b: str) -> bool:
    """``a`` and ``b`` differ by one inserted, deleted or replaced letter, or two swapped neighbours."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))
