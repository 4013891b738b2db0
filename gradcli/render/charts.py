"""Line charts: in the terminal (braille dots, a Rich renderable), as SVG written here, as PNG by matplotlib.

A chart is drawn from ``series``: a name -> a list of ``(x, y)`` points, in order
(``{"loss": [(0, 2.3), (1, 1.9), ...], "validation loss": [...]}``).  A point whose
y is not finite (or not positive, on a log scale) breaks its line.  Each function
here is pure: it returns a renderable, a text or bytes; the command writes them.

* ``LineChart(series, ...)``: the terminal's chart.  Each character holds 2 x 4 braille
  dots; the y axis's numbers are measured first and the plot takes the width that is
  left, so no number is ever cut (a terminal narrower than the numbers makes the lines
  wrap, never the numbers).
* ``chart_svg(series, ...)``: an SVG document written by gradcli (no dependency), its text
  escaped; the plot area and the axes' ranges are attributes of the ``<g class="plot">``
  element, so a reader can map the polylines back to the data.
* ``chart_png(series, ...)``: a PNG drawn by matplotlib, imported only here and only then;
  without it, a usage error (exit 2) that says how to install it.
* ``chart_file(path, series, ...)``: the SVG text or the PNG bytes, chosen by ``path``'s suffix.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from gradcli.support.errors import UsageError
from gradcli.support.numbers import short

Series = Mapping[str, Sequence[tuple[float, float]]]

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
TERMINAL_COLORS = ("cyan", "red", "green", "magenta", "yellow", "blue", "bright_white", "bright_cyan")
MIN_PLOT_WIDTH = 10  # character cells


def _usable(y: float, log_y: bool) -> bool:
    return math.isfinite(y) and (y > 0 or not log_y)


def extents(series: Series, log_y: bool = False) -> tuple[float, float, float, float]:
    """(x low, x high, y low, y high) over every drawable point; a range of one value is widened."""
    xs = [float(x) for points in series.values() for x, y in points if math.isfinite(x) and _usable(y, log_y)]
    ys = [float(y) for points in series.values() for x, y in points if math.isfinite(x) and _usable(y, log_y)]
    if not xs:
        raise UsageError("nothing to plot: no point has a finite value" + (" above 0 (log scale)" if log_y else ""))
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    if x0 == x1:
        x0, x1 = x0 - 1, x1 + 1
    if y0 == y1:
        if log_y:
            y0, y1 = y0 / 10, y1 * 10
        else:
            pad = abs(y0) * 0.1 or 1.0
            y0, y1 = y0 - pad, y1 + pad
    return x0, x1, y0, y1


def _scale_y(y: float, log_y: bool) -> float:
    return math.log10(y) if log_y else y


# ---------------------------------------------------------------- the terminal

_DOTS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))  # [row][column] of a braille cell


class LineChart:
    """A line chart in braille characters, fitted to the width it is given."""

    def __init__(self, series: Series, *, title: str | None = None, x_label: str = "", y_label: str = "",
                 log_y: bool = False, height: int = 12):
        self.series = {name: list(points) for name, points in series.items()}
        self.title, self.x_label, self.y_label = title, x_label, y_label
        self.log_y, self.height = log_y, max(3, height)
        self.range = extents(self.series, log_y)

    def y_ticks(self) -> list[str]:
        """The y axis's labels, top, middle and bottom."""
        _, _, y0, y1 = self.range
        if self.log_y:
            lo, hi = math.log10(y0), math.log10(y1)
            return [short(10 ** hi, 4), short(10 ** ((lo + hi) / 2), 4), short(10 ** lo, 4)]
        return [short(y1, 4), short((y0 + y1) / 2, 4), short(y0, 4)]

    def lines(self, width: int, colour: bool = True) -> list[tuple[str, list[tuple[str, str | None]]]]:
        """The chart's lines, each as (plain text, [(piece, style)]).

        Without colour (a pipe, NO_COLOR), the series are told apart by their strokes instead:
        the first solid, the second dotted (every other column of dots), the third sparse (every
        third), and so on; the legend says which is which."""
        ticks = self.y_ticks()
        label_width = max(len(t) for t in ticks)
        plot_width = max(MIN_PLOT_WIDTH, width - label_width - 2)
        rows, cols = self.height, plot_width
        cells = [[0] * cols for _ in range(rows)]
        owner: list[list[int | None]] = [[None] * cols for _ in range(rows)]
        x0, x1, y0, y1 = self.range
        sy0, sy1 = _scale_y(y0, self.log_y), _scale_y(y1, self.log_y)
        dots_x, dots_y = cols * 2, rows * 4

        def dot(px: int, py: int, k: int) -> None:
            if not colour and px % (k + 1):
                return
            if 0 <= px < dots_x and 0 <= py < dots_y:
                r, c = py // 4, px // 2
                cells[r][c] |= _DOTS[py % 4][px % 2]
                owner[r][c] = k

        for k, points in enumerate(self.series.values()):
            last = None
            for x, y in points:
                if not (math.isfinite(x) and _usable(y, self.log_y)):
                    last = None
                    continue
                px = round((x - x0) / (x1 - x0) * (dots_x - 1))
                py = round((sy1 - _scale_y(y, self.log_y)) / (sy1 - sy0) * (dots_y - 1))
                if last is None:
                    dot(px, py, k)
                else:
                    _segment(last, (px, py), lambda a, b: dot(a, b, k))
                last = (px, py)
        out = []
        if self.title:
            out.append((self.title, [(self.title, "bold")]))
        if self.y_label:
            out.append((self.y_label, [(self.y_label, None)]))
        tick_rows = {0: ticks[0], rows // 2: ticks[1], rows - 1: ticks[2]}
        for r in range(rows):
            label = tick_rows.get(r, "").rjust(label_width)
            pieces: list[tuple[str, str | None]] = [(label + " ┤" if r in tick_rows else label + " │", None)]
            for c in range(cols):
                k = owner[r][c]
                pieces.append((chr(0x2800 + cells[r][c]) if cells[r][c] else " ", None if k is None else TERMINAL_COLORS[k % len(TERMINAL_COLORS)]))
            out.append(("".join(p for p, _ in pieces), pieces))
        axis = " " * label_width + " └" + "─" * cols
        out.append((axis, [(axis, None)]))
        left, right = short(x0, 4), short(x1, 4)
        gap = max(1, cols - len(left) - len(right))
        xs = " " * (label_width + 2) + left + " " * gap + right
        out.append((xs, [(xs, None)]))
        if self.x_label:
            centred = " " * (label_width + 2 + max(0, (cols - len(self.x_label)) // 2)) + self.x_label
            out.append((centred, [(centred, None)]))
        legend = []
        for k, name in enumerate(self.series):
            if colour:
                legend += [("⣿⣿ ", TERMINAL_COLORS[k % len(TERMINAL_COLORS)]), (name + "   ", None)]
            else:
                stroke = "solid" if k == 0 else ("dotted" if k == 1 else f"a dot every {k + 1} columns")
                legend += [(f"{name} ({stroke})   ", None)]
        text = "".join(p for p, _ in legend).rstrip()
        out.append((text, legend))
        return out

    def __rich_console__(self, console, options):
        from rich.text import Text

        from gradcli.support.text import printable

        colour = console.color_system is not None and not console.no_color
        for _, pieces in self.lines(options.max_width, colour):
            line = Text(no_wrap=True, overflow="ignore")
            for piece, style in pieces:
                line.append(printable(piece), style=style or "")
            yield line

    def __rich_measure__(self, console, options):
        from rich.measure import Measurement

        label = max(len(t) for t in self.y_ticks()) + 2
        return Measurement(label + MIN_PLOT_WIDTH, options.max_width)


def _segment(a: tuple[int, int], b: tuple[int, int], plot) -> None:
    """Bresenham's line from ``a`` to ``b`` (both ends drawn)."""
    (x, y), (x1, y1) = a, b
    dx, dy = abs(x1 - x), -abs(y1 - y)
    sx, sy = (1 if x < x1 else -1), (1 if y < y1 else -1)
    err = dx + dy
    while True:
        plot(x, y)
        if x == x1 and y == y1:
            return
        e2 = 2 * err
        if e2 >= dy:
            err += dy
            x += sx
        if e2 <= dx:
            err += dx
            y += sy


def line_chart(series: Series, *, title: str | None = None, x_label: str = "", y_label: str = "",
               log_y: bool = False, height: int = 12) -> LineChart:
    """The terminal's chart of ``series`` (a Rich renderable)."""
    return LineChart(series, title=title, x_label=x_label, y_label=y_label, log_y=log_y, height=height)


# ---------------------------------------------------------------- SVG

def _ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """About ``count`` round numbers between lo and hi (1, 2 or 5 times a power of ten apart)."""
    span = hi - lo
    raw = span / max(1, count - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step) * step
    ticks = []
    k = 0
    while first + k * step <= hi + step * 1e-9:
        ticks.append(round(first + k * step, 12))
        k += 1
    return ticks


LEGEND_ROW = 18  # pixels between rows of the SVG legend
CHARACTER = 7.0  # an upper estimate of a character's width at font-size 12 (sans-serif)


def _legend_places(names: list[str], left: float, right: float) -> list[tuple[str, float, int]]:
    """Each legend entry's name, x and row: side by side, each as wide as its text, wrapping at ``right``."""
    places, x, row = [], left, 0
    for name in names:
        width = 26 + CHARACTER * len(name) + 24
        if x > left and x + width > right:
            x, row = left, row + 1
        places.append((name, x, row))
        x += width
    return places


def _log_ticks(lo: float, hi: float) -> list[float]:
    """Ticks on a log axis from 10^lo to 10^hi: the powers of ten, and 2 and 5 times them when the
    axis spans fewer than three decades (a chart of one decade would have one tick at most)."""
    steps = (1, 2, 5) if hi - lo < 3 else (1,)
    ticks = []
    for k in range(math.floor(lo), math.ceil(hi) + 1):
        for m in steps:
            t = m * 10.0 ** k
            if lo - 1e-9 <= math.log10(t) <= hi + 1e-9:
                ticks.append(t)
    return ticks


def chart_svg(series: Series, *, title: str | None = None, x_label: str = "", y_label: str = "",
              log_y: bool = False, width: int = 720, height: int = 440) -> str:
    """An SVG document of ``series``: axes with round ticks, one polyline per series, a legend."""
    from html import escape

    x0, x1, y0, y1 = extents(series, log_y)
    sy0, sy1 = _scale_y(y0, log_y), _scale_y(y1, log_y)
    left, right, top, bottom = 78, 24, 40 if title else 20, 64
    pw, ph = width - left - right, height - top - bottom

    def px(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * pw

    def py(y: float) -> float:
        return top + (sy1 - _scale_y(y, log_y)) / (sy1 - sy0) * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>']
    if title:
        out.append(f'<text x="{width / 2:.1f}" y="22" text-anchor="middle" font-size="15">{escape(title)}</text>')
    out.append(f'<g class="plot" data-plot="{left} {top} {pw} {ph}" data-x-range="{x0!r} {x1!r}" '
               f'data-y-range="{y0!r} {y1!r}" data-log-y="{str(log_y).lower()}">')
    out.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="dimgray"/>')
    for t in _ticks(x0, x1):
        out.append(f'<line x1="{px(t):.2f}" y1="{top + ph}" x2="{px(t):.2f}" y2="{top + ph + 5}" stroke="dimgray"/>'
                   f'<text x="{px(t):.2f}" y="{top + ph + 18}" text-anchor="middle">{escape(short(t, 4))}</text>')
    if log_y:
        yt = _log_ticks(sy0, sy1) or [y0, y1]
    else:
        yt = _ticks(y0, y1)
    for t in yt:
        out.append(f'<line x1="{left - 5}" y1="{py(t):.2f}" x2="{left}" y2="{py(t):.2f}" stroke="dimgray"/>'
                   f'<line x1="{left}" y1="{py(t):.2f}" x2="{left + pw}" y2="{py(t):.2f}" stroke="gainsboro"/>'
                   f'<text x="{left - 8}" y="{py(t) + 4:.2f}" text-anchor="end">{escape(short(t, 4))}</text>')
    if x_label:
        out.append(f'<text x="{left + pw / 2:.1f}" y="{height - 28}" text-anchor="middle">{escape(x_label)}</text>')
    if y_label:
        out.append(f'<text x="16" y="{top + ph / 2:.1f}" text-anchor="middle" '
                   f'transform="rotate(-90 16 {top + ph / 2:.1f})">{escape(y_label)}</text>')
    for k, (name, points) in enumerate(series.items()):
        color = COLORS[k % len(COLORS)]
        runs, run = [], []
        for x, y in points:
            if math.isfinite(x) and _usable(y, log_y):
                run.append(f"{px(x):.3f},{py(y):.3f}")
            elif run:
                runs.append(run)
                run = []
        if run:
            runs.append(run)
        out.append(f'<g class="series" data-name="{escape(name)}"><title>{escape(name)}</title>')
        for run in runs:
            out.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.8" points="{" ".join(run)}"/>')
        out.append("</g>")
    out.append("</g>")
    for k, (name, x, row) in enumerate(_legend_places(list(series), left, width - right)):
        y = height - 10 + LEGEND_ROW * row
        out.append(f'<line x1="{x}" y1="{y - 4}" x2="{x + 20}" y2="{y - 4}" stroke="{COLORS[k % len(COLORS)]}" '
                   f'stroke-width="3"/><text x="{x + 26}" y="{y}">{escape(name)}</text>')
    out.append("</svg>")
    rows = 1 + max((row for _, _, row in _legend_places(list(series), left, width - right)), default=0)
    if rows > 1:  # the legend wraps: the picture grows by its extra rows
        grown = height + LEGEND_ROW * (rows - 1)
        out[0] = out[0].replace(f'height="{height}" viewBox="0 0 {width} {height}"',
                                f'height="{grown}" viewBox="0 0 {width} {grown}"')
        out[1] = f'<rect width="{width}" height="{grown}" fill="white"/>'
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- PNG and files

PNG_HINT = "PNG is drawn by matplotlib, which is not installed: pip install matplotlib (or write .svg, which needs nothing)"


def chart_png(series: Series, *, title: str | None = None, x_label: str = "", y_label: str = "",
              log_y: bool = False) -> bytes:
    """A PNG of ``series`` drawn by matplotlib (imported here, only now); a usage error without it."""
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        raise UsageError(PNG_HINT, kind="missing-dependency")
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    extents(series, log_y)  # nothing drawable is the same error as in SVG
    figure, axes = pyplot.subplots(figsize=(7.2, 4.4), dpi=100)
    try:
        for k, (name, points) in enumerate(series.items()):
            xs = [x for x, _ in points]
            ys = [y if _usable(y, log_y) else math.nan for _, y in points]
            axes.plot(xs, ys, label=name, color=COLORS[k % len(COLORS)])
        if log_y:
            axes.set_yscale("log")
        if title:
            axes.set_title(title)
        axes.set_xlabel(x_label)
        axes.set_ylabel(y_label)
        axes.grid(True, color="gainsboro")
        axes.legend()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    finally:
        pyplot.close(figure)
    return buffer.getvalue()


CHART_SUFFIXES = (".svg", ".png")  # what a chart file may be


def chart_format(path: str) -> str:
    """``svg`` or ``png`` from a file name's suffix; a usage error for any other."""
    lower = path.lower()
    for suffix in CHART_SUFFIXES:
        if lower.endswith(suffix):
            return suffix[1:]
    raise UsageError(f"{path}: a chart is written as .svg or .png; name the file FILE.svg or FILE.png")


def chart_file(path: str, series: Series, **options) -> str | bytes:
    """The file's content for ``path``: SVG text or PNG bytes, by its suffix."""
    return chart_svg(series, **options) if chart_format(path) == "svg" else chart_png(series, **options)
