"""Options every command shares: the program (argument or -f FILE), bindings, --of, --wrt, --json,
--data-format."""

from __future__ import annotations

import sys

import click

from gradcli.cli.app import JSON_FLAG
from gradcli.support.errors import UsageError


class Command(click.Command):
    """A click command that refuses an option given twice, where click would keep the last one."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        opts, _, order = self.make_parser(ctx).parse_args(args=list(args))
        if opts.get("as_json"):  # before any check here, so that its error is JSON too
            ctx.meta[JSON_FLAG] = True
        seen: set[str] = set()
        for param in order:
            if not isinstance(param, click.Option) or param.multiple or param.count or param.is_flag:
                continue
            if param.name in seen:
                raise UsageError(_given_twice(ctx.info_name, param))
            seen.add(param.name)
        return super().parse_args(ctx, args)


def _given_twice(command: str, param: click.Option) -> str:
    name = max(param.opts, key=len)
    if param.name == "of":
        return one_output(command, "given twice")
    return f"{name} is given twice: give it once"


def one_output(command: str, what: str) -> str:
    return f"--of {what}: gradcli {command} takes one output; gradcli jacobian takes several"


def _remember_json(ctx: click.Context, param, value):
    ctx.meta[JSON_FLAG] = value
    return value


def json_option_saying(help: str):
    """--json with its help in the command's own words (what it prints: one object, or lines)."""
    return click.option("--json", "as_json", is_flag=True, is_eager=True, callback=_remember_json, help=help)


json_option = json_option_saying("Print one JSON object on stdout instead of tables.")
DATA_FORMATS = ("csv", "tsv", "jsonl")
data_format_option = click.option("--data-format", type=click.Choice(DATA_FORMATS), default=None,
                                  help="The format of --data (default: detected from its first line).")


def only_with_data(data, *given: tuple[str, object]) -> None:
    """Options that go with --data FILE (each ``(flag, value)``, None when not given), given without it:
    say so rather than ignore them."""
    if data is None:
        for flag, value in given:
            if value is not None:
                raise UsageError(f"{flag} goes with --data FILE")


JSON_ROWS = "Print one JSON object on stdout instead of tables (with --data, one JSON line per row)."


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
    return max_elements_option(f)


def _set_max_elements(ctx: click.Context, param, value):
    """The limit holds for this command only: it goes back to the default when the command ends."""
    from gradcli.support.limits import DEFAULT_MAX_ELEMENTS, set_max_elements

    set_max_elements(value)
    ctx.call_on_close(lambda: set_max_elements(DEFAULT_MAX_ELEMENTS))


def max_elements_option(f):
    """--max-elements N: the largest array (and dense Jacobian) a run may build; set for every run."""
    from gradcli.support.limits import DEFAULT_MAX_ELEMENTS

    return click.option("--max-elements", type=click.IntRange(min=1), default=DEFAULT_MAX_ELEMENTS,
                        metavar="N", expose_value=False, callback=_set_max_elements,
                        help="The most elements one array may have (default 2^27, 1 GiB of float64).")(f)


# The longest program -f reads, in characters: a million operations take 13 MB.
MAX_PROGRAM_CHARACTERS = 32 * 2**20


