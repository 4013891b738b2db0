"""The interactive page in a real browser (headless Chromium through selenium): it renders without console
errors, steps the forward pass (values) and the backward pass (gradients) onto the nodes with the numbers
that `gradcli graph --json` and `gradcli eval --json` give, shows an input's paths and their sum, an array's
matrices, collapses chains, zooms.  Skipped only where Chromium, chromedriver or selenium is missing
(.ci/run installs them)."""

import json
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest

from conftest import SAMPLES, run, run_json

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver") or next(
    (p for p in ("/usr/lib/chromium/chromedriver", "/usr/bin/chromedriver") if Path(p).exists()), None)
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install '.[test]')")
if CHROMIUM is None or DRIVER is None:
    pytest.skip("Chromium or chromedriver is not installed (apt-get install chromium chromium-driver)",
                allow_module_level=True)

from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

NEURON = str(SAMPLES / "sigmoid_neuron.grad")


@pytest.fixture(scope="module")
def browser():
    profile = tempfile.mkdtemp(prefix="gradcli-chromium-")
    options = webdriver.ChromeOptions()
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                "--window-size=1400,800"):
        options.add_argument(arg)
    options.binary_location = CHROMIUM
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def open_page(browser, tmp_path, *args, name="page.html"):
    target = tmp_path / name
    done = run(*args, "-o", str(target))
    assert done.code == 0, done.err
    browser.get(target.as_uri())
    browser.get_log("browser")  # only this page's entries from here on
    return target


def severe(browser) -> list:
    return [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def numbers(text: str) -> list[float]:
    return [float(t) for t in re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]\d+)?", text)]


def shown(browser, node_id: str, cls: str):
    """A node's value or adjoint text as drawn, or None while it is hidden."""
    element = browser.find_element(By.CSS_SELECTOR, f"#{node_id} text.{cls}")
    return element.get_attribute("textContent") if element.is_displayed() else None


def test_the_neuron_steps_forward_then_backward_with_gradcli_s_numbers(browser, tmp_path):
    open_page(browser, tmp_path, "graph", "-f", NEURON, "--format", "html")
    data = run_json("graph", "-f", NEURON, "--json")
    graded = run_json("eval", "-f", NEURON, "--json")
    variables = [n for n in data["nodes"] if n["kind"] != "const"]  # the constants 1 are drawn per use
    assert all(shown(browser, n["id"], "val") is None and shown(browser, n["id"], "adj") is None for n in variables)
    step = browser.find_element(By.ID, "step")
    for k, node in enumerate(variables):  # the forward pass, by the button: values in tape order
        step.click()
        assert numbers(shown(browser, node["id"], "val")) == [pytest.approx(node["value"], rel=1e-5)]
        assert "active" in browser.find_element(By.ID, node["id"]).get_attribute("class")
        later = variables[k + 1:]
        assert all(shown(browser, n["id"], "val") is None for n in later)
    assert "Forward pass done" in browser.find_element(By.ID, "rule-text").text
    body = browser.find_element(By.TAG_NAME, "body")
    for k, node in enumerate(reversed(variables)):  # the backward pass, by the keyboard: from the output back
        body.send_keys(Keys.ARROW_RIGHT)
        text = shown(browser, node["id"], "adj")
        assert text.startswith(f"df/d{node['label']} =")
        assert numbers(text.split("=")[1]) == [pytest.approx(node["adjoint"], rel=1e-5)]
        if node["kind"] == "input":
            assert node["adjoint"] == pytest.approx(graded["gradient"][node["label"]], rel=1e-12)
    rule = browser.find_element(By.ID, "rule-text").text
    assert f"df/d{variables[0]['label']} =" in rule and "upstream" in rule  # the last step: the first input
    body.send_keys(Keys.ARROW_LEFT)  # back: the last gradient is hidden again
    assert shown(browser, variables[0]["id"], "adj") is None
    assert severe(browser) == []


