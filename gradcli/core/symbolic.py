"""Expressions as a small DAG: hash-consed nodes, simplified as they are built, printed without recursion.

``Dag`` holds numbered nodes: constants, symbols (names) and operations from
the operator table.  ``apply`` is a smart constructor: it folds constants,
drops ``x+0``, ``1*x``, ``x*1``, ``0*x``, ``x^1``, ``-(-x)``, pulls signs out
of products, and then looks the node up in a table, so an expression built
twice is one node (common subexpressions are shared, never copied).  Every
rewrite keeps the value bit for bit at every point where the expression is
finite (negation is exact in IEEE arithmetic), so ``-(a*b)`` may be written
``-a*b``.

Node numbers grow as nodes are made, so they are a topological order: every
loop here walks the numbers, and nothing recurses.

``partial`` instantiates an op's local partial (the formula templates of
``gradcli/core/ops.py``) over DAG nodes; each template is parsed once, by
gradcli's own grammar.  ``render`` writes a node as gradcli text or as LaTeX,
with minimal parentheses, stopping at nodes given a name.
"""

from __future__ import annotations

import math
import re

from gradcli.core.ops import ALIAS, CONSTANTS, FUNCTIONS, INFIX, OPS, PREFIX, Op

ATOM = 1_000
PREFIX_LEVEL = OPS["neg"].precedence
PRODUCT_LEVEL = OPS["mul"].precedence
SUM_LEVEL = OPS["add"].precedence
_ADD, _SUB, _MUL, _DIV, _NEG, _POW = (OPS[n] for n in ("add", "sub", "mul", "div", "neg", "pow"))


class Dag:
    """Expression nodes in parallel lists; a node is its number."""

    def __init__(self):
        self.op: list[Op | None] = []  # None for constants and symbols
        self.args: list[tuple[int, ...]] = []
        self.value: list[float | None] = []  # a constant's value
        self.name: list[str | None] = []  # a symbol's name
        self._table: dict = {}

    def __len__(self) -> int:
        return len(self.op)

    def _new(self, key, op, args, value=None, name=None) -> int:
        i = len(self.op)
        self.op.append(op)
        self.args.append(args)
        self.value.append(value)
        self.name.append(name)
        self._table.setdefault(key, i)
        return i

    def const(self, value: float) -> int:
        value = value + 0.0  # -0.0 and 0.0 are one node
        found = self._table.get(("const", value))
        return found if found is not None else self._new(("const", value), None, (), value=value)

    def sym(self, name: str) -> int:
        found = self._table.get(("sym", name))
        return found if found is not None else self._new(("sym", name), None, (), name=name)

    def fresh(self, op: Op, args) -> int:
        """A new node exactly as given (a program's own statement); later equal nodes reuse it."""
        return self._new((op.name, tuple(args)), op, tuple(args))

    def raw(self, op: Op, args) -> int:
        """The node ``op(args)``, shared if it exists, with no rewriting."""
        args = tuple(args)
        found = self._table.get((op.name, args))
        return found if found is not None else self._new((op.name, args), op, args)

    def is_const(self, i: int, value: float | None = None) -> bool:
        v = self.value[i]
        return v is not None and (value is None or v == value)

    # The smart constructor.

    def apply(self, op: Op, args) -> int:
        args = tuple(args)
        value = self.value
        if all(value[a] is not None for a in args):
            folded = self._fold(op, [value[a] for a in args])
            if folded is not None:
                return self.const(folded)
        rule = _RULES.get(op.name)
        if rule is not None:
            result = rule(self, *args)
            if result is not None:
                return result
        return self.raw(op, args)

    def _fold(self, op: Op, vals: list[float]) -> float | None:
        """The value of ``op`` over constants, when it is finite and short to write (1/3 stays 1/3)."""
        try:
            v = op.forward(*vals)
        except (ArithmeticError, ValueError):
            return None
        if not math.isfinite(v) or (v == 0.0 and op.never_zero and 0.0 not in vals):
            return None
        if (v == int(v) and abs(v) < 1e15) or len(repr(abs(v))) <= 8 or abs(v) in _NAMED_CONSTANTS:
            return v
        return None

    def add(self, a, b):
        return self.apply(_ADD, (a, b))

    def sub(self, a, b):
        return self.apply(_SUB, (a, b))

    def mul(self, a, b):
        return self.apply(_MUL, (a, b))

    def div(self, a, b):
        return self.apply(_DIV, (a, b))

    def neg(self, a):
        return self.apply(_NEG, (a,))

    def total(self, terms) -> int:
        """``t1 + t2 + ...`` in the given order; 0 for none."""
        result = None
        for t in terms:
            result = t if result is None else self.add(result, t)
        return self.const(0.0) if result is None else result

    def negative(self, i: int) -> int | None:
        """``x`` when node ``i`` is ``-x`` or a negative constant ``-c`` (then the constant c)."""
        if self.op[i] is _NEG:
            return self.args[i][0]
        v = self.value[i]
        if v is not None and v < 0:
            return self.const(-v)
        return None


