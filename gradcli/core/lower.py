"""Lowering a parsed program to the tape.

Statements may appear in any order in the text: they are ordered by an
iterative depth-first search that visits them in textual order and pulls each
statement's dependencies in before it.  Nothing here recurses.  Constant
expressions (defaults, bindings) are evaluated by a small loop over the op
table, so lowering needs no evaluator.

Arrays: a literal of numbers is one constant holding a numpy array; a literal
with names stacks its elements (``stack`` nodes); ``x[1, 0]`` is an ``index``
node and ``sum(S, 1)`` a ``sum`` node, each with its integers in ``params``.
``max(x)`` and ``min(x)`` with one argument reduce (amax, amin); with two or
more they stay elementwise, so ``max(S, 1)`` is elementwise and a reduction
over an axis is written ``max(S, axis=1)``.
"""

from __future__ import annotations

import math

from gradcli.core.failures import value_error
from gradcli.core.ops import AXIS_FUNCTIONS, CONSTANTS, FUNCTIONS, OPS, function_hint
from gradcli.core.tape import CONST, INPUT, OPERATION, Tape, natural_key
from gradcli.core.values import all_finite, as_value, first_not_finite, is_array
from gradcli.lang.program import (ARRAY, CALL, KEYWORD, LIST, NAME, NUM, OP, Expr, Program, Statement,
                                  source_line, walk)
from gradcli.support.errors import EvaluationError, ProgramError

# The longest text an array constant is labelled with; a longer literal is shortened with ...
LABEL_WIDTH = 40

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
    for name in order:
        st = statements[name]
        tape.names[name] = _lower(tape, st.expr, numbering, name)
        st.expr = None  # lowered: let the tree go, so a large program is not held twice
        # The tape keeps a copy without the tree: the parse's objects can then all be freed,
        # and the memory they held returned, once the program is dropped.
        tape.statements[name] = Statement(st.target, None, st.line, st.column, st.bare)
    tape.arrays = tape.arrays or any(tape.nodes[i].value is not None and is_array(tape.nodes[i].value)
                                     for i in tape.inputs)
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


def _lower(tape: Tape, expr: Expr, numbering: _Counter, name: str | None) -> int:
    """Append ``expr``'s nodes in post-order; return the index of its value."""
    results: list[int] = []
    for e in walk(expr):
        if e.kind == NUM:
            results.append(tape.add(CONST, text=e.text, value=e.value, line=e.line, column=e.column))
        elif e.kind == ARRAY:
            tape.arrays = True
            results.append(tape.add(CONST, text=array_label(e.text), value=as_value(e.value),
                                    line=e.line, column=e.column))
        elif e.kind == NAME:
            index = tape.names.get(e.text)
            if index is None:  # a constant the program does not assign (build_tape checked)
                index = tape.add(CONST, text=e.text, value=CONSTANTS[e.text], line=e.line, column=e.column)
            results.append(index)
        else:
            op = OPS[FUNCTIONS[e.text]] if e.kind == CALL else OPS["stack"] if e.kind == LIST else OPS[e.text]
            if not op.scalar:
                tape.arrays = True
            n = len(e.args)
            args = tuple(results[-n:])
            del results[-n:]
            number = numbering.next()
            node_name = name if e is expr else None
            results.append(tape.add(OPERATION, op=op, args=args, name=node_name, number=number,
                                    line=e.line, column=e.column, params=e.params))
    if expr.kind != OP and expr.kind != CALL and expr.kind != LIST and name is not None:
        # `y = x` (or a bare `5`): the statement's value is another node's.  It becomes a
        # node of its own, so y keeps its name and its edge in every view (paths to y end at y).
        return tape.add(OPERATION, op=OPS["copy"], args=(results[0],), name=name,
                        number=numbering.next(), line=expr.line, column=expr.column)
    return results[0]


def array_label(text: str) -> str:
    """The label of an array constant: the literal, or its start and ``...`` when it is long."""
    if len(text) <= LABEL_WIDTH:
        return text
    cut = text.rfind(", ", 0, LABEL_WIDTH - 6)
    head = text[:cut] if cut > 0 else text[:LABEL_WIDTH - 6]
    return head + ", ..." + "]" * (head.count("[") - head.count("]"))


def constant_value(expr: Expr, source: str = ""):
    """The value of an expression with no names in it (a default, or a command-line binding).

    A float, or a numpy array when the expression has an array literal (shapes
    checked first, as for a program).
    """
    tape = Tape(source)
    index = _lower(tape, expr, _Counter(), None)
    if tape.arrays:
        return _array_constant(tape, index)
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


