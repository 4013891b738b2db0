"""How deep brackets may nest in an array: a literal in a program, or lists in a JSON value file.

Each bracket level is an array dimension, and numpy stops at 64; a deeper text would
also cost time and memory growing with the square of its depth.  Both readers refuse
more than ``MAX_DIMENSIONS`` levels before building anything.
"""

from __future__ import annotations

import re

MAX_DIMENSIONS = 32

# A JSON string (closed or not: skipped whole, brackets in it are text) or a bracket.
_JSON_BRACKETS = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.S)


def too_deep_in_json(text: str) -> int | None:
    """The offset of the first ``[`` or ``{`` nested more than MAX_DIMENSIONS deep, or None.

    A linear scan of the text, so that the JSON decoder (which recurses) never sees such nesting."""
    depth = 0
    for m in _JSON_BRACKETS.finditer(text):
        c = text[m.start()]
        if c == "[" or c == "{":
            depth += 1
            if depth > MAX_DIMENSIONS:
                return m.start()
        elif c == "]" or c == "}":
            depth -= 1
    return None


def line_and_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of ``offset`` in ``text``."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1
