"""Expressions over arrays, simplified: what the closed forms of an array program's gradient are written in.

The derived backward pass (analyses/derive_arrays.py) is a chain of statements; its closed form
substitutes them into one another and simplifies the result, as matrixcalculus.org and The
Matrix Cookbook write a gradient: ``2*outer(q, x)`` rather than ``outer(d_v2*q + d_v2*q, x)``
with ``d_v2 = broadcast_to(1, (2,))``.  The rewrites are the ones a person makes by hand,
each safe for every value of the names and checked against shapes, never guessed:

* a uniform array (``broadcast_to(c, s)``, a number spread) is the number c where the other
  operand of an elementwise op already has the result's shape;
* constants are folded, pulled to the front of a product and out of linear maps (``@``,
  ``outer``, ``transpose``, ``sum``), and a factor and its reciprocal cancel;
* like terms are collected (``q + q`` is ``2*q``) and a common factor is taken out of a sum
  (``-Y/N + softmax(S)/N`` is ``(softmax(S) - Y)/N``);
* transposes are pushed to the leaves (``transpose(A @ B)`` is ``transpose(B) @ transpose(A)``).

A node is a tuple: ``("num", v)``, ``("name", s)``, ``(op, a, b)`` for the operators ``add``,
``sub``, ``mul``, ``div``, ``pow``, ``matmul`` and the comparisons, ``("neg", a)``, and
``("call", f, args)`` where each argument is a node or ``("static", text)`` (an axis, a shape, a
keyword), or ``("index", base, args)`` for ``x[...]``.  Shapes are found by the shape pass over
the expression's text (core/shapes.py), given the shapes of the names.
"""

from __future__ import annotations

import math

from gradcli.core.symbolic import number_text
from gradcli.core.values import np
from gradcli.lang.program import ARRAY, CALL, KEYWORD, LIST, NAME, NUM, OP, SLICE, STRING, SUBSCRIPT, TUPLE

BINARY = {"add": ("+", 1), "sub": ("-", 1), "mul": ("*", 2), "div": ("/", 2), "matmul": ("@", 2),
          "pow": ("^", 4), "less": ("<", 0), "less_equal": ("<=", 0), "greater": (">", 0),
          "greater_equal": (">=", 0), "equal": ("==", 0), "not_equal": ("!=", 0)}
ELEMENTWISE = ("add", "sub", "mul", "div")
_LINEAR = ("outer", "transpose", "sum", "expand_dims", "mean", "trace")  # f(c*x) = c*f(x), x the first argument
_ATOM = 9


def from_expr(e) -> tuple:
    """A parsed expression (lang/program.Expr) as a node."""
    kind = e.kind
    if kind == NUM:
        return ("num", float(e.value))
    if kind == NAME:
        return ("name", e.text)
    if kind == OP and e.text == "neg":
        return ("neg", from_expr(e.args[0]))
    if kind == OP and e.text in BINARY:
        return (e.text, from_expr(e.args[0]), from_expr(e.args[1]))
    if kind in (OP, CALL):
        return ("call", e.text, tuple(_argument(a) for a in e.args))
    if kind == SUBSCRIPT:
        return ("index", from_expr(e.args[0]), tuple(_argument(a) for a in e.args[1:]))
    return ("static", _text_of(e))


def _argument(e) -> tuple:
    if e.kind in (KEYWORD, STRING, TUPLE, SLICE) or (e.kind == NAME and e.text == "None"):
        return ("static", _text_of(e))
    return from_expr(e)


def _text_of(e) -> str:
    """The text of a static argument or a literal."""
    if e.kind == KEYWORD:
        return f"{e.text}={_text_of(e.args[0])}"
    if e.kind == STRING:
        return repr(e.text)
    if e.kind == TUPLE:
        items = [_text_of(a) for a in e.args]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if e.kind == SLICE:
        parts = ["" if a.kind == NAME and a.text == "None" else _text_of(a) for a in e.args]
        return ":".join(parts[:2]) if parts[2] == "" else ":".join(parts)
    if e.kind == NUM:
        return e.text
    if e.kind == NAME:
        return e.text
    if e.kind in (ARRAY,):
        return e.text
    if e.kind == LIST:
        return "[" + ", ".join(text(from_expr(a)) for a in e.args) + "]"
    return text(from_expr(e))


