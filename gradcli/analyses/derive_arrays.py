"""The backward pass of an array program written out at the tensor level, as a gradcli program.

cs231n's staged computation: the program restated one operation per statement
(``q = W@x``, ``v2 = q*q``, ``f = sum(v2)``), then one adjoint statement per
node in sweep order, ``d_q = d_v2 * q + d_v2 * q``, each term the op's rule at
the tensor level (``ArrayRule.rule``: ``outer(d_q, x)``, ``transpose(W) @ d_q``,
``sum(d_h, 0)`` where a bias was broadcast), the same texts ``explain --steps``
shows.  Each statement carries its shape, and each adjoint the forward
statements it comes from.

Every adjoint has the shape of its node: a rule may hand on a smaller value that
broadcasts into the operand (a reduction's ``d_f`` spreads over the summed
array), and the statement then says ``broadcast_to(..., shape)``, so that the
next rule (``outer(d_q, x)``) reads a value of the shape it was written for.
The shape of a rule's text is found the way every program's is, by the shape
pass over it (``core/shapes.node_shapes``), never guessed.

Piped into ``gradcli eval -f -`` with the same bindings, ``--of d_W`` is the
sweep's gradient: the terms are added in the order the sweep adds them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from gradcli.analyses.derive import program_namer
from gradcli.autodiff.problem import Problem
from gradcli.core.formulas import tensor_formula
from gradcli.core.shape_reasons import reason
from gradcli.core.lower import lower_text
from gradcli.core.shapes import node_shapes
from gradcli.core.symbolic import number_text
from gradcli.core.tape import CONST, INPUT, OPERATION
from gradcli.core.values import np, shape, shape_text, size

FUSED_LIMIT = 16  # nodes of an adjoint's own closed form, shown as the fused rule of its staged statements
STATEMENT_LIMIT = 200  # statements of a derived program whose closed forms are tried
INLINE_LIMIT = 400  # nodes of a substituted statement, as a tree, that the closed forms simplify
LITERAL_LIMIT = 100  # elements of an input's value written into the program; past it, bound again


@dataclass
class Statement:
    name: str
    text: str  # the expression; None for an input bound outside the program (too large to write)
    shape: tuple
    sources: list[str] = field(default_factory=list)  # an adjoint's: the forward statements it comes from
    why: list[str] = field(default_factory=list)  # an adjoint's: why each array rule has its form (shape_reasons)


@dataclass
class ArrayDerived:
    """The result of ``derive`` on an array program: the forward statements, then the adjoints."""

    problem: Problem
    forward: list[Statement]
    backward: list[Statement]
    adjoints: dict[str, str]  # input -> the name of its adjoint in the program
    unwritten: list[str]  # inputs whose values are too large to write: bind them again
    input_names: dict[str, str]  # each input's name in the derived program (a loop's h[0] is h_0)
    output_name: str  # the output's name there
    named: list[str] = field(default_factory=list)  # the forward statements the program itself names
    closed_form: dict[str, str | None] | None = None  # input -> its derivative as one expression (None: too large)
    where: dict[str, str] = field(default_factory=dict)  # the program's names a closed form uses -> their own
    closed_latex: dict[str, str | None] | None = None  # the same, in matrix notation (with --latex)
    where_latex: dict[str, str] = field(default_factory=dict)
    latex_lines: list[tuple[str, str]] | None = None  # every statement in matrix notation (with --latex)
    # Adjoints whose staged statements add up to a short rule of their own: name -> (the rule, the largest
    # difference from the staged value at the bound point), e.g. d_S -> ((softmax(S, 1) - Y)/64, 2.8e-17).
    fused: dict[str, tuple[str, float]] = field(default_factory=dict)

    @property
    def output(self) -> str:
        return self.problem.output

    @property
    def program(self) -> str:
        return program_text(self)


def derive_arrays(problem: Problem) -> ArrayDerived:
    """The tensor-level backward pass of ``problem`` (every input bound: the rules' forms read shapes)."""
    tape = problem.tape
    sizes = problem.shapes or [()] * len(tape.nodes)  # checked by load; a scalar program's are all ()
    nodes = tape.nodes
    namer = program_namer(problem)
    names: list[str | None] = [None] * len(nodes)  # each node as the derived program writes it
    for node in nodes:
        if node.kind != CONST and node.name is not None and _identifier(node.name):
            names[node.index] = node.name
    for node in nodes:
        if names[node.index] is None:
            names[node.index] = (_constant_text(node.value) if node.kind == CONST
                                 else namer.fresh(_identifier_from(node.label)))
    out = problem.output_index
    cone = tape.cone([out])
    req = tape.requires_grad()

    forward, unwritten = [], []
    for i in tape.inputs:
        name = names[i]
        value = problem.values.get(nodes[i].name)
        if value is None or not cone[i]:
            continue
        if size(value) > LITERAL_LIMIT:
            unwritten.append(name)
            forward.append(Statement(name, None, shape(value)))
        else:
            forward.append(Statement(name, _constant_text(value), shape(value)))
    for node in nodes:
        if node.kind == OPERATION and cone[node.index]:
            text = node.op.render([names[a] for a in node.args], node.params)
            forward.append(Statement(names[node.index], text, tuple(sizes[node.index])))
    definition = {s.name: f"{s.name} = {s.text}" for s in forward}

    adjoint: dict[int, str] = {}
    # What the shape pass over a rule reads: an array of each node's shape (of no memory), and the
    # inputs' own values (indices are checked against the shapes they index).
    known = {names[i]: _of_shape(sizes[i]) for i in range(len(nodes)) if nodes[i].kind != CONST}
    known.update({names[i]: problem.values[nodes[i].name] for i in tape.inputs if nodes[i].name in problem.values})
    terms: list[list | None] = [None] * len(nodes)  # per node: (text, shape, source) in the sweep's order
    backward = []
    reasons: dict[int, list[str]] = {}  # per node: why its terms' rules have their forms

    def write(i: int, seed: bool = False) -> None:
        node_shape = tuple(sizes[i])
        if seed:
            text, parts = "1", []
        elif terms[i]:
            parts = terms[i]
            text = " + ".join(t for t, _, _ in parts)
            reach = tuple(np.broadcast_shapes(*[s for _, s, _ in parts]))
            if reach != node_shape:
                text = f"broadcast_to({text}, {_tuple_text(node_shape)})"
        elif not node_shape:
            parts, text = [], "0"
        else:  # an input the output does not read is not in the program: its zeros by their shape
            parts, text = [], f"0*{names[i]}" if cone[i] else f"broadcast_to(0, {_tuple_text(node_shape)})"
        name = adjoint[i] = namer.fresh(f"d_{names[i]}") if nodes[i].kind != INPUT else input_adjoint[nodes[i].name]
        sources = list(dict.fromkeys(definition[src] for _, _, src in parts))
        backward.append(Statement(name, text, node_shape, sources, reasons.get(i, [])))
        known[name] = _of_shape(node_shape)

    input_adjoint = {name: namer.fresh(f"d_{names[tape.names[name]]}") for name in problem.wrt}
    for i in range(out, -1, -1):
        node = nodes[i]
        if node.kind != OPERATION or not cone[i] or not req[i]:
            continue
        if i != out and terms[i] is None:
            continue  # no gradient reaches this node
        write(i, seed=i == out)
        labels = [names[a] for a in node.args]
        shapes = [tuple(sizes[a]) for a in node.args]
        own_text = node.op.render(labels, node.params)
        for j, a in enumerate(node.args):
            if not req[a] or nodes[a].kind == CONST:
                continue
            text = _own_name(tensor_formula(node.op, j, labels, names[i], adjoint[i], node.params, shapes),
                             own_text, names[i])
            # An elementwise op's rule is summed back to the operand's shape; any other may be smaller.
            term_shape = shapes[j] if node.op.array.rule is None else _rule_shape(node, j, shapes, text, known)
            if terms[a] is None:
                terms[a] = []
            terms[a].append((_term(text), term_shape, names[i]))
            why = reason(node.op, j, labels, names[i], adjoint[i], node.params, shapes, tuple(sizes[i]), text, "d_")
            if why is not None:
                reasons.setdefault(a, []).append(why)
    for name in problem.wrt:  # the output itself may be an input: its derivative is the seed
        write(tape.names[name], seed=tape.names[name] == out)
    named = [names[node.index] for node in nodes if node.kind == OPERATION and cone[node.index]
             and node.name is not None and names[node.index] == node.name]
    return ArrayDerived(problem, forward, backward, {name: input_adjoint[name] for name in problem.wrt}, unwritten,
                        {nodes[i].name: names[i] for i in tape.inputs}, names[out], named)


def closed_forms(result: ArrayDerived, limit: int = 120, latex: bool = False) -> ArrayDerived:
    """Each input's derivative as one expression: the adjoint statements substituted into one another and
    simplified (core/tensor_algebra.py); the program's own names stay, each written once under "where"."""
    from gradcli.core.tensor_algebra import (Simplifier, algebra, from_expr, names_in, occurrences, replace,
                                             size, substitute, text)
    from gradcli.lang.syntax import parse_program

    simplifier = Simplifier(_shape_function(result))
    inputs = set(result.input_names.values())
    kept = set(result.named)
    resolved: dict[str, tuple] = {}
    unresolved: set[str] = set()
    statements = parse_program(result.program).statements
    if len(statements) > STATEMENT_LIMIT:  # a long program's closed forms are too large to read: not tried
        result.closed_form = {name: None for name in result.adjoints}
        if latex:
            result.closed_latex, result.where_latex = dict(result.closed_form), {}
        return result
    for statement in statements:
        if statement.target in inputs:
            continue
        node = substitute(from_expr(statement.expr), resolved)
        if size(node, INLINE_LIMIT) > INLINE_LIMIT:  # left as its name: a closed form that needs it is too large
            unresolved.add(statement.target)
            continue
        node = simplifier.simplify(node)
        if statement.target in kept:
            resolved.setdefault("where " + statement.target, node)
        else:
            resolved[statement.target] = node
    inline = {name[6:]: node for name, node in resolved.items() if name.startswith("where ")}
    numbers = _numbers_simplest()
    for name in list(resolved):  # the elementwise parts, by the algebra of numbers (sigmoid(z) - y)
        if not name.startswith("where ") and name in {st.name for st in result.backward}:
            resolved[name] = algebra(resolved[name], inline, simplifier, numbers)
    adjoint_names = {st.name for st in result.backward}
    input_adjoints = set(result.adjoints.values())
    for statement in statements:  # the fused rules: a staged adjoint that sums up to a short expression
        node = resolved.get(statement.target)
        staged = from_expr(statement.expr)
        if (statement.target in adjoint_names and statement.target not in input_adjoints and node is not None
                and size(node, FUSED_LIMIT) <= min(FUSED_LIMIT, size(staged)) and adjoint_names & set(names_in(staged))
                and not adjoint_names & set(_closure(node, {}))):  # no longer than the staged statement
            result.fused[statement.target] = (text(node), float("nan"))
    nodes = {name: resolved.get(adjoint, ("name", adjoint)) for name, adjoint in result.adjoints.items()}
    # An unnamed statement of the program the closed forms use twice or more is named once, by its label.
    shared = []
    for statement in reversed(result.forward):
        own = resolved.get(statement.name)
        if own is None or statement.text is None or size(own) < 3 or statement.name in inputs:
            continue
        if sum(occurrences(node, own) for node in nodes.values()) >= 2:
            nodes = {name: replace(node, own, ("name", statement.name)) for name, node in nodes.items()}
            resolved["where " + statement.name] = own
            kept.add(statement.name)
            shared.append((own, statement.name))
    definitions = {}  # each kept name's own closed form, the shared subexpressions named in it
    for name in kept:
        node = resolved.get("where " + name)
        if node is None:
            continue
        for own, other in shared:
            if other != name:
                node = replace(node, own, ("name", other))
        definitions[name] = node
    forms, used = {}, []
    for name, node in nodes.items():
        reads = _closure(node, definitions)
        whole = size(node, limit) <= limit and all(n in inputs or n in definitions for n in reads)
        forms[name] = text(node) if whole else None  # None: too large, or it needs a statement too large
        if forms[name] is not None:
            used += [n for n in reads if n in definitions and n not in used]
    result.closed_form = forms
    where = {s.name: text(definitions[s.name]) for s in result.forward if s.name in used}
    result.where = where
    if latex:
        writer = _latex_writer(result, simplifier)
        result.closed_latex = {name: writer.text(node) if forms[name] is not None else None
                               for name, node in nodes.items()}
        result.where_latex = {name: writer.text(definitions[name]) for name in where}
    return result


def program_text(result: ArrayDerived) -> str:
    """The derived program, each statement with its shape, each adjoint with where it comes from."""
    out = result.output
    lines = ["# the program, one operation per statement"]
    lines += [f"# {s.name}: bind it again ({shape_text(s.shape)}, {s.shape and int(np.prod(s.shape))} "
              "elements: too many to write here)" for s in result.forward if s.text is None]
    rows = [(f"{s.name} = {s.text}", shape_text(s.shape)) for s in result.forward if s.text is not None]
    lines += _aligned(rows)
    lines.append(f"# its backward pass, in sweep order: d_<name> = d{out}/d<name>, of the same shape")
    lines += [f"# d_{name} is a name of the program: d{out}/d{name} is {adjoint} here"
              for name, adjoint in result.adjoints.items() if adjoint != f"d_{name}"]
    rows = [(f"{s.name} = {s.text}",
             shape_text(s.shape) + (f", from {'; '.join(s.sources)}" if s.sources else "")) for s in result.backward]
    for statement, line in zip(result.backward, _aligned(rows)):
        lines.append(line)
        lines += [f"#   why: {why}" for why in statement.why]
        if statement.name in result.fused:
            rule, difference = result.fused[statement.name]
            lines.append(f"#   fused: {statement.name} = {rule}  (the staged value here, to {difference:.1g})")
    return "\n".join(lines) + "\n"


def _aligned(rows: list[tuple[str, str]]) -> list[str]:
    width = min(max((len(code) for code, _ in rows), default=0), 48)
    return [f"{code.ljust(width)}  # {note}" for code, note in rows]


_RULE_SHAPES: dict = {}  # (op, j, params, operand shapes) -> the shape of its rule's text


def _rule_shape(node, j: int, shapes: list, text: str, known: dict) -> tuple:
    """The shape of operand j's rule: a function of the op, its params and its operands' shapes alone
    (the gradient arriving has the result's shape), so a loop's hundred steps ask the shape pass once."""
    try:
        key = (node.op.name, j, node.params, tuple(shapes))
        hash(key)
    except TypeError:
        return _shape_of(text, known)
    found = _RULE_SHAPES.get(key)
    if found is None:
        found = _RULE_SHAPES[key] = _shape_of(text, known)
    return found


def _shape_of(text: str, known: dict) -> tuple:
    """The shape of a rule's text, by the shape pass over it (values of the forward pass, adjoints' shapes)."""
    tape = lower_text(f"rule_ = {text}")
    result = tape.nodes[tape.names["rule_"]]
    if result.kind != OPERATION:  # a number alone
        return shape(result.value)
    inputs = {i: known[tape.nodes[i].name] for i in tape.inputs}
    return tuple(node_shapes(tape, inputs)[tape.names["rule_"]])


def _numbers_simplest():
    """``simplest(formula)``: a formula of numbers (gradcli text) in its simplest form, by the scalar
    closed forms' algebra (analyses/derive.simpler), its terms in the order the formula names them;
    None when it has what that algebra does not take."""
    from gradcli.analyses.derive import simpler
    from gradcli.core.ops import CONSTANTS, FUNCTIONS, OPS
    from gradcli.core.symbolic import Dag, render
    from gradcli.lang.program import CALL, NAME, NUM, walk
    from gradcli.lang.syntax import parse_program

    def simplest(formula: str) -> str | None:
        import re

        rank = {}  # names in the order the formula (the program's order) meets them
        for found in re.finditer(r"[A-Za-z_]\w*", formula):
            rank.setdefault(found.group(), found.start())
        dag, stack = Dag(), []
        for e in walk(parse_program(f"r = {formula}").statements[0].expr):
            if e.kind == NUM:
                stack.append(dag.const(e.value))
            elif e.kind == NAME:
                stack.append(dag.const(CONSTANTS[e.text]) if e.text in CONSTANTS else dag.sym(e.text))
            else:
                name = FUNCTIONS.get(e.text) if e.kind == CALL else e.text
                if name not in OPS:
                    return None
                n = len(e.args)
                args = stack[len(stack) - n:]
                del stack[len(stack) - n:]
                stack.append(dag.apply(OPS[name], args))
        return render(dag, simpler(dag, stack[0], rank=rank))

    return simplest


def check_fused(result: ArrayDerived) -> ArrayDerived:
    """Each fused rule evaluated at the bound point beside the staged adjoint it stands for; a rule that
    does not agree (to 1e-9 of the adjoint's size) is not shown."""
    if not result.fused:
        return result
    from gradcli.autodiff.array_sweeps import array_values

    tape = lower_text(result.program)
    given = {i: tape.nodes[i].value for i in tape.inputs if tape.nodes[i].value is not None}
    given.update({tape.names[result.input_names[name]]: v for name, v in result.problem.values.items()
                  if name in result.input_names and result.input_names[name] in tape.names})
    try:
        values = array_values(tape, given)
    except Exception:  # noqa: BLE001 - the staged pass fails at this point: nothing to compare with
        result.fused = {}
        return result
    by_name = {name: values[i] for name, i in tape.names.items()}
    checked = {}
    for name, (rule, _) in result.fused.items():
        fused_tape = lower_text(f"fused_ = {rule}")
        try:
            got = array_values(fused_tape, {i: by_name[fused_tape.nodes[i].name] for i in fused_tape.inputs})
        except Exception:  # noqa: BLE001 - not evaluable here: not shown
            continue
        staged = np.asarray(by_name[name], dtype=float)
        difference = float(np.max(np.abs(np.asarray(got[fused_tape.names["fused_"]]) - staged), initial=0.0))
        if difference <= 1e-9 * max(1.0, float(np.max(np.abs(staged), initial=0.0))):
            checked[name] = (rule, difference)
    result.fused = checked
    return result


def statements_latex(result: ArrayDerived) -> ArrayDerived:
    """Every statement of the derived program in matrix notation, each adjoint as a partial derivative."""
    from gradcli.core.tensor_algebra import Simplifier, from_expr
    from gradcli.lang.syntax import parse_program

    writer = _latex_writer(result, Simplifier(_shape_function(result)))
    lines = []
    for statement in parse_program(result.program).statements:
        lines.append((writer.symbols.get(statement.target, statement.target), writer.text(from_expr(statement.expr))))
    result.latex_lines = lines
    return result


def _adjoint_targets(result: ArrayDerived) -> list[str]:
    """The statement each adjoint is the derivative with respect to: ``d_q`` is of ``q``."""
    by_adjoint = {adjoint: result.input_names.get(name, name) for name, adjoint in result.adjoints.items()}
    return [by_adjoint.get(s.name) or s.name[2:] for s in result.backward]


def _shape_function(result: ArrayDerived):
    known = {s.name: _of_shape(s.shape) for s in [*result.forward, *result.backward]}
    known.update({result.input_names[name]: v for name, v in result.problem.values.items()
                  if name in result.input_names})
    return lambda expression: _shape_of(expression, known)


def _latex_writer(result: ArrayDerived, simplifier):
    from gradcli.core.symbolic import latex_symbols
    from gradcli.core.tensor_algebra import Latex

    names = {s.name for s in [*result.forward, *result.backward]} | set(result.input_names.values())
    symbols = latex_symbols(names)
    output = symbols.get(result.output_name, result.output_name)
    for statement, target in zip(result.backward, _adjoint_targets(result)):  # d_q is written as df/dq
        symbols[statement.name] = rf"\frac{{\partial {output}}}{{\partial {symbols.get(target, target)}}}"
    return Latex(simplifier.shape, symbols)


def _closure(node: tuple, definitions: dict) -> list[str]:
    """The names a closed form reads, with those its "where" definitions read, in the order met."""
    from gradcli.core.tensor_algebra import names_in

    found = names_in(node)
    k = 0
    while k < len(found):
        if found[k] in definitions:
            found += [n for n in names_in(definitions[found[k]]) if n not in found]
        k += 1
    return found


def _of_shape(s: tuple):
    return np.broadcast_to(np.zeros(()), s) if s else 0.0


def _own_name(rule: str, definition: str, name: str) -> str:
    """``1 - tanh(v2)^2`` as ``1 - H^2`` where the program has ``H = tanh(v2)``: the same double, read as
    the textbook writes it.  Only a call is replaced, where it stands whole (not ``xtanh(v2)``)."""
    if not (definition.endswith(")") and _IDENTIFIER.match(definition.split("(", 1)[0] or "-")):
        return rule
    return re.sub(r"(?<![\w.])" + re.escape(definition), name, rule)


def _term(text: str) -> str:
    """A rule as a term of a sum: a comparison or a conditional would bind looser than ``+``."""
    return f"({text})" if any(op in text for op in ("<", ">", "==", "!=")) else text


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z_0-9]*$")


def _identifier(name: str) -> bool:
    return bool(_IDENTIFIER.match(name))


def _identifier_from(label: str) -> str:
    """A loop's ``h[3]`` as a name a statement can have: ``h_3``."""
    text = re.sub(r"\W+", "_", label).strip("_")
    return text if _identifier(text) else f"v_{text}"


def _constant_text(value) -> str:
    if not shape(value):
        text = number_text(float(value))
        return f"({text})" if text.startswith("-") else text
    if value.dtype.kind in "iub":
        return repr(value.tolist()).replace(" ", " ")
    return _nested(value.tolist())


def _nested(v) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_nested(x) for x in v) + "]"
    return number_text(float(v))


def _tuple_text(t: tuple) -> str:
    return "(" + ", ".join(map(str, t)) + ("," if len(t) == 1 else "") + ")"


__all__ = ["derive_arrays", "ArrayDerived", "program_text"]
