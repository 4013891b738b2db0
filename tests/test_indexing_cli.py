"""Indexing and integer arrays from the command line: slices, None, arrays of indices, arange, take,
take_along_axis and scatter_add, with numbers computed by plain numpy in each test; the cross-entropy
with integer labels against its closed form (softmax - onehot)/N; labels that carry no gradient; an
index out of range or not whole, at its place."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import assert_error, run, run_json

RNG = np.random.default_rng(20)


def literal(a) -> str:
    return json.dumps(np.asarray(a).tolist())


def gradient_of(program: str, *bindings: str, code: int = 0) -> dict:
    return run_json("eval", program, *bindings, "--json", code=code)


X5 = RNG.uniform(-2, 2, 5)
W23 = RNG.uniform(-2, 2, (2, 3))
X34 = RNG.uniform(-2, 2, (3, 4))


S_ = np.s_


@pytest.mark.parametrize("subscript, value, key", [
    ("x[1:]", X5, S_[1:]), ("x[::-2]", X5, S_[::-2]), ("x[-1:0:-1]", X5, S_[-1:0:-1]),
    ("x[None, :]", X5, S_[None, :]), ("x[[0, 0, 3]]", X5, S_[[0, 0, 3]]),
    ("W[:, 0]", W23, S_[:, 0]), ("W[1]", W23, S_[1]), ("W[:, None, 1:]", W23, S_[:, None, 1:]),
    ("W[[1, 1], [2, 2]]", W23, S_[[1, 1], [2, 2]]), ("X[0:2, ::2]", X34, S_[0:2, ::2]),
    ("X[-1, ::-1]", X34, S_[-1, ::-1]),
])
def test_subscripts_gather_and_scatter_back(subscript, value, key):
    """f = sum(C * x[key]): its value and, by hand, df/dx = C added where x[key] read (repeats add up)."""
    name = subscript[0]
    part = value[key]
    c = RNG.uniform(-1, 1, part.shape)
    data = gradient_of(f"f = sum(C * {subscript})", f"{name}={literal(value)}", f"C={literal(c)}")
    expected = np.zeros(value.shape)
    np.add.at(expected, key, c)
    assert data["value"] == pytest.approx(float(np.sum(c * part)), rel=1e-12)
    np.testing.assert_allclose(data["gradient"][name], expected, rtol=1e-12)


def test_repeated_indices_add_up():
    data = gradient_of("f = sum(x[y]^2)", "x=[1, 2, 3]", "y=[0, 0, 2, 0]")
    assert data["gradient"] == {"x": [6.0, 0.0, 6.0]}  # 3 reads of x[0] = 1, one of x[2] = 3: 2*x each


def softmax_rows(s):
    z = np.exp(s - s.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


CROSS_ENTROPY = "L = -mean(log(softmax(S, axis=1)[arange(N), y]))"


@pytest.mark.parametrize("labels_from", ["npy", "json file", "literal"])
def test_cross_entropy_with_integer_labels(tmp_path, labels_from):
    """dL/dS = (softmax(S) - onehot(y)) / N; the labels carry no gradient, whichever way they come."""
    n, c = 5, 4
    s = RNG.normal(size=(n, c))
    y = np.array([3, 0, 1, 3, 2])
    if labels_from == "npy":
        np.save(tmp_path / "y.npy", y)
        labels = f"y=@{tmp_path / 'y.npy'}"
    elif labels_from == "json file":
        (tmp_path / "y.json").write_text(literal(y))
        labels = f"y=@{tmp_path / 'y.json'}"
    else:
        labels = f"y={literal(y)}"
    np.save(tmp_path / "S.npy", s)
    bindings = (f"S=@{tmp_path / 'S.npy'}", labels, f"N={n}")
    data = gradient_of(CROSS_ENTROPY, *bindings)
    p = softmax_rows(s)
    onehot = np.eye(c)[y]
    assert data["value"] == pytest.approx(-np.mean(np.log(p[np.arange(n), y])), rel=1e-12)
    assert set(data["gradient"]) == {"S"}  # N and y hold integers: left out
    np.testing.assert_allclose(data["gradient"]["S"], (p - onehot) / n, rtol=1e-10, atol=1e-15)
    forward = run_json("eval", CROSS_ENTROPY, *bindings, "--mode", "forward", "--json")
    np.testing.assert_allclose(forward["gradient"]["S"], (p - onehot) / n, rtol=1e-10, atol=1e-15)
    table = run("eval", CROSS_ENTROPY, *bindings, "--all")
    assert table.code == 0 and table.out.count("no gradient (integers)") == 2
    check = run("check", CROSS_ENTROPY, *bindings)
    assert check.code == 0 and "S[4,3]" in check.out and "y[" not in check.out and "N " not in check.out


def test_views_of_the_cross_entropy():
    s = [[0.1, 0.5, -0.2], [0.3, -0.1, 0.8]]
    bindings = (f"S={s}", "y=[2, 0]", "N=2")
    p = softmax_rows(np.array(s))
    steps = run_json("explain", "--steps", CROSS_ENTROPY, *bindings, "--json")["steps"]
    (picked,) = [step for step in steps if step["op"] == "index"]
    assert picked["definition"] == "v1[v2, y]"
    (operand,) = picked["operands"]  # the labels are integers: only v1 gets a rule
    assert operand["formula"] == "scatter_add(dv3, v1)[v2, y]"
    expected = np.zeros((2, 3))
    expected[[0, 1], [2, 0]] = picked["upstream"]
    np.testing.assert_allclose(operand["contribution"], expected, rtol=1e-15)
    element = run_json("explain", "--paths", "--element", "S[0,2]", CROSS_ENTROPY, *bindings, "--json")
    item = element["inputs"]["S[0,2]"]
    assert item["gradient"] == pytest.approx((p[0, 2] - 1) / 2, rel=1e-12)
    assert item["listed_sum"] == pytest.approx(item["gradient"], rel=1e-12)
    assert item["path_count"] == 1  # S[0,2] -> softmax[0,2] -> the picked v3[0]: no other element is read
    paths = run("explain", "--paths", CROSS_ENTROPY, *bindings)
    assert paths.code == 0 and "✓" in paths.out


def test_jacobian_of_a_gather_is_a_selection():
    """d x[y] / dx: row k is one-hot at y[k]; y has no columns (it holds integers)."""
    data = run_json("jacobian", "f = x[y]", "x=[1, 2, 3]", "y=[0, 0, 2]", "--json")
    assert data["inputs"] == ["x[0]", "x[1]", "x[2]"]
    assert data["jacobian"] == np.eye(3)[[0, 0, 2]].tolist()
    forward = run_json("jacobian", "f = x[y]", "x=[1, 2, 3]", "y=[0, 0, 2]", "--mode", "forward", "--json")
    assert forward["jacobian"] == data["jacobian"]


def test_a_fixed_array_subscript_is_written_as_a_list():
    data = run_json("eval", "f = sum(x[[0, 0, 1]])", "x=[1, 2, 3]", "--all", "--json")
    assert [row["definition"] for row in data["nodes"] if row["op"] == "index"] == ["x[[0, 0, 1]]"]
    assert data["gradient"]["x"] == [2.0, 1.0, 0.0]


@pytest.mark.parametrize("expr, bindings, expected", [
    ("arange(5)", [], np.arange(5)),
    ("arange(2, 9, 3)", [], np.arange(2, 9, 3)),
    ("arange(N, 0, -2)", ["N=7"], np.arange(7, 0, -2)),
    ("arange(2*N - 1) * 0.5", ["N=2"], np.arange(3) * 0.5),  # arithmetic on inputs: known when read
    ("arange(3, dtype='float')", [], np.arange(3.0)),
    ("take(X, [2, 0], axis=1)", [f"X={literal(W23)}"], np.take(W23, [2, 0], axis=1)),
    ("take(X, y)", [f"X={literal(W23)}", "y=[[5, 0], [-1, 3]]"], np.take(W23, [[5, 0], [-1, 3]])),
    ("take_along_axis(X, i, 1)", [f"X={literal(X34)}", "i=[[3], [0], [0]]"],
     np.take_along_axis(X34, np.array([[3], [0], [0]]), 1)),
    ("scatter_add(g, x)[1:]", ["g=[1, 2]", "x=[0, 0, 0]"], np.array([0.0, 1, 2])),
    ("scatter_add(g, x)[y]", ["g=[1, 2, 4]", "x=[0, 0]", "y=[1, 1, 0]"], np.array([4.0, 3])),
])
def test_values_of_the_integer_ops(expr, bindings, expected):
    """v = expr, and f = sum(w * v), whose gradient df/dw is v again."""
    data = gradient_of(f"v = {expr}; f = sum(w * v)", *bindings, f"w={literal(np.ones(expected.shape))}")
    np.testing.assert_allclose(data["gradient"]["w"], expected, rtol=1e-15)
    assert data["value"] == pytest.approx(float(np.sum(expected)), rel=1e-12)


@pytest.mark.parametrize("program, bindings, name, expected", [
    ("f = sum(C * take(X, [2, 0, 2], axis=1))", [f"X={literal(W23)}", "C=[[1, 2, 3], [4, 5, 6]]"], "X",
     [[2.0, 0.0, 4.0], [5.0, 0.0, 10.0]]),
    ("f = sum(C * take(X, y))", [f"X={literal(W23)}", "y=[5, -1, 0]", "C=[1, 2, 3]"], "X",
     [[3.0, 0.0, 0.0], [0.0, 0.0, 3.0]]),
    ("f = sum(C * take_along_axis(X, i, 1))", [f"X={literal(W23)}", "i=[[2, 2], [0, 1]]", "C=[[1, 2], [3, 4]]"],
     "X", [[0.0, 0.0, 3.0], [3.0, 4.0, 0.0]]),
    ("f = sum(C * scatter_add(g, x)[y])", ["g=[1, 2, 4]", "x=[0, 0]", "y=[1, 1, 0]", "C=[10, 20]"], "g",
     [20.0, 20.0, 10.0]),
])
def test_gradients_of_take_and_scatter(program, bindings, name, expected):
    """Worked by hand: each C element lands on the X element it read (C[k] summed over the repeats)."""
    data = gradient_of(program, *bindings)
    assert data["gradient"][name] == expected
    check = run("check", program, *bindings)
    assert check.code == 0, check.out


@pytest.mark.parametrize("args, code, words", [
    (["f = sum(x[y])", "x=[1, 2, 3]", "y=[0, 5]"], 2, "x[y]: an index 5 (element [1] of the indices) is out of range"),
    (["f = sum(x[y])", "x=[1, 2, 3]", "y=[0, 0.5]"], 2, "x[y]: an index must be a whole number, not 0.5"),
    (["f = sum(x[[0, 3]])", "x=[1, 2, 3]"], 2, "an index 3 (element [1] of the indices) is out of range"),
    (["f = sum(x[arange(5)])", "x=[1, 2, 3]"], 2, "x[v1]: an index 3 (element [3] of the indices) is out of range"),
    (["f = sum(x[arange(N) + 1])", "x=[1, 2, 3]", "N=3"], 1, "an index 3 (element [2] of the indices) is out"),
    (["f = sum(x[y - 1])", "x=[1, 2, 3]", "y=[0, 4]"], 1, "is out of range for an axis of length 3 (-3 to 2)"),
    (["f = sum(take(x, y))", "x=[1, 2, 3]", "y=[3]"], 2, "take(x, y): an index 3"),
    (["f = sum(arange(N))", "N=2.5"], 2, "arange(N): an argument of arange must be a whole number, not 2.5"),
    (["f = sum(arange(sum(x)))", "x=[1, 2]"], 2, "arange's arguments are numbers written in the program or inputs"),
    (["f = sum(x + arange())", "x=[1, 2]"], 2, "arange(): arange takes 1 to 3 numbers"),
    (["f = sum(x[y])", "x=[1, 2, 3]", "y=[0, 1]", "--wrt", "y"], 2, "--wrt y: y holds integers"),
    (["f = sum(x[x > 0])", "x=[1, 2, 3]"], 2, "not a mask of 0 and 1"),
])
def test_bad_indices_are_one_line_errors_at_the_subscript(args, code, words):
    assert_error(["eval", *args], code, words)


def test_an_integer_file_is_never_differentiated(tmp_path):
    np.save(tmp_path / "k.npy", np.array([1, 2]))
    data = gradient_of("f = sum(x * k)", "x=[0.5, 0.25]", f"k=@{tmp_path / 'k.npy'}")
    assert data["gradient"] == {"x": [1.0, 2.0]} and data["value"] == 1.0


def test_labels_reshaped_for_take_along_axis_are_still_integers():
    """cs231n's pick of each row's label probability: y[:, None] reads y as indices, so y has no gradient."""
    p = np.array([[0.1, 0.9], [0.7, 0.3]])
    data = gradient_of("k = y; f = sum(log(take_along_axis(P, k[:, None], 1)))", f"P={literal(p)}", "y=[1, 0]")
    assert set(data["gradient"]) == {"P"}
    np.testing.assert_allclose(data["gradient"]["P"], [[0.0, 1 / 0.9], [1 / 0.7, 0.0]], rtol=1e-15)


@pytest.mark.parametrize("text", ["x[1:]", "x[::-2]", "W[:, None, 0]", "x[[0, 0, 2]]", "W[[[0, 1], [1, 1]], 2]",
                                  "S[i, y]", "scatter_add(g, x)[1:, y]", "scatter_add(g, x)",
                                  "take(x, y, axis=1)", "take_along_axis(x, y, axis=-1)", "arange(N, dtype='float')"])
def test_definitions_read_back_as_written(text):
    """A node's definition (Op.render) is the program's own spelling: it lowers to the same op and params."""
    from gradcli.core.lower import lower_text

    tape = lower_text(f"f = {text}")
    node = tape.nodes[tape.names["f"]]
    assert tape.definition(node.index) == text
    again = lower_text(f"f = {tape.definition(node.index)}")
    assert again.nodes[again.names["f"]].params == node.params
