"""gradcli plot and the chart module: f' sampled equals central differences, the tangent's slope is f'(x0),
the SVG parses as XML and holds the series, the terminal chart never cuts a number."""

from __future__ import annotations

import importlib.util
import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from rich.console import Console

from conftest import assert_error, central_difference, run, run_json
from gradcli.render.charts import chart_svg, line_chart


def f(x):
    return math.sin(2 * x) * x * x + math.exp(0.3 * x)


PROGRAM = "f = sin(a*x)*x^2 + exp(0.3*x)"  # at a = 2


@pytest.mark.parametrize("program", [PROGRAM, "g = sum([sin(a*x), 0])*x^2 + exp(0.3*x)"])  # scalar, array ops
def test_the_sampled_derivative_is_the_central_difference(program):
    data = run_json("plot", program, "a=2", "--x", "-2:3", "--samples", "26", "--json")
    assert data["x"] == pytest.approx(np.linspace(-2, 3, 26).tolist())
    for x, value, slope in zip(data["x"], data["f"], data["df"]):
        assert value == pytest.approx(f(x), rel=1e-12, abs=1e-12)
        assert slope == pytest.approx(central_difference(f, [x], 0), rel=1e-6, abs=1e-6)


def test_the_tangents_slope_is_the_derivative_at_x0():
    data = run_json("plot", PROGRAM, "a=2", "--x", "-2:3", "--at", "0.7", "--json")
    tangent = data["tangent"]
    assert tangent["at"] == 0.7 and tangent["value"] == pytest.approx(f(0.7))
    assert tangent["slope"] == pytest.approx(central_difference(f, [0.7], 0), rel=1e-6)


def test_points_outside_the_domain_are_gaps():
    data = run_json("plot", "f = log(x)", "--x", "-1:3", "--samples", "5", "--json")
    assert data["f"][:2] == ["nan", "nan"] and data["df"][2:] == pytest.approx([1.0, 1 / 2, 1 / 3])


def _svg_series(svg: str) -> dict:
    """Each series' points mapped back from pixels to data by the plot's own attributes."""
    root = ET.fromstring(svg)
    ns = {"s": "http://www.w3.org/2000/svg"}
    plot = root.find(".//s:g[@class='plot']", ns)
    left, top, width, height = map(float, plot.get("data-plot").split())
    x0, x1 = map(float, plot.get("data-x-range").split())
    y0, y1 = map(float, plot.get("data-y-range").split())
    found = {}
    for group in plot.findall("s:g[@class='series']", ns):
        points = []
        for line in group.findall("s:polyline", ns):
            for pair in line.get("points").split():
                px, py = map(float, pair.split(","))
                points.append((x0 + (px - left) / width * (x1 - x0), y1 - (py - top) / height * (y1 - y0)))
        found[group.get("data-name")] = points
    return found


def test_the_svg_parses_and_holds_the_series(tmp_path):
    target = tmp_path / "f.svg"
    done = run("plot", PROGRAM, "a=2", "--x", "-2:3", "--samples", "11", "--at", "1", "-o", str(target))
    assert done.code == 0 and done.out == "", done.err
    series = _svg_series(target.read_text())
    assert list(series) == ["f", "df/dx", "tangent at x = 1"]
    xs = np.linspace(-2, 3, 11)
    span = max(map(f, xs)) - min(central_difference(f, [x], 0) for x in xs)
    for (x, y), ref in zip(series["f"], xs):
        assert x == pytest.approx(ref, abs=1e-3) and y == pytest.approx(f(ref), abs=1e-3 * span)
    for (x, y), ref in zip(series["df/dx"], xs):
        assert y == pytest.approx(central_difference(f, [ref], 0), abs=1e-3 * span)


def test_svg_text_is_escaped():
    svg = chart_svg({"a<b & \"c\"": [(0, 1), (1, 2)]}, title="<script>&")
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "<script>&" in texts and 'a<b & "c"' in texts