def _array_constant(tape: Tape, index: int):
    from gradcli.core.shapes import node_shapes
    from gradcli.core.values import np

    node_shapes(tape, {})
    vals = [node.value if node.kind == CONST else 0.0 for node in tape.nodes]
    with np.errstate(all="ignore"):
        for node in tape.nodes:
            if node.kind != OPERATION:
                continue
            i, op = node.index, node.op
            args = [vals[a] for a in node.args]
            try:
                if op.scalar and not any(is_array(a) for a in args):
                    vals[i] = op.forward(*args)
                else:
                    vals[i] = op.array.forward(node.params, *args)
            except (ArithmeticError, ValueError) as exc:
                raise value_error(tape, vals, i, exc) from None
            if not all_finite(vals[i]):
                where = first_not_finite(vals[i])
                if not where:
                    raise value_error(tape, vals, i, None)
                raise EvaluationError(f"{tape.definition(i)} is not finite at element "
                                      f"[{', '.join(str(k) for k in where)}]",
                                      node.line, node.column, tape.source_line(node.line), kind="domain")
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
    """Check a call's function and arguments; a reduction's axis becomes its params.

    ``sum(S, 1)``, ``sum(S, axis=1)``, ``max(x)``, ``max(S, axis=1)`` are turned
    into OP nodes (sum, amax) with the axis in ``params`` and the array as the one
    operand, so the lowering never sees the axis as a value.
    """
    if e.text not in FUNCTIONS:
        hint = function_hint(e.text)
        if _is_variable(program, e.text):
            hint = f": {e.text} is not a function; to multiply, write {e.text}*(...)"
        raise _error(program, e, f"unknown function '{e.text}'{hint}", "unknown-function")
    name = FUNCTIONS[e.text]
    positional = [a for a in e.args if a.kind != KEYWORD]
    keywords = [a for a in e.args if a.kind == KEYWORD]
    if keywords:
        _check_keywords(program, e, name, keywords, len(positional))
        if e.args[-1].kind != KEYWORD:
            raise _error(program, e.args[-1], f"in {e.text}(...), a positional argument cannot follow "
                         f"{keywords[0].text}=", "arity")
    if name in ("max", "min") and (len(positional) == 1 or keywords):
        name = "a" + name  # max(x): the largest element, not the elementwise max
    if name in AXIS_FUNCTIONS:
        axis = keywords[0].args[0] if keywords else positional[1] if len(positional) == 2 else None
        if axis is not None and not keywords:
            positional = positional[:1]
        if len(positional) != 1:
            raise _error(program, e, f"{e.text} takes one array and an optional axis "
                         f"({e.text}(x) or {e.text}(x, axis=1)), got {len(e.args)} arguments", "arity")
        e.params = () if axis is None else (_axis_value(program, e, axis),)
        e.kind, e.text, e.args = OP, name, (positional[0],)
        return
    op = OPS[name]
    n = len(e.args)
    if op.arity is None and n < 2:
        raise _error(program, e, f"{e.text} takes two or more arguments, got {n}", "arity")
    if op.arity is not None and n != op.arity:
        want = {1: "one argument", 2: "two arguments"}[op.arity]
        raise _error(program, e, f"{e.text} takes {want}, got {n}", "arity")


def _check_keywords(program: Program, e: Expr, name: str, keywords: list[Expr], n: int) -> None:
    for k in keywords:
        if k.text != "axis":
            raise _error(program, k, f"{e.text} has no argument '{k.text}'"
                         + (" (its one keyword is axis=)" if name in AXIS_FUNCTIONS | {"max", "min"} else ""),
                         "arity")
    if len(keywords) > 1:
        raise _error(program, keywords[1], f"axis= is given twice in {e.text}(...)", "arity")
    if name not in AXIS_FUNCTIONS and name not in ("max", "min"):
        reducers = "sum, mean, max, min, logsumexp, softmax"
        raise _error(program, keywords[0], f"{e.text} takes no axis (these do: {reducers})", "arity")
    if name in ("max", "min") and n != 1:
        raise _error(program, keywords[0], f"{e.text}(..., axis=) reduces one array: write "
                     f"{e.text}(x, axis=1); {e.text}(a, b) is elementwise and takes no axis", "arity")


def _axis_value(program: Program, e: Expr, axis: Expr) -> int:
    """An axis is an integer literal (a leading minus allowed): 0, 1, -1."""
    sign, literal = 1, axis
    if axis.kind == OP and axis.text == "neg" and axis.args[0].kind == NUM:
        sign, literal = -1, axis.args[0]
    if literal.kind != NUM or not literal.text.isdigit():
        raise _error(program, axis, f"the axis of {e.text}(...) is a whole number "
                     "written in the program, like 0, 1 or -1", "axis")
    return sign * int(literal.text)


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
