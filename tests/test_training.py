"""descend's training options against numpy written here: each optimizer's update as PyTorch's docs
give it, weight decay, the schedules, shuffled minibatches (--data rows and --examples), held-out
rows, metrics, --save / --load / NAME=@FILE.npz:KEY, and the errors of options that do not apply."""

import json

import numpy as np
import pytest

from conftest import ROOT, SAMPLES, assert_error, run_json_lines

RNG = np.random.default_rng(5)
A = RNG.normal(size=(6, 3))
B = RNG.normal(size=6)
W0 = np.array([0.5, -1.0, 2.0])
LEAST_SQUARES = ["r = A @ w - b; L = sum(r*r)/2 + sum(tanh(w))",
                 f"A={json.dumps(A.tolist())}", f"b={json.dumps(B.tolist())}", f"w={json.dumps(W0.tolist())}",
                 "--wrt", "w"]


def gradient(w):
    return A.T @ (A @ w - B) + (1 - np.tanh(w) ** 2)


def reference(name, steps, lr, wd=0.0, momentum=0.9, alpha=0.99, betas=(0.9, 0.999), eps=1e-8):
    """The update rules of torch.optim's documentation, written out (dampening 0, no amsgrad)."""
    w, b, m, v = W0.copy(), None, np.zeros(3), np.zeros(3)
    for t in range(1, steps + 1):
        g = gradient(w) + wd * w
        if name in ("momentum", "nesterov"):
            b = g if b is None else momentum * b + g
            g = g + momentum * b if name == "nesterov" else b
        elif name == "rmsprop":
            v = alpha * v + (1 - alpha) * g * g
            g = g / (np.sqrt(v) + eps)
        elif name == "adam":
            m = betas[0] * m + (1 - betas[0]) * g
            v = betas[1] * v + (1 - betas[1]) * g * g
            g = (m / (1 - betas[0] ** t)) / (np.sqrt(v / (1 - betas[1] ** t)) + eps)
        w = w - lr * g
    return w


def descend(*args):
    return run_json_lines("descend", *args, "--json")


@pytest.mark.parametrize("name, options, hyper", [
    ("sgd", [], {}),
    ("momentum", [], {}),
    ("momentum", ["--momentum", "0.5"], {"momentum": 0.5}),
    ("nesterov", [], {}),
    ("rmsprop", [], {}),
    ("rmsprop", ["--alpha", "0.9", "--eps", "1e-6"], {"alpha": 0.9, "eps": 1e-6}),
    ("adam", [], {}),
    ("adam", ["--betas", "0.8,0.99", "--eps", "1e-7"], {"betas": (0.8, 0.99), "eps": 1e-7}),
    ("adam", ["--weight-decay", "0.1"], {"wd": 0.1}),
    ("sgd", ["--weight-decay", "0.3"], {"wd": 0.3}),
])
def test_each_optimizer_follows_its_update_rule(name, options, hyper):
    lines = descend(*LEAST_SQUARES, "--optimizer", name, *options, "--lr", "0.05", "--steps", "25")
    np.testing.assert_allclose(lines[-1]["values"]["w"], reference(name, 25, 0.05, **hyper), rtol=1e-10)
    assert lines[-1]["optimizer"]["name"] == name
    assert lines[0]["gradient_norms"]["w"] == pytest.approx(np.linalg.norm(gradient(W0)), rel=1e-12)


def test_step_schedule_decays_the_rate_and_the_updates_use_it():
    lines = descend("L = (w - 3)^2", "w=0", "--schedule", "step", "--step-every", "2", "--gamma", "0.5",
                    "--steps", "5")
    w = 0.0
    for k, line in enumerate(lines[:-2]):
        assert line["lr"] == 0.1 * 0.5 ** (k // 2)
        assert line["values"]["w"] == pytest.approx(w, rel=1e-15, abs=0)
        w -= line["lr"] * 2 * (w - 3)
    assert "lr" not in lines[-2]  # the final point: no next update
    assert lines[-1]["values"]["w"] == pytest.approx(w, rel=1e-15)


def test_cosine_schedule_counts_epochs():
    X = RNG.normal(size=(8, 2))
    Y = X @ np.array([1.5, -2.0])
    lines = descend("L = mean((X @ w - Y)^2)", f"X={json.dumps(X.tolist())}", f"Y={json.dumps(Y.tolist())}",
                    "w=[0, 0]", "--examples", "X,Y", "--batch-size", "3", "--epochs", "4", "--schedule", "cosine",
                    "--lr-min", "0.01")
    steps = [line for line in lines if "step" in line][:-1]
    assert len(steps) == 4 * 3  # three batches an epoch (3, 3, 2 rows)
    for line in steps:
        epoch = line["step"] // 3
        assert line["lr"] == pytest.approx(0.01 + (0.1 - 0.01) * (1 + np.cos(np.pi * epoch / 4)) / 2, rel=1e-14)


def minibatch_sgd(X, Y, w, lr, size, epochs, seed):
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(X))
        for start in range(0, len(X), size):
            rows = order[start:start + size]
            w = w - lr * 2 * X[rows].T @ (X[rows] @ w - Y[rows]) / len(rows)
    return w


