"""gradcli's own fuzzer: hostile programs, value files, data rows, options and streams, one oracle.

What it sends to every command that ``gradcli.cli`` lists (a new command is fuzzed without a change
here), with options drawn from the command's own click parameters:

* programs: token soup from the grammar's tokens, stray unicode, lone surrogates, NUL bytes,
  escape sequences and Rich markup; the worked examples mutated; valid programs drawn over the
  whole scalar op table (``strategies.generate``); array programs over every array op, with
  shapes that fit and shapes that do not;
* bindings: numbers, garbage, and hostile value files (``.npy`` whose header lies about its size,
  an ``.npz`` named ``.npy``, an empty ``.npy``, JSON nested deep or with a 400-digit number,
  names with escape codes and markup);
* data rows (``--data``): CSV and JSON lines with missing, extra and duplicate keys, markup and
  escape codes in headers and cells, huge integers, deep arrays, long cells, blank lines;
* streams (as separate processes): stdout closed or full, stderr closed, SIGINT and SIGTERM at a
  random moment.

The oracle flags: an exit code outside {0, 1, 2, 130, 143}; a traceback or an internal error; a
hang (past ``HANG_SECONDS``); a MemoryError; with --json, anything but strict JSON on stdout (NaN
and Infinity included); on stderr, any line that is not gradcli's own; a raw control character in
any output.

Run it longer than the test suite does, from the repository's root::

    python tests/fuzzer.py --seconds 900            # 15 minutes, seed 1
    python tests/fuzzer.py --seconds 3600 --seed 7  # another hour, other inputs
    python tests/fuzzer.py --replay 1234 --seed 7   # one input again, printed

Every input is drawn from its own ``random.Random(f"{seed}-{index}")``, so a finding is replayed
from its seed and index alone.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import click
from click.testing import CliRunner

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from gradcli.cli.app import cli  # noqa: E402
from conftest import program_commands  # noqa: E402
from gradcli.core.ops import CONSTANTS, FUNCTIONS, OPS  # noqa: E402
from strategies import generate  # noqa: E402

SAMPLES = ROOT / "samples"
EXIT_CODES = {0, 1, 2, 130, 143}
HANG_SECONDS = 20.0
ESC = "\x1b"
HOSTILE_TEXT = [ESC + "]0;PWNED\a", ESC + "[31m", ESC + "[2J", "\x9b31m", "\x07", "\x08", "\r", "[b]",
                "[/]", "[link=https://evil.example]click[/link]", "[bold red]", "\\[x]", "\x00", "\x7f"]
# What may stand in output: printable text, newline and tab.  C0 (but \n and \t), DEL and C1 may not.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")

WORKED_EXAMPLES = [
    "u = b*c; v = a + u; J = 3*v",
    "f = (x + y) * z",
    "f = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))",
    "f = sigmoid(w0*x0 + w1*x1 + w2)",
    "y = log(x1) + x1*x2 - sin(x2)",
    "g = (x + y) * z",
] + [p.read_text() for p in sorted(SAMPLES.glob("*.grad"))]

TOKENS = (["x", "y", "a", "b", "x1", "w0", "_t", "J", "f", "0", "1", "2.5", ".5", "1e3", "1.5e-1", "3.",
           "+", "-", "*", "/", "^", "**", "@", "(", ")", "[", "]", ",", "=", ";", "\n", "#", " ", "\t",
           "\r\n", "axis=", "W", "v"]
          + list(FUNCTIONS) + list(CONSTANTS))
STRAY = ["\x00", "§", "π", "é", "\u200b", "\u202e", "😀", "\ufeff", "\x7f", "\x1b[31m", "\udcff", "\ud800",
         "½", "٣", "∞", "−", "×", "\u00a0", "\x0c", "\x0b", "`", "$", "@", "!", "?", "[", "]", "{", "}", "'", '"',
         "σ", "θ", "x₁", "⋅", "."]
SPECIAL = ["1e999", "1e-400", "x=", "==", "x = = 2", "y = x ==", "((((((x", "x))))", "()", "(,)", "max()",
           "f(", "sin x", "3x", "x y", "\n\n\n", "", " ", "\t\t", ";;;;", "# only a comment", "\r\n\r\n",
           "y = " + "z" * 10_000, "y = " + "(" * 300, "y = x" + ")" * 300, "y = 1e308*10", "-1e-320",
           "y = x\x00", "y = x\r\nz = y\r\n", "y =\tx\t*\t2", "pi = 3", "e = 2", "f = f", "a = b; b = a",
           "y = x; y = x", "y = 1.7e308 + 1.7e308", "y = 0^-1", "y = log(0)", "y = sqrt(-0.0)", "y = 0/0",
           "y = exp(-1000)", "y = ln(-1)", "y = asin(2)", "y = pow(-8, 1/3)", "y = max(x)", "y = sin(x, x)",
           "y = 2^3^2^4^5", "y = " + "[" * 200 + "1" + "]" * 200, "y = np.dot(W, x)", "y = W.T",
           "f = x if x > 0 else 0", "y = x[1+0]", "y = x[0 1]", "y = 3.4.5", "y = [[1, 2],\n [3, 4]]",
           "f = abs(softmax(s))", "f = sign(softmax(s))", "f = transpose(sum([x, x], axis=0))",
           "f = atan2(t, t)", "f = -pow(z, -3)", "f = x*1e200 + y*1e200", "f = sin(x^3)",
           "y = (v1 + x)*v1", "f = dout*out; out = 2*dout", "L = cosh(tanh(theta)); z2 = d+L; t3 = L - a"]
BINDINGS = ["x=1", "y=2", "a=5", "b=3", "c=2", "z=-4", "x1=2", "x2=5", "w0=2", "x=", "=3", "x==2", "x=1e999",
            "x=1e-400", "x=pi/0", "x=y", "x=1;y=2", "x=(", "x=sqrt(-1)", "x=-0.0", "x=1.7e308", "x=1e-320",
            "--weird", "-x", "x", "x=\x00", "é=1", "x=exp(1000)", "q=1", "x=1", "x=2", "z" * 5_000 + "=1",
            "x=sin()", "x=max(1,2,3)", "x=--1", "f=3", "J=0", "x=[1, 2]", "x=[1 2]", "W=[[1,2],[3,4]]",
            "x=[0, 1e-7, 1]", "s=3", "t=1", "X=3", "x=" + "[" * 100 + "1" + "]" * 100, "e=3",
            "x=\x1b]0;PWNED\a", "x=[b]", "θ=1"]
VALUES = ["1", "2", "-3", "0.5", "0", "-0.0", "1e-320", "1.7e308", "pi/4", "-1e-3", "1000", "-1000"]
NAMES = ["x", "y", "a", "J", "f", "u", "W", "v1", "d_x", "dout"]


def mutate(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(rng.randint(1, 4)):
        action = rng.choice(["delete", "duplicate", "swap", "insert", "stray", "hostile"])
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
        elif action == "hostile":
            chars.insert(k, rng.choice(HOSTILE_TEXT))
        else:
            chars.insert(k, rng.choice(STRAY))
    return "".join(chars)


# --- array programs, over every array op of the table -------------------------------------------------

def _array_literal(rng: random.Random, shape: tuple[int, ...]) -> str:
    def build(dims):
        if not dims:
            return repr(round(rng.uniform(-2, 2), rng.choice([0, 1, 3])) or 0.5)
        return "[" + ", ".join(build(dims[1:]) for _ in range(dims[0])) + "]"
    return build(shape)


ARRAY_TEMPLATES = [  # {A}: a matrix (n, m); {B}: (m, k); {v}: a vector (m,); {u}: (n,); {s}: a number
    "f = sum({A} @ {v})", "f = norm({A} @ {v})^2", "f = sum(softmax({A}, axis=1)[0])",
    "f = logsumexp({A}, 1)[0] + mean({A})", "f = sum(max({A}, axis=1))", "f = sum(min({A}, axis=0))",
    "f = dot({v}, {v}) * {s}", "f = sum(outer({u}, {v}))", "f = sum(transpose({A}) @ {u})",
    "f = sum(relu({A}) * tanh({A}))", "f = {A}[0, 0] * {v}[-1]", "f = sum([{s}*2, sin({s})])",
    "f = sum(({A} @ {B})[0])", "f = mean(exp({v}) / sum(exp({v})))", "f = sum(abs({A} - 1))",
    "q = {A} @ {v}; f = sum(q*q)", "f = sum(sigmoid({A} @ {v} + {u}))", "f = amax({v})",
    "f = sum({A} + {u})", "f = sum({A} @ {u})", "f = {v}[{n}]", "f = sum(sum({A}, {n}))",
    "f = sum(softmax({v})) + sum(log(abs({v}) + 1))", "f = sum({A} / {A})", "f = sum(pow({A}, 2))",
    # indexing, shapes, reductions with axes, masks, linear algebra, layers, loops
    "f = sum({A}[1:, ::2])", "f = sum({A}[:, 0])", "f = sum({A}[{n}:, None])", "f = sum({A}[arange(2), [0, 1]])",
    "f = sum(take({v}, [0, 0, {n}]))", "f = sum(take_along_axis({A}, [[0], [0]], axis=1))",
    "f = sum(where({A} > 0, {A}, {s}))", "f = sum(clip({A}, -1, None))", "f = sum(stop_gradient({A}) * {A})",
    "f = var({A}, axis=1, keepdims=True)[0, 0] + std({v}, ddof=1)", "f = sum(reshape({A}, (-1,)))",
    "f = sum(cumsum({A}, axis=0) * cumprod({A}, axis=1)) + sum(diff({v}))", "f = prod({A}, axis=(0, 1))",
    "f = sum(concatenate([{A}, {A}], axis={n})) + sum(stack([{v}, {v}], axis=1))",
    "f = sum(pad({A}, 1) * 2) + sum(flip(roll({A}, 1), axis=0)) + sum(tile({v}, 2) * repeat({v}, 2))",
    "f = trace({A} @ transpose({A})) + sum(tril({A})) + sum(diag({v}))",
    "f = sum(einsum('ij,j->i', {A}, {v})) + sum(tensordot({A}, {B}, axes=1)) + sum(kron({v}, {u}))",
    "f = sum(solve({A} @ transpose({A}) + {s}, {u})) + slogdet({A} @ transpose({A}) + 1)[1]",
    "f = sum(svd({A})[1]) + sum(eigh({A} @ transpose({A}))[0]) + det(inv({A} @ transpose({A}) + 2))",
    "f = sum(log_softmax({A}, axis=1)[arange({n}), 0]) + sum(logaddexp({A}, {s}))",
    "f = sum(max_pool2d(conv2d(expand_dims({A}, (0, 1)), expand_dims({A}, (0, 1)), padding=1), 2))",
    "f = sum(avg_pool2d(conv2d(expand_dims({A}, (0, 1)), expand_dims({A}, (0, 1)), stride={n}), 1))",
    "h[0] = {u}; for t in range({n}) {{ h[t+1] = tanh({A} @ {v} + h[t]) }}; f = sum(h[{n}])",
    "s[0] = {s}; for t in range(3) {{ s[t+1] = s[t] * {v}[t] }}; f = s[3]",
]


def array_program(rng: random.Random) -> tuple[str, list[str]]:
    """A program over the array ops with bindings; the shapes fit most of the time, not always."""
    n, m, k = rng.randint(1, 4), rng.randint(1, 4), rng.randint(1, 3)
    shapes = {"A": (n, m), "B": (m, k), "v": (m,), "u": (n,), "s": ()}
    if rng.random() < 0.2:  # a shape that does not fit
        key = rng.choice(list(shapes))
        shapes[key] = tuple(rng.randint(1, 5) for _ in range(rng.randint(0, 3)))
    template = rng.choice(ARRAY_TEMPLATES)
    names = {"A": "W", "B": "M", "v": "x", "u": "b", "s": "s"}
    inline = {key for key in shapes if rng.random() < 0.2}
    text = template.format(n=rng.choice([0, 1, 2, -1, 5]), **{
        key: (_array_literal(rng, shapes[key]) if key in inline else names[key]) for key in names})
    bindings = [f"{names[key]}={_array_literal(rng, shape)}" for key, shape in shapes.items()
                if key not in inline and re.search(rf"\b{names[key]}\b", text)]
    return text, bindings


# --- files: values and data rows ----------------------------------------------------------------------

def _npy_header(shape_text: str) -> bytes:
    header = ("{'descr': '<f8', 'fortran_order': False, 'shape': %s, }" % shape_text).encode()
    header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header


def make_files(folder: Path) -> dict[str, list[str]]:
    """Hostile and ordinary files, written once per run: value files and data files by kind."""
    values = {
        "vec.json": "[0.5, -1.0, 2.0]",
        "mat.json": "[[1, 2], [3, 4]]",
        "deep.json": "[" * 5_000 + "1" + "]" * 5_000,
        "digits.json": "1" * 400,
        "digits5000.json": "1" * 5_000,
        "nan.json": "NaN",
        "notjson.json": "{x: 1}",
        "mat.csv": "1,2\n3,4\n",
        "bad.csv": "1,x4\n",
        "markup[b].json": "2",
        "esc\x1b]0;PWNED\a.json": "3",
    }
    files: dict[str, list[str]] = {"values": [], "data": []}
    for name, text in values.items():
        (folder / name).write_text(text)
        files["values"].append(str(folder / name))
    (folder / "liar.npy").write_bytes(_npy_header("(100000, 100000)") + b"\0" * 64)
    (folder / "empty.npy").write_bytes(b"")
    (folder / "truncated.npy").write_bytes(_npy_header("(3,)") + b"\0" * 8)
    (folder / "ok.npy").write_bytes(_npy_header("(2,)") + struct.pack("<2d", 0.25, -1.5))
    (folder / "zip.npy").write_bytes(b"PK\x03\x04" + b"\0" * 60)
    files["values"] += [str(folder / n) for n in ("liar.npy", "empty.npy", "truncated.npy", "ok.npy", "zip.npy")]
    data = {
        "ok.csv": "x,y\n1,2\n3,4\n",
        "extra.csv": "x,y,[/]\n1,2,[link=https://evil.example]click[/link]\n3,4,\x1b]0;PWNED\a\n",
        "header.csv": "x,\x1b[31my\n1,2\n",
        "badcell.csv": "x,y\n1,[/]\n2,3\n",
        "longcell.csv": "x,y\n" + "1" * 200_000 + ",2\n3,4\n",
        "blank.csv": "x,y\n\n1,2\n,\n",
        "ragged.csv": "x,y\n1\n1,2,3\n",
        "ok.jsonl": '{"x": 1, "y": 2}\n{"x": 3, "y": 4}\n',
        "late.jsonl": '{"x": 1}\n{"x": 3, "y": 2}\n',
        "dup.jsonl": '{"x": 1, "x": 5, "y": 2}\n{"x": 2, "y": 2}\n',
        "huge.jsonl": '{"x": ' + "9" * 400 + ', "y": 1}\n{"x": 1, "y": 1}\n',
        "deep.jsonl": '{"x": ' + "[" * 3_000 + "1" + "]" * 3_000 + ', "y": 1}\n{"x": 1, "y": 1}\n',
        "array.jsonl": '{"x": [0.1, 2.0], "y": 1}\n',
        "markup.jsonl": '{"x": 1, "y": 2, "note": "[/]"}\n{"x": 1, "y": 2, "[b]": "\\u001b[31m"}\n',
        "nan.jsonl": '{"x": NaN, "y": 1}\n{"x": 1, "y": 1}\n',
        "notjson.jsonl": "{x: 1}\n",
        "ok.tsv": "x\ty\n1\t2\n",
    }
    for name, text in data.items():
        (folder / name).write_text(text)
        files["data"].append(str(folder / name))
    return files


# --- one input ------------------------------------------------------------------------------------------

def _binary_output(args: list[str]) -> bool:
    """A PNG asked for on standard output (a pipe here; gradcli refuses a terminal): bytes, not text."""
    return any(a == "--format=png" or a == "png" and i and args[i - 1] == "--format" for i, a in enumerate(args))


@dataclass
class Case:
    args: list[str]
    stdin: bytes | None = None
    stream: str | None = None  # None: in-process; else how the process's streams are attacked

    def shell(self) -> str:
        return "gradcli " + " ".join(repr(a) if re.search(r"[^\w=.,@/:+-]", a) else a for a in self.args)


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
            else:
                self.valued.append(param)

    def options(self, rng: random.Random, k: int, names: list[str], files, scratch: Path) -> list[str]:
        args = [opt for opt in self.flags if rng.random() < 0.2]
        for _dest, opts in self.groups.items():
            if rng.random() < 0.9:
                args.append(opts[k % len(opts)])  # every flag value in turn
        for param in self.valued:
            if rng.random() < 0.25:
                args += [param.opts[-1], self.value(rng, param, names, files, scratch)]
        if rng.random() < 0.03 and args:  # an option given twice
            args += args[-2:] if len(args) > 1 else args
        return args

    @staticmethod
    def value(rng: random.Random, param: click.Option, names: list[str], files, scratch: Path) -> str:
        kind = param.type
        if param.name == "data":
            return rng.choice(files["data"] + ["/nonexistent.csv", str(scratch)])
        if isinstance(kind, (click.File, click.Path)):  # an output: always inside the scratch folder
            return str(scratch / rng.choice(["out.dot", "out.json", "o\x1b[31m.svg", "[b].mmd", "sub/x.dot"]))
        if isinstance(kind, click.Choice):
            return rng.choice(list(kind.choices) + ["bogus"])
        if isinstance(kind, (click.types.IntParamType, click.IntRange)):
            # a huge --steps really runs that long on a loss that falls forever (y = x): a hang, not a crash
            huge = [] if param.name == "steps" else ["99999999999999999999", "1000000000"]
            return rng.choice(["0", "1", "3", "-1", "x", *huge])
        if isinstance(kind, (click.types.FloatParamType, click.FloatRange)):
            return rng.choice(["0.1", "0", "-1", "1e999", "nan", "x", "1e308", "1e-320", "1"])
        return rng.choice(names + ["x", "x,y", "", ",", "nosuch", "é", "x" * 300, "W[0,1]", "x[5]",
                                   rng.choice(HOSTILE_TEXT)])


COMMANDS = list(program_commands().items())
SHAPES = {name: Shape(command) for name, command in COMMANDS}


def random_program(rng: random.Random) -> tuple[str, list[str] | None]:
    """A program and, when the generator knows them, its bindings."""
    kind = rng.random()
    if kind < 0.15:
        return "".join(rng.choice(TOKENS) for _ in range(rng.randint(1, 25))), None
    if kind < 0.2:
        return "".join(rng.choice(TOKENS + STRAY + HOSTILE_TEXT) for _ in range(rng.randint(1, 15))), None
    if kind < 0.32:
        return rng.choice(SPECIAL), None
    if kind < 0.5:
        return mutate(rng, rng.choice(WORKED_EXAMPLES)), None
    if kind < 0.6:
        return rng.choice(WORKED_EXAMPLES), None
    if kind < 0.8:
        generated = generate(rng)
        names = ["v1", "v2", "d_x", "dout", "out"] if rng.random() < 0.3 else None
        text = generated.text
        bindings = list(generated.bindings)
        if names:  # the user's names look like generated ones
            for old, new in zip(sorted(generated.values, key=len, reverse=True), names):
                text = re.sub(rf"\b{re.escape(old)}\b", new, text)
                bindings = [re.sub(rf"^{re.escape(old)}=", f"{new}=", b) for b in bindings]
        return text, bindings
    return array_program(rng)


def random_bindings(rng: random.Random, program: str, known: list[str] | None, files) -> list[str]:
    found = list(known) if known is not None and rng.random() < 0.85 else []
    if not found and rng.random() < 0.6:
        names = dict.fromkeys(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", program.split("#")[0]))
        found = [f"{n}={rng.choice(VALUES)}" for n in names
                 if n not in FUNCTIONS and n not in CONSTANTS and n not in OPS and rng.random() < 0.9]
    for _ in range(rng.choice([0, 0, 1, 2])):
        found.insert(rng.randint(0, len(found)), rng.choice(BINDINGS))
    if rng.random() < 0.1:
        name = rng.choice(["x", "W", "b", "s"])
        found.append(f"{name}=@{rng.choice(files['values'])}")
    if rng.random() < 0.1:
        found.append(mutate(rng, rng.choice(BINDINGS)))
    return found


STREAMS = ["stdout-closed", "stderr-closed", "stdout-full", "sigint", "sigterm"]


def draw(seed: int | str, index: int, files, scratch: Path, streams: bool = True) -> Case:
    """Input number ``index`` of the run with ``seed``: the same pair always gives the same case."""
    rng = random.Random(f"{seed}-{index}")
    name = COMMANDS[index % len(COMMANDS)][0]
    program, known = random_program(rng)
    bindings = random_bindings(rng, program, known, files)
    options = SHAPES[name].options(rng, index // len(COMMANDS), NAMES, files, scratch)
    if rng.random() < 0.02:
        options.append(rng.choice(["--help", "-json", "--version", "--nosuch"]))
    use_stdin = rng.random() < 0.12
    positional = bindings if use_stdin else [program, *bindings]
    args = [name, *options, "-f", "-", "--", *positional] if use_stdin else [name, *options, "--", *positional]
    if rng.random() < 0.01:
        args = [rng.choice(["frobnicate", "\x1b]0;PWNED\a", "[b]x", ""]), *positional]
    stdin = program.encode("utf-8", "surrogatepass") if use_stdin else None
    stream = rng.choice(STREAMS) if streams and rng.random() < 0.02 else None
    if stream:  # a process's arguments cannot hold NUL, nor can a shell's
        args = [a.replace("\x00", "") for a in args]
    return Case(args, stdin, stream)


# --- running and judging --------------------------------------------------------------------------------

@dataclass
class Outcome:
    code: int
    out: str
    err: str
    problems: list[str] = field(default_factory=list)


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang()


def run_in_process(case: Case) -> Outcome:
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, HANG_SECONDS)
    try:
        result = CliRunner().invoke(cli, case.args, input=case.stdin, catch_exceptions=True)
    except Hang:
        return Outcome(-1, "", "", [f"hang: no answer in {HANG_SECONDS:g} s"])
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    outcome = Outcome(result.exit_code, result.stdout, result.stderr)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        kind = type(result.exception).__name__
        outcome.problems.append(f"exception escaped: {kind}: {str(result.exception)[:200]}")
    return outcome


def run_process(case: Case, python: str = sys.executable) -> Outcome:
    """Run as a user's shell would, with the streams attacked as ``case.stream`` says."""
    # arguments as a shell hands them over: bytes (a lone surrogate is bytes that are not UTF-8)
    command = [python, "-m", "gradcli", *(a.encode("utf-8", "surrogatepass") for a in case.args)]
    out = subprocess.PIPE
    err = subprocess.PIPE
    keep: tuple = ()
    full = None
    if case.stream == "stdout-closed":
        out = subprocess.DEVNULL  # replaced by a closed descriptor below
    if case.stream == "stdout-full":
        full = open("/dev/full", "wb")
        out = full
    def closing():
        os.setsid()
        if case.stream == "stdout-closed":
            os.close(1)
        if case.stream == "stderr-closed":
            os.close(2)
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=out, stderr=err, cwd=ROOT,
                            preexec_fn=closing, pass_fds=keep)
    try:
        if case.stream in ("sigint", "sigterm"):
            time.sleep(random.Random(case.shell()).uniform(0.0, 0.25))
            proc.send_signal(signal.SIGINT if case.stream == "sigint" else signal.SIGTERM)
        stdout, stderr = proc.communicate(case.stdin or b"", timeout=HANG_SECONDS * 3)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return Outcome(-1, "", "", [f"hang: no answer in {HANG_SECONDS * 3:g} s"])
    finally:
        if full is not None:
            full.close()
    decode = lambda b: (b or b"").decode("utf-8", "replace")  # noqa: E731
    return Outcome(proc.returncode, decode(stdout), decode(stderr))


