"""User text made safe to echo: control characters shown, never sent to the terminal.

A program, a file name, an option's value or a data cell can hold ESC, BEL or a
C1 control; written raw they would set the terminal's title, move the cursor or
hide text.  ``printable`` writes each as a visible escape (``\\x1b``), keeping
newlines, so every echo point shows the text as it is and harms nothing.
"""

from __future__ import annotations

import re

# C0 controls but newline, DEL, C1 controls, and the bidirectional overrides that reorder a line.
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control character but newline written as an escape (``\\x1b``)."""
    return _CONTROL.sub(_visible, text)
