"""A float64 .npy file is used as loaded (no second copy); other dtypes still become float64;
pickles are still refused."""

import tracemalloc

import numpy as np
import pytest

from gradcli.support.errors import BindingError
from gradcli.support.files import read_value


def _peak_bytes(path) -> tuple[object, int]:
    tracemalloc.start()
    try:
        value = read_value(str(path))
        return value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("order", ["C", "F"])
def test_float64_file_loads_without_a_copy(tmp_path, order):
    a = np.asarray(np.random.default_rng(0).standard_normal((500, 400)), order=order)
    np.save(tmp_path / "a.npy", a)
    value, peak = _peak_bytes(tmp_path / "a.npy")
    assert np.array_equal(value, a)
    assert peak < 1.25 * a.nbytes, (peak, a.nbytes)


@pytest.mark.parametrize("dtype, kind", [("<i4", np.int64), (">f8", np.float64), ("<f4", np.float64),
                                         ("|u1", np.int64), (">i2", np.int64)])
def test_other_dtypes_become_float64_or_int64(tmp_path, dtype, kind):
    """Floats become float64; integers (labels, indices) int64, which carry no gradient."""
    a = np.arange(12).reshape(3, 4).astype(dtype)
    np.save(tmp_path / "a.npy", a)
    value = read_value(str(tmp_path / "a.npy"))
    assert value.dtype == kind and value.dtype.isnative
    assert np.array_equal(value, np.arange(12.0).reshape(3, 4))


def test_pickles_and_non_finite_refused(tmp_path):
    np.save(tmp_path / "o.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(BindingError, match="not a numeric .npy"):
        read_value(str(tmp_path / "o.npy"))
    bad = np.zeros((3, 2_000_000))
    bad[2, 1_999_999] = np.nan
    np.save(tmp_path / "n.npy", bad)
    with pytest.raises(BindingError, match=r"element \[2, 1999999\]"):
        read_value(str(tmp_path / "n.npy"))

