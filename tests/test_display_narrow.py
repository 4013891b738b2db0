"""Matrices at narrow widths: a matrix row is never split across lines, every number is whole.

Each view of ``q = W @ x; f = sum(q*q)`` (W of 2x2, 4x3 and 10x10) runs at 40 to
120 columns.  Every decimal number on screen must be one of the values a
person computes with numpy (W, x, q = W x, q*q, f = |q|^2, df/dq = 2q,
df/dW = 2 q xᵀ, df/dx = 2 Wᵀ q, and the halves each of the two paths through
q*q carries) to six digits: a cut number (``-1.3…``, ``0.1765``) matches none.
And a line that opens a row of numbers (``[0.1 0.5``) closes it.
"""

import re

import numpy as np
import pytest

from conftest import run

PROGRAM = "q = W @ x; f = sum(q*q)"
SHAPES = [(2, 2), (4, 3), (10, 10)]
VIEWS = {
    "eval --all": ["eval", "--all"],
    "steps": ["explain", "--steps"],
    "trace": ["explain", "--trace"],
    "paths": ["explain", "--paths"],
    "graph": ["explain", "--graph"],
    "jacobian": ["jacobian"],
}
NUMBER = re.compile(r"(?<![\w.])-?\d+\.\d+(?:e[-+]\d+)?(?![\w.])|(?<![\w.])-?\d+e[-+]\d+(?![\w.])")
WHOLE_ROW = re.compile(r"\[[\s\d.eE+\-…,]*\]")
OPEN_ROW = re.compile(r"\[\s*[-\d…]")
CLOSE_ROW = re.compile(r"[\d…]\s*\]")


def inputs(m: int, n: int):
    rng = np.random.default_rng(m * 100 + n)
    return np.round(rng.uniform(-1, 1, (m, n)), 2), np.round(rng.uniform(-1, 1, n), 2)


def literal(a) -> str:
    import json

    return json.dumps(np.asarray(a).tolist())


def expected_numbers(W, x) -> np.ndarray:
    q = W @ x
    grads = [2 * q, np.outer(2 * q, x), 2 * W.T @ q]
    values = [W, x, q, q * q, np.array([q @ q]), *grads, *[g / 2 for g in grads]]
    return np.concatenate([np.ravel(v) for v in values])


def split_rows(out: str) -> list[str]:
    """The lines that open a row of numbers without closing it, or close one they did not open."""
    bad = []
    for line in out.splitlines():
        rest = WHOLE_ROW.sub("", line)
        if OPEN_ROW.search(rest) or CLOSE_ROW.search(rest):
            bad.append(line)
    return bad


@pytest.mark.parametrize("width", [40, 60, 80, 120])
@pytest.mark.parametrize("view", list(VIEWS))
@pytest.mark.parametrize("dims", SHAPES, ids=lambda d: f"{d[0]}x{d[1]}")
def test_no_matrix_row_is_split_and_every_number_is_whole(monkeypatch, dims, view, width):
    W, x = inputs(*dims)
    monkeypatch.setenv("COLUMNS", str(width))
    result = run(*VIEWS[view], PROGRAM, f"W={literal(W)}", f"x={literal(x)}")
    assert result.code == 0, result.err
    assert not split_rows(result.out), result.out
    expected = expected_numbers(W, x)
    found = NUMBER.findall(result.out)
    assert found, result.out
    for text in found:
        value = float(text)
        assert np.any(np.abs(expected - value) <= 5e-6 * np.abs(value) + 1e-12), (text, result.out)
    assert max(len(line) for line in result.out.splitlines()) <= width, result.out


@pytest.mark.parametrize("view", ["paths", "graph", "steps", "trace"])
def test_a_matrix_keeps_its_columns_aligned(monkeypatch, view):
    """The second row of a 2x2 matrix starts one column right of the first's ``[[``, as numpy writes it."""
    monkeypatch.setenv("COLUMNS", "100")
    W, x = np.array([[0.1, 0.5], [-0.3, 0.8]]), np.array([0.2, 0.4])
    out = run(*VIEWS[view], PROGRAM, f"W={literal(W)}", f"x={literal(x)}").out
    lines = out.splitlines()
    pairs = [(a, b) for a, b in zip(lines, lines[1:]) if "[[" in a and re.search(r"\s\[[^\[]", b)]
    assert pairs, out
    for first, second in pairs:
        assert second.index("[", first.index("[[") - 1 if first.index("[[") else 0) == first.index("[[") + 1, out


def test_a_caption_wraps_at_the_terminal_not_at_the_table(monkeypatch):
    monkeypatch.setenv("COLUMNS", "30")  # the folded table is narrower than its caption
    out = run("check", "f = x*2", "x=1", "--eps", "1").out
    assert "h = 1, rtol 1e-05, atol 1e-08" in out, out


@pytest.mark.parametrize("width", [40, 60, 80, 120])
@pytest.mark.parametrize("view", [["check"], ["descend", "--steps", "2", "--wrt", "W"]], ids=["check", "descend"])
@pytest.mark.parametrize("dims", [(2, 2), (4, 1)], ids=["2x2", "4x1"])
def test_check_and_descend_keep_rows_whole(monkeypatch, dims, view, width):
    W, x = inputs(*dims)
    monkeypatch.setenv("COLUMNS", str(width))
    result = run(*view, PROGRAM, f"W={literal(W)}", f"x={literal(x)}")
    assert result.code in (0, 1), result.err
    assert not split_rows(result.out), result.out
    assert max(len(line) for line in result.out.splitlines()) <= width, result.out
