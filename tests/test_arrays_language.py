"""Arrays in the language: literals, @, indexing, axes, @FILE bindings, and shapes checked when a program is read."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, assert_error, central_difference, program_error, run
from gradcli.autodiff.gradient import evaluate
from gradcli.autodiff.loading import load, parse_bindings
from gradcli.core.lower import build_tape
from pretty import pretty
from gradcli.core.tape import CONST, OPERATION
from gradcli.lang.syntax import parse_program


def ops(text: str) -> list[tuple]:
    """(op name, params, operand labels) of every operation of a program's tape."""
    tape = build_tape(parse_program(text))
    return [(n.op.name, n.params, [tape.nodes[a].label for a in n.args]) for n in tape.nodes if n.kind == OPERATION]


@pytest.mark.parametrize("text, expected", [
    ("y = W @ x", [("matmul", (), ["W", "x"])]),
    ("y = a @ b @ c", [("matmul", (), ["a", "b"]), ("matmul", (), ["v1", "c"])]),  # left-associative
    ("y = a @ b * c", [("matmul", (), ["a", "b"]), ("mul", (), ["v1", "c"])]),  # binds like *
    ("y = a + b @ c", [("matmul", (), ["b", "c"]), ("add", (), ["a", "v1"])]),
    ("y = W[1, 0]", [("index", (1, 0), ["W"])]),
    ("y = W[0][1]", [("index", (0,), ["W"]), ("index", (1,), ["v1"])]),
    ("y = sin(x)[-1]", [("sin", (), ["x"]), ("index", (-1,), ["v1"])]),
    ("y = sum(S, 1)", [("sum", (1, False), ["S"])]),
    ("y = sum(S, axis=1)", [("sum", (1, False), ["S"])]),
    ("y = mean(S, axis=-1)", [("mean", (-1, False), ["S"])]),
    ("y = softmax(S, 0)", [("softmax", (0,), ["S"])]),
    ("y = logsumexp(x)", [("logsumexp", (None, False), ["x"])]),
    ("y = max(x)", [("amax", (None, False), ["x"])]),
    ("y = min(S, axis=0)", [("amin", (0, False), ["S"])]),
    ("y = max(S, 1)", [("max", (), ["S", "1"])]),  # two arguments: elementwise
    ("y = dot(a, b) + norm(outer(a, b)) + sum(transpose(W))",
     [("dot", (), ["a", "b"]), ("outer", (), ["a", "b"]), ("norm", (None, None, False), ["v2"]), ("add", (), ["v1", "v3"]),
      ("transpose", (None,), ["W"]), ("sum", (None, False), ["v5"]), ("add", (), ["v4", "v6"])]),
    ("v = [x1*x2, sin(x1)]", [("mul", (), ["x1", "x2"]), ("sin", (), ["x1"]), ("stack", (), ["v1", "v2"])]),
    ("m = [[a, 1], [2, b]]", [("stack", (), ["a", "1"]), ("stack", (), ["2", "b"]), ("stack", (), ["v1", "v2"])]),
    ("y = x; z = y[0]", [("copy", (), ["x"]), ("index", (0,), ["y"])]),
    ("y = x[1:, None, ::-2]", [("index", (slice(1, None, None), None, slice(None, None, -2)), ["x"])]),
    ("y = x[2 - 1, 3*2 - 7]", [("index", (1, -1), ["x"])]),  # fixed arithmetic is folded
    ("y = S[a, k]", [("index", ("<operand>", "<operand>"), ["S", "a", "k"])]),  # arrays of integers
    ("y = sum(S, axis=(0, 1))", [("sum", ((0, 1), False), ["S"])]),
    ("y = a < b", [("less", (), ["a", "b"])]),
    ("y = a + 1 >= b", [("add", (), ["a", "1"]), ("greater_equal", (), ["v1", "b"])]),
])
def test_lowering(text, expected):
    assert ops(text) == expected


@pytest.mark.parametrize("literal, value", [
    ("[0.2, 0.4]", [0.2, 0.4]),
    ("[[0.1, 0.5], [-0.3, 0.8]]", [[0.1, 0.5], [-0.3, 0.8]]),
    ("[[[1], [2]], [[3], [4]]]", [[[1.0], [2.0]], [[3.0], [4.0]]]),
    ("[1e3, -.5, 2]", [1000.0, -0.5, 2.0]),
])
def test_a_literal_of_numbers_is_one_constant(literal, value):
    tape = build_tape(parse_program(f"y = x * {literal}"))
    consts = [n for n in tape.nodes if n.kind == CONST]
    assert len(consts) == 1 and consts[0].text == literal
    assert consts[0].value.dtype == np.float64 and consts[0].value.tolist() == value