# ---------------------------------------------------------------- printing


def text(n: tuple) -> str:
    return _print(n)[0]


def _print(n: tuple) -> tuple[str, int]:
    kind = n[0]
    if kind == "num":
        t = number_text(n[1])
        return (t, _ATOM) if not t.startswith("-") else (t, 3)
    if kind in ("name", "static"):
        return n[1], _ATOM
    if kind == "neg":
        return f"-{_wrap(n[1], 3)}", 3
    if kind in BINARY:
        symbol, prec = BINARY[kind]
        if kind == "pow":
            return f"{_wrap(n[1], prec + 1)}^{_wrap(n[2], prec)}", prec
        spaced = f" {symbol} " if kind in ("add", "sub", "matmul") or prec == 0 else symbol
        left = _wrap(n[1], prec + 1 if _mixed(kind, n[1]) or prec == 0 else prec)  # comparisons do not chain
        return f"{left}{spaced}{_wrap(n[2], prec + 1)}", prec
    if kind == "call":
        return f"{n[1]}({', '.join(text(a) for a in n[2])})", _ATOM
    if kind == "index":
        return f"{_wrap(n[1], _ATOM)}[{', '.join(text(a) for a in n[2])}]", _ATOM
    raise ValueError(n)


def _mixed(kind: str, left: tuple) -> bool:
    """``(a*b) @ c`` and ``(a @ b)*c`` keep their parentheses: @ and * bind alike, but a reader
    should not have to know it.  A number times a matrix product (``2*q @ x``) reads plainly."""
    if kind == "matmul":
        return left[0] in ("mul", "div") and left[1][0] != "num"
    return kind in ("mul", "div") and left[0] == "matmul"


def _wrap(n: tuple, at_least: int) -> str:
    t, prec = _print(n)
    return t if prec >= at_least else f"({t})"


def size(n: tuple, cap: int = 1 << 30) -> int:
    """How many nodes the expression has, written as a tree; counting stops past ``cap`` (a tree of
    shared subtrees can be exponentially larger than its DAG)."""
    total, stack = 0, [n]
    while stack and total <= cap:
        m = stack.pop()
        total += 1
        stack.extend(_children(m))
    return total


def _children(n: tuple) -> list:
    if n[0] in ("num", "name", "static"):
        return []
    if n[0] == "neg":
        return [n[1]]
    if n[0] in BINARY:
        return [n[1], n[2]]
    if n[0] == "call":
        return [a for a in n[2] if a[0] != "static"]
    return [n[1], *[a for a in n[2] if a[0] != "static"]]


def names_in(n: tuple) -> list[str]:
    found, stack = [], [n]
    while stack:
        m = stack.pop()
        if m[0] == "name" and m[1] not in found:
            found.append(m[1])
        stack.extend(_children(m))
    return found


def substitute(n: tuple, defs: dict) -> tuple:
    """``n`` with each name in ``defs`` replaced by its node (once: the definitions are already whole)."""
    kind = n[0]
    if kind == "name":
        return defs.get(n[1], n)
    if kind in ("num", "static"):
        return n
    if kind == "neg":
        return ("neg", substitute(n[1], defs))
    if kind in BINARY:
        return (kind, substitute(n[1], defs), substitute(n[2], defs))
    if kind == "call":
        return ("call", n[1], tuple(substitute(a, defs) for a in n[2]))
    return ("index", substitute(n[1], defs), tuple(substitute(a, defs) for a in n[2]))


# ---------------------------------------------------------------- simplifying


