"""The views registry, walked: every command's views, every format each supports, on a small program.

Each view's output in each of its formats must hold the numbers the program's
derivatives have, computed here by central differences (not by gradcli); a
format a view does not support is a usage error (exit 2) in one line naming the
ones it does.  A new view or format fails here until it has a case below.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys

import click
import pytest

from conftest import central_difference, run
from gradcli.cli.app import COMMANDS
from gradcli.cli.present import present
from gradcli.render.views import FORMATS, VIEWS, resolve
from gradcli.support.errors import UsageError

PROGRAM = "f = x^2*y"  # at x=3, y=2


def f(x, y):
    return x * x * y


def g(x, y):
    return x * y


GRAD = [central_difference(f, [3.0, 2.0], i) for i in range(2)]  # 12, 9
GRAD_ROW1 = [central_difference(f, [1.0, 5.0], i) for i in range(2)]  # 10, 1
JAC_G = [central_difference(g, [3.0, 2.0], i) for i in range(2)]  # 2, 3
HESSIAN = [central_difference(lambda x, y: central_difference(f, [x, y], i, 1e-4), [3.0, 2.0], j, 1e-4)
           for i in range(2) for j in range(2)]  # 4, 6, 6, 0
LOSS_SLOPE = central_difference(lambda w: (w - 3) ** 2, [0.6], 0)  # -4.8 after one step from w=0
ELEMENT = central_difference(lambda w01: 1 + w01 * w01 + 9 + 16, [2.0], 0)  # d sum(W*W) / d W[0,1] = 4


def cases(data: str) -> dict:
    """(command, view) -> (arguments, reference numbers, words, formats whose output shows the numbers)."""
    point = [PROGRAM, "x=3", "y=2"]
    two = ["y1 = x^2*y; y2 = x*y"]
    return {
        ("eval", "eval"): (["eval", *point], GRAD, (), None),
        ("eval", "rows"): (["eval", PROGRAM, "--data", data], GRAD + GRAD_ROW1, (), None),
        ("eval", "value"): (["eval", "q = [x*y, x^2]", "x=3", "y=2"], [3.0 * 2.0, 3.0 ** 2], ("sum(q)",), {"json"}),
        ("jacobian", "jacobian"): (["jacobian", *two, "x=3", "y=2"], GRAD + JAC_G, (), None),
        ("jacobian", "rows"): (["jacobian", *two, "--data", data], GRAD + JAC_G + GRAD_ROW1, (), None),
        ("check", "check"): (["check", *point], GRAD, ("pass",), None),
        ("check", "against"): (["check", *point, "--against", "d_x = 2*x*y; d_y = x^2"], [], ("good",), set()),
        ("check", "rows"): (["check", PROGRAM, "--data", data], GRAD + GRAD_ROW1, ("pass",), {"json"}),
        ("descend", "descend"): (["descend", "L = (w - 3)^2", "w=0", "--steps", "1"], [LOSS_SLOPE], (), None),
        ("graph", "graph"): (["graph", *point], GRAD, (), {"dot", "mermaid", "json", "svg"}),
        ("graph", "page"): (["graph", *point], GRAD, ("gradcliPage",), None),
        ("derive", "derive"): (["derive", PROGRAM], [], ("d_x", "d_y"), set()),  # numbers: test_derived_...
        ("quiz", "quiz"): (["quiz", "--level", "2", "--seed", "7", "--answers"], [-3.0, -8.0], ("d_q",), None),
        ("quiz", "graded"): (["quiz", "--level", "2", "--seed", "7", "--grade", "d_q = -3; d_y = -3; d_x = -8"], [],
                             ("good",), set()),
        ("hessian", "hessian"): (["hessian", *point], GRAD + HESSIAN, (), None),
        # |df/dx| and |df/dy| are each parameter's gradient norm
        ("health", "health"): (["health", *point], GRAD, ("update/weight ratio",), None),
        # df/dx at x = 3 is the tangent's slope, and a sample of f' (x = 2, 3, 4)
        ("plot", "plot"): (["plot", "f = x^2*y", "y=2", "--x", "2:4", "--samples", "3", "--at", "3"], GRAD[:1],
                           ("tangent",), {"table", "json"}),
        ("hessian", "hvp"): (["hessian", *point, "--vector", "x=1"], [HESSIAN[0], HESSIAN[2]], (), None),
        ("explain", "paths"): (["explain", "--paths", *point], GRAD, (), None),
        ("explain", "steps"): (["explain", "--steps", *point], GRAD, (), None),
        ("explain", "trace"): (["explain", "--trace", "--adjoint", *point], GRAD, (), None),
        ("explain", "graph"): (["explain", "--graph", *point], GRAD, (), None),
        ("explain", "rules"): (["explain", "--rules", *point], GRAD, ("constant multiple rule",), None),
        ("explain", "element"): (["explain", "--paths", "--element", "W[0,1]", "f = sum(W*W)", "W=[[1,2],[3,4]]"],
                                 [ELEMENT], (), None),
    }


WALK = [(command, view, fmt) for command, views in VIEWS.items() for view in views for fmt in view.formats]


def test_every_command_has_its_views_and_every_view_a_case(tmp_path):
    assert set(VIEWS) == set(COMMANDS)
    assert {(command, view.name) for command, views in VIEWS.items() for view in views} == set(cases(""))


@pytest.mark.parametrize("command, view", [(c, v) for c, views in VIEWS.items() for v in views])
def test_each_renderer_is_a_registered_format_and_loads(command, view):
    assert set(view.formats) <= set(FORMATS)
    for target in [*view.renderers.values(), view.compute, view.outcome]:
        if target is not None:
            assert callable(resolve(target)), target


def _numbers(value) -> list[float]:
    """Every number in a JSON value, at any depth."""
    found, todo = [], [value]
    while todo:
        item = todo.pop()
        if isinstance(item, dict):
            todo += item.values()
        elif isinstance(item, list):
            todo += item
        elif isinstance(item, (int, float)) and not isinstance(item, bool):
            found.append(float(item))
    return found


def _shown(number: float, text: str) -> bool:
    """``number`` as people read it (6 significant digits) stands alone somewhere in ``text``."""
    shown = f"{round(number, 6) + 0.0:g}"
    return re.search(rf"(?<![0-9.]){re.escape(shown)}(?![0-9])", text) is not None


@pytest.mark.parametrize("command, view, fmt", [pytest.param(*w, id="-".join(w[:1] + (w[1].name, w[2])))
                                                for w in WALK])
def test_each_supported_format_shows_the_numbers(tmp_path, command, view, fmt):
    data = tmp_path / "points.csv"
    data.write_text("x,y\n3,2\n1,5\n")
    args, refs, words, numeric = cases(str(data))[(command, view.name)]
    asked = FORMATS[fmt].asked.split()
    if fmt == "png" and command == "graph" and shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed (.ci/run installs it)")
    if fmt == "png" and command == "plot" and importlib.util.find_spec("matplotlib") is None:
        pytest.skip("matplotlib is not installed (PNG charts need it; test_charts.py checks the hint)")
    if fmt == "png":
        target = tmp_path / "graph.png"
        done = run(*args, *asked, "-o", str(target))
        assert done.code == 0 and done.out == "" and target.read_bytes().startswith(b"\x89PNG\r\n")
        return
    done = run(*args, *asked)
    assert done.code == 0, done.err
    assert done.out.strip()
    for word in words:
        assert word in done.out or fmt == "latex"  # LaTeX writes d_x as a fraction
    if numeric is not None and fmt not in numeric:
        return
    if fmt == "json":
        values = _numbers([json.loads(line) for line in done.out.splitlines()])
        for ref in refs:
            assert any(v == pytest.approx(ref, rel=1e-6, abs=1e-6) for v in values), (ref, done.out)
    else:
        for ref in refs:
            assert _shown(ref, done.out), (ref, done.out)


@pytest.mark.parametrize("fmt", VIEWS["derive"][0].formats)
def test_derived_programs_give_the_central_differences(fmt, tmp_path):
    """derive's text, and the program in its JSON, evaluated at a point: the gradient there."""
    done = run("derive", PROGRAM, *FORMATS[fmt].asked.split())
    if fmt == "latex":
        assert r"\frac{\partial f}{\partial x} &= 2 \cdot" in done.out
        return
    if fmt == "numpy":  # a Python function, run by Python with the point written in
        script = tmp_path / "derived.py"
        script.write_text(done.out)
        ran = subprocess.run([sys.executable, str(script), "3", "2"], capture_output=True, text=True, check=True)
        shown = dict(line.split(" ", 1) for line in ran.stdout.splitlines())
        assert [float(shown["df/dx"]), float(shown["df/dy"])] == pytest.approx(GRAD, rel=1e-6)
        return
    program = done.json()["program"] if fmt == "json" else done.out
    for name, ref in zip(["d_x", "d_y"], GRAD):
        value = run("eval", "-f", "-", "--of", name, "x=3", "y=2", "--json", input=program).json()["value"]
        assert value == pytest.approx(ref, rel=1e-6)