def split_program(ctx: click.Context, args: tuple[str, ...], file) -> tuple[str, list[str]]:
    """The program text and the binding texts, from the positional arguments and -f."""
    if file is not None:
        ctx.meta["gradcli.origin"] = "<stdin>" if file.name == "<stdin>" else file.name
        try:
            text = file.read(MAX_PROGRAM_CHARACTERS + 1)  # /dev/zero or a runaway pipe ends here
        except UnicodeDecodeError as exc:
            raise UsageError(f"{file.name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        if len(text) > MAX_PROGRAM_CHARACTERS:
            raise UsageError(f"{file.name}: the program is longer than {MAX_PROGRAM_CHARACTERS:,} characters "
                             f"({MAX_PROGRAM_CHARACTERS // 2**20} MiB), the most gradcli reads", kind="too-large")
        if args and _reads_as_program(args):
            raise UsageError(f"two programs given: -f {file.name} and {args[0]!r}; give one (after -f, the "
                             "arguments are bindings NAME=VALUE)", kind="two-programs")
        return text, list(args)
    if not args:
        raise UsageError("no program: give it as the first argument, or with -f FILE "
                         f"(try 'gradcli {ctx.info_name} --help')")
    if all(_is_binding(a) for a in args) and _stdin_is_piped():
        # `echo 'y = x^2' | gradcli eval x=3` would take x=3 for the program and answer dx/dx.
        raise UsageError(f"{args[0]!r} is a binding, not a program; to read the program from "
                         "standard input, use -f -")
    return args[0], list(args[1:])


def _reads_as_program(args: tuple[str, ...]) -> bool:
    """The first argument is a program rather than a binding: it parses as one, binds no constant,
    and is not the start of a binding split by spaces (x = 3)."""
    from gradcli.support.errors import GradError
    from gradcli.lang.syntax import parse_program

    if _is_binding(args[0]) or _spaced_binding(list(args), 0)[0]:
        return False
    try:
        parse_program(args[0])
    except GradError:
        return False
    return True


def _stdin_is_piped() -> bool:
    """Standard input is a pipe or a file (something was piped in), judged without reading it.

    A terminal, /dev/null, or a stream with no file descriptor (an in-process runner) is not.
    """
    import os
    import stat

    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (AttributeError, OSError, ValueError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISREG(mode) or stat.S_ISSOCK(mode)


def _is_binding(text: str) -> bool:
    """``x=3`` or ``t=pi/4``: a name bound to a constant expression (no names in the value)."""
    from gradcli.lang.program import is_name

    if "=" not in text or not is_name(text.split("=", 1)[0].strip()):
        return False
    from gradcli.support.errors import GradError
    from gradcli.autodiff.loading import parse_bindings

    try:
        parse_bindings([text])
    except GradError:
        return False
    return True


def split_names(value: str | None) -> list[str] | None:
    if not value:
        return None
    return [n.strip() for n in value.split(",") if n.strip()]


def load_problem(ctx: click.Context, args, file, of=None, wrt=None, require_values=True, several=False, keep=()):
    """The problem from the command line; ``of`` is one output name or None (a list of names with ``several``)."""
    from gradcli.autodiff.loading import load

    if not several and of is not None and "," in of:
        raise UsageError(one_output(ctx.info_name, of))
    if not several and of is not None and not of.strip():
        raise UsageError("--of needs an output name, like --of y")
    if wrt is not None and not split_names(wrt):
        raise UsageError("--wrt needs input names, like --wrt a,b")
    text, bindings = split_program(ctx, args, file)
    for i, b in enumerate(bindings):
        spaced, count = _spaced_binding(bindings, i)
        if spaced:
            raise UsageError(f"{' '.join(map(repr, bindings[i:i + count]))}: a binding is one argument: "
                             f"write {spaced if spaced.isprintable() else repr(spaced)} (no spaces)", kind="binding")
        if "=" not in b:
            hint = " (an option? options go before '--')" if b.startswith("-") else ""
            raise UsageError(f"{b!r} is not a binding NAME=VALUE{hint}", kind="binding")
    return load(text, bindings, of=of, wrt=split_names(wrt), require_values=require_values, several=several,
                keep=keep)


def _spaced_binding(bindings: list[str], i: int) -> tuple[str, int]:
    """``x = 3``, ``x =3`` or ``x= 3`` split by the shell into arguments: the binding meant and the
    number of arguments it spans, or ("", 0)."""
    from gradcli.lang.program import is_name

    name = bindings[i].strip()
    rest = bindings[i + 1:i + 3]
    if name.endswith("=") and is_name(name[:-1].strip()) and rest and "=" not in rest[0]:
        return f"{name[:-1].strip()}={rest[0].strip()}", 2  # x= 3
    if not is_name(name) or not rest or not rest[0].startswith("="):
        return "", 0
    if rest[0] == "=":  # x = 3
        return (f"{name}={rest[1].strip()}", 3) if len(rest) > 1 else ("", 0)
    return f"{name}{rest[0]}", 2  # x =3


def point_warnings(problem) -> list[str]:
    """The warnings of the gradient at the bound point, for a command that does not sweep it itself
    (derive, descend's start): [] when an input has no value or the point does not evaluate."""
    from gradcli.support.errors import GradError
    from gradcli.analyses.passes import has_arrays
    from gradcli.autodiff.gradient import evaluate

    if has_arrays(problem) or any(name not in problem.values for name in problem.tape.input_names()):
        return []
    try:
        return list(evaluate(problem).warnings)
    except GradError:
        return []


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
