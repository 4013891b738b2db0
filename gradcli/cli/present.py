"""``present``: the one way every command writes its result.

A command computes a result and hands it to ``present`` with the ``View`` that
renders it (``gradcli.render.views``) and the format asked for.  The same steps
hold for all: the format is one the view supports (else a usage error naming
the ones it does), warnings go to stderr first, the output is written the way
its format is (a fitted table, one JSON object or JSON lines, text, a file for
-o), and then the view's outcome says how the run ended (late warnings, or an
error after the output: exit 1).
"""

from __future__ import annotations

import sys

import click

from gradcli.render.views import BINARY, CHUNKS, FORMATS, JSON, PAGE, TABLE, TEXT, View, resolve
from gradcli.support.errors import ExitCode, GradError, UsageError


def present(ctx: click.Context, view: View, result, fmt: str, *, options: dict | None = None, warnings=None,
            output: str | None = None, more: tuple = ()) -> None:
    """Write ``result`` through ``view`` as ``fmt``.

    ``warnings``: where the warnings come from when not from ``result`` (a list, or another result).
    ``output``: -o FILE.  ``more``: further (view, result) pairs shown after, a blank line apart
    (explain's several views; they share the first one's warnings).
    """
    shown = [(view, result), *more]
    for each, _ in shown:
        check_format(each, fmt, output)
    found = warnings_of(result if warnings is None else warnings)
    emit_warnings(found)
    options = options or {}
    for k, (each, answer) in enumerate(shown):
        if k:
            print_rich("")
        _write(FORMATS[fmt].kind, each.render(fmt, answer, options), found, output)
    if view.outcome is not None:
        late, error = resolve(view.outcome)(result)
        emit_warnings(late)
        if isinstance(error, GradError):
            # The output is out (JSON included): the error goes to stderr only, and the status says it.
            from gradcli.cli.app import report

            report(error, as_json=False)
            ctx.exit(int(ExitCode.FAILED))
        if error is not None:
            raise error


def check_format(view: View, fmt: str, output: str | None = None) -> None:
    """A usage error unless ``view`` writes ``fmt`` (and a binary format has somewhere to go)."""
    if fmt not in view.renderers:
        supported = ", ".join(f"{f} ({FORMATS[f].asked})" if FORMATS[f].asked else f for f in view.formats)
        raise UsageError(f"{view.flag or view.name} has no {fmt} output; it writes {supported}")
    kind = FORMATS[fmt].kind
    if kind == BINARY and output is None and sys.stdout.isatty():
        raise UsageError(f"{fmt.upper()} is binary: give -o FILE, or pipe it to a file")
    if kind == PAGE and output is None and sys.stdout.isatty():
        raise UsageError(f"{fmt.upper()} is a page to open in a browser, not to print: give -o FILE "
                         "(-o page.html), or pipe it to a file")


def check_view_options(ctx: click.Context, views, asked: list[str]) -> None:
    """An option that some views declare, given with none of them asked for: a usage error naming the
    view it goes with (``--tangent and --adjoint go with --trace``)."""
    from click.core import ParameterSource

    for each in views:
        if each.name in asked:
            continue
        declared = [p for p in ctx.command.params if p.name in each.options]
        if any(ctx.get_parameter_source(p.name) == ParameterSource.COMMANDLINE for p in declared):
            names = [max(p.opts, key=len) for p in declared]
            raise UsageError(f"{' and '.join(names)} go{'es' if len(names) == 1 else ''} with {each.flag}")


def _write(kind: str, rendered, warnings: list[str], output: str | None) -> None:
    if kind == TABLE:
        print_rich(rendered)
    elif kind == CHUNKS or (kind == JSON and not isinstance(rendered, dict)):
        for part in rendered:  # a stream: each line or chunk out as soon as it is made
            if isinstance(part, dict):
                emit_json(part)  # click.echo flushes each line
            else:
                sys.stdout.write(part)
                sys.stdout.flush()
    elif kind in (JSON, TEXT):
        if kind == JSON:
            from gradcli.support.numbers import json_text

            rendered = json_text(with_warnings(rendered, warnings))
        if output is None:
            click.echo(rendered)
        else:
            _write_file(output, (rendered + "\n").encode("utf-8"))
    else:
        _write_file(output, rendered.encode("utf-8") if isinstance(rendered, str) else rendered)


def _write_file(output: str | None, data: bytes) -> None:
    """A whole file's content (FILE and BINARY formats, JSON or text with -o) to -o FILE or stdout."""
    if output is None:
        click.echo(data, nl=False)  # bytes go to the binary stream
        return
    from gradcli.support.files import write_file

    try:
        write_file(output, data)
    except OSError as exc:
        raise UsageError(f"-o {output}: cannot write it ({exc.strerror})") from None


def emit_json(data: dict) -> None:
    from gradcli.support.numbers import json_text

    click.echo(json_text(data))


def print_rich(renderable) -> None:
    """Print for people; no line ends in spaces (Rich pads titles and wrapped text to the width)."""
    from rich.console import Console
    from rich.segment import Segment, Segments

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError  # not Rich's exit 1: the click layer makes it a quiet exit 0

    console = _Console()
    out: list[Segment] = []
    for line in console.render_lines(renderable, pad=False, new_lines=False):
        while line and not line[-1].control and not line[-1].text.rstrip():
            line.pop()
        if line and not line[-1].control:
            last = line[-1]
            line[-1] = Segment(last.text.rstrip(), last.style, last.control)
        out += [*line, Segment.line()]
    console.print(Segments(out), end="")


def warnings_of(result) -> list[str]:
    """The result's warnings (a number cut to 0 by underflow, ...), or those of the sweep it holds;
    ``result`` may also be the list of warnings itself."""
    if isinstance(result, list):
        return [str(w) for w in result]
    for holder in (result, getattr(result, "sweep", None), getattr(result, "gradient", None)):
        found = getattr(holder, "warnings", None)
        if found and isinstance(found, (list, tuple)):
            return [str(w) for w in found]
    return []


def emit_warnings(found: list[str]) -> None:
    """Each warning as ``gradcli: warning: ...`` on stderr."""
    import os

    label = "warning:"
    if sys.stderr.isatty() and "NO_COLOR" not in os.environ:
        label = click.style(label, fg="yellow", bold=True)
    from gradcli.support.text import printable

    for text in found:
        click.echo(f"gradcli: {label} {printable(text)}", err=True)


def with_warnings(data: dict, found: list[str]) -> dict:
    """``data`` with ``"warnings": [...]`` added when there are any."""
    if found:
        data["warnings"] = found
    return data