def judge(case: Case, outcome: Outcome) -> list[str]:
    """Everything wrong with one run; empty when it behaved."""
    problems = list(outcome.problems)
    if problems or python_startup_interrupted(case, outcome):
        return problems
    code, out, err = outcome.code, outcome.out, outcome.err
    code = {-signal.SIGINT: 130, -signal.SIGTERM: 143}.get(code, code)  # as a shell reports a signal's end
    if code not in EXIT_CODES:
        problems.append(f"exit code {code}")
    if case.stream == "sigint" and code not in (0, 1, 2, 130):
        problems.append(f"SIGINT gave exit {code}")
    if case.stream == "sigterm" and code not in (0, 1, 2, 143):
        problems.append(f"SIGTERM gave exit {code}")
    for text, where in ((out, "stdout"), (err, "stderr")):
        if "Traceback" in text:
            problems.append(f"traceback on {where} ({_traceback_end(text)})")
        if "internal error" in text or "bug in gradcli" in text:
            problems.append(f"internal error on {where}: {_first_line(text, 'internal error', 'bug in gradcli')}")
        if "MemoryError" in text:
            problems.append(f"MemoryError on {where}")
        bad = CONTROL.search(text)
        if bad and not (where == "stdout" and _binary_output(case.args)):
            problems.append(f"raw control character {bad.group()!r} on {where}")
    if code not in (0, 130, 143) and case.stream is None:  # warnings may come first
        said = [line for line in err.splitlines() if not line.startswith("gradcli: warning:")]
        if not (said and said[0].startswith(("gradcli: error:", "Usage:", "Error:"))):
            problems.append(f"exit {code} without an error line first on stderr: {err[:120]!r}")
    foreign = [line for line in err.splitlines() if line.strip() and not _ours(line)]
    if foreign:
        problems.append(f"a line on stderr that is not gradcli's: {foreign[0][:120]!r}")
    if "--json" in case.args and out.strip() and not any(a in case.args for a in ("--help", "-h", "--version")):
        lines = out.splitlines() if case.args[0] == "descend" or "--data" in case.args else [out]
        try:
            data = [json.loads(line, parse_constant=_reject) for line in lines if line.strip()]
        except (ValueError, AssertionError) as exc:
            problems.append(f"stdout is not strict JSON: {str(exc)[:120]}")
        else:
            if not all(isinstance(d, dict) for d in data):
                problems.append("stdout holds JSON that is not an object")
            elif data and "--data" not in case.args and case.stream is None and \
                    ("error" in data[-1]) != (code != 0):
                problems.append(f"the JSON's last object and the exit code {code} disagree on failure")
    return problems


