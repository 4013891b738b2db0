"""The parsed program: statements holding expression trees, as plain data.

Parsing builds these and nothing else; ``graph.py`` lowers them to a tape.
Every node keeps the line and column of the token that made it, so any later
error can point at the text.
"""

from __future__ import annotations

NUM, NAME, OP, CALL = "num", "name", "op", "call"
LIST, KEYWORD = "list", "keyword"  # [a, b], and axis=1 in a call
STRING, TUPLE, SLICE = "string", "tuple", "slice"  # 'ij,jk->ik', (0, 1), and 1:3 in an index
SUBSCRIPT = "subscript"  # x[...] as written: the lowering makes it an index (or a statement's name)
ARRAY = "array"  # a literal of numbers only: [[0.1, 0.5], [-0.3, 0.8]]


_SUBSCRIPT_DIGITS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")


def is_name(text: str) -> bool:
    """A name as the grammar reads it: a Python identifier (θ, w_ij, café), subscript digits allowed (x₁)."""
    return text.translate(_SUBSCRIPT_DIGITS).isidentifier()


def first_bad_character(text: str) -> int:
    """The index of the first character that keeps ``text`` from being a name (0 for a leading digit)."""
    for i in range(len(text)):
        if not is_name(text[: i + 1]) and not is_name("_" + text[i]):
            return i
    return 0


class Expr:
    """An expression node.

    kind NUM: ``value`` is the float, ``text`` its spelling.
    kind NAME: ``text`` is the name (``pi`` and ``e`` too: graph.py makes them constants
    unless the program assigns them).
    kind OP: ``text`` is the op table name (``add``, ``neg``), ``args`` its operands.
    kind CALL: ``text`` is the function as written (``sin``, ``ln``), ``args`` its arguments.
    kind LIST: an array literal ``[a, b]`` (``args`` its elements), placed at its ``[``.
    kind ARRAY: a literal whose elements are all numbers (signed or nested): ``value`` is
    nested lists of floats, ``text`` the literal written out, ``params`` its shape; it has
    no operands.
    kind KEYWORD: ``axis=1`` in a call: ``text`` the keyword, ``args`` its value.
    kind STRING: a quoted string (``text`` without its quotes): a static argument (einsum's).
    kind TUPLE: ``(0, 1)``, ``args`` its elements: a static argument (an axis tuple).
    kind SLICE: ``start:stop:step`` in an index, ``args`` the three (a missing one is the name None).
    kind SUBSCRIPT: ``x[i, 1:, None]`` as written, ``args`` the base then each subscript; the
    lowering resolves it (core/indexing.py): fixed integers and slices become an ``index`` op's
    params, arrays of integers its operands, and ``h[2]`` the statement named so.
    ``params`` is what the text fixes for an op: the indices of ``x[1, 0]`` (an OP
    ``index``), the axis of ``sum(S, 1)`` once the lowering has read it.
    """

    __slots__ = ("kind", "text", "args", "value", "line", "column", "params")

    def __init__(self, kind: str, text: str, args: tuple = (), value: float = 0.0,
                 line: int = 0, column: int = 0, params: tuple = ()):
        self.kind = kind
        self.text = text
        self.args = args
        self.value = value
        self.line = line
        self.column = column
        self.params = params

    def __repr__(self) -> str:
        return f"Expr({self.kind}, {self.text!r}, {self.args!r})"


class Statement:
    """``target = expr``; a bare expression has target ``f``.  ``subscript``: the index of a
    statement named ``h[t] = ...`` (its Exprs), resolved to the name ``h[2]`` by core/loops.py."""

    __slots__ = ("target", "expr", "line", "column", "bare", "subscript")

    def __init__(self, target: str, expr: Expr, line: int, column: int, bare: bool = False):
        self.target = target
        self.expr = expr
        self.line = line
        self.column = column
        self.bare = bare
        self.subscript = None


class Loop:
    """``for t in range(...) { statements }``: unrolled when the program is lowered (core/loops.py).

    ``target`` is never a name: it is the loop's variable in brackets, for messages only."""

    __slots__ = ("variable", "iterable", "body", "line", "column", "target", "expr", "bare")

    def __init__(self, variable: str, iterable: Expr, body: list, line: int, column: int):
        self.variable, self.iterable, self.body = variable, iterable, body
        self.line, self.column = line, column
        self.target, self.expr, self.bare = f"<for {variable}>", None, False


class Program:
    __slots__ = ("statements", "source")

    def __init__(self, statements: list[Statement], source: str):
        self.statements = statements
        self.source = source


def source_line(text: str, line: int | None) -> str | None:
    """Line ``line`` (1-based) of ``text``, for an error's caret display; None when there is none."""
    if line is None:
        return None
    lines = text.split("\n")
    return lines[line - 1] if 0 < line <= len(lines) else None


def walk(expr: Expr) -> list[Expr]:
    """Every node of ``expr`` in post-order (operands before the node, left to right), without recursion.

    Root first with the last operand next is the reverse of post-order, so one
    stack and one reversal give it.
    """
    order = []
    stack = [expr]
    while stack:
        e = stack.pop()
        order.append(e)
        if e.args:
            stack.extend(e.args)
    order.reverse()
    return order
