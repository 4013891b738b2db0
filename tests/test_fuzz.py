"""A fuzzer for bad input: every command survives random and mutated programs and bindings.

Thousands of inputs (token soup from the grammar's tokens, stray unicode and
lone surrogates, NUL bytes, unbalanced brackets, ``1e999``, ``1e-400``, ``x=``,
``==``, very long names, blank lines only, CRLF, tabs, and the worked examples'
programs with characters deleted, duplicated or swapped) go to every command
that ``gradcli.cli`` lists, with options drawn from the command's own click
parameters: flags, each choice of a flag group (explain's --paths, --steps,
--trace, --graph), choices, small numbers, names.  A new command is fuzzed
without a change here.

Every run must end with exit 0, 1 or 2; when not 0, stderr starts with
``gradcli: error:`` (or click's ``Usage:``/``Error:``) and no traceback
reaches the user; with ``--json``, stdout is one strict JSON object.
The seed is fixed; the module prints how many inputs were tried.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter

import click
import pytest

from conftest import SAMPLES, run, write_counts
from gradcli.cli.app import cli
from gradcli.core.ops import CONSTANTS, FUNCTIONS

TOTAL = 3_000  # inputs over all commands
SEED = 20240611
TRIED = Counter()

WORKED_EXAMPLES = [
    "u = b*c; v = a + u; J = 3*v",
    "f = (x + y) * z",
    "f = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))",
    "f = sigmoid(w0*x0 + w1*x1 + w2)",
    "y = log(x1) + x1*x2 - sin(x2)",
    "g = (x + y) * z",
] + [p.read_text() for p in sorted(SAMPLES.glob("*.grad"))]

TOKENS = (["x", "y", "a", "b", "x1", "w0", "_t", "J", "f", "0", "1", "2.5", ".5", "1e3", "1.5e-1", "3.",
           "+", "-", "*", "/", "^", "**", "(", ")", ",", "=", ";", "\n", "#", " ", "\t", "\r\n"]
          + list(FUNCTIONS) + list(CONSTANTS))
STRAY = ["\x00", "§", "π", "é", "\u200b", "\u202e", "😀", "\ufeff", "\x7f", "\x1b[31m", "\udcff", "\ud800",
         "½", "٣", "∞", "−", "×", "\u00a0", "\x0c", "\x0b", "`", "$", "@", "!", "?", "[", "]", "{", "}", "'", '"']
SPECIAL = ["1e999", "1e-400", "x=", "==", "x = = 2", "y = x ==", "((((((x", "x))))", "()", "(,)", "max()",
           "f(", "sin x", "3x", "x y", "\n\n\n", "", " ", "\t\t", ";;;;", "# only a comment", "\r\n\r\n",
           "y = " + "z" * 10_000, "y = " + "(" * 300, "y = x" + ")" * 300, "y = 1e308*10", "-1e-320",
           "y = x\x00", "y = x\r\nz = y\r\n", "y =\tx\t*\t2", "pi = 3", "e = 2", "f = f", "a = b; b = a",
           "y = x; y = x", "y = 1.7e308 + 1.7e308", "y = 0^-1", "y = log(0)", "y = sqrt(-0.0)", "y = 0/0",
           "y = exp(-1000)", "y = ln(-1)", "y = asin(2)", "y = pow(-8, 1/3)", "y = max(x)", "y = sin(x, x)",
           "y = 2^3^2^4^5"]
BINDINGS = ["x=1", "y=2", "a=5", "b=3", "c=2", "z=-4", "x1=2", "x2=5", "w0=2", "x=", "=3", "x==2", "x=1e999",
            "x=1e-400", "x=pi/0", "x=y", "x=1;y=2", "x=(", "x=sqrt(-1)", "x=-0.0", "x=1.7e308", "x=1e-320",
            "--weird", "-x", "x", "x=\x00", "é=1", "x=exp(1000)", "q=1", "x=1", "x=2", "z" * 5_000 + "=1",
            "x=sin()", "x=max(1,2,3)", "x=--1", "f=3", "J=0"]


def mutate(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(rng.randint(1, 4)):
        action = rng.choice(["delete", "duplicate", "swap", "insert", "stray"])
        if not chars:
            chars = list(rng.choice(TOKENS))
        k = rng.randrange(len(chars))
        if action == "delete":
            del chars[k]
        elif action == "duplicate":
            chars.insert(k, chars[k])
        elif action == "swap" and len(chars) > 1:
            j = rng.randrange(len(chars))
            chars[k], chars[j] = chars[j], chars[k]
        elif action == "insert":
            chars.insert(k, rng.choice(TOKENS))
        else:
            chars.insert(k, rng.choice(STRAY))
    return "".join(chars)


def random_program(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.25:
        return "".join(rng.choice(TOKENS) for _ in range(rng.randint(1, 25)))
    if kind < 0.33:
        return "".join(rng.choice(TOKENS + STRAY) for _ in range(rng.randint(1, 15)))
    if kind < 0.45:
        return rng.choice(SPECIAL)
    if kind < 0.75:
        return mutate(rng, rng.choice(WORKED_EXAMPLES))
    return rng.choice(WORKED_EXAMPLES)  # valid programs, with missing or wrong bindings


VALUES = ["1", "2", "-3", "0.5", "0", "-0.0", "1e-320", "1.7e308", "pi/4", "-1e-3", "1000", "-1000"]


def random_bindings(rng: random.Random, program: str) -> list[str]:
    """Often a value for every name of the program (so that evaluation runs), with some garbage."""
    found = []
    if rng.random() < 0.6:
        names = dict.fromkeys(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", program.split("#")[0]))
        found = [f"{n}={rng.choice(VALUES)}" for n in names
                 if n not in FUNCTIONS and n not in CONSTANTS and rng.random() < 0.9]
    for _ in range(rng.choice([0, 0, 1, 2])):
        found.insert(rng.randint(0, len(found)), rng.choice(BINDINGS))
    if rng.random() < 0.15:
        found.append(mutate(rng, rng.choice(BINDINGS)))
    return found


class Shape:
    """The options a command accepts, read from its click parameters."""

    def __init__(self, command: click.Command):
        self.flags: list[str] = []
        self.groups: dict[str, list[str]] = {}  # dest -> options that set it to a flag value (--paths...)
        self.valued: list[click.Option] = []
        for param in command.params:
            if not isinstance(param, click.Option) or param.name in ("help", "file"):
                continue
            opt = param.opts[-1] if param.opts[-1].startswith("--") else param.opts[0]
            if param.is_flag and not param.is_bool_flag:
                self.groups.setdefault(param.name, []).append(opt)
            elif param.is_flag:
                self.flags.append(opt)
            elif not isinstance(param.type, (click.File, click.Path)):  # never write files
                self.valued.append(param)

    def options(self, rng: random.Random, k: int, names: list[str]) -> list[str]:
        args = [opt for opt in self.flags if rng.random() < 0.2]
        for dest, opts in self.groups.items():
            if rng.random() < 0.9:
                args.append(opts[k % len(opts)])  # every flag value in turn
        for param in self.valued:
            if rng.random() < 0.25:
                args += [param.opts[-1], self.value(rng, param, names)]
        return args

    @staticmethod
    def value(rng: random.Random, param: click.Option, names: list[str]) -> str:
        kind = param.type
        if isinstance(kind, click.Choice):
            return rng.choice(list(kind.choices) + ["bogus"])
        if isinstance(kind, (click.types.IntParamType, click.IntRange)):
            # a huge --steps really runs that long on a loss that falls forever (y = x): a hang, not a crash
            huge = [] if param.name == "steps" else ["99999999999999999999"]
            return rng.choice(["0", "1", "3", "-1", "x", *huge])
        if isinstance(kind, (click.types.FloatParamType, click.FloatRange)):
            return rng.choice(["0.1", "0", "-1", "1e999", "nan", "x"])
        return rng.choice(names + ["x", "x,y", "", ",", "nosuch", "é", "x" * 300])


def commands():
    ctx = click.Context(cli)
    return [(name, cli.get_command(ctx, name)) for name in cli.list_commands(ctx)]


COMMANDS = commands()


@pytest.fixture(scope="module", autouse=True)
def report_tried(request):
    yield
    write_counts(request, "fuzz inputs tried", TRIED)


def check(args: list[str], result, as_json: bool) -> None:
    where = f"gradcli {args!r}"
    assert result.code in (0, 1, 2), where
    assert "Traceback" not in result.err and "Traceback" not in result.out, where
    if result.code != 0:  # warnings may come first
        lines = [line for line in result.err.splitlines() if not line.startswith("gradcli: warning:")]
        first = lines[0] if lines else ""
        assert first.startswith(("gradcli: error:", "Usage:", "Error:")), (where, result.err)
    if as_json and first_is_gradcli(result):
        # one strict JSON object; `descend --json` streams one per line, the last says how it ended
        lines = result.out.splitlines() if args[0] in STREAMING else [result.out]
        data = [json.loads(line, parse_constant=_reject) for line in lines]
        assert data and all(isinstance(d, dict) for d in data), where
        assert ("error" in data[-1]) == (result.code != 0), where


STREAMING = {"descend"}


def first_is_gradcli(result) -> bool:
    return result.code == 0 or result.err.startswith("gradcli: error:")


def _reject(constant):
    raise AssertionError(f"JSON has {constant}: not a number a script can read")


@pytest.mark.parametrize("name, command", COMMANDS, ids=[name for name, _ in COMMANDS])
def test_every_command_survives_bad_input(name, command):
    rng = random.Random(f"{SEED}-{name}")
    shape = Shape(command)
    count = max(500, TOTAL // len(COMMANDS))
    for k in range(count):
        program = random_program(rng)
        bindings = random_bindings(rng, program)
        options = shape.options(rng, k, ["x", "y", "a", "J", "f", "u"])
        as_json = "--json" in options
        stdin = rng.random() < 0.15
        positional = bindings if stdin else [program, *bindings]
        args = [name, *options, "-f", "-", "--", *positional] if stdin else [name, *options, "--", *positional]
        # stdin gets bytes: a lone surrogate becomes bytes that are not UTF-8
        result = run(*args, input=program.encode("utf-8", "surrogatepass") if stdin else None)
        check(args, result, as_json)
        TRIED[name] += 1


def test_unknown_command_is_a_usage_error():
    result = run("frobnicate", "y = x", "x=1")
    assert result.code == 2 and result.err.startswith("gradcli: error: no such command")
