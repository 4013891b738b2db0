"""``explain --rules``: a derivative worked the way a calculus textbook works it, rule by named rule.

derivative-calculator.net and the textbooks differentiate a formula from the outside in: the
sum rule splits a sum, the product rule a product, the chain rule peels a function off its
argument, and each part is differentiated in turn.  This view does the same over the program's
own graph (its statements inlined into one formula of the inputs): one step per node that
depends on the input, each an equation ``d/dx[u*v] = d/dx[u]*v + u*d/dx[v]`` with its rule
named and its simplified result, ending at the derivative, whose value at the bound point is
the reverse sweep's (the view says both).  The local derivatives come from the op table's
partials, the same ones every sweep uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gradcli.autodiff.gradient import evaluate
from gradcli.autodiff.problem import Problem
from gradcli.core.symbolic import Dag, partial, render, sizes
from gradcli.support.errors import UsageError

SIZE_LIMIT = 80  # nodes of the formula written out as a tree: past it, a worked derivation is not readable

_RULE_NAMES = {"add": "sum rule", "sub": "difference rule", "neg": "constant multiple rule"}


@dataclass
class Step:
    expression: str  # the part differentiated: "x^2*sin(x)"
    rule: str  # "product rule"
    form: str  # the rule applied, with the parts still to differentiate: "d/dx[x^2]*sin(x) + x^2*d/dx[sin(x)]"
    result: str  # its derivative, simplified: "2*x*sin(x) + x^2*cos(x)"


@dataclass
class Derivation:
    wrt: str
    steps: list[Step]
    result: str
    value: float  # the derivative at the bound point: the reverse sweep's


@dataclass
class RulesResult:
    problem: Problem
    output: str
    formula: str  # the output as one formula of the inputs
    value: float
    derivations: list[Derivation] = field(default_factory=list)


def worked_rules(problem: Problem) -> RulesResult:
    from gradcli.analyses.derive import name_order, simpler, tape_in_dag
    from gradcli.analyses.passes import has_arrays

    if has_arrays(problem):
        raise UsageError("--rules works a formula of numbers by the textbook's rules; on arrays, "
                         "'gradcli derive' writes the backward pass at the tensor level", kind="array-program")
    sweep = evaluate(problem)
    dag, node_of = tape_in_dag(problem.tape, lambda d, op, args: args[0] if op.name == "copy" else d.raw(op, args))
    root = node_of[problem.output_index]
    if sizes(dag, SIZE_LIMIT)[root] > SIZE_LIMIT:
        raise UsageError(f"the output written as one formula has more than {SIZE_LIMIT} nodes: too long to "
                         "work by hand; 'gradcli explain --steps' shows the backward pass node by node, "
                         "'gradcli derive' the derivative", kind="too-large")
    rank = name_order(problem)
    result = RulesResult(problem, problem.output, render(dag, root), sweep.value)
    for name in problem.wrt:
        result.derivations.append(_derive(dag, root, name, rank, sweep.gradient[name], simpler))
    return result


def _derive(dag: Dag, root: int, name: str, rank: dict, value: float, simpler) -> Derivation:
    x = dag.sym(name)
    count = root + 1
    depends = [False] * count
    derivative = [dag.const(0.0)] * count  # each node's derivative, by forward mode over the DAG
    for i in range(count):
        if i == x:
            depends[i], derivative[i] = True, dag.const(1.0)
        elif dag.op[i] is not None:
            args = dag.args[i]
            depends[i] = any(depends[a] for a in args)
            if depends[i]:
                total = dag.const(0.0)
                for k, a in enumerate(args):
                    if depends[a]:
                        total = dag.add(total, dag.mul(partial(dag, dag.op[i], k, args, i), derivative[a]))
                derivative[i] = total
    steps, done, todo = [], set(), [root]
    while todo:  # outside in, each part once
        i = todo.pop(0)
        if i in done or not depends[i] or i == x:
            continue
        done.add(i)
        rule, form = _rule(dag, i, name, depends, x)
        result = render(dag, simpler(dag, derivative[i], rank=rank))
        steps.append(Step(render(dag, i), rule, form, result))
        todo.extend(a for a in dag.args[i] if depends[a] and a != x)
    final = render(dag, simpler(dag, derivative[root], rank=rank)) if depends[root] else "0"
    return Derivation(name, steps, final, value)


def _rule(dag: Dag, i: int, name: str, depends: list[bool], x: int) -> tuple[str, str]:
    """The rule that differentiates node i, and the rule applied: parts still to do as d/dx[part]."""
    op, args = dag.op[i], dag.args[i]
    text = [render(dag, a) for a in args]
    wrapped = [render(dag, a, minimum=_PRODUCT) for a in args]

    def d(k: int) -> str:
        a = args[k]
        return "1" if a == x else f"d/d{name}[{text[k]}]" if depends[a] else "0"

    def times(a: str, b: str) -> str:
        return b if a == "1" else a if b == "1" else f"{a}*{b}"

    kind = op.name
    if kind in ("add", "sub"):
        left, right = d(0), d(1)
        rule = _RULE_NAMES[kind] + (" (a constant's derivative is 0)" if "0" in (left, right) else "")
        if right == "0":
            return rule, left
        if left == "0":
            return rule, right if kind == "add" else f"-{right}"
        return rule, f"{left} {'+' if kind == 'add' else '-'} {right}"
    if kind == "neg":
        return _RULE_NAMES[kind], f"-{d(0)}"
    if kind == "mul":
        if depends[args[0]] and depends[args[1]]:
            return "product rule", f"{times(d(0), wrapped[1])} + {times(wrapped[0], d(1))}"
        return "constant multiple rule", (times(d(0), wrapped[1]) if depends[args[0]] else times(wrapped[0], d(1)))
    if kind == "div":
        below = render(dag, args[1], minimum=_POWER)
        if not depends[args[1]]:
            return "constant multiple rule", f"{d(0)}/{below}"
        if not depends[args[0]]:
            return "reciprocal rule", f"-{times(wrapped[0], d(1))}/{below}^2"
        return "quotient rule", f"({times(d(0), wrapped[1])} - {times(wrapped[0], d(1))})/{below}^2"
    if kind == "pow":
        base, exponent = args
        if not depends[exponent]:
            n = text[1]
            chain = "" if base == x else f"*{d(0)}"
            rule = "power rule" if base == x else "power rule and chain rule"
            return rule, f"{n}*{render(dag, base, minimum=_POWER)}^({n} - 1){chain}"
        if not depends[base]:
            return "exponential rule", f"{render(dag, i)}*log({text[0]})*{d(1)}"
        return "general power rule", f"{render(dag, i)}*({d(1)}*log({text[0]}) + {wrapped[1]}*{d(0)}/{wrapped[0]})"
    # a function: the chain rule, its local derivatives from the op table
    terms = []
    for k, a in enumerate(args):
        if depends[a]:
            local = partial(dag, op, k, args, i)
            terms.append(render(dag, local) if a == x else f"{render(dag, local, minimum=_PRODUCT)}*{d(k)}")
    own = f"derivative of {op.symbol}"
    if len(args) == 1:
        return (own if args[0] == x else f"chain rule ({own})"), terms[0]
    return f"chain rule ({op.symbol} of several arguments)", " + ".join(terms)


_PRODUCT = 21  # a part printed inside a product is parenthesized if it binds more loosely than *
_POWER = 41  # a base of ^, or a denominator, unless it is one name or call


__all__ = ["worked_rules", "RulesResult", "Derivation", "Step"]
