"""The rules for ``--data`` columns, one set for every command that reads data.

A column (a CSV or TSV header's name, or a key of any JSON-lines row, whatever
line it first appears on) either binds an input of the program, or is one the
program does not use (an ``id``), carried through; a column that names a value
the program computes, or an input also bound on the command line, is refused.
"""

from __future__ import annotations

from collections.abc import Collection

from gradcli.autodiff.problem import Problem
from gradcli.support.errors import UsageError


class ColumnRules:
    def __init__(self, problem: Problem, bound: Collection[str]):
        self.names = problem.tape.names
        self.input_list = problem.tape.input_names()
        self.inputs = set(self.input_list)
        self.bound = set(bound)

    def fault(self, name: str) -> str | None:
        """Why column ``name`` cannot be read, or None."""
        if name in self.inputs:
            if name in self.bound:
                return f"{name} is a column and also bound on the command line ({name}=...): give it one way"
            return None
        if name in self.names:
            return f"the column {name!r} names a value the program computes, not an input"
        return None

    def split(self, header: list[str], source: str, line: int) -> tuple[list[str], list[str]]:
        """The header's columns that bind inputs, and the others; a usage error (before any row is
        read) for a column the rules refuse, or a header that names no input."""
        for name in header:
            fault = self.fault(name)
            if fault:
                raise UsageError(f"--data {source}: line {line}: {fault}")
        columns = [name for name in header if name in self.inputs]
        if not columns:
            raise UsageError(f"--data {source}: the header names no input of the program (header: "
                             f"{', '.join(header)}; inputs: {', '.join(self.input_list) or 'none'})")
        return columns, [name for name in header if name not in self.inputs]
