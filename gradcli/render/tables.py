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
"""

from __future__ import annotations

from dataclasses import dataclass, field

BORDERS = 3  # per column: the rule on its left and one space of padding either side; plus 1 at the right


@dataclass
class _Column:
    header: str
    justify: str = "left"


@dataclass
class _Row:
    cells: list
    style: str | None = None
    section_after: bool = False


@dataclass
class FitTable:
    title: str | None = None
    caption: str | None = None
    keys: int = 1  # leading columns repeated in every part of a split table
    title_style: str | None = "bold"
    # Shown instead when the table does not fit as it is: cells holding aligned grids of
    # numbers (arrays) would be scrambled by wrapping, so the view gives them another form.
    fallback: object = None
    columns: list[_Column] = field(default_factory=list)
    rows: list[_Row] = field(default_factory=list)

    def add_column(self, header: str, justify: str = "left") -> None:
        self.columns.append(_Column(header, justify))

    def add_row(self, *cells, style: str | None = None) -> None:
        self.rows.append(_Row(list(cells), style))

    def add_section(self) -> None:
        if self.rows:
            self.rows[-1].section_after = True

    def __rich_console__(self, console, options):
        yield from layout(self, options.max_width)


def _plain(cell) -> str:
    return cell if isinstance(cell, str) else getattr(cell, "plain", str(cell))


def _widths(texts: list[str]) -> tuple[int, int]:
    """(longest word, longest line) over the texts, in terminal cells."""
    from rich.cells import cell_len

    word = max((cell_len(w) for t in texts for w in t.split()), default=0)
    line = max((cell_len(line) for t in texts for line in t.splitlines() or [""]), default=0)
    return max(word, 1), max(line, 1)


def _span(widths: list[int]) -> int:
    return sum(widths) + BORDERS * len(widths) + 1


def layout(table: FitTable, width: int) -> list:
    """The renderables that show ``table`` within ``width`` cells, every number whole."""
    measured = [_widths([c.header] + [_plain(r.cells[k]) for r in table.rows]) for k, c in enumerate(table.columns)]
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
    parts = []
    for n, group in enumerate(groups):
        chosen = keys + group
        fits = _span([natural[i] for i in chosen]) <= width
        widths = None if fits else _share([least[i] for i in chosen], [natural[i] for i in chosen], width)
        parts.append(_rich_table(table, chosen, widths, first=n == 0, last=n == len(groups) - 1))
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


def _rich_table(table: FitTable, chosen: list[int], widths: list[int] | None, first: bool = True,
                last: bool = True):
    from rich.table import Table

    rich = Table(title=table.title if first else None, caption=table.caption if last else None,
                 title_justify="left", caption_justify="left", title_style=table.title_style)
    for n, k in enumerate(chosen):
        column = table.columns[k]
        rich.add_column(column.header, justify=column.justify, width=None if widths is None else widths[n],
                        overflow="fold")
    for row in table.rows:
        rich.add_row(*[row.cells[k] for k in chosen], style=row.style, end_section=row.section_after)
    return rich


def _folded(table: FitTable, width: int):
    """One block per row: ``header: cell`` lines that wrap at spaces, so numbers stay whole."""
    from rich.console import Group
    from rich.text import Text

    parts = []
    if table.title:
        parts.append(Text(table.title, style="bold"))
    for row in table.rows:
        block = Text(style=row.style or "")
        for k, column in enumerate(table.columns):
            cell = row.cells[k]
            text = cell.copy() if isinstance(cell, Text) else Text(_plain(cell))
            if not text.plain.strip():
                continue
            if block.plain:
                block.append("\n")
            block.append(f"{column.header or '·'}: " if k else "", style="dim")
            block.append_text(text)
        parts += [block, Text("")]
    if table.caption:
        parts.append(Text(table.caption, style="dim"))
    return Group(*parts)