def test_a_long_literal_is_labelled_short_and_printed_whole():
    literal = "[" + ", ".join(str(k + 0.5) for k in range(30)) + "]"
    tape = build_tape(parse_program(f"y = sum(x * {literal})"))
    const = next(n for n in tape.nodes if n.kind == CONST)
    assert len(const.label) <= 40 and const.label.endswith(", ...]")
    again = build_tape(parse_program(pretty(tape)))
    assert next(n for n in again.nodes if n.kind == CONST).value.tolist() == [k + 0.5 for k in range(30)]


@pytest.mark.parametrize("text", [
    "y = W @ x + b", "v = [x1*x2, sin(x1)]\ny = dot(v, v)", "y = W[1, 0] + (W @ x)[1] + W[0][1]",
    "y = sum(S, 1) + max(S, axis=0) + max(S, 1) + min(x)", "W = [[0.1, 0.5], [-0.3, 0.8]]\ny = W @ x + [1, -2]",
    "y = softmax(x, -1)[0] - logsumexp(x) + -[1, 2][0]",
])
def test_pretty_round_trip(text):
    tape = build_tape(parse_program(text))
    again = build_tape(parse_program(pretty(tape)))
    signature = [(n.kind, n.op and n.op.name, n.args, n.params, n.label) for n in tape.nodes]
    assert [(n.kind, n.op and n.op.name, n.args, n.params, n.label) for n in again.nodes] == signature
    assert [str(n.value) for n in again.nodes] == [str(n.value) for n in tape.nodes]


@pytest.mark.parametrize("text, column, words", [
    ("y = [[1, 2], [3]]", 14, "ragged array literal: element 1 has 1 element but element 0 has 2"),
    ("y = [1, [2, 3]]", 9, "element 1 has 2 elements but element 0 has a number"),
    ("y = x[1.5]", 7, "an index is a whole number"),
    ("y = x[0] + x[1.5]", 14, "an index is a whole number"),
    ("y = sum(S, axis=n)", 17, "the axis of sum(...) is a whole number"),
    ("y = sum(S, 0.5)", 12, "the axis of sum(...) is a whole number"),
    ("y = sin(x, axis=1)", 12, "sin takes no axis"),
    ("y = sum(S, scale=1)", 12, "sum has no argument 'scale'"),
    ("y = max(a, b, axis=1)", 15, "max(..., axis=) reduces one array"),
    ("y = sum(S, 1, True, 2)", 5, "sum takes sum(x, axis=None, keepdims=False), got 4"),
    ("y = dot(a)", 5, "dot takes two arguments"),
    ("y = [a=1]", 6, "cannot be an element of an array literal"),
])
def test_errors_in_the_text_point_at_their_place(text, column, words):
    error = program_error(text, build=True)
    assert (error.line, error.column) == (1, column)
    assert words in error.message


@pytest.mark.parametrize("args, column, words", [
    (["y = sum(W @ x)", "W=[[1, 2, 3], [4, 5, 6]]", "x=[1, 2]"], 11,
     "W @ x: (2, 3) @ (2,): the inner sizes differ (3 and 2)"),
    (["y = sum(x + z)", "x=[1, 2]", "z=[1, 2, 3]"], 11, "x + z: the shapes (2,) and (3,) do not broadcast"),
    (["y = x[2]", "x=[1, 2]"], 6, "x[2]: index 2 is out of range for axis 0 of shape (2,)"),
    (["y = W[0, 0, 0]", "W=[[1, 2]]"], 6, "3 indices for shape (1, 2)"),
    (["y = sum(x, axis=1)", "x=[1, 2]"], 5, "axis 1 does not exist for shape (2,)"),
    (["y = dot(a, b)", "a=[1, 2]", "b=[1, 2, 3]"], 5, "dot of vectors of different lengths"),
    (["v = [a, x]; y = sum(v)", "a=1", "x=[1, 2]"], 5, "element 0 is (), element 1 is (2,)"),
    (["y = max(x)", "x=3"], 5, "max takes two or more numbers, or one array"),
])
def test_shape_errors_stop_when_the_program_is_read(args, column, words):
    result = assert_error(["eval", *args], 2)
    first, source, caret = result.err.splitlines()[:3]
    assert first.startswith(f"gradcli: error: 1:{column}: ") and words in first
    assert caret.index("^") == source.index(source.strip()) + column - 1


def test_shapes_are_stored_per_node():
    problem = load("h = W @ x + b\ny = sum(softmax(h)) + norm(W[0]) + x[1]",
                   ["W=[[1, 2, 3], [4, 5, 6]]", "x=[0.1, 0.2, 0.3]", "b=[1, 2]"])
    W, x, b = np.array([[1.0, 2, 3], [4, 5, 6]]), np.array([0.1, 0.2, 0.3]), np.array([1.0, 2])
    expected = {"W": W.shape, "x": x.shape, "b": b.shape, "h": (W @ x + b).shape, "y": ()}
    tape = problem.tape
    assert problem.arrays and len(problem.shapes) == len(tape.nodes)
    assert {name: problem.shapes[tape.names[name]] for name in expected} == expected
    assert [problem.shapes[n.index] for n in tape.nodes if n.kind == OPERATION and n.op.name == "index"] == [(3,), ()]