# The modules Python runs before gradcli's own Ctrl-C handler is in place (``python -m gradcli``
# imports the package, then ``__main__`` imports the handler and installs it): a Ctrl-C there is
# Python's to report, as one during the interpreter's own start-up is.
BEFORE_THE_HANDLER = ("/gradcli/__init__.py", "/gradcli/__main__.py", "/gradcli/support/__init__.py",
                      "/gradcli/support/interrupt.py")


def python_startup_interrupted(case: Case, outcome: Outcome) -> bool:
    """Ctrl-C that lands while the interpreter itself starts (site), or before gradcli's handler is
    installed, is Python's to report: no frame of its traceback is in the rest of the package."""
    err = outcome.err
    frames = re.findall(r'File "([^"]*)"', err)
    return case.stream == "sigint" and ("KeyboardInterrupt" in err or "Fatal Python error: init_" in err) \
        and not any("/gradcli/" in frame and not frame.endswith(BEFORE_THE_HANDLER) for frame in frames)


def _ours(line: str) -> bool:
    """A line gradcli writes to stderr: its own messages, their indented continuations (the program
    line and caret under a syntax error), click's usage lines, and the progress display."""
    return line.startswith(("gradcli:", " ", "\t", "Usage:", "Try ", "Error:")) or line.startswith("  ")


