"""Rows are a batch axis for array programs: one vectorized sweep per chunk equals a sweep per row.

Each program runs over random rows of JSON lines with array columns, once through
``eval --data``'s vectorized sweep (the op table's batching rules, ``Op.batch``) and
once row by row through the ordinary single-point path; the answers agree to
1e-12 relative, and the gradients agree with central differences.  Descent's mean
over the rows (all of them, or a minibatch) is checked the same way.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import assert_error, run
from gradcli.analyses import batch as batch_module
from gradcli.analyses.batch import prepare_batch
from gradcli.analyses.descent import Descent, DataError, prepare_descent, read_data
from gradcli.autodiff.gradient import evaluate
from gradcli.autodiff.loading import load
from gradcli.autodiff.sweeps import Plan
from gradcli.core.ops import OPS
from gradcli.support import data_rows
from gradcli.support.data_rows import DataReader, parse_numbers

LOGISTIC = "z = dot(w, x) + b\np = sigmoid(z)\nL = -(y*log(p) + (1 - y)*log(1 - p))"
MLP = "h = tanh(W1 @ x + b1)\ns = W2 @ h + b2\nL = logsumexp(s) - s[c]"

# (program, the columns' makers (rng -> one row's value), the other inputs' makers)
CASES = {
    "logistic": (LOGISTIC, {"x": lambda r: r.normal(size=4), "y": lambda r: float(r.integers(0, 2))},
                 {"w": lambda r: r.normal(size=4), "b": lambda r: float(r.normal())}),
    "mlp": (MLP, {"x": lambda r: r.normal(size=3), "c": lambda r: float(r.integers(0, 4))},
            {"W1": lambda r: r.normal(size=(5, 3)), "b1": lambda r: r.normal(size=5),
             "W2": lambda r: r.normal(size=(4, 5)), "b2": lambda r: r.normal(size=4)}),
    "softmax-rows": ("P = softmax(X @ V, axis=1)\nL = sum(log_softmax(X, 1) * (X @ V @ transpose(V))) + sum(P * P)",
                     {"X": lambda r: r.normal(size=(2, 3))}, {"V": lambda r: r.normal(size=(3, 3))}),
    "reductions": ("M = outer(x, v)\nL = sum(transpose(M) @ u) + max(x) + mean(M, 0)[1] + sum(max(M, axis=1))"
                   " + logsumexp(M)",
                   {"x": lambda r: r.normal(size=3)}, {"v": lambda r: r.normal(size=2), "u": lambda r: r.normal(size=3)}),
    "matrix-rows": ("L = sum(mean(X, axis=1) * w) + sum(transpose(X) @ X) + sum(logsumexp(X, 1, keepdims=True) * X)"
                    " + X[1, 2] * X[0, 0] + sum(X[:, 1:])",
                    {"X": lambda r: r.normal(size=(2, 3))}, {"w": lambda r: r.normal(size=2)}),
    "literal-and-scalars": ("v = [x[0]*a, x[1], 3.0]\nL = sum(v * v * u) + a*t + dot(x, x) + sum(expand_dims(x, 1) * x)",
                            {"x": lambda r: r.normal(size=2), "t": lambda r: float(r.normal())},
                            {"a": lambda r: float(r.normal()), "u": lambda r: r.normal(size=3)}),
    "column-matrix": ("L = sum(tanh(A @ B)) + dot(q, A @ q)",
                      {"A": lambda r: r.normal(size=(3, 3)), "q": lambda r: r.normal(size=3)},
                      {"B": lambda r: r.normal(size=(3, 2))}),
}


def _text(v) -> str:
    return json.dumps(v.tolist() if isinstance(v, np.ndarray) else v)


def _write_rows(path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps({k: _json(v) for k, v in row.items()}) + "\n" for row in rows))


def _json(v):
    return v.tolist() if isinstance(v, np.ndarray) else v


def _make(case: str, seed: int, n: int):
    program, columns, others = CASES[case]
    rng = np.random.default_rng(seed)
    fixed = {name: make(rng) for name, make in others.items()}
    rows = [{name: make(rng) for name, make in columns.items()} for _ in range(n)]
    return program, fixed, rows


def _batched(tmp_path, program: str, fixed: dict, rows: list[dict], monkeypatch):
    """eval --data's answers, in process; and the rows that went the row-by-row way."""
    path = tmp_path / "rows.jsonl"
    _write_rows(path, rows)
    reader = DataReader(str(path))
    bindings = [f"{k}={_text(v)}" for k, v in fixed.items()]
    problem = load(program, bindings, require_values=False, keep=reader.header)
    alone: list[int] = []
    one_row = batch_module._one_row
    monkeypatch.setattr(batch_module, "_one_row", lambda b, result, i, values: (alone.append(i),
                                                                             one_row(b, result, i, values)))
    batch = prepare_batch(problem, reader, list(fixed))
    return batch, _merged(list(batch_module.run(batch))), alone