def test_png_needs_matplotlib(tmp_path):
    target = tmp_path / "f.png"
    if importlib.util.find_spec("matplotlib") is None:
        assert_error(["plot", PROGRAM, "a=2", "-o", str(target)], 2, "pip install matplotlib")
        assert not target.exists()
    else:
        assert run("plot", PROGRAM, "a=2", "-o", str(target)).code == 0
        assert target.read_bytes().startswith(b"\x89PNG\r\n")


@pytest.mark.parametrize("width", [30, 80, 200])
def test_the_terminal_chart_never_cuts_a_number(width):
    chart = line_chart({"loss": [(0, 123456.5), (10, -0.000123), (20, 3.5)]}, x_label="step")
    console = Console(width=width, record=True, color_system=None)
    console.print(chart)
    text = console.export_text()
    for label in ("1.235e+05", "-0.000123", "6.173e+04", "0", "20"):
        assert label in text
    assert any("\u2800" < ch <= "\u28ff" for ch in text)  # braille dots


@pytest.mark.parametrize("args, words", [
    (["f = x^2", "--x", "3"], "write the range as LOW:HIGH"),
    (["f = x^2", "--x", "a:b"], "write the range as LOW:HIGH"),
    (["f = x^2", "--x", "3:1"], "the low end must be below the high end"),
    (["f = x*y"], "more than one free input (x, y)"),
    (["f = [x, x^2]"], "is an array of shape (2,)"),
    (["f = x^2", "--at", "5"], "--at 5 is outside --x -3:3"),
    (["f = x^2", "-o", "f.pdf"], "written as .svg or .png"),
    (["f = x^2", "--json", "-o", "f.svg"], "ask for two outputs"),
])
def test_bad_plots_are_one_line_and_exit_2(args, words):
    assert_error(["plot", *args], 2, words)


@pytest.mark.parametrize("colours, words", [(None, ["loss (solid)", "validation loss (dotted)"]),
                                            ("truecolor", ["⣿⣿ loss", "⣿⣿ validation loss"])])
def test_series_are_told_apart_with_or_without_colour(colours, words):
    chart = line_chart({"loss": [(0, 2.3), (50, 0.4)], "validation loss": [(0, 2.4), (50, 0.6)]})
    console = Console(width=60, record=True, color_system=colours)
    console.print(chart)
    text = console.export_text()
    assert all(word in text for word in words)


@pytest.mark.parametrize("args, fragment", [
    (["f = sum(W[:, 0])", "W=[[1, 2, 3]]"], "W is bound to an array of shape (1, 3)"),
    (["f = sum(W[1:, ::2])"], "W[1:, ::2]: 2 indices for a scalar"),
    (["f = sum(pad(W, 1) * 2)"], "pad takes an array, not a number"),
])
def test_a_program_that_needs_an_array_where_the_x_axis_is_a_number(args, fragment):
    assert_error(["plot", *args], 2, fragment)


def test_svg_legend_entries_do_not_overlap_and_wrap_and_log_ticks_fill_a_decade():
    import xml.etree.ElementTree as ET

    from gradcli.render.charts import CHARACTER, chart_svg

    names = ["minibatch loss", "loss over the training rows", "held-out loss", "a fourth series with a long name",
             "and a fifth"]
    series = {name: [(0, 0.7 / (k + 1)), (10, 0.02 * (k + 1))] for k, name in enumerate(names)}
    root = ET.fromstring(chart_svg(series, log_y=True))
    ns = "{http://www.w3.org/2000/svg}"
    texts = [t for t in root.iter(f"{ns}text") if t.text in names]
    rows: dict = {}
    for t in texts:
        rows.setdefault(float(t.get("y")), []).append((float(t.get("x")), t.text))
    assert len(rows) >= 2 and float(root.get("height")) > 440  # wrapped, and the picture grew
    for entries in rows.values():
        entries.sort()
        for (x, name), (nxt, _) in zip(entries, entries[1:]):
            assert x + CHARACTER * len(name) <= nxt
    ticks = {t.text for t in root.iter(f"{ns}text")}
    assert {"0.05", "0.1", "0.2", "0.5"} <= ticks
