"""`gradcli descend` over array variables: elementwise updates, gradients against central differences,
the table's shapes and summaries, nested lists in JSON, data rows with an array variable."""

import json
import math

import numpy as np
import pytest

from gradcli.analyses.descent import Descent, DataSet, prepare_descent
from gradcli.autodiff.loading import load
from gradcli.render.descend_view import done_json, step_json, summary_rich
from gradcli.support.errors import UsageError

# L(w, W) = sum(tanh(w * x)) + sum(W * W * c)^2 / 4, with x and c fixed arrays
PROGRAM = "u = tanh(w*x); s = sum(W*W*c); L = sum(u) + s*s/4"
X = np.array([0.3, -1.2, 2.0])
C = np.array([[0.5, -0.2], [0.1, 0.4]])


def loss(w, W):
    s = np.sum(W * W * C)
    return float(np.sum(np.tanh(w * X)) + s * s / 4)


def problem(w, W, wrt=("w", "W")):
    p = load(PROGRAM, require_values=False, wrt=list(wrt))
    p.values = {"w": np.asarray(w, float), "W": np.asarray(W, float), "x": X, "c": C}
    return prepare_descent(p, None, wrt_given=True)


def central(f, a, h=1e-6):
    """Every element's central difference of f at the array a."""
    g = np.zeros_like(a)
    for k in np.ndindex(a.shape):
        up, down = a.copy(), a.copy()
        up[k] += h
        down[k] -= h
        g[k] = (f(up) - f(down)) / (2 * h)
    return g


def summary_text(result) -> str:
    """The summary table as a terminal 120 columns wide shows it."""
    from rich.console import Console

    console = Console(width=120, record=True)
    console.print(summary_rich(result))
    return console.export_text()


def summary_row(result, name: str) -> str:
    return next(line for line in summary_text(result).splitlines() if line.startswith(f"│ {name} "))


