"""The rules shown at the tensor level are gradcli expressions that evaluate to the sweep's VJPs.

``explain --steps``, ``--paths`` and the graph exports write, for each edge of an array
program, the rule handing the gradient to the operand (``db += sum(dh, 0)``,
``dS += expand_dims(dv, 1) * softmax(S, 1)``).  Each rule is evaluated here with
gradcli's own evaluator, at the program's values, and compared with the VJP that the
reverse sweep computed (``array_sweeps.edge_vjp``): equal numbers, and a shape that is
the operand's, or broadcasts into it as ``dS += ...`` does (a reduction's gradient,
one value per row, spread over the row).  Every op of the table is covered (the cases of
test_array_ops.py iterate over it), then random array programs through the views.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from test_array_ops import RNG, cases, operand_values

from gradcli.analyses.export import annotate
from gradcli.analyses.paths import explain_paths
from gradcli.analyses.steps import backward_steps
from gradcli.autodiff.sweeps import Plan
from gradcli.autodiff.array_sweeps import edge_vjp
from gradcli.autodiff.loading import load
from gradcli.core.lower import lower_text
from gradcli.core.tape import CONST, INPUT, OPERATION, Tape
from gradcli.core.formulas import tensor_formula

RESULT = "rule_value_"


def evaluated(rule: str, values: dict):
    """``rule`` evaluated by gradcli, its names bound to ``values`` (label -> value)."""
    tape = lower_text(f"{RESULT} = {rule}")
    inputs = {i: values[tape.nodes[i].name] for i in tape.inputs}
    return Plan(tape, arrays=True).values(inputs)[tape.names[RESULT]]


def assert_rule_gives(rule: str, values: dict, vjp, operand_shape: tuple):
    got = evaluated(rule, values)
    assert np.broadcast_shapes(np.shape(got), operand_shape) == operand_shape, (rule, np.shape(got))
    assert np.shape(vjp) == operand_shape
    np.testing.assert_allclose(np.broadcast_to(got, operand_shape), vjp, rtol=1e-12, atol=1e-14, err_msg=rule)


@pytest.mark.parametrize("op, shapes, params", list(cases()))
def test_every_ops_rule_evaluates_to_its_vjp(op, shapes, params):
    args = operand_values(op, shapes)
    tape = Tape()
    inputs = [tape.add(INPUT, name=f"x{k}") for k in range(len(shapes))]
    node = tape.nodes[tape.add(OPERATION, op=op, args=tuple(inputs), name="y", number=1, params=params)]
    out = op.array.forward(params, *args)
    g = RNG.uniform(-1, 1, np.shape(out)) if np.ndim(out) else float(RNG.uniform(-1, 1))
    values = {f"x{k}": a for k, a in enumerate(args)} | {"y": out, "dy": g}
    labels = [f"x{k}" for k in range(len(shapes))]
    for j, s in enumerate(shapes):
        rule = tensor_formula(op, j, labels, "y", "dy", params, list(shapes))
        assert_rule_gives(rule, values, edge_vjp(node, j, g, [*args, out]), s)


def test_the_bias_gradient_is_summed_over_the_batch():
    """cs231n's lesson: b of shape (3,) added to X @ W of shape (4, 3) gets dout summed over axis 0."""
    problem = load("h = X @ W + b; f = sum(h*h)", ["X=[[1,2],[3,4],[0.5,1],[2,1]]",
                                                  "W=[[1,0,1],[0,1,1]]", "b=[0.1,0.2,0.3]"])
    steps = {s.node: s for s in backward_steps(problem).steps}
    rules = {o.node: o.formula for o in steps["h"].operands}
    assert rules["b"] == "sum(dh, 0)"
    X, W, b = np.array([[1, 2], [3, 4], [0.5, 1], [2, 1]]), np.array([[1, 0, 1], [0, 1, 1]]), np.array([.1, .2, .3])
    h = X @ W + b
    np.testing.assert_allclose(evaluated(rules["b"], {"dh": 2 * h}), (2 * h).sum(axis=0), rtol=1e-15)


# ---------------------------------------------------------------- random array programs

SHAPES = {"X": (4, 3), "W": (3, 2), "b": (2,), "v": (4,), "c": (1, 2), "k": ()}
UNARY = ["sin({})", "tanh({})", "sigmoid({})", "relu({})", "abs({})", "exp({}/4)", "{}^2", "-{}",
         "softmax({}, {axis})", "softmax({})", "transpose({})", "expand_dims({}, {axis})",
         "log_softmax({}, {axis})", "cumsum({}, {axis})"]
REDUCE = ["sum({}, {axis})", "mean({}, {axis})", "max({}, axis={axis})", "min({}, axis={axis})",
          "logsumexp({}, {axis})", "sum({})", "max({})", "norm({})", "logsumexp({})", "{}[{index}]",
          "prod({}, {axis})", "var({}, {axis})", "norm({}, 1, {axis})"]
