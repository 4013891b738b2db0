"""The interactive page's content (render/page.py), without a browser: the steps in tape order and back,
each backward rule's numbers (upstream x local, summed at a fork), the paths and their sums, JSON that
cannot leave its <script> block, a self-contained file, and the assets inside the package."""

import json
import re

import pytest

from conftest import SAMPLES, assert_error, run
from gradcli.analyses.walkthrough import walkthrough
from gradcli.autodiff.loading import load
from gradcli.render import page

OLAH = "c = a + b; d = b + 1; e = c*d"  # a=2, b=1: c=3, d=2, de/da = 2, de/db = d + c = 5


def data_of(program: str, **values):
    text = program + "".join(f"; {k} = {v}" for k, v in values.items())
    return page.page_data(walkthrough(load(text)))


def numbers(text: str) -> list[float]:
    return [float(t) for t in re.findall(r"(?<![\w/])-?\d+(?:\.\d+)?(?:e[-+]\d+)?", text)]


def test_forward_in_tape_order_backward_from_the_output():
    data = data_of(OLAH, a=2, b=1)
    labels = [data["nodes"][s["node"]]["label"] for s in data["forward"]]
    assert labels == ["a", "b", "c", "d", "e"]
    assert [data["nodes"][s["node"]]["label"] for s in data["backward"]] == ["e", "d", "c", "b", "a"]
    assert data["forward"][2]["rule"] == ["c = a+b", "with a = 2, b = 1", "c = 3"]


def test_a_fork_sums_upstream_times_local():
    """b feeds c (dc/db = 1) and d (dd/db = 1); de/dc = d = 2, de/dd = c = 3: 2 x 1 + 3 x 1 = 5."""
    data = data_of(OLAH, a=2, b=1)
    b = next(s for s in data["backward"] if data["nodes"][s["node"]]["label"] == "b")
    first, products, sums = b["rule"]
    assert "fork" in first and "de/dc × ∂c/∂b + de/dd × ∂d/∂b" in first
    assert numbers(products) == [2, 1, 3, 1]
    assert numbers(sums) == [2, 3, 5]
    assert len(b["edges"]) == 2


def test_paths_and_their_sums():
    data = data_of(OLAH, a=2, b=1)
    b_id = next(k for k, n in data["nodes"].items() if n["label"] == "b")
    paths = data["paths"][b_id]
    assert paths["count"] == "2" and sorted(p["product"] for p in paths["listed"]) == [2, 3]
    assert paths["pathSumText"] == "5" and paths["omitted"] == "0"
    for p in paths["listed"]:  # each path's edges run from b to e
        ends = [(data["edges"][e]["from"], data["edges"][e]["to"]) for e in p["edges"]]
        assert ends[0][0] == b_id and ends[-1][1] == data["outputId"]
        assert all(a[1] == b[0] for a, b in zip(ends, ends[1:]))


def test_many_paths_list_the_largest_and_count_them_exactly():
    """A ladder of 40 rungs: x has 2^40 paths; the page lists 20 and sums the rest from the count."""
    lines = ["h0 = x"] + [f"h{i} = h{i - 1}*a + h{i - 1}*b" for i in range(1, 41)] + ["f = h40", "x = 1", "a = 0.5",
                                                                                      "b = 0.25"]
    data = page.page_data(walkthrough(load("\n".join(lines))))
    x_id = next(k for k, n in data["nodes"].items() if n["label"] == "x")
    paths = data["paths"][x_id]
    assert paths["count"] == str(2 ** 40) and paths["capped"] and len(paths["listed"]) == 20
    assert paths["omitted"] == str(2 ** 40 - 20)
    assert float(paths["gradientText"]) == pytest.approx(0.75 ** 40, rel=1e-5)  # (a + b)^40


def test_json_cannot_leave_its_script_block():
    hostile = {"label": "</script><script>alert(1)</script>", "and": "&<>\u2028\u2029"}
    text = page.script_json(hostile)
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == hostile


def test_a_self_contained_page(tmp_path):
    target = tmp_path / "neuron.html"
    assert run("graph", "-f", str(SAMPLES / "sigmoid_neuron.grad"), "--format", "html", "-o", str(target)).code == 0
    html = target.read_text()
    assert html.startswith("<!DOCTYPE html>") and len(html.encode()) < 300_000
    assert not re.search(r"""(src|href)\s*=\s*["'](?!#)""", html)  # nothing fetched: no script, style or image
    assert "@import" not in html and "fetch(" not in html and "XMLHttpRequest" not in html
    assert "gradcliPage" in html  # the script is inline
    data = json.loads(re.search(r'<script type="application/json" id="gradcli-data">(.*?)</script>', html).group(1))
    assert data["valueText"] == "0.731059"


def test_explain_html_options(tmp_path):
    target = tmp_path / "p.html"
    done = run("explain", "--html", "-f", str(SAMPLES / "olah_sum_product.grad"), "--wrt", "b", "-o", str(target))
    assert done.code == 0, done.err
    data = json.loads(re.search(r'id="gradcli-data">(.*?)</script>', target.read_text()).group(1))
    assert [p["input"] for p in data["paths"].values()] == ["b"]  # --wrt picks the inputs whose paths are shown
    assert_error(["explain", "--html", "--steps", "y = x^2", "x=3", "-o", str(target)], 2, "--steps")
    assert_error(["explain", "--html", "--json", "y = x^2", "x=3"], 2, "--json")
    assert_error(["explain", "y = x^2", "x=3", "-o", str(target)], 2, "-o FILE goes with --html")


def test_html_is_refused_on_a_terminal_without_a_file(monkeypatch):
    import sys

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    from gradcli.cli import present
    from gradcli.render.views import view
    from gradcli.support.errors import UsageError

    with pytest.raises(UsageError, match="give -o FILE"):
        present.check_format(view("graph", "page"), "html", None)
    present.check_format(view("graph", "page"), "html", "page.html")


def test_the_assets_ship_with_the_package():
    from importlib import resources

    assets = resources.files("gradcli.render").joinpath("assets")
    assert "window.gradcliPage" in assets.joinpath("page.js").read_text()
    assert "#graph" in assets.joinpath("page.css").read_text()
    pyproject = (SAMPLES.parent / "pyproject.toml").read_text()
    assert '"gradcli.render" = ["assets/*.js", "assets/*.css"]' in pyproject
