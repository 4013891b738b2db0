"""Shared helpers: run the CLI in-process and read its exit code, stdout and stderr."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradcli.cli.app import cli

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


def run(*args: str, input: str | None = None) -> Run:
    """Invoke gradcli; any exception that escapes (a traceback a user would see) fails the test."""
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


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
