"""Forward mode: tangent passes over the same tape and op table, checked by hand and against the reverse sweep."""

import math
import random

import pytest

from conftest import assert_error, run, run_json
from gradcli.support.errors import EvaluationError
from gradcli.autodiff.scalar_plan import checked_tangent_column, scalar_tangents, scalar_values, tangent_column
from gradcli.autodiff.forward_mode import forward_gradient
from gradcli.core.ops import SCALAR_OPS
from gradcli.autodiff.gradient import evaluate
from gradcli.autodiff.loading import load

BAYDIN = "y = log(x1) + x1*x2 - sin(x2)"


def baydin_tangents(seed):
    """Baydin et al. Table 2, by the hand-derived tangent rule of each line."""
    x1, x2 = 2.0, 5.0
    d1, d2 = (1.0, 0.0) if seed == "x1" else (0.0, 1.0)
    v1 = d1 / x1                    # log
    v2 = d1 * x2 + x1 * d2          # product rule
    v3 = v1 + v2
    v4 = math.cos(x2) * d2
    return [d1, d2, v1, v2, v3, v4, v3 - v4]


@pytest.mark.parametrize("seed", ["x1", "x2"])
def test_baydin_table_2_tangents(seed):
    problem = load(BAYDIN, ["x1=2", "x2=5"])
    result = evaluate(problem)
    column = tangent_column(problem.tape, result.values, problem.tape.names[seed])
    assert column == pytest.approx(baydin_tangents(seed), rel=1e-15)


def test_baydin_one_pass_per_input():
    result = forward_gradient(load(BAYDIN, ["x1=2", "x2=5"]))
    assert (result.mode, result.passes) == ("forward", 2)
    assert result.gradient["x1"] == 5.5
    assert result.gradient["x2"] == pytest.approx(1.7163, abs=5e-5)


def test_passes_follow_wrt():
    result = forward_gradient(load("u = b*c; v = a + u; J = 3*v", ["a=5", "b=3", "c=2"], wrt=["b"]))
    assert (result.passes, result.gradient) == (1, {"b": 6.0})


def test_cli_forward_mode():
    data = run_json("eval", "--mode", "forward", BAYDIN, "x1=2", "x2=5", "--json")
    assert (data["mode"], data["passes"], data["gradient"]["x1"]) == ("forward", 2, 5.5)
    human = run("eval", "--mode", "forward", BAYDIN, "x1=2", "x2=5")
    assert human.code == 0 and "forward mode, 2 passes" in " ".join(human.out.split())


def test_undefined_partial_on_a_live_edge_fails():
    with pytest.raises(EvaluationError, match=r"derivative of sqrt\(0\)"):
        forward_gradient(load("y = sqrt(x)", ["x=0"]))
    result = assert_error(["eval", "--mode", "forward", "y = sqrt(x)", "x=0", "--json"], 1)
    assert result.json()["error"]["kind"] == "derivative"


def test_statements_off_the_output_are_not_differentiated():
    # u is undefined to differentiate at x=0, but y does not use it (the reverse sweep agrees).
    problem = load("u = sqrt(x); y = 2*x", ["x=0"], of="y")
    assert forward_gradient(problem).gradient == evaluate(problem).gradient == {"x": 2.0}


def random_program(rng: random.Random, n_inputs: int = 3, n_ops: int = 12):
    """A random program over OPS whose every operation is applied inside its domain."""
    names = [f"x{i}" for i in range(n_inputs)]
    values = {name: rng.uniform(0.2, 1.5) * rng.choice([-1, 1]) for name in names}
    bindings = [f"{n}={v!r}" for n, v in values.items()]
    pool = dict(values)
    lines, used, ops_used = [], set(), set()
    ops = list(SCALAR_OPS.values())
    while len(lines) < n_ops:
        op = rng.choice(ops)
        arity = op.arity or rng.choice([2, 3])
        args = [rng.choice(list(pool)) for _ in range(arity)]
        vals = [pool[a] for a in args]
        if op.domain is not None and not op.domain(*vals):
            continue
        if op.kinks is not None and op.kinks(*vals):
            continue
        try:
            out = op.forward(*vals)
            partials = [op.partial(j, vals, out) for j in range(arity)]
        except (ArithmeticError, ValueError):
            continue
        if not all(math.isfinite(v) and abs(v) < 1e3 for v in [out, *partials]):
            continue
        name = f"t{len(lines)}"
        lines.append(f"{name} = {op.render(args)}")
        pool[name] = out
        used.update(args)
        ops_used.add(op.name)
    unused = [n for n in pool if n not in used and n.startswith("t")]
    lines.append("y = " + " + ".join(unused + names))  # every input reaches y
    return "\n".join(lines), bindings, ops_used


@pytest.mark.parametrize("seed", range(40))
def test_forward_equals_reverse_on_random_programs(seed):
    text, bindings, _ = random_program(random.Random(seed))
    problem = load(text, bindings, of="y")
    reverse, forward = evaluate(problem).gradient, forward_gradient(problem).gradient
    assert forward.keys() == reverse.keys()
    for name in reverse:
        assert forward[name] == pytest.approx(reverse[name], rel=1e-12, abs=1e-12), (text, name)


@pytest.mark.parametrize("seed", range(40))
def test_the_compiled_pass_equals_the_edge_by_edge_pass(seed):
    """Every op of the table (variadic ones too), every node's tangent, to the last bit."""
    text, bindings, _ = random_program(random.Random(seed))
    problem = load(text, bindings, of="y")
    tape, values = problem.tape, scalar_values(problem.tape, problem.input_values())
    for seed_index in tape.inputs:
        assert scalar_tangents(tape, values, seed_index) == checked_tangent_column(tape, values, seed_index)


def test_the_compiled_pass_leaves_failures_to_the_checked_one():
    problem = load("y = sqrt(x - x) + z", ["x=1", "z=2"])
    tape, values = problem.tape, scalar_values(problem.tape, problem.input_values())
    assert scalar_tangents(tape, values, tape.names["z"]) is None  # 0 x inf on the live edge sqrt <- x-x
    with pytest.raises(EvaluationError, match=r"derivative of sqrt\(0\)"):
        tangent_column(tape, values, tape.names["z"])


def test_random_programs_use_every_op():
    seen = set()
    for seed in range(40):
        seen |= random_program(random.Random(seed))[2]
    assert seen == set(SCALAR_OPS)
