"""gradcli health: every figure against numpy computed here, on the spirals network and small programs
built to have a known number of dead ReLUs and saturated tanh units."""

from __future__ import annotations

import math

import numpy as np
import pytest

from conftest import ROOT, assert_error, run_json
from gradcli.analyses.health import health_report
from gradcli.autodiff.loading import load

SAMPLES = ROOT / "samples"
SPIRALS = {name: np.load(SAMPLES / f"spirals_{name}.npy") for name in ("X", "Y", "W1", "b1", "W2", "b2")}
SPIRAL_ARGS = ["-f", str(SAMPLES / "two_layer.grad"),
               *[f"{name}=@{SAMPLES / f'spirals_{name}.npy'}" for name in SPIRALS], "--examples", "X,Y"]


def spirals_by_hand():
    """The two-layer network's forward and backward pass, written out in numpy."""
    X, Y, W1, b1, W2, b2 = (SPIRALS[k] for k in ("X", "Y", "W1", "b1", "W2", "b2"))
    n = len(X)
    H = np.tanh(X @ W1 + b1)
    S = H @ W2 + b2
    top = S.max(axis=1, keepdims=True)
    lse = top[:, 0] + np.log(np.exp(S - top).sum(axis=1))
    loss = np.mean(lse - (S * Y).sum(axis=1))
    dS = (np.exp(S - lse[:, None]) - Y) / n
    dH = dS @ W2.T
    dZ = dH * (1 - H * H)
    grads = {"W1": X.T @ dZ, "b1": dZ.sum(axis=0), "W2": H.T @ dS, "b2": dS.sum(axis=0), "dH": dH}
    return H, loss, grads


def test_the_spirals_network_over_its_examples():
    H, loss, grads = spirals_by_hand()
    lr = 0.5
    report = run_json("health", *SPIRAL_ARGS, "--lr", str(lr), "--json")
    assert report["rows"] == 200 and report["rows_from"] == "examples X,Y"
    assert report["loss"] == pytest.approx(loss, rel=1e-12)
    (tanh,) = report["activations"]
    assert tanh["node"] == "H" and tanh["kind"] == "tanh" and (tanh["rows"], tanh["units"]) == (200, 32)
    saturated = np.abs(H) > 0.97
    assert tanh["saturated_share"] == pytest.approx(saturated.mean())
    assert tanh["always"] == int(saturated.all(axis=0).sum())
    assert tanh["verdict"] == ("warn" if saturated.mean() > 0.05 else "ok")
    for p in report["parameters"]:
        g, w = grads[p["name"]], SPIRALS[p["name"]]
        assert p["gradient_norm"] == pytest.approx(np.linalg.norm(g), rel=1e-9, abs=1e-15)
        assert p["norm"] == pytest.approx(np.linalg.norm(w))
        if np.linalg.norm(w) > 0:
            assert p["ratio"] == pytest.approx(lr * np.linalg.norm(g) / np.linalg.norm(w), rel=1e-9)
        else:  # the biases start at 0: no ratio
            assert p["ratio"] is None and p["verdict"] == "n/a"
    chance = report["chance"]
    assert chance["classes"] == 2 and chance["chance"] == pytest.approx(-math.log(1 / 2))
    assert chance["logits"] == "S" and chance["verdict"] == "ok"  # 0.60 is below ln 2
    assert {"Karpathy, makemore part 3", "CS231n, Neural Networks 3"} <= {r["source"].split(";")[0] for r in
                                                                            report["rules"].values()}


def test_a_path_through_tanh_has_its_gain():
    """The edge into a tanh hands back |g (1 - H^2)| / |g|, g the tanh's adjoint: numpy's, here."""
    H, _, grads = spirals_by_hand()
    report = run_json("health", *SPIRAL_ARGS, "--json", "--paths", "20")
    w1 = [p for p in report["paths"] if p["parameter"] == "W1"]
    assert w1 and all(p["nodes"][:4] == ["W1", "v1", "v2", "H"] for p in w1)
    dH = grads["dH"]
    assert w1[0]["gains"][2] == pytest.approx(np.linalg.norm(dH * (1 - H * H)) / np.linalg.norm(dH))
    # what W1's paths hand it adds up to at least its gradient (the paths' contributions sum to it)
    assert np.linalg.norm(grads["W1"]) <= sum(p["product"] for p in w1) * (1 + 1e-9)