class Simplifier:
    """Rewrites nodes bottom-up to a fixed point; ``shape_of(text)`` gives an expression's shape."""

    def __init__(self, shape_of):
        self._shape_of = shape_of
        self._shapes: dict[tuple, tuple] = {}

    def shape(self, n: tuple) -> tuple:
        if n[0] == "num":
            return ()
        found = self._shapes.get(n)
        if found is None:
            found = self._shapes[n] = tuple(self._shape_of(text(n)))
        return found

    def simplify(self, n: tuple) -> tuple:
        for _ in range(20):
            m = self._pass(n)
            if m == n:
                return m
            n = m
        return n

    def _pass(self, n: tuple) -> tuple:
        kind = n[0]
        if kind in ("num", "name", "static"):
            return n
        if kind == "neg":
            return self._neg(self._pass(n[1]))
        if kind in BINARY:
            return self._binary(kind, self._pass(n[1]), self._pass(n[2]))
        if kind == "call":
            return self._call(n[1], tuple(self._pass(a) for a in n[2]))
        return ("index", self._pass(n[1]), tuple(self._pass(a) for a in n[2]))

    # -- the rules

    def _neg(self, a: tuple) -> tuple:
        if a[0] == "num":
            return ("num", -a[1])
        if a[0] == "neg":
            return a[1]
        if a[0] == "mul" and a[1][0] == "num":
            return ("mul", ("num", -a[1][1]), a[2])
        return ("neg", a)

    def _binary(self, kind: str, a: tuple, b: tuple) -> tuple:
        if kind in ELEMENTWISE:
            a, b = self._ununiform(a, b), self._ununiform(b, a)
        if a[0] == "num" and b[0] == "num" and kind in ("add", "sub", "mul", "div", "pow"):
            x, y = a[1], b[1]
            try:
                v = {"add": x + y, "sub": x - y, "mul": x * y, "div": x / y if y else None,
                     "pow": x ** y if x > 0 else None}[kind]
            except (OverflowError, ZeroDivisionError):
                v = None
            if v is not None:
                return ("num", float(v))
        if kind == "mul":
            return self._product(a, b)
        if kind == "div":
            if b[0] == "num" and b[1] not in (0.0,):
                return self._product(("num", 1.0 / b[1]), a) if _exact_reciprocal(b[1]) else ("div", a, b)
            if b == ("num", 1.0):
                return a
            return self._product(a, ("div", ("num", 1.0), b)) if a[0] != "num" else ("div", a, b)
        if kind in ("add", "sub"):
            return self._sum(a, b if kind == "add" else self._neg(b))
        if kind == "matmul":
            for keep, other in ((a, b), (b, a)):
                if _identity(other) and self._safe_shape((kind, a, b)) == self._safe_shape(keep):
                    return keep  # A @ I is A
            ca, ra = _coefficient(a)
            cb, rb = _coefficient(b)
            if ca != 1.0 or cb != 1.0:
                return self._scaled(ca * cb, ("matmul", ra, rb))
        if kind == "pow" and b == ("num", 1.0):
            return a
        return (kind, a, b)

    def _ununiform(self, a: tuple, other: tuple) -> tuple:
        """A uniform operand (every element the number c) as c, where the other operand has the result's shape."""
        c = _uniform(a)
        if c is None:
            return a
        sa, so = self.shape(a), self.shape(other)
        try:
            joined = tuple(np.broadcast_shapes(sa, so))
        except ValueError:
            return a
        return c if joined == so else a

    def _product(self, a: tuple, b: tuple) -> tuple:
        """A product: its factors listed, numbers multiplied into one in front, x and 1/x cancelled."""
        shape = self._safe_shape(("mul", a, b))
        number, factors = 1.0, []
        for f in _factors(a) + _factors(b):
            if f[0] == "num":
                number *= f[1]
            else:
                factors.append(f)
        factors = self._cancel(factors)
        if number == 0.0 and shape == ():
            return ("num", 0.0)
        result = None
        for f in factors:
            result = f if result is None else ("mul", result, f)
        if result is None:
            result = ("num", number)
        else:
            result = self._scaled(number, result)
        if shape is not None and self._safe_shape(result) != shape:
            return ("mul", a, b)  # the cancelled factors carried the shape: keep them
        return result

    def _cancel(self, factors: list) -> list:
        kept = list(factors)
        for i, f in enumerate(factors):
            if f[0] == "div" and f[1] == ("num", 1.0) and f[2] in kept and f in kept:
                kept.remove(f)
                kept.remove(f[2])
        return kept

    def _sum(self, a: tuple, b: tuple) -> tuple:
        """A sum: like terms collected, numbers added, a common factor taken out."""
        shape = self._safe_shape(("add", a, b))
        terms: list[list] = []  # [coefficient, rest]
        number = 0.0
        for t in _terms(a) + _terms(b):
            c, rest = _coefficient(t)
            if rest == ("num", 1.0):
                number += c
                continue
            for entry in terms:
                if entry[1] == rest:
                    entry[0] += c
                    break
            else:
                terms.append([c, rest])
        terms = [t for t in terms if t[0] != 0.0]
        if not terms:
            return ("num", number)
        common = abs(terms[0][0])
        factor = common if all(abs(c) == common for c, _ in terms) and common != 1.0 and number == 0.0 else 1.0
        terms.sort(key=lambda t: t[0] < 0)  # positive terms first: (p - y), not (-y + p)
        result = None
        if number > 0 and terms[0][0] < 0:  # 1 - H^2, not -H^2 + 1
            result, number = ("num", number), 0.0
        for c, rest in terms:
            c = c / factor
            term = rest if abs(c) == 1.0 else ("mul", ("num", abs(c)), rest)
            if result is None:
                result = term if c > 0 else self._neg(term)
            else:
                result = ("add" if c > 0 else "sub", result, term)
        if number != 0.0:
            result = ("add" if number > 0 else "sub", result, ("num", abs(number)))
        result = self._scaled(factor, result)
        if shape is not None and self._safe_shape(result) != shape:
            return ("add", a, b)
        return result

    def _scaled(self, c: float, n: tuple) -> tuple:
        if c == 1.0:
            return n
        if c == 0.0 or not math.isfinite(c):
            return ("mul", ("num", c), n)  # 0 times an array keeps the array's shape
        if c == -1.0:
            return ("neg", n)
        inverse = round(1.0 / c)
        if abs(inverse) > 1 and abs(1.0 / c - inverse) <= 1e-12 * abs(inverse):  # 1/64 times x is x/64
            return ("div", n, ("num", float(inverse))) if inverse > 0 else ("neg", ("div", n, ("num", float(-inverse))))
        return ("mul", ("num", c), n)

    def _call(self, f: str, args: tuple) -> tuple:
        if f == "broadcast_to" and len(args) == 2 and self._safe_shape(args[0]) == self._safe_shape(("call", f, args)):
            return args[0]
        if f == "transpose" and len(args) == 1:
            x = args[0]
            if x[0] == "call" and x[1] == "transpose" and len(x[2]) == 1:
                return x[2][0]
            if x[0] == "matmul" and len(self._safe_shape(x[1]) or ()) == 2 and len(self._safe_shape(x[2]) or ()) == 2:
                return ("matmul", ("call", "transpose", (x[2],)), ("call", "transpose", (x[1],)))
            if len(self._safe_shape(x) or (0, 0)) < 2:
                return x  # a vector's transpose is itself
        if f == "relu" and len(args) == 1 and args[0][0] == "call" and args[0][1] == "sign" and len(args[0][2]) == 1:
            return ("greater", args[0][2][0], ("num", 0.0))  # relu's slope: 1 where x > 0, else 0
        if f in _LINEAR and args and args[0][0] != "static":
            c, rest = _coefficient(args[0])
            if c != 1.0:
                return self._scaled(c, ("call", f, (rest, *args[1:])))
        return ("call", f, args)

    def _safe_shape(self, n: tuple):
        try:
            return self.shape(n)
        except Exception:  # noqa: BLE001 - an expression the shape pass refuses keeps its form
            return None


