"""User text is shown as it is: ``[b]``, ``[/]`` or ``[link=...]`` in a program or a data file is
never read as Rich markup (no bold, no link, no crash)."""

import pytest

from conftest import run

LINK = "[link=https://evil.example]click me[/link]"


def data_file(tmp_path, text: str) -> str:
    path = tmp_path / "d.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("view, definition", [(["eval", "--all"], "│ [b]"), (["explain", "--trace"], "│ [v_0]")])
def test_a_definition_in_brackets_is_shown(monkeypatch, view, definition):
    monkeypatch.setenv("COLUMNS", "120")
    result = run(*view, "w = [b]; f = sum(w)", "b=2")
    assert result.code == 0, result.err
    assert definition in result.out, result.out


CASES = {
    "link in an extra column": (f"x,id\n1,{LINK}\n2,b\n", [LINK]),
    "[/] in an extra column": ("x,id\n1,[/]\n2,b\n", ["[/]"]),
    "[/] in a header": ("x,[/]\n1,a\n2,b\n", ["[/]"]),
    "[/] in a bad cell": ("x,id\n[/],a\n2,b\n", ["[/]"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_markup_in_a_data_file_is_literal(monkeypatch, tmp_path, case):
    text, shown = CASES[case]
    monkeypatch.setenv("COLUMNS", "200")
    result = run("eval", "f = x^2", "--data", data_file(tmp_path, text))
    assert "internal error" not in result.err, result.err
    assert result.code in (0, 1), result.err
    for literal in shown:
        assert literal in result.out, result.out
    assert "\x1b]8;" not in result.out  # no hyperlink escape
    ok_row = [line for line in result.out.splitlines() if "│   1 │" in line or "b │" in line]
    assert ok_row, result.out  # the rows that did evaluate are in the table, with their value 4
    assert any("4" in line for line in ok_row)