_NAMED_CONSTANTS = {value: name for name, value in CONSTANTS.items()}


def _add(d: Dag, a, b):
    if d.is_const(a, 0.0):
        return b
    if d.is_const(b, 0.0):
        return a
    nb = d.negative(b)
    if nb is not None:
        return d.sub(a, nb)
    na = d.negative(a)
    if na is not None:
        return d.sub(b, na)
    if a == b:
        return d.mul(d.const(2.0), a)
    for x, y in ((a, b), (b, a)):  # c*x + x = (c + 1)*x
        if d.op[x] is _MUL and d.is_const(d.args[x][0]) and d.args[x][1] == y:
            folded = d._fold(_ADD, [d.value[d.args[x][0]], 1.0])
            if folded is not None:
                return d.mul(d.const(folded), y)
    return None


def _sub(d: Dag, a, b):
    if d.is_const(b, 0.0):
        return a
    if d.is_const(a, 0.0):
        return d.neg(b)
    if a == b:
        return d.const(0.0)
    nb = d.negative(b)
    if nb is not None:
        return d.add(a, nb)
    return None


def _mul(d: Dag, a, b):
    if d.is_const(a, 0.0) or d.is_const(b, 0.0):
        return d.const(0.0)
    if d.is_const(a, 1.0):
        return b
    if d.is_const(b, 1.0):
        return a
    signed = _signs_out(d, a, b, d.mul)
    if signed is not None:
        return signed
    if d.is_const(b) and not d.is_const(a):  # constants first: 3*c
        return d.mul(b, a)
    if not d.is_const(a) and d.op[b] is _MUL and d.is_const(d.args[b][0]):  # a*(2*x) = 2*(a*x)
        return d.mul(d.args[b][0], d.mul(a, d.args[b][1]))
    if d.is_const(a) and d.op[b] is _MUL and d.is_const(d.args[b][0]):
        folded = d._fold(_MUL, [d.value[a], d.value[d.args[b][0]]])
        if folded is not None:
            return d.mul(d.const(folded), d.args[b][1])
    if a == b:  # x*x = x^2 exactly (one rounding either way)
        return d.apply(_POW, (a, d.const(2.0)))
    if d.op[b] is _DIV and d.is_const(d.args[b][0], 1.0):  # a*(1/b) = a/b
        return d.div(a, d.args[b][1])
    if d.op[a] is _DIV and d.is_const(d.args[a][0], 1.0):
        return d.div(b, d.args[a][1])
    return None


def _div(d: Dag, a, b):
    if d.is_const(b, 1.0):
        return a
    if d.is_const(a, 0.0):
        return d.const(0.0)
    return _signs_out(d, a, b, d.div)


def _signs_out(d: Dag, a, b, combine):
    """Signs in front, for ``combine`` a product or a quotient: (-a)(-b) = ab, (-a)b = a(-b) = -(ab).
    None when neither operand is negative."""
    na, nb = d.negative(a), d.negative(b)
    if na is not None and nb is not None:
        return combine(na, nb)
    if na is not None:
        return d.neg(combine(na, b))
    if nb is not None:
        return d.neg(combine(a, nb))
    return None