def _uniform(n: tuple):
    """The number every element of n equals, when n is a number spread to a shape; else None."""
    if n[0] == "num":
        return n
    if n[0] == "call" and n[1] in ("broadcast_to", "expand_dims") and n[2]:
        return _uniform(n[2][0])
    if n[0] == "neg":
        inner = _uniform(n[1])
        return None if inner is None else ("num", -inner[1])
    if n[0] in ("mul", "div") and n[1][0] == "num":
        inner = _uniform(n[2])
        if inner is not None:
            return ("num", n[1][1] * inner[1] if n[0] == "mul" else n[1][1] / inner[1]) if inner[1] else None
    if n[0] in ("mul", "div") and n[2][0] == "num" and n[2][1]:
        inner = _uniform(n[1])
        if inner is not None:
            return ("num", inner[1] * n[2][1] if n[0] == "mul" else inner[1] / n[2][1])
    return None


def _identity(n: tuple) -> bool:
    """An identity matrix written out as a literal (the rule of trace writes one)."""
    if n[0] != "static" or not n[1].startswith("[["):
        return False
    import json

    try:
        rows = json.loads(n[1])
    except ValueError:
        return False
    return all(isinstance(row, list) and len(row) == len(rows)
               and all(x == (1 if i == j else 0) for j, x in enumerate(row)) for i, row in enumerate(rows))