def test_a_scalar_program_has_no_arrays():
    problem = load("y = x^2 + max(x, 1)", ["x=3"])
    assert not problem.arrays and problem.shapes == []


def test_literal_elements_are_differentiable():
    x1, x2 = 0.7, 1.3
    problem = load("v = [x1*x2, sin(x1)]\ny = dot(v, v)", [f"x1={x1}", f"x2={x2}"])
    result = evaluate(problem)

    def f(a, b):
        return (a * b) ** 2 + math.sin(a) ** 2

    assert result.value == pytest.approx(f(x1, x2), rel=1e-15)
    for i, name in enumerate(["x1", "x2"]):
        assert result.gradient[name] == pytest.approx(central_difference(f, [x1, x2], i), rel=1e-7)


@pytest.mark.parametrize("binding, value", [
    ("x=[0.2, 0.4]", [0.2, 0.4]),
    ("W=[[0.1, 0.5], [-0.3, 0.8]]", [[0.1, 0.5], [-0.3, 0.8]]),
    ("x=2*[1, pi]", [2.0, 2 * math.pi]),
    ("x=sum([1, 2, 3])", 6.0),
])
def test_array_bindings(binding, value):
    (got,) = parse_bindings([binding]).values()
    assert (got.tolist() if isinstance(got, np.ndarray) else got) == value


def test_a_binding_must_have_its_default_shape():
    assert_error(["eval", "W = [[1, 2], [3, 4]]\ny = sum(W)", "W=[1, 2]"], 2,
                 "W has shape (2,), but the program gives it a value of shape (2, 2)")


@pytest.mark.parametrize("name, content, value", [
    ("v.csv", "1, 2.5, -3\n", [1.0, 2.5, -3.0]),  # one row: a vector
    ("v.csv", "1\n2\n\n3\n", [1.0, 2.0, 3.0]),  # one column: a vector
    ("m.csv", "1,2\n3,4\n5,6\n", [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]),
    ("m.json", "[[1, 2.5], [3, -4]]", [[1.0, 2.5], [3.0, -4.0]]),
    ("s.json", "2.5", 2.5),
    ("v.npy", np.array([0.5, -1.5]), [0.5, -1.5]),
    ("m.npy", np.arange(6).reshape(2, 3), [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]),
])
def test_file_bindings(tmp_path, name, content, value):
    path = tmp_path / name
    if isinstance(content, np.ndarray):
        np.save(path, content)
    else:
        path.write_text(content)
    (got,) = parse_bindings([f"x=@{path}"]).values()
    assert (got.tolist() if isinstance(got, np.ndarray) else got) == value


@pytest.mark.parametrize("name, content, words", [
    ("bad.csv", "1, 2\n3,  x4\n", "bad.csv:2:5: 'x4' is not a number"),
    ("gap.csv", "1,,2\n", "gap.csv:1:3: an empty cell is not a number"),
    ("nan.csv", "1\nnan\n", "nan.csv:2:1: 'nan' is not a finite number"),
    ("ragged.csv", "1,2\n3\n", "ragged.csv:2:1: this row has 1 numbers, line 1 has 2"),
    ("bad.json", "[1, 2", "bad.json:1:6: not JSON"),
    ("text.json", '[1, "a"]', 'text.json: "a" at [1] is not a finite number'),
    ("ragged.json", "[[1, 2], [3]]", "ragged.json: ragged lists"),
    ("v.txt", "1", "a value file is .npy, .csv, .json, or FILE.npz:NAME"),
    ("missing.csv", None, "missing.csv: cannot read it"),
])
def test_bad_files_are_binding_errors(tmp_path, name, content, words):
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    result = assert_error(["eval", "y = sum(x)", f"x=@{path}"], 2, words)
    assert result.err.startswith("gradcli: error: binding"), result.err


def test_a_file_binding_evaluates(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(json.dumps([0.3, -1.2, 2.0]))
    x = np.array([0.3, -1.2, 2.0])
    result = evaluate(load("y = logsumexp(x)", [f"x=@{path}"]))
    assert result.value == pytest.approx(math.log(np.exp(x).sum()), rel=1e-15)
    assert result.gradient["x"] == pytest.approx(np.exp(x) / np.exp(x).sum(), rel=1e-12)


def test_a_scalar_program_does_not_import_numpy():
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "gradcli", "eval", "y = x^2", "x=3", "--json"],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(done.stdout)["gradient"] == {"x": 6.0}
    imported = {line.split("|")[-1].strip().split(".")[0] for line in done.stderr.splitlines() if "|" in line}
    assert "gradcli" in imported and "numpy" not in imported
