"""The backward pass as a program: source-to-source reverse mode over the tape.

``derive`` walks the tape from the output back to the inputs, as the reverse
sweep does, but with expressions (``gradcli.symbolic``) instead of numbers:
node i's adjoint is the sum, over the edges leaving it, of the consumer's
adjoint times the local partial from the op table.  Each adjoint becomes one
statement ``d_<label> = ...``, written once every consumer has been visited
(sweep order), so the result is a gradcli program that parses, evaluates to
the same gradient as the sweep, and can be differentiated again.

Two builds share that walk:

* the program (``closed=False``): a consumer's adjoint is referred to by its
  name (``d_b = d_u*c``), unless it is 0, 1 or -1, which are folded in; every
  common subexpression that is not a leaf operation is a named statement, so
  the program's size is linear in the original's;
* closed forms (``closed=True``): adjoints are substituted, giving for each
  input one expression in the inputs alone (``dJ/db = 3*c``), written out only
  while it stays small (``CLOSED_FORM_LIMIT`` nodes as a tree), since writing
  out a DAG can grow exponentially.

Where the sweep skips an undefined partial because no gradient flows through
it (``relu(x)*sqrt(z)`` at x = -1, z = 0), the derived program still evaluates
that partial, and stops with an error there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gradcli.core.names import Names, hidden_prefix
from gradcli.core.tape import CONST, INPUT, OPERATION, Tape
from gradcli.core.ops import CONSTANTS
from gradcli.autodiff.problem import Problem
from gradcli.core.symbolic import Dag, Printer, latex_name, latex_symbols, number_text, partial, render, sizes

CLOSED_FORM_LIMIT = 120  # nodes of an expression written out as a tree


@dataclass
class Build:
    """One symbolic reverse sweep: the DAG, each tape node's DAG node, and each adjoint."""

    dag: Dag
    node_of: list[int]  # tape index -> DAG node of its value
    statements: list[tuple[int, int]]  # (tape index, DAG node of its adjoint), in sweep order
    adjoint: dict[int, int]  # tape index -> DAG node of its adjoint expression
    names: dict[int, str]  # tape index -> its adjoint's name (program builds)
    symbol: dict[int, int] = field(default_factory=dict)  # tape index -> the DAG symbol d_<label>


@dataclass
class Derived:
    """The result of ``derive``: the program's statements, and closed forms when asked for."""

    problem: Problem
    lines: list[tuple[str, str]]  # (name, expression text), forward statements then adjoints
    forward_count: int  # how many of ``lines`` restate the program
    adjoints: dict[str, str]  # input -> the name of its adjoint in the program
    closed_form: dict[str, str | None] | None  # input -> expression, None when too large
    build: Build
    latex_lines: list[tuple[str, str]] | None = None  # the same statements in LaTeX
    closed_latex: dict[str, str | None] | None = None

    def symbol(self, name: str) -> str:
        """A name of the program as the LaTeX writes it (x1 and x_1 never alike)."""
        return latex_symbols(self.problem.tape.own_names()).get(name) or latex_name(name)

    @property
    def output(self) -> str:
        return self.problem.output

    @property
    def program(self) -> str:
        return "".join(f"{name} = {text}\n" for name, text in self.lines)


def program_namer(problem: Problem) -> Names:
    """The chooser of the derived program's names: none equals the program's, nor pi or e."""
    namer = problem.tape.namer()
    namer.taken.update(CONSTANTS)
    return namer


def tape_in_dag(tape: Tape, build) -> tuple[Dag, list[int]]:
    """The tape's nodes as DAG nodes, in tape order: inputs as symbols, constants as numbers, each
    operation made by ``build(dag, op, args)``; returns the DAG and each tape node's DAG node."""
    dag = Dag()
    node_of: list[int] = [0] * len(tape.nodes)
    for node in tape.nodes:
        if node.kind == INPUT:
            node_of[node.index] = dag.sym(node.name)
        elif node.kind == CONST:
            node_of[node.index] = dag.const(node.value)
        else:
            node_of[node.index] = build(dag, node.op, [node_of[a] for a in node.args])
    return dag, node_of


