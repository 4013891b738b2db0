"""gradcli check: the reverse-sweep gradient against central finite differences."""

from __future__ import annotations

import click

from gradcli.analyses.checking import ATOL, RTOL
from gradcli.cli.commands.data_run import data_options, no_data_options
from gradcli.cli.commands.common import (JSON_ROWS, MAX_PROGRAM_CHARACTERS, NON_NEGATIVE, POSITIVE, Command,
                                         json_option_saying, load_problem, program_options)

HELP = """Check the gradient against central finite differences, input by input.

\b
For each input x the numeric slope is (f(x+h) - f(x-h)) / 2h with
h = cbrt(machine epsilon) * max(1, |x|) (about 6e-6 near 1), or --eps.
An input passes when |analytic - numeric| <= atol + rtol*max(|analytic|,
|numeric|) plus the rounding noise of the quotient.  At a kink (abs or
relu at 0, a max/min tie) the difference is not a derivative: the input
is flagged, not failed.  Each input is also nudged by 0.001*max(1,|x|),
in the course's words: "a: 5 -> 5.001 moves J: 33 -> 33.003, slope 3.000".
Exit status 0 when every input passes, 1 when any fails.

\b
Examples:
  gradcli check 'u = b*c; v = a + u; J = 3*v' a=5 b=3 c=2
  gradcli check -f samples/sigmoid_neuron.grad --json
  gradcli check 'y = relu(x)' x=0            (flagged: kink)
  gradcli check 'y = x^3' x=2 --eps 1        (fails: the step is too big)

\b
--against BACKWARD grades a hand-written backward pass instead: each
d_X = expr (d_X += expr at a fork) against the reverse sweep's adjoint
of X, in sweep order, at the bound point and --points random ones; the
first wrong one is shown with its slip named.
  gradcli check -f samples/norm_wx.grad --against 'd_W = 2*outer(W @ x, x)'
  gradcli check -f net.grad X=@X.npy ... --against @my_backward.grad --json
"""


@click.command("check", cls=Command, help=HELP)
@program_options
@click.option("--eps", type=POSITIVE, metavar="H", help="A fixed step h (default: scaled to each input).")
@click.option("--rtol", type=NON_NEGATIVE, default=RTOL, show_default=True,
              help="Relative tolerance.")
@click.option("--atol", type=NON_NEGATIVE, default=ATOL, show_default=True,
              help="Absolute tolerance.")
@click.option("--sample", type=click.IntRange(min=1), metavar="N",
              help="With vectors and matrices: check every element up to N in all, beyond a fixed random sample "
                   "of N (seeded; default 1000).")
@click.option("--against", metavar="BACKWARD",
              help="Grade a hand-written backward pass: statements d_X = expr (d_X += expr at a fork; "
                   "d_W = @dW.npy for values), as text, @FILE or - for standard input.")
@click.option("--points", type=click.IntRange(min=0), default=3, show_default=True,
              help="With --against: random points beside the bound one.")
@data_options
@json_option_saying(JSON_ROWS)
@click.pass_context
def command(ctx, args, file, of, wrt, eps, rtol, atol, sample, against, points, data, data_format, out_format,
            as_json):
    if against is not None:
        return _against(ctx, args, file, of, wrt, against, points, as_json,
                        eps=eps, sample=sample, data=data, rtol=rtol != RTOL, atol=atol != ATOL)
    if data is not None:
        from gradcli.cli.commands.data_run import run_data

        return run_data(ctx, "check", args, file, of, wrt, data, data_format, out_format, as_json,
                        eps=eps, rtol=rtol, atol=atol, sample=sample)
    no_data_options(data_format, out_format)
    from gradcli.analyses.checking import check
    from gradcli.cli.present import present
    from gradcli.render.views import view

    result = check(load_problem(ctx, args, file, of, wrt), eps=eps, rtol=rtol, atol=atol, sample=sample,
                   announce=lambda text: click.echo(f"gradcli: warning: {text}", err=True))
    # One object on stdout, failure included; the error line on stderr and the exit status (the view's
    # outcome), as for every other failure.
    present(ctx, view("check"), result, "json" if as_json else "table")


def _against(ctx, args, file, of, wrt, against: str, points: int, as_json: bool, **others):
    """Grade the user's backward pass (analyses/grading.py) at the bound point and random ones."""
    from gradcli.analyses.grading import grade
    from gradcli.cli.present import present
    from gradcli.render.views import view
    from gradcli.support.errors import UsageError

    given = [f"--{name}" for name, value in others.items() if value not in (None, False)]
    if given:
        raise UsageError(f"{', '.join(given)} does not go with --against: the hand-written adjoints are "
                         "compared with the reverse sweep's, not with finite differences")
    if against == "-" and file is not None and file.name == "<stdin>":
        raise UsageError("-f - and --against - both read standard input: give one of them from a file")
    against = read_backward(against)
    problem = load_problem(ctx, args, file, of, wrt)
    present(ctx, view("check", "against"), grade(problem, against, points), "json" if as_json else "table")


def read_backward(text: str) -> str:
    """A backward pass as given: the text itself, ``-`` for standard input, or ``@FILE``."""
    if text == "-":
        return click.get_text_stream("stdin").read(MAX_PROGRAM_CHARACTERS + 1)
    if text.startswith("@") and "=" not in text:
        return _read_backward(text[1:])
    return text


def _read_backward(path: str) -> str:
    from gradcli.support.errors import UsageError

    try:
        with open(path, encoding="utf-8") as f:
            return f.read(MAX_PROGRAM_CHARACTERS + 1)
    except OSError as exc:
        raise UsageError(f"--against @{path}: {exc.strerror or exc}", kind="file") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"--against @{path}: not UTF-8 text ({exc.reason} at byte {exc.start})", kind="file") from None
