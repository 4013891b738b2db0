"""No terminal width cuts a number: every number a view shows is whole on one line, at 40 to 200 columns.

Each case runs a command twice, with --json and for people; every number the
JSON holds that the view shows (in the views' own short() form) must appear in
the table text as a whole word, never cropped (``-0.19…``) or left blank.
"""

import re

import numpy as np
import pytest

from conftest import SAMPLES, run, run_json
from gradcli.support.numbers import short

NEURON = ["-f", str(SAMPLES / "sigmoid_neuron.grad")]
BAYDIN = ["-f", str(SAMPLES / "baydin_trace.grad")]
WIDE = "y = " + " + ".join(f"sin(x{i})*{i}.37" for i in range(1, 21))  # a 1x20 Jacobian
WIDE_ARGS = [WIDE, *[f"x{i}={i}.1" for i in range(1, 21)]]


def eval_numbers(d):
    return [d["value"], *d["gradient"].values(), *[n["value"] for n in d["nodes"]],
            *[n["adjoint"] for n in d["nodes"]]]


def jacobian_numbers(d):
    return [*d["values"].values(), *[v for row in d["jacobian"] for v in row]]


def check_numbers(d):
    found = [d["value"]]
    for c in d["inputs"].values():
        found += [c["value"], c["analytic"], (c["numeric"], 10), (c["abs_error"], ".2e"), (c["rel_error"], ".2e")]
    return found


def steps_numbers(d):
    found = [d["value"], *d["gradient"].values()]
    for s in d["steps"]:
        found += [s["value"], s["upstream"], *[o["local"] for o in s["operands"]],
                  *[o["contribution"] for o in s["operands"]]]
    return found


def trace_numbers(d):
    return [d["value"], *[r[k] for r in d["trace"] for k in ("value", "tangent", "adjoint")]]


def paths_numbers(d):
    found = [d["value"]]
    for item in d["inputs"].values():
        found += [item["gradient"], item["listed_sum"]]
        for p in item["paths"]:
            found += [p["product"], *p["partials"]]
    return found


def graph_numbers(d):
    return [d["value"], *[n["value"] for n in d["nodes"]], *[n["adjoint"] for n in d["nodes"] if n["adjoint"] is not None]]


def descend_numbers(lines):
    done = lines[-1]
    return [done["loss"], done["start"]["loss"], *done["values"].values(), *done["start"]["values"].values(),
            *done["gradient"].values()]


CASES = {
    "eval --all": (["eval", *NEURON, "--all"], eval_numbers),
    "jacobian 1x20": (["jacobian", *WIDE_ARGS], jacobian_numbers),
    "jacobian 3x2": (["jacobian", "y1 = x1*x2; y2 = sin(x1) + x2; y3 = x1*3", "x1=2", "x2=5"], jacobian_numbers),
    "check": (["check", *NEURON], check_numbers),
    "check wide": (["check", *WIDE_ARGS], check_numbers),
    "explain --steps": (["explain", "--steps", *NEURON], steps_numbers),
    "explain --trace": (["explain", "--trace", *BAYDIN, "--tangent", "x1", "--adjoint"], trace_numbers),
    "explain --paths": (["explain", "--paths", *BAYDIN], paths_numbers),
    "explain --graph": (["explain", "--graph", *NEURON], graph_numbers),
    "descend": (["descend", "-f", str(SAMPLES / "line_fit.grad"), "--data", str(SAMPLES / "line_fit.csv"),
                 "--steps", "7"], descend_numbers),
}


def shown(number) -> str:
    number, form = number if isinstance(number, tuple) else (number, None)
    if form is None:
        return short(number)
    return short(number, form) if isinstance(form, int) else format(number, form)


@pytest.mark.parametrize("width", [40, 60, 80, 200])
@pytest.mark.parametrize("case", list(CASES))
def test_every_number_is_whole(monkeypatch, case, width):
    args, numbers = CASES[case]
    data = run(*args, "--json")
    assert data.code == 0, data.err
    lines = data.out.splitlines()
    expected = numbers(data.json() if len(lines) == 1 else data.json_lines())
    monkeypatch.setenv("COLUMNS", str(width))
    result = run(*args)
    assert result.code == 0, result.err
    assert max(len(line) for line in result.out.splitlines()) <= width
    assert "…" not in result.out or case == "explain --paths"  # paths elide long routes, not numbers
    for number in expected:
        text = shown(number)
        assert re.search(rf"(?<![\w.]){re.escape(text)}(?![\w.])", result.out), (text, result.out)


def test_a_table_too_wide_to_split_is_folded_one_row_a_block():
    """Key column and one more do not fit in 40 cells: each row becomes `header: cell` lines."""
    from rich.console import Console

    from gradcli.render.tables import FitTable

    table = FitTable(title="t")
    table.add_column("name")
    table.add_column("value", justify="right")
    table.add_row("a_name_that_is_thirty_cells_wide", "-0.196611933241")
    console = Console(width=40, file=None, record=True)
    with console.capture() as capture:
        console.print(table)
    out = capture.get()
    assert "a_name_that_is_thirty_cells_wide\nvalue: -0.196611933241" in out


def flat(v):
    return [float(x) for x in np.ravel(v)] if isinstance(v, list) else [v]


@pytest.mark.parametrize("width", [40, 60, 80, 200])
def test_an_array_eval_keeps_every_number_whole(monkeypatch, width):
    """Grids in the eval table (or one under another when the table does not fit) never cut a number."""
    args = ["eval", "q = W @ x; f = sum(q*q)", "W=[[0.1, 0.5], [-0.3, 0.8]]", "x=[0.2, 0.4]", "--all"]
    data = run_json(*args, "--json")
    expected = [x for v in eval_numbers(data) for x in flat(v)]
    worked = [0.116, 0.22, 0.26, 0.088, 0.176, 0.104, 0.208, -0.112, 0.636]  # f = ||W x||^2 by hand
    assert all(any(abs(x - w) < 1e-12 for x in expected) for w in worked)
    monkeypatch.setenv("COLUMNS", str(width))
    out = run(*args).out
    assert max(len(line) for line in out.splitlines()) <= width and "…" not in out
    for number in expected:
        assert re.search(rf"(?<![\w.]){re.escape(short(number))}(?![\w.])", out), (number, out)