def _exact_reciprocal(v: float) -> bool:
    """x/64 may be written (1/64)*x: the reciprocal of a power of two is exact."""
    import math

    m, _ = math.frexp(v)
    return abs(m) == 0.5


def _factors(n: tuple) -> list:
    if n[0] == "mul":
        return _factors(n[1]) + _factors(n[2])
    if n[0] == "neg":
        return [("num", -1.0), *_factors(n[1])]
    if n[0] == "div" and n[2][0] == "num" and n[2][1]:  # x/3 is (1/3)*x: the number joins the others
        return [("num", 1.0 / n[2][1]), *_factors(n[1])]
    return [n]


def _terms(n: tuple) -> list:
    if n[0] == "add":
        return _terms(n[1]) + _terms(n[2])
    if n[0] == "sub":
        return _terms(n[1]) + [("neg", t) if t[0] != "neg" else t[1] for t in _terms(n[2])]
    return [n]


def _coefficient(n: tuple) -> tuple[float, tuple]:
    """``3*x`` as (3, x); ``-x`` as (-1, x); ``x/4`` as (0.25, x); a number c as (c, 1)."""
    if n[0] == "num":
        return n[1], ("num", 1.0)
    if n[0] == "neg":
        c, rest = _coefficient(n[1])
        return -c, rest
    if n[0] == "mul" and n[1][0] == "num":
        c, rest = _coefficient(n[2])
        return n[1][1] * c, rest
    if n[0] == "div" and n[2][0] == "num" and n[2][1]:
        c, rest = _coefficient(n[1])
        return c / n[2][1], rest
    return 1.0, n




def occurrences(n: tuple, target: tuple) -> int:
    count, stack = 0, [n]
    while stack:
        m = stack.pop()
        if m == target:
            count += 1
            continue
        stack.extend(_children(m))
    return count


def replace(n: tuple, target: tuple, by: tuple) -> tuple:
    """``n`` with every occurrence of the subtree ``target`` replaced by ``by``."""
    if n == target:
        return by
    kind = n[0]
    if kind in ("num", "name", "static"):
        return n
    if kind == "neg":
        return ("neg", replace(n[1], target, by))
    if kind in BINARY:
        return (kind, replace(n[1], target, by), replace(n[2], target, by))
    if kind == "call":
        return ("call", n[1], tuple(replace(a, target, by) for a in n[2]))
    return ("index", replace(n[1], target, by), tuple(replace(a, target, by) for a in n[2]))


# ---------------------------------------------------------------- elementwise algebra, as for numbers


_SCALAR_KINDS = ("add", "sub", "mul", "div", "neg", "pow", "num", "name")


def _scalar_call(n: tuple) -> bool:
    from gradcli.core.ops import FUNCTIONS, OPS

    name = FUNCTIONS.get(n[1])
    return (name is not None and OPS[name].scalar and OPS[name].arity not in (None,)
            and all(a[0] != "static" for a in n[2]))


def _elementwise(n: tuple) -> bool:
    return n[0] in _SCALAR_KINDS or (n[0] == "call" and _scalar_call(n))


