"""Options every command shares: the program (argument or -f FILE), bindings, --of, --wrt, --json."""

from __future__ import annotations

import click

from ..cli import JSON_FLAG
from ..errors import UsageError


def _remember_json(ctx: click.Context, param, value):
    ctx.meta[JSON_FLAG] = value
    return value


json_option = click.option("--json", "as_json", is_flag=True, is_eager=True, callback=_remember_json,
                           help="Print one JSON object on stdout instead of tables.")


def program_options(f=None, *, wrt: bool = True, outputs: bool = False):
    """PROGRAM [NAME=VALUE ...] or -f FILE [NAME=VALUE ...], with --of and (unless wrt=False) --wrt.

    ``outputs=True``: --of may be repeated or take a comma list (a tuple of texts, for split_names).
    """
    if f is None:
        return lambda g: program_options(g, wrt=wrt, outputs=outputs)
    f = click.argument("args", nargs=-1, metavar="[PROGRAM] [NAME=VALUE]...")(f)
    f = click.option("-f", "--file", "file", type=click.File("r", encoding="utf-8"),
                     help="Read the program from FILE ('-' for standard input).")(f)
    if outputs:
        f = click.option("--of", "of", metavar="NAME[,NAME]", multiple=True,
                         help="An output (a row); repeat it or give a comma list "
                              "(default: the statements nothing uses).")(f)
    else:
        f = click.option("--of", "of", metavar="NAME",
                         help="The output to differentiate (default: the statement nothing else uses).")(f)
    if wrt:
        f = click.option("--wrt", "wrt", metavar="A,B",
                         help="Differentiate with respect to these inputs only (default: all).")(f)
    return f


def split_program(ctx: click.Context, args: tuple[str, ...], file) -> tuple[str, list[str]]:
    """The program text and the binding texts, from the positional arguments and -f."""
    if file is not None:
        ctx.meta["gradcli.origin"] = "<stdin>" if file.name == "<stdin>" else file.name
        try:
            text = file.read()
        except UnicodeDecodeError as exc:
            raise UsageError(f"{file.name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        return text, list(args)
    if not args:
        raise UsageError("no program: give it as the first argument, or with -f FILE "
                         "(try 'gradcli eval --help')")
    return args[0], list(args[1:])


def split_names(value: str | None) -> list[str] | None:
    if not value:
        return None
    return [n.strip() for n in value.split(",") if n.strip()]


def load_problem(ctx: click.Context, args, file, of=None, wrt=None, require_values=True, several=False):
    from ..problem import load

    text, bindings = split_program(ctx, args, file)
    for b in bindings:
        if "=" not in b:
            hint = " (an option? options go before '--')" if b.startswith("-") else ""
            raise UsageError(f"{b!r} is not a binding NAME=VALUE{hint}", kind="binding")
    return load(text, bindings, of=of, wrt=split_names(wrt), require_values=require_values, several=several)


def emit_json(data: dict) -> None:
    import json

    click.echo(json.dumps(data, ensure_ascii=False))


def print_rich(renderable) -> None:
    from rich.console import Console

    Console().print(renderable)



class FiniteFloat(click.ParamType):
    """A finite number, optionally bounded below: rejects 1e999, inf and nan."""

    name = "number"

    def __init__(self, minimum: float | None = None, strict: bool = False):
        self.minimum, self.strict = minimum, strict

    def convert(self, value, param, ctx):
        import math

        if isinstance(value, float):
            number = value
        else:
            try:
                number = float(value)
            except ValueError:
                self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        if self.minimum is not None and (number < self.minimum or (self.strict and number == self.minimum)):
            bound = "greater than" if self.strict else "at least"
            self.fail(f"{value!r} must be {bound} {self.minimum:g}", param, ctx)
        return number


POSITIVE = FiniteFloat(0.0, strict=True)
NON_NEGATIVE = FiniteFloat(0.0)