def _neg(d: Dag, a):
    if d.op[a] is _NEG:
        return d.args[a][0]
    if d.op[a] is _SUB:  # -(x - y) = y - x
        x, y = d.args[a]
        return d.sub(y, x)
    return None


def _pow(d: Dag, a, b):
    if d.is_const(b, 1.0):
        return a
    if d.is_const(b, 0.0) or d.is_const(a, 1.0):
        return d.const(1.0)
    return None


_RULES = {"add": _add, "sub": _sub, "mul": _mul, "div": _div, "neg": _neg, "pow": _pow,
          "copy": lambda d, a: a}  # y = x is x


# Partials from the op table's formula templates.

_TEMPLATES: dict = {}


def _template(op: Op, j: int, n: int) -> list:
    """Operand j's partial of op (with n operands) as a post-order list of steps, parsed once."""
    key = (op.name, j, n)
    steps = _TEMPLATES.get(key)
    if steps is None:
        from gradcli.lang.program import CALL as CALL_EXPR, NAME, NUM, walk
        from gradcli.lang.syntax import parse_program

        labels = [f"_{k}" for k in range(n)]
        text = op.formula_text(j, labels, "_out")
        expr = parse_program(f"r = {text}").statements[0].expr
        steps = []
        for e in walk(expr):
            if e.kind == NUM:
                steps.append(("const", e.value, 0))
            elif e.kind == NAME and e.text in CONSTANTS:  # pi in sinc's slope
                steps.append(("const", CONSTANTS[e.text], 0))
            elif e.kind == NAME:
                steps.append(("arg", -1 if e.text == "_out" else int(e.text[1:]), 0))
            else:
                steps.append(("op", OPS[FUNCTIONS[e.text]] if e.kind == CALL_EXPR else OPS[e.text], len(e.args)))
        _TEMPLATES[key] = steps
    return steps


def partial(dag: Dag, op: Op, j: int, args, out: int, simplify: bool = True) -> int:
    """The node of d op(args) / d args[j], where ``out`` is the node op(args) itself."""
    stack: list[int] = []
    build = dag.apply if simplify else dag.raw
    for kind, payload, n in _template(op, j, len(args)):
        if kind == "const":
            stack.append(dag.const(payload))
        elif kind == "arg":
            stack.append(out if payload < 0 else args[payload])
        else:
            operands = stack[len(stack) - n:]
            del stack[len(stack) - n:]
            stack.append(build(payload, operands))
    return stack[0]


_ELEMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\[\d+(?:, ?\d+)*\]")


def label_node(dag: Dag, label: str) -> int | None:
    """A tape label as a node: a name, an element of one (``x[1]``, as ``--element`` labels them),
    a literal's spelling (``2``, ``.5``, ``pi``); None if none of these."""
    if label in CONSTANTS:
        return dag.const(CONSTANTS[label])
    if label[:1].isdigit() or label[:1] == ".":
        try:
            return dag.const(float(label))
        except ValueError:
            return None
    if (label.replace("_", "a").isalnum() and not label[:1].isdigit()) or _ELEMENT.fullmatch(label):
        return dag.sym(label)  # a name, or one element of a named array: x[1], W[1,0]
    return None


def simplified_formula(op: Op, j: int, labels: list[str], out_label: str, latex: bool = False,
                       minimum: int = 0, symbols: dict[str, str] | None = None) -> str | None:
    """An op's partial over tape labels, simplified (``2*x`` for ``2*x^(2-1)``); None if a label is odd."""
    dag = Dag()
    nodes = [label_node(dag, label) for label in labels]
    out = label_node(dag, out_label) if out_label else dag.sym("_out")
    if out is None or any(n is None for n in nodes):
        return None
    return render(dag, partial(dag, op, j, nodes, out), latex=latex, minimum=minimum, symbols=symbols)


# Sizes and printing.

def sizes(dag: Dag, cap: int) -> list[int]:
    """Each node's size written out as a tree (no sharing), capped at cap + 1: one loop over the numbers."""
    size = [1] * len(dag)
    args = dag.args
    for i in range(len(dag)):
        if args[i]:
            s = 1
            for a in args[i]:
                s += size[a]
            size[i] = s if s <= cap else cap + 1
    return size


