"""Arrays as text for people: aligned grids, the middle of a long axis elided as numpy does.

``grid`` writes ``[[ 0.1 0.5]`` / `` [-0.3 0.8]]``: every element in the views'
short form, right-aligned to the widest, so the columns line up.  An axis
longer than ``EDGE * 2`` keeps its first and last ``EDGE`` entries with ``…``
between them, so a 1000 x 1000 matrix stays a few lines; a number is never cut
(the JSON output holds every element).  A float is just its short form.
"""

from __future__ import annotations

from gradcli.core.values import np, shape, shape_text
from gradcli.support.numbers import short

EDGE = 3  # entries kept at each end of a long axis
ELLIPSIS = "…"


def kept(n: int, edge: int = EDGE) -> list[int | None]:
    """The indices shown along an axis of length n; None where the middle is elided."""
    if n <= 2 * edge:
        return list(range(n))
    return [*range(edge), None, *range(n - edge, n)]


def grid(v, edge: int = EDGE) -> str:
    """The value as one line (a float, a short vector) or an aligned block of lines (a matrix).

    ``edge`` entries are kept at each end of a long last axis: fewer make a narrower block
    for a narrow terminal, whose rows then still fit whole.
    """
    return "\n".join(grid_lines(v, edge))


def grid_lines(v, edge: int = EDGE) -> list[str]:
    """``grid``'s lines, all of one length, so that the block stays aligned however it is justified."""
    if not shape(v):  # a number (or a 0-d array): its short form
        return [short(float(v))]
    if v.size == 0:
        return ["[]" if v.ndim == 1 else f"empty {shape_text(v.shape)}"]
    axes = [kept(n) for n in v.shape[:-1]] + [kept(v.shape[-1], edge)]  # width is the last axis
    picked = v[np.ix_(*[[i for i in axis if i is not None] for axis in axes])]
    width = max(len(short(float(x))) for x in picked.ravel())
    lines = _block(v, axes, width)
    longest = max(len(line) for line in lines)
    return [line.ljust(longest) for line in lines]


def _block(v, axes: list[list[int | None]], width: int) -> list[str]:
    """The lines of ``v`` (its axes' kept indices given), wrapped in one pair of brackets per axis.

    Arrays have few axes: this recursion is over axes, never over a program.
    """
    if len(axes) == 1:
        cells = [ELLIPSIS if i is None else short(float(v[i])).rjust(width) for i in axes[0]]
        return ["[" + " ".join(cells) + "]"]
    lines: list[str] = []
    gap = [""] * (len(axes) - 2)  # numpy's blank lines between the blocks of a 3-d array
    for n, i in enumerate(axes[0]):
        if n:
            lines += gap
        lines += [ELLIPSIS] if i is None else _block(v[i], axes[1:], width)
    lines = ["[" + lines[0]] + [(" " + line) if line else line for line in lines[1:]]
    lines[-1] += "]"
    return lines


def heading(name: str, v) -> str:
    """``W (2, 2)`` for an array, the name alone for a float."""
    axes = shape(v)
    return f"{name} {shape_text(axes)}" if axes else name