def test_a_backward_step_shows_upstream_times_local(browser, tmp_path):
    """Ng's chain at u = b*c: dJ/du = dJ/dv x dv/du = 3 x 1; at b: dJ/db = dJ/du x c = 3 x 2 = 6."""
    open_page(browser, tmp_path, "graph", "u = b*c; v = a + u; J = 3*v", "a=5", "b=3", "c=2", "--format", "html")
    page = browser.execute_script("return [window.gradcliPage.forward, window.gradcliPage.backward]")
    assert page == [6, 6]  # a, b, c, u, v, J forward; J, v, u, c, b, a backward
    browser.execute_script("window.gradcliPage.go(6 + 3)")  # J, v, u
    lines = browser.find_element(By.ID, "rule-text").text.splitlines()
    assert lines[1].startswith("dJ/du = dJ/dv × ∂v/∂u")
    assert numbers(lines[2]) == [3, 1] and numbers(lines[3]) == [3]
    browser.execute_script("window.gradcliPage.go(6 + 5)")  # then c, b
    lines = browser.find_element(By.ID, "rule-text").text.splitlines()
    assert numbers(lines[2]) == [3, 2] and numbers(lines[3]) == [6]
    used = browser.find_elements(By.CSS_SELECTOR, ".edge.used-bwd")
    assert [(e.get_attribute("data-from"), e.get_attribute("data-to")) for e in used] == [("n1", "n3")]
    assert severe(browser) == []


def test_clicking_an_input_shows_its_paths_and_their_sum(browser, tmp_path):
    """Olah's e = (a + b)(b + 1) at a=2, b=1: b has two paths, 1 x 2 and 1 x 3, summing to de/db = 5."""
    open_page(browser, tmp_path, "graph", "-f", str(SAMPLES / "olah_sum_product.grad"), "--format", "html")
    data = run_json("graph", "-f", str(SAMPLES / "olah_sum_product.grad"), "--json")
    b = next(n for n in data["nodes"] if n["label"] == "b")
    browser.find_element(By.CSS_SELECTOR, f"#{b['id']} rect").click()
    items = browser.find_elements(By.CSS_SELECTOR, "ol.paths li")
    assert sorted(json.loads(li.get_attribute("data-product")) for li in items) == [2, 3]
    assert numbers(browser.find_element(By.ID, "path-sum").text) == [5]
    on_path = browser.find_elements(By.CSS_SELECTOR, ".edge.on-path")
    assert len(on_path) == 4  # b -> c -> e and b -> d -> e
    detail = browser.find_element(By.ID, "detail-text").text
    assert "2 paths" in detail and "de/db = 5" in detail
    assert severe(browser) == []


def test_the_neuron_s_path_sums_equal_eval_s_gradient(browser, tmp_path):
    open_page(browser, tmp_path, "explain", "--html", "-f", NEURON)
    graded = run_json("eval", "-f", NEURON, "--json")["gradient"]
    data = run_json("graph", "-f", NEURON, "--json")
    for n in data["nodes"]:
        if n["kind"] == "input":
            browser.execute_script(f"window.gradcliPage.show('{n['id']}')")
            assert numbers(browser.find_element(By.ID, "path-sum").text) == [
                pytest.approx(graded[n["label"]], rel=1e-5)]
    assert severe(browser) == []


def test_an_array_node_shows_its_matrices(browser, tmp_path):
    """f = sum((W x)^2): df/dW = 2 (W x) x^T, by hand in numpy, in the table a click on W opens."""
    open_page(browser, tmp_path, "graph", "-f", str(SAMPLES / "norm_wx.grad"), "--format", "html")
    W, x = np.array([[0.1, 0.5], [-0.3, 0.8]]), np.array([0.2, 0.4])
    gradient = 2 * np.outer(W @ x, x)
    heads = browser.find_elements(By.CSS_SELECTOR, ".node text.head")
    w_head = next(h for h in heads if h.get_attribute("textContent").startswith("W  (2, 2)"))
    w_head.find_element(By.XPATH, "..").click()
    tables = browser.find_elements(By.CSS_SELECTOR, "#detail-text table.matrix")
    cells = [[float(td.text) for td in t.find_elements(By.TAG_NAME, "td")] for t in tables]
    assert cells[0] == pytest.approx(W.ravel().tolist())
    assert cells[1] == pytest.approx(gradient.ravel().tolist(), rel=1e-5)
    assert "shape (2, 2)" in browser.find_element(By.ID, "detail-text").text
    assert severe(browser) == []


