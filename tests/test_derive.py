"""gradcli derive: the backward pass as a program, closed forms, LaTeX, and simplified formulas everywhere."""

import math
import random
import sys

import pytest
import sympy
from hypothesis import given

from conftest import assert_error, run, run_json
from programs import chain
from strategies import SETTINGS, generate, programs
from gradcli.analyses.derive import derive
from gradcli.autodiff.scalar_plan import scalar_values
from gradcli.support.errors import GradError
from gradcli.core.ops import SCALAR_OPS
from gradcli.autodiff.gradient import evaluate
from gradcli.autodiff.loading import load

NG = "u = b*c; v = a + u; J = 3*v"
BAYDIN = "y = log(x1) + x1*x2 - sin(x2)"


def value_of(expression: str, values: dict[str, float]) -> float:
    """An expression's value, computed by gradcli's own parser and forward pass."""
    problem = load(expression, require_values=False)  # a bare expression: always computed
    inputs = {problem.tape.names[n]: values.get(n, problem.values.get(n)) for n in problem.tape.input_names()}
    return scalar_values(problem.tape, inputs)[problem.output_index]


def test_the_worked_example_closed_form():
    result = run("derive", NG, "--closed-form")
    assert result.code == 0, result.err
    assert result.out.splitlines() == ["dJ/da = 3", "dJ/db = 3*c", "dJ/dc = 3*b"]


def test_the_program_names_every_adjoint_and_folds_constants():
    lines = run("derive", NG).out.splitlines()
    for statement in ["u = b*c", "d_J = 1", "d_v = 3", "d_u = d_v", "d_a = d_v", "d_b = d_u*c", "d_c = d_u*b"]:
        assert statement in lines
    assert lines.index("d_v = 3") < lines.index("d_u = d_v") < lines.index("d_b = d_u*c")  # sweep order


@pytest.mark.parametrize("name, expected", [("a", 3.0), ("b", 6.0), ("c", 9.0)])
def test_the_program_pipes_into_eval(name, expected):
    program = run("derive", NG).out
    assert run_json("eval", "-f", "-", "--of", f"d_{name}", "a=5", "b=3", "c=2", "--json", input=program)["value"] \
        == expected


def test_bindings_become_defaults_of_the_program():
    program = run("derive", NG, "a=5", "b=3", "c=2").out
    assert run_json("eval", "-f", "-", "--of", "d_c", "--json", input=program)["value"] == 9.0


def test_baydin_closed_forms_are_sympys():
    data = run_json("derive", BAYDIN, "--closed-form", "--json")
    x1, x2 = sympy.symbols("x1 x2")
    y = sympy.log(x1) + x1 * x2 - sympy.sin(x2)
    assert data["closed_form"] == {"x1": "x2 + 1/x1", "x2": "x1 - cos(x2)"}
    for name, symbol in [("x1", x1), ("x2", x2)]:
        ours = sympy.sympify(data["closed_form"][name].replace("^", "**"))
        assert sympy.simplify(ours - sympy.diff(y, symbol)) == 0
    assert set(data) == {"output", "inputs", "program", "adjoints", "closed_form"}
    assert data["adjoints"] == {"x1": "d_x1", "x2": "d_x2"} and data["inputs"] == ["x1", "x2"]


REFERENCE = [
    ("f = (x + y) * z", {"x": -2, "y": 5, "z": -4}),
    ("y = exp(a*b)*c + sqrt(a)/b", {"a": 1.3, "b": 0.7, "c": -2}),
    ("w = tanh(x)^3 - cos(x*y); v = w*w + atan(y)", {"x": 0.4, "y": 1.1}),
    ("y = pow(x, z) + x^2.5 - 1/(1 + exp(-x*z))", {"x": 1.7, "z": 0.3}),
]


@pytest.mark.parametrize("text, values", REFERENCE, ids=[r[0][:20] for r in REFERENCE])
def test_closed_forms_match_sympy(text, values):
    data = run_json("derive", text, "--closed-form", "--json")
    symbols = {n: sympy.Symbol(n) for n in values}
    local = dict(symbols, exp=sympy.exp, sqrt=sympy.sqrt, tanh=sympy.tanh, cos=sympy.cos, atan=sympy.atan,
                 pow=sympy.Pow)
    # The program as SymPy sees it: statements substituted in order.
    env = dict(local)
    for statement in text.split(";"):
        target, expr = statement.split("=")
        env[target.strip()] = sympy.sympify(expr.replace("^", "**"), locals=env)
    output = env[data["output"]]
    for name, formula in data["closed_form"].items():
        ours = sympy.sympify(formula.replace("^", "**"), locals=local)
        exact = sympy.diff(output, symbols[name])
        assert float((ours - exact).subs(values)) == pytest.approx(0, abs=1e-12), (name, formula)


@SETTINGS
@given(programs())
def test_derived_program_and_closed_forms_equal_the_reverse_sweep(g):
    problem = load(g.text, g.bindings, of=g.output)
    try:
        sweep = evaluate(problem)
    except GradError:
        return
    result = derive(problem, closed_form=True)
    values = {**problem.values}
    bindings = [b for b in g.bindings if b.split("=")[0] in problem.values]  # what the output reads
    for name, adjoint in result.adjoints.items():
        derived = evaluate(load(result.program, bindings, of=adjoint)).value
        assert derived == pytest.approx(sweep.gradient[name], rel=1e-9, abs=1e-9), (name, result.program)
        closed = result.closed_form[name]
        if closed is not None:
            assert value_of(closed, values) == pytest.approx(sweep.gradient[name], rel=1e-9, abs=1e-9), closed


