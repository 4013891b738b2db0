"""gradcli hessian: forward over reverse against SymPy, central differences of the gradient, and kinks."""

import math

import pytest
import sympy
from hypothesis import given

from conftest import SAMPLES, assert_error, run, run_json
from strategies import SETTINGS, programs
from gradcli.autodiff.scalar_plan import scalar_values, scalar_adjoints
from gradcli.support.errors import GradError
from gradcli.analyses.hessian import hessian
from gradcli.autodiff.gradient import evaluate
from gradcli.autodiff.loading import load

BAYDIN = "y = log(x1) + x1*x2 - sin(x2)"


def test_baydin_hessian_is_sympys():
    data = run_json("hessian", BAYDIN, "x1=2", "x2=5", "--closed-form", "--json")
    x1, x2 = sympy.symbols("x1 x2")
    y = sympy.log(x1) + x1 * x2 - sympy.sin(x2)
    exact = [[sympy.diff(y, a, b) for b in (x1, x2)] for a in (x1, x2)]
    assert exact == [[-1 / x1**2, 1], [1, sympy.sin(x2)]]
    point = {x1: 2, x2: 5}
    assert data["hessian"] == [[float(e.subs(point)) for e in row] for row in exact]
    assert data["value"] == pytest.approx(float(y.subs(point)), rel=1e-15)
    assert data["gradient"] == {"x1": 5.5, "x2": pytest.approx(2 - math.cos(5), rel=1e-15)}
    assert data["closed_form"] == [["-1/x1^2", "1"], ["1", "sin(x2)"]]
    for row, exact_row in zip(data["closed_form"], exact):
        for text, e in zip(row, exact_row):
            assert sympy.simplify(sympy.sympify(text.replace("^", "**")) - e) == 0


def test_closed_forms_in_the_table_view():
    out = run("hessian", BAYDIN, "x1=2", "x2=5", "--closed-form").out
    for line in ["d²y/dx1² = -1/x1^2", "d²y/dx1dx2 = 1", "d²y/dx2² = sin(x2)", "symmetric"]:
        assert line in out


REFERENCE = [
    ("u = b*c; v = a + u; J = 3*v", {"a": 5, "b": 3, "c": 2}),
    (open(SAMPLES / "sigmoid_neuron.grad").read(), None),
    (open(SAMPLES / "quadratic.grad").read(), {"x": 0.5, "y": -1.5}),
    ("f = exp(a*b)*c + sqrt(a)/b - tanh(c)^2", {"a": 1.3, "b": 0.7, "c": -0.4}),
]


@pytest.mark.parametrize("text, values", REFERENCE, ids=["ng_chain", "sigmoid_neuron", "quadratic", "mixed"])
def test_reference_programs_match_sympy(text, values):
    bindings = [f"{k}={v}" for k, v in (values or {}).items()]
    problem = load(text, bindings)
    result = hessian(problem)
    env = {n: sympy.Symbol(n) for n in problem.tape.input_names()}
    env.update(exp=sympy.exp, sqrt=sympy.sqrt, tanh=sympy.tanh)
    code = "\n".join(line.split("#")[0] for line in text.splitlines())
    for statement in code.replace(";", "\n").splitlines():
        if statement.strip():
            target, expr = statement.split("=")
            if target.strip() not in problem.tape.input_names():
                env[target.strip()] = sympy.sympify(expr.replace("^", "**"), locals=env)
    output = env[problem.output]
    point = {env[n]: v for n, v in problem.values.items()}
    for i, a in enumerate(problem.wrt):
        for j, b in enumerate(problem.wrt):
            exact = float(sympy.diff(output, env[a], env[b]).subs(point))
            assert result.matrix[i][j] == pytest.approx(exact, rel=1e-12, abs=1e-12), (a, b)
    assert result.asymmetry < 1e-12


def central_hessian(problem, h=1e-5):
    """Central differences of the reverse sweep's gradient, one input at a time."""
    tape, out = problem.tape, problem.output_index
    columns = []
    for name in problem.wrt:
        step = h * max(1.0, abs(problem.values[name]))
        grads = []
        for x in (problem.values[name] + step, problem.values[name] - step):
            adj = scalar_adjoints(tape, scalar_values(tape, problem.input_values({name: x})), out)
            grads.append([adj[tape.names[n]] for n in problem.wrt])
        columns.append([(up - down) / (2 * step) for up, down in zip(*grads)])
    return [list(row) for row in zip(*columns)]


@SETTINGS
@given(programs())
def test_hessian_matches_central_differences_of_the_gradient(g):
    problem = load(g.text, g.bindings, of=g.output)
    try:
        evaluate(problem)
        result = hessian(problem)
        numeric = central_hessian(problem)
    except GradError:
        return
    for i, row in enumerate(result.matrix):
        for j, h in enumerate(row):
            scale = max(1.0, abs(h), abs(numeric[i][j]))
            assert abs(h - numeric[i][j]) <= 1e-4 * scale, (problem.wrt[i], problem.wrt[j], h, numeric[i][j])
    assert result.asymmetry < 1e-9


@pytest.mark.parametrize("text, x, expected", [
    ("y = abs(x)*x", 0, 0.0),  # 2*sign(0) by abs'(0) = 0
    ("y = abs(x)*x", 1.5, 2.0),
    ("y = abs(x)*x", -1.5, -2.0),
    ("y = relu(x)*x", 0, 0.0),  # relu'(0) = 0
    ("y = relu(x)*x", 2, 2.0),
    ("y = max(x, 2)^2", 2, 0.5),  # the tie shares the gradient: d/dx (2*m*1/2), with dm/dx = 1/2
])
def test_kinks_keep_their_conventions(text, x, expected):
    data = run_json("hessian", text, f"x={x}", "--json")
    assert data["hessian"] == [[expected]]


def test_json_shape_and_errors():
    data = run_json("hessian", "f = x*y^2", "x=3", "y=2", "--json")
    assert data == {"output": "f", "inputs": ["x", "y"], "value": 12.0, "gradient": {"x": 4.0, "y": 12.0},
                    "hessian": [[0.0, 4.0], [4.0, 6.0]]}
    assert_error(["hessian", "f = x*y^2", "x=3"], 2)
    assert_error(["hessian", "f = log(x)", "x=-1"], 1)


@pytest.mark.parametrize("x", [0.0, 1e-3, -0.2, 0.7])
def test_sinc_second_derivative_through_zero(x):
    """sinc''(x) = -pi^2 sinc(x) - 2 sinc'(x)/x, -pi^2/3 at 0 (its series): the partial's own formula
    must have that slope where it is special-cased."""
    if x == 0:
        expected = -math.pi ** 2 / 3
    else:
        t = math.pi * x
        s = math.sin(t) / t
        slope = (math.cos(t) - s) / x
        expected = -math.pi ** 2 * s - 2 * slope / x
    data = run_json("hessian", "y = sinc(x)", f"x={x}", "--json")
    assert data["hessian"][0][0] == pytest.approx(expected, rel=1e-6, abs=1e-9)
