"""Text and numbers laid out for a width, never breaking a number or a matrix row.

Rich wraps a string at any space, so a matrix written as text loses its shape in
a narrow column (``[[0.088`` on one line, ``0.176]`` on the next), and a
right-justified cell shifts its lines apart.  A ``Cell`` is built from pieces
instead: text (which may break at its spaces), and values (a float, or an
array kept as one aligned block).  Laid out for a width, text pieces wrap at
spaces, a block hangs after the text before it when that fits, else starts a
line of its own, else keeps fewer entries of each long axis (``…`` between
them) until its rows fit.  A row is never split, a number never cut.

Text is always literal (``[b]`` is not markup) and control characters are shown
as escapes (``printable``): a cell may hold user text.
"""

from __future__ import annotations

from gradcli.render.array_text import EDGE, grid_lines
from gradcli.core.values import shape
from gradcli.support.numbers import short
from gradcli.support.text import printable

WIDE = 10**6  # a width nothing reaches: the natural layout
_BREAK = None  # a hard line break between words


class _Block:
    """A value's lines, laid out as one unit."""

    def __init__(self, value):
        self.value = value

    def lines(self, edge: int) -> list[str]:
        return grid_lines(self.value, edge)


class Whole:
    """Text that is never broken at its spaces (a matrix row written ``[0.5, 0.5]``)."""

    def __init__(self, text: str):
        self.text = printable(text)

    def lines(self, edge: int) -> list[str]:
        return [self.text]


def literal(text, style: str | None = None):
    """User text as a Rich ``Text``: never read as markup, control characters escaped."""
    from rich.text import Text

    if isinstance(text, Text):
        plain = text.plain
        if printable(plain) == plain:
            return text
        return Text(printable(plain), style=text.style)
    return Text(printable(str(text)), style=style or "")


def value_cell(value):
    """A float as its short text; an array as a ``Cell`` holding its block."""
    return Cell(value) if shape(value) else short(float(value))


class Cell:
    """Pieces laid out for a width: text (``str`` or ``(str, style)``) and values (floats, arrays).

    Pieces join as strings do: ``Cell("dW = ", array, " (from q)")``.  A line may break at a
    space inside a text piece (or between pieces where one starts or ends with a space); a
    ``\\n`` in a text piece always breaks.
    """

    def __init__(self, *pieces, style: str | None = None):
        self.style = style
        self._laid: dict[int, tuple] = {}  # width -> (lines, paragraph of each line)
        self._widths: tuple[int, int] | None = None
        self.pieces = []
        for piece in pieces:
            if isinstance(piece, Whole):
                self.pieces.append(piece)
            elif isinstance(piece, tuple):
                self.pieces.append((printable(piece[0]), piece[1]))
            elif isinstance(piece, str):
                self.pieces.append((printable(piece), None))
            elif shape(piece):  # an array with axes: one aligned block
                self.pieces.append(_Block(piece))
            else:
                self.pieces.append((short(float(piece)), None))

    def prefixed(self, *pieces) -> "Cell":
        """This cell with ``pieces`` in front (a label in a folded table)."""
        cell = Cell(*pieces, style=self.style)
        cell.pieces += self.pieces
        return cell

    @property
    def plain(self) -> str:
        return "\n".join(line.plain for line in self.layout(WIDE))

    def layout(self, width: int) -> list:
        """The cell's lines (Rich ``Text``) within ``width`` where it can be done."""
        return self._layout(width)[0]

    def _words(self) -> list:
        """Words (lists of fragments with no space between them) and hard breaks."""
        words: list = [[]]
        for piece in self.pieces:
            if isinstance(piece, (_Block, Whole)):
                words[-1].append(piece)
                continue
            text, style = piece
            for n, line in enumerate(text.split("\n")):
                if n:
                    words += [_BREAK, []]
                for k, part in enumerate(line.split(" ")):
                    if k:
                        words.append([])
                    if part:
                        words[-1].append((part, style))
        return words

    def widths(self) -> tuple[int, int]:
        """(least, natural): the narrowest width every word fits in, and the width laid out on one line."""
        if self._widths is None:
            least = 1
            for word in self._words():
                if word:
                    least = max(least, _width(_place([], word, 1)))
            self._widths = (least, max(1, _width(self.layout(WIDE))))
        return self._widths

    def _layout(self, width: int) -> tuple[list, list[int]]:
        if width not in self._laid:
            self._laid[width] = self._lay_out(width)
        return self._laid[width]

    def _lay_out(self, width: int) -> tuple[list, list[int]]:
        from rich.text import Text

        lines = [Text()]
        paragraphs = [0]  # the hard-broken paragraph each line belongs to
        start = True  # nothing on the current line yet
        for word in self._words():
            if word is _BREAK:
                lines.append(Text())
                paragraphs.append(paragraphs[-1] + 1)
                start = True
                continue
            if not word:  # a second space in a row: kept, but not at the start of a line
                if not start:
                    lines[-1].append(" ")
                continue
            head = lines[-1].copy()
            if not start:
                head.append(" ")
            placed = _fitted(word, width, lines, head, start)
            paragraphs += [paragraphs[-1]] * (len(placed) - len(lines))
            lines = placed
            start = False
        if self.style:
            for line in lines:
                line.stylize(self.style)
        return lines, paragraphs

    def __rich_measure__(self, console, options):
        from rich.measure import Measurement

        least, natural = self.widths()
        return Measurement(min(least, options.max_width), min(natural, options.max_width))

    def __rich_console__(self, console, options):
        from rich.text import Text

        laid, paragraphs = self._layout(options.max_width)
        lines = [line.copy() for line in laid]
        if options.justify in ("right", "center"):
            for paragraph in sorted(set(paragraphs)):
                these = [line for line, p in zip(lines, paragraphs) if p == paragraph]
                room = options.max_width - _width(these)
                shift = room if options.justify == "right" else room // 2
                for line in these:
                    line.pad_left(max(shift, 0))  # a paragraph's lines move together: a block stays aligned
        text = Text("\n").join(lines)
        text.justify, text.no_wrap, text.overflow = "left", True, "ignore"
        yield text


def _fitted(word: list, width: int, lines: list, head, start: bool) -> list:
    """``lines`` with ``word`` after ``head`` (the last line and a space), or else on a line of its
    own: with as many entries of its blocks as fit, then on the same line before a new one."""
    for edge in range(EDGE, 0, -1):
        placed = lines[:-1] + _place([head.copy()], word, edge)
        if _width(placed) <= width:
            return placed
        if not start:
            placed = lines + _place([], word, edge)
            if _width(placed) <= width:
                return placed
    return lines[:-1] + _place([head.copy()], word, 1) if start else lines + _place([], word, 1)


def _place(lines: list, word: list, edge: int) -> list:
    """``lines`` with ``word`` appended to the last: a block's later lines hang under its first."""
    from rich.text import Text

    lines = lines or [Text()]
    for fragment in word:
        if isinstance(fragment, (_Block, Whole)):
            block = fragment.lines(edge)
            indent = lines[-1].cell_len
            lines[-1].append(block[0])
            lines += [Text(" " * indent + row) for row in block[1:]]
        else:
            lines[-1].append(fragment[0], style=fragment[1] or "")
    return lines


def _width(lines: list) -> int:
    return max((line.cell_len for line in lines), default=0)
