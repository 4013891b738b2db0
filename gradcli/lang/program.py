"""The parsed program: statements holding expression trees, as plain data.

Parsing builds these and nothing else; ``graph.py`` lowers them to a tape.
Every node keeps the line and column of the token that made it, so any later
error can point at the text.
"""

from __future__ import annotations

NUM, NAME, OP, CALL = "num", "name", "op", "call"
LIST, KEYWORD = "list", "keyword"  # [a, b], and axis=1 in a call
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
    """``target = expr``; a bare expression has target ``f``."""

    __slots__ = ("target", "expr", "line", "column", "bare")

    def __init__(self, target: str, expr: Expr, line: int, column: int, bare: bool = False):
        self.target = target
        self.expr = expr
        self.line = line
        self.column = column
        self.bare = bare


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
