"""How much one run may build: sizes are refused before anything that large is allocated.

One limit, ``max_elements``, bounds every array a program computes (checked with the
shapes, when the program is read), a dense Jacobian, and a file's declared size.  The
command line sets it (``--max-elements N``); the default, 2^27 elements, is 1 GiB of
float64.  A refusal says the size asked for, the limit, and how to raise it: a usage
error (exit 2), since the program or the options ask for it.
"""

from __future__ import annotations

from gradcli.support.errors import GradError

DEFAULT_MAX_ELEMENTS = 2 ** 27  # 1 GiB of float64
OPTION = "--max-elements"
MAX_UNROLLED = 1_000_000  # statements a program's loops may unroll to (about 1 GB of tape at most)

_limit = {"max_elements": DEFAULT_MAX_ELEMENTS}


class LimitError(GradError):
    """A size above a limit, refused before it is built (exit 2)."""

    kind = "limit"


def max_elements() -> int:
    return _limit["max_elements"]


def set_max_elements(n: int) -> None:
    """Set by the command line for the run (each command sets it, to the default when not given)."""
    _limit["max_elements"] = int(n)


def count_elements(shape) -> int:
    """The number of elements of an array of ``shape`` (exact: Python ints do not overflow)."""
    total = 1
    for n in shape:
        total *= int(n)
    return total


def size_text(elements: int) -> str:
    """``10,000,000,000 elements (74.5 GiB of float64)``."""
    return f"{elements:,} elements ({bytes_text(8 * elements)} of float64)"


def bytes_text(n: int) -> str:
    for unit, scale in (("TiB", 2 ** 40), ("GiB", 2 ** 30), ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


def over_limit(elements: int) -> bool:
    return elements > max_elements()


def limit_text() -> str:
    """``the limit is 134,217,728 elements (--max-elements N raises it)``."""
    return f"the limit is {max_elements():,} elements ({OPTION} N raises it)"