def test_steps_follow_the_update_rule_with_gradients_from_central_differences():
    w0, W0 = np.array([0.5, -0.1, 0.2]), np.array([[1.0, -0.5], [0.7, 0.2]])
    steps = list(Descent(problem(w0, W0), lr=0.1, steps=3))
    w, W = w0, W0
    for step in steps:
        assert step.loss == pytest.approx(loss(w, W), rel=1e-12)
        gw = central(lambda a: loss(a, W), w)
        gW = central(lambda a: loss(w, a), W)
        assert step.gradient["w"].shape == (3,) and step.gradient["W"].shape == (2, 2)
        np.testing.assert_allclose(step.gradient["w"], gw, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(step.gradient["W"], gW, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(step.values["w"], w, rtol=1e-12)
        assert step.norm == pytest.approx(math.sqrt(np.sum(gw * gw) + np.sum(gW * gW)), rel=1e-6)
        w, W = w - 0.1 * step.gradient["w"], W - 0.1 * step.gradient["W"]


def test_step_lines_carry_norms_and_the_done_line_nested_lists_and_the_table_shapes_and_summaries():
    w0, W0 = np.array([0.5, -0.1, 0.2]), np.array([[1.0, -0.5], [0.7, 0.2]])
    descent = Descent(problem(w0, W0, wrt=("w",)), lr=0.1, steps=2)
    first = json.loads(json.dumps(step_json(next(iter(descent)))))
    # a step line is short: an array variable by its gradient's norm, its values once at the end
    assert first["values"] == {} and first["gradient"] == {}
    gw = central(lambda a: loss(a, W0), w0)
    assert first["gradient_norms"]["w"] == pytest.approx(np.linalg.norm(gw), rel=1e-6)
    for _ in descent:
        pass
    done = json.loads(json.dumps(done_json(descent.result)))
    assert done["start"]["values"]["w"] == [0.5, -0.1, 0.2] and list(done["values"]) == ["w"]
    w2 = np.array(done["values"]["w"])
    assert done["gradient_norms"]["w"] == pytest.approx(np.linalg.norm(central(lambda a: loss(a, W0), w2)), rel=1e-6)

    text = summary_text(descent.result)
    row = summary_row(descent.result, "w")
    assert "(3,)" in row and "[0.5, -0.1, 0.2]" in row
    assert "held fixed:" in text and "W" in text.split("held fixed:")[1]


def test_a_large_array_is_summarised_by_its_norm():
    w0 = np.linspace(-1, 1, 3)
    W0 = np.full((2, 2), 0.5)
    descent = Descent(problem(w0, W0, wrt=("W",)), lr=0.01, steps=1)
    for _ in descent:
        pass
    row = summary_row(descent.result, "W")
    assert "(2, 2)" in row and "[[0.5, 0.5], [0.5, 0.5]]" in row  # 4 elements: shown whole

    p = load("L = sum(v*v)", require_values=False)
    p.values = {"v": np.arange(6.0)}
    descent = Descent(prepare_descent(p, None, wrt_given=False), lr=0.25, steps=1)
    for _ in descent:
        pass
    row = summary_row(descent.result, "v")
    # start |v| = sqrt(55); one step of lr 0.25 on sum(v^2) halves v
    assert f"norm {math.sqrt(55):.6g}" in row and f"norm {math.sqrt(55) / 2:.6g}" in row


def test_data_rows_with_an_array_variable():
    """L = (sum(w)*x - y)^2 over rows of y = 3x: the mean gradient is the same for every element of w."""
    rows = [[1.0, 3.0], [2.0, 6.0], [-1.0, -3.0]]
    data = DataSet.from_rows("rows", ["x", "y"], rows)
    p = load("L = (sum(w)*x - y)^2", require_values=False)
    p.values = {"w": np.array([0.0, 0.5])}
    descent = Descent(prepare_descent(p, data, wrt_given=False), lr=0.05, steps=200, data=data)
    first = next(iter(descent))
    expected = sum(2 * (0.5 * x - y) * x for x, y in rows) / 3
    np.testing.assert_allclose(first.gradient["w"], [expected, expected], rtol=1e-12)
    assert first.loss == pytest.approx(sum((0.5 * x - y) ** 2 for x, y in rows) / 3, rel=1e-12)
    for _ in descent:
        pass
    assert float(np.sum(descent.result.final.values["w"])) == pytest.approx(3, abs=1e-9)


def test_an_array_output_is_refused():
    p = load("L = w*w", require_values=False)
    p.values = {"w": np.array([1.0, 2.0])}
    with pytest.raises(UsageError, match="the output L is an array of shape"):
        list(Descent(prepare_descent(p, None, wrt_given=False), lr=0.1, steps=1))


# ---------------------------------------------------------------- through the command line (array language)

def _language_has_arrays() -> bool:
    from gradcli.support.errors import GradError

    try:
        load("q = [1, 2] @ v", require_values=False)
    except GradError:
        return False
    return True


needs_language = pytest.mark.skipif(not _language_has_arrays(), reason="array literals and @ not in the language yet")
SPIRALS = {n: f"samples/spirals_{n}.npy" for n in ("X", "Y", "W1", "b1", "W2", "b2")}


def stream(*args):
    from conftest import run_json_lines

    return run_json_lines("descend", *args, "--json")


@needs_language
def test_norm_wx_sample_gradient_is_the_worked_example():
    """f = |W x|^2 at W = [[0.1, 0.5], [-0.3, 0.8]], x = [0.2, 0.4]: q = [0.22, 0.26], f = 0.116."""
    from conftest import SAMPLES

    first = stream("-f", str(SAMPLES / "norm_wx.grad"), "--wrt", "W,x", "--steps", "1", "--lr", "0.1")
    W, x = np.array([[0.1, 0.5], [-0.3, 0.8]]), np.array([0.2, 0.4])
    f = lambda W, x: float(np.sum((W @ x) ** 2))
    assert first[0]["loss"] == pytest.approx(0.116, rel=1e-12)
    dW, dx = np.array([[0.088, 0.176], [0.104, 0.208]]), np.array([-0.112, 0.636])
    np.testing.assert_allclose(dW, central(lambda a: f(a, x), W), rtol=1e-7)
    assert first[0]["gradient_norms"] == {"W": pytest.approx(np.linalg.norm(dW), rel=1e-12),
                                          "x": pytest.approx(np.linalg.norm(dx), rel=1e-12)}
    # the arrays' values come once, on the done line: one update with each gradient
    np.testing.assert_allclose(first[-1]["values"]["W"], W - 0.1 * dW, rtol=1e-12)
    np.testing.assert_allclose(first[-1]["values"]["x"], x - 0.1 * dx, rtol=1e-12)


@needs_language
def test_spirals_train_above_95_percent(monkeypatch):
    """The two-layer sample on the spirals; the accuracy is computed here, from the final weights."""
    from conftest import ROOT, SAMPLES

    monkeypatch.chdir(ROOT)
    lines = stream("-f", str(SAMPLES / "two_layer.grad"), *(f"{n}=@{p}" for n, p in SPIRALS.items()),
                   "--wrt", "W1,b1,W2,b2", "--lr", "0.5", "--steps", "2000")
    d = {n: np.load(ROOT / p) for n, p in SPIRALS.items()}
    X, Y = d["X"], d["Y"]

    def scores(v):
        return np.tanh(X @ np.array(v["W1"]) + np.array(v["b1"])) @ np.array(v["W2"]) + np.array(v["b2"])

    def cross_entropy(S):
        m = S.max(axis=1)
        return float(np.mean(np.log(np.exp(S - m[:, None]).sum(axis=1)) + m - (S * Y).sum(axis=1)))

    assert lines[0]["loss"] == pytest.approx(cross_entropy(scores(d)), rel=1e-12)
    done = lines[-1]
    assert done["loss"] == pytest.approx(cross_entropy(scores(done["values"])), rel=1e-10)
    accuracy = np.mean(scores(done["values"]).argmax(axis=1) == Y.argmax(axis=1))
    assert accuracy > 0.95
    assert np.array(done["values"]["W1"]).shape == (2, 32) and set(done["values"]) == {"W1", "b1", "W2", "b2"}


@needs_language
def test_a_literal_of_data_columns_fills_a_vector(tmp_path):
    """x = [x1, x2] with x1, x2 data columns: rows of y = 2 x1 - 3 x2 + 1 give back w = [2, -3], b = 1."""
    rows = [(1.0, 0.0), (0.0, 1.0), (1.0, 1.0), (2.0, -1.0), (-1.0, 0.5)]
    path = tmp_path / "rows.csv"
    path.write_text("x1,x2,y\n" + "".join(f"{a},{b},{2 * a - 3 * b + 1}\n" for a, b in rows))
    lines = stream("x = [x1, x2]; L = (dot(w, x) + b - y)^2", "w=[0, 0]", "b=0", "--data", str(path),
                   "--lr", "0.1", "--steps", "2000")
    first = lines[0]
    expected = [sum(-2 * (2 * a - 3 * c + 1) * v for (a, c), v in zip(rows, col)) / len(rows)
                for col in ([a for a, _ in rows], [c for _, c in rows])]
    assert first["gradient_norms"]["w"] == pytest.approx(np.linalg.norm(expected), rel=1e-12)
    assert set(first["values"]) == {"b"} and set(first["gradient_norms"]) == {"b", "w"}
    done = lines[-1]
    np.testing.assert_allclose(done["values"]["w"], [2, -3], atol=1e-8)
    assert done["values"]["b"] == pytest.approx(1, abs=1e-8) and done["rows"] == len(rows)