def test_minibatches_of_examples_are_shuffled_per_epoch_as_a_dataloader():
    X = RNG.normal(size=(10, 2))
    Y = X @ np.array([0.5, 1.0]) + 0.1 * RNG.normal(size=10)
    lines = descend("L = mean((X @ w - Y)^2)", f"X={json.dumps(X.tolist())}", f"Y={json.dumps(Y.tolist())}",
                    "w=[0, 0]", "--examples", "X,Y", "--batch-size", "4", "--epochs", "3", "--seed", "7")
    done = lines[-1]
    assert done["steps"] == 9 and done["epochs"] == 3 and done["batch_size"] == 4 and done["seed"] == 7
    np.testing.assert_allclose(done["values"]["w"], minibatch_sgd(X, Y, np.zeros(2), 0.1, 4, 3, 7), rtol=1e-12)
    w = np.array(done["values"]["w"])
    assert done["evaluation"]["train_loss"] == pytest.approx(np.mean((X @ w - Y) ** 2), rel=1e-12)


def test_minibatches_of_data_rows():
    data = np.loadtxt(SAMPLES / "line_fit.csv", delimiter=",", skiprows=1)
    header = (SAMPLES / "line_fit.csv").read_text().splitlines()[0].split(",")
    x, y = data[:, header.index("x")], data[:, header.index("y")]
    lines = descend("L = (w*x + b - y)^2", "w=0", "b=0", "--data", str(SAMPLES / "line_fit.csv"),
                    "--batch-size", "2", "--epochs", "5", "--seed", "3", "--lr", "0.05")
    w = b = 0.0
    rng = np.random.default_rng(3)
    for _ in range(5):
        order = rng.permutation(len(x))
        for start in range(0, len(x), 2):
            r = order[start:start + 2]
            e = w * x[r] + b - y[r]
            w, b = w - 0.05 * np.mean(2 * e * x[r]), b - 0.05 * np.mean(2 * e)
    assert lines[-1]["values"] == {"w": pytest.approx(w, rel=1e-12), "b": pytest.approx(b, rel=1e-12)}


def spirals():
    d = np.load(SAMPLES / "spirals.npz")
    return {k: d[k] for k in d.files}


def scores(d, v):
    return np.tanh(d["X"] @ np.array(v["W1"]) + np.array(v["b1"])) @ np.array(v["W2"]) + np.array(v["b2"])


def test_the_spirals_with_adam_in_minibatches_held_out_rows_and_accuracy(tmp_path, monkeypatch):
    """The README's run: every figure of its evaluation recomputed here from the saved weights."""
    monkeypatch.chdir(ROOT)
    saved = tmp_path / "trained.npz"
    lines = descend("-f", "samples/spirals_net.grad", "--load", "samples/spirals.npz", "--examples", "X,Y",
                    "--optimizer", "adam", "--lr", "0.05", "--batch-size", "32", "--epochs", "100",
                    "--validate", "0.2", "--metric", "acc", "--save", str(saved))
    done = lines[-1]
    d = spirals()
    order = np.random.default_rng(0).permutation(200)
    held, train = np.sort(order[:40]), np.sort(order[40:])
    with np.load(saved) as archive:
        weights = {k: archive[k] for k in archive.files}
    assert sorted(weights) == ["W1", "W2", "b1", "b2"]
    for k in weights:
        np.testing.assert_array_equal(weights[k], np.array(done["values"][k]))
    S, labels = scores(d, weights), d["Y"].argmax(axis=1)
    P = S - np.log(np.exp(S - S.max(1, keepdims=True)).sum(1, keepdims=True)) - S.max(1, keepdims=True)
    cross_entropy = -(P * d["Y"]).sum(axis=1)
    evaluation = done["evaluation"]
    assert evaluation["train_loss"] == pytest.approx(cross_entropy[train].mean(), rel=1e-10)
    assert evaluation["validation_loss"] == pytest.approx(cross_entropy[held].mean(), rel=1e-10)
    accuracy = S.argmax(axis=1) == labels
    assert evaluation["metrics"]["acc"] == accuracy[train].mean() > 0.95
    assert evaluation["validation_metrics"]["acc"] == accuracy[held].mean() > 0.9
    assert done["steps"] == 100 * 5  # 160 training rows in batches of 32

    # reloaded, the weights give back the loss over every row
    again = descend("-f", "samples/spirals_net.grad", "--of", "L", "--load", str(saved),
                    "X=@samples/spirals.npz:X", "Y=@samples/spirals.npz:Y", "--steps", "0")
    assert again[0]["loss"] == pytest.approx(cross_entropy.mean(), rel=1e-10)