def sweep(problem: Problem, closed: bool, namer: Names | None = None) -> Build:
    """The symbolic reverse sweep of the problem's output, over the inputs in ``problem.wrt``.

    The program build names each adjoint ``d_<label>`` through ``namer``, the
    inputs' first, so that input a's is ``d_a`` unless the program itself has that name.
    """
    tape = problem.tape
    if not closed:
        input_adjoint = {name: namer.fresh(f"d_{name}") for name in problem.wrt}
    nodes = tape.nodes
    dag, node_of = tape_in_dag(tape, (lambda d, op, args: d.apply(op, args)) if closed
                               else (lambda d, op, args: d.fresh(op, args)))
    out = problem.output_index
    req = tape.requires_grad()
    cone = tape.cone([out])
    terms: list[list[int] | None] = [None] * len(nodes)
    build = Build(dag, node_of, [], {}, {})
    one = dag.const(1.0)
    for i in range(out, -1, -1):
        node = nodes[i]
        if node.kind != OPERATION or not cone[i] or not req[i]:
            continue
        expr = one if i == out else dag.total(terms[i] or ())
        terms[i] = None
        if dag.is_const(expr, 0.0):
            continue  # no gradient reaches this node: its edges carry none
        build.statements.append((i, expr))
        build.adjoint[i] = expr
        ref = expr
        if not closed:
            build.names[i] = namer.fresh(f"d_{node.label}")
            build.symbol[i] = dag.sym(build.names[i])
            if not (dag.is_const(expr) and abs(dag.value[expr]) in (0.0, 1.0)):
                ref = build.symbol[i]
        args = [node_of[a] for a in node.args]
        for j, a in enumerate(node.args):
            if not req[a]:
                continue
            term = dag.mul(ref, partial(dag, node.op, j, args, node_of[i]))
            if dag.is_const(term, 0.0):
                continue
            if terms[a] is None:
                terms[a] = []
            terms[a].append(term)
    for name in problem.wrt:
        i = tape.names[name]
        expr = one if i == out else dag.total(terms[i] or ())
        build.statements.append((i, expr))
        build.adjoint[i] = expr
        if not closed:
            build.names[i] = input_adjoint[name]
            build.symbol[i] = dag.sym(build.names[i])
    return build


def derive(problem: Problem, closed_form: bool = False, latex: bool = False,
           limit: int = CLOSED_FORM_LIMIT) -> Derived:
    """The backward pass of ``problem`` as program text, and (if asked) each input's closed form."""
    tape = problem.tape
    namer = program_namer(problem)
    build = sweep(problem, closed=False, namer=namer)
    lines, latex_lines, forward_count = _program_lines(problem, build, namer, latex)
    adjoints = {name: build.names[tape.names[name]] for name in problem.wrt}
    closed = closed_tex = None
    if closed_form:
        closed, closed_tex = closed_forms(problem, limit, latex)
    return Derived(problem, lines, forward_count, adjoints, closed, build, latex_lines, closed_tex)


def closed_forms(problem: Problem, limit: int = CLOSED_FORM_LIMIT, latex: bool = False):
    """Each input's derivative as one expression in the inputs, or None past ``limit`` nodes."""
    build = sweep(problem, closed=True)
    dag = build.dag
    texts: dict[str, str | None] = {}
    tex: dict[str, str | None] = {}
    symbols = latex_symbols(problem.tape.own_names()) if latex else None
    rank = name_order(problem)
    for name in problem.wrt:
        root = simpler(dag, build.adjoint[problem.tape.names[name]], limit, rank)
        small = sizes(dag, limit)[root] <= limit
        texts[name] = render(dag, root) if small else None
        tex[name] = render(dag, root, latex=True, symbols=symbols) if small and latex else None
    return texts, (tex if latex else None)


