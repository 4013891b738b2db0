"""Ctrl-C before the click layer is ready, and after it is done: exit 130 at once, quietly.

Python's own handler raises KeyboardInterrupt wherever the signal lands; during the
imports that happen before any command runs (click, lark, rich) that prints a
traceback.  The entry point installs ``exit_interrupted`` first thing; the click
layer lets KeyboardInterrupt through while a command runs (``descend`` then shows
where it got to) and puts this handler back for the exit.
"""

from __future__ import annotations

import os
import sys

import _signal  # the C module: ``signal`` builds enums first, tens of milliseconds without a handler

INTERRUPTED = 130  # ExitCode.INTERRUPTED, without importing anything


def exit_interrupted(signum=None, frame=None) -> None:
    try:
        os.write(2, b"gradcli: interrupted\n")
    except OSError:  # no standard error to say it on
        pass
    os._exit(INTERRUPTED)


def exit_on_interrupt() -> None:
    """From now on Ctrl-C ends the process with 130 and one line, wherever it lands."""
    _signal.signal(_signal.SIGINT, exit_interrupted)
    sys.unraisablehook = _unraisable


def _unraisable(unraisable, default=sys.unraisablehook) -> None:
    """A Ctrl-C that lands in a finalizer (a ``__del__``, a weakref callback, the garbage collector)
    cannot reach the click layer: Python would print it as "Exception ignored in ..." with a
    traceback and go on.  It is still Ctrl-C: the run ends with 130 and one line."""
    if issubclass(unraisable.exc_type, KeyboardInterrupt):
        exit_interrupted()
    default(unraisable)


def set_handler(handler):
    """Install ``handler`` for SIGINT and return the one it replaces (None off the main thread,
    where only the main thread's handler applies, as under an in-process test runner)."""
    try:
        return _signal.signal(_signal.SIGINT, handler)
    except ValueError:
        return None
