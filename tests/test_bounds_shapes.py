"""Sizes are bounded when the program is read: an array above --max-elements is refused, with its size, at its node."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import assert_error, run, run_json
from gradcli.core import array_rules

N = 100_000  # two vectors of 10^5: 800 KB each; their outer product would be 74.5 GiB


@pytest.fixture
def big(tmp_path):
    v = np.linspace(0.0, 1.0, N)
    paths = {"x": v, "z": v, "c": v.reshape(-1, 1), "r": v.reshape(1, -1)}
    for name, value in paths.items():
        np.save(tmp_path / f"{name}.npy", value)
    return {name: f"{name}=@{tmp_path / name}.npy" for name in paths}


@pytest.mark.parametrize("program, names, column, text", [
    ("y = sum(outer(x, z))", "xz", 9, "outer(x, z)"),
    ("y = sum(c @ r)", "cr", 11, "c @ r"),
    ("y = sum(c + r)", "cr", 11, "c + r"),
    ("y = 1 + sum(2 * outer(x, z))", "xz", 17, "outer(x, z)"),
])
def test_a_result_above_the_limit_is_refused_at_its_node(big, program, names, column, text):
    result = assert_error(["eval", program, *(big[n] for n in names)], 2)
    first = result.err.splitlines()[0]
    assert first.startswith(f"gradcli: error: 1:{column}: {text}: the result would be ({N}, {N})")
    assert f"{N * N:,} elements (74.5 GiB of float64)" in first
    assert f"the limit is {2 ** 27:,} elements (--max-elements N raises it)" in first
    assert "internal error" not in result.err


@pytest.mark.parametrize("limit, code", [(5, 2), (6, 0)])
def test_the_limit_is_an_option(limit, code):
    data = run_json("eval", "--json", "y = sum(outer(x, z))", "x=[1, 2]", "z=[1, 2, 3]", "--max-elements", str(limit),
                    code=code)
    if code == 0:
        assert data["value"] == 3 * 6  # sum_i x_i * sum_j z_j
    else:
        assert data["error"]["kind"] == "limit"
        assert "6 elements (48 bytes of float64); the limit is 5 elements" in data["error"]["message"]


def test_a_constant_literal_is_bounded_too():
    assert_error(["eval", "y = sum(x * [1, 2, 3, 4])", "x=2", "--max-elements", "3"], 2, "4 elements")


def test_memory_error_anywhere_is_one_clean_line(monkeypatch):
    def no_memory(params, a, b):
        raise MemoryError("Unable to allocate 74.5 GiB for an array with shape (100000, 100000)")

    monkeypatch.setattr(array_rules.OUTER, "forward", no_memory)
    result = assert_error(["eval", "y = sum(outer(x, z))", "x=[1, 2]", "z=[1, 2, 3]"], 1)
    assert result.err.splitlines() == ["gradcli: error: out of memory (Unable to allocate 74.5 GiB for an array "
                                       "with shape (100000, 100000)); try smaller inputs or a lower --max-elements"]


def test_the_limit_ends_with_its_command():
    from gradcli.autodiff.loading import load
    from gradcli.support.limits import DEFAULT_MAX_ELEMENTS, max_elements

    assert run("eval", "y = sum(x)", "x=[1, 2]", "--max-elements", "2").code == 0
    assert max_elements() == DEFAULT_MAX_ELEMENTS
    assert load("y = sum(outer(x, x))", ["x=[1, 2, 3]"]).arrays  # 9 elements: within the default