def number_text(v: float) -> str:
    """``3``, ``0.5``, ``pi``: a constant as gradcli text that reads back to the same double."""
    name = _NAMED_CONSTANTS.get(abs(v))
    if name is not None:
        return f"-{name}" if v < 0 else name
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


class Printer:
    """Precedences and tokens for one output language (gradcli text or LaTeX)."""

    def __init__(self, dag: Dag, names: dict[int, str], latex: bool, symbols: dict[str, str] | None = None):
        self.dag, self.names, self.latex = dag, names, latex
        self.symbols = symbols or {}  # name -> its LaTeX symbol where latex_symbols chose one
        self._lead: dict[int, bool] = {}

    def precedence(self, i: int) -> int:
        dag = self.dag
        if i in self.names:
            return ATOM
        op = dag.op[i]
        if op is None:
            v = dag.value[i]
            return PREFIX_LEVEL if v is not None and v < 0 else ATOM
        if op.style == ALIAS:  # y = x: written as its operand
            return self.precedence(dag.args[i][0])
        if op.style == INFIX:
            return ATOM if self.latex and op is _DIV else op.precedence
        if op.style == PREFIX:
            # -a*b reads as (-a)*b, which has the same value: write -(a*b) that way.
            a = dag.args[i][0]
            if a not in self.names and dag.op[a] in (_MUL, _DIV) and not (self.latex and dag.op[a] is _DIV):
                return PRODUCT_LEVEL
            return PREFIX_LEVEL
        return ATOM

    def leads_with_minus(self, i: int) -> bool:
        """True when node i's text starts with '-' (so it needs parentheses after an operator)."""
        seen = []
        answer = False
        while True:
            if i in self._lead:
                answer = self._lead[i]
                break
            seen.append(i)
            dag = self.dag
            op = dag.op[i]
            if i in self.names or (op is None and dag.value[i] is None):
                answer = False
                break
            if op is None:
                answer = dag.value[i] < 0
                break
            if op.style == PREFIX:
                answer = True
                break
            if op.style != INFIX or (self.latex and op is _DIV):
                answer = False
                break
            left = dag.args[i][0]
            if self.precedence(left) < self.left_minimum(op):
                answer = False
                break
            i = left
        for s in seen:
            self._lead[s] = answer
        return answer

    @staticmethod
    def left_minimum(op: Op) -> int:
        if op.precedence < SUM_LEVEL:  # a comparison: its operands never chain
            return op.precedence + 1
        return ATOM if op.precedence > PREFIX_LEVEL else op.precedence

    def leaf(self, i: int) -> str:
        dag = self.dag
        name = self.names.get(i, dag.name[i])
        if name is not None:
            if self.latex and i not in self.names:
                return self.symbols.get(name) or latex_name(name)
            return name
        v = dag.value[i]
        if self.latex:
            text = number_text(v)
            return text.replace("pi", r"\pi")
        return number_text(v)

    def parts(self, i: int) -> list:
        """Node i's text as tokens and (operand, minimum precedence, after-an-operator) items."""
        dag = self.dag
        op, args = dag.op[i], dag.args[i]
        latex = self.latex
        if op.style == ALIAS:
            return [(args[0], 0, False)]
        if op.style == INFIX:
            if latex and op is _DIV:
                return [r"\frac{", (args[0], 0, False), "}{", (args[1], 0, False), "}"]
            if op.precedence > PREFIX_LEVEL:  # ^: an atom on the left, anything on the right
                if latex:
                    return [(args[0], ATOM, False), "^{", (args[1], 0, False), "}"]
                return [(args[0], ATOM, False), op.symbol, (args[1], PREFIX_LEVEL, True)]
            if latex and op is _MUL:
                symbol = r" \cdot "
            else:
                symbol = f" {op.symbol} " if op.precedence <= SUM_LEVEL else op.symbol
            left = op.precedence + 1 if op.precedence < SUM_LEVEL else op.precedence  # (a < b) < c: no chains
            return [(args[0], left, False), symbol, (args[1], op.precedence + 1, True)]
        if op.style == PREFIX:
            return [op.symbol, (args[0], PRODUCT_LEVEL if self.precedence(i) == PRODUCT_LEVEL else PREFIX_LEVEL, True)]
        if latex:
            if op.name == "sqrt":
                return [r"\sqrt{", (args[0], 0, False), "}"]
            if op.name == "abs":
                return [r"\left|", (args[0], 0, False), r"\right|"]
            head = _LATEX_FUNCTIONS.get(op.name, rf"\operatorname{{{op.name}}}") + r"\left("
            close = r"\right)"
        else:
            head, close = op.symbol + "(", ")"
        out: list = [head]
        for k, a in enumerate(args):
            if k:
                out.append(", ")
            out.append((a, 0, False))
        out.append(close)
        return out

    def text(self, root: int, minimum: int = 0, define: bool = False) -> str:
        """Node ``root`` written out; ``define``: write its definition even if it has a name."""
        out: list[str] = []
        open_, close = (r"\left(", r"\right)") if self.latex else ("(", ")")
        stack: list = [(root, minimum, False, define)]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                out.append(item)
                continue
            i, need, after_operator, defining = item
            if (i in self.names and not defining) or self.dag.op[i] is None:
                if after_operator and self.leads_with_minus(i) and i not in self.names:
                    out.append(f"{open_}{self.leaf(i)}{close}")
                else:
                    out.append(self.leaf(i))
                continue
            parts = [p if isinstance(p, str) else (*p, False) for p in self.parts(i)]
            wrap = self.precedence(i) < need or (after_operator and self.leads_with_minus(i))
            if defining:
                wrap = False
            if wrap:
                parts = [open_, *parts, close]
            stack.extend(reversed(parts))
        return "".join(out)