BINARY = ["{} + {}", "{} - {}", "{} * {}", "{} / (1 + {}^2)", "max({}, {})", "atan2({}, {})", "hypot({}, {})"]


def _fits(template: str, shape: tuple) -> bool:
    if "transpose" in template:
        return len(shape) == 2
    if "expand_dims" in template:
        return len(shape) == 1
    if "norm" in template or "softmax" in template:
        return len(shape) in (1, 2)
    return bool(shape) if any(r in template for r in ("sum", "mean", "max({}", "min", "logsumexp", "[", "prod", "var")) else True


def random_program(rng: random.Random) -> str:
    """Statements over X, W, b, v, c, k that broadcast, multiply matrices, reduce and index; the output
    sums every statement that nothing else reads, so every op's rule is on the backward pass."""
    pool = dict(SHAPES)
    lines, unused = [], []
    for n in range(rng.randint(3, 7)):
        name, a = f"t{n}", rng.choice(list(pool))
        sa = pool[a]
        kind = rng.choice(["unary", "reduce", "binary", "matmul"])
        if kind == "matmul":
            pairs = [(p, q) for p in pool for q in pool if pool[p] and pool[q] and len(pool[p]) <= 2
                     and len(pool[q]) <= 2 and pool[p][-1] == pool[q][0]]
            if not pairs:
                continue
            p, q = rng.choice(pairs)
            text, shape, used = f"{p} @ {q}", tuple(pool[p][:-1] + pool[q][1:]), [p, q]
        elif kind == "binary":
            others = [q for q in pool if _broadcasts(pool[q], sa)]
            q = rng.choice(others)
            template = rng.choice(BINARY)
            text = template.format(a, q, q) if template.count("{}") == 3 else template.format(a, q)
            shape, used = tuple(np.broadcast_shapes(sa, pool[q])), [a, q]
        else:
            fitting = [t for t in (UNARY if kind == "unary" else REDUCE) if _fits(t, sa)]
            if not fitting:
                continue
            template = rng.choice(fitting)
            axis = rng.randrange(-len(sa), len(sa)) if sa else 0
            if "expand_dims" in template:
                axis = rng.choice([0, 1, -1])
            index = ", ".join(str(rng.randrange(-m, m)) for m in sa[:rng.randint(1, max(1, len(sa)))])
            text = template.format(a, axis=axis, index=index)
            shape = _shape_of(text, template, sa, axis, index)
            used = [a]
        lines.append(f"{name} = {text}")
        pool[name] = shape
        unused = [u for u in unused if u not in used] + [name]
    return "; ".join(lines + [f"f = {' + '.join(f'sum({u})' for u in unused) or 'sum(X)'}"])


def _broadcasts(s, t) -> bool:
    try:
        np.broadcast_shapes(s, t)
        return True
    except ValueError:
        return False


def _shape_of(text, template, s, axis, index) -> tuple:
    """The shape of a unary or reducing statement (the test's own bookkeeping, numpy's rules)."""
    probe = np.zeros(s)
    if template.startswith("transpose"):
        return probe.T.shape
    if template.startswith("expand_dims"):
        return np.expand_dims(probe, axis).shape
    if template in UNARY:
        return s
    if "[" in template:
        return probe[tuple(int(i) for i in index.split(", "))].shape
    if "axis" in template:
        return np.sum(probe, axis=axis).shape
    if template in ("sum({})", "max({})", "norm({})", "logsumexp({})"):
        return ()
    return s


VALUES = [f"{name}={np.round(np.random.default_rng(3).uniform(-1.5, 1.5, shape), 3).tolist()}"
          for name, shape in SHAPES.items()]


@pytest.mark.parametrize("seed", range(40))
def test_random_programs_rules_evaluate_to_the_sweeps_vjps(seed):
    """--steps: each operand's rule at the node's values and upstream gradient gives the downstream
    the sweep handed it; --paths and the graph export write the same rules, edge for edge."""
    text = random_program(random.Random(seed))
    problem = load(text, [v for v in VALUES if v.split("=")[0] in lower_text(text).input_names()])
    result = backward_steps(problem)
    tape, vals = problem.tape, result.sweep.values
    values = {node.label: vals[node.index] for node in tape.nodes}
    shown = {}
    for step in result.steps:
        values[f"d{step.node}"] = step.upstream
        for operand in step.operands:
            assert_rule_gives(operand.formula, values, operand.contribution, np.shape(vals[operand.index]))
            shown.setdefault((operand.index, step.index), set()).add(operand.formula)
    graph = explain_paths(problem).graph
    for e, edge in enumerate(graph.edges):
        assert graph.formula(e) in shown[(edge.src, edge.dst)], (text, graph.formula(e))
    for edge in annotate(result.sweep).edges:  # gradcli graph: every edge, a constant's too
        if tape.nodes[edge.source].kind != CONST:
            assert edge.formula in shown[(edge.source, edge.target)], (text, edge.formula)
