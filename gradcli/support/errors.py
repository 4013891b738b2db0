"""Errors that reach the user, and the exit codes they map to.

The engine raises ``GradError`` subclasses carrying a kind, a one-line message
and, when the error comes from the program text, its line and column.  Only the
click layer turns them into output and exit codes.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1  # evaluation failed (a domain error), a check failed, descent diverged
    USAGE = 2  # usage, syntax and binding errors
    INTERRUPTED = 130


CARET_WINDOW = 40  # characters shown on each side of the column under an error


def source_window(source: str, column: int) -> tuple[str, int]:
    """``source`` cut to CARET_WINDOW characters each side of ``column`` (1-based), and the column
    within what is shown."""
    start = max(0, column - 1 - CARET_WINDOW)
    end = column + CARET_WINDOW
    if start == 0 and end >= len(source):
        return source, column
    shown = source[start:end]
    if start:
        shown, column = "..." + shown, column - start + 3
    if end < len(source):
        shown += "..."
    return shown, column


class GradError(Exception):
    """An error for the user: ``kind`` is a stable identifier for scripts."""

    kind = "error"
    exit_code = ExitCode.USAGE

    def __init__(self, message: str, line: int | None = None, column: int | None = None,
                 source: str | None = None, kind: str | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.source = source  # the offending line of text, for the caret display
        if kind:
            self.kind = kind

    def caret_view(self) -> tuple[str, int] | None:
        """The source line to show under the message and the column of the caret in it: a long
        line is cut to a window around the column ("..." marks each cut), never shown whole."""
        if self.source is None or not self.column:
            return None
        return source_window(self.source, self.column)

    def location(self) -> str:
        return f"{self.line}:{self.column}" if self.line is not None else ""

    def to_json(self) -> dict:
        return {"error": {"kind": self.kind, "message": self.message,
                          "line": self.line, "column": self.column}}


class ProgramError(GradError):
    """The program text is wrong: syntax, names, arity, cycles."""

    kind = "syntax"


class BindingError(GradError):
    """A NAME=VALUE from the command line is wrong, or inputs lack values."""

    kind = "binding"


class UsageError(GradError):
    kind = "usage"


class EvaluationError(GradError):
    """A value or a derivative is undefined or not finite: exit 1."""

    kind = "domain"
    exit_code = ExitCode.FAILED
