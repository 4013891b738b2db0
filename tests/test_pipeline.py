"""gradcli in pipelines and under signals, as a real process (``python -m gradcli``).

``| head -1`` exits quietly; Ctrl-C exits 130 without a traceback; output to a
pipe has no colour codes, and neither has a terminal's when NO_COLOR is set;
a program on standard input that never ends its line works.
"""

from __future__ import annotations

import json
import os
import platform
import re
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, commands, program_commands

NG = "u = b*c; v = a + u; J = 3*v"
ANSI = "\x1b["


def environment(extra: dict | None = None) -> dict:
    """This process's environment with ``extra``, less FORCE_COLOR (which would colour a pipe)."""
    env = {**os.environ, **(extra or {})}
    env.pop("FORCE_COLOR", None)
    return env


def gradcli(*args, **kwargs):
    env = environment(kwargs.pop("env", None))
    return subprocess.Popen([sys.executable, "-m", "gradcli", *args], cwd=ROOT, env=env, **kwargs)


# ---------------------------------------------------------------- readiness signals, never a fixed sleep

READ_SYSCALL = {"x86_64": 0, "aarch64": 63, "arm64": 63}  # the number of read(2) in /proc/PID/syscall


def wait_until(ready, what: str, timeout: float = 60.0) -> None:
    """Poll ``ready()`` until it holds, failing after ``timeout``: a Ctrl-C test sends its signal then."""
    deadline = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < deadline, f"not ready after {timeout:g} s: {what}"
        time.sleep(0.01)


def reading_stdin(pid: int) -> bool:
    """The process sleeps in read(0, ...): the kernel names the call and its first argument."""
    try:
        call = Path(f"/proc/{pid}/syscall").read_text().split()
    except OSError:  # it has exited
        return False
    return call[:2] == [str(READ_SYSCALL[platform.machine()]), "0x0"]


CHILD = """
import os, sys
READY = {fd}
{hook}
sys.argv = {argv!r}
from gradcli.__main__ import main
main()
"""
OPENED = """
def opened(event, args):  # the program file is open: reading, parsing and evaluating have begun
    if event == "open" and args[0] == {path!r}:
        os.write(READY, b"1")
sys.addaudithook(opened)
"""
STEPPED = """
from gradcli.analyses import descent
steps = descent.Descent.__iter__
def announced(self):  # two steps are taken (the table says "steps") and the next is asked for
    for step in steps(self):
        yield step
        if step.step == 2:
            os.write(READY, b"1")
descent.Descent.__iter__ = announced
"""


def gradcli_signalling(hook: str, *args, **kwargs):
    """gradcli in a child that writes one byte to a pipe when ``hook`` says it is ready; (process, read end)."""
    read, write = os.pipe()
    code = CHILD.format(fd=write, hook=hook, argv=["gradcli", *args])
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=environment(), pass_fds=(write,), **kwargs)
    os.close(write)
    return proc, read


def wait_for_byte(fd: int, timeout: float = 60.0) -> None:
    """Block until the child's readiness byte arrives (or fail after ``timeout``)."""
    ready, _, _ = select.select([fd], [], [], timeout)
    assert ready and os.read(fd, 1) == b"1", f"no readiness byte in {timeout:g} s"
    os.close(fd)


def big_program(n: int) -> str:
    """A chain of n statements: --all prints a row per node, far beyond a pipe's 64 KiB buffer."""
    return "\n".join(f"t{i} = t{i - 1}*0.5 + x" for i in range(1, n + 1)) + "\nt0 = x\ny = t" + str(n)