def simpler(dag: Dag, root: int, limit: int = CLOSED_FORM_LIMIT, rank: dict | None = None) -> int:
    """The node written for a closed form: the algebra's simplest form of ``root`` (core/canonical.py),
    tried while the expression is at most a few times the limit; terms in the order of ``rank``."""
    from gradcli.core.canonical import simplest

    cap = 4 * limit
    if sizes(dag, cap)[root] > cap:
        return root
    return simplest(dag, root, lambda node: sizes(dag, cap)[node], rank)


def name_order(problem: Problem) -> dict[str, int]:
    """Each input's place in the program's text (its first whole-word use): the order a closed form's
    terms are written in, ``w1*x1 + w2*x2 + b`` as the program wrote it."""
    import re

    source = problem.tape.source or ""
    order = {}
    for name in problem.tape.input_names():
        found = re.search(r"(?<![\w.])" + re.escape(name) + r"(?![\w(])", source)
        order[name] = found.start() if found else len(source) + len(order)
    return order


def _program_lines(problem: Problem, build: Build, namer: Names, latex: bool):
    """The statements: the program's own (and its values), then one per adjoint in sweep order.

    A DAG node used more than once gets a statement of its own, unless it is an
    operation on leaves only (``cos(x2)``), which is cheap to write twice.
    """
    tape, dag = problem.tape, build.dag
    nodes = tape.nodes
    names: dict[int, str] = {}  # DAG node -> the name it is written as
    for node in nodes:
        if node.kind == OPERATION and node.name is not None:
            names[build.node_of[node.index]] = node.name
    for i, sym in build.symbol.items():
        names[sym] = build.names[i]
    original = {build.node_of[node.index]: node for node in nodes if node.kind == OPERATION}
    args = dag.args
    # How often each node is referred to, counting each statement's expression once.
    uses = [0] * len(dag)
    expanded = [False] * len(dag)
    roots = [(build.node_of[node.index], True) for node in nodes if node.kind == OPERATION and node.name is not None]
    roots += [(expr, False) for _, expr in build.statements]
    for root, define in roots:
        if not define:
            uses[root] += 1
            if root in names or not args[root]:
                continue
        stack = [root]
        while stack:
            i = stack.pop()
            if expanded[i]:
                continue
            expanded[i] = True
            for a in args[i]:
                uses[a] += 1
                if not expanded[a] and a not in names and args[a]:
                    stack.append(a)
    temps = []
    for i in range(len(dag)):
        if uses[i] < 2 or not args[i] or i in names:
            continue
        if all(not args[a] or a in names for a in args[i]):
            continue  # an operation on leaves: cheap to write twice
        if i in original:
            names[i] = namer.fresh(original[i].label)
        else:
            temps.append(i)
    temp = namer.family("t") if temps else "t"
    for k, i in enumerate(temps, 1):
        names[i] = namer.fresh(f"{temp}{k}")
    temp_set = set(temps)

    symbols = latex_symbols(set(tape.own_names()) | set(names.values()) | {node.label for node in nodes}) \
        if latex else {}
    symbol = symbols.get
    tex_names = {i: symbol(n) for i, n in names.items()} if latex else {}
    if latex:
        for i, sym in build.symbol.items():
            tex_names[sym] = _latex_adjoint(problem, nodes[i].label, symbols)
    lines: list[tuple[str, str]] = []
    tex_lines: list[tuple[str, str]] = []

    text = Printer(dag, names, latex=False).text
    tex = Printer(dag, tex_names, latex=True, symbols=symbols).text if latex else None

    def emit(name: str, node: int, define: bool) -> None:
        lines.append((name, text(node, define=define)))
        if latex:
            tex_lines.append((symbol(name), tex(node, define=define)))

    for i in tape.inputs:
        name = nodes[i].name
        if name in problem.values:
            lines.append((name, number_text(problem.values[name])))
            if latex:
                tex_lines.append((symbol(name), number_text(problem.values[name])))
    aliases = {}
    for name, index in tape.names.items():
        if nodes[index].name != name and nodes[index].label != name:
            aliases.setdefault(index, []).append(name)
    for node in nodes:
        if node.kind == OPERATION:
            d = build.node_of[node.index]
            if node.name is not None or d in names:  # named, or used by the backward pass
                emit(names[d], d, True)
        for alias in aliases.get(node.index, ()):
            target = node.name or names.get(build.node_of[node.index], node.label)
            lines.append((alias, target))
            if latex:
                tex_lines.append((symbol(alias), symbol(target)))
    forward_count = len(lines)
    emitted = set()
    for i, expr in build.statements:
        pending = []
        stack = [expr]
        visited = set()
        while stack:
            k = stack.pop()
            if k in visited:
                continue
            visited.add(k)
            if k in temp_set and k not in emitted:
                pending.append(k)
            elif k in names:
                continue
            stack.extend(a for a in args[k] if a not in visited)
        for k in sorted(pending):
            emitted.add(k)
            emit(names[k], k, True)
        name = build.names[i]
        lines.append((name, text(expr)))
        if latex:
            tex_lines.append((_latex_adjoint(problem, nodes[i].label, symbols), tex(expr)))
    return lines, (tex_lines if latex else None), forward_count