def _merged(results):
    """The chunks' answers as one (the first JSON line is a chunk of its own)."""
    first = results[0]
    for more in results[1:]:
        for key, column in [*first.values.items(), *first.derivatives.items()]:
            column.extend((more.values if key in more.values else more.derivatives)[key])
        first.errors.update({first.n + i: e for i, e in more.errors.items()})
        first.lines = [*first.lines, *more.lines]
        first.n += more.n
    return first


def _row_by_row(program: str, fixed: dict, row: dict):
    bindings = [f"{k}={_text(v)}" for k, v in {**fixed, **row}.items()]
    return evaluate(load(program, bindings))


def _close(a, b, rel=1e-12):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape
    np.testing.assert_allclose(a, b, rtol=rel, atol=rel * max(1.0, float(np.max(np.abs(b), initial=0.0))))


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("seed", [1, 2])
def test_batched_rows_equal_row_by_row_and_central_differences(tmp_path, monkeypatch, case, seed):
    program, fixed, rows = _make(case, seed, 7)
    batch, result, alone = _batched(tmp_path, program, fixed, rows, monkeypatch)
    assert alone == []  # every row in a vectorized sweep
    y = batch.outputs[0]
    assert not result.errors
    for i, row in enumerate(rows):
        expected = _row_by_row(program, fixed, row)
        _close(result.values[y][i], expected.value)
        for x in batch.wrt:
            _close(result.derivatives[(y, x)][i], expected.gradient[x])
    # one row's gradient of a matrix input against central differences, element by element
    row = rows[3]
    problem = load(program, [f"{k}={_text(v)}" for k, v in {**fixed, **row}.items()])
    name = max(batch.wrt, key=lambda x: np.size(problem.values[x]))
    plan, inputs = Plan.of(problem), problem.input_values()
    index = problem.tape.names[name]
    base = np.array(inputs[index], dtype=float)
    got = np.asarray(result.derivatives[(y, name)][3], dtype=float)
    h = 1e-6
    for k in range(base.size):
        step = np.zeros(base.size)
        step[k] = h
        step = step.reshape(base.shape)
        hi = plan.values({**inputs, index: base + step if base.ndim else float(base + step)})[problem.output_index]
        lo = plan.values({**inputs, index: base - step if base.ndim else float(base - step)})[problem.output_index]
        assert got.reshape(-1)[k] == pytest.approx((hi - lo) / (2 * h), rel=1e-6, abs=1e-7)


def test_a_row_that_fails_fails_alone(tmp_path, monkeypatch):
    program = "L = sum(log(x) * w)"
    rows = [{"x": np.array([1.0, 2.0])}, {"x": np.array([3.0, -1.0])}, {"x": np.array([0.5, 4.0])}]
    fixed = {"w": np.array([0.5, -2.0])}
    batch, result, alone = _batched(tmp_path, program, fixed, rows, monkeypatch)
    assert alone == [0]  # only the bad row (row 1: the second chunk's first) went the row-by-row way
    assert set(result.errors) == {1} and "log" in result.errors[1]["message"]
    assert result.errors[1]["line"] == 2
    for i in (0, 2):
        x = rows[i]["x"]
        _close(result.values["L"][i], np.sum(np.log(x) * fixed["w"]))
        _close(result.derivatives[("L", "x")][i], fixed["w"] / x)
        _close(result.derivatives[("L", "w")][i], np.log(x))


def test_an_op_without_a_batching_rule_runs_row_by_row(tmp_path, monkeypatch):
    assert OPS["cumsum"].batch is None
    program, fixed = "L = sum(cumsum(x) * w)", {"w": np.array([1.0, -1.0, 2.0])}
    rows = [{"x": np.array([0.1 * k, 1.0, -k])} for k in range(4)]
    batch, result, alone = _batched(tmp_path, program, fixed, rows, monkeypatch)
    assert alone == [0, 0, 1, 2]  # row 0 (a chunk of its own), then rows 1 to 3
    for i, row in enumerate(rows):
        _close(result.values["L"][i], np.sum(np.cumsum(row["x"]) * fixed["w"]))