def test_a_held_out_file_of_data_rows(tmp_path):
    train, held = tmp_path / "train.csv", tmp_path / "held.csv"
    train.write_text("x,y\n0,1\n1,3\n2,5\n")
    held.write_text("x,y\n3,8\n4,8\n")
    lines = descend("L = (w*x + b - y)^2", "w=0", "b=0", "--data", str(train), "--validate", str(held),
                    "--steps", "3", "--metric", "L")
    w, b = lines[-1]["values"]["w"], lines[-1]["values"]["b"]
    assert lines[-1]["evaluation"]["validation_loss"] == pytest.approx(
        ((3 * w + b - 8) ** 2 + (4 * w + b - 8) ** 2) / 2, rel=1e-12)


def test_save_every_and_ctrl_c_write_the_parameters():
    from gradcli.analyses.descent import Descent, Training, prepare_descent
    from gradcli.autodiff.loading import load

    saved = []
    problem = prepare_descent(load("L = (w - 3)^2 + v^2", ["w=0", "v=1"], require_values=False), None, False)
    descent = Descent(problem, 0.1, 10, training=Training(checkpoint=lambda s, last: saved.append((s.step, last,
                                                                                                 s.values)),
                                                          save_every=2))
    steps = iter(descent)
    for _ in range(6):
        step = next(steps)
    assert [(k, last) for k, last, _ in saved] == [(2, False), (4, False)]
    descent.interrupted()  # as Ctrl-C leaves it: the last step reached is saved
    k, last, values = saved[-1]
    assert (k, last) == (5, True) and values == step.values
    assert values["w"] == pytest.approx(3 - 3 * 0.8 ** 5, rel=1e-14)


def _spirals_descent(batch_size=32, **training):
    from gradcli.analyses.descent import Descent, Training, prepare_descent
    from gradcli.analyses.optimizers import settings
    from gradcli.autodiff.loading import load

    text = (SAMPLES / "spirals_net.grad").read_text()
    bindings = [f"{k}=@{SAMPLES / 'spirals.npz'}:{k}" for k in ("X", "Y", "W1", "b1", "W2", "b2")]
    problem = prepare_descent(load(text, bindings, of=["L", "acc"], several=True, require_values=False),
                              None, False, examples=["X", "Y"])
    problem.output = "L"
    return Descent(problem, 0.05, 0, training=Training(settings("adam", {}, None), batch_size=batch_size, epochs=4,
                                                      examples=("X", "Y"), hold_out=0.2, metrics=("acc",),
                                                      **training))


def _loss_and_accuracy(values, rows):
    d = spirals()
    S = scores({k: d[k] for k in d}, values)[rows]
    Y = d["Y"][rows]
    shift = S.max(1, keepdims=True)
    loss = np.mean(np.log(np.exp(S - shift).sum(1)) + shift[:, 0] - (S * Y).sum(1))
    return loss, np.mean(S.argmax(1) == Y.argmax(1))


