"""The command line: a thin click layer, and the one place errors become exit codes.

Commands live in ``gradcli/commands/`` and are imported only when invoked, so
``gradcli eval --json`` never imports Rich (see the README's start-up figures).
"""

from __future__ import annotations

import os
import sys

import click

from .errors import ExitCode, GradError

# name -> (module, one-line help).  The help is here so that `gradcli --help`
# does not import every command.
COMMANDS = {
    "eval": ("gradcli.commands.eval_cmd", "Evaluate a program and its gradient (reverse sweep)."),
    "explain": ("gradcli.commands.explain", "Explain a gradient: paths, backward steps, trace, graph."),
    "jacobian": ("gradcli.commands.jacobian", "The Jacobian of several outputs, forward or reverse mode."),
    "check": ("gradcli.commands.check", "Check the gradient against central finite differences."),
    "descend": ("gradcli.commands.descend", "Minimise the output by gradient descent."),
    "graph": ("gradcli.commands.graph", "Write the annotated computational graph (DOT, Mermaid, JSON)."),
    "derive": ("gradcli.commands.derive", "Write the backward pass out as a program; closed forms, LaTeX."),
    "hessian": ("gradcli.commands.hessian", "The matrix of second derivatives (forward over reverse)."),
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
        except click.UsageError as exc:  # click's own: it prints usage; add a hint, and JSON if asked
            if isinstance(exc, click.NoSuchOption) and not exc.option_name.startswith("--"):
                exc.message += (f" (a program that starts with '-' goes after '--': "
                                f"gradcli eval -- '{exc.option_name}...' NAME=VALUE)")
            if "--json" in ctx.meta.get(ARGV, ()):
                import json

                from .errors import UsageError

                click.echo(json.dumps(UsageError(exc.format_message()).to_json()))
            raise


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def report(err: GradError, as_json: bool, origin: str | None = None) -> None:
    """An error on stderr (with a caret under the column), and on stdout as JSON with --json."""
    if as_json:
        import json

        click.echo(json.dumps(err.to_json()))
    where = err.location()
    if where and origin:
        where = f"{origin}:{where}"
    label = "error:"
    if sys.stderr.isatty() and "NO_COLOR" not in os.environ:
        label = click.style(label, fg="red", bold=True)
    click.echo(f"gradcli: {label} {where + ': ' if where else ''}{err.message}", err=True)
    if err.source is not None and err.column:
        prefix = "".join(c if c == "\t" else " " for c in err.source[: err.column - 1])
        click.echo(f"    {err.source}\n    {prefix}^", err=True)


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
"""


@click.group(cls=LazyGroup, help=HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gradcli", prog_name="gradcli")
def cli():
    pass


def main(argv: list[str] | None = None) -> None:
    """Entry point: no traceback for Ctrl-C or a closed pipe."""
    try:
        # Without standalone mode click returns ctx.exit()'s code instead of exiting.
        code = cli.main(args=argv, prog_name="gradcli", standalone_mode=False)
    except click.exceptions.Exit as exc:
        _exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        _exit(exc.exit_code)
    except click.Abort:
        click.echo("gradcli: interrupted", err=True)
        _exit(ExitCode.INTERRUPTED)
    except KeyboardInterrupt:
        click.echo("gradcli: interrupted", err=True)
        _exit(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        _quiet_broken_pipe()
        _exit(ExitCode.OK)
    _flush_or_quiet()
    _exit(code if isinstance(code, int) else ExitCode.OK)


def _flush_or_quiet() -> None:
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_broken_pipe()


def _quiet_broken_pipe() -> None:
    # The reader went away (`gradcli ... | head -1`): drop what is left, quietly.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _exit(code) -> None:
    sys.exit(int(code or 0))