def test_random_programs_cover_the_whole_op_table():
    used = set()
    for seed in range(400):
        used.update(generate(random.Random(seed)).ops_used)
    assert used == set(SCALAR_OPS)


@pytest.mark.parametrize("text, values, expected", [
    ("y = relu(x)", {"x": 0}, 0.0),
    ("y = abs(x)", {"x": 0}, 0.0),
    ("y = max(x, z)", {"x": 2, "z": 2}, 0.5),
    ("y = min(x, z, 3)", {"x": 3, "z": 3}, 1 / 3),
    ("y = relu(x)", {"x": -1}, 0.0),
    ("y = abs(x)", {"x": -2}, -1.0),
])
def test_kinks_keep_their_conventions(text, values, expected):
    bindings = [f"{k}={v}" for k, v in values.items()]
    program = run("derive", text).out
    assert run_json("eval", "-f", "-", "--of", "d_x", *bindings, "--json", input=program)["value"] == expected
    assert run_json("eval", text, *bindings, "--json")["gradient"]["x"] == expected


@pytest.mark.parametrize("op", [op for op in SCALAR_OPS.values()], ids=lambda op: op.name)
def test_every_formula_is_an_expression_equal_to_its_partial(op):
    rng = random.Random(op.name)
    arity = op.arity or 3
    labels = ["p", "q", "s"][:arity]
    points = []
    while len(points) < 6:
        x = [rng.choice([rng.uniform(-2, 2), 1.0, 0.0]) for _ in range(arity)]
        if op.domain is None or (op.arity is not None and op.domain(*x)):
            points.append(x)
    for x in points:
        try:
            out = op.forward(*x)
        except (ArithmeticError, ValueError):
            continue
        for j in range(arity):
            formula = op.formula_text(j, labels, "r")
            expected = op.partial(j, x, out)
            if not math.isfinite(expected):
                continue
            assert value_of(formula, dict(zip(labels, x), r=out)) == pytest.approx(expected, abs=1e-12), formula


@pytest.mark.parametrize("view", [["explain", "--paths"], ["explain", "--steps"], ["graph", "--format", "json"]])
def test_formulas_are_simplified_in_every_view(view):
    data = run_json(*view, "y = x^2", "x=3", *([] if "graph" in view else ["--json"]))
    if "inputs" in data:
        formulas = data["inputs"]["x"]["paths"][0]["formulas"]
    elif "steps" in data:
        formulas = [o["formula"] for s in data["steps"] for o in s["operands"]]
    else:
        formulas = [e["formula"] for e in data["edges"] if e["from"] == "n0"]
    assert formulas == ["2*x"]


def test_adjoint_names_never_clash_with_the_programs():
    text = "d_x = 2*x; v1 = d_x*x; y = v1 + sin(v1*x)"
    result = run("derive", text)
    assert "d_x_2 = " in result.out
    for x in (0.5, -1.25):
        piped = run_json("eval", "-f", "-", "--of", "d_x_2", f"x={x}", "--json", input=result.out)["value"]
        assert piped == pytest.approx(run_json("eval", text, f"x={x}", "--json")["gradient"]["x"], rel=1e-12)


def test_shared_subexpressions_stay_named_and_the_size_stays_linear():
    sizes = {}
    for n in (400, 4000):
        problem = load(chain(n), require_values=False)
        program = derive(problem).program
        sizes[n] = (program.count("\n"), len(program.split()))
    assert sizes[4000][0] / sizes[400][0] < 10.2 and sizes[4000][1] / sizes[400][1] < 10.2  # linear
    closed = run("derive", chain(400), "--closed-form").out
    assert "dt99/dx: more than 120 nodes written out; the program below computes it as d_x" in closed
    assert "d_x = " in closed


def test_deep_programs_do_not_recurse():
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(400)
    try:
        text = chain(8000)
        out = run("derive", text, "--closed-form").out
        assert out.startswith("dt1999/dx: more than")
        program = run("derive", text, "x=0.5").out
    finally:
        sys.setrecursionlimit(old)
    derived = run_json("eval", "-f", "-", "--of", "d_x", "--json", input=program)["value"]
    assert derived == pytest.approx(run_json("eval", text, "x=0.5", "--json")["gradient"]["x"], rel=1e-12)


def test_latex_closed_forms_and_program():
    tex = run("derive", NG, "--closed-form", "--latex").out
    assert r"\frac{\partial J}{\partial b} &= 3 \cdot c" in tex
    assert tex.startswith(r"\begin{align*}") and tex.rstrip().endswith(r"\end{align*}")
    program = run("derive", BAYDIN, "--latex").out
    assert r"\frac{\partial y}{\partial x_{1}} &= x_{2} + \frac{1}{x_{1}}" in program


def test_explain_paths_latex_writes_bauers_sum():
    tex = run("explain", "--paths", "--latex", BAYDIN, "x1=2", "x2=5").out
    assert (r"\frac{\partial y}{\partial x_{1}} &= \frac{1}{x_{1}} \cdot 1 \cdot 1 + x_{2} \cdot 1 \cdot 1 = 5.5"
            in tex)
    assert r"\cos\left(x_{2}\right) \cdot \left(-1\right) = 1.71634" in tex


@pytest.mark.parametrize("args", [["derive", NG, "--latex", "--json"],
                                  ["explain", "--steps", "--latex", NG, "a=1", "b=1", "c=1"],
                                  ["explain", "--paths", "--latex", "--json", NG, "a=1", "b=1", "c=1"],
                                  ["derive", NG, "--of", "q"],
                                  ["derive", "u = b+"]])
def test_bad_requests_are_one_line_errors(args):
    assert_error(args, 2)