@pytest.mark.parametrize("fmt", [[], ["--json"]])
def test_head_closes_the_pipe_quietly(tmp_path, fmt):
    path = tmp_path / "big.grad"
    path.write_text(big_program(5_000))
    producer = gradcli("eval", "-f", str(path), "x=1", "--all", *fmt,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    head = subprocess.run(["head", "-c", "10"], stdin=producer.stdout, capture_output=True)
    producer.stdout.close()  # only head holds the read end: when it exits, the pipe breaks
    err = producer.stderr.read().decode()
    assert producer.wait(timeout=60) == 0
    assert len(head.stdout) == 10
    assert err == "", err


def test_ctrl_c_while_reading_stdin_exits_130():
    proc = gradcli("eval", "-f", "-", "x=1", stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE)
    proc.stdin.write(b"y = x +")  # the program never ends: gradcli waits for more
    proc.stdin.flush()
    wait_until(lambda: reading_stdin(proc.pid), "blocked in read() on standard input")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "Traceback" not in err.decode() and "KeyboardInterrupt" not in err.decode()
    assert err.decode().strip() == "gradcli: interrupted"


def test_ctrl_c_during_a_long_evaluation_exits_130(tmp_path):
    path = tmp_path / "huge.grad"
    path.write_text("y = " + " + ".join(["sin(x)*x"] * 600_000))  # several seconds of work
    proc, ready = gradcli_signalling(OPENED.format(path=str(path)), "eval", "-f", str(path), "x=1", "--json",
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for_byte(ready)
    assert proc.poll() is None, "the program finished before the interrupt: make it larger"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err.decode()
    assert out == b""


def test_program_on_stdin_without_a_final_newline():
    proc = gradcli("eval", "-f", "-", "a=5", "b=3", "c=2", "--json", stdin=subprocess.PIPE,
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(NG.replace("; ", "\n").encode(), timeout=30)
    assert proc.returncode == 0, err
    assert out.decode().startswith('{"output": "J", "value": 33.0, "gradient": {"a": 3.0, "b": 6.0, "c": 9.0}')


@pytest.mark.parametrize("args", [
    ["eval", NG, "a=5", "b=3", "c=2", "--all"],
    ["eval", "y = log(x)", "x=-1"],  # an error, with its caret
])
def test_no_colour_codes_in_a_pipe(args):
    proc = gradcli(*args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={"TERM": "xterm-256color"})
    out, err = proc.communicate(timeout=30)
    assert out or err
    assert ANSI not in out.decode() and ANSI not in err.decode()  # no colour, no bold, no spinner


def on_a_terminal(args, env):
    """Run gradcli with stdout and stderr on a pseudo-terminal; return what it wrote."""
    leader, follower = pty.openpty()
    proc = gradcli(*args, stdout=follower, stderr=follower, stdin=subprocess.DEVNULL,
                   env={"TERM": "xterm-256color", "COLUMNS": "100", **env})
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # the terminal closed: gradcli is done
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    proc.wait(timeout=30)
    return b"".join(chunks).decode()


def colours(text: str) -> set[str]:
    """The colour parameters of the SGR escapes in ``text`` (bold and reset are not colours)."""
    found = set()
    for params in re.findall(r"\x1b\[([0-9;]*)m", text):
        found.update(p for p in params.split(";") if p and (30 <= int(p) <= 49 or 90 <= int(p) <= 107))
    return found


@pytest.mark.skipif("NO_COLOR" in os.environ, reason="NO_COLOR is set for the whole test run")
def test_no_color_is_respected_on_a_terminal():
    error = ["eval", "y = log(x)", "x=-1"]
    assert colours(on_a_terminal(error, {}))  # a terminal gets a red "error:" by default ...
    assert not colours(on_a_terminal(error, {"NO_COLOR": "1"}))  # ... and no colour with NO_COLOR
    table = ["eval", NG, "a=5", "b=3", "c=2", "--all"]
    assert "J = 33" in on_a_terminal(table, {"NO_COLOR": "1"})
    assert not colours(on_a_terminal(table, {"NO_COLOR": "1"}))


NG_ARGS = [NG, "a=5", "b=3", "c=2"]
NEURON = ["-f", "samples/sigmoid_neuron.grad"]


@pytest.mark.parametrize("args", [
    ["eval", *NG_ARGS], ["eval", *NG_ARGS, "--json"],
    *[["explain", view, *NEURON] for view in ("--paths", "--steps", "--trace", "--graph")],
    ["explain", "--steps", *NEURON, "--json"],
    ["jacobian", "y1 = x1*x2; y2 = sin(x1) + x2", "x1=2", "x2=5"],
    ["check", *NEURON], ["check", *NEURON, "--json"],
    ["descend", "L = (w - 3)^2", "w=0", "--steps", "100000", "--json"],
    ["descend", "L = (w - 3)^2", "w=0"],
    ["graph", *NG_ARGS], ["graph", *NG_ARGS, "--json"], ["graph", *NG_ARGS, "--format", "mermaid"],
], ids=lambda args: " ".join(a for a in args if a.startswith("-") or a.isalpha()))
def test_a_closed_pipe_is_exit_0_and_silent(args):
    """The reader is gone before gradcli writes (`... | head -1` in a `set -o pipefail` script)."""
    read, write = os.pipe()
    os.close(read)
    proc = gradcli(*args, stdout=write, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    os.close(write)
    err = proc.communicate(timeout=60)[1].decode()
    assert proc.returncode == 0, err
    assert err == ""


@pytest.mark.parametrize("command, bindings", [
    *(([name, *(["--steps"] if name == "explain" else [])], ["x=3"]) for name in program_commands()),
    (["eval"], ["x=3", "t=pi/4"]),
], ids=lambda v: " ".join(v))
def test_bindings_without_a_program_and_a_piped_program_is_refused(command, bindings):
    """`echo 'y = x^2' | gradcli eval x=3` must not answer dx/dx = 1 for the program 'x=3'."""
    proc = gradcli(*command, *bindings, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(b"y = x^2\n", timeout=30)
    assert proc.returncode == 2 and out == b""
    assert err.decode() == ("gradcli: error: 'x=3' is a binding, not a program; "
                            "to read the program from standard input, use -f -\n")


def test_a_program_and_bindings_with_something_on_stdin_still_run():
    proc = gradcli("eval", "y = x^2", "x=3", "--json", stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE)
    out, err = proc.communicate(b"ignored\n", timeout=30)
    assert proc.returncode == 0, err
    assert json.loads(out)["gradient"] == {"x": 6.0}
    proc = gradcli("eval", "-f", "-", "x=3", "--json", stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert json.loads(proc.communicate(b"y = x^2\n", timeout=30)[0])["gradient"] == {"x": 6.0}


def test_ctrl_c_during_descent_shows_where_it_got_to():
    proc, ready = gradcli_signalling(STEPPED, "descend", "L = (w - 3)^2", "w=0", "--lr", "1e-9", "--steps", "10000000",
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    wait_for_byte(ready)
    assert proc.poll() is None
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and err.decode().strip() == "gradcli: interrupted"
    text = out.decode()
    steps = int(re.search(r"interrupted after (\d+) steps", text).group(1))
    assert steps > 0
    # w_k = 3 - 3 * (1 - 2e-9)^k: the final w shown is the one reached after those steps
    row = next(line for line in text.splitlines() if line.startswith("│ w "))
    final = float(row.split("│")[3])
    assert final == pytest.approx(3 - 3 * (1 - 2e-9) ** steps, rel=1e-5)
