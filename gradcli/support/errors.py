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
