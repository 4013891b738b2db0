"""Lowering a parsed program to the tape.

Statements may appear in any order in the text: they are ordered by an
iterative depth-first search that visits them in textual order and pulls each
statement's dependencies in before it.  Nothing here recurses.  Constant
expressions (defaults, bindings) are evaluated by a small loop over the op
table, so lowering needs no evaluator.
"""

from __future__ import annotations

import math

from gradcli.core.failures import value_error
from gradcli.core.ops import CONSTANTS, FUNCTIONS, OPS, function_hint
from gradcli.core.tape import CONST, INPUT, OPERATION, Tape, natural_key
from gradcli.lang.program import CALL, NAME, NUM, OP, Expr, Program, Statement, source_line, walk
from gradcli.support.errors import ProgramError

def build_tape(program: Program) -> Tape:
    tape = Tape(program.source)
    statements: dict[str, Statement] = {}
    for st in program.statements:
        if st.target in statements:
            first = statements[st.target]
            what = "the output f (a bare expression)" if st.bare else f"'{st.target}'"
            raise _error(program, st, f"{what} is assigned twice, at {first.line}:{first.column} "
                         f"and {st.line}:{st.column}", "duplicate")
        statements[st.target] = st
    # pi and e are constants unless the program assigns them: then they are its own names.
    refs = {name: [n for n in _references(program, st) if n in statements or n not in CONSTANTS]
            for name, st in statements.items()}

    # Inputs: names never assigned, and names assigned an expression with no names in it.
    # A bare expression is always computed, never a default: `2*pi` alone evaluates it.
    defaults = {name: st for name, st in statements.items() if not refs[name] and not st.bare}
    tape.referenced = {n for names in refs.values() for n in names}
    free = {n for n in tape.referenced if n not in statements}
    for name in sorted(free | set(defaults), key=natural_key):
        value = constant_value(defaults[name].expr, program.source) if name in defaults else None
        index = tape.add(INPUT, name=name, value=value)
        tape.inputs.append(index)
        tape.names[name] = index

    order = _order(program, statements, refs, defaults)
    del refs, free  # done with: free their memory before the nodes are made
    numbering = _Counter()
    literals: dict[str, int] = {}  # a literal's spelling -> its node, shared by every occurrence
    for name in order:
        st = statements[name]
        tape.names[name] = _lower(tape, st.expr, numbering, name, literals)
        st.expr = None  # lowered: let the tree go, so a large program is not held twice
        # The tape keeps a copy without the tree: the parse's objects can then all be freed,
        # and the memory they held returned, once the program is dropped.
        tape.statements[name] = Statement(st.target, None, st.line, st.column, st.bare)
    # Outputs: what nothing else uses.  An input given a value (a = 5) is an input, not an output.
    tape.outputs = [st.target for st in program.statements
                    if st.target not in defaults and st.target not in tape.referenced]
    return tape


class _Counter:
    __slots__ = ("n",)

    def __init__(self):
        self.n = 0

    def next(self) -> int:
        self.n += 1
        return self.n


def _lower(tape: Tape, expr: Expr, numbering: _Counter, name: str | None, literals: dict | None = None) -> int:
    """Append ``expr``'s nodes in post-order; return the index of its value."""
    results: list[int] = []
    literals = {} if literals is None else literals
    for e in walk(expr):
        if e.kind == NUM:  # one node per distinct literal: a million `0.5`s are one node
            index = literals.get(e.text)
            if index is None:
                index = literals[e.text] = tape.add(CONST, text=e.text, value=e.value, line=e.line,
                                                         column=e.column)
            results.append(index)
        elif e.kind == NAME:
            index = tape.names.get(e.text)
            if index is None:  # a constant the program does not assign (build_tape checked)
                index = tape.add(CONST, text=e.text, value=CONSTANTS[e.text], line=e.line, column=e.column)
            results.append(index)
        else:
            op = OPS[FUNCTIONS[e.text]] if e.kind == CALL else OPS[e.text]
            n = len(e.args)
            args = tuple(results[-n:])
            del results[-n:]
            number = numbering.next()
            node_name = name if e is expr else None
            results.append(tape.add(OPERATION, op=op, args=args, name=node_name, number=number,
                                    line=e.line, column=e.column))
    if expr.kind != OP and expr.kind != CALL and name is not None:
        # `y = x` (or a bare `5`): the statement's value is another node's.  It becomes a
        # node of its own, so y keeps its name and its edge in every view (paths to y end at y).
        return tape.add(OPERATION, op=OPS["copy"], args=(results[0],), name=name,
                        number=numbering.next(), line=expr.line, column=expr.column)
    return results[0]