def render(dag: Dag, root: int, names: dict[int, str] | None = None, latex: bool = False,
           minimum: int = 0, define: bool = False, symbols: dict[str, str] | None = None) -> str:
    return Printer(dag, names or {}, latex, symbols).text(root, minimum, define)


_LATEX_FUNCTIONS = {
    "exp": r"\exp", "log": r"\log", "sin": r"\sin", "cos": r"\cos", "tan": r"\tan",
    "asin": r"\arcsin", "acos": r"\arccos", "atan": r"\arctan", "sinh": r"\sinh",
    "cosh": r"\cosh", "tanh": r"\tanh", "sigmoid": r"\sigma", "max": r"\max", "min": r"\min",
}
_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
          "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega"}


def latex_name(name: str) -> str:
    """``x1`` -> ``x_{1}``, ``w_0`` -> ``w_{0}``, ``rate`` -> ``\\mathit{rate}``, ``alpha`` -> ``\\alpha``."""
    base, sub = name, ""
    if "_" in name.strip("_"):
        stripped = name.lstrip("_")
        head, _, sub = stripped.partition("_")
        base = name[: len(name) - len(stripped)] + head
    else:
        k = len(name)
        while k > 1 and name[k - 1].isdigit():
            k -= 1
        if k < len(name) and name[:k].isalpha():
            base, sub = name[:k], name[k:]
    if base in _GREEK:
        base = "\\" + base
    elif len(base) > 1:
        base = r"\mathit{" + base.replace("_", r"\_") + "}"
    if sub:
        return base + "_{" + sub.replace("_", ",") + "}"
    return base


def latex_symbols(names) -> dict[str, str]:
    """Each name's LaTeX symbol, no two alike: where ``latex_name`` gives two names one symbol
    (``x1`` and ``x_1`` are both x_{1}), each of them is written out as it is spelled."""
    symbols = {name: latex_name(name) for name in names}
    count: dict[str, int] = {}
    for symbol in symbols.values():
        count[symbol] = count.get(symbol, 0) + 1
    for name, symbol in symbols.items():
        if count[symbol] > 1:
            symbols[name] = r"\mathit{" + name.replace("_", r"\_") + "}"
    return symbols


__all__ = ["Dag", "Printer", "partial", "render", "sizes", "simplified_formula", "latex_name", "latex_symbols",
           "number_text"]
