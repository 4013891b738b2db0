"""The fuzzer (tests/fuzzer.py) for a fixed budget with a fixed seed: it must find nothing.

Every command the CLI lists gets hostile programs, bindings, value files, data rows and options,
and a few runs as separate processes with their streams closed, full or signalled; the oracle is
``fuzzer.judge`` (exit codes, tracebacks, internal errors, strict JSON, stderr lines, control
characters, hangs).  ``python tests/fuzzer.py --seconds 900`` runs it for longer.
"""

from __future__ import annotations

import os

import pytest

import fuzzer
from conftest import assert_error, run, write_counts

SEED = "20261204"
COUNT = int(os.environ.get("GRADCLI_FUZZ", "4000"))  # inputs over all commands; streams are about 2%


def test_the_fuzzer_finds_nothing(request):
    tried, findings = fuzzer.fuzz(SEED, count=COUNT)
    write_counts(request, "fuzz inputs tried", tried)
    assert not findings, "\n".join(str(f) for f in findings[:20]) + f"\n({len(findings)} findings)"


@pytest.mark.parametrize("name", [name for name, _ in fuzzer.COMMANDS])
def test_every_command_is_fuzzed(name):
    """The fuzzer takes its commands from the CLI's registry, so a new command is fuzzed too."""
    assert name in fuzzer.SHAPES


@pytest.mark.parametrize("stream", fuzzer.STREAMS)
def test_the_oracle_sees_a_stream_attack_end_well(stream):
    """A valid run under each stream attack: the process ends by the rules (no traceback, a known code)."""
    case = fuzzer.Case(["eval", "y = x^2", "x=3", "--json"], stream=stream)
    assert fuzzer.judge(case, fuzzer.run_process(case)) == []


@pytest.mark.parametrize("outcome, problem", [
    (fuzzer.Outcome(3, "", ""), "exit code 3"),
    (fuzzer.Outcome(1, "", "Traceback (most recent call last):"), "traceback on stderr"),
    (fuzzer.Outcome(0, '{"x": NaN}', ""), "stdout is not strict JSON"),
    (fuzzer.Outcome(0, "\x1b]0;PWNED\a", ""), "raw control character"),
    (fuzzer.Outcome(0, "{}", "RuntimeWarning: overflow"), "not gradcli's"),
    (fuzzer.Outcome(1, "", "gradcli: error: internal error (KeyError: 1)"), "internal error"),
])
def test_the_oracle_flags_what_it_should(outcome, problem):
    case = fuzzer.Case(["eval", "y = x", "x=1", "--json"])
    assert any(problem in p for p in fuzzer.judge(case, outcome))


def test_unknown_command_is_a_usage_error():
    result = assert_error(["frobnicate", "y = x", "x=1"], 2)
    assert result.err.startswith("gradcli: error: no such command")
