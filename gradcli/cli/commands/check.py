"""gradcli check: the reverse-sweep gradient against central finite differences."""

from __future__ import annotations

import click

from gradcli.analyses.checking import ATOL, RTOL
from gradcli.cli.commands.data_run import data_options, no_data_options
from gradcli.cli.commands.common import (JSON_ROWS, NON_NEGATIVE, POSITIVE, Command, json_option_saying, load_problem,
                                         program_options)

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
@data_options
@json_option_saying(JSON_ROWS)
@click.pass_context
def command(ctx, args, file, of, wrt, eps, rtol, atol, sample, data, data_format, out_format, as_json):
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