def algebra(n: tuple, definitions: dict, simplifier: "Simplifier", simplest) -> tuple:
    """The elementwise parts of ``n`` simplified by the algebra of numbers (core/canonical.py), which
    holds element by element: a maximal elementwise subtree, with the program's elementwise statements
    it names written out (``p`` as ``sigmoid(z)``), becomes a formula of numbers whose other parts
    (``X @ w``, ``sum(...)``) are opaque; its simplest form is kept where it is smaller and has the
    same shape.  ``simplest(text, atoms)`` returns the simplified text of a formula of numbers."""
    if not _elementwise(n) or n[0] in ("num", "name"):
        if n[0] in ("num", "name", "static"):
            return n
        if n[0] == "call":
            return ("call", n[1], tuple(algebra(a, definitions, simplifier, simplest) for a in n[2]))
        if n[0] == "index":
            return ("index", algebra(n[1], definitions, simplifier, simplest),
                    tuple(algebra(a, definitions, simplifier, simplest) for a in n[2]))
        if n[0] in BINARY or n[0] == "neg":
            return (n[0], *[algebra(a, definitions, simplifier, simplest) for a in n[1:]])
        return n
    atoms: dict[tuple, str] = {}

    def flat(m: tuple, depth: int = 0) -> str:
        """The subtree as a formula of numbers: its other parts as atom names, its names' elementwise
        definitions written out (a few levels deep)."""
        kind = m[0]
        if kind == "num":
            return f"({text(m)})"
        if kind == "name":
            definition = definitions.get(m[1])
            if definition is not None and depth < 6 and _elementwise(definition):
                return f"({flat(definition, depth + 1)})"
            return m[1]
        if kind == "neg":
            return f"(-{flat(m[1], depth)})"
        if kind in ("add", "sub", "mul", "div", "pow"):
            return f"({flat(m[1], depth)}{BINARY[kind][0]}{flat(m[2], depth)})"
        if kind == "call" and _scalar_call(m):
            return f"{m[1]}({', '.join(flat(a, depth) for a in m[2])})"
        inner = algebra(m, definitions, simplifier, simplest)
        if inner not in atoms:
            atoms[inner] = f"atom{len(atoms)}_"
        return atoms[inner]

    formula = flat(n)
    simpler = simplest(formula)
    if simpler is None:
        return n
    from gradcli.lang.syntax import parse_program

    candidate = substitute(from_expr(parse_program(f"r = {simpler}").statements[0].expr),
                           {name: atom for atom, name in atoms.items()})
    for name, definition in definitions.items():  # the program's own names back where their text stands
        if size(definition) >= 3:
            candidate = replace(candidate, definition, ("name", name))
    candidate = simplifier.simplify(candidate)
    try:
        same = simplifier.shape(candidate) == simplifier.shape(n)
    except Exception:  # noqa: BLE001 - a form whose shape cannot be told is not used
        same = False
    return candidate if same and size(candidate) < size(n) else n


# ---------------------------------------------------------------- LaTeX, in matrix notation


def _pmatrix(literal: str) -> str:
    """``[[1, 2], [3, 4]]`` as a pmatrix (a vector as a column)."""
    import json

    try:
        rows = json.loads(literal)
    except ValueError:
        return r"\text{" + literal + "}"
    if rows and isinstance(rows[0], list) and rows[0] and isinstance(rows[0][0], list):
        return r"\text{" + literal + "}"  # three axes and more: as written
    if rows and not isinstance(rows[0], list):
        rows = [[x] for x in rows]
    body = r" \\ ".join(" & ".join(number_text(float(x)) for x in row) for row in rows)
    return r"\begin{pmatrix} " + body + r" \end{pmatrix}"


_LATEX_FUNCTIONS = {"sin", "cos", "tan", "sinh", "cosh", "tanh", "exp", "log", "det"}


