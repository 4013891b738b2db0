"""Whole-process timing helpers: interleaved runs, medians, peak memory of each child."""

from __future__ import annotations

import gc
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


GNU_TIME = "/usr/bin/time"


def run_once(argv: list[str], stdin: str | None = None, memory: bool = True,
             expect: int = 0) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one run of argv (which must exit with ``expect``).

    A forked child's peak RSS counts the pages it shared with this (large)
    benchmark process before exec, so where GNU time exists the child is started
    by it, from a small process, and its %M (peak KB) is read instead.
    """
    use_time = memory and os.path.exists(GNU_TIME)
    if use_time:
        argv = [GNU_TIME, "-f", "gradcli-bench-peak-kb %M", *argv]
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
    if proc.returncode != expect:
        raise SystemExit(f"{' '.join(argv)[:120]} failed ({proc.returncode}): {err.strip()[:300]}")
    peak_kb = usage.ru_maxrss
    if use_time:
        peak_kb = next(int(line.split()[1]) for line in err.splitlines()
                       if line.startswith("gradcli-bench-peak-kb"))
    return elapsed, peak_kb / 1024


def medians(commands: dict[str, list[str]], repeats: int, memory: bool = True) -> dict[str, tuple[float, float]]:
    """Median seconds and median peak MB per command, runs interleaved so noise hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    peaks: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, argv in commands.items():
            t, m = run_once(argv, memory=memory)
            times[name].append(t)
            peaks[name].append(m)
    return {name: (statistics.median(times[name]), statistics.median(peaks[name])) for name in commands}


def median_time(fn, repeats: int = 7, pause_gc: bool = False) -> float:
    """Median wall time of ``fn()`` in this process; with ``pause_gc`` the garbage collector is
    paused for each run (for every contender alike, as gradcli does while it builds)."""
    times = []
    for _ in range(repeats):
        if pause_gc:
            gc.collect()
            gc.disable()
        try:
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        finally:
            if pause_gc:
                gc.enable()
    return statistics.median(times)