def _logistic_numpy(w, b, X, y):
    """The mean loss and its gradient by hand, for the rows of X."""
    p = 1 / (1 + np.exp(-(X @ w + b)))
    loss = np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)))
    return loss, X.T @ (p - y) / len(y), float(np.mean(p - y))


def test_descent_takes_the_mean_over_all_rows_or_a_minibatch(tmp_path):
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(40, 3)), rng.integers(0, 2, size=40).astype(float)
    path = tmp_path / "rows.jsonl"
    _write_rows(path, [{"x": x, "y": float(t)} for x, t in zip(X, y)])
    problem = load(LOGISTIC, ["w=[0.1, -0.2, 0.3]", "b=0.05"], require_values=False)
    data = read_data(str(path), problem)
    assert data.n == 40
    descent = Descent(prepare_descent(problem, data, wrt_given=False), lr=0.1, steps=1, data=data)
    assert descent._batch
    inputs = descent.problem.input_values()
    w, b = np.array([0.1, -0.2, 0.3]), 0.05
    for rows in (None, np.array([7, 3, 3, 39, 0])):
        picked = slice(None) if rows is None else rows
        loss, dw, db = _logistic_numpy(w, b, X[picked], y[picked])
        at_once = descent._loss_and_gradient(dict(inputs), rows)
        by_row = descent._row_by_row(dict(inputs), rows)
        for got in (at_once, by_row):
            assert got[0] == pytest.approx(loss, rel=1e-12)
            order = dict(zip(descent.problem.wrt, got[1]))
            _close(order["w"], dw)
            assert order["b"] == pytest.approx(db, rel=1e-12)
    part = data.take(np.array([2, 0]))
    assert part.n == 2 and list(part.lines) == [3, 1]
    _close(part.values[0], X[[2, 0]])


@pytest.mark.parametrize("line, message", [
    ('{"x": [1, 2], "y": 1}', "data row 2 (line 2): column x: '[1, 2]' has shape (2,), the column's rows have shape (3,)"),
    ('{"x": [1, [2], 3], "y": 1}', "data row 2 (line 2): column x: '[1, [2], 3]' is not an array of numbers"),
    ('{"x": [1, "a", 3], "y": 1}', "is not an array of numbers"),
    ('{"x": 4, "y": 1}', "column x: '4' has shape (), the column's rows have shape (3,)"),
])
def test_descent_refuses_a_row_of_another_shape(tmp_path, line, message):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"x": [1, 2, 3], "y": 0}\n' + line + "\n")
    problem = load(LOGISTIC, ["w=[0.1, -0.2, 0.3]", "b=0.05"], require_values=False)
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        read_data(str(path), problem)


def test_eval_reports_a_ragged_row_and_goes_on(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"x": [1, 2]}\n{"x": [1, 2, 3]}\n{"x": [3, 4]}\n')
    out = run("eval", "L = sum(x*x)", "--data", str(path), "--json")
    assert out.code == 1
    lines = [json.loads(t) for t in out.out.splitlines()]
    assert lines[0]["gradient"]["x"] == [2.0, 4.0] and lines[2]["gradient"]["x"] == [6.0, 8.0]
    assert lines[1]["error"]["line"] == 2 and "has shape (3,)" in lines[1]["error"]["message"]