def constant_value(expr: Expr, source: str = "") -> float:
    """The value of an expression with no names in it (a default, or a command-line binding)."""
    tape = Tape(source)
    index = _lower(tape, expr, _Counter(), None)
    vals = [node.value if node.kind == CONST else 0.0 for node in tape.nodes]
    for node in tape.nodes:
        if node.kind != OPERATION:
            continue
        try:
            vals[node.index] = node.op.forward(*[vals[a] for a in node.args])
        except (ArithmeticError, ValueError) as exc:
            raise value_error(tape, vals, node.index, exc) from None
        if not math.isfinite(vals[node.index]):
            raise value_error(tape, vals, node.index, None)
    return vals[index]


def _references(program: Program, st: Statement) -> list[str]:
    """The names a statement uses, in order; checks function names and argument counts."""
    names = []
    for e in walk(st.expr):
        if e.kind == NAME:
            names.append(e.text)
        elif e.kind == CALL:
            check_call(program, e)
    return names


def check_call(program: Program, e: Expr) -> None:
    if e.text not in FUNCTIONS:
        hint = function_hint(e.text)
        if _is_variable(program, e.text):
            hint = f": {e.text} is not a function; to multiply, write {e.text}*(...)"
        raise _error(program, e, f"unknown function '{e.text}'{hint}", "unknown-function")
    op = OPS[FUNCTIONS[e.text]]
    n = len(e.args)
    if op.arity is None and n < 2:
        raise _error(program, e, f"{e.text} takes two or more arguments, got {n}", "arity")
    if op.arity is not None and n != op.arity:
        want = {1: "one argument", 2: "two arguments"}[op.arity]
        raise _error(program, e, f"{e.text} takes {want}, got {n}", "arity")


def _is_variable(program: Program, name: str) -> bool:
    """``name`` is one letter, a constant, or a name the program assigns or uses: ``a(b+1)`` is a product."""
    if len(name) == 1 or name in CONSTANTS or any(st.target == name for st in program.statements):
        return True
    return any(e.kind == NAME and e.text == name for st in program.statements if st.expr is not None
               for e in walk(st.expr))


def _order(program: Program, statements: dict[str, Statement], refs, defaults) -> list[str]:
    """Intermediate statements in evaluation order: iterative DFS, textual order first."""
    order: list[str] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for root in statements:
        if root in defaults or state.get(root) == 2:
            continue
        state[root] = 1
        stack = [(root, iter(refs[root]))]
        while stack:
            name, pending = stack[-1]
            for dep in pending:
                if dep not in statements or dep in defaults or state.get(dep) == 2:
                    continue
                if state.get(dep) == 1:
                    path = [n for n, _ in stack]
                    cycle = path[path.index(dep):] + [dep]
                    raise _error(program, statements[dep],
                                 "cycle between statements: " + " -> ".join(cycle), "cycle")
                state[dep] = 1
                stack.append((dep, iter(refs[dep])))
                break
            else:
                stack.pop()
                state[name] = 2
                order.append(name)
    return order


def _error(program: Program, where, message: str, kind: str) -> ProgramError:
    return ProgramError(message, where.line, where.column, source_line(program.source, where.line), kind=kind)
