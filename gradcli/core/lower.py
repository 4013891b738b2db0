"""Lowering a parsed program to the tape.

Statements may appear in any order in the text.  ``lower_text`` lowers each
statement as the parser reduces it while they come in an order that allows it
(the usual case, and the one that matters for memory); otherwise ``build_tape``
orders them by an iterative depth-first search that visits them in textual
order and pulls each statement's dependencies in before it.  Nothing here
recurses.  Constant expressions (defaults, bindings) are evaluated by a small
loop over the op table (``core/evaluator.py``, the forward pass's own).

Arrays: a literal of numbers is one constant holding a numpy array; a literal
with names stacks its elements (``stack`` nodes); ``x[1, 0]`` is an ``index``
node and ``sum(S, 1)`` a ``sum`` node, each with its integers in ``params``.
``max(x)`` and ``min(x)`` with one argument reduce (amax, amin); with two or
more they stay elementwise, so ``max(S, 1)`` is elementwise and a reduction
over an axis is written ``max(S, axis=1)``.
"""

from __future__ import annotations

from gradcli.core.evaluator import tape_values
from gradcli.core.names import hidden_prefix
from gradcli.core.arguments import FIXED_NAMES, check_call, program_error, resolve_subscript
from gradcli.core.ops import CONSTANTS, FUNCTIONS, OPS
from gradcli.core.tape import CONST, INPUT, OPERATION, Node, Tape, natural_key
from gradcli.core.values import as_value, is_array
from gradcli.lang.program import ARRAY, CALL, LIST, NAME, NUM, OP, SUBSCRIPT, TUPLE, Expr, Loop, Program, Statement, walk
from gradcli.lang.syntax import mentions_loop, parse_program, read_statements
from gradcli.support.errors import GradError

# The longest text an array constant is labelled with; a longer literal is shortened with ...
LABEL_WIDTH = 40


def lower_text(text: str) -> Tape:
    """Parse a program's text and lower it, each statement as the parser reduces it.

    A program whose statements use only names assigned above them (and inputs)
    is lowered in that one pass, so only one statement's tree is ever held: at
    10^6 operations the trees would take more memory than the tape.  Any other
    program (a name used above the statement that assigns it, a cycle, an error)
    is parsed again and lowered by ``build_tape``, which checks and orders the
    statements first and reports errors its own way.
    """
    if mentions_loop(text):  # a loop's statements are reduced before it: lower the whole program
        return build_tape(parse_program(text))
    lowering = _Lowering(text)
    try:
        read_statements(text, lowering.statement)
    except (_Reorder, GradError):
        return build_tape(parse_program(text))
    return lowering.finish(lowering.computed)


def build_tape(program: Program) -> Tape:
    """Lower a whole parsed program: checks first, then the statements in an order that allows it.

    Inputs' defaults come first (by name, so an error in one is reported in that
    order), then the other statements in dependency order: each statement then
    meets only names assigned above it, as ``_Lowering`` needs.
    """
    if any(isinstance(st, Loop) or st.subscript is not None for st in program.statements):
        from gradcli.core.loops import unroll  # a loop, or a statement named h[0]: only then

        program = unroll(program)
    statements: dict[str, Statement] = {}
    for st in program.statements:
        if st.target in statements:
            first = statements[st.target]
            what = "the output f (a bare expression)" if st.bare else f"'{st.target}'"
            raise program_error(program, st, f"{what} is assigned twice, at {first.line}:{first.column} "
                         f"and {st.line}:{st.column}", "duplicate")
        statements[st.target] = st
    # pi and e are constants unless the program assigns them: then they are its own names.
    refs = {name: [n for n in _references(program, walk(st.expr))[0] if n in statements or n not in CONSTANTS]
            for name, st in statements.items()}
    # Inputs: names never assigned, and names assigned an expression with no names in it.
    # A bare expression is always computed, never a default: `2*pi` alone evaluates it.
    defaults = {name: st for name, st in statements.items() if not refs[name] and not st.bare}
    order = _order(program, statements, refs, defaults)
    lowering = _Lowering(program.source)
    for name in sorted(defaults, key=natural_key) + order:
        lowering.statement(statements[name], refs[name])
    return lowering.finish([st.target for st in program.statements if st.target not in defaults])


class _Reorder(Exception):
    """The statements cannot be lowered in the order they come: ``build_tape`` orders them first."""


