"""The operator table: the single source of truth for every operation.

Each entry gives an operation's name, arity, forward function, one local
partial derivative per operand, a symbolic formula for each partial, and how it
is displayed.  The forward pass, the reverse sweep, forward mode, the path
explainer and the tests all read this table, so adding an operation is adding
one entry (the tests iterate over ``OPS``).

Partials are called as ``partial(*operand_values, out)`` where ``out`` is the
node's own value (``exp``'s partial is its output).  Formulas are templates over
the operand placeholders ``{x}`` (unary) or ``{a}``, ``{b}`` (binary) and
``{out}`` for the node's output label; variadic ops (max, min) use ``{i}`` for the
operand in question, ``{args}`` for all of them, and ``{sum}`` for the sum over
the operands ``{j}`` of a second template.  Every formula is an expression of
gradcli's language, so a derived program parses and can be differentiated again.

Conventions at points where a derivative does not exist (stated in the README):
abs'(0) = 0, relu'(0) = 0, and max/min split the gradient equally among tied
arguments.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

INFIX, PREFIX, CALL = "infix", "prefix", "call"
NAN = float("nan")


@dataclass(frozen=True)
class Op:
    name: str
    arity: int | None  # None: variadic, two or more operands
    forward: Callable[..., float]
    partials: tuple[Callable[..., float], ...]
    formulas: tuple[str, ...]
    symbol: str  # "+" for infix, "-" for prefix, the function name for calls
    style: str = CALL  # INFIX, PREFIX or CALL
    precedence: int = 100  # for printing: higher binds tighter
    domain: Callable[..., bool] | None = None  # which operand values the tests may use
    kinks: Callable[..., bool] | None = None  # True where a partial is a convention, not a derivative
    # True when the exact result is never zero unless an operand is: a 0.0 from
    # nonzero operands is then an underflow, which the forward pass reports.
    never_zero: bool = False

    def partial(self, j: int, vals, out: float) -> float:
        """The local partial of this op's output with respect to operand ``j``."""
        if self.arity is None:
            return self.partials[0](j, vals, out)
        return self.partials[j](*vals, out)

    def formula(self, j: int, labels: list[str], out_label: str = "") -> str:
        """The symbolic partial with respect to operand ``j``, over the operands' labels, simplified.

        ``2*x^(2-1)`` is shown as ``2*x``: the template is built as an expression
        and simplified by ``gradcli.symbolic`` (imported only here, when a view asks).
        """
        from .symbolic import simplified_formula

        text = simplified_formula(self, j, labels, out_label)
        return text if text is not None else self.formula_text(j, labels, out_label)

    def formula_text(self, j: int, labels: list[str], out_label: str = "") -> str:
        """The formula template filled in, as written in the table (a gradcli expression).

        A variadic op's second template is one term of ``{sum}``, written once per operand ``{j}``.
        """
        if self.arity is None:
            terms = " + ".join(f"({self.formulas[1].format(j=label, out=out_label)})" for label in labels) \
                if len(self.formulas) > 1 else ""
            return self.formulas[0].format(i=labels[j], args=", ".join(labels), out=out_label, sum=terms)
        names = {"x": labels[0]} if self.arity == 1 else {"a": labels[0], "b": labels[1]}
        return self.formulas[j].format(out=out_label, **names)

    def defined_partial(self, j: int, vals, out: float) -> float | None:
        """``partial``, or None where it is undefined or infinite (for views that show every edge)."""
        try:
            local = self.partial(j, vals, out)
        except (ArithmeticError, ValueError):
            return None
        return local if math.isfinite(local) else None

    def render(self, labels: list[str]) -> str:
        """The op applied to operand texts, as the user would write it: ``a*b``, ``sin(x)``, ``v1*(-2)``.

        A negative operand of an operator is parenthesised (``(-1)/0``, ``-(-2)``).
        """
        if self.style != CALL:
            labels = [f"({s})" if s.startswith("-") else s for s in labels]
        if self.style == INFIX:
            return f"{labels[0]}{self.symbol}{labels[1]}"
        if self.style == PREFIX:
            return f"{self.symbol}{labels[0]}"
        return f"{self.symbol}({', '.join(labels)})"


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


def _pow_db(a: float, b: float, out: float) -> float:
    if a > 0:
        return out * math.log(a)
    if a == 0 and b > 0:
        return 0.0
    return NAN  # undefined; an error only if the exponent depends on an input


def _extreme_partial(j: int, vals, out: float) -> float:
    """max and min: 1 for the operand that is the result, shared equally at a tie."""
    if vals[j] != out:
        return 0.0
    return 1.0 / sum(1 for v in vals if v == out)


def _unary(name, forward, partial, formula, domain=None, kinks=None, symbol=None,
           never_zero=False) -> Op:
    return Op(name, 1, forward, (partial,), (formula,), symbol or name, CALL,
              domain=domain, kinks=kinks, never_zero=never_zero)


