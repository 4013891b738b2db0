"""Generated names: the one place that chooses a name the program did not write.

Views and ``derive`` need names for what the program leaves unnamed: the
operations inside an expression (``v1``, ``v2``), a derived program's adjoints
(``d_a``) and shared subexpressions (``t1``), the adjoint notation of the tables
(``dX``).  None of them may equal a name of the program, nor look like one:
in ``y = (v1 + x)*v1`` the node ``v1 + x`` cannot be called ``v1``, nor ``v2``
(it would read as one of the program's own ``v`` names), and with an input
``dout`` the adjoint of a statement ``out`` cannot be written ``dout``.

Two kinds of choice, both made here:

* a *family*, a prefix followed by a number (``v1``, ``v_-1``, ``t3``): the
  first candidate prefix none of whose members (with or without ``_`` before
  the number, as LaTeX writes both ``v_{1}``) is a program name;
* a *single* name (``d_a``): the name itself, else the first of ``d_a_2``,
  ``d_a_3``, ... that is free; each choice is then taken, so two are never equal.
"""

from __future__ import annotations

import re
from itertools import count

# The prefixes tried for a family, in order; past them, the preferred letter doubled, tripled...
_ALTERNATIVES = {"v": ("v", "w", "u", "h", "n"), "t": ("t", "s", "r", "q", "p")}


def _members(prefix: str) -> re.Pattern:
    """A line of the names that reads as a member of the family: v1, v_1, v_-1, v01."""
    return re.compile("^" + re.escape(prefix) + r"_?-?\d+$", re.M)


class Names:
    """The program's names, and every name generated for it so far (``taken``)."""

    def __init__(self, program_names):
        self.program = frozenset(program_names)
        self.taken = set(self.program)
        self._families: dict[str, str] = {}

    def family(self, preferred: str) -> str:
        """The prefix for numbered names (``preferred``, e.g. ``v``, unless the program uses v1 or v_1)."""
        known = self._families.get(preferred)
        if known is not None:
            return known
        prefix = self._families[preferred] = _free_family(preferred, self.taken)
        return prefix

    def fresh(self, base: str) -> str:
        """``base`` if it is free, else ``base_2``, ``base_3``, ...: the name is then taken."""
        name = base
        for k in count(2):
            if name not in self.taken:
                break
            name = f"{base}_{k}"
        self.taken.add(name)
        return name

    def adjoint_prefix(self, labels) -> str:
        """The prefix P of the tables' adjoint notation PX (``dx``): ``d``, unless some ``d<label>``
        is a program name (an input ``dout`` beside a statement ``out``); then ``d_``, ``d__``, ..."""
        labels = list(labels)
        prefix = "d"
        while any(prefix + label in self.program for label in labels):
            prefix += "_"
        return prefix


def _free_family(preferred: str, names) -> str:
    """The first candidate prefix none of whose members is among ``names``."""
    lines = "\n".join(names)  # searched by the regex engine: a million names take milliseconds
    for prefix in _candidates(preferred):
        if not _members(prefix).search(lines):
            return prefix
    raise AssertionError("unreachable: the candidates never end")


def _candidates(preferred: str):
    yield from _ALTERNATIVES.get(preferred, (preferred,))
    for k in count(2):
        yield preferred * k


def hidden_prefix(program_names) -> str:
    """The prefix of unnamed operations' labels (v1, v2, ...) for a program with these names."""
    return _free_family("v", program_names)  # no copy of the names: a program may have millions


__all__ = ["Names", "hidden_prefix"]
