"""Rows as a batch axis, and reading and writing many rows: side by side in one run, medians.

    python benchmarks/bench_rows_batched.py            # every part
    python benchmarks/bench_rows_batched.py descend    # one part: descend, eval, csv, read

* descend: vector-form logistic regression (``z = dot(w, x) + b``, sigmoid, binary
  cross-entropy), 300 steps over 500 rows of JSON lines with an array column x,
  against the same model written with scalar inputs x1..xk over a CSV (whole process).
* eval: ``eval --data --json`` over 10^4 rows, the same model, array column against
  scalar columns (whole process).
* csv: ``eval --data`` over 10^6 CSV rows of a scalar program, ``--format csv`` against
  ``--json`` (whole process, output to /dev/null).
* read: the CSV reader plus float parsing alone (``DataReader`` and ``--data``'s cells
  to float arrays, in process) against numpy's ``loadtxt`` on the same file.

Run it with the interpreter of a venv where gradcli is installed (``pip install .``).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import gradcli_command, medians  # noqa: E402

K = 8  # features
VECTOR = "z = dot(w, x) + b\np = sigmoid(z)\nL = -(y*log(p) + (1 - y)*log(1 - p))"
SCALAR = ("z = " + " + ".join(f"w{j}*x{j}" for j in range(1, K + 1)) + " + b\n"
          "p = sigmoid(z)\nL = -(y*log(p) + (1 - y)*log(1 - p))")
CSV_PROGRAM = "f = x^2*y + sin(z)*x"


def write_logistic(folder: Path, rows: int) -> tuple[Path, Path]:
    """The same rows as JSON lines with an array column x, and as a CSV with columns x1..xk."""
    import numpy as np

    rng = np.random.default_rng(1)
    X = rng.normal(size=(rows, K))
    y = (X @ rng.normal(size=K) + 0.3 * rng.normal(size=rows) > 0).astype(float)
    jsonl, csv = folder / f"lr_{rows}.jsonl", folder / f"lr_{rows}.csv"
    jsonl.write_text("".join(json.dumps({"x": x, "y": t}) + "\n" for x, t in zip(X.tolist(), y.tolist())))
    csv.write_text(",".join([*(f"x{j}" for j in range(1, K + 1)), "y"]) + "\n"
                   + "".join(",".join(map(repr, [*x, t])) + "\n" for x, t in zip(X.tolist(), y.tolist())))
    return jsonl, csv


def descend_part(folder: Path, repeats: int) -> None:
    jsonl, csv = write_logistic(folder, 500)
    g = gradcli_command()
    common = ["--steps", "300", "--lr", "0.5"]
    commands = {
        "array column x (JSON lines)": [*g, "descend", VECTOR, f"w={[0.0] * K}", "b=0", "--data", str(jsonl), *common],
        "scalar columns x1..x8 (CSV)": [*g, "descend", SCALAR, *(f"w{j}=0" for j in range(1, K + 1)), "b=0",
                                        "--data", str(csv), *common],
    }
    report("descend, logistic regression, 300 steps x 500 rows, whole process", commands, repeats)


def eval_part(folder: Path, repeats: int) -> None:
    jsonl, csv = write_logistic(folder, 10_000)
    g = gradcli_command()
    commands = {
        "array column x (JSON lines)": [*g, "eval", VECTOR, f"w={[0.1] * K}", "b=0", "--data", str(jsonl), "--json"],
        "scalar columns x1..x8 (CSV)": [*g, "eval", SCALAR, *(f"w{j}=0.1" for j in range(1, K + 1)), "b=0",
                                        "--data", str(csv), "--json"],
    }
    report("eval --data --json, logistic regression, 10^4 rows, whole process", commands, repeats)


def write_scalar_rows(path: Path, rows: int) -> None:
    import numpy as np

    block = np.random.default_rng(1).uniform(0.5, 3.0, (rows, 3))
    with open(path, "w") as out:
        out.write("x,y,z\n")
        out.write("\n".join(f"{a!r},{b!r},{c!r}" for a, b, c in block.tolist()) + "\n")


def csv_part(folder: Path, repeats: int) -> None:
    path = folder / "rows_1m.csv"
    write_scalar_rows(path, 1_000_000)
    g = gradcli_command()
    commands = {"--json": [*g, "eval", CSV_PROGRAM, "--data", str(path), "--json"],
                "--format csv": [*g, "eval", CSV_PROGRAM, "--data", str(path), "--format", "csv"]}
    report(f"eval --data over 10^6 CSV rows of {CSV_PROGRAM!r}, whole process", commands, repeats)


def read_part(folder: Path, repeats: int) -> None:
    import numpy as np

    from gradcli.analyses.batch import _numbers
    from gradcli.support.data_rows import DataReader

    path = folder / "rows_1m.csv"
    if not path.exists():
        write_scalar_rows(path, 1_000_000)

    def ours():
        reader = DataReader(str(path))
        reader.numbers(reader.header)  # every column binds an input, as in eval --data
        for chunk in reader.chunks():
            errors: dict = {}
            for name in reader.header:
                _numbers(chunk.cells[name], name, None, errors, set(), {})

    def theirs():
        np.loadtxt(str(path), delimiter=",", skiprows=1)

    lines = path.read_text().split("\n")[1:-1]

    def chunked():  # the floor of a reader that holds one chunk: loadtxt per 8,192 lines split beforehand
        for k in range(0, len(lines), 8192):
            np.loadtxt(lines[k:k + 8192], delimiter=",", ndmin=2, comments=None, quotechar=None)

    times: dict[str, list[float]] = {"gradcli's reader and parsing": [], "numpy.loadtxt": [],
                                     "loadtxt per 8,192 lines": []}
    for _ in range(repeats):
        for name, fn in zip(times, (ours, theirs, chunked)):
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    print(f"reading 10^6 CSV rows x 3 columns into float arrays, in process (median of {repeats}):")
    base = statistics.median(times["numpy.loadtxt"])
    for name, ts in times.items():
        t = statistics.median(ts)
        print(f"  {name:30} {t:7.3f} s  {t / base:5.2f}x")


def report(title: str, commands: dict, repeats: int) -> None:
    got = medians(commands, repeats)
    print(f"{title} (median of {repeats}):")
    base = next(iter(got.values()))[0]
    for name, (seconds, mb) in got.items():
        print(f"  {name:30} {seconds:7.3f} s {mb:6.0f} MB  {seconds / base:5.2f}x")


def main() -> None:
    parts = {"descend": (descend_part, 5), "eval": (eval_part, 5), "csv": (csv_part, 3), "read": (read_part, 9)}
    chosen = sys.argv[1:] or list(parts)
    with tempfile.TemporaryDirectory() as tmp:
        for name in chosen:
            fn, repeats = parts[name]
            fn(Path(tmp), repeats)


if __name__ == "__main__":
    main()