def test_the_table_measures_the_start_and_the_end_alone_and_ctrl_c_measures_where_it_stopped():
    """Without lines or charts to show each epoch's measure, only the start and the end are measured,
    the same numbers; after Ctrl-C the last step reached is measured, whatever the epoch."""
    every, ends = _spirals_descent(), _spirals_descent(every_epoch=False)
    list(every), list(ends)
    assert len(every._evaluations) == 5 and len(ends._evaluations) == 2
    for which in ("start_evaluation", "final_evaluation"):
        assert getattr(every.result, which) == getattr(ends.result, which)

    stopped = _spirals_descent(every_epoch=False)
    steps = iter(stopped)
    for _ in range(7):  # into the second epoch
        step = next(steps)
    final = stopped.interrupted().final_evaluation
    order = np.random.default_rng(0).permutation(200)
    held, train = np.sort(order[:40]), np.sort(order[40:])
    for rows, loss, accuracy in ((train, final.train_loss, final.metrics["acc"]),
                                 (held, final.validation_loss, final.validation_metrics["acc"])):
        expected = _loss_and_accuracy(step.values, rows)
        assert loss == pytest.approx(expected[0], rel=1e-12) and accuracy == expected[1]


def test_the_minibatch_series_holds_minibatches_and_the_last_step_joins_the_whole_rows_series():
    """A minibatch run's last step is measured on every training row: its loss is charted with the
    whole rows' losses, not as one more minibatch's; a full-batch run charts every step's loss."""
    from gradcli.render.descend_view import loss_series

    descent = _spirals_descent(history=True)
    steps = list(descent)
    series = loss_series(descent.result.history, minibatches=True)
    assert series["minibatch loss"] == [(s.step, s.loss) for s in steps[:-1]]
    assert series["loss over the training rows"][-1] == (steps[-1].step, steps[-1].loss)
    assert all(len(points) == len(steps) - 1 for points in descent.result.history.norms.values())
    full = _spirals_descent(batch_size=None, history=True)  # --epochs alone: every row at each step
    steps = list(full)
    assert full.result.history.losses == [(s.step, s.loss) for s in steps]


@pytest.mark.parametrize("args, fragment", [
    (["--optimizer", "adam", "--momentum", "0.5"], "--momentum does not apply to --optimizer adam"),
    (["--optimizer", "sgd", "--betas", "0.9,0.99"], "--betas does not apply to --optimizer sgd"),
    (["--betas", "0.9"], "give two numbers"),
    (["--optimizer", "momentum", "--momentum", "1"], "a momentum is at least 0 and below 1"),
    (["--steps", "3", "--epochs", "2"], "--steps and --epochs"),
    (["--batch-size", "2"], "--batch-size and --epochs split rows"),
    (["--gamma", "0.5"], "--gamma goes with --schedule step"),
    (["--schedule", "step"], "--schedule step needs --step-every"),
    (["--lr-min", "0.1"], "--lr-min goes with --schedule cosine"),
    (["--save-every", "2"], "--save-every N goes with --save"),
    (["--save", "out.txt"], "name it FILE.npz"),
    (["--seed", "2"], "--seed shuffles minibatches"),
    (["--validate", "0.2"], "no rows to hold out"),
    (["--validate", "1.5"], "between 0 and 1"),
    (["--metric", "ww"], "no name 'ww'"),
])
def test_options_that_cannot_apply_are_errors(args, fragment):
    assert_error(["descend", "L = (w - 3)^2", "w=0", *args], 2, fragment)


def test_load_and_archive_errors(tmp_path):
    path = tmp_path / "p.npz"
    np.savez(path, w=np.array(1.0), u=np.array(2.0))
    assert_error(["descend", "L = (w - 3)^2", "w=0", "--load", str(path)], 2, "given on the command line and in --load")
    assert_error(["descend", "L = (w - 3)^2", "--load", str(path)], 2, "the program has no name 'u'")
    assert_error(["eval", "L = (w - 3)^2", f"w=@{path}"], 2, "holds several arrays (w, u)", f"@{path}:w")
    assert_error(["eval", "L = (w - 3)^2", f"w=@{path}:q"], 2, "no array named 'q' (it holds w, u)")
    lines = descend("L = (w - 3)^2", f"w=@{path}:w", "--steps", "0")
    assert lines[0]["values"] == {"w": 1.0} and lines[0]["loss"] == 4.0


