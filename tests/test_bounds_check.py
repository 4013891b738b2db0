"""check samples the elements of large arrays (--sample N, seeded) and says how many evaluations it takes."""

from __future__ import annotations

import random
import time

import numpy as np
import pytest

from conftest import assert_error, run, run_json
from gradcli.analyses import checking
from gradcli.analyses.checking import sampled_elements

X = [round(0.1 * k - 2.0, 1) for k in range(40)]
VECTOR = "x=[" + ", ".join(str(v) for v in X) + "]"


def test_sample_sets_how_many_elements_are_checked():
    data = run_json("check", "--json", "f = sum(sin(x) * x)", VECTOR, "--sample", "5")
    assert (data["elements"], data["checked"], data["sampled"], data["evaluations"]) == (40, 5, True, 10)
    picked = sorted(random.Random(0).sample(range(40), 5))  # the documented seed
    assert list(data["inputs"]) == [f"x[{k}]" for k in picked]
    for k in picked:  # d/dx (sin x * x) = cos x * x + sin x
        assert data["inputs"][f"x[{k}]"]["analytic"] == pytest.approx(np.cos(X[k]) * X[k] + np.sin(X[k]), rel=1e-12)
    again = run_json("check", "--json", "f = sum(sin(x) * x)", VECTOR, "--sample", "5")
    assert list(again["inputs"]) == list(data["inputs"])


def test_the_table_says_it_sampled_k_of_n():
    result = run("check", "f = sum(x * x)", VECTOR, "--sample", "3")
    assert result.code == 0, result.err
    words = " ".join(result.out.split())
    assert "checked a fixed random sample of 3 of the 40 input elements (seed 0; --sample N sets its size), " \
           "6 evaluations" in words


def test_sample_on_a_program_of_numbers_is_an_error():
    assert_error(["check", "f = x * x", "x=3", "--sample", "3"], 2, "--sample applies to programs with arrays")


def test_the_sample_is_drawn_without_listing_every_element():
    sizes = [("a", 1), ("W", 3000 * 3000), ("b", 0), ("z", 7)]
    started = time.perf_counter()
    chosen = sampled_elements(sizes, 1000)
    assert time.perf_counter() - started < 0.5
    total = 1 + 3000 * 3000 + 7
    picked = sorted(random.Random(0).sample(range(total), 1000))
    expected = [("a", 0) if k == 0 else ("W", k - 1) if k <= 9_000_000 else ("z", k - 9_000_001) for k in picked]
    assert chosen == expected


def test_every_element_below_the_sample():
    assert sampled_elements([("a", 2), ("b", 0), ("c", 1)], 10) == [("a", 0), ("a", 1), ("c", 0)]


def test_a_long_check_says_its_evaluations_first(monkeypatch):
    monkeypatch.setattr(checking, "ANNOUNCE_SECONDS", 0.0)
    result = run("check", "f = sum(x * x)", VECTOR, "--sample", "4")
    assert result.code == 0
    first = result.err.splitlines()[0]
    assert first.startswith("gradcli: warning: checking 4 of 40 input elements takes 8 evaluations of the program")
    assert first.endswith("--sample N checks fewer")


def test_sample_with_data_on_a_program_of_numbers_is_one_usage_error(tmp_path):
    (tmp_path / "points.csv").write_text("x\n1\n2\n")
    result = assert_error(["check", "f = x * x", "--data", str(tmp_path / "points.csv"), "--sample", "3"], 2)
    assert result.err.splitlines() == ["gradcli: error: --sample applies to programs with arrays (it samples "
                                       "their elements); a program of numbers checks every input"]
