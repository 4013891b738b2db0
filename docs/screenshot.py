"""Make docs/neuron_backward.png: the sigmoid neuron's page, mid-backward-pass, in headless Chromium.

    .venv/bin/python docs/screenshot.py        (needs Debian's chromium and chromium-driver, and selenium)

The page is written by `gradcli graph -f samples/sigmoid_neuron.grad --format html`, then stepped through the
forward pass and five steps of the backward pass (the gradient has reached v4 = v3 + w2).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="gradcli-shot-"))
    page = work / "neuron.html"
    subprocess.run([sys.executable, "-m", "gradcli", "graph", "-f", str(ROOT / "samples" / "sigmoid_neuron.grad"),
                    "--format", "html", "-o", str(page)], check=True, cwd=ROOT)
    options = webdriver.ChromeOptions()
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={work / 'profile'}",
                "--window-size=1700,440", "--hide-scrollbars"):
        options.add_argument(arg)
    options.binary_location = shutil.which("chromium") or "chromium"
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "chromedriver"), options=options)
    try:
        driver.get(page.as_uri())
        driver.execute_script("window.gradcliPage.go(window.gradcliPage.forward + 5)")
        driver.save_screenshot(str(ROOT / "docs" / "neuron_backward.png"))
    finally:
        driver.quit()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
