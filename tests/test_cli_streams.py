"""gradcli as a process: closed or full standard streams, Ctrl-C at any moment, library warnings.

Each case runs a real process.  Where timing matters (Ctrl-C during the imports) the child
sends itself SIGINT from an import hook the moment a given module is first imported: a
readiness signal, not a sleep.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib

import pytest

from conftest import ROOT

SQUARE = ["eval", "f = x^2", "x=3"]  # f = 9, df/dx = 6


def gradcli(args, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("GRADCLI_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "gradcli", *args], cwd=ROOT, env=env,
                          timeout=60, **kwargs)


def closed(fd: int, args) -> subprocess.CompletedProcess:
    """Run with file descriptor ``fd`` closed (the shell's ``>&-`` or ``2>&-``)."""
    other = {1: "stderr", 2: "stdout"}[fd]
    return gradcli(args, **{other: subprocess.PIPE}, stdin=subprocess.DEVNULL, pass_fds=(),
                   preexec_fn=lambda: os.close(fd))


def test_stderr_closed_still_succeeds():
    done = closed(2, [*SQUARE, "--json"])
    assert done.returncode == 0
    assert json.loads(done.stdout) == {"output": "f", "value": 9.0, "gradient": {"x": 6.0}}


def test_stderr_closed_with_a_warning_still_succeeds():
    done = closed(2, ["eval", "y = exp(x)", "x=-800", "--json"])
    assert done.returncode == 0 and json.loads(done.stdout)["warnings"]


@pytest.mark.parametrize("args", [
    SQUARE, [*SQUARE, "--json"], ["--help"], ["--version"], ["eval", "--help"], [],
    ["explain", "y = x*x", "x=3"], ["descend", "L = (w - 3)^2", "w=0"], ["graph", "f = x^2", "x=3"],
], ids=lambda a: " ".join(a) or "(none)")
@pytest.mark.parametrize("where", ["closed", "full"])
def test_stdout_closed_or_full_is_one_line(args, where):
    if where == "closed":
        done = closed(1, args)
    else:
        with open("/dev/full", "w") as full:
            done = gradcli(args, stdout=full, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    err = done.stderr.decode()
    reason = "standard output is closed" if where == "closed" else "No space left on device"
    assert done.returncode == 1 and err == f"gradcli: error: cannot write the output: {reason}\n"


def test_an_error_with_stdout_closed_is_still_said():
    done = closed(1, ["eval", "y = log(x)", "x=-1", "--json"])
    lines = done.stderr.decode().splitlines()
    assert done.returncode == 1 and "Traceback" not in done.stderr.decode()
    assert lines[0].startswith("gradcli: error: 1:5: log(-1) is undefined")
    assert lines[-1] == "gradcli: error: cannot write the output: standard output is closed"


def test_a_file_written_with_stdout_closed_succeeds(tmp_path):
    target = tmp_path / "f.json"
    done = closed(1, ["graph", "f = x^2", "x=3", "--format", "json", "-o", str(target)])
    assert done.returncode == 0 and done.stderr == b""
    assert json.loads(target.read_text())["value"] == 9.0


def _entry_points() -> list[str]:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    return [scripts["gradcli"]]


CHILD = """
import os, signal, sys
AT = {at!r}
class CtrlC:
    # The user presses Ctrl-C the moment {at} starts to import.
    def find_spec(self, name, path=None, target=None):
        if name == AT:
            os.kill(os.getpid(), signal.SIGINT)
        return None
sys.meta_path.insert(0, CtrlC())
sys.argv = {argv!r}
from {module} import {function}
{function}()
"""


@pytest.mark.parametrize("entry", sorted({*_entry_points(), "gradcli.__main__:main"}))
@pytest.mark.parametrize("at", ["click", "gradcli.cli.app", "rich", "gradcli.cli.commands.eval_cmd",
                                "gradcli.autodiff.loading", "gradcli.render.eval_view"])
def test_ctrl_c_at_any_moment_is_130(entry, at):
    module, function = entry.split(":")
    code = CHILD.format(at=at, module=module, function=function, argv=["gradcli", "eval", "y = x^2", "x=3"])
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, timeout=60)
    err = done.stderr.decode()
    assert done.returncode == 130, err
    assert "Traceback" not in err and err.strip() == "gradcli: interrupted"
    assert b"dy/dx" not in done.stdout  # it stopped there


@pytest.mark.parametrize("at", ["gradcli.support.text", "json"])
def test_ctrl_c_while_an_error_is_said_is_130(at):
    """The signal lands inside the handler that writes a usage error (it imports these first)."""
    argv = ["gradcli", "eval", "--nosuch", "--json", "y = x^2", "x=3"]
    code = CHILD.format(at=at, module="gradcli.__main__", function="main", argv=argv)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, timeout=60)
    err = done.stderr.decode()
    assert done.returncode == 130 and "Traceback" not in err, err


def test_a_library_warning_never_reaches_the_user(tmp_path):
    import numpy as np

    empty = tmp_path / "empty.npy"
    np.save(empty, np.zeros(0))
    done = gradcli(["eval", "f = mean(a)", f"a=@{empty}"], capture_output=True)
    err = done.stderr.decode()
    assert done.returncode == 1
    assert all(line.startswith(("gradcli: ", "    ")) for line in err.splitlines()), err
    assert "RuntimeWarning" not in err and "Mean of empty slice" not in err


def test_warnings_are_handled_in_one_place():
    """Only the click layer decides about Python warnings: no module filters them on its own."""
    offenders = [p.relative_to(ROOT).as_posix() for p in (ROOT / "gradcli").rglob("*.py")
                 if "warnings.simplefilter" in p.read_text() or "filterwarnings" in p.read_text()]
    assert offenders == ["gradcli/cli/streams.py"]
