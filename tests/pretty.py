"""A tape back to program text (tests only): the inverse of parsing, used to check that nothing is lost.

``pretty(tape)`` writes one statement per named node, with the unnamed nodes
of each statement inlined and only the parentheses that the
language needs.  Parsing the text again gives the same tape: the same nodes in
the same order, with the same ops, operands, labels (so unnamed nodes keep
their ``v<k>`` numbers) and values.

Parentheses come from the op table's precedences and the grammar's one rule
about associativity: infix operators that bind looser than the prefix minus are
left-associative; those that bind tighter (``^``) are right-associative, take a
plain atom on their left and accept a signed operand on their right (``2^-1``).

Nothing recurses: each statement is written by an explicit stack, and the
text is joined once, so 20,000 nested parentheses or a 50,000-term sum print in
linear time.
"""

from __future__ import annotations

from gradcli.core.tape import CONST, INPUT, OPERATION, Tape
from gradcli.core.ops import ALIAS, INDEX, INFIX, LITERAL, OPS, PREFIX, static_text
from gradcli.core.values import is_array

ATOM = 1_000  # names, literals, calls and parenthesised expressions
PREFIX_LEVEL = min((op.precedence for op in OPS.values() if op.style == PREFIX), default=ATOM)
SUM_LEVEL = OPS["add"].precedence  # + and - are written with spaces, and so are the comparisons below them


def pretty(tape: Tape) -> str:
    """The program text of ``tape``: one statement per named node (and per default and alias).

    Statements come in the order the program had them (the graph orders them
    again the same way); a tape built by other means is written in evaluation order.
    """
    nodes = tape.nodes
    uses = [0] * len(nodes)
    for node in nodes:
        for a in node.args:
            uses[a] += 1
    # A node is written by name when it has one; an unnamed op used more than once
    # (only in tapes not built by the parser) gets a statement under its label.
    named = [node.kind != OPERATION or node.name is not None or uses[node.index] > 1 for node in nodes]
    statements = tape.statements
    in_text = all(node.name in statements for node in nodes
                  if node.kind == OPERATION and named[node.index])
    # Defaults (a = 5) do not take part in ordering: they go first.
    order = [i for i in tape.inputs if nodes[i].value is not None]
    if in_text:
        written = sorted(statements, key=lambda name: (statements[name].line, statements[name].column))
        order += [tape.names[name] for name in written]
    else:
        order += [node.index for node in nodes if node.kind == OPERATION and named[node.index]]
    lines = []
    for item in order:
        node = nodes[item]
        if node.kind == INPUT:
            lines.append(f"{node.name} = {_value(node.value)}")
            continue
        expression = _expression(tape, node.index, named)
        statement = statements.get(node.name)
        lines.append(expression if statement is not None and statement.bare
                     else f"{node.name or node.label} = {expression}")
    return "\n".join(lines) + "\n"


def _number(value: float) -> str:
    """``5``, ``-2.5``, ``1e-320``: text that reads back to the same double."""
    if value == int(value) and abs(value) < 1e15 and str(value) != "-0.0":
        return str(int(value))
    return repr(float(value))


def _value(value) -> str:
    """A number, or an array as a literal (nested lists) that reads back to the same doubles."""
    return _array_text(value.tolist()) if is_array(value) else _number(value)


def _array_text(rows) -> str:
    if not isinstance(rows, list):
        return _number(rows)
    return "[" + ", ".join(_array_text(r) for r in rows) + "]"


def _precedence(node) -> int:
    if node.kind != OPERATION or node.op.style not in (INFIX, PREFIX):
        return ATOM
    return node.op.precedence


def _operand_minimums(op) -> tuple[int, int]:
    """The loosest precedence each operand of an infix op may have without parentheses."""
    if op.precedence > PREFIX_LEVEL:  # right-associative, atom on the left: a^b^c, 2^-1
        return ATOM, PREFIX_LEVEL
    if op.precedence < SUM_LEVEL:  # a comparison does not chain: (a < b) < c
        return op.precedence + 1, op.precedence + 1
    return op.precedence, op.precedence + 1  # left-associative: a - b - c


def _expression(tape: Tape, root: int, named: list[bool]) -> str:
    """One statement's right-hand side, with minimal parentheses, built without recursion."""
    nodes = tape.nodes
    out: list[str] = []
    # Items: an int is a node to write (with the minimum precedence its place needs);
    # a str is text to emit as is.
    stack: list = [(root, 0, True)]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
            continue
        index, minimum, is_root = item
        node = nodes[index]
        if node.kind in (INPUT, CONST) or (named[index] and not is_root):
            if node.kind == CONST and is_array(node.value) and "..." in node.text:
                out.append(_value(node.value))  # a long literal's label is shortened: write it all
            else:
                out.append(node.label if node.kind == CONST else node.name or node.label)
            continue
        op = node.op
        parts: list = []
        if op.style == INDEX:  # postfix on an atom: W[1, 0], (a + b)[0]
            parts = [(node.args[0], ATOM, False), f"[{', '.join(str(i) for i in node.params)}]"]
        elif op.style == LITERAL:
            parts = ["["]
            for k, a in enumerate(node.args):
                if k:
                    parts.append(", ")
                parts.append((a, 0, False))
            parts.append("]")
        elif op.style == ALIAS:
            parts = [(node.args[0], minimum, False)]
        elif op.style == INFIX:
            left, right = _operand_minimums(op)
            symbol = f" {op.symbol} " if op.precedence <= SUM_LEVEL else op.symbol
            parts = [(node.args[0], left, False), symbol, (node.args[1], right, False)]
        elif op.style == PREFIX:
            parts = [op.symbol, (node.args[0], PREFIX_LEVEL, False)]
        else:
            parts = [op.symbol + "("]
            for k, a in enumerate(node.args):
                if k:
                    parts.append(", ")
                parts.append((a, 0, False))
            for (key, _), p in zip(op.keywords, node.params):  # by name: max(S, 1) would be elementwise
                parts.append(f", {key}={static_text(p)}")
            parts.append(")")
        if _precedence(node) < minimum:
            parts = ["(", *parts, ")"]
        stack.extend(reversed(parts))
    return "".join(out)


__all__ = ["pretty"]
