"""Whole-process timing helpers: interleaved runs, medians, peak memory of each child."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

def gradcli_command() -> list[str]:
    """The installed `gradcli` script beside this interpreter, else `python -m gradcli`."""
    script = Path(sys.executable).parent / "gradcli"
    if script.exists():
        return [str(script)]
    found = shutil.which("gradcli")
    return [found] if found else [sys.executable, "-m", "gradcli"]


def run_once(argv: list[str], stdin: str | None = None) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one run of argv (which must succeed)."""
    start = time.perf_counter()
    # Run outside the source tree, so that `import gradcli` finds the installed, compiled package.
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tempfile.gettempdir())
    if stdin is not None:
        proc.stdin.write(stdin.encode())
        proc.stdin.close()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    err = proc.stderr.read().decode()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)[:120]} failed ({proc.returncode}): {err.strip()[:300]}")
    return elapsed, usage.ru_maxrss / 1024


def medians(commands: dict[str, list[str]], repeats: int) -> dict[str, tuple[float, float]]:
    """Median seconds and median peak MB per command, runs interleaved so noise hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    peaks: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, argv in commands.items():
            t, m = run_once(argv)
            times[name].append(t)
            peaks[name].append(m)
    return {name: (statistics.median(times[name]), statistics.median(peaks[name])) for name in commands}
