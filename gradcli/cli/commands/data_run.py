"""``--data FILE`` for eval, jacobian and check: the options, and the run that streams the answers.

Each chunk's lines are written and flushed as soon as the chunk is computed
(``present`` with the rows view); a chunk closes early whenever input is idle,
so a row piped in gets its answer at once.  At the end, rows that failed give
exit 1 and one line on stderr.
"""

from __future__ import annotations

import click

from gradcli.support.errors import UsageError



def data_options(f):
    from gradcli.cli.commands.common import data_format_option
    from gradcli.render.views import ROWS

    f = click.option("--format", "out_format", type=click.Choice(ROWS.formats), default=None,
                     help="With --data: json (one line per row, as --json), csv, or table (the default).")(f)
    f = data_format_option(f)
    f = click.option("--data", "data", metavar="FILE",
                     help="Rows of inputs: CSV or TSV with a header, or JSON lines ('-': standard input); "
                          "one answer per row.")(f)
    return f


def no_data_options(data_format, out_format) -> None:
    """--data-format and --format without --data."""
    from gradcli.cli.commands.common import only_with_data

    only_with_data(None, ("--data-format", data_format), ("--format", out_format))


def bound_names(args, file) -> list[str]:
    texts = list(args) if file is not None else list(args[1:])
    return [t.split("=", 1)[0].strip() for t in texts if "=" in t]


def open_data(ctx, data: str, data_format: str | None, file):
    from gradcli.support.data_rows import DataReader

    if data == "-" and file is not None and getattr(file, "name", "") == "<stdin>":
        raise UsageError("-f - and --data - both read standard input: give the program or the data in a file")
    return DataReader(data, data_format)


def run_data(ctx, kind: str, args, file, of, wrt, data: str, data_format, out_format, as_json, **check_options):
    """Evaluate every row of ``data`` and write the answers; exit 1 if any row failed."""
    from gradcli.analyses.batch import JACOBIAN, prepare_batch, run
    from gradcli.cli.commands.common import load_problem
    from gradcli.cli.present import present
    from gradcli.render.composed import RowStream
    from gradcli.render.views import ROWS

    if as_json and out_format not in (None, "json"):
        raise UsageError(f"--json and --format {out_format} ask for two outputs: give one")
    out_format = "json" if as_json else (out_format or "table")
    several = kind == JACOBIAN
    reader = open_data(ctx, data, data_format, file)
    problem = load_problem(ctx, args, file, list(of) if several else of, wrt, require_values=False,
                           several=several, keep=reader.header)
    batch = prepare_batch(problem, reader, bound_names(args, file), kind, **check_options)
    batch.late_extras = out_format == "json"
    present(ctx, ROWS, RowStream(batch, run(batch)), out_format)


def data_row(ctx, args, file, of, wrt, data: str, data_format, row):
    """The problem with one row of ``data`` bound (``explain --data FILE --row N``)."""
    from gradcli.analyses.batch import pick_row, prepare_batch
    from gradcli.cli.commands.common import load_problem

    if row is None:
        raise UsageError("--data needs --row N here: explain shows one point (rows count from 0)")
    reader = open_data(ctx, data, data_format, file)
    problem = load_problem(ctx, args, file, of, wrt, require_values=False, keep=reader.header)
    batch = prepare_batch(problem, reader, bound_names(args, file))
    return pick_row(batch, row)