@pytest.mark.parametrize("command, view, fmt", [(c, v, fmt) for c, views in VIEWS.items() for v in views
                                                for fmt in FORMATS if fmt not in v.formats])
def test_an_unsupported_format_is_a_usage_error_naming_the_supported_ones(capsys, command, view, fmt):
    with pytest.raises(UsageError) as caught:
        present(click.Context(click.Command(command)), view, None, fmt)
    error = caught.value
    assert error.exit_code == 2 and "\n" not in error.message
    assert f"no {fmt} output" in error.message and all(f in error.message for f in view.formats)
    assert capsys.readouterr() == ("", "")  # refused before anything is written


@pytest.mark.parametrize("args", [["explain", "--steps", "--latex"], ["hessian", "--latex"],
                                  ["eval", "--format", "dot"]])
def test_an_unsupported_format_on_the_command_line_is_one_line_and_exit_2(args):
    done = run(*args, PROGRAM, "x=3", "y=2")
    assert done.code == 2 and done.out == "" and len(done.err.strip().splitlines()) == 1


OPTION_VALUES = {"max_paths": ["3"], "tangent": ["x"], "adjoint": []}


@pytest.mark.parametrize("view", [v for v in VIEWS["explain"] if v.options and v.compute], ids=lambda v: v.name)
def test_a_views_option_without_the_view_names_the_view(view):
    other = next(v for v in VIEWS["explain"] if v.compute and not v.options)
    for name in view.options:
        flag = "--" + name.replace("_", "-")
        done = run("explain", other.flag, flag, *OPTION_VALUES[name], PROGRAM, "x=3", "y=2")
        assert done.code == 2 and done.out == "" and len(done.err.strip().splitlines()) == 1
        assert flag in done.err and done.err.strip().endswith(f"with {view.flag}")