def test_health_every_n_steps_with_the_optimizers_own_update():
    """The health report's update is the one Adam makes: the parameter's next value subtracted."""
    lines = descend("L = (w - 3)^2 + tanh(v)^2", "w=0", "v=1", "--optimizer", "adam", "--health", "2",
                    "--steps", "3")
    steps = lines[:-1]
    assert [line["step"] for line in steps if "health" in line] == [0, 2, 3]
    for line, following in zip(steps[:-1], steps[1:]):
        if "health" not in line:
            continue
        by_name = {p["name"]: p for p in line["health"]["parameters"]}
        for name in ("w", "v"):
            moved = abs(line["values"][name] - following["values"][name])
            assert by_name[name]["update_norm"] == pytest.approx(moved, rel=1e-12)
            if line["values"][name]:  # at w = 0 there is no ratio
                assert by_name[name]["ratio"] == pytest.approx(moved / abs(line["values"][name]), rel=1e-12)
        assert by_name["w"]["gradient_norm"] == pytest.approx(abs(2 * (line["values"]["w"] - 3)), rel=1e-12)
        assert line["health"]["update_from"] == "adam's next update"
    final, before = steps[-1], steps[-2]  # no next update: the last one made
    by_name = {p["name"]: p for p in final["health"]["parameters"]}
    assert final["health"]["update_from"] == "adam's last update"
    assert by_name["w"]["update_norm"] == pytest.approx(abs(before["values"]["w"] - final["values"]["w"]), rel=1e-12)


def test_plot_writes_the_loss_and_the_gradient_norms_as_svg(tmp_path):
    import xml.etree.ElementTree as ET

    loss, norms = tmp_path / "loss.svg", tmp_path / "norms.svg"
    lines = descend("L = (w - 3)^2", "w=0", "--steps", "20", "--plot", str(loss), "--plot-gradients", str(norms))
    ns = {"svg": "http://www.w3.org/2000/svg"}
    for path, name, want in ((loss, "loss", [line["loss"] for line in lines[:-1]]),
                             (norms, "|d/dw|", [line["gradient_norms"]["w"] for line in lines[:-1]])):
        root = ET.parse(path).getroot()
        plot = root.find(".//svg:g[@class='plot']", ns)
        left, top, width, height = map(float, plot.get("data-plot").split())
        x0, x1 = map(float, plot.get("data-x-range").split())
        y0, y1 = map(float, plot.get("data-y-range").split())
        series = plot.find(f".//svg:g[@data-name='{name}']", ns)
        points = [tuple(map(float, p.split(","))) for line in series.findall("svg:polyline", ns)
                  for p in line.get("points").split()]
        assert len(points) == 21
        xs = [x0 + (px - left) / width * (x1 - x0) for px, _ in points]
        logs = [np.log10(y0) + (top + height - py) / height * (np.log10(y1) - np.log10(y0)) for _, py in points]
        np.testing.assert_allclose(xs, range(21), atol=0.05)
        np.testing.assert_allclose(logs, np.log10(want), atol=0.01)


def test_chart_and_plot_errors():
    assert_error(["descend", "L = (w - 3)^2", "w=0", "--chart", "--json"], 2, "--chart draws under the table")
    assert_error(["descend", "L = (w - 3)^2", "w=0", "--plot", "loss.pdf"], 2, "--plot", ".svg or .png")
    assert_error(["descend", "L = (w - 3)^2", "w=0", "--plot", "/no/such/loss.svg"], 2, "no folder")


def test_a_csv_number_where_the_program_needs_an_array_says_json_lines(tmp_path):
    data = tmp_path / "rows.csv"
    data.write_text("x,y\n1,2\n3,4\n")
    assert_error(["descend", "L = (dot(w, x) - y)^2", "w=[1, 2]", "--data", str(data)], 2,
                 "dot(w, x)", "a CSV cell is one number: a column of arrays needs JSON lines")


def test_a_large_array_goes_to_the_file_not_the_done_line(tmp_path):
    """Over 10,000 elements the done line gives the shape and norm, and where the values are."""
    w = RNG.normal(size=(101, 100))
    np.save(tmp_path / "w.npy", w)
    done = descend("L = sum(w*w)/2", f"w=@{tmp_path / 'w.npy'}", "--steps", "1")[-1]
    assert done["values"]["w"]["shape"] == [101, 100] and "--save FILE.npz" in done["values"]["w"]["omitted"]
    assert done["values"]["w"]["norm"] == pytest.approx(np.linalg.norm(0.9 * w), rel=1e-12)
    assert done["start"]["values"]["w"]["norm"] == pytest.approx(np.linalg.norm(w), rel=1e-12)
    saved = tmp_path / "out.npz"
    done = descend("L = sum(w*w)/2", f"w=@{tmp_path / 'w.npy'}", "--steps", "1", "--save", str(saved))[-1]
    assert done["values"]["w"]["saved"] == str(saved)
    with np.load(saved) as archive:
        np.testing.assert_allclose(archive["w"], 0.9 * w, rtol=1e-15)