def test_a_csv_column_for_an_array_input_says_csv_has_no_arrays(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("x\n1\n2\n")
    out = run("eval", "L = dot(w, x)", "w=[1, 2]", "--data", str(path), "--json")
    assert out.code == 1
    assert "a CSV cell is one number: a column of arrays needs JSON lines" in out.out
    assert_error(["descend", "L = dot(w, x)^2", "w=[1, 2]", "--data", str(path)], 2, "dot")


CELLS = ["", "id 7", "a,b", 'say "hi"', "two\nlines", "cr\rhere", "esc\x1b[31m", "tab\there", " lead",
         1.5, -0.0, 1e-300, float("inf"), 12, True, False, None, "ü,ß"]


@pytest.mark.parametrize("seed", range(5))
def test_csv_rows_write_what_the_csv_module_writes(seed):
    from gradcli.render.batch_view import _csv_field, csv_text

    rng = np.random.default_rng(seed)
    for _ in range(200):
        row = [CELLS[k] for k in rng.integers(0, len(CELLS), size=int(rng.integers(2, 6)))]
        assert ",".join(map(_csv_field, row)) + "\n" == csv_text([row])


def test_format_csv_over_rows_with_errors_and_extras(tmp_path):
    import csv
    import io

    path = tmp_path / "rows.csv"
    path.write_text('id,x\n"a,1",2\nb,-1\n"c ""q""",0.5\n')
    out = run("eval", "f = log(x)*x", "--data", str(path), "--format", "csv")
    rows = list(csv.reader(io.StringIO(out.out)))
    assert rows[0] == ["row", "id", "x", "f", "df/dx", "error"]
    assert rows[1][:3] == ["0", "a,1", "2.0"] and float(rows[1][3]) == np.log(2) * 2
    assert float(rows[1][4]) == pytest.approx(np.log(2) + 1, rel=1e-15)
    assert rows[2][:2] == ["1", "b"] and rows[2][-1].startswith("line 3: ") and "log" in rows[2][-1]
    assert rows[3][1] == 'c "q"' and float(rows[3][2]) == 0.5


def _table_cases():
    from test_array_ops import cases

    for case in cases():
        op = case.values[0]
        if op.batch is not None:
            yield case


@pytest.mark.parametrize("op, shapes, params", list(_table_cases()))
def test_every_batching_rule_in_the_table_is_the_op_row_by_row(op, shapes, params):
    """Each op with a batching rule (``Op.batch``), at its table cases: three rows stacked on some
    operands (all, the first, the last), the others one value for every row; the forward pass is the
    op at each row, a batched operand's gradient is each row's VJP, an unbatched one's their sum."""
    from test_array_ops import operand_values

    from gradcli.core.batch_rules import Unbatched
    from gradcli.core.indexing_rules import integer_operands
    from gradcli.core.values import unbroadcast

    integers = set(integer_operands(op, params, len(shapes)))
    rows = [operand_values(op, shapes) for _ in range(3)]
    count = len(shapes)
    patterns = {tuple([True] * count), (True, *[False] * (count - 1)), (*[False] * (count - 1), True)}
    checked = 0
    for flags in patterns:
        args = [np.stack([np.asarray(row[k], dtype=np.asarray(row[k]).dtype) for row in rows]) if flags[k]
                else rows[0][k] for k in range(count)]
        per_row = [[row[k] if flags[k] else rows[0][k] for k in range(count)] for row in rows]
        try:
            out = op.batch.forward(params, args, list(flags))
        except Unbatched:
            continue
        expected = [op.array.forward(params, *row) for row in per_row]
        _close(out, np.stack([np.asarray(e, dtype=float) for e in expected]))
        g = np.random.default_rng(3).uniform(-1, 1, np.shape(out))
        for j in range(count):
            if j in integers:
                continue
            got = unbroadcast(op.batch.vjp(j, params, g, out, args, list(flags)), np.shape(args[j]), rows=flags[j])
            each = [unbroadcast(op.array.vjp(j, params, g[r], expected[r], per_row[r]), np.shape(per_row[r][j]))
                    for r in range(3)]
            _close(got, np.stack(each) if flags[j] else np.sum(each, axis=0))
        checked += 1
    assert checked or op.name in ("outer", "matmul", "dot")  # a product of stacks runs row by row


@pytest.mark.parametrize("size", [1, 7, 8192])
@pytest.mark.parametrize("text", [
    "x,y\n" + "".join(f"{k * 0.37!r},{-k / 3!r}\n" for k in range(50)),
    "x,y\n1,2\n\n3,4\r\n 5 ,6\n7,8",  # a blank line, a CR, spaces, no newline at the end
    "x,y\n" + "".join(f"{k},{k}\n" for k in range(20)) + "1,abc\n2,\n3,4,5\n\"6\",7\nnan,1\n8,9\n",
    "x\ty\n1\t2\n3\t4\n",
    "x,y\n" + "".join(f"{(k % 13) * 10.0 ** (k % 17 - 8)!r},{'1' * (1 + k % 29)}\n" for k in range(300)),  # uneven lines
])
def test_the_reader_of_plain_numbers_reads_what_the_csv_module_reads(tmp_path, size, text):
    """A reader told that every column is a number (``numbers``) parses a chunk at once; rows, lines,
    values and each bad row's error are those of the cell-by-cell reader."""
    path = tmp_path / "rows.csv"
    path.write_bytes(text.encode())

    def read(fast: bool):
        reader = DataReader(str(path), size=size)
        if fast:
            reader.numbers(reader.header)
        out = []
        for chunk in reader.chunks():
            assert chunk.n <= size
            errors = dict(chunk.broken)
            values = {name: batch_module._numbers(list(chunk.cells[name]) if not fast else chunk.cells[name],
                                                  name, None, errors, set(), {}) for name in reader.header}
            for i in range(chunk.n):
                out.append((chunk.start + i, chunk.lines[i], errors.get(i, {}).get("message"),
                            None if i in errors else [float(values[name][i]) for name in reader.header]))
        return out

    assert read(True) == read(False)


@pytest.mark.parametrize("program", ["L = sum(x*w)\nM = dot(x, x)",  # vectorized
                                     "L = sum(cumsum(x)*w)\nM = dot(x, x)"])  # row by row: cumsum has no rule
def test_jacobian_over_array_columns(tmp_path, program):
    path = tmp_path / "rows.jsonl"
    xs = [[0.5, 1.5], [-1.0, 0.25], [2.0, 3.0]]
    path.write_text("".join(json.dumps({"x": x}) + "\n" for x in xs))
    out = run("jacobian", program, "w=[1, -2]", "--of", "L,M", "--data", str(path), "--json")
    assert out.code == 0, out.err
    w = np.array([1.0, -2.0])
    for line, x in zip(map(json.loads, out.out.splitlines()), map(np.array, xs)):
        dl_dx = np.cumsum(w[::-1])[::-1] if "cumsum" in program else w  # d sum(cumsum(x)*w)/dx_j = sum_{i>=j} w_i
        _close(line["jacobian"]["L"]["x"], dl_dx)
        _close(line["jacobian"]["L"]["w"], np.cumsum(x) if "cumsum" in program else x)
        _close(line["jacobian"]["M"]["x"], 2 * x)
        _close(line["values"]["M"], x @ x)


def test_descent_of_a_network_written_per_row_sums_each_weights_gradient_over_the_rows(tmp_path):
    """The MLP with a label column: the mean gradient over a minibatch, in one sweep, against
    hand-written numpy (softmax cross-entropy, tanh layer) and against the row loop."""
    rng = np.random.default_rng(8)
    X, c = rng.normal(size=(30, 3)), rng.integers(0, 4, size=30)
    _write_rows(tmp_path / "rows.jsonl", [{"x": x, "c": float(k)} for x, k in zip(X, c)])
    W1, b1, W2, b2 = rng.normal(size=(5, 3)), rng.normal(size=5), rng.normal(size=(4, 5)), rng.normal(size=4)
    values = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    problem = load(MLP, [f"{k}={_text(v)}" for k, v in values.items()], require_values=False)
    data = read_data(str(tmp_path / "rows.jsonl"), problem)
    descent = Descent(prepare_descent(problem, data, wrt_given=False), lr=0.1, steps=1, data=data)
    rows = np.array([4, 29, 0, 4, 17, 8])
    inputs = descent.problem.input_values()
    loss, grads = descent._loss_and_gradient(dict(inputs), rows)
    assert descent._batch  # the one sweep, not the row loop
    H = np.tanh(X[rows] @ W1.T + b1)
    S = H @ W2.T + b2
    P = np.exp(S - S.max(1, keepdims=True))
    P /= P.sum(1, keepdims=True)
    assert loss == pytest.approx(np.mean(-np.log(P[np.arange(len(rows)), c[rows]])), rel=1e-12)
    dS = P.copy()
    dS[np.arange(len(rows)), c[rows]] -= 1
    dS /= len(rows)
    dH = dS @ W2 * (1 - H * H)
    expected = {"W2": dS.T @ H, "b2": dS.sum(0), "W1": dH.T @ X[rows], "b1": dH.sum(0)}
    got = dict(zip(descent.problem.wrt, grads))
    loop = dict(zip(descent.problem.wrt, descent._row_by_row(dict(inputs), rows)[1]))
    for name, g in expected.items():
        _close(got[name], g, rel=1e-11)
        _close(loop[name], g, rel=1e-11)


@pytest.mark.parametrize("block, delimiter", [
    (b"".join(f"{k * 0.37!r},{-k / 3!r},{k * 1e-300!r}\n".encode() for k in range(200)), ","),
    (b"1\n2.5\n-3e7\n", ","),  # one column
    (b"1\t2\n3\t4\n", "\t"),
])
def test_numbers_parsed_by_the_block_reader_equal_loadtxts(monkeypatch, block, delimiter):
    """numpy's block reader (a private function, looked up once) and loadtxt, its fallback, give the
    same doubles, the rows along axis 0; a bad line is a ValueError from either."""
    expected = np.loadtxt(block.decode().splitlines(), delimiter=delimiter, ndmin=2)
    for reader in (None, False):  # looked up (present in this numpy), then absent: loadtxt
        monkeypatch.setattr(data_rows, "_block_reader", reader)
        got = parse_numbers(block, delimiter)
        assert got.shape == expected.shape and (got == expected).all()
        with pytest.raises(ValueError):
            parse_numbers(block + b"1,x\n", delimiter)