def test_along_a_chain_the_product_of_gains_is_the_gradients_norm(tmp_path):
    """One path, each node read once: the gains telescope to |dL/dW| (times the seed), over examples
    bound whole and over data rows alike."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(40, 3))
    W = rng.normal(size=(3, 4))
    text = lambda a: "[" + ", ".join("[" + ", ".join(repr(float(v)) for v in row) + "]" for row in a) + "]"
    report = run_json("health", "L = mean(tanh(X @ W))", f"X={text(X)}", f"W={text(W)}", "--examples", "X", "--json")
    H = np.tanh(X @ W)
    dW = X.T @ ((1 - H * H) / H.size)
    (path,) = report["paths"]
    assert path["product"] == pytest.approx(np.linalg.norm(dW), rel=1e-12)
    x = rng.normal(size=30)
    data = tmp_path / "x.csv"
    data.write_text("x\n" + "".join(f"{float(v)!r}\n" for v in x))
    report = run_json("health", "L = tanh(w*x)", "w=0.7", "--data", str(data), "--json")
    (path,) = report["paths"]
    assert path["product"] == pytest.approx(abs(np.mean((1 - np.tanh(0.7 * x) ** 2) * x)), rel=1e-12)


def test_update_ratio_takes_the_optimizers_update():
    problem = load((SAMPLES / "two_layer.grad").read_text(), [f"{k}=@{SAMPLES / f'spirals_{k}.npy'}" for k in SPIRALS],
                   wrt=["W1", "b1", "W2", "b2"])
    W1 = SPIRALS["W1"]
    report = health_report(problem, updates={"W1": 1e-3 * W1}, examples=["X", "Y"])
    w1 = next(p for p in report.parameters if p.name == "W1")
    assert w1.ratio == pytest.approx(1e-3) and w1.verdict == "ok"
    # new values: the report is of them (W2 scaled: its gradient changes, checked against numpy's loss)
    scaled = health_report(problem, values={"W2": 10 * SPIRALS["W2"]}, examples=["X", "Y"])
    H = np.tanh(SPIRALS["X"] @ W1 + SPIRALS["b1"])
    S = H @ (10 * SPIRALS["W2"]) + SPIRALS["b2"]
    loss = np.mean(np.log(np.exp(S).sum(1)) - (S * SPIRALS["Y"]).sum(1))
    assert scaled.loss == pytest.approx(loss)


# Z = X @ W: columns 0 and 2 positive on every row, 1 and 3 negative on every row (dead ReLUs);
# tanh(3 Z) saturates wherever |3 z| > atanh(0.97) = 2.09.
KNOWN = "Z = X @ W; R = relu(Z); T = tanh(3*Z); L = mean(R) + mean(T)"
X_KNOWN = np.array([[1.0], [2.0], [3.0]])
W_KNOWN = np.array([[1.0, -1.0, 2.0, -0.5]])


def test_known_dead_relus_and_saturated_tanh_units():
    report = run_json("health", KNOWN, "X=[[1], [2], [3]]", "W=[[1, -1, 2, -0.5]]", "--examples", "X", "--json")
    Z = X_KNOWN @ W_KNOWN
    relu, tanh = report["activations"]
    assert relu["kind"] == "relu" and relu["always"] == int((np.maximum(Z, 0) == 0).all(axis=0).sum()) == 2
    assert relu["verdict"] == "warn" and (relu["rows"], relu["units"]) == (3, 4)
    saturated = np.abs(np.tanh(3 * Z)) > 0.97
    assert tanh["saturated_share"] == pytest.approx(saturated.mean()) and saturated.mean() == pytest.approx(11 / 12)
    assert tanh["always"] == int(saturated.all(axis=0).sum()) == 3


def test_without_rows_every_element_is_a_unit():
    report = run_json("health", "L = sum(relu(W)) + sum(sigmoid(W))", "W=[1, -1, 0, -2, 5]", "--json")
    relu, sigmoid = report["activations"]
    W = np.array([1, -1, 0, -2, 5.0])
    assert report["rows"] == 1 and relu["units"] == 5 and relu["always"] == int((np.maximum(W, 0) == 0).sum()) == 3
    s = 1 / (1 + np.exp(-W))
    assert sigmoid["saturated_share"] == pytest.approx(((s < 0.015) | (s > 0.985)).mean())  # only sigmoid(5)


def test_data_rows_a_vectorized_program(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.normal(size=400)
    y = (x > 0).astype(float)
    data = tmp_path / "rows.csv"
    data.write_text("x,y\n" + "".join(f"{float(a)!r},{float(b)!r}\n" for a, b in zip(x, y)))
    w, b, v = 3.0, 0.1, -0.2  # v*x - 1 < 0 on every row here: the ReLU is dead
    assert (v * x - 1 < 0).all()
    report = run_json("health", "h = tanh(w*x + b); r = relu(v*x - 1); L = (h + r - y)^2", f"w={w}", f"b={b}",
                      f"v={v}", "--data", str(data), "--json")
    h = np.tanh(w * x + b)
    e = h - y
    assert report["rows"] == 400 and report["rows_from"] == "data"
    assert report["loss"] == pytest.approx(np.mean(e ** 2))
    tanh, relu = report["activations"]
    assert tanh["saturated_share"] == pytest.approx((np.abs(h) > 0.97).mean()) and tanh["units"] == 1
    assert relu["always"] == 1 and relu["verdict"] == "warn"
    dz = 2 * e * (1 - h * h)
    expected = {"w": abs(np.mean(dz * x)), "b": abs(np.mean(dz)), "v": 0.0}
    for p in report["parameters"]:
        assert p["gradient_norm"] == pytest.approx(expected[p["name"]], abs=1e-15)
        assert [q["name"] for q in report["parameters"]] == ["b", "v", "w"]  # x, y are data: not parameters
    assert next(p for p in report["parameters"] if p["name"] == "v")["note"] == "no gradient reaches it"


@pytest.mark.parametrize("count", [4, 3])  # 3 rows of 3 classes: the classes are not taken for rows
def test_data_rows_of_an_array_program_row_by_row(tmp_path, count):
    data = tmp_path / "rows.csv"
    rows = np.array([[0.5, -1.0, 0], [2.0, 1.0, 1], [-1.0, 0.3, 2], [0.1, 0.2, 1]])[:count]
    data.write_text("x1,x2,k\n" + "".join(f"{a},{b},{int(c)}\n" for a, b, c in rows))
    W = np.array([[1.0, 2.0], [3.0, 4.0], [0.5, 0.1]])
    report = run_json("health", "z = W @ [x1, x2]; L = logsumexp(z) - z[0]*(k == 0) - z[1]*(k == 1) - z[2]*(k == 2)",
                      "W=[[1, 2], [3, 4], [0.5, 0.1]]", "--data", str(data), "--json")
    Z = rows[:, :2] @ W.T
    P = np.exp(Z) / np.exp(Z).sum(1, keepdims=True)
    onehot = np.eye(3)[rows[:, 2].astype(int)]
    loss = np.mean(np.log(np.exp(Z).sum(1)) - (Z * onehot).sum(1))
    grad = ((P - onehot).T @ rows[:, :2]) / len(rows)
    assert report["loss"] == pytest.approx(loss)
    (w,) = report["parameters"]
    assert w["gradient_norm"] == pytest.approx(np.linalg.norm(grad))
    assert report["chance"]["classes"] == 3 and report["chance"]["chance"] == pytest.approx(math.log(3))


@pytest.mark.parametrize("scale, verdict", [(0.0, "ok"), (20.0, "warn")])
def test_loss_against_chance_over_ten_classes(scale, verdict):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 4))
    W = scale * rng.normal(size=(4, 10))
    Y = np.eye(10)[rng.integers(0, 10, size=50)]
    text = lambda a: "[" + ", ".join("[" + ", ".join(repr(float(v)) for v in row) + "]" for row in a) + "]"
    report = run_json("health", "S = X @ W; L = mean(logsumexp(S, 1) - sum(S*Y, 1))", f"X={text(X)}", f"W={text(W)}",
                      f"Y={text(Y)}", "--examples", "X,Y", "--json")
    S = X @ W
    loss = np.mean(np.log(np.exp(S).sum(1)) - (S * Y).sum(1))
    chance = report["chance"]
    assert chance["classes"] == 10 and chance["chance"] == pytest.approx(2.302585, abs=1e-6)
    assert chance["loss"] == pytest.approx(loss) and chance["verdict"] == verdict
    if scale == 0:
        assert loss == pytest.approx(-math.log(1 / 10))


def test_paths_of_a_scalar_chain_are_products_of_partials():
    """L = tanh(10 a) + tanh(0.1 b) at a = b = 1: each path's product of gains is the path's |partial|
    product, the smallest a's (tanh saturated), the largest b's."""
    report = run_json("health", "L = tanh(10*a) + tanh(0.1*b)", "a=1", "b=1", "--paths", "1", "--json")
    largest, smallest = report["paths"]
    assert largest["which"] == "largest" and largest["parameter"] == "b"
    assert largest["product"] == pytest.approx(0.1 * (1 - np.tanh(0.1) ** 2))
    assert smallest["which"] == "smallest" and smallest["parameter"] == "a"
    assert smallest["product"] == pytest.approx(10 * (1 - np.tanh(10.0) ** 2))


def test_no_cross_entropy_says_so():
    report = run_json("health", "L = (w - 3)^2", "w=0", "--json")
    assert report["chance"]["classes"] is None and "no chance value" in report["chance"]["note"]


@pytest.mark.parametrize("args, words", [
    (["L = sum(W*X)", "W=[1, 2]", "X=[3, 4]", "--examples", "Q"], "--examples Q: 'Q' is not an input"),
    (["L = sum(W*X)", "W=[1, 2]", "X=[3, 4]", "--examples", "X", "--wrt", "X"], "named by --examples"),
    (["L = w*x", "w=1", "x=2", "--examples", "x"], "x is a number"),
    (["L = w*x", "w=1", "--data", "samples/points.csv", "--examples", "x"], "give one"),
])
def test_bad_options_are_one_line_and_exit_2(args, words):
    assert_error(["health", *args], 2, words)