def test_long_chains_collapse_and_open_and_the_view_zooms(browser, tmp_path):
    program = "y1 = sin(x); y2 = exp(y1); y3 = cos(y2); y4 = tanh(y3); f = y4 * x"
    open_page(browser, tmp_path, "graph", program, "x=0.5", "--format", "html")
    visible = lambda: sum(1 for g in browser.find_elements(By.CSS_SELECTOR, ".node") if g.is_displayed())
    before = visible()
    browser.find_element(By.ID, "collapse").click()
    assert visible() == before - 4  # y1..y4 behind one dashed edge
    shortcut = browser.find_element(By.CSS_SELECTOR, ".shortcut text")
    assert "4 nodes" in shortcut.get_attribute("textContent")
    browser.find_element(By.ID, "collapse").click()
    assert visible() == before
    width = browser.execute_script("return document.getElementById('graph').viewBox.baseVal.width")
    browser.execute_script("document.getElementById('graph').dispatchEvent(new WheelEvent('wheel', "
                           "{deltaY: -100, clientX: 100, clientY: 100, bubbles: true, cancelable: true}))")
    zoomed = browser.execute_script("return document.getElementById('graph').viewBox.baseVal.width")
    assert zoomed == pytest.approx(width * 0.85)
    browser.find_element(By.ID, "fit").click()
    assert browser.execute_script("return document.getElementById('graph').viewBox.baseVal.width") == width
    assert severe(browser) == []


def test_hostile_names_stay_text(browser, tmp_path):
    """Labels that hold </script>, markup and quotes (no program can name a node so, so the walkthrough is
    edited after the fact): the page runs no script of theirs and shows them as written."""
    from gradcli.analyses.walkthrough import walkthrough
    from gradcli.autodiff.loading import load
    from gradcli.render.page import graph_page

    w = walkthrough(load("f = x*y; x = 2; y = 3"))
    hostile = '</script><script>window.owned=1</script><b onclick="x">&amp;'
    x = next(n for n in w.graph.nodes if n.label == "x")
    x.label = x.title = hostile
    target = tmp_path / "hostile.html"
    target.write_text(graph_page(w), encoding="utf-8")
    browser.get(target.as_uri())
    assert browser.execute_script("return window.owned === undefined && !!window.gradcliPage")
    assert not browser.find_elements(By.CSS_SELECTOR, "#graph b")
    browser.execute_script(f"window.gradcliPage.show('{x.id}')")
    assert browser.find_element(By.CSS_SELECTOR, f"#{x.id} text.head").get_attribute("textContent") == hostile
    assert hostile in browser.find_element(By.ID, "detail-text").text
    assert severe(browser) == []


def test_a_large_graph_opens_readable_and_follows_the_steps(browser, tmp_path):
    """300 statements (about 700 nodes): the page opens at a readable scale, not shrunk to a line, and a
    step whose node is out of sight pans to it."""
    lines = ["x0 = 0.5", "y = 1.5"] + [f"x{i} = sin(x{i - 1})*y + x{i - 1}" for i in range(1, 301)]
    program = tmp_path / "long.grad"
    program.write_text("\n".join(lines))
    open_page(browser, tmp_path, "graph", "-f", str(program), "--format", "html")
    scale = browser.execute_script("var s = document.getElementById('graph'); "
                                   "return s.getBoundingClientRect().width / s.viewBox.baseVal.width")
    assert scale == pytest.approx(0.6, rel=0.01)
    browser.execute_script("window.gradcliPage.go(window.gradcliPage.forward)")  # the output's step: far right
    inside = browser.execute_script("""
        var box = document.querySelector('.node.active rect'), v = document.getElementById('graph').viewBox.baseVal;
        var cx = +box.getAttribute('x') + box.getAttribute('width') / 2;
        return [cx >= v.x && cx <= v.x + v.width, cx > 10 * v.width];""")
    assert inside == [True, True]
    assert severe(browser) == []
