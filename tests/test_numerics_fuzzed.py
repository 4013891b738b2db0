"""Inputs a fuzzer found: each gets a clear error or an answer, never an internal error."""

from __future__ import annotations

import math

import numpy as np
import pytest

from conftest import assert_error, run, run_json


def test_atan2_kink_test_at_its_origin():
    """With h = 1, t - h = 0: atan2's partials are undefined at (0, 0); the step straddles a kink."""
    r = run_json("check", "f = atan2(t, t)", "t=1", "--eps", "1", "--json")
    data = r["inputs"]["t"]
    assert data["status"] == "kink"
    # atan2(t, t) is pi/4 for t > 0, -3pi/4 for t < 0: the analytic slope is 0
    assert data["analytic"] == 0.0
    assert data["numeric"] == pytest.approx((math.atan2(2, 2) - 0.0) / 2)


def test_empty_npy_is_a_binding_error(tmp_path):
    path = tmp_path / "empty.npy"
    path.write_bytes(b"")
    r = assert_error(["eval", "f = sum(x)", f"x=@{path}"], 2, "empty")
    assert "interrupted" not in r.err


def test_npz_named_npy_says_what_it_is(tmp_path):
    path = tmp_path / "arrays.npy"
    with open(path, "wb") as f:
        np.savez(f, weights=np.arange(3.0))
    assert_error(["eval", "f = sum(x)", f"x=@{path}"], 2, ".npz archive", "weights")


def test_cut_npz_is_a_binding_error(tmp_path):
    whole = tmp_path / "whole.npz"
    np.savez(whole, a=np.arange(3.0))
    path = tmp_path / "cut.npy"
    path.write_bytes(whole.read_bytes()[:20])
    r = assert_error(["eval", "f = sum(x)", f"x=@{path}"], 2)
    assert "internal error" not in r.err


@pytest.mark.parametrize("array_form, scalar_form, words", [
    (("f = sum(1/x)", "x=[1,0]"), ("f = 1/x", "x=0"), "divides by zero"),
    (("f = sum(x/y)", "x=[1,2]", "y=0"), ("f = x/y", "x=1", "y=0"), "divides by zero"),
    (("f = sum(exp(x))", "x=[1,1000]"), ("f = exp(x)", "x=1000"), "overflows"),
    (("f = sum(log(x))", "x=[1,0]"), ("f = log(x)", "x=0"), "is undefined"),
])
def test_an_array_element_fails_in_the_scalar_words(array_form, scalar_form, words):
    for args in (array_form, scalar_form):
        r = run("eval", *args)
        assert r.code == 1, r.err
        assert words in r.err, (args, r.err)
