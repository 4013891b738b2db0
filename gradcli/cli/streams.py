"""The process's standard streams and Python warnings, as the click layer hands them to commands.

- Standard error closed (``2>&-``) or failing: gradcli's messages are dropped and the
  command runs as it would (its exit status unchanged).
- Standard output closed (``>&-``) or failing (``> /dev/full``): the first write that
  fails stops the command with one line on standard error and exit 1 (``OutputError``).
  A command that writes nothing there (``graph -o FILE``) still succeeds.
- A reader that goes away (``| head -1``) stays a BrokenPipeError: a quiet exit 0 (app.py).
- Python warnings (numpy's RuntimeWarning, ...) are not shown: only gradcli's own lines
  reach standard error.  A number that matters gets gradcli's own error or warning.
  GRADCLI_DEBUG=1 shows them, for debugging gradcli itself.
"""

from __future__ import annotations

import errno
import io
import os
import sys
import warnings
from contextlib import contextmanager


class OutputError(Exception):
    """Standard output cannot be written: said in one line, exit 1."""

    def __init__(self, exc: OSError):
        super().__init__(exc.strerror or str(exc))
        self.reason = exc.strerror or str(exc)


class _Closed(io.TextIOBase):
    """Standard output when its file descriptor is closed (Python makes it None): every write fails."""

    encoding = "utf-8"

    def writable(self) -> bool:
        return True

    def write(self, text):
        raise OSError(errno.EBADF, "standard output is closed")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    @property
    def buffer(self):
        return self  # bytes fail the same way


class _Guarded:
    """A stream whose write and flush errors (other than a closed pipe) go to ``on_error``."""

    def __init__(self, stream, on_error):
        self._stream = stream
        self._on_error = on_error

    def write(self, data):
        try:
            return self._stream.write(data)
        except BrokenPipeError:
            raise
        except OSError as exc:
            self._on_error(exc)
            return len(data)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            self._on_error(exc)

    @property
    def buffer(self):
        inner = getattr(self._stream, "buffer", None)
        return None if inner is None else _Guarded(inner, self._on_error)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _stop(exc: OSError) -> None:
    raise OutputError(exc)


def _drop(exc: OSError) -> None:
    """Standard error failed: there is nowhere left to say anything."""


@contextmanager
def guarded():
    """Standard output and error guarded, and Python warnings kept from the user, for one run."""
    saved = sys.stdout, sys.stderr
    sys.stdout = _Guarded(_Closed() if sys.stdout is None else sys.stdout, _stop)
    sys.stderr = _Guarded(open(os.devnull, "w") if sys.stderr is None else sys.stderr, _drop)
    try:
        with warnings.catch_warnings():
            if not os.environ.get("GRADCLI_DEBUG"):
                warnings.simplefilter("ignore")
            yield
    finally:
        sys.stdout, sys.stderr = saved


def discard_output() -> None:
    """After an output error: what is still buffered for standard output is dropped, so the
    interpreter's own flush at exit has nothing to fail on."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.__stdout__):
        try:
            os.dup2(devnull, stream.fileno())
            return
        except (AttributeError, OSError, ValueError):
            continue
    os.close(devnull)
