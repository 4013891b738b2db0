"""Tables that never cut a number, whatever the terminal's width.

Rich squeezes a table that is too wide by cropping cells (``-0.19…``) or
leaving them blank.  ``FitTable`` collects the cells first and lays them out
only when it knows the width:

1. as one table, if it fits as it is;
2. else as one table whose text columns wrap at spaces, each column at least as
   wide as its longest word (a number is one word, so it stays whole);
3. else split into several tables, each repeating the ``keys`` leading columns
   (the row names) and holding as many further columns as fit;
4. else folded: one block per row, one ``header: cell`` line per column.

Cells are built here, once: a string becomes literal text (never Rich markup, its
control characters escaped), and a ``Cell`` (text and arrays, see ``cells.py``)
says how narrow it can go without splitting a number or a matrix row.  The title
and caption are lines of their own, wrapped at the terminal's width.
"""

from __future__ import annotations

from gradcli.render.cells import Cell, literal
from gradcli.support.records import Record

BORDERS = 3  # per column: the rule on its left and one space of padding either side; plus 1 at the right


class _Column(Record):
    _fields = ("header", "justify")

    def __init__(self, header: str, justify: str = "left"):
        self.header = header
        self.justify = justify


class _Row(Record):
    _fields = ("cells", "style", "section_after")

    def __init__(self, cells: list, style: str | None = None, section_after: bool = False):
        self.cells = cells
        self.style = style
        self.section_after = section_after


class FitTable(Record):
    _fields = ("title", "caption", "keys", "title_style", "fallback", "columns", "rows")

    def __init__(self, title: str | None = None, caption: str | None = None, keys: int = 1,
                 title_style: str | None = "bold", fallback: object = None, columns: list[_Column] | None = None,
                 rows: list[_Row] | None = None):
        self.title = title
        self.caption = caption
        self.keys = keys  # leading columns repeated in every part of a split table
        self.title_style = title_style
        # Shown instead when the table does not fit as it is: cells holding aligned grids of
        # numbers (arrays) would be scrambled by wrapping, so the view gives them another form.
        self.fallback = fallback
        self.columns = [] if columns is None else columns
        self.rows = [] if rows is None else rows

    def add_column(self, header: str, justify: str = "left") -> None:
        self.columns.append(_Column(header, justify))

    def add_row(self, *cells, style: str | None = None) -> None:
        self.rows.append(_Row([_cell(c) for c in cells], style))

    def add_section(self) -> None:
        if self.rows:
            self.rows[-1].section_after = True

    def __rich_console__(self, console, options):
        if self.title:
            yield literal(self.title, self.title_style or "table.title")
        yield from layout(self, options.max_width)
        if self.caption:
            yield _caption(self.caption)


def _cell(cell):
    """A cell as shown: a ``Cell`` as it is, anything else as literal text."""
    return cell if isinstance(cell, Cell) else literal(cell if cell is not None else "")


def _caption(caption):
    return literal(caption, "table.caption") if isinstance(caption, str) else caption


def _plain(cell) -> str:
    return cell if isinstance(cell, str) else getattr(cell, "plain", str(cell))


def _widths(cells: list) -> tuple[int, int]:
    """(least, natural) over the cells, in terminal cells: the longest word (a number, a matrix
    row) and the longest line."""
    from rich.cells import cell_len

    word, line = 1, 1
    for cell in cells:
        if isinstance(cell, Cell):
            least, natural = cell.widths()
            word, line = max(word, least), max(line, natural)
            continue
        text = _plain(cell)
        word = max([word] + [cell_len(w) for w in text.split()])
        line = max([line] + [cell_len(x) for x in text.splitlines()])
    return word, line


MAX_PARTS = 6  # a wide table is split into at most this many tables side by side in reading order


def _span(widths: list[int]) -> int:
    return sum(widths) + BORDERS * len(widths) + 1


def layout(table: FitTable, width: int) -> list:
    """The renderables that show ``table`` within ``width`` cells, every number whole."""
    measured = [_widths([c.header] + [r.cells[k] for r in table.rows]) for k, c in enumerate(table.columns)]
    least = [m[0] for m in measured]
    natural = [m[1] for m in measured]
    every = list(range(len(table.columns)))
    if _span(natural) <= width:
        return [_rich_table(table, every, None)]
    if table.fallback is not None:
        return [table.fallback]
    if _span(least) <= width:
        return [_rich_table(table, every, _share(least, natural, width))]
    keys = list(range(min(table.keys, len(every) - 1)))
    groups: list[list[int]] = []
    for k in every[len(keys):]:
        if groups and _span([least[i] for i in keys + groups[-1] + [k]]) <= width:
            groups[-1].append(k)
        elif _span([least[i] for i in keys + [k]]) <= width:
            groups.append([k])
        else:
            return [_folded(table, width)]
    if len(groups) > MAX_PARTS:  # a table cut into more parts than anyone reads across: one block per row
        return [_folded(table, width)]
    parts = []
    for n, group in enumerate(groups):
        chosen = keys + group
        fits = _span([natural[i] for i in chosen]) <= width
        widths = None if fits else _share([least[i] for i in chosen], [natural[i] for i in chosen], width)
        parts.append(_rich_table(table, chosen, widths))
        if n < len(groups) - 1:
            parts.append("")
    return parts


def _share(least: list[int], natural: list[int], width: int) -> list[int]:
    """Column widths that fit: the widest column gives up a cell at a time, none below ``least``."""
    widths = list(natural)
    excess = _span(widths) - width
    while excess > 0:
        k = max((i for i in range(len(widths)) if widths[i] > least[i]), key=widths.__getitem__)
        widths[k] -= 1
        excess -= 1
    return widths


def _rich_table(table: FitTable, chosen: list[int], widths: list[int] | None):
    from rich.table import Table

    rich = Table()
    for n, k in enumerate(chosen):
        column = table.columns[k]
        rich.add_column(literal(column.header), justify=column.justify,
                        width=None if widths is None else widths[n], overflow="fold")
    for row in table.rows:
        cells = [row.cells[k] for k in chosen]
        if len(chosen) < len(table.columns) and not any(_plain(c).strip() for c in cells):
            continue  # a row whose cells are all in another part of the split table
        rich.add_row(*cells, style=row.style, end_section=row.section_after)
    return rich


def _folded(table: FitTable, width: int):
    """One block per row: ``header: cell`` lines that wrap at spaces, so numbers and matrix rows
    stay whole."""
    from rich.console import Group
    from rich.text import Text

    parts = []
    for row in table.rows:
        block = Text(style=row.style or "")  # the row's plain cells as lines of one Text: cheap at 10^4 columns
        for k, column in enumerate(table.columns):
            cell = row.cells[k]
            if not _plain(cell).strip():
                continue
            label = literal(f"{column.header or '·'}: ").plain if k else ""
            if isinstance(cell, Cell):
                if block:
                    parts.append(block)
                    block = Text(style=row.style or "")
                parts.append(cell.prefixed((label, "dim") if label else ""))
                continue
            if block:
                block.append("\n")
            block.append(label, style="dim")
            block.append(cell)
        if block:
            parts.append(block)
        parts.append(Text(""))
    return Group(*parts)
