"""A table too wide for more than a few side-by-side parts is shown one block per row.

Cut into hundreds of parts, a table of 2,000 columns cannot be read across; folded, each row
is a block of ``header: value`` lines, every value whole and found next to its header.
"""

from __future__ import annotations

import pytest

from conftest import run
from gradcli.render import tables


@pytest.mark.parametrize("columns", [50, 2_000])
def test_a_very_wide_data_table_is_folded_by_row(tmp_path, columns):
    data = tmp_path / "wide.csv"
    extras = [f"c{i}" for i in range(columns)]
    rows = [(1.5, [f"{k}.{i}" for i in range(columns)]) for k in range(3)]
    data.write_text("x," + ",".join(extras) + "\n" + "".join(
        f"{x}," + ",".join(cells) + "\n" for x, cells in rows))
    result = run("eval", "f = x*x", "--data", str(data))
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert len([line for line in lines if line.startswith("┏")]) <= tables.MAX_PARTS
    words = set(result.out.replace("│", " ").split())
    assert all(cell in words for _, cells in rows for cell in cells)  # every value whole
    if columns > 500:  # folded: each value beside its header, the derivative 2x at x = 1.5
        assert all(f"c{i}: {cells[i]}" in lines for _, cells in rows for i in range(columns))
        assert "df/dx: 3" in lines