def _positive(x):
    return x > 0


def _unit_open(x):
    return -1 < x < 1


OPS: dict[str, Op] = {op.name: op for op in [
    Op("add", 2, lambda a, b: a + b, (lambda a, b, o: 1.0, lambda a, b, o: 1.0),
       ("1", "1"), "+", INFIX, 10),
    Op("sub", 2, lambda a, b: a - b, (lambda a, b, o: 1.0, lambda a, b, o: -1.0),
       ("1", "-1"), "-", INFIX, 10),
    Op("mul", 2, lambda a, b: a * b, (lambda a, b, o: b, lambda a, b, o: a),
       ("{b}", "{a}"), "*", INFIX, 20, never_zero=True),
    Op("div", 2, lambda a, b: a / b, (lambda a, b, o: 1.0 / b, lambda a, b, o: -a / (b * b)),
       ("1/{b}", "-{a}/{b}^2"), "/", INFIX, 20,
       domain=lambda a, b: abs(b) > 0.1, never_zero=True),
    Op("neg", 1, lambda x: -x, (lambda x, o: -1.0,), ("-1",), "-", PREFIX, 30),
    Op("pow", 2, _pow, (lambda a, b, o: b * math.pow(a, b - 1), _pow_db),
       ("{b}*{a}^({b}-1)", "{a}^{b}*log({a})"), "^", INFIX, 40,
       domain=lambda a, b: a > 0.1, never_zero=True),
    _unary("exp", math.exp, lambda x, o: o, "exp({x})", never_zero=True),
    _unary("log", math.log, lambda x, o: 1.0 / x, "1/{x}", domain=_positive),
    _unary("sqrt", math.sqrt, lambda x, o: 0.5 / o, "1/(2*sqrt({x}))", domain=_positive),
    _unary("sin", math.sin, lambda x, o: math.cos(x), "cos({x})"),
    _unary("cos", math.cos, lambda x, o: -math.sin(x), "-sin({x})"),
    _unary("tan", math.tan, lambda x, o: 1.0 + o * o, "1 + tan({x})^2",
           domain=lambda x: abs(x) < 1.4),
    _unary("asin", math.asin, lambda x, o: 1.0 / math.sqrt(1.0 - x * x), "1/sqrt(1 - {x}^2)",
           domain=_unit_open),
    _unary("acos", math.acos, lambda x, o: -1.0 / math.sqrt(1.0 - x * x), "-1/sqrt(1 - {x}^2)",
           domain=_unit_open),
    _unary("atan", math.atan, lambda x, o: 1.0 / (1.0 + x * x), "1/(1 + {x}^2)"),
    _unary("sinh", math.sinh, lambda x, o: math.cosh(x), "cosh({x})"),
    _unary("cosh", math.cosh, lambda x, o: math.sinh(x), "sinh({x})"),
    _unary("tanh", math.tanh, lambda x, o: 1.0 - o * o, "1 - tanh({x})^2"),
    _unary("sigmoid", _sigmoid, lambda x, o: o * (1.0 - o), "sigmoid({x})*(1 - sigmoid({x}))",
           never_zero=True),
    _unary("relu", lambda x: x if x > 0 else 0.0, lambda x, o: 1.0 if x > 0 else 0.0,
           "relu(sign({x}))", kinks=lambda x: x == 0),
    _unary("softplus", _softplus, lambda x, o: _sigmoid(x), "sigmoid({x})", never_zero=True),
    _unary("abs", abs, lambda x, o: (x > 0) - (x < 0) + 0.0, "sign({x})", kinks=lambda x: x == 0),
    _unary("sign", lambda x: (x > 0) - (x < 0) + 0.0, lambda x, o: 0.0, "0", kinks=lambda x: x == 0),
    Op("max", None, lambda *v: max(v), (_extreme_partial,),
       ("(1 - sign({out} - {i}))/({sum})", "1 - sign({out} - {j})"), "max",
       kinks=lambda *v: sum(1 for x in v if x == max(v)) > 1),
    Op("min", None, lambda *v: min(v), (_extreme_partial,),
       ("(1 - sign({i} - {out}))/({sum})", "1 - sign({j} - {out})"), "min",
       kinks=lambda *v: sum(1 for x in v if x == min(v)) > 1),
]}

# What the user may write, mapped to table entries.  `ln` and `pow(a, b)` are
# other spellings of `log` and `^`, not other operations.
INFIX_OPS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "^": "pow", "**": "pow"}
PREFIX_OPS = {"-": "neg"}
FUNCTIONS = {name: name for name, op in OPS.items() if op.style == CALL}
FUNCTIONS.update({"ln": "log", "pow": "pow"})
CONSTANTS = {"pi": math.pi, "e": math.e}
