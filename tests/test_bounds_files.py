"""A .npy file's header is checked against the limit and against the file's size before anything is allocated."""

from __future__ import annotations

import io

import numpy as np
import pytest

from conftest import assert_error, run_json


def header_only(path, shape, data_bytes: int, descr: str = "<f8") -> None:
    """An .npy file whose header declares ``shape`` but which holds ``data_bytes`` bytes of data."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    path.write_bytes(buffer.getvalue() + b"\0" * data_bytes)


def test_a_192_byte_file_declaring_ten_billion_elements(tmp_path):
    path = tmp_path / "liar.npy"
    header_only(path, (10 ** 10,), 64)
    assert path.stat().st_size == 192
    result = assert_error(["eval", "--json", "y = sum(x)", f"x=@{path}"], 2)
    error = result.json()["error"]
    assert error["kind"] == "limit"
    assert "the header declares shape (10000000000,), 10,000,000,000 elements (74.5 GiB of float64)" \
        in error["message"]


@pytest.mark.parametrize("shape, descr, data_bytes, needed", [
    ((10 ** 10,), "<f8", 64, 80_000_000_000),
    ((100,), "<f8", 80, 800),
    ((3, 4), "<i4", 47, 48),
])
def test_a_header_larger_than_the_file(tmp_path, shape, descr, data_bytes, needed):
    path = tmp_path / "short.npy"
    header_only(path, shape, data_bytes, descr)
    result = assert_error(["eval", "y = sum(x)", f"x=@{path}", "--max-elements", str(10 ** 11)], 2,
                          f"{needed:,} bytes of data, but the file holds {data_bytes:,} after its header")
    assert "internal error" not in result.err


def test_a_whole_file_still_reads(tmp_path):
    path = tmp_path / "ok.npy"
    np.save(path, np.arange(12, dtype=np.int32).reshape(3, 4))
    result = run_json("eval", "--json", "y = sum(x)", f"x=@{path}")
    assert result["value"] == sum(range(12))


def test_a_pickle_never_loads(tmp_path):
    path = tmp_path / "objects.npy"
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    assert_error(["eval", "y = sum(x)", f"x=@{path}"], 2, "not a numeric .npy file")
