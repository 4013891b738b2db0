"""Generated names (hidden nodes' labels, derive's adjoints, the tables' adjoint notation, the trace's
names) never equal, nor read as, a name of the program: over random programs whose own names are
v1..v9, d_x, dout, out and the like."""

import random
import re

import pytest
from hypothesis import given, strategies as st

from conftest import central_difference, run, run_json
from strategies import SETTINGS, generate
from gradcli.analyses.derive import derive
from gradcli.analyses.trace import evaluation_trace
from gradcli.autodiff.scalar_plan import scalar_values
from gradcli.autodiff.gradient import evaluate
from gradcli.autodiff.loading import load
from gradcli.core.tape import CONST, OPERATION
from gradcli.support.errors import GradError

POOL = ["v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "d_x", "dout", "out", "x", "w1", "v_1",
        "d_v1", "t1", "d_out", "y"]
IDENTIFIER = re.compile(r"(?<![A-Za-z0-9_.])[A-Za-z_][A-Za-z0-9_]*")


def renamed(seed: int):
    """A random program (tests/strategies.py) with its names replaced by names from POOL."""
    rng = random.Random(seed)
    g = generate(rng)
    own = set(g.values) | set(re.findall(r"\bt\d+\b", g.text)) | {"J", "f"} | ({g.output} if g.output else set())
    names = sorted(n for n in own if n != "f")  # a bare expression stays the output f
    mapping = dict(zip(names, rng.sample(POOL, len(names))))
    rename = lambda text: IDENTIFIER.sub(lambda m: mapping.get(m.group(0), m.group(0)), text)
    bindings = [rename(b.split("=")[0]) + "=" + b.split("=", 1)[1] for b in g.bindings]
    values = {mapping[n]: v for n, v in g.values.items()}
    return rename(g.text), bindings, values, mapping.get(g.output, g.output)


def family(label: str) -> str | None:
    """``v`` for v3, v_-1: the letters of a numbered generated name."""
    m = re.fullmatch(r"([A-Za-z]+)_?-?\d+", label)
    return m.group(1) if m else None


def assert_apart(generated: str, program: set[str]) -> None:
    assert generated not in program, generated
    letters = family(generated)
    if letters is not None:
        same = [n for n in program if family(n) == letters]
        assert not same, f"{generated} reads as one of the program's {same}"


@SETTINGS
@given(st.integers(0, 10**9))
def test_generated_names_stay_apart_from_the_programs(seed):
    text, bindings, values, output = renamed(seed)
    problem = load(text, bindings, of=output)
    tape = problem.tape
    program = set(tape.own_names())
    for node in tape.nodes:
        if node.kind == OPERATION and node.name is None:
            assert_apart(node.label, program)
        if node.kind != CONST:
            assert tape.adjoint_prefix() + node.label not in program
    labels = [node.label for node in tape.nodes]
    assert len(set(labels)) == len(labels)  # one box per node in every picture
    try:
        sweep = evaluate(problem)
    except GradError:
        return
    for row in evaluation_trace(problem).rows:
        assert_apart(row.trace_name, program)
    result = derive(problem)
    for name, adjoint in result.adjoints.items():
        assert adjoint == f"d_{name}" or f"d_{name}" in program, (name, adjoint)
    statements = [target for target, _ in result.lines[result.forward_count:]]
    assert not set(statements) & program
    assert len(set(statements)) == len(statements)
    for target, _ in result.lines[:result.forward_count]:  # hidden nodes and temporaries named
        if target not in program:
            assert_apart(target, program)
    # The derived program, evaluated by its adjoint's name, gives the central difference.
    names = list(problem.values)
    point = [problem.values[n] for n in names]

    def f(*xs):
        inputs = {tape.names[n]: x for n, x in zip(names, xs) if n in tape.names}
        return scalar_values(tape, inputs)[problem.output_index]

    bindings = [b for b in bindings if b.split("=")[0] in problem.values]  # what the output reads
    for name in problem.wrt:
        derived = evaluate(load(result.program, bindings, of=result.adjoints[name])).value
        assert derived == pytest.approx(sweep.gradient[name], rel=1e-9, abs=1e-9)
        k = names.index(name)
        assert derived == pytest.approx(central_difference(f, point, k), rel=1e-4, abs=1e-4)


def test_the_hidden_node_of_v1_plus_x_is_not_called_v1():
    result = run("explain", "--paths", "y = (v1 + x)*v1", "v1=2", "x=3")
    assert "v1 → v1" not in result.out and "∂v1/∂v1" not in result.out
    graph = run_json("graph", "y = (v1 + x)*v1", "v1=2", "x=3", "--format", "json")
    labels = [n["label"] for n in graph["nodes"]]
    assert len(set(labels)) == len(labels)
    assert graph["nodes"][0]["adjoint"] == pytest.approx(2 * 2 + 3)  # dy/dv1 = 2*v1 + x


def test_derive_pipes_d_a_as_the_gradient_of_a():
    text = "y = (v1 + x)*v1"
    derived = run("derive", text)
    for v1, x in [(2, 3), (-0.5, 1.25)]:
        piped = run_json("eval", "-f", "-", f"v1={v1}", f"x={x}", "--of", "d_v1", "--json", input=derived.out)
        assert piped["value"] == pytest.approx(2 * v1 + x)
        piped = run_json("eval", "-f", "-", f"v1={v1}", f"x={x}", "--of", "d_x", "--json", input=derived.out)
        assert piped["value"] == pytest.approx(v1)


def test_a_program_name_d_a_moves_the_adjoint_and_derive_says_so():
    text = "y = (a + x)*d_a"
    derived = run("derive", text)
    assert "dy/da is d_a_2" in derived.out
    data = run_json("derive", text, "--json")
    assert data["adjoints"]["a"] == "d_a_2"
    piped = run_json("eval", "-f", "-", "a=2", "x=3", "d_a=5", "--of", "d_a_2", "--json", input=derived.out)
    assert piped["value"] == pytest.approx(5)


@pytest.mark.parametrize("view", [["eval", "--all"], ["explain", "--steps"]])
def test_an_input_dout_beside_a_statement_out_keeps_the_adjoints_apart(view):
    text = "out = x*w + b; y = out*dout"
    shown = run(*view, text, "x=1", "w=2", "b=3", "dout=4").out
    assert not re.search(r"(?<![\w/])ddout", shown)  # dy/ddout is a derivative, not an adjoint name
    assert not re.search(r"│\s+dout = ", shown)  # a cell opening with dout = : the adjoint of out, named as the input
    assert "d_out = 4" in shown and "d_dout = 5" in shown  # dy/dout = dout, dy/ddout = x*w + b


@pytest.mark.parametrize("command, values", [(["derive", "--latex"], []),
                                            (["derive", "--latex", "--closed-form"], []),
                                            (["explain", "--paths", "--latex"], ["x1=1", "x_1=2"])])
def test_latex_gives_x1_and_x_1_two_symbols(command, values):
    shown = run(*command, "y = x1*x_1 + sin(x1)", *values).out
    lhs = re.findall(r"\\frac\{\\partial y\}\{\\partial (.*)\} &=", shown)
    inputs = [symbol for symbol in lhs if "v" not in symbol and symbol != "y"]
    assert len(inputs) == 2 and len(set(inputs)) == 2, shown  # were x_{1} twice
