"""The command line: a thin click layer, and the one place errors become exit codes.

Commands live in ``gradcli/cli/commands/`` and are imported only when invoked, so
``gradcli eval --json`` never imports Rich (see the README's start-up figures).
"""

from __future__ import annotations

import os
import _signal  # the C module: ``signal`` builds its enums at import, for nothing here
import sys

import click

from gradcli.cli import streams
from gradcli.support.errors import ExitCode, GradError
from gradcli.support.interrupt import exit_on_interrupt, set_handler

# name -> (module, one-line help).  The help is here so that `gradcli --help`
# does not import every command.
COMMANDS = {
    "eval": ("gradcli.cli.commands.eval_cmd", "Evaluate a program and its gradient (reverse sweep)."),
    "explain": ("gradcli.cli.commands.explain", "Explain a gradient: paths, backward steps, trace, graph."),
    "jacobian": ("gradcli.cli.commands.jacobian", "The Jacobian of several outputs, forward or reverse mode."),
    "check": ("gradcli.cli.commands.check", "Check the gradient against central finite differences."),
    "descend": ("gradcli.cli.commands.descend", "Minimise the output by gradient descent."),
    "graph": ("gradcli.cli.commands.graph", "Write the annotated computational graph (DOT, Mermaid, JSON)."),
    "derive": ("gradcli.cli.commands.derive", "Write the backward pass out as a program; closed forms, LaTeX."),
    "hessian": ("gradcli.cli.commands.hessian", "The matrix of second derivatives (forward over reverse)."),
    "health": ("gradcli.cli.commands.health", "The health of a network's gradients: saturation, dead units, ratios."),
    "plot": ("gradcli.cli.commands.plot", "Plot f, its derivative f' and a tangent line, in the terminal or a file."),
    "quiz": ("gradcli.cli.commands.quiz", "A random graph to backpropagate by hand; grade the answers."),
}