class _Lowering:
    """Appends a program's nodes to a tape, a statement at a time, in the order they come.

    A name used before any statement assigns it is an input; its node is placed
    where it is first used, and ``finish`` moves the inputs to the front.  A
    statement that assigns a name used above it (unless it gives an input its
    default value), or pi or e after they were read as constants, or a name
    already assigned, raises ``_Reorder``: the order of the text does not allow
    lowering as read.
    """

    def __init__(self, source: str):
        self.tape = Tape(source)
        self.number = 0  # the last operation's number (v<number>)
        # One node per number as spelled, and per constant name (pi, e): a program
        # repeating 0.5 a million times reads one node, with an edge from each use.
        self.constants: dict[str, int] = {}
        self.referenced: set[str] = set()  # the names statements use (pi and e only if assigned)
        self.computed: list[str] = []  # statements that are not defaults, in the order they came
        self.assigned: set[str] = set()
        self.constants_used: set[str] = set()  # pi or e, read as constants
        self.program = Program([], source)  # for check_call, whose errors send the text to build_tape

    def statement(self, st: Statement, refs: list[str] | None = None) -> None:
        """Lower one statement; its tree is then let go.

        ``refs`` are the names it uses (pi and e only where assigned), when the
        caller has them; otherwise they are read from the tree, checking its calls.
        """
        target, tape = st.target, self.tape
        if st.subscript is not None:  # h[0] = ...: build_tape resolves such names (core/loops.py) first
            raise _Reorder
        if target in self.assigned or target in self.constants_used:
            raise _Reorder
        self.assigned.add(target)
        order = None  # the tree in post-order, walked once for the names and again for the nodes
        if refs is None:
            order = walk(st.expr)
            names, reshaped = _references(self.program, order)
            if reshaped:  # an axis or a subscript read into params: the operands changed
                order = None
            refs = []
            for name in names:
                if name in CONSTANTS and name not in self.assigned:
                    self.constants_used.add(name)
                else:
                    refs.append(name)
        if not refs and not st.bare:  # an input's default value: `a = 5`
            value = constant_value(st.expr, tape.source)
            index = tape.names.get(target)
            tape.nodes[self._input(target) if index is None else index].value = value
            return
        if target in tape.names or target in refs:  # used above (or by itself)
            raise _Reorder
        for name in refs:
            if name not in tape.names:
                self._input(name)
        self.referenced.update(refs)
        self.computed.append(target)
        tape.names[target] = self.expression(st.expr, target, order)
        st.expr = None  # lowered: a large program's trees are not held beside its tape
        tape.statements[target] = st

    def _input(self, name: str) -> int:
        index = self.tape.add(INPUT, name=name)
        self.tape.inputs.append(index)
        self.tape.names[name] = index
        return index

    def finish(self, computed: list[str]) -> Tape:
        """Move the inputs to the front, sorted by name (x2 before x10), and set what the whole
        program decides: whether it has arrays, and its outputs.

        ``computed`` lists the statements that are not inputs' defaults, in the order
        of the text; the outputs are those nothing else uses.
        """
        tape = self.tape
        nodes = tape.nodes
        inputs = sorted(tape.inputs, key=lambda i: natural_key(nodes[i].name))
        if inputs != list(range(len(inputs))):
            moved = [nodes[i] for i in inputs] + [node for node in nodes if node.kind != INPUT]
            new = [0] * len(nodes)
            for position, node in enumerate(moved):
                new[node.index] = position
            for node in moved:
                node.index = new[node.index]
                if node.args:
                    node.args = tuple([new[a] for a in node.args])
            tape.nodes = moved
            tape.names = {name: new[i] for name, i in tape.names.items()}
        tape.inputs = list(range(len(inputs)))
        tape.arrays = tape.arrays or any(nodes[i].value is not None and is_array(nodes[i].value)
                                         for i in inputs)
        tape.outputs = [name for name in computed if name not in self.referenced]
        tape.program_names = frozenset(tape.names)
        _label_hidden_nodes(tape)
        return tape

    def expression(self, expr: Expr, name: str | None, order: list[Expr] | None = None) -> int:
        """Append ``expr``'s nodes in post-order (``order``, when the caller has walked it); return the
        index of its value."""
        tape = self.tape
        nodes, names = tape.nodes, tape.names
        results: list[int] = []
        for e in walk(expr) if order is None else order:
            kind = e.kind
            index = len(nodes)
            if kind == NAME or kind == NUM:
                known = names.get(e.text) if kind == NAME else None
                if known is None:
                    known = self.constants.get(e.text)
                if known is not None:
                    results.append(known)
                    continue
                # a number, or a constant the program does not assign (pi, e: checked before lowering)
                value = e.value if kind == NUM else CONSTANTS[e.text]
                node = Node(index, CONST, None, (), None, e.text, None, e.line, e.column, value)
                self.constants[e.text] = index
            elif kind == ARRAY:
                tape.arrays = True
                node = Node(index, CONST, None, (), None, array_label(e.text), None, e.line, e.column,
                            as_value(e.value))
            else:
                op = OPS[FUNCTIONS[e.text]] if kind == CALL else OPS["stack"] if kind == LIST else OPS[e.text]
                if not op.scalar:
                    tape.arrays = True
                n = len(e.args)
                if n == 2:
                    b = results.pop()
                    args = (results.pop(), b)
                elif n == 1:
                    args = (results.pop(),)
                else:  # n == 0 too: arange() has no operands (results[-0:] would be all of them)
                    args = tuple(results[len(results) - n:])
                    del results[len(results) - n:]
                self.number += 1
                node = Node(index, OPERATION, op, args, name if e is expr else None, None, self.number,
                            e.line, e.column, None, e.params)
            nodes.append(node)
            results.append(index)
        if expr.kind != OP and expr.kind != CALL and expr.kind != LIST and name is not None:
            # `y = x` (or a bare `5`): the statement's value is another node's.  It becomes a
            # node of its own, so y keeps its name and its edge in every view (paths to y end at y).
            self.number += 1
            return tape.add(OPERATION, op=OPS["copy"], args=(results[0],), name=name, number=self.number,
                            line=expr.line, column=expr.column)
        return results[0]