class Latex:
    r"""A node in The Matrix Cookbook's notation: ``W^\top``, ``a b^\top``, ``\odot`` between arrays,
    ``\mathbf{1}^\top E`` for a sum over rows, ``X^{-1}``; ``shape(n)`` tells a number from an array."""

    def __init__(self, shape, symbols: dict[str, str]):
        self.shape, self.symbols = shape, symbols

    def text(self, n: tuple) -> str:
        return self._print(n)[0]

    def _print(self, n: tuple) -> tuple[str, int]:
        from gradcli.core.symbolic import latex_name

        kind = n[0]
        if kind == "num":
            t = number_text(n[1])
            return (t, _ATOM) if not t.startswith("-") else (t, 3)
        if kind == "name":
            return self.symbols.get(n[1]) or latex_name(n[1]), _ATOM
        if kind == "static":
            if n[1].startswith("["):  # an array literal: a matrix
                return _pmatrix(n[1]), _ATOM
            return r"\text{" + n[1].replace("_", r"\_") + "}", _ATOM
        if kind == "neg":
            return f"-{self._wrap(n[1], 3)}", 3
        if kind == "div":
            return rf"\frac{{{self.text(n[1])}}}{{{self.text(n[2])}}}", _ATOM
        if kind == "pow":
            return f"{self._wrap(n[1], _ATOM)}^{{{self.text(n[2])}}}", 4
        if kind == "matmul":  # a Hadamard product inside a matrix product keeps its parentheses
            left = 3 if n[1][0] == "mul" and self._hadamard(n[1]) else 2
            return f"{self._wrap(n[1], left)} {self._wrap(n[2], 3)}", 2
        if kind == "mul":
            if self._hadamard(n):
                return rf"{self._wrap(n[1], 3)} \odot {self._wrap(n[2], 3)}", 2
            if n[1][0] == "num":  # 2 W^T q: a number before a product needs no parentheses
                return f"{self._wrap(n[1], 2)} {self._wrap(n[2], 2)}", 2
            joint = r" \cdot " if n[2][0] == "num" else " "
            return f"{self._wrap(n[1], 2)}{joint}{self._wrap(n[2], 3)}", 2
        if kind in ("add", "sub"):
            return f"{self._wrap(n[1], 1)} {'+' if kind == 'add' else '-'} {self._wrap(n[2], 2)}", 1
        if kind in BINARY:  # a comparison: the mask of 1s where it holds
            return rf"\mathbb{{1}}[{self.text(n[1])} {BINARY[kind][0]} {self.text(n[2])}]", _ATOM
        if kind == "call":
            return self._call(n[1], n[2]), _ATOM
        return f"{self._wrap(n[1], _ATOM)}[{', '.join(self.text(a) for a in n[2])}]", _ATOM

    def _hadamard(self, n: tuple) -> bool:
        return self._array(n[1]) and self._array(n[2])

    def _call(self, f: str, args: tuple) -> str:
        tensors = [a for a in args if a[0] not in ("static", "num")]
        statics = [text(a) for a in args if a[0] in ("static", "num")]
        if f == "transpose" and len(args) == 1:
            inner = args[0]
            if inner[0] == "call" and inner[1] == "inv" and len(inner[2]) == 1:
                return f"{self._wrap(inner[2][0], _ATOM)}^{{-\\top}}"
            return f"{self._wrap(inner, _ATOM)}^\\top"
        if f == "inv" and len(args) == 1:
            return f"{self._wrap(args[0], _ATOM)}^{{-1}}"
        if f == "outer" and len(args) == 2:
            return f"{self._wrap(args[0], 3)} {self._wrap(args[1], _ATOM)}^\\top"
        if f == "sum" and len(tensors) == 1 and statics in (["0"], ["axis=0"]):
            return rf"\mathbf{{1}}^\top {self._wrap(tensors[0], _ATOM)}"
        if f == "diag" and len(args) == 1:
            return rf"\operatorname{{diag}}\left({self.text(args[0])}\right)"
        inner = ", ".join([self.text(a) for a in tensors] + [r"\text{" + t.replace("_", r"\_") + "}" for t in statics])
        name = f"\\{f}" if f in _LATEX_FUNCTIONS else rf"\operatorname{{{f.replace('_', chr(92) + '_')}}}"
        return rf"{name}\left({inner}\right)"

    def _array(self, n: tuple) -> bool:
        if n[0] == "num":
            return False
        try:
            return bool(self.shape(n))
        except Exception:  # noqa: BLE001 - unknown: written as a product
            return False

    def _wrap(self, n: tuple, at_least: int) -> str:
        t, prec = self._print(n)
        return t if prec >= at_least else rf"\left({t}\right)"


__all__ = ["from_expr", "text", "size", "substitute", "names_in", "occurrences", "replace", "Simplifier", "Latex",
           "algebra"]