def _latex_adjoint(problem: Problem, label: str, symbols: dict[str, str]) -> str:
    return rf"\frac{{\partial {symbols[problem.output]}}}{{\partial {symbols[label]}}}"


def adjoint_tape(problem: Problem, build: Build) -> tuple[Tape, dict[str, int], dict[str, int]]:
    """The derived program as a tape, built from the DAG directly (no text round trip).

    Returns the tape, each input's node, and each input's adjoint node: the
    program that ``derive`` prints, ready for forward-mode passes.
    """
    dag = build.dag
    tape = Tape()
    defined = {build.symbol[i]: expr for i, expr in build.adjoint.items()}
    roots = [build.adjoint[problem.tape.names[name]] for name in problem.wrt]
    needed = [False] * len(dag)
    for r in roots:
        needed[r] = True
    for i in range(len(dag) - 1, -1, -1):
        if needed[i]:
            if i in defined:
                needed[defined[i]] = True
            for a in dag.args[i]:
                needed[a] = True
    index: list[int] = [-1] * len(dag)
    inputs: dict[str, int] = {}
    for name in problem.tape.input_names():
        index[dag.sym(name)] = tape.add(INPUT, name=name)
        tape.inputs.append(index[dag.sym(name)])
        inputs[name] = index[dag.sym(name)]
    number = 0
    prefix = hidden_prefix(problem.tape.own_names() | set(build.names.values()))
    # DAG numbers are topological, except that an adjoint's symbol may be made before
    # the consumers that use it and after its definition: both come before its users.
    for i in range(len(dag)):
        if not needed[i] or index[i] >= 0:
            continue
        if i in defined:
            index[i] = index[defined[i]]
        elif dag.op[i] is None:
            index[i] = tape.add(CONST, text=repr(dag.value[i]), value=dag.value[i])
        else:
            number += 1
            index[i] = tape.add(OPERATION, op=dag.op[i], args=tuple(index[a] for a in dag.args[i]),
                                number=number, prefix=prefix)
    # Names for error messages: the program's own, and each adjoint's.
    named = {build.node_of[node.index]: node.name for node in problem.tape.nodes
             if node.kind == OPERATION and node.name is not None}
    named.update({expr: build.names[i] for i, expr in build.adjoint.items()})
    for d, name in named.items():
        if index[d] >= 0 and tape.nodes[index[d]].kind == OPERATION and tape.nodes[index[d]].name is None:
            tape.nodes[index[d]].name = name
    for name, i in inputs.items():
        tape.names[name] = i
    gradient = {name: index[r] for name, r in zip(problem.wrt, roots)}
    return tape, inputs, gradient


__all__ = ["derive", "sweep", "program_namer", "closed_forms", "simpler", "adjoint_tape", "Derived", "CLOSED_FORM_LIMIT"]