def _label_hidden_nodes(tape: Tape) -> None:
    """Unnamed operations are v1, v2, ... unless the program has such names: then another letter."""
    prefix = hidden_prefix(tape.program_names)
    if prefix == "v":
        return
    for node in tape.nodes:
        if node.kind == OPERATION and node.name is None:
            node.prefix = prefix


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
    _no_fixed_values(Program([], source), walk(expr))
    lowering = _Lowering(source)
    tape = lowering.tape
    index = lowering.expression(expr, None)
    if tape.arrays:
        from gradcli.core.shapes import node_shapes

        node_shapes(tape, {})  # shapes that do not fit are said before anything is computed
    return tape_values(tape, {}, numpy=tape.arrays)[index]


def _references(program: Program, order: list[Expr]) -> tuple[list[str], bool]:
    """The names a statement uses, in order (``order`` is its tree walked in post-order), and whether
    reading its calls and subscripts changed the tree's operands; checks function names and
    argument counts."""
    names, reshaped = [], False
    for e in order:
        kind = e.kind
        if kind == NAME:
            names.append(e.text)
        elif kind == CALL or kind == SUBSCRIPT:
            args = e.args
            if kind == CALL:
                check_call(program, e)
            else:
                resolve_subscript(program, e)
            reshaped = reshaped or e.args is not args
    if reshaped:  # read again once the calls are resolved: a name in a fixed argument (norm(x, inf)) is no value
        names = [e.text for e in walk(order[-1]) if e.kind == NAME]
    _no_fixed_values(program, walk(order[-1]) if reshaped else order)
    return names, reshaped


def _no_fixed_values(program: Program, order) -> None:
    """What only a fixed argument may be (a tuple, True, False, None), left where a value goes."""
    for e in order:
        if e.kind == TUPLE:  # (z, w) as an operand: numpy would make an array of it
            raise program_error(program, e, "a tuple like (0, 1) is a fixed argument (as in axis=(0, 1)), not a "
                                "value: write [a, b] for an array", "fixed-argument")
        if e.kind == NAME and e.text in FIXED_NAMES:  # True, False, None: keepdims=True, axis=None
            raise program_error(program, e, f"{e.text} is a fixed argument (as in "
                                f"{'axis' if e.text == 'None' else 'keepdims'}={e.text}), not a value: write a "
                                "number (1, 0), or a comparison like x > 0 for a mask", "fixed-argument")


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
                    raise program_error(program, statements[dep],
                                 "cycle between statements: " + " -> ".join(cycle), "cycle")
                state[dep] = 1
                stack.append((dep, iter(refs[dep])))
                break
            else:
                stack.pop()
                state[name] = 2
                order.append(name)
    return order