JSON_FLAG = "gradcli.json"  # ctx.meta key: errors go to stdout as JSON too
ARGV = "gradcli.argv"  # ctx.meta key: the arguments, to see --json even when they do not parse


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return [name for name, (module, _) in COMMANDS.items() if _importable(module)]

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        import importlib

        module, _ = COMMANDS[name]
        try:
            return importlib.import_module(module).command
        except ModuleNotFoundError:
            return None

    def format_commands(self, ctx, formatter):
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def parse_args(self, ctx, args):
        ctx.meta[ARGV] = list(args)
        if not args:  # `gradcli` alone asks what there is: the help, and success
            click.echo(ctx.get_help(), color=ctx.color)
            ctx.exit(int(ExitCode.OK))
        return super().parse_args(ctx, args)

    def resolve_command(self, ctx, args):
        name = args[0] if args else None
        if name is not None and not name.startswith("-") and self.get_command(ctx, name) is None:
            import difflib

            close = difflib.get_close_matches(name, list(COMMANDS), n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise click.UsageError(f"No such command '{name}'.{hint}", ctx)
        return super().resolve_command(ctx, args)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except GradError as err:
            report(err, ctx.meta.get(JSON_FLAG, False), ctx.meta.get("gradcli.origin"))
            ctx.exit(int(err.exit_code))
        except MemoryError as exc:  # an allocation the limits did not foresee: one line, exit 1
            detail = f" ({exc})" if str(exc) else ""
            report(GradError(f"out of memory{detail}; try smaller inputs or a lower --max-elements",
                             kind="memory"), ctx.meta.get(JSON_FLAG, False))
            ctx.exit(int(ExitCode.FAILED))
        except BrokenPipeError:
            # Caught here, before click's own handler turns a closed pipe into exit 1.
            _quiet_broken_pipe()
            ctx.exit(int(ExitCode.OK))
        except click.NoSuchOption as exc:
            meant = _one_dash_short(exc, ctx.meta.get(ARGV, ()))
            if meant:
                exc.message += f" ('{meant[0]}' has one dash: did you mean {meant[1]}?)"
            elif not exc.option_name.startswith("--"):
                exc.message += (f" (a program that starts with '-' goes after '--': "
                                f"gradcli eval -- '{exc.option_name}...' NAME=VALUE)")
            raise

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        """Every outcome becomes an exit code here: errors as one ``gradcli: error:`` line, never
        click's ``Usage: ... Error:`` block, Ctrl-C as 130, a closed pipe as a quiet 0."""
        args = sys.argv[1:] if args is None else list(args)
        with streams.guarded():
            # Ctrl-C while a command runs is a KeyboardInterrupt (descend shows where it got to);
            # before and after, the entry point's handler exits 130 at once.
            outside = set_handler(_signal.default_int_handler)
            try:
                code = self._outcome(args, prog_name, complete_var, **extra)
                if standalone_mode:
                    _flush_or_quiet()
            except streams.OutputError as exc:
                code = _output_failed(exc)
            except KeyboardInterrupt:  # Ctrl-C while an error or the output was being written
                if outside is not None:  # a second Ctrl-C now exits 130 at once
                    set_handler(outside)
                click.echo("gradcli: interrupted", err=True)
                code = int(ExitCode.INTERRUPTED)
            finally:
                if outside is not None:
                    set_handler(outside)
        if not standalone_mode:
            return code
        sys.exit(code)

    def _outcome(self, args, prog_name, complete_var, **extra) -> int:
        """The run's exit code, every error said in gradcli's form."""
        try:
            _no_nul(args)
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Exit as exc:
            code = exc.exit_code
        except click.ClickException as exc:
            code = _click_error(exc, "--json" in args)
        except (click.Abort, KeyboardInterrupt):
            click.echo("gradcli: interrupted", err=True)
            code = ExitCode.INTERRUPTED
        except BrokenPipeError:
            _quiet_broken_pipe()
            code = ExitCode.OK
        except streams.OutputError:
            raise
        except Exception as exc:  # a bug: one line for the user, the traceback with GRADCLI_DEBUG=1
            if _interrupted(exc):  # Ctrl-C inside a class's creation: Python wraps it in a RuntimeError
                click.echo("gradcli: interrupted", err=True)
                return int(ExitCode.INTERRUPTED)
            if os.environ.get("GRADCLI_DEBUG"):
                raise
            from gradcli.support.text import printable

            click.echo(printable(f"gradcli: error: internal error ({type(exc).__name__}: {exc}); this is a bug "
                                 "in gradcli: GRADCLI_DEBUG=1 shows where"), err=True)
            code = ExitCode.FAILED
        return int(code) if isinstance(code, int) else int(ExitCode.OK)


def _interrupted(exc: BaseException) -> bool:
    """True when a KeyboardInterrupt is among what caused ``exc`` (Python 3.11 reports one raised in
    ``__set_name__``, as a dataclass is made, as ``RuntimeError: Error calling __set_name__``)."""
    seen = 0
    cause = exc.__cause__ or exc.__context__
    while cause is not None and seen < 100:
        if isinstance(cause, KeyboardInterrupt):
            return True
        cause, seen = cause.__cause__ or cause.__context__, seen + 1
    return False


def _no_nul(args: list[str]) -> None:
    """A shell cannot pass a NUL in an argument; a caller that does gets a usage error, not a
    file name or a value that every later step would have to refuse on its own."""
    for k, arg in enumerate(args, 1):
        if "\x00" in arg:
            raise click.UsageError(f"argument {k} holds a NUL character (\\x00): no name, value or file "
                                   "name can")


def _output_failed(exc: streams.OutputError) -> int:
    """Standard output is closed or full: one line on standard error, exit 1."""
    streams.discard_output()
    click.echo(f"gradcli: error: cannot write the output: {exc.reason}", err=True)
    return int(ExitCode.FAILED)


def _one_dash_short(exc: click.NoSuchOption, argv) -> tuple[str, str] | None:
    """``-json`` read by click as -j -s -o -n: the argument and the long option it spells, if any."""
    command = exc.ctx.command if exc.ctx is not None else None
    if command is None or exc.option_name.startswith("--"):
        return None
    known = {opt for param in command.params
             for opt in getattr(param, "opts", []) + getattr(param, "secondary_opts", [])}
    for arg in argv:
        if arg.startswith(exc.option_name) and not arg.startswith("--") and len(arg) > 2:
            meant = "-" + arg.split("=", 1)[0]
            if meant in known:
                return arg, meant
    return None


def _click_error(exc: click.ClickException, as_json: bool) -> int:
    """click's own errors (an unknown option, a bad --mode, a missing -f file) in gradcli's form."""
    message = exc.format_message().rstrip(".")
    if message[:1].isupper() and message[1:2].islower():
        message = message[0].lower() + message[1:]
    error = GradError(message, kind="usage")
    error.exit_code = exc.exit_code
    ctx = getattr(exc, "ctx", None)
    if ctx is not None and isinstance(exc, click.UsageError) and not message.endswith(")"):
        command = " ".join(["gradcli", *ctx.command_path.split()[1:]])
        error.message += f" (see '{command} --help')"
    try:
        report(error, as_json)
    except BrokenPipeError:
        _quiet_broken_pipe()
    return exc.exit_code


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def report(err: GradError, as_json: bool, origin: str | None = None) -> None:
    """An error on stderr (with a caret under the column), and on stdout as JSON with --json.

    The message and the program line may hold user text: control characters are shown as
    escapes (``\\x1b``), never sent to the terminal.
    """
    from gradcli.support.text import printable

    unwritten = None
    if as_json:
        from gradcli.support.numbers import json_text

        try:
            click.echo(json_text(err.to_json()))
        except streams.OutputError as exc:  # say the error on stderr all the same, then that
            unwritten = exc
    where = err.location()
    if where and origin:
        where = f"{origin}:{where}"
    label = "error:"
    if sys.stderr.isatty() and "NO_COLOR" not in os.environ:
        label = click.style(label, fg="red", bold=True)
    click.echo(f"gradcli: {label} {printable(where + ': ' if where else '')}{printable(err.message)}", err=True)
    view = err.caret_view()
    if view is not None:
        source, column = view
        line = source.expandtabs(4)  # tabs as spaces, so the caret lines up
        prefix = " " * len(printable(source[: column - 1].expandtabs(4)))
        click.echo(f"    {printable(line)}\n    {prefix}^", err=True)
    if unwritten is not None:
        raise unwritten


HELP = """gradcli computes gradients and explains them.

\b
Write a program of statements (or one formula), give the inputs values,
and gradcli runs the forward pass, the reverse sweep (backpropagation),
and shows every gradient.

\b
Examples:
  gradcli eval 'u = b*c; v = a + u; J = 3*v' a=5 b=3 c=2
  gradcli eval -f samples/ng_chain.grad --all
  gradcli eval 'f = (x + y) * z' x=-2 y=5 z=-4 --json
  gradcli eval 'q = W @ x; f = sum(q*q)' 'W=[[0.1, 0.5], [-0.3, 0.8]]' 'x=[0.2, 0.4]'
  gradcli derive 'u = b*c; v = a + u; J = 3*v' --closed-form
"""


@click.group(cls=LazyGroup, help=HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gradcli", prog_name="gradcli")
def cli():
    pass


def cli_main(argv: list[str] | None = None) -> None:
    """Entry point (``gradcli``, ``python -m gradcli`` call it through gradcli/__main__.py, which
    handles Ctrl-C before importing this module): see ``LazyGroup.main``."""
    exit_on_interrupt()
    cli.main(args=argv, prog_name="gradcli")


def _flush_or_quiet() -> None:
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_broken_pipe()


def _quiet_broken_pipe() -> None:
    # The reader went away (`gradcli ... | head -1`): drop what is left, quietly.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