def _traceback_end(text: str) -> str:
    """Where a traceback ended: its last frame and its last line, for a finding that may not come back."""
    frames = re.findall(r'File "([^"]*)", line (\d+)', text)
    last = text.strip().splitlines()[-1][:120] if text.strip() else ""
    return f"{frames[-1][0]}:{frames[-1][1]}: {last}" if frames else last


def _first_line(text: str, *needles: str) -> str:
    for line in text.splitlines():
        if any(n in line for n in needles):
            return line[:160]
    return ""


def _reject(constant):
    raise AssertionError(f"JSON has {constant}")


@dataclass
class Finding:
    index: int
    case: Case
    problems: list[str]

    def __str__(self) -> str:
        how = f" [{self.case.stream}]" if self.case.stream else ""
        return f"#{self.index}{how}: {'; '.join(self.problems)}\n    {self.case.shell()[:400]}"


def fuzz(seed, count: int | None = None, seconds: float | None = None, streams: bool = True,
         start: int = 0, python: str = sys.executable):
    """Run inputs ``start``, ``start + 1``, ... until ``count`` ran or ``seconds`` passed.

    Returns (how many ran, per command, the findings)."""
    tried: dict[str, int] = {}
    findings: list[Finding] = []
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="gradcli-fuzz-") as folder:
        scratch = Path(folder)
        files = make_files(scratch)
        cwd = os.getcwd()
        os.chdir(scratch)  # any file an input writes by a relative name lands here
        try:
            index = start
            while (count is None or index - start < count) and (
                    seconds is None or time.monotonic() - began < seconds):
                case = draw(seed, index, files, scratch, streams)
                outcome = run_process(case, python) if case.stream else run_in_process(case)
                problems = judge(case, outcome)
                if problems:
                    findings.append(Finding(index, case, problems))
                tried[case.args[0]] = tried.get(case.args[0], 0) + 1
                index += 1
        finally:
            os.chdir(cwd)
    return tried, findings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fuzz gradcli: every command, hostile input, one oracle.")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to run (default: 60)")
    parser.add_argument("--count", type=int, default=None, help="how many inputs at most")
    parser.add_argument("--seed", default="1", help="the run's seed (default: 1)")
    parser.add_argument("--start", type=int, default=0, help="the first input's index")
    parser.add_argument("--replay", type=int, default=None, help="run input INDEX alone and print it all")
    parser.add_argument("--no-streams", action="store_true", help="no separate processes for stream attacks")
    options = parser.parse_args(argv)
    if options.replay is not None:
        tried, findings = fuzz(options.seed, count=1, start=options.replay, streams=not options.no_streams)
        with tempfile.TemporaryDirectory() as folder:
            case = draw(options.seed, options.replay, make_files(Path(folder)), Path(folder))
        print(case.shell())
    else:
        tried, findings = fuzz(options.seed, count=options.count, seconds=options.seconds,
                               streams=not options.no_streams, start=options.start)
    for finding in findings:
        print(finding)
    print(f"{sum(tried.values())} inputs, {len(findings)} findings "
          f"({', '.join(f'{k}: {v}' for k, v in sorted(tried.items()))})")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
