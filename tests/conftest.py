"""Shared helpers: run the CLI in-process and read its exit code, stdout and stderr."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from gradcli.cli.app import cli
from gradcli.core.lower import build_tape
from gradcli.lang.syntax import parse_program
from gradcli.support.errors import ProgramError

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)

    def json_lines(self) -> list[dict]:
        """Standard output as JSON lines: one object per ``--data`` row or descent step."""
        return [json.loads(line) for line in self.out.splitlines()]


def run(*args: str, input: str | None = None) -> Run:
    """Invoke gradcli; any exception that escapes (a traceback a user would see) fails the test."""
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


def run_json(*args: str, code: int = 0, input: str | None = None) -> dict:
    """Run gradcli (add ``--json`` to ``args``), check its exit code, and read stdout: one JSON object."""
    result = run(*args, input=input)
    assert result.code == code, (result.out, result.err)
    return result.json()


def run_json_lines(*args: str, code: int = 0, input: str | None = None) -> list[dict]:
    """As ``run_json``, for the commands that write JSON lines (``--data`` rows, descent steps)."""
    result = run(*args, input=input)
    assert result.code == code, (result.out, result.err)
    return result.json_lines()


def assert_error(args, code: int, *fragments: str, input: str | None = None) -> Run:
    """Run gradcli and check that it fails as a user should see it: exit ``code``, one ``gradcli: error:``
    line (below it, indented, only the program's line and a caret under the place) holding every
    fragment, and no traceback.  Returns the run for what a test checks beyond that."""
    result = run(*args, input=input)
    assert result.code == code, (result.out, result.err)
    first, *quote = result.err.splitlines() or [""]
    assert first.startswith("gradcli: error: "), result.err
    assert all(line.startswith("    ") for line in quote), result.err
    assert "Traceback" not in result.err, result.err
    for fragment in fragments:
        assert fragment in result.err, (fragment, result.err)
    return result


def commands() -> dict[str, click.Command]:
    """Every command's click object by name, from the CLI's own registry, in the order of ``gradcli --help``:
    tests that mean "every command" take the list from here, never write it out."""
    ctx = click.Context(cli, info_name="gradcli")
    return {name: cli.get_command(ctx, name) for name in cli.list_commands(ctx)}


def program_commands() -> dict[str, click.Command]:
    """The commands that take a program (PROGRAM or -f FILE, then bindings): all but ``quiz``, which makes its own."""
    return {name: c for name, c in commands().items() if any(p.name == "args" for p in c.params)}


def takes_one_output(command: click.Command) -> bool:
    """Whether a command computes one output (its ``--of`` may not repeat), read from its declared options."""
    return not any(p.name == "of" and p.multiple for p in command.params)


def program_error(text: str, build: bool = False) -> ProgramError:
    """The error reading ``text`` raises: in parsing it, or (``build``) in parsing or building its tape."""
    with pytest.raises(ProgramError) as caught:
        program = parse_program(text)
        if build:
            build_tape(program)
    return caught.value


def central_difference(f, x: list[float], i: int, h: float | None = None) -> float:
    """d f / d x_i by central differences, with a step scaled to x_i."""
    h = h or 1e-6 * max(1.0, abs(x[i]))
    up, down = list(x), list(x)
    up[i] += h
    down[i] -= h
    return (f(*up) - f(*down)) / (2 * h)


def write_counts(request, label: str, counts: dict) -> None:
    """Print how many inputs a test module tried, past pytest's capture (the README quotes these)."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None and counts:
        detail = ", ".join(f"{name}: {n}" for name, n in sorted(counts.items()))
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\n{label}: {sum(counts.values())} ({detail})")
